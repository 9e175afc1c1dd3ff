//! Provider rules from the catalogue: the action type must exist (for AWS-owned actions), and
//! the action must respect its artifact counts and configuration keys, including keys that are
//! only required in some modes.

use super::error::Exception::InvalidActionDeclaration;
use super::report::{field, Loc, Report};
use crate::catalog::{self, ActionTypeSpec};
use crate::pipeline::{ActionCategory, ActionDeclaration, ActionOwner, PipelineDeclaration};

pub(crate) fn check(p: &PipelineDeclaration, report: &mut Report) {
    for (si, stage) in p.stages.iter().enumerate() {
        for (ai, action) in stage.actions.iter().enumerate() {
            let at = Loc::stage(si, stage).action(ai, action);
            let id = &action.action_type_id;
            match catalog::find(id.category, id.owner, &id.provider, &id.version) {
                Some(spec) => {
                    artifact_counts(at, action, spec, report);
                    configuration_keys(at, action, spec, report);
                    conditional_keys(at, action, report);
                }
                // Custom and partner types are declared outside the pipeline; AWS's are closed.
                None if id.owner == ActionOwner::Aws => unknown_type(at, action, report),
                None => {}
            }
        }
    }
}

fn unknown_type(at: Loc<'_>, action: &ActionDeclaration, report: &mut Report) {
    let id = &action.action_type_id;
    let known: Vec<_> = catalog::providers_for(id.category, id.owner).map(|s| s.provider).collect();
    let hint = if known.is_empty() { String::new() } else { format!(" (known: {})", known.join(", ")) };
    report.add(
        at,
        field("actionTypeId.provider"),
        "unknown-action-type",
        InvalidActionDeclaration,
        format!("AWS has no {} action with provider '{}' version '{}'{hint}", id.category, id.provider, id.version),
    );
}

fn artifact_counts(at: Loc<'_>, action: &ActionDeclaration, spec: &ActionTypeSpec, report: &mut Report) {
    let counts = |(min, max): (u8, u8)| (i64::from(min), i64::from(max));
    let what = format!("{} {}", spec.category, spec.provider);
    declared_artifact_counts(at, action, &what, counts(spec.input_artifacts), counts(spec.output_artifacts), report);
}

/// The action's artifact counts against the inclusive (min, max) of its type, named `what`.
pub(super) fn declared_artifact_counts(
    at: Loc<'_>,
    action: &ActionDeclaration,
    what: &str,
    input: (i64, i64),
    output: (i64, i64),
    report: &mut Report,
) {
    let checks = [
        ("input", "inputArtifacts", action.input_artifacts.len(), input, "input-artifact-count"),
        ("output", "outputArtifacts", action.output_artifacts.len(), output, "output-artifact-count"),
    ];
    for (kind, path, count, (min, max), code) in checks {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        if count < min || count > max {
            let allowed = if min == max { min.to_string() } else { format!("{min}-{max}") };
            report.add(
                at,
                field(path),
                code,
                InvalidActionDeclaration,
                format!("has {count} {kind} artifact(s); {what} accepts {allowed}"),
            );
        }
    }
}

fn configuration_keys(at: Loc<'_>, action: &ActionDeclaration, spec: &ActionTypeSpec, report: &mut Report) {
    for prop in spec.required_properties() {
        if !action.configuration.contains_key(prop.name) {
            report.add(
                at,
                field(format!("configuration.{}", prop.name)),
                "missing-required-configuration",
                InvalidActionDeclaration,
                format!("configuration key '{}' is required by {} {}", prop.name, spec.category, spec.provider),
            );
        }
    }
    for (key, value) in &action.configuration {
        match spec.property(key) {
            Some(prop) if !prop.allowed.is_empty() && !is_allowed(value, prop.allowed) => {
                report.add(
                    at,
                    field(format!("configuration.{key}")),
                    "configuration-value-not-allowed",
                    InvalidActionDeclaration,
                    format!("configuration '{key}' is '{value}'; allowed values are {}", prop.allowed.join(", ")),
                );
            }
            Some(_) => {}
            // Only AWS-owned types with a catalogued key list can tell a typo from a real key.
            None if spec.owner == ActionOwner::Aws && !spec.properties.is_empty() => {
                let known: Vec<_> = spec.properties.iter().map(|p| p.name).collect();
                report.add(
                    at,
                    field(format!("configuration.{key}")),
                    "unknown-configuration-key",
                    InvalidActionDeclaration,
                    format!(
                        "{} {} has no configuration key '{key}' (known: {})",
                        spec.category,
                        spec.provider,
                        known.join(", ")
                    ),
                );
            }
            None => {}
        }
    }
}

/// Case-insensitive, and anything holding a variable reference is only known at run time.
fn is_allowed(value: &str, allowed: &[&str]) -> bool {
    value.contains("#{") || allowed.iter().any(|a| a.eq_ignore_ascii_case(value))
}

/// Keys that become required by another key's value or by the artifact count.
fn conditional_keys(at: Loc<'_>, action: &ActionDeclaration, report: &mut Report) {
    for (key, why) in conditional_requirements(action) {
        if !action.configuration.contains_key(key) {
            report.add(
                at,
                field(format!("configuration.{key}")),
                "missing-conditional-configuration",
                InvalidActionDeclaration,
                format!("configuration key '{key}' is required {why}"),
            );
        }
    }
}

fn conditional_requirements(action: &ActionDeclaration) -> Vec<(&'static str, String)> {
    let config = |key: &str| action.configuration.get(key).map(String::as_str);
    let is = |key: &str, value: &str| config(key).is_some_and(|v| v.eq_ignore_ascii_case(value));
    let id = &action.action_type_id;
    let mut needed = Vec::new();
    match (id.category, id.provider.as_str()) {
        (ActionCategory::Deploy, "CloudFormation") => {
            let Some(mode) = config("ActionMode") else {
                return needed;
            };
            let why = || format!("when ActionMode is {mode}");
            let when = |modes: &[&str]| modes.iter().any(|m| m.eq_ignore_ascii_case(mode));
            if when(&["CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE"]) {
                needed.push(("ChangeSetName", why()));
            }
            if when(&["CREATE_UPDATE", "REPLACE_ON_FAILURE", "DELETE_ONLY", "CHANGE_SET_REPLACE"]) {
                needed.push(("RoleArn", why()));
            }
            if when(&["CREATE_UPDATE", "REPLACE_ON_FAILURE", "CHANGE_SET_REPLACE"]) {
                needed.push(("TemplatePath", why()));
            }
        }
        (ActionCategory::Deploy, "S3") if is("Extract", "false") => {
            needed.push(("ObjectKey", "when Extract is false".to_string()));
        }
        (ActionCategory::Build | ActionCategory::Test, "CodeBuild") if action.input_artifacts.len() > 1 => {
            needed.push(("PrimarySource", "when there is more than one input artifact".to_string()));
        }
        (ActionCategory::Invoke, "StepFunctions") if is("InputType", "FilePath") => {
            needed.push(("Input", "when InputType is FilePath".to_string()));
        }
        (ActionCategory::Invoke, "InspectorScan") if is("InspectorRunMode", "ECRImageScan") => {
            needed.push(("ECRRepositoryName", "when InspectorRunMode is ECRImageScan".to_string()));
        }
        (ActionCategory::Deploy, "Lambda") if action.input_artifacts.is_empty() => {
            needed.push(("PublishedTargetVersion", "when there is no input artifact".to_string()));
        }
        _ => {}
    }
    needed
}
