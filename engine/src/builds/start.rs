//! StartBuild and RetryBuild: a build without a pipeline. It runs here, in a task of its own,
//! through the CodeBuild action's provider, with the project's source fetched from what Sluice
//! serves itself: nothing (NO_SOURCE), an object of its S3 store, or one of its git repositories.
use super::{open, Build, Opening, Recorder};
use crate::build_projects::{check_variables, BuildProject, BuildVariable, TIMEOUT_MINUTES};
use crate::providers::{ActionContext, InputArtifactDir, LogSink};
use crate::{Engine, EngineError, Refusal, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What a StartBuild asks for besides the project.
#[derive(Debug, Clone, Default)]
pub struct StartBuild {
    pub project: String,
    /// Who starts it (`CODEBUILD_INITIATOR`): the caller's name.
    pub initiator: String,
    pub source_version: Option<String>,
    pub environment_variables_override: Vec<BuildVariable>,
    pub buildspec_override: Option<String>,
    pub timeout_in_minutes_override: Option<u32>,
    pub idempotency_token: Option<String>,
}

/// The project source types a build without a pipeline can fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildSource {
    None,
    /// `bucket`, `key`, and a version id (the latest when none).
    S3 {
        bucket: String,
        key: String,
        version: Option<String>,
    },
    /// A hosted repository and the branch, tag or commit to build (its default branch when none).
    CodeCommit {
        repository: String,
        version: Option<String>,
    },
}

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::refused(Refusal::InvalidRequest, message)
}

impl BuildSource {
    /// What the project's source means without a pipeline; refused when Sluice cannot fetch it.
    pub fn of(project: &BuildProject, version: Option<&str>) -> Result<BuildSource> {
        let version = version.map(str::to_owned);
        let location = project.source.location.as_deref().map(str::trim).unwrap_or_default();
        match project.source.kind.as_str() {
            "NO_SOURCE" => Ok(BuildSource::None),
            "S3" => {
                let (bucket, key) = location
                    .split_once('/')
                    .filter(|(bucket, key)| !bucket.is_empty() && !key.is_empty())
                    .ok_or_else(|| invalid("An S3 source's location must be bucket/key"))?;
                Ok(BuildSource::S3 { bucket: bucket.to_owned(), key: key.to_owned(), version })
            }
            "CODECOMMIT" => {
                // https://git-codecommit.<region>.amazonaws.com/v1/repos/<name>, or Sluice's own URL.
                let repository = location.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
                if repository.is_empty() {
                    return Err(invalid("A CODECOMMIT source's location must be the repository's clone URL"));
                }
                Ok(BuildSource::CodeCommit { repository: repository.to_owned(), version })
            }
            "CODEPIPELINE" => Err(invalid(
                "The project's source type is CODEPIPELINE: its builds start from a pipeline's CodeBuild action",
            )),
            other => Err(invalid(format!(
                "Source type {other} cannot be built by Sluice; use NO_SOURCE, S3 (Sluice's object store) or \
                 CODECOMMIT (Sluice's repositories)"
            ))),
        }
    }
}

impl Engine {
    /// Opens a build and runs it in the background; a repeated idempotency token gives back the
    /// build it started.
    pub async fn start_build(&self, request: StartBuild) -> Result<Build> {
        let mut project = self.build_project(&request.project).await?;
        if let Some(token) = &request.idempotency_token {
            if let Some(build) = self.store.build_by_token(&project.name, token).await? {
                return Ok(build);
            }
        }
        check_variables(&request.environment_variables_override)?;
        if let Some(refused) = request.environment_variables_override.iter().find(|v| v.kind != "PLAINTEXT") {
            return Err(invalid(format!(
                "Environment variable {:?} has type {}: a build started without a pipeline takes PLAINTEXT \
                 overrides only, since nobody's permission to read a secret is checked for it",
                refused.name, refused.kind
            )));
        }
        let timeout = request.timeout_in_minutes_override.unwrap_or(project.timeout_in_minutes);
        let (low, high) = TIMEOUT_MINUTES;
        if !(low..=high).contains(&timeout) {
            return Err(invalid(format!("timeoutInMinutesOverride must be between {low} and {high}")));
        }
        let source = BuildSource::of(&project, request.source_version.as_deref())?;
        let inline = matches!(project.buildspec(), crate::build_projects::BuildspecSource::Inline(_));
        if source == BuildSource::None && request.buildspec_override.is_none() && !inline {
            return Err(invalid("A NO_SOURCE project needs an inline buildspec (or a buildspecOverride)"));
        }
        if let Some(buildspec) = &request.buildspec_override {
            project.source.buildspec = Some(buildspec.clone());
        }
        project.timeout_in_minutes = timeout;
        let opening = Opening {
            initiator: request.initiator,
            log_key: None,
            pipeline: None,
            action_execution_id: None,
            overrides: request.environment_variables_override,
            buildspec_override: request.buildspec_override,
            timeout_in_minutes: timeout,
            source_version: request.source_version,
            idempotency_token: request.idempotency_token,
        };
        let build = open(&self.store, &self.account, &project, opening).await.map_err(|err| match err {
            crate::StoreError::NotFound => {
                EngineError::refused(Refusal::ResourceNotFound, format!("Project cannot be found: {}", project.name))
            }
            other => other.into(),
        })?;
        let overrides = build.detail.overrides.clone();
        let run = ApiBuild { engine: self.clone(), project, source, overrides, build: build.clone() };
        tokio::spawn(run.run());
        Ok(build)
    }

    /// Starts a new build of a finished StartBuild build with the same request.
    pub async fn retry_build(&self, id: &str, initiator: String, idempotency_token: Option<String>) -> Result<Build> {
        let id = super::build_id(id);
        let build = self.store.build(id).await?.ok_or_else(|| super::not_found(id))?;
        if build.is_from_pipeline() {
            return Err(invalid(format!(
                "Build {id} ran for a pipeline's CodeBuild action: retry the pipeline's stage instead"
            )));
        }
        if !build.status.is_final() {
            return Err(invalid(format!("Build {id} is still in progress")));
        }
        self.start_build(StartBuild {
            project: build.project,
            initiator,
            source_version: build.detail.source_version,
            environment_variables_override: build.detail.overrides,
            buildspec_override: build.detail.buildspec_override,
            timeout_in_minutes_override: Some(build.detail.timeout_in_minutes),
            idempotency_token,
        })
        .await
    }
}

/// One StartBuild build on its way.
struct ApiBuild {
    engine: Engine,
    project: BuildProject,
    source: BuildSource,
    overrides: Vec<BuildVariable>,
    build: Build,
}

impl ApiBuild {
    async fn run(self) {
        let ApiBuild { engine, project, source, overrides, build } = self;
        let store = engine.store.clone();
        // Its log is kept like an action's, under the build's id.
        let (log, writer) = engine.keep_log(&build.id, false, Default::default());
        let workspace_name = format!("build-{}", build.id.replace(':', "-"));
        // Registered now, so that a StopBuild while the source is fetched stops the build too.
        let cancel = CancellationToken::new();
        let _registered = engine.builds.register(&build.id, cancel.clone());
        let mut recorder = Recorder::new(store, build);
        recorder.enter("PROVISIONING").await;
        let workspace = engine.sandbox.prepare_attempt(&workspace_name).await;
        let fetched = match &workspace {
            Ok(root) => {
                recorder.enter("DOWNLOAD_SOURCE").await;
                fetch(&engine, &source, root, &log).await.map(|src| (root.as_path(), src))
            }
            Err(err) => Err(err.0.clone()),
        };
        match fetched {
            Ok(dirs) => {
                let minutes = recorder.build().detail.timeout_in_minutes;
                let ctx = context(&engine, &project, dirs, log, cancel, minutes);
                let provider = engine.codebuild_provider();
                // The outcome is in the build's record; nobody else waits for it.
                let _ = provider.run_recorded(&ctx, recorder, &project, overrides).await;
            }
            Err(why) => {
                log.line(format!("[Container] Cannot fetch the source: {why}"));
                let status =
                    if cancel.is_cancelled() { super::BuildStatus::Stopped } else { super::BuildStatus::Fault };
                recorder.finish(status, Some(format!("CLIENT_ERROR: {why}")), Default::default()).await;
                drop(log);
            }
        }
        let _ = writer.await;
        if let Ok(root) = workspace {
            let _ = tokio::fs::remove_dir_all(&root).await;
        }
    }
}

/// The context the CodeBuild provider expects, for a build that no pipeline runs.
fn context(
    engine: &Engine,
    project: &BuildProject,
    (root, src): (&Path, PathBuf),
    log: LogSink,
    cancel: CancellationToken,
    minutes: u32,
) -> ActionContext {
    let action = serde_json::from_value(serde_json::json!({
        "name": "StartBuild",
        "actionTypeId": { "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1" },
        "configuration": { "ProjectName": project.name },
    }))
    .expect("a CodeBuild action declaration is valid");
    ActionContext {
        pipeline_name: String::new(),
        pipeline_execution_id: String::new(),
        stage_name: String::new(),
        action_execution_id: String::new(),
        configuration: [("ProjectName".to_owned(), project.name.clone())].into_iter().collect(),
        environment: Default::default(),
        action,
        workspace: root.to_owned(),
        inputs: vec![InputArtifactDir { name: "source".to_owned(), dir: src }],
        source_revision: None,
        log,
        cancel,
        timeout: Duration::from_secs(u64::from(minutes) * 60),
        services: engine.services(),
    }
}

/// Puts the source in `root/inputs/source`; the message says why it could not.
async fn fetch(
    engine: &Engine,
    source: &BuildSource,
    root: &Path,
    log: &LogSink,
) -> std::result::Result<PathBuf, String> {
    let dir = root.join("inputs").join("source");
    tokio::fs::create_dir_all(&dir).await.map_err(|err| format!("cannot make the source folder: {err}"))?;
    match source {
        BuildSource::None => log.line("[Container] NO_SOURCE: the build starts in an empty folder"),
        BuildSource::S3 { bucket, key, version } => {
            let object = engine.objects.get(bucket, key, version.as_deref()).await.map_err(|err| err.to_string())?;
            engine.objects.unpack_to(&object, &dir).await.map_err(|err| err.to_string())?;
            log.line(format!("[Container] Source s3://{bucket}/{key} version {}", object.version_id));
        }
        BuildSource::CodeCommit { repository, version } => {
            let commit = super::repo_source::checkout(&engine.repos, repository, version.as_deref(), &dir).await?;
            log.line(format!("[Container] Source {repository} at commit {commit}"));
        }
    }
    Ok(dir)
}
