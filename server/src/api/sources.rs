//! PutActionRevision (a client reports a source revision) and ListRuleTypes (the rule types stage
//! conditions may use, from the model's catalogue).
use super::error::{ApiError, ApiResult};
use crate::auth::Caller;
use crate::AppState;
use engine::ActionRevision;
use model::catalog::{self, RuleTypeSpec};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionInput {
    revision_id: String,
    revision_change_id: String,
    /// Epoch seconds, as every AWS JSON timestamp.
    created: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutRevisionInput {
    pipeline_name: String,
    stage_name: String,
    action_name: String,
    action_revision: RevisionInput,
}

pub async fn put_action_revision(state: &AppState, caller: &Caller, input: PutRevisionInput) -> ApiResult<Value> {
    let revision = input.action_revision;
    check_length("actionRevision.revisionId", &revision.revision_id, 1500)?;
    check_length("actionRevision.revisionChangeId", &revision.revision_change_id, 100)?;
    if !revision.created.is_finite() {
        return Err(ApiError::validation("actionRevision.created must be a timestamp."));
    }
    let revision = ActionRevision {
        revision_id: revision.revision_id,
        revision_change_id: revision.revision_change_id,
        created_ms: (revision.created * 1000.0).round() as i64,
    };
    let by = caller.principal();
    let outcome = state
        .engine
        .put_action_revision(&input.pipeline_name, &input.stage_name, &input.action_name, revision, &by)
        .await?;
    let mut answer = json!({ "newRevision": outcome.new_revision });
    if let Some(id) = outcome.execution_id {
        answer["pipelineExecutionId"] = json!(id);
    }
    Ok(answer)
}

fn check_length(member: &str, value: &str, max: usize) -> ApiResult<()> {
    let length = value.chars().count();
    if (1..=max).contains(&length) {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length between 1 and {max}"
        )))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRuleTypesInput {
    rule_owner_filter: Option<String>,
    #[allow(dead_code)] // Accepted for compatibility: every region has the same catalogue here.
    region_filter: Option<String>,
}

/// Every catalogued rule type is owned by AWS, the only owner the API knows.
pub fn list_rule_types(input: ListRuleTypesInput) -> ApiResult<Value> {
    if let Some(owner) = input.rule_owner_filter.as_deref().filter(|o| *o != "AWS") {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{owner}' at 'ruleOwnerFilter' failed to satisfy constraint: Member must satisfy enum value set: [AWS]"
        )));
    }
    let types: Vec<Value> = catalog::rule_types().iter().map(rule_type).collect();
    Ok(json!({ "ruleTypes": types }))
}

/// One `RuleType`; `sluiceRunsLocally` is ours, as in ListActionTypes (SDKs ignore it).
fn rule_type(spec: &RuleTypeSpec) -> Value {
    let (minimum, maximum) = spec.input_artifacts;
    json!({
        "id": { "category": "Rule", "owner": "AWS", "provider": spec.provider, "version": spec.version },
        "settings": {},
        "ruleConfigurationProperties": super::action_types::configuration_properties(spec.properties),
        "inputArtifactDetails": { "minimumCount": minimum, "maximumCount": maximum },
        "sluiceRunsLocally": spec.runs_locally,
    })
}
