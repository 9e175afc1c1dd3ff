//! The operations that change executions: start, stop, retry, roll back, approvals and
//! transitions. The read side is `execution_state`.
use super::error::{ApiError, ApiResult};
use super::wire::epoch_seconds;
use crate::auth::Caller;
use crate::AppState;
use engine::runs::SourceRevisionOverride;
use engine::{ApprovalReply, ApprovalStatus, RetryMode, StartRequest};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct NameValue {
    name: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartInput {
    name: String,
    #[serde(default)]
    variables: Vec<NameValue>,
    client_request_token: Option<String>,
    #[serde(default)]
    source_revisions: Vec<SourceRevisionOverride>,
}

pub async fn start(state: &AppState, caller: &Caller, input: StartInput) -> ApiResult<Value> {
    let mut request = StartRequest::by_user(&caller.principal());
    request.variables = input.variables.into_iter().map(|v| (v.name, v.value)).collect();
    request.client_request_token = input.client_request_token;
    request.source_revisions = input.source_revisions;
    let id = state.engine.start_execution(&input.name, request).await?;
    Ok(json!({ "pipelineExecutionId": id }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopInput {
    pipeline_name: String,
    pipeline_execution_id: String,
    #[serde(default)]
    abandon: bool,
    reason: Option<String>,
}

pub async fn stop(state: &AppState, input: StopInput) -> ApiResult<Value> {
    if input.reason.as_ref().is_some_and(|r| r.chars().count() > 200) {
        return Err(ApiError::validation("The stop reason must be at most 200 characters."));
    }
    state
        .engine
        .stop_execution(&input.pipeline_name, &input.pipeline_execution_id, input.abandon, input.reason)
        .await?;
    Ok(json!({ "pipelineExecutionId": input.pipeline_execution_id }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryInput {
    pipeline_name: String,
    stage_name: String,
    pipeline_execution_id: String,
    retry_mode: String,
}

pub async fn retry(state: &AppState, caller: &Caller, input: RetryInput) -> ApiResult<Value> {
    let mode = match input.retry_mode.as_str() {
        "FAILED_ACTIONS" => RetryMode::FailedActions,
        "ALL_ACTIONS" => RetryMode::AllActions,
        other => {
            return Err(ApiError::validation(format!("retryMode '{other}' must be FAILED_ACTIONS or ALL_ACTIONS.")))
        }
    };
    state
        .engine
        .retry_stage(&input.pipeline_name, &input.stage_name, &input.pipeline_execution_id, mode, &caller.principal())
        .await?;
    Ok(json!({ "pipelineExecutionId": input.pipeline_execution_id }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollbackInput {
    pipeline_name: String,
    stage_name: String,
    target_pipeline_execution_id: String,
}

pub async fn rollback(state: &AppState, caller: &Caller, input: RollbackInput) -> ApiResult<Value> {
    let by = caller.principal();
    let id = state
        .engine
        .rollback_stage(&input.pipeline_name, &input.stage_name, &input.target_pipeline_execution_id, &by)
        .await?;
    Ok(json!({ "pipelineExecutionId": id }))
}

#[derive(Deserialize)]
pub struct ApprovalResult {
    summary: String,
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalInput {
    pipeline_name: String,
    stage_name: String,
    action_name: String,
    result: ApprovalResult,
    token: String,
}

pub async fn approve(state: &AppState, caller: &Caller, input: ApprovalInput) -> ApiResult<Value> {
    let Some(status) = ApprovalStatus::from_wire(&input.result.status) else {
        let other = &input.result.status;
        return Err(ApiError::validation(format!("result.status '{other}' must be Approved or Rejected.")));
    };
    if input.result.summary.chars().count() > 512 {
        return Err(ApiError::validation("result.summary must be at most 512 characters."));
    }
    let at = state
        .engine
        .put_approval(
            &input.pipeline_name,
            ApprovalReply {
                stage: &input.stage_name,
                action: &input.action_name,
                token: &input.token,
                status,
                summary: &input.result.summary,
            },
            &caller.arn,
        )
        .await?;
    Ok(json!({ "approvedAt": epoch_seconds(at) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransitionInput {
    pipeline_name: String,
    stage_name: String,
    transition_type: String,
    reason: Option<String>,
}

pub async fn enable_transition(state: &AppState, caller: &Caller, input: TransitionInput) -> ApiResult<Value> {
    let stage = transition_stage(state, &input).await?;
    state.engine.set_stage_transition(&input.pipeline_name, &stage, true, None, &caller.arn).await?;
    Ok(json!({}))
}

pub async fn disable_transition(state: &AppState, caller: &Caller, input: TransitionInput) -> ApiResult<Value> {
    let reason = input.reason.clone().unwrap_or_default();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!@ ().*?-".contains(c);
    if reason.is_empty() || reason.chars().count() > 300 || !reason.chars().all(allowed) {
        return Err(ApiError::validation(
            "reason is required: 1 to 300 characters of letters, digits, spaces and !@().*?-",
        ));
    }
    let stage = transition_stage(state, &input).await?;
    state.engine.set_stage_transition(&input.pipeline_name, &stage, false, Some(reason), &caller.arn).await?;
    Ok(json!({}))
}

/// Sluice keeps transitions as each stage's inbound one; a stage's outbound transition is the
/// next stage's inbound.
async fn transition_stage(state: &AppState, input: &TransitionInput) -> ApiResult<String> {
    let record = state.engine.pipeline(&input.pipeline_name, None).await?;
    let stages = &record.declaration.stages;
    let index = stages.iter().position(|s| s.name == input.stage_name).ok_or_else(|| {
        ApiError::new(
            "StageNotFoundException",
            format!("Pipeline '{}' has no stage '{}'.", input.pipeline_name, input.stage_name),
        )
    })?;
    match input.transition_type.as_str() {
        "Inbound" => Ok(input.stage_name.clone()),
        "Outbound" => stages
            .get(index + 1)
            .map(|s| s.name.clone())
            .ok_or_else(|| ApiError::validation("The last stage has no outbound transition.")),
        other => Err(ApiError::validation(format!("transitionType '{other}' must be Inbound or Outbound."))),
    }
}
