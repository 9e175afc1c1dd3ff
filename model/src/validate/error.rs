//! What the validator reports: one error per broken rule, pinned to a stage, action and field.

use serde::Serialize;

/// The CodePipeline exception a rule maps to, so the API can answer with AWS's `__type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Exception {
    InvalidStructure,
    InvalidStageDeclaration,
    InvalidActionDeclaration,
    InvalidBlockerDeclaration,
    Validation,
}

impl Exception {
    /// The AWS error type name, e.g. "InvalidStructureException".
    pub fn name(&self) -> &'static str {
        match self {
            Exception::InvalidStructure => "InvalidStructureException",
            Exception::InvalidStageDeclaration => "InvalidStageDeclarationException",
            Exception::InvalidActionDeclaration => "InvalidActionDeclarationException",
            Exception::InvalidBlockerDeclaration => "InvalidBlockerDeclarationException",
            Exception::Validation => "ValidationException",
        }
    }
}

impl std::fmt::Display for Exception {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where an error sits. Stage and action are NAMES (stable across edits); the indexes are there
/// so a UI can highlight the right box even when names are duplicated or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorPath {
    pub stage: Option<String>,
    pub action: Option<String>,
    /// JSON-style path of the field inside the action (or stage, or pipeline when no stage),
    /// e.g. `runOrder`, `configuration.ProjectName`, `inputArtifacts[0].name`.
    pub field: Option<String>,
    pub stage_index: Option<usize>,
    pub action_index: Option<usize>,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{exception}: {message}")]
pub struct ValidationError {
    pub path: ErrorPath,
    /// Stable kebab-case id of the rule, e.g. "first-stage-not-source".
    pub code: &'static str,
    pub exception: Exception,
    /// Human sentence naming the stage, action and field.
    pub message: String,
}
