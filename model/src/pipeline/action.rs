//! Actions: the unit of work inside a stage.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::enums::{ActionCategory, ActionOwner, EnvironmentVariableType};

/// One action. `runOrder`, `configuration`, `outputArtifacts` and `inputArtifacts` are always
/// serialized because AWS always returns them, even when they hold defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionDeclaration {
    pub name: String,
    pub action_type_id: ActionTypeId,
    #[serde(default = "default_run_order")]
    pub run_order: u32,
    #[serde(default)]
    pub configuration: IndexMap<String, String>,
    /// Shell commands of the V2 `Commands` (Compute) action.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    #[serde(default)]
    pub output_artifacts: Vec<OutputArtifact>,
    #[serde(default)]
    pub input_artifacts: Vec<InputArtifact>,
    /// Environment variables the `Commands` action exports as action variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_variables: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_variables: Vec<EnvironmentVariable>,
}

impl ActionDeclaration {
    /// An action of the given type with every optional part empty and the default run order.
    pub fn new(name: impl Into<String>, action_type_id: ActionTypeId) -> Self {
        ActionDeclaration {
            name: name.into(),
            action_type_id,
            run_order: DEFAULT_RUN_ORDER,
            configuration: IndexMap::new(),
            commands: Vec::new(),
            output_artifacts: Vec::new(),
            input_artifacts: Vec::new(),
            output_variables: Vec::new(),
            role_arn: None,
            region: None,
            namespace: None,
            timeout_in_minutes: None,
            environment_variables: Vec::new(),
        }
    }
}

/// AWS's default run order: actions without one run first, in parallel.
pub const DEFAULT_RUN_ORDER: u32 = 1;

fn default_run_order() -> u32 {
    DEFAULT_RUN_ORDER
}

/// Identifies the provider that runs an action.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionTypeId {
    pub category: ActionCategory,
    pub owner: ActionOwner,
    pub provider: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputArtifact {
    pub name: String,
    /// Paths the `Commands` action packs into this artifact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InputArtifact {
    pub name: String,
}

/// An environment variable given to the `Commands` action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub variable_type: Option<EnvironmentVariableType>,
}
