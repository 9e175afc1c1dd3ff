//! What Sluice keeps about a run: the rows of pipeline, stage and action executions, with their
//! JSON columns decoded into types once, when a row is read. The keys are camelCase, as
//! CodePipeline's API spells the same fields, so a column can be shown on the wire as it is.
//! The store reads and writes these rows; everything else reads them through `Engine`.
use indexmap::IndexMap;
use model::{ActionExecutionStatus, ActionTypeId, ExecutionMode, PipelineExecutionStatus, StageExecutionStatus};
use model::{RuleTypeId, TriggerType};

pub use model::{ExecutionType, RetryTrigger};
use serde::{Deserialize, Serialize};

pub use crate::store::conditions::ConditionRow;
pub use crate::store::events::TransitionRow;

/// A pipeline execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRow {
    pub execution_id: String,
    pub pipeline_name: String,
    pub pipeline_version: u32,
    pub seq: i64,
    pub status: PipelineExecutionStatus,
    pub status_summary: Option<String>,
    pub trigger_type: TriggerType,
    pub trigger_detail: String,
    /// The ARN of the user who started the execution, whatever the trigger; `None` when no user did.
    pub started_by: Option<String>,
    /// The ARNs of users who retried a stage of it (RetryStageExecution), in order.
    pub retried_by: Vec<String>,
    pub execution_mode: ExecutionMode,
    pub execution_type: ExecutionType,
    /// For a rollback: the execution whose run of the stage is repeated.
    pub rollback_target: Option<String>,
    pub variables: Vec<ResolvedVariable>,
    /// The revisions the start pinned source actions to.
    pub source_revisions: Vec<SourceRevisionOverride>,
    pub client_request_token: Option<String>,
    pub stop_reason: Option<String>,
    pub stop_abandon: bool,
    pub current_stage: usize,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl ExecutionRow {
    /// The users who set this execution going: its starter and whoever retried a stage of it.
    /// A manual approval with AllowSelfApproval=false refuses each of them.
    pub fn starters(&self) -> Vec<String> {
        self.started_by.iter().chain(&self.retried_by).cloned().collect()
    }

    /// The variables as (name, value) pairs.
    pub fn variable_pairs(&self) -> Vec<(String, String)> {
        self.variables.iter().map(|v| (v.name.clone(), v.resolved_value.clone())).collect()
    }

    /// The revision the start pinned `action` to, if any.
    pub fn pinned_revision(&self, action: &str) -> Option<&str> {
        self.source_revisions.iter().find(|r| r.action_name == action).map(|r| r.revision_value.as_str())
    }
}

/// A pipeline variable's value in one execution, as GetPipelineExecution reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedVariable {
    pub name: String,
    pub resolved_value: String,
}

/// One entry of StartPipelineExecution's `sourceRevisions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRevisionOverride {
    pub action_name: String,
    /// `COMMIT_ID`, `IMAGE_DIGEST`, `S3_OBJECT_VERSION_ID` or `S3_OBJECT_KEY`.
    pub revision_type: String,
    pub revision_value: String,
}

impl SourceRevisionOverride {
    /// Pins `action` (a source action with `provider`) to `revision`, typed as the provider's
    /// revisions are.
    pub fn pin(action: &str, provider: &str, revision: &str) -> Self {
        let revision_type = match provider {
            "S3" => "S3_OBJECT_VERSION_ID",
            "ECR" => "IMAGE_DIGEST",
            _ => "COMMIT_ID",
        };
        SourceRevisionOverride {
            action_name: action.to_owned(),
            revision_type: revision_type.to_owned(),
            revision_value: revision.to_owned(),
        }
    }
}

/// One run of a stage in an execution (a retry is a new attempt of the same row).
#[derive(Debug, Clone, PartialEq)]
pub struct StageRow {
    pub execution_id: String,
    pub stage_name: String,
    pub status: StageExecutionStatus,
    pub attempt: i64,
    pub base_attempt: i64,
    pub manual_retries: i64,
    pub auto_retries: i64,
    /// The kind of the latest retry, if any.
    pub last_retry_trigger: Option<RetryTrigger>,
    pub started_ms: i64,
    pub updated_ms: i64,
}

/// One attempt of an action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    pub action_execution_id: String,
    pub execution_id: String,
    pub stage_name: String,
    pub action_name: String,
    pub run_order: u32,
    pub stage_attempt: i64,
    pub state: AttemptState,
    pub external_execution_id: Option<String>,
    pub external_execution_url: Option<String>,
    /// A manual approval's token while it waits for an answer.
    pub token: Option<String>,
    pub expires_ms: Option<i64>,
    pub input: ActionInput,
    pub output: ActionOutput,
}

/// Where an attempt of leased work (an action or a rule) stands: its status and why, and which
/// node holds it until when. Rule statuses are the action statuses (RuleExecutionStatus).
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptState {
    pub status: ActionExecutionStatus,
    pub summary: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_expires_ms: Option<i64>,
    /// How many times a node took the attempt (1 at the start, more after takeovers).
    pub claims: i64,
    pub started_ms: i64,
    pub updated_ms: i64,
}

impl AttemptState {
    /// A new attempt in progress, leased to `node` until `lease_expires_ms`.
    pub fn started(node: &str, lease_expires_ms: i64, now: i64) -> Self {
        AttemptState {
            status: ActionExecutionStatus::InProgress,
            summary: None,
            error_code: None,
            error_message: None,
            lease_owner: Some(node.to_owned()),
            lease_expires_ms: Some(lease_expires_ms),
            claims: 1,
            started_ms: now,
            updated_ms: now,
        }
    }

    /// Ends the attempt as Abandoned (its stage or execution ended first); nobody holds it.
    pub fn abandon(&mut self, why: &str, now: i64) {
        self.status = ActionExecutionStatus::Abandoned;
        self.summary = Some(why.to_owned());
        self.lease_owner = None;
        self.updated_ms = now;
    }

    /// Ends the attempt before it ran: its configuration could not be resolved.
    pub fn fail_configuration(&mut self, message: String) {
        self.status = ActionExecutionStatus::Failed;
        self.error_code = Some("ConfigurationError".into());
        self.error_message = Some(message);
        self.lease_owner = None;
        self.lease_expires_ms = None;
    }
}

/// What an action attempt was asked to do: ListActionExecutions' `input`, plus the resolved
/// environment (secrets still sealed), which never leaves the engine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionInput {
    pub action_type_id: Option<ActionTypeId>,
    #[serde(default)]
    pub configuration: IndexMap<String, String>,
    /// The configuration with variables substituted; absent when they could not be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_configuration: Option<IndexMap<String, String>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub resolved_environment: IndexMap<String, String>,
    #[serde(default)]
    pub input_artifacts: Vec<ArtifactName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl ActionInput {
    /// Shows every sealed secret as `****`, for reads of the stored input.
    pub fn mask_sealed(&mut self) {
        let resolved = self.resolved_configuration.iter_mut().flat_map(|c| c.values_mut());
        let values = self.configuration.values_mut().chain(resolved).chain(self.resolved_environment.values_mut());
        crate::secrets::mask_sealed(values);
    }

    /// The resolved configuration, or nothing when it could not be resolved.
    pub fn resolved(&self) -> &IndexMap<String, String> {
        resolved_or_empty(&self.resolved_configuration)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactName {
    pub name: String,
}

/// What an action attempt produced, and for approvals, who answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionOutput {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_artifacts: Vec<StoredArtifact>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub output_variables: IndexMap<String, String>,
    /// The revision a source action fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<Revision>,
    /// Who approved so far (an approval with RequiredApprovals above 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    /// The answer that ended an approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalAnswer>,
    /// How far a job worker says it got (PutJobSuccessResult's executionDetails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_complete: Option<u8>,
}

/// An output artifact, stored as an immutable object version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredArtifact {
    pub name: String,
    pub location: ArtifactLocation,
    pub version_id: String,
    pub sha256: String,
    pub size: u64,
}

/// CodePipeline's artifact location: always S3-shaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    #[serde(rename = "type")]
    pub kind: String,
    pub s3_location: S3Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Location {
    pub bucket_name: String,
    pub object_key: String,
}

impl StoredArtifact {
    pub fn new(name: &str, bucket: &str, key: &str, version: &crate::objects::ObjectVersion) -> Self {
        StoredArtifact {
            name: name.to_owned(),
            location: ArtifactLocation {
                kind: "S3".to_owned(),
                s3_location: S3Location { bucket_name: bucket.to_owned(), object_key: key.to_owned() },
            },
            version_id: version.version_id.clone(),
            sha256: version.sha256.clone(),
            size: version.size,
        }
    }
}

/// A source revision, as a source action reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    #[serde(alias = "revision_id")]
    pub revision_id: String,
    #[serde(default, alias = "revision_change_id")]
    pub revision_change_id: Option<String>,
    #[serde(default, alias = "revision_summary")]
    pub revision_summary: Option<String>,
    #[serde(default, alias = "revision_url")]
    pub revision_url: Option<String>,
    #[serde(default, alias = "created_ms")]
    pub created_ms: Option<i64>,
}

/// The answer that ended a manual approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalAnswer {
    pub status: crate::ApprovalStatus,
    pub summary: String,
    pub answered_by: String,
    pub answered_at: i64,
}

/// One rule of a condition evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRow {
    pub rule_execution_id: String,
    pub execution_id: String,
    pub stage_name: String,
    pub condition_type: model::ConditionType,
    pub stage_attempt: i64,
    pub rule_name: String,
    pub state: AttemptState,
    pub input: RuleInput,
    pub output: RuleOutput,
}

/// What a rule attempt was asked to evaluate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleInput {
    pub rule_type_id: Option<RuleTypeId>,
    #[serde(default)]
    pub configuration: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_configuration: Option<IndexMap<String, String>>,
    #[serde(default)]
    pub input_artifacts: Vec<ArtifactName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl RuleInput {
    /// The resolved configuration, or nothing when it could not be resolved.
    pub fn resolved(&self) -> &IndexMap<String, String> {
        resolved_or_empty(&self.resolved_configuration)
    }
}

/// What a rule attempt found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleOutput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_result: Option<RuleExecutionResult>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleExecutionResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_execution_summary: Option<String>,
}

fn resolved_or_empty(resolved: &Option<IndexMap<String, String>>) -> &IndexMap<String, String> {
    static EMPTY: std::sync::OnceLock<IndexMap<String, String>> = std::sync::OnceLock::new();
    resolved.as_ref().unwrap_or_else(|| EMPTY.get_or_init(IndexMap::new))
}
