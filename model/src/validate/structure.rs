//! Pipeline-level rules: name, role, artifact stores, stage and action quotas, pipeline variables.

use super::error::Exception::{InvalidStructure, Validation};
use super::report::{field, Loc, Report};
use super::text::{is_entity_name, is_role_arn, is_store_location, is_variable_token, len_between};
use crate::pipeline::{ArtifactStore, PipelineDeclaration};

pub(crate) const MIN_STAGES: usize = 2;
pub(crate) const MAX_STAGES: usize = 50;
pub(crate) const MAX_ACTIONS_PER_PIPELINE: usize = 500;
const MAX_PIPELINE_VARIABLES: usize = 50;
const MAX_TRIGGERS: usize = 50;

pub(crate) fn check(p: &PipelineDeclaration, report: &mut Report) {
    identity(p, report);
    artifact_stores(p, report);
    quotas(p, report);
    pipeline_variables(p, report);
}

fn identity(p: &PipelineDeclaration, report: &mut Report) {
    let at = Loc::pipeline();
    if !is_entity_name(&p.name) {
        report.add(
            at,
            field("name"),
            "pipeline-name-invalid",
            Validation,
            format!("Pipeline name '{}' must be 1-100 characters of A-Z, a-z, 0-9, '.', '@', '-' or '_'", p.name),
        );
    }
    if !is_role_arn(&p.role_arn) {
        report.add(
            at,
            field("roleArn"),
            "role-arn-invalid",
            Validation,
            format!("roleArn '{}' is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)", p.role_arn),
        );
    }
    if p.version == Some(0) {
        report.add(at, field("version"), "version-invalid", Validation, "version must be at least 1");
    }
}

fn artifact_stores(p: &PipelineDeclaration, report: &mut Report) {
    let at = Loc::pipeline();
    match (&p.artifact_store, &p.artifact_stores) {
        (None, None) => report.add(
            at,
            field("artifactStore"),
            "artifact-store-missing",
            InvalidStructure,
            "Pipeline needs either artifactStore or artifactStores",
        ),
        (Some(_), Some(_)) => report.add(
            at,
            field("artifactStores"),
            "artifact-store-conflict",
            InvalidStructure,
            "Pipeline declares both artifactStore and artifactStores; use exactly one",
        ),
        _ => {}
    }
    if let Some(store) = &p.artifact_store {
        store_fields(store, "artifactStore", report);
    }
    let Some(stores) = &p.artifact_stores else {
        return;
    };
    for (region, store) in stores {
        let path = format!("artifactStores.{region}");
        if !len_between(region, 4, 30) {
            report.add(
                at,
                field(path.clone()),
                "artifact-store-region-invalid",
                Validation,
                format!("artifactStores key '{region}' is not a region name (4-30 characters)"),
            );
        }
        store_fields(store, &path, report);
    }
    // Every region an action runs in needs a store there to receive its artifacts.
    for (si, stage) in p.stages.iter().enumerate() {
        for (ai, action) in stage.actions.iter().enumerate() {
            if let Some(region) = &action.region {
                if !stores.contains_key(region) {
                    report.add(
                        Loc::stage(si, stage).action(ai, action),
                        field("region"),
                        "artifact-store-missing-for-region",
                        InvalidStructure,
                        format!("runs in region '{region}' but artifactStores has no store for that region"),
                    );
                }
            }
        }
    }
}

fn store_fields(store: &ArtifactStore, path: &str, report: &mut Report) {
    let at = Loc::pipeline();
    if !is_store_location(&store.location) {
        report.add(
            at,
            field(format!("{path}.location")),
            "artifact-store-location-invalid",
            Validation,
            format!(
                "Artifact store location '{}' must be 3-63 characters of letters, digits, '-' or '.'",
                store.location
            ),
        );
    }
    if let Some(key) = &store.encryption_key {
        if !len_between(&key.id, 1, 400) {
            report.add(
                at,
                field(format!("{path}.encryptionKey.id")),
                "encryption-key-id-invalid",
                Validation,
                "Encryption key id must be 1-400 characters",
            );
        }
    }
}

fn quotas(p: &PipelineDeclaration, report: &mut Report) {
    let at = Loc::pipeline();
    let stages = p.stages.len();
    if stages < MIN_STAGES {
        // Same wording as CodePipeline, which scripts may match on.
        report.add(
            at,
            field("stages"),
            "too-few-stages",
            InvalidStructure,
            format!(
                "Pipeline has only {stages} stage(s). There should be a minimum of {MIN_STAGES} stages in a pipeline"
            ),
        );
    }
    if stages > MAX_STAGES {
        report.add(
            at,
            field("stages"),
            "too-many-stages",
            InvalidStructure,
            format!("Pipeline has {stages} stages; the maximum is {MAX_STAGES}"),
        );
    }
    let actions = p.stages.iter().map(|s| s.actions.len()).sum::<usize>();
    if actions > MAX_ACTIONS_PER_PIPELINE {
        report.add(
            at,
            field("stages"),
            "too-many-actions-in-pipeline",
            InvalidStructure,
            format!("Pipeline has {actions} actions; the maximum is {MAX_ACTIONS_PER_PIPELINE}"),
        );
    }
    if p.triggers.len() > MAX_TRIGGERS {
        report.add(
            at,
            field("triggers"),
            "too-many-triggers",
            Validation,
            format!("Pipeline has {} triggers; the maximum is {MAX_TRIGGERS}", p.triggers.len()),
        );
    }
}

fn pipeline_variables(p: &PipelineDeclaration, report: &mut Report) {
    let at = Loc::pipeline();
    if p.variables.len() > MAX_PIPELINE_VARIABLES {
        report.add(
            at,
            field("variables"),
            "too-many-pipeline-variables",
            Validation,
            format!("Pipeline declares {} variables; the maximum is {MAX_PIPELINE_VARIABLES}", p.variables.len()),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (i, var) in p.variables.iter().enumerate() {
        let path = format!("variables[{i}]");
        if !is_variable_token(&var.name, 128) {
            report.add(
                at,
                field(format!("{path}.name")),
                "pipeline-variable-name-invalid",
                Validation,
                format!(
                    "Pipeline variable name '{}' must be 1-128 characters of letters, digits, '@', '-' or '_'",
                    var.name
                ),
            );
        }
        if !seen.insert(var.name.as_str()) {
            report.add(
                at,
                field(format!("{path}.name")),
                "pipeline-variable-duplicate",
                InvalidStructure,
                format!("Pipeline variable '{}' is declared more than once", var.name),
            );
        }
        if var.default_value.as_deref().is_some_and(|v| !len_between(v, 1, 1000)) {
            report.add(
                at,
                field(format!("{path}.defaultValue")),
                "pipeline-variable-default-invalid",
                Validation,
                format!("Default value of pipeline variable '{}' must be 1-1000 characters", var.name),
            );
        }
        if var.description.as_deref().is_some_and(|d| !len_between(d, 0, 200)) {
            report.add(
                at,
                field(format!("{path}.description")),
                "pipeline-variable-description-invalid",
                Validation,
                format!("Description of pipeline variable '{}' must be at most 200 characters", var.name),
            );
        }
    }
}
