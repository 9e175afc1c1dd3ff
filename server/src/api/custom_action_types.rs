//! CreateCustomActionType, DeleteCustomActionType and UpdateActionType, and the wire shapes of a
//! custom type that ListActionTypes and GetActionType answer with. The declaration itself is
//! `model::catalog::CustomActionType`; this module only maps it to and from the API's two shapes
//! (ActionType for Create/List, ActionTypeDeclaration for Get/Update).
use super::error::{ApiError, ApiResult};
use super::tags::{check_tags, WireTag};
use crate::AppState;
use model::catalog::custom::{ActionTypeSettings, ArtifactDetails, ConfigurationProperty};
use model::catalog::CustomActionType;
use model::{ActionCategory, ActionOwner, ActionTypeId};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    #[serde(flatten)]
    declared: CustomActionType,
    tags: Option<Vec<WireTag>>,
}

pub async fn create(state: &AppState, input: CreateInput) -> ApiResult<Value> {
    let arn = state.engine.action_type_arn(&input.declared.id());
    let tags = check_tags(input.tags.as_deref().unwrap_or_default(), &[], &arn)?;
    let created = state.engine.create_custom_action_type(input.declared, &tags).await?;
    let mut answer = json!({ "actionType": action_type(&created) });
    if let Some(tags) = input.tags {
        answer["tags"] = json!(tags);
    }
    Ok(answer)
}

#[derive(Deserialize)]
pub struct DeleteInput {
    category: ActionCategory,
    provider: String,
    version: String,
}

pub async fn delete(state: &AppState, input: DeleteInput) -> ApiResult<Value> {
    state.engine.delete_custom_action_type(input.category, &input.provider, &input.version).await?;
    Ok(json!({}))
}

/// UpdateActionType's `actionType` (ActionTypeDeclaration), of which Sluice keeps what a job
/// worker type has: no Lambda executors, no permissions beyond this account.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInput {
    action_type: Declaration,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Declaration {
    description: Option<String>,
    executor: Executor,
    id: ActionTypeId,
    input_artifact_details: ArtifactDetails,
    output_artifact_details: ArtifactDetails,
    #[serde(default)]
    properties: Vec<DeclaredProperty>,
    #[serde(default)]
    urls: Urls,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Executor {
    #[serde(rename = "type")]
    kind: String,
    job_timeout: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeclaredProperty {
    name: String,
    optional: bool,
    key: bool,
    no_echo: bool,
    #[serde(default)]
    queryable: bool,
    description: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Urls {
    configuration_url: Option<String>,
    entity_url_template: Option<String>,
    execution_url_template: Option<String>,
    revision_url_template: Option<String>,
}

pub async fn update(state: &AppState, input: UpdateInput) -> ApiResult<Value> {
    let declared = input.action_type;
    let id = &declared.id;
    if id.owner != ActionOwner::Custom {
        return Err(ApiError::new(
            "RequestFailedException",
            format!("Only custom action types can be updated here; {} is owned by {}.", id.provider, id.owner),
        ));
    }
    if declared.executor.kind != "JobWorker" {
        return Err(ApiError::validation(
            "Sluice runs custom action types with job workers only (executor type JobWorker).",
        ));
    }
    let current = state.engine.custom_action_type(id.category, &id.provider, &id.version).await?;
    // The declaration has no property types: each keeps the one it was created with.
    let properties = declared
        .properties
        .into_iter()
        .map(|p| ConfigurationProperty {
            value_type: current.property(&p.name).and_then(|old| old.value_type),
            name: p.name,
            required: !p.optional,
            key: p.key,
            secret: p.no_echo,
            queryable: p.queryable,
            description: p.description,
        })
        .collect();
    let updated = CustomActionType {
        category: id.category,
        provider: id.provider.clone(),
        version: id.version.clone(),
        settings: ActionTypeSettings {
            third_party_configuration_url: declared.urls.configuration_url,
            entity_url_template: declared.urls.entity_url_template,
            execution_url_template: declared.urls.execution_url_template,
            revision_url_template: declared.urls.revision_url_template,
        },
        configuration_properties: properties,
        input_artifact_details: declared.input_artifact_details,
        output_artifact_details: declared.output_artifact_details,
        description: declared.description,
        job_timeout: declared.executor.job_timeout,
    };
    state.engine.update_custom_action_type(updated).await?;
    Ok(json!({}))
}

/// A custom type as ListActionTypes and CreateCustomActionType answer it (ActionType).
pub fn action_type(declared: &CustomActionType) -> Value {
    let properties: Vec<Value> = declared
        .configuration_properties
        .iter()
        .map(|p| {
            let mut property = json!({
                "name": p.name, "required": p.required, "key": p.key, "secret": p.secret, "queryable": p.queryable,
            });
            if let Some(description) = &p.description {
                property["description"] = json!(description);
            }
            if let Some(kind) = p.value_type {
                property["type"] = json!(kind);
            }
            property
        })
        .collect();
    json!({
        "id": declared.id(),
        "settings": declared.settings,
        "actionConfigurationProperties": properties,
        "inputArtifactDetails": declared.input_artifact_details,
        "outputArtifactDetails": declared.output_artifact_details,
    })
}

/// A custom type as GetActionType answers it (ActionTypeDeclaration).
pub fn declaration(declared: &CustomActionType) -> Value {
    let properties: Vec<Value> = declared
        .configuration_properties
        .iter()
        .map(|p| {
            json!({
                "name": p.name, "optional": !p.required, "key": p.key, "noEcho": p.secret,
                "queryable": p.queryable, "description": p.description,
            })
        })
        .collect();
    let settings = &declared.settings;
    without_nulls(json!({
        "description": declared.description,
        "executor": {
            "configuration": { "jobWorkerExecutorConfiguration": {} },
            "type": "JobWorker",
            "jobTimeout": declared.job_timeout_seconds(),
        },
        "id": declared.id(),
        "inputArtifactDetails": declared.input_artifact_details,
        "outputArtifactDetails": declared.output_artifact_details,
        "properties": properties,
        "urls": {
            "configurationUrl": settings.third_party_configuration_url,
            "entityUrlTemplate": settings.entity_url_template,
            "executionUrlTemplate": settings.execution_url_template,
            "revisionUrlTemplate": settings.revision_url_template,
        },
    }))
}

/// The value with every `null` member left out, as AWS leaves out members it has no value for.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}
