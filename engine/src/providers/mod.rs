//! The one interface every action provider implements: S3 source, Manual approval, Commands now;
//! git sources, buildspec builds, deploys, invokes and remote job workers later.
//!
//! The scheduler knows no provider by name. Before `execute` it has resolved the configuration's
//! variables and unpacked each input artifact into its own folder; after `Succeeded` it packs and
//! stores the outputs and records the variables. A provider only does its own job.
pub mod codecommit_source;
pub mod connection_source;
mod git_source;
pub(crate) mod job_worker;
pub mod manual;
pub mod rules;
pub mod s3_deploy;
pub mod s3_source;

pub use crate::runs::Revision;
use indexmap::IndexMap;
use model::ActionDeclaration;
use std::{future::Future, path::PathBuf, pin::Pin, time::Duration};
use tokio_util::sync::CancellationToken;

pub mod codebuild;
pub mod commands;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait ActionProvider: Send + Sync {
    /// Runs one attempt of an action. Must return soon after `ctx.cancel` fires.
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>>;

    /// How long an attempt may take when the action sets no `timeoutInMinutes`: CodePipeline's
    /// quota for the kind of action, an hour unless the provider says otherwise.
    fn default_timeout(&self) -> Duration {
        Duration::from_secs(60 * 60)
    }
}

/// Everything an action attempt may use. The workspace is empty and private to this attempt.
pub struct ActionContext {
    pub pipeline_name: String,
    pub pipeline_execution_id: String,
    pub stage_name: String,
    pub action_execution_id: String,
    /// The action as declared (commands, output artifact `files`, outputVariables, ...).
    pub action: ActionDeclaration,
    /// `configuration` with every `#{namespace.key}` replaced.
    pub configuration: IndexMap<String, String>,
    /// Environment variables with values resolved the same way.
    pub environment: IndexMap<String, String>,
    /// The folder private to this attempt, in the sandbox's work dir. It exists and holds only
    /// `input-<name>/` (each input artifact's folder); a provider makes what else it needs inside.
    pub workspace: PathBuf,
    /// Input artifacts in declaration order, each unpacked into its own directory.
    pub inputs: Vec<InputArtifactDir>,
    /// For source actions: the revision this execution is pinned to (from StartPipelineExecution's
    /// sourceRevisions, a poll or PutActionRevision); None means the latest.
    pub source_revision: Option<String>,
    pub log: LogSink,
    pub cancel: CancellationToken,
    /// The longest this attempt may run; the scheduler also enforces it.
    pub timeout: Duration,
    pub services: crate::Services,
}

#[derive(Debug, Clone)]
pub struct InputArtifactDir {
    pub name: String,
    pub dir: PathBuf,
}

// One per attempt, moved a few times: boxing the result would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum ActionOutcome {
    Succeeded(ActionResult),
    /// The action waits for an outside answer (a manual approval, a job worker) until `expires_ms`.
    Waiting {
        token: String,
        expires_ms: i64,
        summary: Option<String>,
    },
}

/// What a succeeded action hands back.
#[derive(Debug, Default)]
pub struct ActionResult {
    /// One entry per declared output artifact.
    pub outputs: Vec<OutputArtifactPayload>,
    /// Exported under the action's namespace, if it has one.
    pub variables: IndexMap<String, String>,
    pub summary: Option<String>,
    pub external_execution_id: Option<String>,
    pub external_execution_url: Option<String>,
    /// For source actions: the revision this execution runs.
    pub revision: Option<Revision>,
}

#[derive(Debug)]
pub struct OutputArtifactPayload {
    pub name: String,
    pub payload: Payload,
}

#[derive(Debug)]
pub enum Payload {
    /// A directory to zip, as a build's collected files.
    Dir(PathBuf),
    /// A file that already is the artifact (an S3 source object is passed on unchanged).
    File(PathBuf),
}

/// Why an attempt failed, in CodePipeline's failure types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct ActionFailure {
    pub kind: FailureKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FailureKind {
    JobFailed,
    ConfigurationError,
    PermissionError,
    RevisionOutOfSync,
    RevisionUnavailable,
    SystemUnavailable,
}

impl From<crate::sandbox::SandboxError> for ActionFailure {
    fn from(err: crate::sandbox::SandboxError) -> Self {
        ActionFailure { kind: FailureKind::SystemUnavailable, message: err.0 }
    }
}

impl ActionFailure {
    pub fn job_failed(message: impl Into<String>) -> Self {
        ActionFailure { kind: FailureKind::JobFailed, message: message.into() }
    }

    pub fn configuration(message: impl Into<String>) -> Self {
        ActionFailure { kind: FailureKind::ConfigurationError, message: message.into() }
    }
}

/// Where an action's log lines go: kept with the action execution and streamed live.
#[derive(Debug, Clone)]
pub struct LogSink {
    tx: tokio::sync::mpsc::UnboundedSender<String>,
    /// Who follows the phases a script enters and ends (a build's record), told apart from
    /// the lines so that a command printing a phase banner cannot fake one.
    phases: Option<tokio::sync::mpsc::UnboundedSender<PhaseEvent>>,
}

/// A phase of a script (a buildspec's INSTALL, BUILD, ...) began or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhaseEvent {
    Entered(String),
    Done { phase: String, succeeded: bool },
}

impl LogSink {
    pub fn channel() -> (LogSink, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (LogSink { tx, phases: None }, rx)
    }

    /// Appends one line (without its newline). Lines sent after the action ended are dropped.
    pub fn line(&self, text: impl Into<String>) {
        let _ = self.tx.send(text.into());
    }

    /// The same log, whose phase events also reach the returned receiver until it is dropped.
    pub fn with_phases(&self) -> (LogSink, tokio::sync::mpsc::UnboundedReceiver<PhaseEvent>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (LogSink { tx: self.tx.clone(), phases: Some(tx) }, rx)
    }

    pub fn phase(&self, event: PhaseEvent) {
        if let Some(phases) = &self.phases {
            let _ = phases.send(event);
        }
    }
}

/// Registers the action and rule providers Sluice runs locally.
pub(crate) fn register_builtin(engine: &crate::Engine) {
    use model::{ActionCategory, ActionOwner};
    use std::sync::Arc;
    engine.register_provider(ActionCategory::Approval, ActionOwner::Aws, "Manual", Arc::new(manual::ManualApproval));
    engine.register_provider(ActionCategory::Source, ActionOwner::Aws, "S3", Arc::new(s3_source::S3Source));
    let s3_deploy = Arc::new(s3_deploy::S3Deploy::new(engine.account().clone()));
    engine.register_provider(ActionCategory::Deploy, ActionOwner::Aws, "S3", s3_deploy);
    let codecommit = Arc::new(codecommit_source::CodeCommitSource);
    engine.register_provider(ActionCategory::Source, ActionOwner::Aws, "CodeCommit", codecommit);
    let connection = Arc::new(connection_source::ConnectionSource::new(engine.connections()));
    engine.register_provider(ActionCategory::Source, ActionOwner::Aws, "CodeStarSourceConnection", connection);
    engine.register_provider(
        ActionCategory::Compute,
        ActionOwner::Aws,
        "Commands",
        Arc::new(commands::CommandsProvider::new()),
    );
    let codebuild = Arc::new(engine.codebuild_provider());
    engine.register_provider(ActionCategory::Build, ActionOwner::Aws, "CodeBuild", codebuild.clone());
    engine.register_provider(ActionCategory::Test, ActionOwner::Aws, "CodeBuild", codebuild);
    engine.register_rule_provider("VariableCheck", Arc::new(rules::VariableCheck));
    engine.register_rule_provider("DeploymentWindow", Arc::new(rules::DeploymentWindow));
    engine.register_rule_provider("Commands", Arc::new(rules::CommandsRule::new(commands::CommandsProvider::new())));
}
