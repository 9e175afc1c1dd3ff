//! Stage rules: names, action counts, where source actions may be, blockers.

use std::collections::HashSet;

use super::error::Exception::{InvalidBlockerDeclaration, InvalidStageDeclaration, InvalidStructure, Validation};
use super::report::{field, Loc, Report};
use super::text::{is_entity_name, len_between};
use crate::pipeline::{ActionCategory, PipelineDeclaration, StageDeclaration};

const MAX_ACTIONS_PER_STAGE: usize = 50;

pub(crate) fn check(p: &PipelineDeclaration, report: &mut Report) {
    let mut names = HashSet::new();
    for (si, stage) in p.stages.iter().enumerate() {
        let at = Loc::stage(si, stage);
        if !is_entity_name(&stage.name) {
            report.add(
                at,
                field("name"),
                "stage-name-invalid",
                Validation,
                "stage name must be 1-100 characters of A-Z, a-z, 0-9, '.', '@', '-' or '_'",
            );
        }
        if !names.insert(stage.name.as_str()) {
            report.add(
                at,
                field("name"),
                "stage-name-duplicate",
                InvalidStageDeclaration,
                "another stage has the same name; stage names must be unique in a pipeline",
            );
        }
        action_count(at, stage, report);
        blockers(at, stage, report);
    }
    source_placement(p, report);
}

fn action_count(at: Loc<'_>, stage: &StageDeclaration, report: &mut Report) {
    let n = stage.actions.len();
    if n == 0 {
        report.add(
            at,
            field("actions"),
            "stage-has-no-actions",
            InvalidStageDeclaration,
            "a stage needs at least one action",
        );
    }
    if n > MAX_ACTIONS_PER_STAGE {
        report.add(
            at,
            field("actions"),
            "too-many-actions-in-stage",
            InvalidStageDeclaration,
            format!("has {n} actions; the maximum is {MAX_ACTIONS_PER_STAGE}"),
        );
    }
}

fn blockers(at: Loc<'_>, stage: &StageDeclaration, report: &mut Report) {
    let mut names = HashSet::new();
    for (i, blocker) in stage.blockers.iter().enumerate() {
        let path = format!("blockers[{i}].name");
        if !len_between(&blocker.name, 1, 100) {
            report.add(
                at,
                field(path.clone()),
                "blocker-name-invalid",
                InvalidBlockerDeclaration,
                "blocker name must be 1-100 characters",
            );
        }
        if !names.insert(blocker.name.as_str()) {
            report.add(
                at,
                field(path),
                "blocker-duplicate",
                InvalidBlockerDeclaration,
                format!("blocker '{}' is declared twice", blocker.name),
            );
        }
    }
}

/// Source actions start the pipeline, so they live in the first stage and only there.
fn source_placement(p: &PipelineDeclaration, report: &mut Report) {
    let is_source = |c: ActionCategory| c == ActionCategory::Source;
    if let Some(first) = p.stages.first() {
        let has_source = first.actions.iter().any(|a| is_source(a.action_type_id.category));
        if !has_source {
            report.add(
                Loc::stage(0, first),
                field("actions"),
                "first-stage-not-source",
                InvalidStructure,
                "the first stage must contain at least one Source action",
            );
        }
    }
    let mut any_non_source = false;
    for (si, stage) in p.stages.iter().enumerate() {
        for (ai, action) in stage.actions.iter().enumerate() {
            let category = action.action_type_id.category;
            any_non_source |= !is_source(category);
            let at = Loc::stage(si, stage).action(ai, action);
            if si == 0 && !is_source(category) {
                report.add(
                    at,
                    field("actionTypeId.category"),
                    "non-source-action-in-first-stage",
                    InvalidStructure,
                    format!("is a {category} action, but the first stage may contain only Source actions"),
                );
            }
            if si > 0 && is_source(category) {
                report.add(
                    at,
                    field("actionTypeId.category"),
                    "source-action-outside-first-stage",
                    InvalidStructure,
                    "Source actions are only allowed in the first stage",
                );
            }
        }
    }
    if !p.stages.is_empty() && !any_non_source {
        report.add(
            Loc::pipeline(),
            field("stages"),
            "no-non-source-action",
            InvalidStructure,
            "Pipeline needs at least one stage with a non-Source action",
        );
    }
}
