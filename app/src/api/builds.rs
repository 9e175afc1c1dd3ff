//! Server functions of the build pages: one CodeBuild build as its page shows it, a project's
//! builds, and Stop and Retry. Each is checked against the signed-in user's policies as the
//! CodeBuild API checks the same operation (`codebuild:<Operation>` on the project's ARN).
use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One phase of a build: PROVISIONING, BUILD, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseView {
    pub name: String,
    /// SUCCEEDED, FAILED, ... or None while it runs (COMPLETED has none either).
    pub status: Option<String>,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub message: Option<String>,
}

/// The build page's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildView {
    pub now_ms: i64,
    pub id: String,
    pub arn: String,
    pub project: String,
    pub number: i64,
    pub status: String,
    pub current_phase: String,
    pub initiator: String,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub source: String,
    pub source_version: Option<String>,
    pub image: String,
    pub message: Option<String>,
    pub phases: Vec<PhaseView>,
    /// (name, type, value): values of variables that are not PLAINTEXT are never sent.
    pub environment: Vec<(String, String, String)>,
    pub exported: Vec<(String, String)>,
    /// The pipeline run it belongs to: (pipeline, execution id, stage, action).
    pub pipeline: Option<(String, String, String, String)>,
    /// Whether the Stop and Retry buttons show: the user's policies allow them and the build
    /// is in a state they apply to.
    pub can_stop: bool,
    pub can_retry: bool,
}

impl BuildView {
    pub fn running(&self) -> bool {
        self.status == "IN_PROGRESS"
    }
}

/// A row of a project's build list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRow {
    pub id: String,
    pub number: i64,
    pub status: String,
    pub initiator: String,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectBuilds {
    pub now_ms: i64,
    pub project: String,
    pub builds: Vec<BuildRow>,
}

/// How many builds a project's page lists.
#[cfg(feature = "ssr")]
const LISTED: i64 = 50;

/// Whether the signed-in user (taken before the first await) may perform CodeBuild's
/// `operation` on `project`.
#[cfg(feature = "ssr")]
fn allowed(engine: &engine::Engine, caller: &engine::Caller, operation: &str, project: &str) -> Result<(), AppError> {
    let (action, resource) = (format!("codebuild:{operation}"), engine.build_project_arn(project));
    if caller.may(&action, &resource) {
        Ok(())
    } else {
        Err(AppError::Denied(crate::auth::refusal(&action, &resource)))
    }
}

#[cfg(feature = "ssr")]
fn missing(id: &str) -> AppError {
    AppError::NotFound(format!("There is no build \u{201c}{id}\u{201d}."))
}

#[server(output = crate::api::codec::Json)]
pub async fn load_build(id: String) -> Result<BuildView, AppError> {
    use super::ssr::*;
    let (engine, caller) = (engine()?, crate::auth::caller()?);
    let build = engine.build(&id).await.map_err(engine_error)?.ok_or_else(|| missing(&id))?;
    allowed(&engine, &caller, "BatchGetBuilds", &build.project)?;
    let may = |operation: &str| allowed(&engine, &caller, operation, &build.project).is_ok();
    let detail = build.detail;
    Ok(BuildView {
        now_ms: now_ms(),
        can_stop: !build.status.is_final() && may("StopBuild"),
        can_retry: build.status.is_final() && detail.pipeline.is_none() && may("RetryBuild"),
        id: build.id,
        arn: detail.arn,
        project: build.project,
        number: build.number,
        status: build.status.as_str().to_owned(),
        current_phase: build.current_phase,
        initiator: build.initiator,
        start_ms: build.start_ms,
        end_ms: build.end_ms,
        source: detail.source_type,
        source_version: detail.source_version,
        image: detail.image,
        message: detail.message,
        phases: detail
            .phases
            .into_iter()
            .map(|p| PhaseView {
                name: p.phase_type,
                status: p.phase_status.map(|s| s.as_str().to_owned()),
                start_ms: p.start_ms,
                end_ms: p.end_ms,
                message: p.message,
            })
            .collect(),
        // The record already holds only PLAINTEXT values; masked again so no change there leaks one.
        environment: engine::builds::masked(&detail.environment_variables)
            .into_iter()
            .map(|v| (v.name, v.kind, v.value))
            .collect(),
        exported: detail.exported_variables.into_iter().collect(),
        pipeline: detail.pipeline.map(|p| (p.pipeline, p.execution_id, p.stage, p.action)),
    })
}

#[server(output = crate::api::codec::Json)]
pub async fn load_project_builds(project: String) -> Result<ProjectBuilds, AppError> {
    use super::ssr::*;
    let engine = engine()?;
    allowed(&engine, &crate::auth::caller()?, "ListBuildsForProject", &project)?;
    engine.build_project(&project).await.map_err(engine_error)?;
    let builds = engine.builds_of_project(&project, LISTED).await.map_err(engine_error)?;
    Ok(ProjectBuilds {
        now_ms: now_ms(),
        project,
        builds: builds
            .into_iter()
            .map(|b| BuildRow {
                id: b.id,
                number: b.number,
                status: b.status.as_str().to_owned(),
                initiator: b.initiator,
                start_ms: b.start_ms,
                end_ms: b.end_ms,
            })
            .collect(),
    })
}

#[server(output = crate::api::codec::Json)]
pub async fn stop_build(id: String) -> Result<(), AppError> {
    use super::ssr::*;
    let (engine, caller) = (engine()?, crate::auth::caller()?);
    let build = engine.build(&id).await.map_err(engine_error)?.ok_or_else(|| missing(&id))?;
    allowed(&engine, &caller, "StopBuild", &build.project)?;
    engine.stop_build(&build.id).await.map_err(engine_error).map(drop)
}

/// Starts the build again; answers the new build's id.
#[server(output = crate::api::codec::Json)]
pub async fn retry_build(id: String) -> Result<String, AppError> {
    use super::ssr::*;
    let (engine, caller) = (engine()?, crate::auth::caller()?);
    let build = engine.build(&id).await.map_err(engine_error)?.ok_or_else(|| missing(&id))?;
    allowed(&engine, &caller, "RetryBuild", &build.project)?;
    let retried = engine.retry_build(&build.id, caller.user_name.clone(), None).await.map_err(engine_error)?;
    Ok(retried.id)
}

/// The page of a build.
pub fn build_href(id: &str) -> String {
    format!("/builds/{}", super::percent_encode(id, b"-._~:"))
}

/// The page listing a project's builds.
pub fn project_builds_href(project: &str) -> String {
    format!("/projects/{}/builds", super::percent_encode(project, b"-._~"))
}
