//! Rows of pipeline executions, and the run history's search over them. The scheduler loads a
//! pipeline's rows, changes them in memory and saves the changed ones in the same transaction as
//! their events.
use super::columns::{active_statuses, json, rows_of_executions, to_json, to_usize, wire};
use super::{Result, StoreError};
use crate::runs::{ExecutionRow, ExecutionType};
use model::{ExecutionMode, PipelineExecutionStatus, TriggerType};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

impl ExecutionRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(ExecutionRow {
            execution_id: row.try_get("execution_id")?,
            pipeline_name: row.try_get("pipeline_name")?,
            pipeline_version: u32::try_from(row.try_get::<i64, _>("pipeline_version")?)
                .map_err(|_| StoreError::Corrupt("pipeline version".into()))?,
            seq: row.try_get("seq")?,
            status: wire(row.try_get("status")?, PipelineExecutionStatus::from_wire)?,
            status_summary: row.try_get("status_summary")?,
            trigger_type: wire(row.try_get("trigger_type")?, TriggerType::from_wire)?,
            trigger_detail: row.try_get("trigger_detail")?,
            started_by: row.try_get("started_by")?,
            retried_by: json(row.try_get("retried_by")?)?,
            execution_mode: wire(row.try_get("execution_mode")?, ExecutionMode::from_wire)?,
            execution_type: wire(row.try_get("execution_type")?, ExecutionType::from_wire)?,
            rollback_target: row.try_get("rollback_target")?,
            variables: json(row.try_get("variables")?)?,
            source_revisions: json(row.try_get("source_revisions")?)?,
            client_request_token: row.try_get("client_request_token")?,
            stop_reason: row.try_get("stop_reason")?,
            stop_abandon: row.try_get::<i64, _>("stop_abandon")? != 0,
            current_stage: to_usize(row.try_get("current_stage")?)?,
            created_ms: row.try_get("created_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }
}

pub(super) const EXECUTION_COLUMNS: &str =
    "execution_id, pipeline_name, pipeline_version, seq, status, status_summary, \
    trigger_type, trigger_detail, execution_mode, execution_type, variables, source_revisions, \
    client_request_token, stop_reason, stop_abandon, current_stage, created_ms, updated_ms, rollback_target, \
    started_by, retried_by";

/// Takes the pipeline's write lock for the rest of the transaction (a row lock on PostgreSQL,
/// the database write lock on SQLite), so one scheduler at a time decides for a pipeline.
/// Returns false when the pipeline does not exist.
pub async fn lock_pipeline(conn: &mut AnyConnection, pipeline: &str) -> Result<bool> {
    let done = sqlx::query("update pipeline set updated_ms = updated_ms where name = $1")
        .bind(pipeline)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn next_seq(conn: &mut AnyConnection, pipeline: &str) -> Result<i64> {
    let max: Option<i64> = sqlx::query_scalar("select max(seq) from pipeline_execution where pipeline_name = $1")
        .bind(pipeline)
        .fetch_one(&mut *conn)
        .await?;
    Ok(max.unwrap_or(0) + 1)
}

pub async fn insert_execution(conn: &mut AnyConnection, e: &ExecutionRow) -> Result<()> {
    sqlx::query(&format!(
        "insert into pipeline_execution ({EXECUTION_COLUMNS}) values \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    ))
    .bind(&e.execution_id)
    .bind(&e.pipeline_name)
    .bind(i64::from(e.pipeline_version))
    .bind(e.seq)
    .bind(e.status.as_str())
    .bind(&e.status_summary)
    .bind(e.trigger_type.as_str())
    .bind(&e.trigger_detail)
    .bind(e.execution_mode.as_str())
    .bind(e.execution_type.as_str())
    .bind(to_json(&e.variables))
    .bind(to_json(&e.source_revisions))
    .bind(&e.client_request_token)
    .bind(&e.stop_reason)
    .bind(i64::from(e.stop_abandon))
    .bind(e.current_stage as i64)
    .bind(e.created_ms)
    .bind(e.updated_ms)
    .bind(&e.rollback_target)
    .bind(&e.started_by)
    .bind(to_json(&e.retried_by))
    .execute(&mut *conn)
    .await
    .map_err(super::conflict_on_unique)?;
    Ok(())
}

/// Saves the fields of an execution that change after it was created.
pub async fn update_execution(conn: &mut AnyConnection, e: &ExecutionRow) -> Result<()> {
    sqlx::query(
        "update pipeline_execution set status = $2, status_summary = $3, stop_reason = $4, stop_abandon = $5,
             current_stage = $6, updated_ms = $7, retried_by = $8 where execution_id = $1",
    )
    .bind(&e.execution_id)
    .bind(e.status.as_str())
    .bind(&e.status_summary)
    .bind(&e.stop_reason)
    .bind(i64::from(e.stop_abandon))
    .bind(e.current_stage as i64)
    .bind(e.updated_ms)
    .bind(to_json(&e.retried_by))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Executions still holding or waiting for stages, oldest first.
pub async fn active_executions(conn: &mut AnyConnection, pipeline: &str) -> Result<Vec<ExecutionRow>> {
    let rows = sqlx::query(&format!(
        "select {EXECUTION_COLUMNS} from pipeline_execution
         where pipeline_name = $1 and status in ({}) order by seq",
        active_statuses()
    ))
    .bind(pipeline)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ExecutionRow::from_row).collect()
}

/// The ids of a pipeline's active executions (`$1` is the pipeline), for `in (...)`.
pub(super) fn active_of_pipeline() -> String {
    format!(
        "select execution_id from pipeline_execution where pipeline_name = $1 and status in ({})",
        active_statuses()
    )
}

pub async fn execution(conn: &mut AnyConnection, execution_id: &str) -> Result<Option<ExecutionRow>> {
    let row = sqlx::query(&format!("select {EXECUTION_COLUMNS} from pipeline_execution where execution_id = $1"))
        .bind(execution_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(ExecutionRow::from_row).transpose()
}

pub async fn execution_by_token(conn: &mut AnyConnection, pipeline: &str, token: &str) -> Result<Option<ExecutionRow>> {
    let row = sqlx::query(&format!(
        "select {EXECUTION_COLUMNS} from pipeline_execution where pipeline_name = $1 and client_request_token = $2"
    ))
    .bind(pipeline)
    .bind(token)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(ExecutionRow::from_row).transpose()
}

/// A page of a pipeline's executions, newest first, starting below `before_seq`.
pub async fn list_executions(
    conn: &mut AnyConnection,
    pipeline: &str,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<ExecutionRow>> {
    let rows = sqlx::query(&format!(
        "select {EXECUTION_COLUMNS} from pipeline_execution
         where pipeline_name = $1 and ($2 is null or seq < $2) order by seq desc limit $3"
    ))
    .bind(pipeline)
    .bind(before_seq)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ExecutionRow::from_row).collect()
}

pub async fn executions_in(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<ExecutionRow>> {
    let sql =
        format!("select {EXECUTION_COLUMNS} from pipeline_execution where execution_id in ({{ids}}) order by seq");
    rows_of_executions(conn, &sql, ids).await?.iter().map(ExecutionRow::from_row).collect()
}

/// What the run history is narrowed to; `None` means any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryFilter {
    pub status: Option<PipelineExecutionStatus>,
    pub trigger: Option<TriggerType>,
    /// Started at or after.
    pub from_ms: Option<i64>,
    /// Started before.
    pub until_ms: Option<i64>,
    /// Case-insensitive text in the id, trigger detail, stop reason, revisions or variables.
    pub text: Option<String>,
}

/// A page of a pipeline's executions matching `filter`, newest first, below `before_seq`. The
/// (pipeline_name, seq) index serves the order and the page boundary, so a page costs a scan
/// back from `before_seq` until `limit` rows match.
pub async fn search_executions(
    conn: &mut AnyConnection,
    pipeline: &str,
    filter: &HistoryFilter,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<ExecutionRow>> {
    let pattern = filter.text.as_ref().map(|text| {
        let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        format!("%{escaped}%")
    });
    let rows = sqlx::query(&format!(
        "select {EXECUTION_COLUMNS} from pipeline_execution
         where pipeline_name = $1 and ($2 is null or seq < $2)
           and ($3 is null or status = $3) and ($4 is null or trigger_type = $4)
           and ($5 is null or created_ms >= $5) and ($6 is null or created_ms < $6)
           and ($7 is null or lower(execution_id || ' ' || trigger_detail || ' ' || coalesce(stop_reason, '') || ' '
                || source_revisions || ' ' || variables) like $7 escape '\\')
         order by seq desc limit $8"
    ))
    .bind(pipeline)
    .bind(before_seq)
    .bind(filter.status.map(|s| s.as_str()))
    .bind(filter.trigger.map(|t| t.as_str()))
    .bind(filter.from_ms)
    .bind(filter.until_ms)
    .bind(pattern)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ExecutionRow::from_row).collect()
}

impl super::Store {
    /// The pipeline's latest version inside the caller's transaction.
    pub(crate) async fn latest_version(&self, conn: &mut AnyConnection, pipeline: &str) -> Result<u32> {
        let version: i64 = sqlx::query_scalar("select latest_version from pipeline where name = $1")
            .bind(pipeline)
            .fetch_one(&mut *conn)
            .await?;
        u32::try_from(version).map_err(|_| StoreError::Corrupt("pipeline version".into()))
    }

    /// Pipelines with executions still running or stopping.
    pub(crate) async fn pipelines_with_active_executions(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(&format!(
            "select distinct pipeline_name from pipeline_execution where status in ({})",
            active_statuses()
        ))
        .fetch_all(&self.pool)
        .await?)
    }
}
