//! ListActionTypes and GetActionType, answered from the model's provider catalogue and the
//! custom action types of this Sluice.
use super::custom_action_types;
use super::error::{ApiError, ApiResult};
use crate::AppState;
use model::catalog::{self, ActionTypeSpec};
use model::{ActionCategory, ActionOwner};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListInput {
    action_owner_filter: Option<ActionOwner>,
    #[allow(dead_code)] // Accepted for compatibility: every region has the same catalogue here.
    region_filter: Option<String>,
    next_token: Option<String>,
}

/// The whole catalogue fits in one page (custom types are at most 50), so a token can only be
/// one we never issued.
pub async fn list(state: &AppState, input: ListInput) -> ApiResult<Value> {
    if input.next_token.is_some() {
        return Err(ApiError::new("InvalidNextTokenException", "The next token is not valid."));
    }
    let wanted = |owner: ActionOwner| input.action_owner_filter.is_none_or(|filter| filter == owner);
    let mut types: Vec<Value> = catalog::all().iter().filter(|spec| wanted(spec.owner)).map(action_type).collect();
    if wanted(ActionOwner::Custom) {
        let custom = state.engine.custom_action_types().await?;
        types.extend(custom.iter().map(custom_action_types::action_type));
    }
    Ok(json!({ "actionTypes": types }))
}

#[derive(Deserialize)]
pub struct GetInput {
    category: ActionCategory,
    owner: String,
    provider: String,
    version: String,
}

pub async fn get(state: &AppState, input: GetInput) -> ApiResult<Value> {
    if input.owner == ActionOwner::Custom.as_str() {
        let declared = state.engine.custom_action_type(input.category, &input.provider, &input.version).await?;
        return Ok(json!({ "actionType": custom_action_types::declaration(&declared) }));
    }
    let spec = catalog::all()
        .iter()
        .find(|s| {
            s.category == input.category
                && wire(&s.owner) == input.owner
                && s.provider == input.provider
                && s.version == input.version
        })
        .ok_or_else(|| {
            ApiError::new(
                "ActionTypeNotFoundException",
                format!(
                    "Action type {}/{}/{}/{} does not exist",
                    input.owner,
                    wire(&input.category),
                    input.provider,
                    input.version
                ),
            )
        })?;
    let properties: Vec<Value> = spec
        .properties
        .iter()
        .map(|p| {
            json!({
                "name": p.name, "optional": !p.required, "key": p.key,
                "noEcho": p.secret, "queryable": p.queryable, "description": p.description,
            })
        })
        .collect();
    Ok(json!({
        "actionType": {
            "description": describe(spec),
            "executor": { "configuration": { "jobWorkerExecutorConfiguration": {} }, "type": "JobWorker" },
            "id": id(spec),
            "inputArtifactDetails": counts(spec.input_artifacts),
            "outputArtifactDetails": counts(spec.output_artifacts),
            "properties": properties,
        }
    }))
}

/// One `ActionType` of ListActionTypes. `sluiceRunsLocally` is ours: SDKs ignore members they do
/// not know, and the UI uses it to mark providers Sluice accepts but cannot run yet.
fn action_type(spec: &ActionTypeSpec) -> Value {
    json!({
        "id": id(spec),
        "settings": {},
        "actionConfigurationProperties": configuration_properties(spec.properties),
        "inputArtifactDetails": counts(spec.input_artifacts),
        "outputArtifactDetails": counts(spec.output_artifacts),
        "sluiceRunsLocally": spec.runs_locally,
    })
}

/// Configuration properties as ListActionTypes and ListRuleTypes describe them.
pub fn configuration_properties(properties: &[model::catalog::PropertySpec]) -> Vec<Value> {
    properties
        .iter()
        .map(|p| {
            json!({
                "name": p.name, "required": p.required, "key": p.key, "secret": p.secret,
                "queryable": p.queryable, "description": p.description, "type": "String",
            })
        })
        .collect()
}

fn id(spec: &ActionTypeSpec) -> Value {
    json!({ "category": spec.category, "owner": spec.owner, "provider": spec.provider, "version": spec.version })
}

fn counts((minimum, maximum): (u8, u8)) -> Value {
    json!({ "minimumCount": minimum, "maximumCount": maximum })
}

fn describe(spec: &ActionTypeSpec) -> String {
    if spec.runs_locally {
        spec.description.to_owned()
    } else {
        format!("{} (Sluice accepts this provider in pipelines but cannot run it yet.)", spec.description)
    }
}

/// The wire spelling of an enum value.
fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
