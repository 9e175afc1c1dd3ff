//! StartBuild, StopBuild, RetryBuild, BatchGetBuilds, ListBuilds, ListBuildsForProject and
//! BatchDeleteBuilds: CodeBuild's `Build` shape over the engine's build records. Each build is
//! checked against the caller's policies on its project's ARN, as CodeBuild's IAM does.
use super::{engine_error, project_arn, project_name};
use crate::api::error::{ApiError, ApiResult};
use crate::api::wire::{epoch_seconds, offset_page};
use crate::AppState;
use engine::build_projects::BuildVariable;
use engine::builds::{build_id, Build, StartBuild};
use engine::Caller;
use serde::Deserialize;
use serde_json::{json, Value};

/// BatchGetBuilds' and BatchDeleteBuilds' limit on ids per call.
const MAX_BATCH: usize = 100;
/// ListBuilds and ListBuildsForProject give up to 100 ids a page.
const PAGE: usize = 100;

/// The project a build id (`project:uuid`) or build ARN belongs to.
pub(super) fn project_of(id_or_arn: &str) -> String {
    let id = build_id(id_or_arn);
    id.rsplit_once(':').map_or(id, |(project, _)| project).to_owned()
}

fn authorize_build(state: &AppState, caller: &Caller, action: &str, id: &str) -> ApiResult<()> {
    crate::auth::authorize(caller, action, &project_arn(state.engine.account(), &project_of(id)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StartInput {
    project_name: String,
    source_version: Option<String>,
    #[serde(default)]
    environment_variables_override: Vec<BuildVariable>,
    buildspec_override: Option<String>,
    timeout_in_minutes_override: Option<u32>,
    idempotency_token: Option<String>,
}

pub(super) async fn start(state: &AppState, caller: &Caller, input: StartInput) -> ApiResult<Value> {
    let request = StartBuild {
        project: project_name(&input.project_name),
        initiator: caller.user_name.clone(),
        source_version: input.source_version,
        environment_variables_override: input.environment_variables_override,
        buildspec_override: input.buildspec_override,
        timeout_in_minutes_override: input.timeout_in_minutes_override,
        idempotency_token: input.idempotency_token,
    };
    let build = state.engine.start_build(request).await.map_err(engine_error)?;
    Ok(json!({ "build": wire(state, &build) }))
}

#[derive(Deserialize)]
pub(super) struct IdInput {
    id: String,
}

pub(super) async fn stop(state: &AppState, input: IdInput) -> ApiResult<Value> {
    let build = state.engine.stop_build(&input.id).await.map_err(engine_error)?;
    Ok(json!({ "build": wire(state, &build) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RetryInput {
    id: String,
    idempotency_token: Option<String>,
}

pub(super) async fn retry(state: &AppState, caller: &Caller, input: RetryInput) -> ApiResult<Value> {
    let build = state
        .engine
        .retry_build(&input.id, caller.user_name.clone(), input.idempotency_token)
        .await
        .map_err(engine_error)?;
    Ok(json!({ "build": wire(state, &build) }))
}

#[derive(Deserialize)]
pub(super) struct IdsInput {
    ids: Vec<String>,
}

fn check_batch(ids: &[String]) -> ApiResult<()> {
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(ApiError::new("InvalidInputException", format!("ids must hold 1 to {MAX_BATCH} build ids")));
    }
    Ok(())
}

/// Each id is checked against the caller's policies; missing ones are listed, not refused.
pub(super) async fn batch_get(state: &AppState, caller: &Caller, input: IdsInput) -> ApiResult<Value> {
    check_batch(&input.ids)?;
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for id in &input.ids {
        authorize_build(state, caller, "codebuild:BatchGetBuilds", id)?;
        match state.engine.build(id).await? {
            Some(build) => found.push(wire(state, &build)),
            None => missing.push(Value::String(id.clone())),
        }
    }
    Ok(json!({ "builds": found, "buildsNotFound": missing }))
}

pub(super) async fn batch_delete(state: &AppState, caller: &Caller, input: IdsInput) -> ApiResult<Value> {
    check_batch(&input.ids)?;
    for id in &input.ids {
        authorize_build(state, caller, "codebuild:BatchDeleteBuilds", id)?;
    }
    let (deleted, refused) = state.engine.delete_builds(&input.ids).await?;
    let refused: Vec<Value> = refused
        .into_iter()
        .map(|(id, why)| json!({ "id": id, "statusCode": "BUILD_NOT_DELETED", "message": why }))
        .collect();
    Ok(json!({ "buildsDeleted": deleted, "buildsNotDeleted": refused }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListInput {
    project_name: Option<String>,
    sort_order: Option<String>,
    next_token: Option<String>,
}

/// ListBuilds (every project: the caller needs `codebuild:ListBuilds` on `*`) and
/// ListBuildsForProject (one project, checked on its ARN by the dispatcher).
pub(super) async fn list(state: &AppState, input: ListInput, for_project: bool) -> ApiResult<Value> {
    let ascending = match input.sort_order.as_deref() {
        None | Some("DESCENDING") => false,
        Some("ASCENDING") => true,
        Some(other) => {
            return Err(ApiError::new(
                "InvalidInputException",
                format!("Value '{other}' at 'sortOrder' must be one of: ASCENDING, DESCENDING"),
            ))
        }
    };
    let project = match (for_project, input.project_name) {
        (true, Some(name)) => {
            let name = project_name(&name);
            state.engine.build_project(&name).await.map_err(engine_error)?;
            Some(name)
        }
        (true, None) => return Err(ApiError::new("InvalidInputException", "projectName is required")),
        (false, _) => None,
    };
    let ids = state.engine.build_ids(project.as_deref(), ascending).await?;
    let ids = ids.into_iter().map(Value::String).collect();
    let (page, next) = offset_page(ids, input.next_token.as_deref(), PAGE)
        .map_err(|_| ApiError::new("InvalidInputException", "The next token is not valid."))?;
    let mut answer = json!({ "ids": page });
    if let Some(next) = next {
        answer["nextToken"] = Value::String(next);
    }
    Ok(answer)
}

/// A build as CodeBuild's `Build` shape.
fn wire(state: &AppState, build: &Build) -> Value {
    let detail = &build.detail;
    let phases: Vec<Value> = detail
        .phases
        .iter()
        .map(|phase| {
            let mut value = json!({ "phaseType": phase.phase_type, "startTime": epoch_seconds(phase.start_ms) });
            if let Some(status) = phase.phase_status {
                value["phaseStatus"] = json!(status.as_str());
            }
            if let Some(end) = phase.end_ms {
                value["endTime"] = json!(epoch_seconds(end));
            }
            if let Some(seconds) = phase.duration_seconds() {
                value["durationInSeconds"] = json!(seconds);
            }
            if let Some(message) = &phase.message {
                value["contexts"] =
                    json!([{ "statusCode": phase.phase_status.map(|s| s.as_str()), "message": message }]);
            }
            value
        })
        .collect();
    let exported: Vec<Value> =
        detail.exported_variables.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect();
    let deep_link = format!("{}/builds/{}", state.config.public_url(), urlencoding(&build.id));
    let mut value = json!({
        "id": build.id,
        "arn": detail.arn,
        "buildNumber": build.number,
        "startTime": epoch_seconds(build.start_ms),
        "currentPhase": build.current_phase,
        "buildStatus": build.status.as_str(),
        "projectName": build.project,
        "phases": phases,
        "source": { "type": detail.source_type },
        "environment": {
            "type": "LINUX_CONTAINER",
            "image": detail.image,
            "computeType": detail.compute_type,
            "environmentVariables": detail.environment_variables,
        },
        "logs": { "deepLink": deep_link, "groupName": "sluice/builds", "streamName": build.id },
        "timeoutInMinutes": detail.timeout_in_minutes,
        "buildComplete": build.status.is_final(),
        "initiator": build.initiator,
        "exportedEnvironmentVariables": exported,
    });
    if let Some(end) = build.end_ms {
        value["endTime"] = json!(epoch_seconds(end));
    }
    if let Some(location) = &detail.source_location {
        value["source"]["location"] = json!(location);
    }
    if let Some(version) = &detail.source_version {
        value["sourceVersion"] = json!(version);
    }
    if let Some(buildspec) = &detail.buildspec_override {
        value["source"]["buildspec"] = json!(buildspec);
    }
    value
}

/// Build ids hold a `:`, which stays readable in a path; anything else unusual is escaped.
fn urlencoding(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.') {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32)
            }
        })
        .collect()
}
