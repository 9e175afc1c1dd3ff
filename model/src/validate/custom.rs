//! Actions of custom types (owner Custom), checked against the types that exist: the type must
//! exist (a deleted one no longer does), and the action must respect its declared artifact counts
//! and configuration properties. The list of types is an input, read by the caller from wherever
//! the types live, so this stays a pure function like every other rule.
use super::error::Exception::InvalidActionDeclaration;
use super::providers::declared_artifact_counts;
use super::report::{field, Loc, Report};
use crate::catalog::custom::{is_query_value, CustomActionType, MAX_QUERY_VALUE};
use crate::pipeline::{ActionDeclaration, ActionOwner, PipelineDeclaration};

pub(crate) fn check(p: &PipelineDeclaration, types: &[CustomActionType], report: &mut Report) {
    for (si, stage) in p.stages.iter().enumerate() {
        for (ai, action) in stage.actions.iter().enumerate() {
            let id = &action.action_type_id;
            if id.owner != ActionOwner::Custom {
                continue;
            }
            let at = Loc::stage(si, stage).action(ai, action);
            match types.iter().find(|t| t.is(id)) {
                Some(declared) => conforms(at, action, declared, report),
                None => report.add(
                    at,
                    field("actionTypeId"),
                    "unknown-action-type",
                    InvalidActionDeclaration,
                    format!(
                        "ActionType (Category: '{}', Provider: '{}', Owner: 'Custom', Version: '{}') is not available; create it with CreateCustomActionType",
                        id.category, id.provider, id.version
                    ),
                ),
            }
        }
    }
}

fn conforms(at: Loc<'_>, action: &ActionDeclaration, declared: &CustomActionType, report: &mut Report) {
    let what = format!("custom action type {}/{}", declared.category, declared.provider);
    let counts = |d: &crate::catalog::custom::ArtifactDetails| (d.minimum_count, d.maximum_count);
    let (input, output) = (counts(&declared.input_artifact_details), counts(&declared.output_artifact_details));
    declared_artifact_counts(at, action, &what, input, output, report);
    for property in declared.configuration_properties.iter().filter(|p| p.required) {
        if !action.configuration.contains_key(&property.name) {
            report.add(
                at,
                field(format!("configuration.{}", property.name)),
                "missing-required-configuration",
                InvalidActionDeclaration,
                format!("configuration key '{}' is required by {what}", property.name),
            );
        }
    }
    for (key, value) in &action.configuration {
        match declared.property(key) {
            None => {
                let known: Vec<&str> = declared.configuration_properties.iter().map(|p| p.name.as_str()).collect();
                report.add(
                    at,
                    field(format!("configuration.{key}")),
                    "unknown-configuration-key",
                    InvalidActionDeclaration,
                    format!("{what} has no configuration property '{key}' (declared: {})", known.join(", ")),
                );
            }
            // A variable is only resolved at run time; a literal must be a pollable token now.
            Some(property) if property.queryable && !value.contains("#{") && !is_query_value(value) => {
                report.add(
                    at,
                    field(format!("configuration.{key}")),
                    "queryable-value-invalid",
                    InvalidActionDeclaration,
                    format!(
                        "'{key}' is queryable, so its value must be 1-{MAX_QUERY_VALUE} characters of letters, digits, '_' or '-'"
                    ),
                );
            }
            Some(_) => {}
        }
    }
}
