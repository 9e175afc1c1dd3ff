//! The approval inbox: every manual approval waiting for an answer, across all pipelines.
use crate::store::executions as rows;
use crate::{Engine, Result};
use model::ActionCategory;
use serde::Serialize;

/// One approval waiting for an answer, with what the approver needs to decide.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingApproval {
    pub pipeline_name: String,
    pub execution_id: String,
    pub stage_name: String,
    pub action_name: String,
    pub action_execution_id: String,
    pub token: String,
    pub summary: Option<String>,
    pub custom_data: Option<String>,
    pub external_entity_link: Option<String>,
    pub requested_ms: i64,
    pub expires_ms: Option<i64>,
}

impl Engine {
    /// Every pending approval, oldest request first.
    pub async fn pending_approvals(&self) -> Result<Vec<PendingApproval>> {
        let mut conn = self.store.conn().await?;
        let waiting = rows::pending_approvals(&mut conn).await?;
        Ok(waiting
            .into_iter()
            .filter_map(|(pipeline_name, row)| {
                let configuration = &row.input["resolvedConfiguration"];
                let text = |key: &str| configuration[key].as_str().map(str::to_owned);
                Some(PendingApproval {
                    custom_data: text("CustomData"),
                    external_entity_link: text("ExternalEntityLink"),
                    token: row.token?,
                    pipeline_name,
                    execution_id: row.execution_id,
                    stage_name: row.stage_name,
                    action_name: row.action_name,
                    action_execution_id: row.action_execution_id,
                    summary: row.summary,
                    requested_ms: row.started_ms,
                    expires_ms: row.expires_ms,
                })
            })
            .collect())
    }

    /// Whether an action of a pipeline version is a manual approval (false when it does not exist).
    pub async fn is_approval_action(&self, pipeline: &str, version: u32, stage: &str, action: &str) -> Result<bool> {
        let decl = self.declaration(pipeline, version).await?;
        Ok(decl
            .stages
            .iter()
            .filter(|s| s.name == stage)
            .flat_map(|s| &s.actions)
            .any(|a| a.name == action && a.action_type_id.category == ActionCategory::Approval))
    }
}
