//! Reading executions: GetPipelineExecution, ListPipelineExecutions, GetPipelineState and
//! ListActionExecutions.
use super::error::{ApiError, ApiResult};
use super::wire::{epoch_seconds, offset_page, page_size};
use crate::AppState;
use engine::runs::{ActionRow, ExecutionRow};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetExecutionInput {
    pipeline_name: String,
    pipeline_execution_id: String,
}

pub async fn get_execution(state: &AppState, input: GetExecutionInput) -> ApiResult<Value> {
    let exec = state.engine.execution(&input.pipeline_name, &input.pipeline_execution_id).await?;
    let runs = state.engine.action_runs(&input.pipeline_name, &input.pipeline_execution_id).await?;
    let mut out = json!({
        "pipelineName": exec.pipeline_name,
        "pipelineVersion": exec.pipeline_version,
        "pipelineExecutionId": exec.execution_id,
        "status": exec.status.as_str(),
        "artifactRevisions": artifact_revisions(&runs),
        "variables": exec.variables,
        "trigger": trigger(&exec),
        "executionMode": exec.execution_mode.as_str(),
        "executionType": exec.execution_type.as_str(),
    });
    if let Some(summary) = &exec.status_summary {
        out["statusSummary"] = json!(summary);
    }
    if let Some(target) = &exec.rollback_target {
        out["rollbackMetadata"] = json!({ "rollbackTargetPipelineExecutionId": target });
    }
    Ok(json!({ "pipelineExecution": out }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListExecutionsInput {
    pipeline_name: String,
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub async fn list_executions(state: &AppState, input: ListExecutionsInput) -> ApiResult<Value> {
    let limit = page_size(input.max_results, 100, 100)?;
    let before = input
        .next_token
        .as_deref()
        .map(|t| {
            t.parse::<i64>().map_err(|_| ApiError::new("InvalidNextTokenException", "The next token is not valid."))
        })
        .transpose()?;
    let mut execs = state.engine.executions(&input.pipeline_name, before, limit + 1).await?;
    let more = execs.len() as i64 > limit;
    execs.truncate(limit as usize);
    let mut summaries = Vec::new();
    for exec in &execs {
        let runs = state.engine.action_runs(&input.pipeline_name, &exec.execution_id).await?;
        let mut summary = json!({
            "pipelineExecutionId": exec.execution_id,
            "status": exec.status.as_str(),
            "startTime": epoch_seconds(exec.created_ms),
            "lastUpdateTime": epoch_seconds(exec.updated_ms),
            "sourceRevisions": source_revisions(&runs),
            "trigger": trigger(exec),
            "executionMode": exec.execution_mode.as_str(),
            "executionType": exec.execution_type.as_str(),
        });
        if let Some(text) = &exec.status_summary {
            summary["statusSummary"] = json!(text);
        }
        if let Some(reason) = &exec.stop_reason {
            summary["stopTrigger"] = json!({ "reason": reason });
        }
        if let Some(target) = &exec.rollback_target {
            summary["rollbackMetadata"] = json!({ "rollbackTargetPipelineExecutionId": target });
        }
        summaries.push(summary);
    }
    let mut answer = json!({ "pipelineExecutionSummaries": summaries });
    if let Some(last) = execs.last().filter(|_| more) {
        answer["nextToken"] = json!(last.seq.to_string());
    }
    Ok(answer)
}

#[derive(Deserialize)]
pub struct StateInput {
    name: String,
}

pub async fn get_state(state: &AppState, input: StateInput) -> ApiResult<Value> {
    let (record, stages) = state.engine.pipeline_state(&input.name).await?;
    let stage_states: Vec<Value> = stages
        .iter()
        .map(|stage| {
            let mut out = json!({
                "stageName": stage.stage_name,
                "inboundExecutions": stage.inbound.iter().map(execution_ref).collect::<Vec<_>>(),
                "inboundTransitionState": match &stage.transition {
                    Some(t) => json!({
                        "enabled": t.enabled,
                        "lastChangedBy": t.last_changed_by,
                        "lastChangedAt": epoch_seconds(t.last_changed_ms),
                        "disabledReason": t.disabled_reason,
                    }),
                    None => json!({ "enabled": true }),
                },
                "actionStates": stage.actions.iter().map(|(name, run)| action_state(name, run.as_ref())).collect::<Vec<_>>(),
            });
            if let Some(first) = stage.inbound.last() {
                out["inboundExecution"] = execution_ref(first);
            }
            super::conditions::add_condition_states(&mut out, &stage.conditions);
            if let Some((row, exec)) = &stage.latest {
                out["latestExecution"] = json!({ "pipelineExecutionId": exec.execution_id, "status": row.status.as_str(), "type": exec.execution_type.as_str() });
                if let Some(latest) = &row.last_retry_trigger {
                    out["retryStageMetadata"] = json!({
                        "autoStageRetryAttempt": row.auto_retries,
                        "manualStageRetryAttempt": row.manual_retries,
                        "latestRetryTrigger": latest.as_str(),
                    });
                }
            }
            out
        })
        .collect();
    Ok(json!({
        "pipelineName": record.declaration.name,
        "pipelineVersion": record.declaration.version,
        "stageStates": stage_states,
        "created": epoch_seconds(record.created_ms),
        "updated": epoch_seconds(record.updated_ms),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionFilter {
    pipeline_execution_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListActionsInput {
    pipeline_name: String,
    filter: Option<ActionFilter>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub async fn list_actions(state: &AppState, input: ListActionsInput) -> ApiResult<Value> {
    let limit = page_size(input.max_results, 100, 100)? as usize;
    let executions = match input.filter.and_then(|f| f.pipeline_execution_id) {
        Some(id) => vec![state.engine.execution(&input.pipeline_name, &id).await?],
        None => state.engine.executions(&input.pipeline_name, None, 12).await?,
    };
    let mut details = Vec::new();
    for exec in &executions {
        let mut runs = state.engine.action_runs(&input.pipeline_name, &exec.execution_id).await?;
        runs.reverse();
        details.extend(runs.iter().map(|run| action_detail(exec, run)));
    }
    let (page, next) = offset_page(details, input.next_token.as_deref(), limit)?;
    let mut answer = json!({ "actionExecutionDetails": page });
    if let Some(token) = next {
        answer["nextToken"] = json!(token);
    }
    Ok(answer)
}

fn execution_ref(exec: &ExecutionRow) -> Value {
    json!({ "pipelineExecutionId": exec.execution_id, "status": exec.status.as_str(), "type": exec.execution_type.as_str() })
}

fn trigger(exec: &ExecutionRow) -> Value {
    json!({ "triggerType": exec.trigger_type.as_str(), "triggerDetail": exec.trigger_detail })
}

fn action_state(name: &str, run: Option<&ActionRow>) -> Value {
    let mut out = json!({ "actionName": name });
    let Some(run) = run else { return out };
    let mut latest = json!({
        "actionExecutionId": run.action_execution_id,
        "status": run.state.status.as_str(),
        "lastStatusChange": epoch_seconds(run.state.updated_ms),
    });
    let mut set = |key: &str, value: &Option<String>| {
        if let Some(value) = value {
            latest[key] = json!(value);
        }
    };
    set("summary", &run.state.summary);
    set("externalExecutionId", &run.external_execution_id);
    set("externalExecutionUrl", &run.external_execution_url);
    // An approval's token is how it is answered; a custom or partner action's token is its job
    // id, which only the workers that poll for it get.
    if run.state.status == model::ActionExecutionStatus::InProgress && !engine::jobs::is_job(run) {
        set("token", &run.token);
    }
    if let Some(percent) = run.output.percent_complete {
        latest["percentComplete"] = json!(percent);
    }
    if let Some(answer) = &run.output.approval {
        latest["lastUpdatedBy"] = json!(answer.answered_by);
    }
    if let (Some(code), Some(message)) = (&run.state.error_code, &run.state.error_message) {
        latest["errorDetails"] = json!({ "code": code, "message": message });
    }
    out["latestExecution"] = latest;
    if let Some(revision) = &run.output.revision {
        out["currentRevision"] = json!({
            "revisionId": revision.revision_id,
            "revisionChangeId": revision.revision_change_id,
            "created": revision.created_ms.map(epoch_seconds),
        });
    }
    out
}

fn action_detail(exec: &ExecutionRow, run: &ActionRow) -> Value {
    // The resolved environment may hold what secrets resolve to: it never leaves the engine.
    let input = engine::runs::ActionInput { resolved_environment: Default::default(), ..run.input.clone() };
    let mut result = Map::new();
    for (key, value) in [
        ("externalExecutionId", &run.external_execution_id),
        ("externalExecutionSummary", &run.state.summary),
        ("externalExecutionUrl", &run.external_execution_url),
    ] {
        if let Some(value) = value {
            result.insert(key.into(), json!(value));
        }
    }
    if let (Some(code), Some(message)) = (&run.state.error_code, &run.state.error_message) {
        result.insert("errorDetails".into(), json!({ "code": code, "message": message }));
    }
    let output_artifacts: Vec<Value> = run
        .output
        .output_artifacts
        .iter()
        .map(|a| {
            let s3 = &a.location.s3_location;
            json!({ "name": a.name, "s3location": { "bucket": s3.bucket_name, "key": s3.object_key } })
        })
        .collect();
    json!({
        "pipelineExecutionId": exec.execution_id,
        "actionExecutionId": run.action_execution_id,
        "pipelineVersion": exec.pipeline_version,
        "stageName": run.stage_name,
        "actionName": run.action_name,
        "startTime": epoch_seconds(run.state.started_ms),
        "lastUpdateTime": epoch_seconds(run.state.updated_ms),
        "status": run.state.status.as_str(),
        "input": input,
        "output": {
            "outputArtifacts": output_artifacts,
            "executionResult": result,
            "outputVariables": run.output.output_variables,
        },
    })
}

fn artifact_revisions(runs: &[ActionRow]) -> Vec<Value> {
    runs.iter()
        .filter_map(|run| {
            let revision = run.output.revision.as_ref()?;
            Some(json!({
                "name": run.output.output_artifacts.first().map(|a| &a.name),
                "revisionId": revision.revision_id,
                "revisionChangeIdentifier": revision.revision_change_id,
                "revisionSummary": revision.revision_summary,
                "created": revision.created_ms.map(epoch_seconds),
            }))
        })
        .collect()
}

fn source_revisions(runs: &[ActionRow]) -> Vec<Value> {
    runs.iter()
        .filter_map(|run| {
            let revision = run.output.revision.as_ref()?;
            Some(json!({
                "actionName": run.action_name,
                "revisionId": revision.revision_id,
                "revisionSummary": revision.revision_summary,
            }))
        })
        .collect()
}
