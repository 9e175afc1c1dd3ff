//! V2 triggers: each names a connection-backed source action, once, with valid git filters.

use std::collections::HashSet;

use super::error::Exception::{InvalidStructure, Validation};
use super::report::{field, Loc, Report};
use super::text::len_between;
use crate::pipeline::{
    ActionCategory, GitFilterCriteria, GitPullRequestFilter, GitPushFilter, PipelineDeclaration,
    PipelineTriggerDeclaration,
};

const MAX_FILTERS: usize = 3;
const MAX_PATTERNS: usize = 8;

pub(crate) fn check(p: &PipelineDeclaration, report: &mut Report) {
    let mut seen = HashSet::new();
    for (ti, trigger) in p.triggers.iter().enumerate() {
        let path = format!("triggers[{ti}].gitConfiguration");
        let source = &trigger.git_configuration.source_action_name;
        source_action(p, &path, source, report);
        if !seen.insert(source.as_str()) {
            report.add(
                Loc::pipeline(),
                field(format!("{path}.sourceActionName")),
                "trigger-duplicate-source-action",
                InvalidStructure,
                format!(
                    "Source action '{source}' already has a trigger; only one trigger per source action is allowed"
                ),
            );
        }
        filters(trigger, &path, report);
    }
}

fn source_action(p: &PipelineDeclaration, path: &str, name: &str, report: &mut Report) {
    let action =
        p.actions().map(|(_, a)| a).find(|a| a.name == name && a.action_type_id.category == ActionCategory::Source);
    let at = Loc::pipeline();
    let path = field(format!("{path}.sourceActionName"));
    match action {
        None => report.add(at, path, "trigger-source-action-unknown", InvalidStructure,
            format!("Trigger names source action '{name}', but the pipeline has no Source action with that name")),
        Some(a) if a.action_type_id.provider != "CodeStarSourceConnection" => report.add(at, path,
            "trigger-source-action-provider", InvalidStructure,
            format!("Trigger names source action '{name}', which uses provider {}; triggers need a CodeStarSourceConnection source", a.action_type_id.provider)),
        Some(_) => {}
    }
}

fn filters(trigger: &PipelineTriggerDeclaration, path: &str, report: &mut Report) {
    let git = &trigger.git_configuration;
    let at = Loc::pipeline();
    for (name, count) in [("push", git.push.len()), ("pullRequest", git.pull_request.len())] {
        if count > MAX_FILTERS {
            report.add(
                at,
                field(format!("{path}.{name}")),
                "trigger-filter-count",
                Validation,
                format!(
                    "Trigger for '{}' has {count} {name} filters; the maximum is {MAX_FILTERS}",
                    git.source_action_name
                ),
            );
        }
    }
    for (i, filter) in git.push.iter().enumerate() {
        push_filter(filter, &format!("{path}.push[{i}]"), &git.source_action_name, report);
    }
    for (i, filter) in git.pull_request.iter().enumerate() {
        pull_request_filter(filter, &format!("{path}.pullRequest[{i}]"), &git.source_action_name, report);
    }
}

/// Valid push filters: tags alone, branches alone, or branches with file paths.
fn push_filter(filter: &GitPushFilter, path: &str, source: &str, report: &mut Report) {
    let shape = (filter.tags.is_some(), filter.branches.is_some(), filter.file_paths.is_some());
    if !matches!(shape, (true, false, false) | (false, true, _)) {
        report.add(
            Loc::pipeline(),
            field(path),
            "trigger-push-filter-invalid",
            InvalidStructure,
            format!(
                "Push filter of the trigger for '{source}' must use tags alone, branches, or branches with filePaths"
            ),
        );
    }
    let criteria = [("tags", &filter.tags), ("branches", &filter.branches), ("filePaths", &filter.file_paths)];
    for (name, c) in criteria {
        if let Some(c) = c {
            patterns(c, &format!("{path}.{name}"), source, report);
        }
    }
}

/// Valid pull-request filters: branches, optionally with file paths.
fn pull_request_filter(filter: &GitPullRequestFilter, path: &str, source: &str, report: &mut Report) {
    let at = Loc::pipeline();
    if filter.branches.is_none() {
        report.add(
            at,
            field(path),
            "trigger-pull-request-filter-invalid",
            InvalidStructure,
            format!("Pull request filter of the trigger for '{source}' needs branches (optionally with filePaths)"),
        );
    }
    let distinct: HashSet<_> = filter.events.iter().collect();
    if filter.events.len() > 3 || distinct.len() != filter.events.len() {
        report.add(
            at,
            field(format!("{path}.events")),
            "trigger-pull-request-events-invalid",
            Validation,
            format!("Pull request events of the trigger for '{source}' must be distinct (OPEN, UPDATED, CLOSED)"),
        );
    }
    let criteria = [("branches", &filter.branches), ("filePaths", &filter.file_paths)];
    for (name, c) in criteria {
        if let Some(c) = c {
            patterns(c, &format!("{path}.{name}"), source, report);
        }
    }
}

fn patterns(criteria: &GitFilterCriteria, path: &str, source: &str, report: &mut Report) {
    let lists = [&criteria.includes, &criteria.excludes];
    let empty = lists.iter().all(|l| l.is_empty());
    let bad_list = lists.iter().any(|l| l.len() > MAX_PATTERNS || l.iter().any(|g| !len_between(g, 1, 255)));
    if empty || bad_list {
        report.add(Loc::pipeline(), field(path), "trigger-pattern-invalid", Validation,
            format!("{path} of the trigger for '{source}' needs includes or excludes, each 1-{MAX_PATTERNS} glob patterns of 1-255 characters"));
    }
}
