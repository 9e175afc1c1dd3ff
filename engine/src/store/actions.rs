//! Rows of action executions: attempts, their leases, and the approvals waiting for an answer.
use super::attempts::AttemptTable;
use super::columns::{json, qualified, rows_of_executions, to_json, IN_PROGRESS};
use super::executions::active_of_pipeline;
use super::{Result, StoreError};
use crate::runs::{ActionRow, AttemptState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::sync::LazyLock;

/// `action_execution`: an action's attempts. `token` and `expires_ms` belong to manual approvals.
pub(super) const TABLE: AttemptTable = AttemptTable {
    name: "action_execution",
    key: "action_execution_id",
    own: &[
        "action_execution_id",
        "execution_id",
        "stage_name",
        "action_name",
        "run_order",
        "stage_attempt",
        "external_execution_id",
        "external_execution_url",
        "token",
        "expires_ms",
    ],
    fixed: 6,
};
static COLUMNS: LazyLock<String> = LazyLock::new(|| TABLE.columns());
static UPSERT: LazyLock<String> = LazyLock::new(|| TABLE.upsert_sql());

/// `select` of whole rows, followed by `rest`.
fn select(rest: &str) -> String {
    format!("select {} from action_execution {rest}", *COLUMNS)
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
            state: AttemptState::from_row(row)?,
            external_execution_id: row.try_get("external_execution_id")?,
            external_execution_url: row.try_get("external_execution_url")?,
            token: row.try_get("token")?,
            expires_ms: row.try_get("expires_ms")?,
            input: json(row.try_get("input")?)?,
            output: json(row.try_get("output")?)?,
        })
    }
}

pub async fn upsert_action(conn: &mut AnyConnection, a: &ActionRow) -> Result<()> {
    let query = sqlx::query(&UPSERT)
        .bind(&a.action_execution_id)
        .bind(&a.execution_id)
        .bind(&a.stage_name)
        .bind(&a.action_name)
        .bind(i64::from(a.run_order))
        .bind(a.stage_attempt)
        .bind(&a.external_execution_id)
        .bind(&a.external_execution_url)
        .bind(&a.token)
        .bind(a.expires_ms);
    a.state.bind(query).bind(to_json(&a.input)).bind(to_json(&a.output)).execute(&mut *conn).await?;
    Ok(())
}

/// The action rows of every active execution of a pipeline, in one query.
pub async fn actions_of_active(conn: &mut AnyConnection, pipeline: &str) -> Result<Vec<ActionRow>> {
    let rows = sqlx::query(&select(&format!(
        "where execution_id in ({}) order by started_ms, action_execution_id",
        active_of_pipeline()
    )))
    .bind(pipeline)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(ActionRow::from_row).collect()
}

pub async fn actions_of(conn: &mut AnyConnection, execution_id: &str) -> Result<Vec<ActionRow>> {
    let rows = sqlx::query(&select("where execution_id = $1 order by started_ms, action_execution_id"))
        .bind(execution_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(ActionRow::from_row).collect()
}

pub async fn action(conn: &mut AnyConnection, action_execution_id: &str) -> Result<Option<ActionRow>> {
    let row = sqlx::query(&select("where action_execution_id = $1"))
        .bind(action_execution_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(ActionRow::from_row).transpose()
}

pub async fn actions_in(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<ActionRow>> {
    let sql = select("where execution_id in ({ids}) order by started_ms, action_execution_id");
    rows_of_executions(conn, &sql, ids).await?.iter().map(ActionRow::from_row).collect()
}

pub async fn action_by_token(conn: &mut AnyConnection, token: &str) -> Result<Option<ActionRow>> {
    let row = sqlx::query(&select("where token = $1")).bind(token).fetch_optional(&mut *conn).await?;
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
        qualified("a", &COLUMNS)
    ))
    .bind(pipeline)
    .bind(stage)
    .bind(action)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(ActionRow::from_row).transpose()
}

/// Manual approvals waiting for an answer across every pipeline, with their pipeline, oldest first.
pub async fn pending_approvals(conn: &mut AnyConnection) -> Result<Vec<PendingRow>> {
    let rows = sqlx::query(&format!(
        "select e.pipeline_name, e.started_by, e.retried_by, {} from action_execution a
         join pipeline_execution e using (execution_id)
         where a.status = '{IN_PROGRESS}' and a.token is not null order by a.updated_ms, a.action_execution_id",
        qualified("a", &COLUMNS)
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let started_by: Option<String> = r.try_get("started_by")?;
            Ok(PendingRow {
                pipeline_name: r.try_get("pipeline_name")?,
                starters: started_by.into_iter().chain(json::<Vec<String>>(r.try_get("retried_by")?)?).collect(),
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
