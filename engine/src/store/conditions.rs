//! Rows of stage condition evaluations and their rule executions. The scheduler changes them in
//! memory with the rest of an execution and saves the changed ones in the same transaction.
use super::attempts::AttemptTable;
use super::columns::{json, to_json, wire};
use super::Result;
use crate::runs::AttemptState;
pub use crate::runs::RuleRow;
use model::{ConditionExecutionStatus, ConditionType};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::sync::LazyLock;

/// One evaluation of one condition of a stage run.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionRow {
    pub execution_id: String,
    pub stage_name: String,
    pub condition_type: ConditionType,
    pub stage_attempt: i64,
    pub status: ConditionExecutionStatus,
    pub summary: Option<String>,
    pub started_ms: i64,
    pub updated_ms: i64,
}

impl ConditionRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(ConditionRow {
            execution_id: row.try_get("execution_id")?,
            stage_name: row.try_get("stage_name")?,
            condition_type: wire(row.try_get("condition_type")?, ConditionType::from_wire)?,
            stage_attempt: row.try_get("stage_attempt")?,
            status: wire(row.try_get("status")?, ConditionExecutionStatus::from_wire)?,
            summary: row.try_get("summary")?,
            started_ms: row.try_get("started_ms")?,
            updated_ms: row.try_get("updated_ms")?,
        })
    }
}

/// `rule_execution`: the attempts of a condition's rules.
pub(super) const RULES: AttemptTable = AttemptTable {
    name: "rule_execution",
    key: "rule_execution_id",
    own: &["rule_execution_id", "execution_id", "stage_name", "condition_type", "stage_attempt", "rule_name"],
    fixed: 6,
};
static RULE_COLUMNS: LazyLock<String> = LazyLock::new(|| RULES.columns());
static UPSERT_RULE: LazyLock<String> = LazyLock::new(|| RULES.upsert_sql());

impl RuleRow {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(RuleRow {
            rule_execution_id: row.try_get("rule_execution_id")?,
            execution_id: row.try_get("execution_id")?,
            stage_name: row.try_get("stage_name")?,
            condition_type: wire(row.try_get("condition_type")?, ConditionType::from_wire)?,
            stage_attempt: row.try_get("stage_attempt")?,
            rule_name: row.try_get("rule_name")?,
            state: AttemptState::from_row(row)?,
            input: json(row.try_get("input")?)?,
            output: json(row.try_get("output")?)?,
        })
    }
}

pub async fn upsert_condition(conn: &mut AnyConnection, c: &ConditionRow) -> Result<()> {
    sqlx::query(
        "insert into condition_execution (execution_id, stage_name, condition_type, stage_attempt, status, summary,
             started_ms, updated_ms) values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (execution_id, stage_name, condition_type) do update set stage_attempt = excluded.stage_attempt,
             status = excluded.status, summary = excluded.summary, started_ms = excluded.started_ms,
             updated_ms = excluded.updated_ms",
    )
    .bind(&c.execution_id)
    .bind(&c.stage_name)
    .bind(c.condition_type.as_str())
    .bind(c.stage_attempt)
    .bind(c.status.as_str())
    .bind(&c.summary)
    .bind(c.started_ms)
    .bind(c.updated_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn upsert_rule(conn: &mut AnyConnection, r: &RuleRow) -> Result<()> {
    let query = sqlx::query(&UPSERT_RULE)
        .bind(&r.rule_execution_id)
        .bind(&r.execution_id)
        .bind(&r.stage_name)
        .bind(r.condition_type.as_str())
        .bind(r.stage_attempt)
        .bind(&r.rule_name);
    r.state.bind(query).bind(to_json(&r.input)).bind(to_json(&r.output)).execute(&mut *conn).await?;
    Ok(())
}

pub async fn conditions_of(conn: &mut AnyConnection, execution_id: &str) -> Result<Vec<ConditionRow>> {
    let rows = sqlx::query("select * from condition_execution where execution_id = $1 order by started_ms")
        .bind(execution_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(ConditionRow::from_row).collect()
}

/// Every rule run of an execution (all evaluations), oldest first.
pub async fn rules_of(conn: &mut AnyConnection, execution_id: &str) -> Result<Vec<RuleRow>> {
    let rows = sqlx::query(&format!(
        "select {} from rule_execution where execution_id = $1 order by started_ms, rule_execution_id",
        *RULE_COLUMNS
    ))
    .bind(execution_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(RuleRow::from_row).collect()
}

pub async fn rule(conn: &mut AnyConnection, rule_execution_id: &str) -> Result<Option<RuleRow>> {
    let row = sqlx::query(&format!("select {} from rule_execution where rule_execution_id = $1", *RULE_COLUMNS))
        .bind(rule_execution_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(RuleRow::from_row).transpose()
}

/// The newest evaluation of a condition of a stage in a pipeline, for GetPipelineState: the
/// condition row and its rules.
pub async fn latest_condition(
    conn: &mut AnyConnection,
    pipeline: &str,
    stage: &str,
    condition_type: ConditionType,
) -> Result<Option<(ConditionRow, Vec<RuleRow>)>> {
    let row = sqlx::query(
        "select c.* from condition_execution c join pipeline_execution e using (execution_id)
         where e.pipeline_name = $1 and c.stage_name = $2 and c.condition_type = $3
         order by c.started_ms desc, e.seq desc limit 1",
    )
    .bind(pipeline)
    .bind(stage)
    .bind(condition_type.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(condition) = row.as_ref().map(ConditionRow::from_row).transpose()? else { return Ok(None) };
    let rules = rules_of(conn, &condition.execution_id)
        .await?
        .into_iter()
        .filter(|r| {
            r.stage_name == stage && r.condition_type == condition_type && r.stage_attempt == condition.stage_attempt
        })
        .collect();
    Ok(Some((condition, rules)))
}
