//! Serde types for CodePipeline's `PipelineDeclaration` (V1 and V2).
//!
//! Why these exact shapes: Sluice promises that `get-pipeline` output is byte-compatible with AWS,
//! so field order follows what `aws codepipeline get-pipeline` prints, every struct rejects unknown
//! fields (a typo must not silently drop configuration), and maps are `IndexMap` so key order
//! survives a round trip through the editor or the store.

mod action;
mod conditions;
mod enums;
mod triggers;

pub use action::*;
pub use conditions::*;
pub use enums::*;
pub use triggers::*;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The whole pipeline, as sent to CreatePipeline/UpdatePipeline and returned by GetPipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineDeclaration {
    pub name: String,
    pub role_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_store: Option<ArtifactStore>,
    /// Region name → store; used instead of `artifact_store` for cross-region pipelines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_stores: Option<IndexMap<String, ArtifactStore>>,
    pub stages: Vec<StageDeclaration>,
    /// Server-managed: 1 on create, +1 per update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_mode: Option<ExecutionMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_type: Option<PipelineType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<PipelineVariableDeclaration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<PipelineTriggerDeclaration>,
}

impl PipelineDeclaration {
    /// The execution mode in force (AWS defaults to SUPERSEDED when absent).
    pub fn effective_execution_mode(&self) -> ExecutionMode {
        self.execution_mode.unwrap_or(ExecutionMode::Superseded)
    }

    /// The pipeline type in force (AWS treats an absent type as V1).
    pub fn effective_pipeline_type(&self) -> PipelineType {
        self.pipeline_type.unwrap_or(PipelineType::V1)
    }

    /// The action of this name in the stage of this name.
    pub fn action(&self, stage: &str, action: &str) -> Option<&ActionDeclaration> {
        self.stages.iter().find(|s| s.name == stage)?.actions.iter().find(|a| a.name == action)
    }

    /// Every action with its stage, in declaration order.
    pub fn actions(&self) -> impl Iterator<Item = (&StageDeclaration, &ActionDeclaration)> {
        self.stages.iter().flat_map(|stage| stage.actions.iter().map(move |action| (stage, action)))
    }
}

/// Where CodePipeline keeps artifacts (an S3 bucket on AWS; Sluice maps it to its own store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArtifactStore {
    #[serde(rename = "type")]
    pub store_type: ArtifactStoreType,
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key: Option<EncryptionKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncryptionKey {
    pub id: String,
    #[serde(rename = "type")]
    pub key_type: EncryptionKeyType,
}

/// One stage: a named group of actions, optionally gated by conditions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageDeclaration {
    pub name: String,
    /// "Reserved for future use" in the API, but accepted and echoed back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<BlockerDeclaration>,
    pub actions: Vec<ActionDeclaration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_entry: Option<BeforeEntryConditions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<SuccessConditions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<FailureConditions>,
}

impl StageDeclaration {
    /// The rules of the stage's condition of this kind, in declaration order; none when it has none.
    pub fn condition_rules(&self, kind: ConditionType) -> Vec<&RuleDeclaration> {
        let conditions = match kind {
            ConditionType::BeforeEntry => self.before_entry.as_ref().map(|c| &c.conditions),
            ConditionType::OnSuccess => self.on_success.as_ref().map(|c| &c.conditions),
            ConditionType::OnFailure => self.on_failure.as_ref().map(|c| &c.conditions),
        };
        conditions.into_iter().flatten().flat_map(|c| &c.rules).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockerDeclaration {
    pub name: String,
    #[serde(rename = "type")]
    pub blocker_type: BlockerType,
}

/// A V2 pipeline-level variable, referenced as `#{variables.<name>}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineVariableDeclaration {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
