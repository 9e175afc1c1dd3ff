//! ListDeployActionExecutionTargets: the targets (instances, ...) a deploy action execution
//! deployed to, one by one. Sluice's deploy actions do not deploy to targets it follows one by
//! one yet (CodeDeploy's EC2 deployments are where CodePipeline fills this), so an action
//! execution that exists answers no targets; one that does not gets AWS's exception.
use super::error::{ApiError, ApiResult};
use super::wire::{offset_page, page_size};
use crate::auth::{self, Caller};
use crate::AppState;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    pipeline_name: Option<String>,
    action_execution_id: String,
    #[serde(default)]
    filters: Vec<TargetFilter>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
struct TargetFilter {
    name: String,
}

pub async fn list(state: &AppState, caller: &Caller, input: ListInput) -> ApiResult<Value> {
    let limit = page_size(input.max_results, 100, 100)? as usize;
    if let Some(filter) = input.filters.iter().find(|f| f.name != "TARGET_STATUS") {
        return Err(ApiError::validation(format!(
            "filters.name {:?} is not a target filter: the only one is TARGET_STATUS.",
            filter.name
        )));
    }
    let id = &input.action_execution_id;
    let pipeline = state
        .engine
        .action_pipeline(id)
        .await?
        .filter(|pipeline| input.pipeline_name.as_deref().is_none_or(|name| name == pipeline))
        .ok_or_else(|| {
            ApiError::new("ActionExecutionNotFoundException", format!("Action execution {id} does not exist."))
        })?;
    // The dispatcher checked the pipeline the caller named, if any; this is the one the action is in.
    let arn = state.engine.pipeline_arn(&pipeline);
    auth::authorize(caller, "codepipeline:ListDeployActionExecutionTargets", &arn)?;
    let (targets, next) = offset_page(Vec::<Value>::new(), input.next_token.as_deref(), limit)?;
    let mut answer = json!({ "targets": targets });
    if let Some(token) = next {
        answer["nextToken"] = json!(token);
    }
    Ok(answer)
}
