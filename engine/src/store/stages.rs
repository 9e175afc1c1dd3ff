//! Rows of stage executions: one per stage an execution entered (a retry is a new attempt of it).
use super::columns::{rows_of_executions, wire};
use super::executions::{active_of_pipeline, execution};
use super::Result;
use crate::runs::{ExecutionRow, ExecutionType, RetryTrigger, StageRow};
use model::StageExecutionStatus;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

impl StageRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(StageRow {
            execution_id: row.try_get("execution_id")?,
            stage_name: row.try_get("stage_name")?,
            status: wire(row.try_get("status")?, StageExecutionStatus::from_wire)?,
            attempt: row.try_get("attempt")?,
            base_attempt: row.try_get("base_attempt")?,
            manual_retries: row.try_get("manual_retries")?,
            auto_retries: row.try_get("auto_retries")?,
            last_retry_trigger: row
                .try_get::<Option<String>, _>("last_retry_trigger")?
                .map(|t| wire(t, RetryTrigger::from_wire))
                .transpose()?,
            started_ms: row.try_get("started_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }
}

pub async fn upsert_stage(conn: &mut AnyConnection, s: &StageRow) -> Result<()> {
    sqlx::query(
        "insert into stage_execution (execution_id, stage_name, status, attempt, base_attempt, manual_retries,
             auto_retries, started_ms, updated_ms, last_retry_trigger) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (execution_id, stage_name) do update set status = excluded.status,
             attempt = excluded.attempt, base_attempt = excluded.base_attempt,
             manual_retries = excluded.manual_retries, auto_retries = excluded.auto_retries,
             updated_ms = excluded.updated_ms, last_retry_trigger = excluded.last_retry_trigger",
    )
    .bind(&s.execution_id)
    .bind(&s.stage_name)
    .bind(s.status.as_str())
    .bind(s.attempt)
    .bind(s.base_attempt)
    .bind(s.manual_retries)
    .bind(s.auto_retries)
    .bind(s.started_ms)
    .bind(s.updated_ms)
    .bind(s.last_retry_trigger.map(RetryTrigger::as_str))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The stage rows of every active execution of a pipeline, in one query.
pub async fn stages_of_active(conn: &mut AnyConnection, pipeline: &str) -> Result<Vec<StageRow>> {
    let rows = sqlx::query(&format!(
        "select * from stage_execution where execution_id in ({}) order by started_ms",
        active_of_pipeline()
    ))
    .bind(pipeline)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(StageRow::from_row).collect()
}

pub async fn stages_of(conn: &mut AnyConnection, execution_id: &str) -> Result<Vec<StageRow>> {
    let rows = sqlx::query("select * from stage_execution where execution_id = $1 order by started_ms")
        .bind(execution_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(StageRow::from_row).collect()
}

pub async fn stages_in(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<StageRow>> {
    let sql = "select * from stage_execution where execution_id in ({ids}) order by started_ms";
    rows_of_executions(conn, sql, ids).await?.iter().map(StageRow::from_row).collect()
}

/// The newest standard execution of a pipeline version that succeeded in a stage: what an
/// automatic rollback of that stage goes back to.
pub async fn last_success_in_stage(
    conn: &mut AnyConnection,
    pipeline: &str,
    stage: &str,
    version: u32,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "select s.execution_id from stage_execution s join pipeline_execution e using (execution_id)
         where e.pipeline_name = $1 and s.stage_name = $2 and s.status = $3
           and e.pipeline_version = $4 and e.execution_type = $5
         order by e.seq desc limit 1",
    )
    .bind(pipeline)
    .bind(stage)
    .bind(StageExecutionStatus::Succeeded.as_str())
    .bind(i64::from(version))
    .bind(ExecutionType::Standard.as_str())
    .fetch_optional(&mut *conn)
    .await?)
}

/// The execution that most recently entered a stage, with its stage row.
pub async fn latest_stage_run(
    conn: &mut AnyConnection,
    pipeline: &str,
    stage: &str,
) -> Result<Option<(StageRow, ExecutionRow)>> {
    let id: Option<String> = sqlx::query_scalar(
        "select s.execution_id from stage_execution s join pipeline_execution e using (execution_id)
         where e.pipeline_name = $1 and s.stage_name = $2 order by e.seq desc limit 1",
    )
    .bind(pipeline)
    .bind(stage)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    let stage_row = stages_of(conn, &id).await?.into_iter().find(|s| s.stage_name == stage);
    let exec = execution(conn, &id).await?;
    Ok(stage_row.zip(exec))
}
