//! The `Commands` action (`Compute / AWS / Commands / 1`, V2 pipelines): runs the action's shell
//! commands on this machine, the way CodePipeline runs them on managed CodeBuild compute.
//!
//! What a run looks like:
//! - The commands run in the sandbox (`crate::sandbox`), which sees only the folders below.
//! - The attempt's workspace gets `src/` (the working directory and `CODEBUILD_SRC_DIR`, holding
//!   the first input artifact), `home/` (`HOME`), `tmp/` (`TMPDIR`), `run/` (the generated script)
//!   and, after the run, `artifacts/` (collected outputs, never visible to the commands). Keeping
//!   HOME and TMPDIR beside `src/` rather than in it means caches never end up in an output
//!   artifact collected with `**/*`.
//! - Every further input is reachable through `CODEBUILD_SRC_DIR_<ArtifactName>` (characters that
//!   cannot appear in a shell variable name become `_`).
//! - All commands run in order in ONE shell (default `bash`), so `cd` and `export` carry over; the
//!   first command that exits non-zero (with `pipefail`) stops the run, as in CodeBuild.
//! - The shell starts from an empty environment: PATH, HOME, TMPDIR, LANG, CI markers, the
//!   CodeBuild/CodePipeline variables and then the action's `environmentVariables` (which win).
//! - stdout and stderr share one pipe, so the log keeps their real interleaving.
//! - On timeout, cancellation or too much output the shell gets SIGTERM, then SIGKILL after a
//!   grace period; processes the commands leave running end with the shell.
//!
//! Choices where the AWS documentation is silent:
//! - `outputVariables` that are unset at the end of the run are skipped (logged), not an error; set
//!   but unexported shell variables count. Their values may total at most 122,880 bytes.
//! - `files` follow CodeBuild's artifact patterns, relative to `src/`: `*` stays within one
//!   directory, `**` crosses directories, a trailing `/` (`**/`, `dist/`) means everything below,
//!   and a plain directory name takes its whole contents. As in CodeBuild, a pattern that matches
//!   nothing is skipped with a log line; the action fails only if no pattern matched any file.
//!   An output artifact without `files` collects the whole of `src/`.
//! - Commands containing a line break are refused (AWS: "multi-line formats are not supported").
//! - A command that ends the shell itself (`exit 0`) before the last command fails the action,
//!   because the rest of the commands and the output variables never ran.
pub(super) mod env;
pub(super) mod files;
pub(super) mod process;
pub(super) mod script;

use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, ActionResult, BoxFuture};
use crate::sandbox::Jail;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// CodePipeline's limit on the total size of one action's output variable values.
pub const MAX_OUTPUT_VARIABLES_BYTES: usize = 122_880;

/// Runs `ActionDeclaration.commands` in a local shell.
#[derive(Debug, Clone)]
pub struct CommandsProvider {
    shell: PathBuf,
    path: String,
    kill_grace: Duration,
}

impl Default for CommandsProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandsProvider {
    /// `bash`, the server's own PATH (it names tools, not secrets) and a 5 s grace period.
    pub fn new() -> Self {
        CommandsProvider {
            shell: PathBuf::from("bash"),
            path: std::env::var("PATH").unwrap_or_else(|_| env::FALLBACK_PATH.to_owned()),
            kill_grace: Duration::from_secs(5),
        }
    }

    /// The shell that runs the commands; it must accept a script file as its only argument.
    pub fn with_shell(mut self, shell: impl Into<PathBuf>) -> Self {
        self.shell = shell.into();
        self
    }

    /// The PATH the commands see.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// How long processes get between SIGTERM and SIGKILL when a run is stopped.
    pub fn with_kill_grace(mut self, grace: Duration) -> Self {
        self.kill_grace = grace;
        self
    }

    async fn run(&self, ctx: &ActionContext) -> Result<ActionOutcome, ActionFailure> {
        let started = Instant::now();
        let commands = &ctx.action.commands;
        script::check_commands(commands)?;
        script::check_variable_names(&ctx.action.output_variables)?;
        let layout = files::Layout::create(&ctx.workspace, ctx.inputs.first().map(|i| i.dir.as_path())).await?;
        let vars_file = layout.run.join("variables");
        let script = script::Script::new(commands, &ctx.action.output_variables, &vars_file);
        let script_file = layout.run.join("commands.sh");
        tokio::fs::write(&script_file, script.text())
            .await
            .map_err(|err| system(format!("cannot write the command script: {err}")))?;

        let environment = env::build(ctx, &layout, &self.path, 0)?;
        let sandbox = &ctx.services.sandbox;
        let writable: Vec<&Path> =
            layout.writable().into_iter().chain(ctx.inputs.iter().skip(1).map(|input| input.dir.as_path())).collect();
        sandbox.hand_over(&writable).await?;
        let jail = Jail {
            program: &self.shell,
            args: vec![script_file.into()],
            cwd: &layout.src,
            env: &environment,
            writable,
        };
        let spawn = process::Spawn {
            command: sandbox.command(&jail).await?,
            timeout: ctx.timeout,
            kill_grace: self.kill_grace,
            limits: sandbox.limits(),
        };
        let run = process::run(spawn, &script, commands, &ctx.log, &ctx.cancel).await?;
        run.into_result(commands, ctx.timeout, &self.shell)?;

        let variables = script::read_variables(&vars_file, &ctx.action.output_variables, &ctx.log).await?;
        let mut outputs = Vec::new();
        for artifact in &ctx.action.output_artifacts {
            outputs.push(files::collect_output(&layout, artifact, &ctx.log).await?);
        }
        let summary = format!(
            "{} command{} succeeded in {:.1} s",
            commands.len(),
            if commands.len() == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64()
        );
        ctx.log.line(format!("[Sluice] {summary}"));
        Ok(ActionOutcome::Succeeded(ActionResult { outputs, variables, summary: Some(summary), ..Default::default() }))
    }
}

impl ActionProvider for CommandsProvider {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(self.run(ctx))
    }

    fn default_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(55 * 60)
    }
}

/// A failure of this machine rather than of the user's commands.
pub(super) fn system(message: String) -> ActionFailure {
    ActionFailure { kind: super::FailureKind::SystemUnavailable, message }
}
