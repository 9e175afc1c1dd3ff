//! Per-action field rules: names, run order, timeouts, roles, regions, configuration sizes,
//! commands and environment variables.

use std::collections::HashSet;

use super::error::Exception::{InvalidActionDeclaration, Validation};
use super::report::{field, Loc, Report};
use super::text::{all_in_class, char_len, is_entity_name, is_role_arn, is_type_token, len_between};
use super::{is_commands_action, is_manual_approval};
use crate::pipeline::{ActionDeclaration, PipelineDeclaration};

const RUN_ORDER: std::ops::RangeInclusive<u32> = 1..=999;
const TIMEOUT_MINUTES: std::ops::RangeInclusive<u32> = 5..=86_400;
const MAX_CONFIGURATION_ENTRIES: usize = 200;
const MAX_CONFIGURATION_KEY: usize = 50;
const MAX_CONFIGURATION_VALUE: usize = 1000;

pub(crate) fn check(p: &PipelineDeclaration, report: &mut Report) {
    for (si, stage) in p.stages.iter().enumerate() {
        let mut names = HashSet::new();
        for (ai, action) in stage.actions.iter().enumerate() {
            let at = Loc::stage(si, stage).action(ai, action);
            if !names.insert(action.name.as_str()) {
                report.add(
                    at,
                    field("name"),
                    "action-name-duplicate",
                    InvalidActionDeclaration,
                    "another action in this stage has the same name; action names must be unique within a stage",
                );
            }
            identity(at, action, report);
            timeout(at, action, report);
            placement(at, action, report);
            configuration_sizes(at, action, report);
            commands(at, action, report);
            variables_and_environment(at, action, report);
        }
    }
}

fn identity(at: Loc<'_>, action: &ActionDeclaration, report: &mut Report) {
    if !is_entity_name(&action.name) {
        report.add(
            at,
            field("name"),
            "action-name-invalid",
            Validation,
            "action name must be 1-100 characters of A-Z, a-z, 0-9, '.', '@', '-' or '_'",
        );
    }
    let id = &action.action_type_id;
    if !is_type_token(&id.provider, 35) {
        report.add(
            at,
            field("actionTypeId.provider"),
            "provider-name-invalid",
            Validation,
            format!("provider '{}' must be 1-35 characters of letters, digits, '-' or '_'", id.provider),
        );
    }
    if !is_type_token(&id.version, 9) {
        report.add(
            at,
            field("actionTypeId.version"),
            "action-version-invalid",
            Validation,
            format!("version '{}' must be 1-9 characters of letters, digits, '-' or '_'", id.version),
        );
    }
    if !RUN_ORDER.contains(&action.run_order) {
        report.add(
            at,
            field("runOrder"),
            "run-order-out-of-range",
            InvalidActionDeclaration,
            format!("runOrder {} is outside 1-999", action.run_order),
        );
    }
    if let Some(role) = &action.role_arn {
        if !is_role_arn(role) {
            report.add(
                at,
                field("roleArn"),
                "role-arn-invalid",
                Validation,
                format!("roleArn '{role}' is not an IAM role ARN"),
            );
        }
    }
}

/// Only manual approvals may set their own timeout.
fn timeout(at: Loc<'_>, action: &ActionDeclaration, report: &mut Report) {
    let Some(minutes) = action.timeout_in_minutes else {
        return;
    };
    if !is_manual_approval(&action.action_type_id) {
        report.add(
            at,
            field("timeoutInMinutes"),
            "timeout-not-allowed",
            InvalidActionDeclaration,
            "timeoutInMinutes is only available to Approval actions with provider Manual",
        );
    } else if !TIMEOUT_MINUTES.contains(&minutes) {
        report.add(
            at,
            field("timeoutInMinutes"),
            "timeout-out-of-range",
            Validation,
            format!("timeoutInMinutes {minutes} is outside 5-86400"),
        );
    }
}

/// The region name itself; whether the action may leave the pipeline's region is checked in
/// `regional`, because that needs the pipeline's own region.
fn placement(at: Loc<'_>, action: &ActionDeclaration, report: &mut Report) {
    let Some(region) = &action.region else { return };
    if !len_between(region, 4, 30) {
        report.add(
            at,
            field("region"),
            "region-invalid",
            Validation,
            format!("region '{region}' must be 4-30 characters"),
        );
    }
}

fn configuration_sizes(at: Loc<'_>, action: &ActionDeclaration, report: &mut Report) {
    if action.configuration.len() > MAX_CONFIGURATION_ENTRIES {
        report.add(
            at,
            field("configuration"),
            "configuration-too-many-entries",
            Validation,
            format!(
                "configuration has {} entries; the maximum is {MAX_CONFIGURATION_ENTRIES}",
                action.configuration.len()
            ),
        );
    }
    for (key, value) in &action.configuration {
        let path = format!("configuration.{key}");
        if !len_between(key, 1, MAX_CONFIGURATION_KEY) {
            report.add(
                at,
                field(path.clone()),
                "configuration-key-too-long",
                Validation,
                format!("configuration key '{key}' must be 1-{MAX_CONFIGURATION_KEY} characters"),
            );
        }
        if !len_between(value, 1, MAX_CONFIGURATION_VALUE) {
            report.add(at, field(path), "configuration-value-length", Validation,
                format!("configuration value of '{key}' has {} characters; it must be 1-{MAX_CONFIGURATION_VALUE} (including #{{…}} references)", char_len(value)));
        }
    }
}

fn commands(at: Loc<'_>, action: &ActionDeclaration, report: &mut Report) {
    let is_commands = is_commands_action(&action.action_type_id);
    if !is_commands && !action.commands.is_empty() {
        report.add(
            at,
            field("commands"),
            "commands-not-allowed",
            InvalidActionDeclaration,
            "'commands' is only valid on the Compute/Commands action",
        );
    }
    if is_commands && action.commands.is_empty() {
        report.add(
            at,
            field("commands"),
            "commands-missing",
            InvalidActionDeclaration,
            "the Commands action needs 1-50 commands",
        );
    }
    if action.commands.len() > 50 {
        report.add(
            at,
            field("commands"),
            "too-many-commands",
            Validation,
            format!("has {} commands; the maximum is 50", action.commands.len()),
        );
    }
    for (i, command) in action.commands.iter().enumerate() {
        if !len_between(command, 1, 1000) {
            report.add(
                at,
                field(format!("commands[{i}]")),
                "command-length",
                Validation,
                "each command must be 1-1000 characters",
            );
        }
    }
}

fn variables_and_environment(at: Loc<'_>, action: &ActionDeclaration, report: &mut Report) {
    if action.output_variables.len() > 15 {
        report.add(
            at,
            field("outputVariables"),
            "too-many-output-variables",
            Validation,
            format!("declares {} output variables; the maximum is 15", action.output_variables.len()),
        );
    }
    for (i, name) in action.output_variables.iter().enumerate() {
        if !len_between(name, 1, 128) {
            report.add(
                at,
                field(format!("outputVariables[{i}]")),
                "output-variable-length",
                Validation,
                "each output variable name must be 1-128 characters",
            );
        }
    }
    if action.environment_variables.len() > 10 {
        report.add(
            at,
            field("environmentVariables"),
            "too-many-environment-variables",
            Validation,
            format!("declares {} environment variables; the maximum is 10", action.environment_variables.len()),
        );
    }
    let mut seen = HashSet::new();
    for (i, var) in action.environment_variables.iter().enumerate() {
        let path = format!("environmentVariables[{i}]");
        if !(all_in_class(&var.name, "_") && len_between(&var.name, 1, 128)) {
            report.add(
                at,
                field(format!("{path}.name")),
                "environment-variable-name-invalid",
                Validation,
                format!("environment variable name '{}' must be 1-128 characters of letters, digits or '_'", var.name),
            );
        }
        if !seen.insert(var.name.as_str()) {
            report.add(
                at,
                field(format!("{path}.name")),
                "environment-variable-duplicate",
                InvalidActionDeclaration,
                format!("environment variable '{}' is declared twice", var.name),
            );
        }
        if !len_between(&var.value, 1, 2000) {
            report.add(
                at,
                field(format!("{path}.value")),
                "environment-variable-value-length",
                Validation,
                format!("value of environment variable '{}' must be 1-2000 characters", var.name),
            );
        }
    }
}
