//! The approvals history: one row per answer to a manual approval, written in the transaction that
//! applies the answer and kept after the action finishes.
use super::Result;
use crate::ApprovalStatus;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One approver's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRow {
    /// Assigned by the database; 0 before the row is stored.
    pub decision_id: i64,
    pub pipeline_name: String,
    pub execution_id: String,
    pub stage_name: String,
    pub action_name: String,
    pub action_execution_id: String,
    pub approver_arn: String,
    pub result: ApprovalStatus,
    pub comment: String,
    pub decided_ms: i64,
}

/// What to list; every field left `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct DecisionFilter {
    pub pipeline_name: Option<String>,
    pub execution_id: Option<String>,
    pub approver_arn: Option<String>,
    pub result: Option<ApprovalStatus>,
    pub limit: Option<i64>,
}

const COLUMNS: &str =
    "pipeline_name, execution_id, stage_name, action_name, action_execution_id, approver_arn, result, \
    comment, decided_ms";

pub async fn insert_decision(conn: &mut AnyConnection, d: &DecisionRow) -> Result<()> {
    sqlx::query(&format!("insert into approval_decision ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(&d.pipeline_name)
        .bind(&d.execution_id)
        .bind(&d.stage_name)
        .bind(&d.action_name)
        .bind(&d.action_execution_id)
        .bind(&d.approver_arn)
        .bind(d.result.as_str())
        .bind(&d.comment)
        .bind(d.decided_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Matching decisions, newest first.
pub async fn list_decisions(conn: &mut AnyConnection, filter: &DecisionFilter) -> Result<Vec<DecisionRow>> {
    let rows = sqlx::query(&format!(
        "select decision_id, {COLUMNS} from approval_decision
         where (cast($1 as text) is null or pipeline_name = $1) and (cast($2 as text) is null or execution_id = $2)
           and (cast($3 as text) is null or approver_arn = $3) and (cast($4 as text) is null or result = $4)
         order by decision_id desc limit $5"
    ))
    .bind(&filter.pipeline_name)
    .bind(&filter.execution_id)
    .bind(&filter.approver_arn)
    .bind(filter.result.map(ApprovalStatus::as_str))
    .bind(filter.limit.unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(decision_of).collect()
}

fn decision_of(row: &AnyRow) -> Result<DecisionRow> {
    Ok(DecisionRow {
        decision_id: row.try_get("decision_id")?,
        pipeline_name: row.try_get("pipeline_name")?,
        execution_id: row.try_get("execution_id")?,
        stage_name: row.try_get("stage_name")?,
        action_name: row.try_get("action_name")?,
        action_execution_id: row.try_get("action_execution_id")?,
        approver_arn: row.try_get("approver_arn")?,
        result: super::columns::wire(row.try_get("result")?, ApprovalStatus::from_wire)?,
        comment: row.try_get("comment")?,
        decided_ms: row.try_get("decided_ms")?,
    })
}
