//! Server function of the log page: which action a log belongs to and where it stands. The lines
//! themselves come from the server's log endpoints (`/api/v1/action-executions/{id}/log...`),
//! which check the same permission.
use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The action attempt whose log the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSubject {
    pub now_ms: i64,
    pub pipeline: String,
    pub execution_id: String,
    pub stage: String,
    pub action: String,
    pub status: String,
    pub started_ms: i64,
    pub updated_ms: i64,
}

impl LogSubject {
    /// Whether more lines may still come.
    pub fn running(&self) -> bool {
        self.status == "InProgress"
    }
}

/// The attempt `action_execution_id` of execution `execution_id` of `pipeline`.
#[server(output = crate::api::codec::Json)]
pub async fn load_log_subject(
    pipeline: String,
    execution_id: String,
    action_execution_id: String,
) -> Result<LogSubject, AppError> {
    use super::ssr::*;
    let engine = engine()?;
    super::runs::allowed(&engine, "GetPipelineState", &pipeline, &[])?;
    let actions = engine.action_runs(&pipeline, &execution_id).await.map_err(engine_error)?;
    let row = actions.into_iter().find(|a| a.action_execution_id == action_execution_id).ok_or_else(|| {
        AppError::NotFound(format!(
            "Execution \u{201c}{execution_id}\u{201d} of \u{201c}{pipeline}\u{201d} has no action run \u{201c}{action_execution_id}\u{201d}."
        ))
    })?;
    Ok(LogSubject {
        now_ms: now_ms(),
        pipeline,
        execution_id,
        stage: row.stage_name,
        action: row.action_name,
        status: row.state.status.as_str().to_owned(),
        started_ms: row.state.started_ms,
        updated_ms: row.state.updated_ms,
    })
}

/// The log page of an action attempt.
pub fn log_href(pipeline: &str, execution_id: &str, action_execution_id: &str) -> String {
    format!("{}/executions/{execution_id}/logs/{action_execution_id}", super::pipeline_href(pipeline))
}

/// The whole log as plain text (the server's endpoint).
pub fn raw_log_href(action_execution_id: &str) -> String {
    format!("/api/v1/action-executions/{action_execution_id}/log.txt")
}
