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
//! - What cannot apply here (`run-as`, `runtime-versions`, `proxy`, `cache`, `reports`, ...) is
//!   said in the log. The action's SECRETS_MANAGER variables come opened from the scheduler
//!   (`scheduler::unseal`); PARAMETER_STORE values and a project's secrets are refused by name.
mod artifacts;
pub mod buildspec;
mod environment;
mod script;

use super::commands::{env::FALLBACK_PATH, files::Layout, process, script::read_variables, system};
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, ActionResult, BoxFuture, LogSink};
use crate::build_projects::{BuildProject, BuildspecSource};
use crate::sandbox::Jail;
use crate::{Account, Store, StoreError};
use buildspec::Buildspec;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A buildspec file larger than this is refused rather than read.
const MAX_BUILDSPEC_BYTES: u64 = 1024 * 1024;

/// Runs CodeBuild projects' buildspecs locally.
#[derive(Debug, Clone)]
pub struct CodeBuildProvider {
    store: Store,
    /// Where build ARNs say builds run.
    account: Account,
    path: String,
    kill_grace: Duration,
}

impl CodeBuildProvider {
    pub fn new(store: Store, account: Account) -> Self {
        let path = std::env::var("PATH").unwrap_or_else(|_| FALLBACK_PATH.to_owned());
        CodeBuildProvider { store, account, path, kill_grace: Duration::from_secs(5) }
    }

    /// How long processes get between SIGTERM and SIGKILL when a build is stopped.
    pub fn with_kill_grace(mut self, grace: Duration) -> Self {
        self.kill_grace = grace;
        self
    }

    async fn run(&self, ctx: &ActionContext) -> Result<ActionOutcome, ActionFailure> {
        let started = Instant::now();
        let project = self.project(ctx).await?;
        let primary = primary_input(ctx)?;
        let action_variables = environment::action_variables(ctx)?;
        environment::check_types(&project.environment.environment_variables, "The project's", false)?;
        environment::check_types(&action_variables, "The action's", true)?;
        let layout = Layout::create(&ctx.workspace, ctx.inputs.get(primary).map(|i| i.dir.as_path())).await?;
        let spec = load_buildspec(&project, &layout.src).await?;
        refuse_unavailable(&spec)?;
        ctx.log.line(format!(
            "[Container] Running in the host sandbox: no container runtime is used, so image {} and compute type {} are recorded only",
            project.environment.image, project.environment.compute_type
        ));
        log_not_applied(&spec, &ctx.log);

        let number = self.store.next_build_number(&project.name).await.map_err(|err| match err {
            StoreError::NotFound => {
                ActionFailure::configuration(format!("The CodeBuild project '{}' was deleted", project.name))
            }
            other => system(format!("cannot number the build: {other}")),
        })?;
        let id = format!("{}:{}", project.name, uuid::Uuid::new_v4());
        let arn = format!("arn:aws:codebuild:{}:{}:build/{id}", self.account.region, self.account.id);
        let identity = environment::BuildIdentity { id: id.clone(), arn, number };
        let environment = environment::build(
            ctx,
            &layout,
            &self.path,
            primary,
            &identity,
            (&spec, &project, action_variables.as_slice()),
        )?;
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
        let timeout = ctx.timeout.min(Duration::from_secs(u64::from(project.timeout_in_minutes) * 60));
        let spawn = process::Spawn {
            command: sandbox.command(&jail).await?,
            timeout,
            kill_grace: self.kill_grace,
            limits: sandbox.limits(),
        };
        let run = process::run(spawn, &build.script, &build.commands, &ctx.log, &ctx.cancel).await?;
        let ran = run.into_phases(&build.commands, timeout, &shell)?;
        if let Some(&(phase, _)) = ran.phases.iter().find(|(_, succeeded)| !succeeded) {
            let phase = build.phases.get(phase).map_or("?", |p| p.upper());
            let why = match ran.first_failure {
                Some((index, status)) => {
                    format!("command '{}' exited with status {status}", build.commands.get(index).map_or("?", |c| c))
                }
                None => "a command failed".to_owned(),
            };
            ctx.log.line(format!("[Container] Build {id} failed"));
            return Err(ActionFailure::job_failed(format!("Build failed in phase {phase}: {why}")));
        }

        let variables = read_variables(&vars_file, &spec.env.exported_variables, &ctx.log).await?;
        let outputs = artifacts::collect(&layout, &spec, &ctx.action.output_artifacts, &ctx.log).await?;
        let summary = format!(
            "Build {number} of {} succeeded: {} phase(s) in {:.1} s",
            project.name,
            ran.phases.len(),
            started.elapsed().as_secs_f64()
        );
        ctx.log.line(format!("[Container] {summary}"));
        Ok(ActionOutcome::Succeeded(ActionResult {
            outputs,
            variables,
            summary: Some(summary),
            external_execution_id: Some(id),
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
