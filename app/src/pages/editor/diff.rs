//! What changed between two versions of a pipeline: stages and actions added, removed, moved,
//! and the fields that differ. Stages and actions are matched by name (actions by stage-free
//! name first, so an action moved to another stage reads as moved, not removed and added).
use model::{ActionDeclaration, PipelineDeclaration};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    Added,
    Removed,
    Moved,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Moved => "moved",
            ChangeKind::Changed => "changed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// None for pipeline-level settings.
    pub stage: Option<String>,
    pub action: Option<String>,
    /// What moved or which fields differ, in words.
    pub detail: String,
    /// For a change: each field that differs, with its value before and after.
    pub fields: Vec<FieldChange>,
}

/// One field that differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Dotted path (`configuration.ProjectName`).
    pub path: String,
    /// The value as the JSON shows it (strings bare); `None` when the field is absent.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A changed-fields entry, whose detail lists the paths.
fn changed(stage: Option<&str>, action: Option<&str>, fields: Vec<FieldChange>) -> Change {
    let detail = fields.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", ");
    Change {
        kind: ChangeKind::Changed,
        stage: stage.map(str::to_owned),
        action: action.map(str::to_owned),
        detail,
        fields,
    }
}

pub fn diff(old: &PipelineDeclaration, new: &PipelineDeclaration) -> Vec<Change> {
    let mut changes = Vec::new();
    settings_changes(old, new, &mut changes);
    stage_changes(old, new, &mut changes);
    action_changes(old, new, &mut changes);
    changes
}

fn settings_changes(old: &PipelineDeclaration, new: &PipelineDeclaration, changes: &mut Vec<Change>) {
    let strip = |p: &PipelineDeclaration| {
        let mut p = p.clone();
        p.stages.clear();
        p.version = None;
        p
    };
    let fields = differing_fields(&json(&strip(old)), &json(&strip(new)));
    if !fields.is_empty() {
        changes.push(changed(None, None, fields));
    }
}

fn stage_changes(old: &PipelineDeclaration, new: &PipelineDeclaration, changes: &mut Vec<Change>) {
    let old_names: Vec<&str> = old.stages.iter().map(|s| s.name.as_str()).collect();
    let new_names: Vec<&str> = new.stages.iter().map(|s| s.name.as_str()).collect();
    // Positions among the stages both versions have, so one insertion does not "move" the rest.
    let common_old: Vec<&str> = old_names.iter().copied().filter(|n| new_names.contains(n)).collect();
    let common_new: Vec<&str> = new_names.iter().copied().filter(|n| old_names.contains(n)).collect();
    for stage in &new.stages {
        let name = stage.name.as_str();
        let Some(before) = old.stages.iter().find(|s| s.name == name) else {
            changes.push(stage_change(ChangeKind::Added, name, format!("at position {}", position(&new_names, name))));
            continue;
        };
        if position(&common_old, name) != position(&common_new, name) {
            changes.push(stage_change(
                ChangeKind::Moved,
                name,
                format!("from position {} to {}", position(&old_names, name), position(&new_names, name)),
            ));
        }
        let strip = |s: &model::StageDeclaration| {
            let mut s = s.clone();
            s.actions.clear();
            s
        };
        let fields = differing_fields(&json(&strip(before)), &json(&strip(stage)));
        if !fields.is_empty() {
            changes.push(changed(Some(name), None, fields));
        }
    }
    for name in old_names.iter().filter(|n| !new_names.contains(n)) {
        changes.push(stage_change(ChangeKind::Removed, name, String::new()));
    }
}

fn action_changes(old: &PipelineDeclaration, new: &PipelineDeclaration, changes: &mut Vec<Change>) {
    let old_actions = located_actions(old);
    let new_actions = located_actions(new);
    let mut matched_old = vec![false; old_actions.len()];
    for (stage, action) in &new_actions {
        // Same stage and name first; otherwise the same name anywhere (a move).
        let found = old_actions.iter().position(|(s, a)| s == stage && a.name == action.name).or_else(|| {
            old_actions.iter().enumerate().position(|(i, (_, a))| !matched_old[i] && a.name == action.name)
        });
        let Some(index) = found.filter(|&i| !matched_old[i]) else {
            changes.push(action_change(ChangeKind::Added, stage, &action.name, place(stage, action)));
            continue;
        };
        matched_old[index] = true;
        let (old_stage, old_action) = &old_actions[index];
        if old_stage != stage || old_action.run_order != action.run_order {
            let detail = format!("from {} to {}", place(old_stage, old_action), place(stage, action));
            changes.push(action_change(ChangeKind::Moved, stage, &action.name, detail));
        }
        let strip = |a: &ActionDeclaration| {
            let mut a = a.clone();
            a.run_order = 0;
            a
        };
        let fields = differing_fields(&json(&strip(old_action)), &json(&strip(action)));
        if !fields.is_empty() {
            changes.push(changed(Some(stage), Some(&action.name), fields));
        }
    }
    for ((stage, action), _) in old_actions.iter().zip(&matched_old).filter(|(_, matched)| !**matched) {
        changes.push(action_change(ChangeKind::Removed, stage, &action.name, place(stage, action)));
    }
}

fn located_actions(pipeline: &PipelineDeclaration) -> Vec<(String, ActionDeclaration)> {
    pipeline.actions().map(|(stage, action)| (stage.name.clone(), action.clone())).collect()
}

fn place(stage: &str, action: &ActionDeclaration) -> String {
    format!("{stage}, run order {}", action.run_order)
}

fn position(names: &[&str], name: &str) -> usize {
    names.iter().position(|n| *n == name).map_or(0, |i| i + 1)
}

fn stage_change(kind: ChangeKind, stage: &str, detail: String) -> Change {
    Change { kind, stage: Some(stage.to_string()), action: None, detail, fields: Vec::new() }
}

fn action_change(kind: ChangeKind, stage: &str, action: &str, detail: String) -> Change {
    Change { kind, stage: Some(stage.to_string()), action: Some(action.to_string()), detail, fields: Vec::new() }
}

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The leaves that differ, by dotted path (`configuration.ProjectName`, `inputArtifacts`).
/// Arrays compare whole: a list of artifacts changed is one change, not one per index.
fn differing_fields(old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    walk("", old, new, &mut fields);
    fields
}

fn walk(path: &str, old: &Value, new: &Value, fields: &mut Vec<FieldChange>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
            for key in keys {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                let null = Value::Null;
                walk(&child, a.get(key).unwrap_or(&null), b.get(key).unwrap_or(&null), fields);
            }
        }
        (a, b) if a != b => fields.push(FieldChange { path: path.to_string(), before: shown(a), after: shown(b) }),
        _ => {}
    }
}

/// A value as a person reads it: strings without quotes, the rest as compact JSON.
fn shown(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::editor::document::{apply, blank_pipeline, Command, Place};
    use model::{catalog, ActionCategory, ActionOwner};

    fn base() -> PipelineDeclaration {
        let mut p = blank_pipeline();
        let s3 = catalog::find(ActionCategory::Source, ActionOwner::Aws, "S3", "1").unwrap();
        let build = catalog::find(ActionCategory::Build, ActionOwner::Aws, "CodeBuild", "1").unwrap();
        apply(&mut p, Command::AddStage { at: 0 });
        apply(&mut p, Command::AddStage { at: 1 });
        apply(&mut p, Command::AddAction { stage: 0, place: Place::NewGroupBefore(0), spec: s3 });
        apply(&mut p, Command::AddAction { stage: 1, place: Place::NewGroupBefore(0), spec: build });
        apply(&mut p, Command::AddAction { stage: 1, place: Place::InGroup(0), spec: build });
        p
    }

    fn summary(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| {
                format!(
                    "{} {}/{} {}",
                    c.kind.as_str(),
                    c.stage.as_deref().unwrap_or("-"),
                    c.action.as_deref().unwrap_or("-"),
                    c.detail
                )
            })
            .collect()
    }

    #[test]
    fn the_same_pipeline_has_no_changes() {
        assert!(diff(&base(), &base()).is_empty());
    }

    #[test]
    fn added_removed_moved_and_changed() {
        let old = base();
        let mut new = old.clone();
        new.execution_mode = Some(model::ExecutionMode::Queued);
        new.stages[1].actions[0].configuration.insert("ProjectName".into(), "web".into());
        // CodeBuild2 becomes a later step; Stage2 gets a new approval stage in front of it.
        new.stages[1].actions[1].run_order = 2;
        let approval = catalog::find(ActionCategory::Approval, ActionOwner::Aws, "Manual", "1").unwrap();
        apply(&mut new, Command::AddStage { at: 1 });
        apply(&mut new, Command::AddAction { stage: 1, place: Place::NewGroupBefore(0), spec: approval });
        new.stages[0].actions.clear();
        assert_eq!(
            summary(&diff(&old, &new)),
            [
                "changed -/- executionMode",
                "added Stage3/- at position 2",
                "added Stage3/Manual Stage3, run order 1",
                "changed Stage2/CodeBuild configuration.ProjectName",
                "moved Stage2/CodeBuild2 from Stage2, run order 1 to Stage2, run order 2",
                "removed Stage1/S3 Stage1, run order 1",
            ]
        );
    }

    #[test]
    fn a_change_carries_the_values_before_and_after() {
        let old = base();
        let mut new = old.clone();
        new.stages[1].actions[0].configuration.insert("ProjectName".into(), "web".into());
        new.stages[1].actions[1].input_artifacts.push(model::InputArtifact { name: "Src".into() });
        let changes = diff(&old, &new);
        let fields: Vec<(&str, Option<&str>, Option<&str>)> = changes
            .iter()
            .flat_map(|c| &c.fields)
            .map(|f| (f.path.as_str(), f.before.as_deref(), f.after.as_deref()))
            .collect();
        assert_eq!(
            fields,
            [
                ("configuration.ProjectName", None, Some("web")),
                ("inputArtifacts", Some(r#"[{"name":"S3Output"}]"#), Some(r#"[{"name":"S3Output"},{"name":"Src"}]"#))
            ]
        );
    }

    #[test]
    fn reordered_stages_read_as_moved() {
        let old = base();
        let mut new = old.clone();
        new.stages.swap(0, 1);
        let changes = summary(&diff(&old, &new));
        assert_eq!(changes, ["moved Stage2/- from position 2 to 1", "moved Stage1/- from position 1 to 2"]);
    }
}
