//! Stage conditions on the wire: OverrideStageCondition, ListRuleExecutions, and the condition
//! states GetPipelineState reports for each stage.
use super::error::{ApiError, ApiResult};
use super::wire::{epoch_seconds, offset_page, page_size};
use crate::AppState;
use engine::runs::{ConditionRow, ExecutionRow, RuleRow};
use model::{ActionExecutionStatus, ConditionType};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverrideInput {
    pipeline_name: String,
    stage_name: String,
    pipeline_execution_id: String,
    condition_type: String,
}

pub async fn override_condition(state: &AppState, input: OverrideInput) -> ApiResult<Value> {
    let kind = match ConditionType::from_wire(&input.condition_type) {
        Some(kind @ (ConditionType::BeforeEntry | ConditionType::OnSuccess)) => kind,
        _ => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{}' at 'conditionType' failed to satisfy constraint: Member must satisfy enum value set: [BEFORE_ENTRY, ON_SUCCESS]",
                input.condition_type
            )))
        }
    };
    state
        .engine
        .override_stage_condition(&input.pipeline_name, &input.stage_name, &input.pipeline_execution_id, kind)
        .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatestInExecution {
    pipeline_execution_id: String,
    start_time_range: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleFilter {
    pipeline_execution_id: Option<String>,
    latest_in_pipeline_execution: Option<LatestInExecution>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRulesInput {
    pipeline_name: String,
    filter: Option<RuleFilter>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// Rule executions newest first: of one execution, of its latest evaluations only
/// (`startTimeRange: Latest`), or of the pipeline's recent executions.
pub async fn list_rule_executions(state: &AppState, input: ListRulesInput) -> ApiResult<Value> {
    let limit = page_size(input.max_results, 100, 100)? as usize;
    let (execution_id, latest_only) = match input.filter {
        Some(RuleFilter { pipeline_execution_id: Some(_), latest_in_pipeline_execution: Some(_) }) => {
            return Err(ApiError::validation(
                "filter takes either pipelineExecutionId or latestInPipelineExecution, not both.",
            ))
        }
        Some(RuleFilter { latest_in_pipeline_execution: Some(latest), .. }) => match latest.start_time_range.as_str() {
            "Latest" => (Some(latest.pipeline_execution_id), true),
            "All" => (Some(latest.pipeline_execution_id), false),
            other => return Err(ApiError::validation(format!("startTimeRange '{other}' must be Latest or All."))),
        },
        Some(RuleFilter { pipeline_execution_id: Some(id), .. }) => (Some(id), false),
        _ => (None, false),
    };
    let executions = match execution_id {
        Some(id) => vec![state.engine.execution(&input.pipeline_name, &id).await?],
        None => state.engine.executions(&input.pipeline_name, None, 12).await?,
    };
    let mut details = Vec::new();
    for exec in &executions {
        let mut runs = state.engine.rule_runs(&input.pipeline_name, &exec.execution_id).await?;
        if latest_only {
            runs = latest_evaluations(runs);
        }
        runs.reverse();
        details.extend(runs.iter().map(|run| rule_detail(exec, run)));
    }
    let (page, next) = offset_page(details, input.next_token.as_deref(), limit)?;
    let mut answer = json!({ "ruleExecutionDetails": page });
    if let Some(token) = next {
        answer["nextToken"] = json!(token);
    }
    Ok(answer)
}

/// Only the rules of each condition's newest evaluation.
fn latest_evaluations(runs: Vec<RuleRow>) -> Vec<RuleRow> {
    let mut newest: HashMap<(String, ConditionType), (i64, i64)> = HashMap::new();
    for run in &runs {
        let key = (run.stage_name.clone(), run.condition_type);
        let at = (run.stage_attempt, run.state.started_ms);
        newest.entry(key).and_modify(|n| *n = (*n).max(at)).or_insert(at);
    }
    runs.into_iter()
        .filter(|r| {
            newest.get(&(r.stage_name.clone(), r.condition_type)) == Some(&(r.stage_attempt, r.state.started_ms))
        })
        .collect()
}

fn rule_detail(exec: &ExecutionRow, run: &RuleRow) -> Value {
    json!({
        "pipelineExecutionId": exec.execution_id,
        "ruleExecutionId": run.rule_execution_id,
        "pipelineVersion": exec.pipeline_version,
        "stageName": run.stage_name,
        "ruleName": run.rule_name,
        "startTime": epoch_seconds(run.state.started_ms),
        "lastUpdateTime": epoch_seconds(run.state.updated_ms),
        "status": run.state.status.as_str(),
        "input": run.input,
        "output": { "executionResult": execution_result(run) },
    })
}

fn execution_result(run: &RuleRow) -> Value {
    let mut result = json!({});
    if let Some(summary) = &run.state.summary {
        result["externalExecutionSummary"] = json!(summary);
    }
    if let (Some(code), Some(message)) = (&run.state.error_code, &run.state.error_message) {
        result["errorDetails"] = json!({ "code": code, "message": message });
    }
    result
}

/// Adds `beforeEntryConditionState`, `onSuccessConditionState` and `onFailureConditionState` to
/// a StageState for the conditions that have been evaluated.
pub fn add_condition_states(stage_state: &mut Value, conditions: &[(ConditionType, ConditionRow, Vec<RuleRow>)]) {
    for (kind, row, rules) in conditions {
        let key = match kind {
            ConditionType::BeforeEntry => "beforeEntryConditionState",
            ConditionType::OnSuccess => "onSuccessConditionState",
            ConditionType::OnFailure => "onFailureConditionState",
        };
        let mut summary = json!({ "status": row.status.as_str() });
        if let Some(text) = &row.summary {
            summary["summary"] = json!(text);
        }
        let mut condition = summary.clone();
        condition["lastStatusChange"] = json!(epoch_seconds(row.updated_ms));
        stage_state[key] = json!({
            "latestExecution": summary,
            "conditionStates": [{
                "latestExecution": condition,
                "ruleStates": rules.iter().map(rule_state).collect::<Vec<_>>(),
            }],
        });
    }
}

fn rule_state(run: &RuleRow) -> Value {
    let mut latest = json!({
        "ruleExecutionId": run.rule_execution_id,
        "status": run.state.status.as_str(),
        "lastStatusChange": epoch_seconds(run.state.updated_ms),
    });
    if let Some(summary) = &run.state.summary {
        latest["summary"] = json!(summary);
    }
    if run.state.status == ActionExecutionStatus::Failed {
        if let (Some(code), Some(message)) = (&run.state.error_code, &run.state.error_message) {
            latest["errorDetails"] = json!({ "code": code, "message": message });
        }
    }
    json!({ "ruleName": run.rule_name, "latestExecution": latest })
}
