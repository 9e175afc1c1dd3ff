//! The CodeBuild action (`Build` and `Test` / AWS / CodeBuild / 1): runs a build project's
//! buildspec on this machine, in the sandbox, with the Commands action's machinery (workspace
//! layout, environment, process runner, artifact patterns) and CodeBuild's phase semantics.
//!
//! - `ProjectName` names a project of this Sluice (CreateProject); its buildspec is inline or a
//!   file in the primary source (`buildspec.yml` by default).
//! - The primary source (`PrimarySource`, or the only input) is `src/`, the working directory and
//!   `CODEBUILD_SRC_DIR`; every other input is `CODEBUILD_SRC_DIR_<name>`.
//! - All phases run in one shell (see `script`); the log shows each phase as CodeBuild's does.
//! - `exported-variables` become the action's output variables; output artifacts come from
//!   `artifacts` / `secondary-artifacts` (see `artifacts`).
//! - Every run is a build record (`crate::builds`): numbered per project, its phases recorded as
//!   the script reports them, stoppable by StopBuild. StartBuild's builds run through
//!   `run_recorded` as well, with a context made for them.
//! - What cannot apply here (`run-as`, `runtime-versions`, `proxy`, `cache`, `reports`, ...) is
//!   said in the log. The action's SECRETS_MANAGER variables come opened from the scheduler
//!   (`scheduler::unseal`); PARAMETER_STORE values and a project's secrets are refused by name.
mod artifacts;
pub mod buildspec;
mod environment;
mod script;

use super::commands::{env::FALLBACK_PATH, files::Layout, process, script::read_variables, system};
use super::{
    ActionContext, ActionFailure, ActionOutcome, ActionProvider, ActionResult, BoxFuture, FailureKind, LogSink,
    PhaseEvent,
};
use crate::build_projects::{BuildProject, BuildVariable, BuildspecSource};
use crate::builds::EndGuard;
use crate::builds::{self, BuildStatus, Opening, PipelineLink, Recorder, Running};
use crate::sandbox::Jail;
use crate::{Account, Store, StoreError};
use buildspec::Buildspec;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A buildspec file larger than this is refused rather than read.
const MAX_BUILDSPEC_BYTES: u64 = 1024 * 1024;

/// Runs CodeBuild projects' buildspecs locally.
#[derive(Debug, Clone)]
pub struct CodeBuildProvider {
    store: Store,
    /// Where build ARNs say builds run.
    account: Account,
    /// Where StopBuild finds the builds this process runs.
    running: Arc<Running>,
    path: String,
    kill_grace: Duration,
}

/// What one build runs with, besides the action context.
struct Order<'a> {
    project: &'a BuildProject,
    /// The action's `EnvironmentVariables`, or StartBuild's `environmentVariablesOverride`.
    overrides: &'a [BuildVariable],
    identity: environment::BuildIdentity,
    log: &'a LogSink,
    cancel: &'a CancellationToken,
    timeout: Duration,
}

impl CodeBuildProvider {
    pub(crate) fn new(store: Store, account: Account, running: Arc<Running>) -> Self {
        let path = std::env::var("PATH").unwrap_or_else(|_| FALLBACK_PATH.to_owned());
        CodeBuildProvider { store, account, running, path, kill_grace: Duration::from_secs(5) }
    }

    /// How long processes get between SIGTERM and SIGKILL when a build is stopped.
    pub fn with_kill_grace(mut self, grace: Duration) -> Self {
        self.kill_grace = grace;
        self
    }

    /// A pipeline's build: opened (numbered and recorded) here, its log the action's.
    async fn run(&self, ctx: &ActionContext) -> Result<ActionOutcome, ActionFailure> {
        let project = self.project(ctx).await?;
        let overrides = environment::action_variables(ctx)?;
        let opening = Opening {
            initiator: format!("codepipeline/{}", ctx.pipeline_name),
            log_key: Some(ctx.action_execution_id.clone()),
            pipeline: Some(PipelineLink {
                pipeline: ctx.pipeline_name.clone(),
                execution_id: ctx.pipeline_execution_id.clone(),
                stage: ctx.stage_name.clone(),
                action: ctx.action.name.clone(),
            }),
            action_execution_id: Some(ctx.action_execution_id.clone()),
            overrides: overrides.clone(),
            buildspec_override: None,
            timeout_in_minutes: project.timeout_in_minutes,
            source_version: ctx.source_revision.clone(),
            idempotency_token: None,
        };
        let build = builds::open(&self.store, &self.account, &project, opening).await.map_err(|err| match err {
            StoreError::NotFound => {
                ActionFailure::configuration(format!("The CodeBuild project '{}' was deleted", project.name))
            }
            other => system(format!("cannot record the build: {other}")),
        })?;
        self.run_recorded(ctx, Recorder::new(self.store.clone(), build), &project, overrides).await
    }

    /// Runs an opened build, keeping its record up to date: its phases as they pass, then its
    /// status (STOPPED when its token was cancelled, TIMED_OUT past its timeout).
    pub(crate) async fn run_recorded(
        &self,
        ctx: &ActionContext,
        mut recorder: Recorder,
        project: &BuildProject,
        overrides: Vec<BuildVariable>,
    ) -> Result<ActionOutcome, ActionFailure> {
        let build = recorder.build().clone();
        let guard = EndGuard::new(self.store.clone(), &build.id);
        let cancel = ctx.cancel.child_token();
        let _registered = self.running.register(&build.id, cancel.clone());
        if recorder.build().current_phase == "SUBMITTED" {
            // A StartBuild build has provisioned its workspace and fetched its source already.
            recorder.enter("PROVISIONING").await;
        }
        let (log, events) = ctx.log.with_phases();
        let follower = tokio::spawn(recorder.follow(events));
        let timeout = ctx.timeout.min(Duration::from_secs(u64::from(project.timeout_in_minutes) * 60));
        let identity = environment::BuildIdentity {
            id: build.id.clone(),
            arn: build.detail.arn.clone(),
            number: build.number,
            initiator: build.initiator.clone(),
        };
        let order = Order { project, overrides: &overrides, identity, log: &log, cancel: &cancel, timeout };
        let started = Instant::now();
        let result = self.execute(ctx, order).await;
        drop(log);
        let Ok(mut recorder) = follower.await else {
            tracing::error!(build = %build.id, "the build's phase follower failed");
            return result;
        };
        let status = match &result {
            Ok(_) => BuildStatus::Succeeded,
            Err(_) if cancel.is_cancelled() => BuildStatus::Stopped,
            Err(_) if started.elapsed() >= timeout => BuildStatus::TimedOut,
            Err(failure) if failure.kind == FailureKind::JobFailed => BuildStatus::Failed,
            Err(_) => BuildStatus::Fault,
        };
        let (message, exported) = match &result {
            Ok(ActionOutcome::Succeeded(done)) => (None, done.variables.clone()),
            Ok(ActionOutcome::Waiting { .. }) => (None, Default::default()),
            Err(failure) => (Some(failure.message.clone()), Default::default()),
        };
        recorder.finish(status, message, exported).await;
        guard.disarm();
        result
    }

    async fn execute(&self, ctx: &ActionContext, order: Order<'_>) -> Result<ActionOutcome, ActionFailure> {
        let Order { project, overrides, identity, log, cancel, timeout } = order;
        let started = Instant::now();
        let primary = primary_input(ctx)?;
        environment::check_types(&project.environment.environment_variables, "The project's", false)?;
        environment::check_types(overrides, "The build's", true)?;
        let layout = Layout::create(&ctx.workspace, ctx.inputs.get(primary).map(|i| i.dir.as_path())).await?;
        let spec = load_buildspec(project, &layout.src).await?;
        refuse_unavailable(&spec)?;
        log.line(format!(
            "[Container] Running in the host sandbox: no container runtime is used, so image {} and compute type {} are recorded only",
            project.environment.image, project.environment.compute_type
        ));
        log_not_applied(&spec, log);

        let environment =
            environment::build(ctx, &layout, &self.path, primary, &identity, (&spec, project, overrides))?;
        let vars_file = layout.run.join("variables");
        let build = script::write(&spec, &vars_file);
        let script_file = layout.run.join("buildspec.sh");
        tokio::fs::write(&script_file, build.script.text())
            .await
            .map_err(|err| system(format!("cannot write the build script: {err}")))?;

        let shell = PathBuf::from(match spec.env.shell.as_deref() {
            Some("/bin/sh" | "sh") => "sh",
            _ => "bash",
        });
        let sandbox = &ctx.services.sandbox;
        let others = ctx.inputs.iter().enumerate().filter(|(index, _)| *index != primary);
        let writable: Vec<&Path> =
            layout.writable().into_iter().chain(others.map(|(_, input)| input.dir.as_path())).collect();
        sandbox.hand_over(&writable).await?;
        let jail =
            Jail { program: &shell, args: vec![script_file.into()], cwd: &layout.src, env: &environment, writable };
        let spawn = process::Spawn {
            command: sandbox.command(&jail).await?,
            timeout,
            kill_grace: self.kill_grace,
            limits: sandbox.limits(),
        };
        let run = process::run(spawn, &build.script, &build.commands, log, cancel).await?;
        let ran = run.into_phases(&build.commands, timeout, &shell)?;
        let id = &identity.id;
        if let Some(&(phase, _)) = ran.phases.iter().find(|(_, succeeded)| !succeeded) {
            let phase = build.phases.get(phase).map_or("?", |p| p.upper());
            let why = match ran.first_failure {
                Some((index, status)) => {
                    format!("command '{}' exited with status {status}", build.commands.get(index).map_or("?", |c| c))
                }
                None => "a command failed".to_owned(),
            };
            log.line(format!("[Container] Build {id} failed"));
            return Err(ActionFailure::job_failed(format!("Build failed in phase {phase}: {why}")));
        }

        let variables = read_variables(&vars_file, &spec.env.exported_variables, log).await?;
        log.phase(PhaseEvent::Entered("UPLOAD_ARTIFACTS".to_owned()));
        let outputs = artifacts::collect(&layout, &spec, &ctx.action.output_artifacts, log).await?;
        let summary = format!(
            "Build {} of {} succeeded: {} phase(s) in {:.1} s",
            identity.number,
            project.name,
            ran.phases.len(),
            started.elapsed().as_secs_f64()
        );
        log.line(format!("[Container] {summary}"));
        Ok(ActionOutcome::Succeeded(ActionResult {
            outputs,
            variables,
            summary: Some(summary),
            external_execution_id: Some(identity.id),
            ..Default::default()
        }))
    }

    async fn project(&self, ctx: &ActionContext) -> Result<BuildProject, ActionFailure> {
        let name = ctx.configuration.get("ProjectName").map(|n| n.trim()).unwrap_or_default();
        if name.is_empty() {
            return Err(ActionFailure::configuration("ProjectName is required"));
        }
        match self.store.build_project(name).await {
            Ok(Some(project)) => Ok(project),
            Ok(None) => Err(ActionFailure::configuration(format!(
                "The CodeBuild project '{name}' does not exist (create it with `aws codebuild create-project`)"
            ))),
            Err(err) => Err(system(format!("cannot read the CodeBuild project '{name}': {err}"))),
        }
    }
}

/// The input that becomes `src/`: `PrimarySource`, or the first (and only) input.
fn primary_input(ctx: &ActionContext) -> Result<usize, ActionFailure> {
    match ctx.configuration.get("PrimarySource").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(name) => ctx.inputs.iter().position(|input| input.name == name).ok_or_else(|| {
            ActionFailure::configuration(format!("PrimarySource '{name}' is not an input artifact of the action"))
        }),
        None if ctx.inputs.len() > 1 => {
            Err(ActionFailure::configuration("PrimarySource is required when the action has more than one input"))
        }
        None => Ok(0),
    }
}

/// The project's inline buildspec, or the file it names in the primary source.
async fn load_buildspec(project: &BuildProject, src: &Path) -> Result<Buildspec, ActionFailure> {
    let invalid = |err: buildspec::BuildspecError| ActionFailure::job_failed(format!("YAML_FILE_ERROR: {err}"));
    match project.buildspec() {
        BuildspecSource::Inline(text) => buildspec::parse("the project's inline buildspec", text).map_err(invalid),
        BuildspecSource::File(path) => {
            let text = read_source_file(src, path).await?;
            buildspec::parse(path, &text).map_err(invalid)
        }
    }
}

/// Reads a file of the source, refusing one that a link leads outside it.
async fn read_source_file(src: &Path, path: &str) -> Result<String, ActionFailure> {
    let missing = |why: String| ActionFailure::job_failed(format!("YAML_FILE_ERROR: cannot read {path}: {why}"));
    let (src, relative) = (src.to_owned(), path.trim_start_matches("./").to_owned());
    tokio::task::spawn_blocking(move || {
        let root = src.canonicalize().map_err(|err| err.to_string())?;
        let real = src.join(&relative).canonicalize().map_err(|_| "no such file in the primary source".to_owned())?;
        if !real.starts_with(&root) || !real.is_file() {
            return Err("it is not a file inside the primary source".to_owned());
        }
        let meta = std::fs::metadata(&real).map_err(|err| err.to_string())?;
        if meta.len() > MAX_BUILDSPEC_BYTES {
            return Err(format!("it is larger than {MAX_BUILDSPEC_BYTES} bytes"));
        }
        std::fs::read_to_string(&real).map_err(|err| err.to_string())
    })
    .await
    .map_err(|err| missing(err.to_string()))?
    .map_err(missing)
}

/// Sections a build cannot honour without something Sluice lacks fail it, named.
fn refuse_unavailable(spec: &Buildspec) -> Result<(), ActionFailure> {
    let sections = [("parameter-store", &spec.env.parameter_store), ("secrets-manager", &spec.env.secrets_manager)];
    for (section, values) in sections {
        if let Some(name) = values.keys().next() {
            return Err(ActionFailure::configuration(format!(
                "The buildspec's env.{section} ({name}) is not supported yet: Sluice has no parameter store, and \
                 secrets for builds need a permission check it does not make yet"
            )));
        }
    }
    Ok(())
}

/// Says in the log what the buildspec asks for that a local build does not do.
fn log_not_applied(spec: &Buildspec, log: &LogSink) {
    let note = |what: String| log.line(format!("[Container] Not applied here: {what}"));
    if let Some(user) = &spec.run_as {
        note(format!("run-as {user} (commands run as the sandbox's user)"));
    }
    for (name, phase) in spec.phases.declared() {
        if let Some(user) = &phase.run_as {
            note(format!("run-as {user} in {} (commands run as the sandbox's user)", name.upper()));
        }
        if let Some(runtimes) = &phase.runtime_versions {
            let names: Vec<&str> = runtimes.keys().map(String::as_str).collect();
            note(format!("runtime-versions {} (the tools on this machine's PATH are used)", names.join(", ")));
        }
    }
    if spec.proxy.is_some() {
        note("proxy".into());
    }
    if spec.batch.is_some() {
        note("batch (one build runs)".into());
    }
    if spec.env.git_credential_helper.is_some() {
        note("env.git-credential-helper".into());
    }
    if spec.cache.as_ref().is_some_and(|cache| !cache.paths.is_empty()) {
        note("cache.paths (nothing is kept between builds yet)".into());
    }
    if !spec.reports.is_empty() {
        let names: Vec<&str> = spec.reports.keys().map(String::as_str).collect();
        note(format!("reports {} (test reports are not read yet)", names.join(", ")));
    }
}

impl ActionProvider for CodeBuildProvider {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(self.run(ctx))
    }
}
