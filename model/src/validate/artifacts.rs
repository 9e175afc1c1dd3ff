//! Artifact flow and namespaces: outputs are unique, inputs come from actions that ran earlier,
//! namespaces are unique and never shadow an artifact name.

use std::collections::HashMap;

use super::context::{Context, Placement};
use super::error::Exception::{InvalidActionDeclaration, Validation};
use super::report::{field, Loc, Report};
use super::text::{is_artifact_name, is_variable_token, len_between};
use crate::pipeline::{ActionDeclaration, PipelineDeclaration};

pub(crate) fn check(p: &PipelineDeclaration, ctx: &Context<'_>, report: &mut Report) {
    let mut first_output: HashMap<&str, Placement<'_>> = HashMap::new();
    let mut first_namespace: HashMap<&str, Placement<'_>> = HashMap::new();
    for (si, stage) in p.stages.iter().enumerate() {
        for (ai, action) in stage.actions.iter().enumerate() {
            let at = Loc::stage(si, stage).action(ai, action);
            let here = Placement::of(si, &stage.name, action);
            outputs(at, here, action, &mut first_output, report);
            inputs(at, here, action, ctx, report);
            namespace(at, here, action, ctx, &mut first_namespace, report);
        }
    }
}

fn outputs<'a>(
    at: Loc<'_>,
    here: Placement<'a>,
    action: &'a ActionDeclaration,
    first_output: &mut HashMap<&'a str, Placement<'a>>,
    report: &mut Report,
) {
    for (i, output) in action.output_artifacts.iter().enumerate() {
        let path = format!("outputArtifacts[{i}]");
        if !is_artifact_name(&output.name) {
            report.add(
                at,
                field(format!("{path}.name")),
                "artifact-name-invalid",
                Validation,
                format!(
                    "output artifact name '{}' must be 1-100 characters of letters, digits, '-' or '_'",
                    output.name
                ),
            );
        }
        if let Some(earlier) = first_output.get(output.name.as_str()) {
            report.add(at, field(format!("{path}.name")), "output-artifact-duplicate", InvalidActionDeclaration,
                format!("output artifact '{}' is already produced by {}; output artifact names must be unique in a pipeline",
                    output.name, earlier.describe()));
        } else {
            first_output.insert(&output.name, here);
        }
        if output.files.len() > 10 {
            report.add(
                at,
                field(format!("{path}.files")),
                "artifact-files-too-many",
                Validation,
                format!("output artifact '{}' lists {} files; the maximum is 10", output.name, output.files.len()),
            );
        }
        if output.files.iter().any(|f| !len_between(f, 1, 128)) {
            report.add(
                at,
                field(format!("{path}.files")),
                "artifact-file-path-length",
                Validation,
                format!("file paths of output artifact '{}' must be 1-128 characters", output.name),
            );
        }
    }
}

fn inputs(at: Loc<'_>, here: Placement<'_>, action: &ActionDeclaration, ctx: &Context<'_>, report: &mut Report) {
    for (i, input) in action.input_artifacts.iter().enumerate() {
        let path = field(format!("inputArtifacts[{i}].name"));
        match ctx.artifact_producers.get(input.name.as_str()) {
            None => report.add(
                at,
                path,
                "input-artifact-not-produced",
                InvalidActionDeclaration,
                format!("input artifact '{}' is not produced by any action that runs before it", input.name),
            ),
            Some(producers) if !producers.iter().any(|p| p.runs_before(&here)) => {
                report.add(at, path, "input-artifact-not-produced-earlier", InvalidActionDeclaration,
                    format!("input artifact '{}' is produced by {}, which does not run before it (use an earlier stage or a lower runOrder)",
                        input.name, producers[0].describe()));
            }
            Some(_) => {}
        }
    }
}

fn namespace<'a>(
    at: Loc<'_>,
    here: Placement<'a>,
    action: &'a ActionDeclaration,
    ctx: &Context<'_>,
    first_namespace: &mut HashMap<&'a str, Placement<'a>>,
    report: &mut Report,
) {
    let Some(ns) = &action.namespace else { return };
    if !is_variable_token(ns, 100) {
        report.add(
            at,
            field("namespace"),
            "namespace-invalid",
            Validation,
            format!("namespace '{ns}' must be 1-100 characters of letters, digits, '@', '-' or '_'"),
        );
    }
    if let Some(earlier) = first_namespace.get(ns.as_str()) {
        report.add(
            at,
            field("namespace"),
            "namespace-duplicate",
            InvalidActionDeclaration,
            format!(
                "namespace '{ns}' is already used by {}; namespaces must be unique in a pipeline",
                earlier.describe()
            ),
        );
    } else {
        first_namespace.insert(ns, here);
    }
    if let Some(producers) = ctx.artifact_producers.get(ns.as_str()) {
        report.add(
            at,
            field("namespace"),
            "namespace-collides-with-artifact",
            InvalidActionDeclaration,
            format!("namespace '{ns}' has the same name as the artifact produced by {}", producers[0].describe()),
        );
    }
}
