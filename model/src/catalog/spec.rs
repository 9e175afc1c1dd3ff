//! Shapes of catalogue entries, with `const` builders so the tables stay one line per property.

use crate::pipeline::{ActionCategory, ActionOwner};

/// One configuration key of an action (or rule) type, as in the API's ActionConfigurationProperty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertySpec {
    pub name: &'static str,
    pub required: bool,
    /// Part of the action's identity (we mark the required identifying keys).
    pub key: bool,
    /// Returned masked as `****` by GetPipeline.
    pub secret: bool,
    /// Usable as a job-polling filter (custom actions only; false for built-ins).
    pub queryable: bool,
    pub description: &'static str,
    /// Allowed values; empty means free text.
    pub allowed: &'static [&'static str],
}

impl PropertySpec {
    /// A required, identifying key.
    pub const fn required(name: &'static str, description: &'static str) -> Self {
        PropertySpec { name, required: true, key: true, secret: false, queryable: false, description, allowed: &[] }
    }

    /// An optional key.
    pub const fn optional(name: &'static str, description: &'static str) -> Self {
        PropertySpec { required: false, key: false, ..Self::required(name, description) }
    }

    pub const fn secret(self) -> Self {
        PropertySpec { secret: true, ..self }
    }

    pub const fn one_of(self, allowed: &'static [&'static str]) -> Self {
        PropertySpec { allowed, ..self }
    }
}

/// A built-in action type: what it accepts and what it produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionTypeSpec {
    pub category: ActionCategory,
    pub owner: ActionOwner,
    pub provider: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    /// Inclusive (min, max) number of input artifacts.
    pub input_artifacts: (u8, u8),
    /// Inclusive (min, max) number of output artifacts.
    pub output_artifacts: (u8, u8),
    pub properties: &'static [PropertySpec],
    /// Fixed output-variable keys; empty when the keys are dynamic (CodeBuild exports,
    /// CloudFormation outputs, Lambda results, Commands outputVariables) or there are none.
    pub variables: &'static [&'static str],
    /// Whether Sluice executes this provider itself rather than delegating to a cloud service.
    pub runs_locally: bool,
}

impl ActionTypeSpec {
    pub fn property(&self, name: &str) -> Option<&'static PropertySpec> {
        self.properties.iter().find(|p| p.name == name)
    }

    pub fn required_properties(&self) -> impl Iterator<Item = &'static PropertySpec> {
        self.properties.iter().filter(|p| p.required)
    }
}

/// Builder for the common case: version "1", not run locally. (Positional on purpose: each
/// table entry then reads as one row of the action-reference table.)
#[allow(clippy::too_many_arguments)]
pub(super) const fn action(
    category: ActionCategory,
    owner: ActionOwner,
    provider: &'static str,
    description: &'static str,
    input_artifacts: (u8, u8),
    output_artifacts: (u8, u8),
    properties: &'static [PropertySpec],
    variables: &'static [&'static str],
) -> ActionTypeSpec {
    ActionTypeSpec {
        category,
        owner,
        provider,
        version: "1",
        description,
        input_artifacts,
        output_artifacts,
        properties,
        variables,
        runs_locally: false,
    }
}

pub(super) const BOOL: &[&str] = &["true", "false"];
pub(super) const OUTPUT_ARTIFACT_FORMAT: &[&str] = &["CODE_ZIP", "CODEBUILD_CLONE_REF"];

/// Marks an entry as one Sluice runs itself (the engine registers a provider for it; an engine
/// test checks the two lists agree).
pub(super) const fn runs_locally(spec: ActionTypeSpec) -> ActionTypeSpec {
    ActionTypeSpec { runs_locally: true, ..spec }
}
