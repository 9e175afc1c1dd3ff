//! Rows of pipeline, stage and action executions. The scheduler loads a pipeline's rows, changes
//! them in memory and saves the changed ones in the same transaction as their events.
use super::{Result, StoreError};
use model::{ActionExecutionStatus, ExecutionMode, PipelineExecutionStatus, StageExecutionStatus, TriggerType};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRow {
    pub execution_id: String,
    pub pipeline_name: String,
    pub pipeline_version: u32,
    pub seq: i64,
    pub status: PipelineExecutionStatus,
    pub status_summary: Option<String>,
    pub trigger_type: TriggerType,
    pub trigger_detail: String,
    /// The ARN of the user who started the execution, whatever the trigger; `None` when no user did.
    pub started_by: Option<String>,
    /// The ARNs of users who retried a stage of it (RetryStageExecution), in order.
    pub retried_by: Vec<String>,
    pub execution_mode: ExecutionMode,
    pub execution_type: String,
    /// For a rollback: the execution whose run of the stage is repeated.
    pub rollback_target: Option<String>,
    /// `[{"name", "resolvedValue"}]`, as GetPipelineExecution reports them.
    pub variables: Value,
    pub source_revisions: Value,
    pub client_request_token: Option<String>,
    pub stop_reason: Option<String>,
    pub stop_abandon: bool,
    pub current_stage: usize,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageRow {
    pub execution_id: String,
    pub stage_name: String,
    pub status: StageExecutionStatus,
    pub attempt: i64,
    pub base_attempt: i64,
    pub manual_retries: i64,
    pub auto_retries: i64,
    /// `AutomatedStageRetry` or `ManualStageRetry`: the kind of the latest retry, if any.
    pub last_retry_trigger: Option<String>,
    pub started_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    pub action_execution_id: String,
    pub execution_id: String,
    pub stage_name: String,
    pub action_name: String,
    pub run_order: u32,
    pub stage_attempt: i64,
    pub status: ActionExecutionStatus,
    pub summary: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub external_execution_id: Option<String>,
    pub external_execution_url: Option<String>,
    pub token: Option<String>,
    pub expires_ms: Option<i64>,
    pub lease_owner: Option<String>,
    pub lease_expires_ms: Option<i64>,
    pub claims: i64,
    pub input: Value,
    pub output: Value,
    pub started_ms: i64,
    pub updated_ms: i64,
}

/// Decodes a status or type column written with `as_str`.
pub(super) fn wire<T>(text: String, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("unknown status or type {text:?}")))
}

/// A column list with each column prefixed by a table alias, for joins.
pub(super) fn qualified(alias: &str, columns: &str) -> String {
    columns.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

/// Decodes a JSON column.
pub(super) fn json(text: String) -> Result<Value> {
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Decodes a JSON array of ARNs.
fn arns(text: String) -> Result<Vec<String>> {
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn to_usize(value: i64) -> Result<usize> {
    usize::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative index {value}")))
}

impl ExecutionRow {
    /// The users who set this execution going: its starter and whoever retried a stage of it.
    /// A manual approval with AllowSelfApproval=false refuses each of them.
    pub fn starters(&self) -> Vec<String> {
        self.started_by.iter().chain(&self.retried_by).cloned().collect()
    }

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
            retried_by: arns(row.try_get("retried_by")?)?,
            execution_mode: wire(row.try_get("execution_mode")?, ExecutionMode::from_wire)?,
            execution_type: row.try_get("execution_type")?,
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
            last_retry_trigger: row.try_get("last_retry_trigger")?,
            started_ms: row.try_get("started_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }
}

impl ActionRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(ActionRow {
            action_execution_id: row.try_get("action_execution_id")?,
            execution_id: row.try_get("execution_id")?,
            stage_name: row.try_get("stage_name")?,
            action_name: row.try_get("action_name")?,
            run_order: u32::try_from(row.try_get::<i64, _>("run_order")?)
                .map_err(|_| StoreError::Corrupt("run order".into()))?,
            stage_attempt: row.try_get("stage_attempt")?,
            status: wire(row.try_get("status")?, ActionExecutionStatus::from_wire)?,
            summary: row.try_get("summary")?,
            error_code: row.try_get("error_code")?,
            error_message: row.try_get("error_message")?,
            external_execution_id: row.try_get("external_execution_id")?,
            external_execution_url: row.try_get("external_execution_url")?,
            token: row.try_get("token")?,
            expires_ms: row.try_get("expires_ms")?,
            lease_owner: row.try_get("lease_owner")?,
            lease_expires_ms: row.try_get("lease_expires_ms")?,
            claims: row.try_get("claims")?,
            input: json(row.try_get("input")?)?,
            output: json(row.try_get("output")?)?,
            started_ms: row.try_get("started_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }
}

const EXECUTION_COLUMNS: &str = "execution_id, pipeline_name, pipeline_version, seq, status, status_summary, \
    trigger_type, trigger_detail, execution_mode, execution_type, variables, source_revisions, \
    client_request_token, stop_reason, stop_abandon, current_stage, created_ms, updated_ms, rollback_target, \
    started_by, retried_by";
const ACTION_COLUMNS: &str = "action_execution_id, execution_id, stage_name, action_name, run_order, \
    stage_attempt, status, summary, error_code, error_message, external_execution_id, external_execution_url, \
    token, expires_ms, lease_owner, lease_expires_ms, claims, input, output, started_ms, updated_ms";

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
    .bind(&e.execution_type)
    .bind(e.variables.to_string())
    .bind(e.source_revisions.to_string())
    .bind(&e.client_request_token)
    .bind(&e.stop_reason)
    .bind(i64::from(e.stop_abandon))
    .bind(e.current_stage as i64)
    .bind(e.created_ms)
    .bind(e.updated_ms)
    .bind(&e.rollback_target)
    .bind(&e.started_by)
    .bind(serde_json::json!(e.retried_by).to_string())
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
    .bind(serde_json::json!(e.retried_by).to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
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
    .bind(&s.last_retry_trigger)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn upsert_action(conn: &mut AnyConnection, a: &ActionRow) -> Result<()> {
    sqlx::query(&format!(
        "insert into action_execution ({ACTION_COLUMNS}) values
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
         on conflict (action_execution_id) do update set status = excluded.status, summary = excluded.summary,
             error_code = excluded.error_code, error_message = excluded.error_message,
             external_execution_id = excluded.external_execution_id,
             external_execution_url = excluded.external_execution_url, token = excluded.token,
             expires_ms = excluded.expires_ms, lease_owner = excluded.lease_owner,
             lease_expires_ms = excluded.lease_expires_ms, claims = excluded.claims, input = excluded.input,
             output = excluded.output, updated_ms = excluded.updated_ms"
    ))
    .bind(&a.action_execution_id)
    .bind(&a.execution_id)
    .bind(&a.stage_name)
    .bind(&a.action_name)
    .bind(i64::from(a.run_order))
    .bind(a.stage_attempt)
    .bind(a.status.as_str())
    .bind(&a.summary)
    .bind(&a.error_code)
    .bind(&a.error_message)
    .bind(&a.external_execution_id)
    .bind(&a.external_execution_url)
    .bind(&a.token)
    .bind(a.expires_ms)
    .bind(&a.lease_owner)
    .bind(a.lease_expires_ms)
    .bind(a.claims)
    .bind(a.input.to_string())
    .bind(a.output.to_string())
    .bind(a.started_ms)
    .bind(a.updated_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Executions still holding or waiting for stages, oldest first.
pub async fn active_executions(conn: &mut AnyConnection, pipeline: &str) -> Result<Vec<ExecutionRow>> {
    let rows = sqlx::query(&format!(
        "select {EXECUTION_COLUMNS} from pipeline_execution
         where pipeline_name = $1 and status in ('InProgress', 'Stopping') order by seq"
    ))
    .bind(pipeline)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ExecutionRow::from_row).collect()
}

const ACTIVE_OF_PIPELINE: &str =
    "select execution_id from pipeline_execution where pipeline_name = $1 and status in ('InProgress', 'Stopping')";

/// The stage rows of every active execution of a pipeline, in one query.
pub async fn stages_of_active(conn: &mut AnyConnection, pipeline: &str) -> Result<Vec<StageRow>> {
    let rows = sqlx::query(&format!(
        "select * from stage_execution where execution_id in ({ACTIVE_OF_PIPELINE}) order by started_ms"
    ))
    .bind(pipeline)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(StageRow::from_row).collect()
}

/// The action rows of every active execution of a pipeline, in one query.
pub async fn actions_of_active(conn: &mut AnyConnection, pipeline: &str) -> Result<Vec<ActionRow>> {
    let rows = sqlx::query(&format!(
        "select {ACTION_COLUMNS} from action_execution where execution_id in ({ACTIVE_OF_PIPELINE})
         order by started_ms, action_execution_id"
    ))
    .bind(pipeline)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ActionRow::from_row).collect()
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

pub async fn stages_of(conn: &mut AnyConnection, execution_id: &str) -> Result<Vec<StageRow>> {
    let rows = sqlx::query("select * from stage_execution where execution_id = $1 order by started_ms")
        .bind(execution_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(StageRow::from_row).collect()
}

pub async fn actions_of(conn: &mut AnyConnection, execution_id: &str) -> Result<Vec<ActionRow>> {
    let rows = sqlx::query(&format!(
        "select {ACTION_COLUMNS} from action_execution where execution_id = $1 order by started_ms, action_execution_id"
    ))
    .bind(execution_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ActionRow::from_row).collect()
}

pub async fn action(conn: &mut AnyConnection, action_execution_id: &str) -> Result<Option<ActionRow>> {
    let row = sqlx::query(&format!("select {ACTION_COLUMNS} from action_execution where action_execution_id = $1"))
        .bind(action_execution_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(ActionRow::from_row).transpose()
}

/// Runs whose lease is free or expired (their runner died), and approvals past their deadline:
/// the work a sweep must pick up. Returns (pipeline name, action row).
pub async fn due_actions(conn: &mut AnyConnection, now: i64) -> Result<Vec<(String, ActionRow)>> {
    let rows = sqlx::query(&format!(
        "select e.pipeline_name, {} from action_execution a join pipeline_execution e using (execution_id)
         where a.status = 'InProgress' and (
             (a.token is null and (a.lease_expires_ms is null or a.lease_expires_ms < $1))
             or (a.token is not null and a.expires_ms < $1))",
        qualified("a", ACTION_COLUMNS)
    ))
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|row| Ok((row.try_get("pipeline_name")?, ActionRow::from_row(row)?))).collect()
}

/// Extends the leases of the actions (and rules) this node is still running; the lease of one
/// whose runner died with an error then runs out and the sweep takes it over. `running` holds
/// action and rule execution ids alike; each table matches its own. Returns how many it renewed.
///
/// The renewal runs beside the scheduler's transactions, which lock the action and rule rows of
/// a pipeline in whatever order their decisions need and hold them until they commit. So it must
/// never hold one row lock while it waits for another: on PostgreSQL a multi-row `update` that
/// locked rows A and B one after the other deadlocked with a transaction holding B and wanting A.
/// It first renews, in one statement, the rows nobody holds (`for update skip locked` waits for
/// nothing), then the few left over one row per statement, each waiting only for that row. On
/// SQLite the database has one writer at a time and no row locks: one statement per chunk.
pub async fn renew_leases(conn: &mut AnyConnection, owner: &str, running: &[String], until: i64) -> Result<u64> {
    let postgres = conn.backend_name() == "PostgreSQL";
    let mut renewed = 0;
    for (table, id_column) in [("action_execution", "action_execution_id"), ("rule_execution", "rule_execution_id")] {
        for chunk in running.chunks(IN_LIST_CHUNK) {
            let list = placeholders(3, chunk.len());
            if !postgres {
                let sql = format!(
                    "update {table} set lease_expires_ms = $1 where lease_owner = $2 and status = 'InProgress' and {id_column} in ({list})"
                );
                let query = chunk.iter().fold(sqlx::query(&sql).bind(until).bind(owner), |q, id| q.bind(id));
                renewed += query.execute(&mut *conn).await?.rows_affected();
                continue;
            }
            let sql = format!(
                "update {table} set lease_expires_ms = $1 where {id_column} in (
                     select {id_column} from {table}
                     where lease_owner = $2 and status = 'InProgress' and {id_column} in ({list})
                     for update skip locked)
                 returning {id_column}"
            );
            let query =
                chunk.iter().fold(sqlx::query_scalar::<_, String>(&sql).bind(until).bind(owner), |q, id| q.bind(id));
            let done: std::collections::HashSet<String> = query.fetch_all(&mut *conn).await?.into_iter().collect();
            renewed += done.len() as u64;
            // Held by a scheduler transaction (which may finish the action) or not this node's
            // any more; either way, waiting for this one row alone cannot close a cycle.
            let one = format!("update {table} set lease_expires_ms = $1 where lease_owner = $2 and status = 'InProgress' and {id_column} = $3");
            for id in chunk.iter().filter(|id| !done.contains(*id)) {
                renewed +=
                    sqlx::query(&one).bind(until).bind(owner).bind(id).execute(&mut *conn).await?.rows_affected();
            }
        }
    }
    Ok(renewed)
}

/// Bind parameters per `in (...)` list, well under SQLite's and PostgreSQL's limits.
const IN_LIST_CHUNK: usize = 500;

/// `$first, $first+1, ...`: `n` numbered parameters for an `in (...)` list.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Rows of `select ... where execution_id in (...)` for the given executions; `query` holds
/// `{ids}` where the list goes.
async fn rows_of_executions(conn: &mut AnyConnection, query: &str, ids: &[String]) -> Result<Vec<AnyRow>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = query.replace("{ids}", &placeholders(1, chunk.len()));
        let query = chunk.iter().fold(sqlx::query(&sql), |q, id| q.bind(id));
        found.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

pub async fn executions_in(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<ExecutionRow>> {
    let sql =
        format!("select {EXECUTION_COLUMNS} from pipeline_execution where execution_id in ({{ids}}) order by seq");
    rows_of_executions(conn, &sql, ids).await?.iter().map(ExecutionRow::from_row).collect()
}

pub async fn stages_in(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<StageRow>> {
    let sql = "select * from stage_execution where execution_id in ({ids}) order by started_ms";
    rows_of_executions(conn, sql, ids).await?.iter().map(StageRow::from_row).collect()
}

pub async fn actions_in(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<ActionRow>> {
    let sql = format!(
        "select {ACTION_COLUMNS} from action_execution where execution_id in ({{ids}}) order by started_ms, action_execution_id"
    );
    rows_of_executions(conn, &sql, ids).await?.iter().map(ActionRow::from_row).collect()
}

pub async fn append_log(
    conn: &mut AnyConnection,
    action_execution_id: &str,
    first_line_no: i64,
    lines: &[String],
) -> Result<()> {
    for (i, line) in lines.iter().enumerate() {
        sqlx::query("insert into action_log (action_execution_id, line_no, line) values ($1, $2, $3)")
            .bind(action_execution_id)
            .bind(first_line_no + i as i64)
            .bind(line)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn log_lines(
    conn: &mut AnyConnection,
    action_execution_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "select line_no, line from action_log where action_execution_id = $1 and line_no > $2 order by line_no limit $3",
    )
    .bind(action_execution_id)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("line_no")?, r.try_get("line")?))).collect()
}

impl super::Store {
    /// The pipeline's latest version inside the caller's transaction.
    pub async fn latest_version(&self, conn: &mut AnyConnection, pipeline: &str) -> Result<u32> {
        let version: i64 = sqlx::query_scalar("select latest_version from pipeline where name = $1")
            .bind(pipeline)
            .fetch_one(&mut *conn)
            .await?;
        u32::try_from(version).map_err(|_| StoreError::Corrupt("pipeline version".into()))
    }

    /// Pipelines with executions still running or stopping.
    pub async fn pipelines_with_active_executions(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "select distinct pipeline_name from pipeline_execution where status in ('InProgress', 'Stopping')",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Frees every lease; only right for the embedded database, where no other process runs.
    pub async fn release_all_leases(&self) -> Result<()> {
        sqlx::query("update action_execution set lease_expires_ms = 0 where status = 'InProgress' and token is null")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes an action whose lease is free or expired. One statement, so two nodes cannot both win.
    pub async fn claim_action(&self, action_execution_id: &str, owner: &str, until: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "update action_execution set lease_owner = $2, lease_expires_ms = $3, claims = claims + 1
             where action_execution_id = $1 and status = 'InProgress' and token is null
               and (lease_expires_ms is null or lease_expires_ms < $4)",
        )
        .bind(action_execution_id)
        .bind(owner)
        .bind(until)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn last_log_line(&self, action_execution_id: &str) -> Result<i64> {
        let last: Option<i64> =
            sqlx::query_scalar("select max(line_no) from action_log where action_execution_id = $1")
                .bind(action_execution_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(last.unwrap_or(0))
    }

    /// Stores lines of an action's log. Their commit does not wait for the disk: the runner
    /// records the action's outcome only after its last lines are in, and that commit is durable
    /// and flushes these with it (PostgreSQL's WAL and SQLite's are each one sequential file).
    /// A crash can lose only the latest lines of an attempt that has not finished, which is then
    /// run again. Waiting for an fsync per batch of lines put a disk flush on every action's
    /// critical path, and on SQLite serialised those flushes across all running actions.
    pub async fn append_log(&self, action_execution_id: &str, first_line_no: i64, lines: &[String]) -> Result<()> {
        let mut tx = match (&self.log_pool, self.backend) {
            (Some(pool), _) => pool.begin().await?,
            (None, super::Backend::Postgres) => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("set local synchronous_commit = off").execute(&mut *tx).await?;
                tx
            }
            (None, super::Backend::Sqlite) => self.pool.begin().await?,
        };
        append_log(&mut tx, action_execution_id, first_line_no, lines).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn log(&self, action_execution_id: &str, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        let mut conn = self.pool.acquire().await?;
        log_lines(&mut conn, action_execution_id, after, limit).await
    }
}

pub async fn action_by_token(conn: &mut AnyConnection, token: &str) -> Result<Option<ActionRow>> {
    let row = sqlx::query(&format!("select {ACTION_COLUMNS} from action_execution where token = $1"))
        .bind(token)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(ActionRow::from_row).transpose()
}

/// The newest run of each (stage, action) of a pipeline, for GetPipelineState.
pub async fn latest_action_runs(
    conn: &mut AnyConnection,
    pipeline: &str,
    stage: &str,
    action: &str,
) -> Result<Option<ActionRow>> {
    let row = sqlx::query(&format!(
        "select {} from action_execution a join pipeline_execution e using (execution_id)
         where e.pipeline_name = $1 and a.stage_name = $2 and a.action_name = $3
         order by a.started_ms desc, e.seq desc limit 1",
        qualified("a", ACTION_COLUMNS)
    ))
    .bind(pipeline)
    .bind(stage)
    .bind(action)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(ActionRow::from_row).transpose()
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
         where e.pipeline_name = $1 and s.stage_name = $2 and s.status = 'Succeeded'
           and e.pipeline_version = $3 and e.execution_type = 'STANDARD'
         order by e.seq desc limit 1",
    )
    .bind(pipeline)
    .bind(stage)
    .bind(i64::from(version))
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

/// Manual approvals waiting for an answer across every pipeline, with their pipeline, oldest first.
pub async fn pending_approvals(conn: &mut AnyConnection) -> Result<Vec<PendingRow>> {
    let rows = sqlx::query(&format!(
        "select e.pipeline_name, e.started_by, e.retried_by, {} from action_execution a
         join pipeline_execution e using (execution_id)
         where a.status = 'InProgress' and a.token is not null order by a.updated_ms, a.action_execution_id",
        ACTION_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ")
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let started_by: Option<String> = r.try_get("started_by")?;
            Ok(PendingRow {
                pipeline_name: r.try_get("pipeline_name")?,
                starters: started_by.into_iter().chain(arns(r.try_get("retried_by")?)?).collect(),
                action: ActionRow::from_row(r)?,
            })
        })
        .collect()
}

/// A manual approval waiting for an answer, with its execution's pipeline and starters
/// (`ExecutionRow::starters`).
pub struct PendingRow {
    pub pipeline_name: String,
    pub starters: Vec<String>,
    pub action: ActionRow,
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
