//! What is kept of a build, in CodeBuild's terms: its status, its phases with their times, who
//! started it and with what. Secrets are never kept: a variable that is not PLAINTEXT is stored
//! with its value masked.
use crate::build_projects::BuildVariable;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A build's (and a phase's) status, as CodeBuild spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BuildStatus {
    InProgress,
    Succeeded,
    Failed,
    /// Sluice could not run the build (a missing buildspec, a sandbox that cannot start).
    Fault,
    TimedOut,
    Stopped,
}

impl BuildStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildStatus::InProgress => "IN_PROGRESS",
            BuildStatus::Succeeded => "SUCCEEDED",
            BuildStatus::Failed => "FAILED",
            BuildStatus::Fault => "FAULT",
            BuildStatus::TimedOut => "TIMED_OUT",
            BuildStatus::Stopped => "STOPPED",
        }
    }

    pub fn parse(text: &str) -> Option<BuildStatus> {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
    }

    pub fn is_final(self) -> bool {
        match self {
            BuildStatus::InProgress => false,
            BuildStatus::Succeeded
            | BuildStatus::Failed
            | BuildStatus::Fault
            | BuildStatus::TimedOut
            | BuildStatus::Stopped => true,
        }
    }
}

/// One phase of a build (SUBMITTED, PROVISIONING, DOWNLOAD_SOURCE, the buildspec's phases,
/// UPLOAD_ARTIFACTS, COMPLETED); a phase without a status is still running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildPhase {
    pub phase_type: String,
    #[serde(default)]
    pub phase_status: Option<BuildStatus>,
    pub start_ms: i64,
    #[serde(default)]
    pub end_ms: Option<i64>,
    /// Why the phase failed, shown as CodeBuild's phase `contexts`.
    #[serde(default)]
    pub message: Option<String>,
}

impl BuildPhase {
    pub fn duration_seconds(&self) -> Option<i64> {
        self.end_ms.map(|end| (end - self.start_ms).max(0) / 1000)
    }
}

/// The pipeline action a build runs for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineLink {
    pub pipeline: String,
    pub execution_id: String,
    pub stage: String,
    pub action: String,
}

/// The parts of a build kept as one JSON document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDetail {
    pub arn: String,
    pub phases: Vec<BuildPhase>,
    pub source_type: String,
    #[serde(default)]
    pub source_location: Option<String>,
    #[serde(default)]
    pub source_version: Option<String>,
    pub image: String,
    pub compute_type: String,
    pub timeout_in_minutes: u32,
    /// The project's variables then the build's overrides, secrets masked.
    #[serde(default)]
    pub environment_variables: Vec<BuildVariable>,
    #[serde(default)]
    pub exported_variables: IndexMap<String, String>,
    /// What StartBuild was asked for, so that RetryBuild asks again (API builds only, where
    /// overrides are PLAINTEXT).
    #[serde(default)]
    pub overrides: Vec<BuildVariable>,
    #[serde(default)]
    pub buildspec_override: Option<String>,
    #[serde(default)]
    pub pipeline: Option<PipelineLink>,
    /// Why the build did not succeed.
    #[serde(default)]
    pub message: Option<String>,
}

/// One build of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// `project:uuid`.
    pub id: String,
    pub project: String,
    pub number: i64,
    pub status: BuildStatus,
    pub current_phase: String,
    /// `codepipeline/<pipeline>` or the user who called StartBuild.
    pub initiator: String,
    /// The key of the build's lines in the log table.
    pub log_key: String,
    pub action_execution_id: Option<String>,
    pub idempotency_token: Option<String>,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    pub detail: BuildDetail,
}

impl Build {
    pub fn is_from_pipeline(&self) -> bool {
        self.detail.pipeline.is_some()
    }
}

/// Variables as a build record may show them: PLAINTEXT values, and only the names of others.
pub fn masked(variables: &[BuildVariable]) -> Vec<BuildVariable> {
    variables
        .iter()
        .map(|v| BuildVariable {
            name: v.name.clone(),
            value: if v.kind == "PLAINTEXT" { v.value.clone() } else { "****".to_owned() },
            kind: v.kind.clone(),
        })
        .collect()
}
