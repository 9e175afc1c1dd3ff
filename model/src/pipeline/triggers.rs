//! V2 triggers: which git events on a connection-backed source start the pipeline.

use serde::{Deserialize, Serialize};

use super::enums::{GitPullRequestEventType, TriggerProviderType};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineTriggerDeclaration {
    pub provider_type: TriggerProviderType,
    pub git_configuration: GitConfiguration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitConfiguration {
    pub source_action_name: String,
    /// Entries are ORed; the criteria inside one entry are ANDed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub push: Vec<GitPushFilter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pull_request: Vec<GitPullRequestFilter>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitPushFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<GitFilterCriteria>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branches: Option<GitFilterCriteria>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_paths: Option<GitFilterCriteria>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitPullRequestFilter {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<GitPullRequestEventType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branches: Option<GitFilterCriteria>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_paths: Option<GitFilterCriteria>,
}

/// Glob include/exclude lists; one shape serves tags, branches and file paths, as in the API
/// (GitTagFilterCriteria, GitBranchFilterCriteria and GitFilePathFilterCriteria are identical).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitFilterCriteria {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub includes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<String>,
}
