//! The interface every stage-condition rule implements, next to the action providers, and the
//! rule types Sluice evaluates itself: VariableCheck, DeploymentWindow and Commands. The
//! scheduler resolves the rule's configuration variables and unpacks its input artifacts first,
//! exactly as for actions; a rule only answers whether it passes.
mod commands;
mod cron;
mod deployment_window;
mod variable_check;

pub use commands::CommandsRule;
pub use deployment_window::DeploymentWindow;
pub use variable_check::VariableCheck;

use super::{ActionFailure, BoxFuture, InputArtifactDir, LogSink};
use indexmap::IndexMap;
use model::RuleDeclaration;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Ok: the rule passed, with a summary of why. Err: it failed (`JobFailed`) or could not be
/// evaluated (`ConfigurationError`), with the message the condition reports.
pub type RuleResult = Result<String, ActionFailure>;

pub trait RuleProvider: Send + Sync {
    /// Evaluates one rule execution. Must return soon after `ctx.cancel` fires.
    fn evaluate<'a>(&'a self, ctx: &'a RuleContext) -> BoxFuture<'a, RuleResult>;
}

/// Everything one rule evaluation may use.
pub struct RuleContext {
    pub pipeline_name: String,
    pub pipeline_execution_id: String,
    pub stage_name: String,
    pub rule_execution_id: String,
    /// The rule as declared (commands, input artifacts, ...).
    pub rule: RuleDeclaration,
    /// `configuration` with every `#{namespace.key}` replaced.
    pub configuration: IndexMap<String, String>,
    /// An empty directory owned by this evaluation.
    pub workspace: PathBuf,
    pub inputs: Vec<InputArtifactDir>,
    pub log: LogSink,
    pub cancel: CancellationToken,
    pub timeout: Duration,
    /// When the evaluation started (ms since the epoch); DeploymentWindow compares with it.
    pub now_ms: i64,
    pub services: crate::Services,
}

impl RuleContext {
    /// A configuration value the catalogue marks required (validation guarantees it is there).
    fn required(&self, key: &str) -> Result<&str, ActionFailure> {
        self.configuration
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| ActionFailure::configuration(format!("The rule's configuration has no '{key}'.")))
    }
}
