//! CodeBuild builds: every run of a build project, started by a CodeBuild action or by
//! StartBuild, is one record with its phases, its environment, its log and its exported
//! variables. A build runs in this process (see `start` for the API's builds); StopBuild cancels
//! it here, and a build that no process runs any more is marked STOPPED directly.
mod record;
mod recorder;
mod repo_source;
mod running;
mod start;

pub use record::{masked, Build, BuildDetail, BuildPhase, BuildStatus, PipelineLink};
pub(crate) use recorder::{EndGuard, Recorder};
pub(crate) use running::Running;
pub use start::{BuildSource, StartBuild};

use crate::build_projects::{BuildProject, BuildVariable};
use crate::{now_ms, Account, Engine, EngineError, Refusal, Result, Store, StoreError};

/// What differs between builds when one is opened.
pub(crate) struct Opening {
    pub initiator: String,
    /// Where the build's log lines are kept; `None` keeps them under the build's own id.
    pub log_key: Option<String>,
    pub pipeline: Option<PipelineLink>,
    pub action_execution_id: Option<String>,
    pub overrides: Vec<BuildVariable>,
    pub buildspec_override: Option<String>,
    pub timeout_in_minutes: u32,
    pub source_version: Option<String>,
    pub idempotency_token: Option<String>,
}

/// Numbers and stores a new IN_PROGRESS build of `project`, its SUBMITTED phase done.
pub(crate) async fn open(
    store: &Store,
    account: &Account,
    project: &BuildProject,
    opening: Opening,
) -> std::result::Result<Build, StoreError> {
    let number = store.next_build_number(&project.name).await?;
    let id = format!("{}:{}", project.name, uuid::Uuid::new_v4());
    let now = now_ms();
    let variables: Vec<BuildVariable> =
        project.environment.environment_variables.iter().chain(&opening.overrides).cloned().collect();
    let build = Build {
        log_key: opening.log_key.unwrap_or_else(|| id.clone()),
        detail: BuildDetail {
            arn: build_arn(account, &id),
            phases: vec![BuildPhase {
                phase_type: "SUBMITTED".to_owned(),
                phase_status: Some(BuildStatus::Succeeded),
                start_ms: now,
                end_ms: Some(now),
                message: None,
            }],
            source_type: project.source.kind.clone(),
            source_location: project.source.location.clone(),
            source_version: opening.source_version,
            image: project.environment.image.clone(),
            compute_type: project.environment.compute_type.clone(),
            timeout_in_minutes: opening.timeout_in_minutes,
            environment_variables: masked(&variables),
            exported_variables: Default::default(),
            overrides: masked(&opening.overrides),
            buildspec_override: opening.buildspec_override,
            pipeline: opening.pipeline,
            message: None,
        },
        id,
        project: project.name.clone(),
        number,
        status: BuildStatus::InProgress,
        current_phase: "SUBMITTED".to_owned(),
        initiator: opening.initiator,
        action_execution_id: opening.action_execution_id,
        idempotency_token: opening.idempotency_token,
        start_ms: now,
        end_ms: None,
    };
    store.insert_build(&build).await?;
    Ok(build)
}

pub fn build_arn(account: &Account, id: &str) -> String {
    format!("arn:aws:codebuild:{}:{}:build/{id}", account.region, account.id)
}

/// A build is named by its id or its ARN.
pub fn build_id(id_or_arn: &str) -> &str {
    match id_or_arn.split_once(":build/") {
        Some((prefix, id)) if prefix.starts_with("arn:") => id,
        _ => id_or_arn,
    }
}

fn not_found(id: &str) -> EngineError {
    EngineError::refused(Refusal::ResourceNotFound, format!("Build {id} does not exist"))
}

impl Engine {
    /// The build, by id or ARN.
    pub async fn build(&self, id: &str) -> Result<Option<Build>> {
        Ok(self.store.build(build_id(id)).await?)
    }

    /// The newest build an action execution ran, for the run view's link.
    pub async fn build_of_action(&self, action_execution_id: &str) -> Result<Option<Build>> {
        Ok(self.store.build_of_action(action_execution_id).await?)
    }

    /// Build ids of one project or of all, newest first unless `ascending`.
    pub async fn build_ids(&self, project: Option<&str>, ascending: bool) -> Result<Vec<String>> {
        Ok(self.store.build_ids(project, ascending).await?)
    }

    /// The newest `limit` builds of a project, for its page.
    pub async fn builds_of_project(&self, project: &str, limit: i64) -> Result<Vec<Build>> {
        Ok(self.store.builds_of_project(project, limit).await?)
    }

    /// Lines of a build's log after line `after`.
    pub async fn build_log(&self, build: &Build, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        Ok(self.store.log(&build.log_key, after, limit).await?)
    }

    /// Stops a running build: cancelled here when this process runs it (it then ends STOPPED),
    /// or marked STOPPED when no process does any more. `InvalidRequest` for a finished build.
    pub async fn stop_build(&self, id: &str) -> Result<Build> {
        let id = build_id(id);
        let build = self.store.build(id).await?.ok_or_else(|| not_found(id))?;
        if build.status.is_final() {
            return Err(EngineError::refused(
                Refusal::InvalidRequest,
                format!("Build {id} is already {}", build.status.as_str()),
            ));
        }
        if self.builds.stop(id) {
            return Ok(self.wait_until_ended(id).await?.unwrap_or(build));
        }
        let mut recorder = Recorder::new(self.store.clone(), build);
        recorder
            .finish(
                BuildStatus::Stopped,
                Some("Stopped: no server runs this build any more".into()),
                Default::default(),
            )
            .await;
        Ok(recorder.build().clone())
    }

    /// The build once its runner has recorded its end (a stopped process takes up to its kill
    /// grace), or as it is after 15 seconds.
    async fn wait_until_ended(&self, id: &str) -> Result<Option<Build>> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let build = self.store.build(id).await?;
            let ended = build.as_ref().is_none_or(|b| b.status.is_final());
            if ended || tokio::time::Instant::now() >= deadline {
                return Ok(build);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Deletes finished builds; each id that is not a finished build comes back with the reason.
    pub async fn delete_builds(&self, ids: &[String]) -> Result<(Vec<String>, Vec<(String, String)>)> {
        let (mut deleted, mut refused) = (Vec::new(), Vec::new());
        for given in ids {
            match self.store.delete_build(build_id(given)).await {
                Ok(()) => deleted.push(given.clone()),
                Err(StoreError::NotFound) => {
                    refused.push((given.clone(), "The build does not exist or is still in progress".to_owned()))
                }
                Err(err) => return Err(err.into()),
            }
        }
        Ok((deleted, refused))
    }
}
