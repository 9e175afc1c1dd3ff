//! CreateProject, UpdateProject, BatchGetProjects, ListProjects and DeleteProject: the wire
//! shapes of CodeBuild's `Project`, mapped onto the engine's build projects.
use super::{engine_error, project_arn, project_name};
use crate::api::error::{ApiError, ApiResult};
use crate::api::wire::{epoch_seconds, offset_page};
use crate::AppState;
use engine::build_projects::{
    BuildProject, ProjectArtifacts, ProjectEnvironment, ProjectSource, DEFAULT_TIMEOUT_MINUTES,
};
use engine::Caller;
use serde::Deserialize;
use serde_json::{json, Value};

/// BatchGetProjects' limit on names per call.
const MAX_BATCH: usize = 100;
/// ListProjects gives up to 100 names a page.
const PAGE: usize = 100;

/// What CreateProject reads; other members of CodeBuild's input are accepted and not kept.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateInput {
    name: String,
    description: Option<String>,
    source: ProjectSource,
    artifacts: ProjectArtifacts,
    environment: ProjectEnvironment,
    service_role: Option<String>,
    timeout_in_minutes: Option<u32>,
}

pub(super) async fn create(state: &AppState, input: CreateInput) -> ApiResult<Value> {
    let project = BuildProject {
        name: input.name,
        description: input.description,
        source: input.source,
        artifacts: input.artifacts,
        environment: input.environment,
        service_role: input.service_role,
        timeout_in_minutes: input.timeout_in_minutes.unwrap_or(DEFAULT_TIMEOUT_MINUTES),
        created_ms: 0,
        updated_ms: 0,
    };
    let created = state.engine.create_build_project(project).await.map_err(engine_error)?;
    Ok(json!({ "project": wire(state, &created) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateInput {
    name: String,
    description: Option<String>,
    source: Option<ProjectSource>,
    artifacts: Option<ProjectArtifacts>,
    environment: Option<ProjectEnvironment>,
    service_role: Option<String>,
    timeout_in_minutes: Option<u32>,
}

/// Members left out keep their values, as on CodeBuild.
pub(super) async fn update(state: &AppState, input: UpdateInput) -> ApiResult<Value> {
    let name = project_name(&input.name);
    let updated = state
        .engine
        .update_build_project(&name, |project| {
            if let Some(description) = input.description {
                project.description = Some(description);
            }
            if let Some(source) = input.source {
                project.source = source;
            }
            if let Some(artifacts) = input.artifacts {
                project.artifacts = artifacts;
            }
            if let Some(environment) = input.environment {
                project.environment = environment;
            }
            if let Some(role) = input.service_role {
                project.service_role = Some(role);
            }
            if let Some(timeout) = input.timeout_in_minutes {
                project.timeout_in_minutes = timeout;
            }
        })
        .await
        .map_err(engine_error)?;
    Ok(json!({ "project": wire(state, &updated) }))
}

#[derive(Deserialize)]
pub(super) struct BatchGetInput {
    names: Vec<String>,
}

/// Each name is checked against the caller's policies; missing ones are listed, not refused.
pub(super) async fn batch_get(state: &AppState, caller: &Caller, input: BatchGetInput) -> ApiResult<Value> {
    if input.names.is_empty() || input.names.len() > MAX_BATCH {
        return Err(ApiError::new("InvalidInputException", format!("names must hold 1 to {MAX_BATCH} project names")));
    }
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for given in &input.names {
        let name = project_name(given);
        crate::auth::authorize(caller, "codebuild:BatchGetProjects", &project_arn(state.engine.account(), &name))?;
        match state.engine.build_project(&name).await {
            Ok(project) => found.push(wire(state, &project)),
            Err(engine::EngineError::Refused { why: engine::Refusal::ResourceNotFound, .. }) => {
                missing.push(Value::String(given.clone()))
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(json!({ "projects": found, "projectsNotFound": missing }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListInput {
    sort_by: Option<String>,
    sort_order: Option<String>,
    next_token: Option<String>,
}

pub(super) async fn list(state: &AppState, input: ListInput) -> ApiResult<Value> {
    let mut projects = state.engine.build_projects().await?;
    match input.sort_by.as_deref() {
        None | Some("NAME") => {}
        Some("CREATED_TIME") => projects.sort_by_key(|p| p.created_ms),
        Some("LAST_MODIFIED_TIME") => projects.sort_by_key(|p| p.updated_ms),
        Some(other) => return Err(invalid_enum("sortBy", other, "NAME, CREATED_TIME, LAST_MODIFIED_TIME")),
    }
    match input.sort_order.as_deref() {
        None | Some("ASCENDING") => {}
        Some("DESCENDING") => projects.reverse(),
        Some(other) => return Err(invalid_enum("sortOrder", other, "ASCENDING, DESCENDING")),
    }
    let names = projects.into_iter().map(|p| Value::String(p.name)).collect();
    let (page, next) = offset_page(names, input.next_token.as_deref(), PAGE)
        .map_err(|_| ApiError::new("InvalidInputException", "The next token is not valid."))?;
    let mut answer = json!({ "projects": page });
    if let Some(next) = next {
        answer["nextToken"] = Value::String(next);
    }
    Ok(answer)
}

#[derive(Deserialize)]
pub(super) struct DeleteInput {
    name: String,
}

pub(super) async fn delete(state: &AppState, input: DeleteInput) -> ApiResult<Value> {
    state.engine.delete_build_project(&project_name(&input.name)).await?;
    Ok(json!({}))
}

fn invalid_enum(member: &str, value: &str, allowed: &str) -> ApiError {
    ApiError::new("InvalidInputException", format!("Value '{value}' at '{member}' must be one of: {allowed}"))
}

/// A project as CodeBuild's `Project` shape.
fn wire(state: &AppState, project: &BuildProject) -> Value {
    let mut value = serde_json::to_value(project).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.remove("createdMs");
        object.remove("updatedMs");
        object.insert("arn".into(), json!(project_arn(state.engine.account(), &project.name)));
        object.insert("created".into(), json!(epoch_seconds(project.created_ms)));
        object.insert("lastModified".into(), json!(epoch_seconds(project.updated_ms)));
        if project.description.is_none() {
            object.remove("description");
        }
        if project.service_role.is_none() {
            object.remove("serviceRole");
        }
    }
    value
}
