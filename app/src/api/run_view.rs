//! What the run view shows of one execution: its stages, actions and attempts, and what failed.
//! Types only; `runs` fills them and `failure` finds the failure.
use serde::{Deserialize, Serialize};

/// One execution as the pipeline page shows it, or the pipeline's stages alone if it never ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunView {
    pub now_ms: i64,
    pub pipeline: String,
    pub execution: Option<RunSummary>,
    pub stages: Vec<StageRun>,
    /// The newest executions, for choosing which one to show.
    pub recent: Vec<RunSummary>,
    /// The source revisions the execution ran: (source action, revision id).
    pub revisions: Vec<(String, String)>,
    /// Whether the user may start executions (and so re-run this one).
    pub can_start: bool,
    /// Whether the user may stop this pipeline's executions.
    pub can_stop: bool,
    /// What failed, when an action of the execution did.
    pub failure: Option<Failure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: String,
    pub status: String,
    pub trigger: String,
    pub trigger_detail: String,
    pub pipeline_version: u32,
    pub started_ms: i64,
    pub updated_ms: i64,
    pub stop_reason: Option<String>,
    pub variables: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRun {
    pub name: String,
    /// None when this execution has not entered the stage.
    pub status: Option<String>,
    pub transition_enabled: bool,
    pub disabled_reason: Option<String>,
    /// Whether this stage may be rolled back to this execution (see `rerun::rollback_stages`).
    pub can_roll_back: bool,
    /// Whether the user may retry this stage.
    pub can_retry: bool,
    /// Whether the user may flip the transition into this stage (enable it, or disable it).
    pub can_set_transition: bool,
    pub actions: Vec<ActionRun>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRun {
    pub name: String,
    pub category: String,
    pub provider: String,
    /// The action's newest attempt in this execution.
    pub attempt: Option<ActionAttempt>,
    /// Whether the user may answer this action's approvals.
    pub can_answer: bool,
    /// Whether Sluice runs the provider itself (the catalogue's `sluiceRunsLocally`).
    pub runs_locally: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionAttempt {
    pub id: String,
    pub status: String,
    pub started_ms: i64,
    pub updated_ms: i64,
    pub summary: Option<String>,
    pub error: Option<String>,
    pub configuration: Vec<(String, String)>,
    pub output_variables: Vec<(String, String)>,
    pub output_artifacts: Vec<String>,
    pub external_url: Option<String>,
    /// The CodeBuild build a CodeBuild action ran, for the link to its page.
    pub build_id: Option<String>,
    /// The approval token while a manual approval waits.
    pub approval_token: Option<String>,
    /// The answers a manual approval received, oldest first.
    pub decisions: Vec<super::approvals::Decision>,
}

/// What failed in an execution: the first failed action in stage order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub stage: String,
    pub action: String,
    /// The failed attempt, whose whole log the summary links to.
    pub attempt_id: String,
    /// The action's error message, else its summary.
    pub error: String,
    /// The last lines of the action's log, as (line number, text).
    pub log_tail: Vec<(i64, String)>,
}
