//! CreatePipeline, GetPipeline, UpdatePipeline, DeletePipeline and ListPipelines.
use super::error::{ApiError, ApiResult};
use super::tags::{check_tags, WireTag};
use super::wire::{epoch_seconds, next_token, page_size, token_key};
use crate::auth::Caller;
use crate::AppState;
use engine::{EngineError, PipelineRecord};
use model::PipelineDeclaration;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    pipeline: PipelineDeclaration,
    tags: Option<Vec<WireTag>>,
}

pub async fn create(state: &AppState, caller: &Caller, input: CreateInput) -> ApiResult<Value> {
    let arn = state.engine.pipeline_arn(&input.pipeline.name);
    let tags = check_tags(input.tags.as_deref().unwrap_or_default(), &[], &arn)?;
    let record = state.engine.create_pipeline(input.pipeline, &tags, &caller.principal()).await?;
    let mut answer = json!({ "pipeline": state.engine.masked(record.declaration).await? });
    if let Some(tags) = input.tags {
        answer["tags"] = json!(tags);
    }
    Ok(answer)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetInput {
    name: String,
    version: Option<i64>,
}

pub async fn get(state: &AppState, input: GetInput) -> ApiResult<Value> {
    let version = match input.version {
        None => None,
        Some(v) => Some(u32::try_from(v).ok().filter(|v| *v >= 1).ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value '{v}' at 'version' failed to satisfy constraint: \
                 Member must have value greater than or equal to 1"
            ))
        })?),
    };
    let record = state.engine.pipeline(&input.name, version).await?;
    let metadata = metadata(state, &record);
    Ok(json!({ "pipeline": state.engine.masked(record.declaration).await?, "metadata": metadata }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInput {
    pipeline: PipelineDeclaration,
}

pub async fn update(state: &AppState, caller: &Caller, input: UpdateInput) -> ApiResult<Value> {
    // The engine keeps the stored secret where the update sends back the `****` a read showed.
    match state.engine.update_pipeline(input.pipeline, &caller.principal()).await {
        Ok(record) => Ok(json!({ "pipeline": state.engine.masked(record.declaration).await? })),
        // AWS answers an update of a missing pipeline with ResourceNotFoundException.
        Err(EngineError::PipelineNotFound(name)) => Err(ApiError::new(
            "ResourceNotFoundException",
            format!(
                "The account with id '{}' does not include a pipeline with the name '{name}'",
                state.engine.account().id
            ),
        )),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct DeleteInput {
    name: String,
}

/// Deleting a pipeline that does not exist succeeds, as it does on AWS.
pub async fn delete(state: &AppState, input: DeleteInput) -> ApiResult<Value> {
    state.engine.delete_pipeline(&input.name).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub async fn list(state: &AppState, input: ListInput) -> ApiResult<Value> {
    let limit = page_size(input.max_results, 1000, 100)?;
    let after = input.next_token.as_deref().map(token_key).transpose()?;
    // One extra row tells whether another page follows.
    let mut rows = state.engine.list_pipelines(after.as_deref(), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let pipelines: Vec<Value> = rows
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "version": p.version,
                "pipelineType": p.pipeline_type,
                "executionMode": p.execution_mode,
                "created": epoch_seconds(p.created_ms),
                "updated": epoch_seconds(p.updated_ms),
            })
        })
        .collect();
    let mut answer = json!({ "pipelines": pipelines });
    if let Some(last) = rows.last().filter(|_| more) {
        answer["nextToken"] = json!(next_token(&last.name));
    }
    Ok(answer)
}

/// A pipeline as reads show it: secret configuration values as `****`.
fn metadata(state: &AppState, record: &PipelineRecord) -> Value {
    json!({
        "pipelineArn": state.engine.pipeline_arn(&record.declaration.name),
        "created": epoch_seconds(record.created_ms),
        "updated": epoch_seconds(record.updated_ms),
    })
}
