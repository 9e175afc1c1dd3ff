//! The side panel for the selected action: a form drawn from its provider's configuration
//! properties (required marked, secrets masked, fixed choices as selects, `#{` offering the
//! variables available there), then artifacts, namespace, region, run order and timeout.
use leptos::prelude::*;
use model::{catalog, ActionDeclaration, InputArtifact, OutputArtifact};

use super::commands_fields::CommandsFields;
use super::edits::{split_names, Edits};
use super::field::{problems_at, FieldProblems, SelectField, TextField};
use crate::api::Problem;
use crate::pages::editor::document::upstream_artifacts;
use crate::pages::editor::handle::Editor;

#[component]
pub fn ActionPanel(editor: Editor, stage: usize, action: usize) -> impl IntoView {
    let current = Memo::new(move |_| {
        editor.state.with(|s| {
            let declared = s.pipeline.stages.get(stage)?.actions.get(action)?.clone();
            let upstream = upstream_artifacts(&s.pipeline, stage, declared.run_order);
            let references = model::variables::available_references(&s.pipeline, stage, declared.run_order);
            Some((declared, upstream, references))
        })
    });
    let problems = Memo::new(move |_| {
        editor
            .all_problems()
            .into_iter()
            .filter(|p| p.stage_index == Some(stage) && p.action_index == Some(action))
            .collect::<Vec<_>>()
    });
    move || {
        let (declared, upstream, references) = current.get()?;
        Some(view! { <ActionForm editor stage action declared upstream references problems=problems.get()/> })
    }
}

#[component]
fn ActionForm(
    editor: Editor,
    stage: usize,
    action: usize,
    declared: ActionDeclaration,
    upstream: Vec<String>,
    /// Variable references the configuration may use.
    references: Vec<String>,
    problems: Vec<Problem>,
) -> impl IntoView {
    let edits = Edits { editor, stage, action, declared: declared.clone() };
    let id = &declared.action_type_id;
    let spec = catalog::find(id.category, id.owner, &id.provider, &id.version);
    // The Commands action's fields, also shown on any action that has them so they can be removed.
    let commands = ((id.category == model::ActionCategory::Compute && id.provider == "Commands")
        || !declared.commands.is_empty()
        || !declared.environment_variables.is_empty())
    .then(|| view! { <CommandsFields edits=edits.clone() problems=problems.clone() references=references.clone()/> });
    let type_label =
        format!("{} \u{b7} {} \u{b7} {} \u{b7} v{}", id.owner.as_str(), id.category.as_str(), id.provider, id.version);

    let outputs = declared.output_artifacts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");

    view! {
        <div class="panel-form" data-testid="action-panel">
            <h2>"Action"</h2>
            <p class="muted small" data-testid="action-type">{type_label}</p>
            {spec.map(|s| view! { <p class="muted small">{s.description}</p> })}
            <TextField label="Name".into() value=declared.name.clone() field="name".into()
                problems=problems_at(&problems, "name") on_commit=edits.on(|a, v| a.name = v) required=true/>
            {spec.is_some_and(|s| s.runs_locally).then(|| view! { <p class="runs-here small" data-testid="runs-locally">"Sluice runs this action itself."</p> })}
            <ConfigurationFields edits=edits.clone() spec problems=problems.clone() references=references.clone()/>
            {commands}
            <InputArtifacts edits=edits.clone() upstream problems=problems.clone()/>
            <TextField label="Output artifacts".into() value=outputs field="outputArtifacts".into()
                problems=problems_at(&problems, "outputArtifacts") hint="comma-separated names"
                on_commit=edits.on(|a, v| a.output_artifacts = renamed_outputs(&a.output_artifacts, &v))/>
            <TextField label="Namespace".into() value=declared.namespace.clone().unwrap_or_default() field="namespace".into()
                problems=problems_at(&problems, "namespace") on_commit=edits.on(|a, v| a.namespace = non_empty(v))/>
            <TextField label="Region".into() value=declared.region.clone().unwrap_or_default() field="region".into()
                problems=problems_at(&problems, "region") on_commit=edits.on(|a, v| a.region = non_empty(v))/>
            <TextField label="Run order".into() value=declared.run_order.to_string() field="runOrder".into() number=true
                problems=problems_at(&problems, "runOrder")
                on_commit=edits.on(|a, v| if let Ok(n) = v.trim().parse() { a.run_order = n })/>
            <TextField label="Timeout (minutes)".into() value=declared.timeout_in_minutes.map(|t| t.to_string()).unwrap_or_default()
                field="timeoutInMinutes".into() number=true problems=problems_at(&problems, "timeoutInMinutes")
                on_commit=edits.on(|a, v| a.timeout_in_minutes = v.trim().parse().ok())/>
        </div>
    }
}

/// A field per configuration property of the provider (from the catalogue), then any other key
/// the action has, so keys the catalogue does not know stay editable.
#[component]
fn ConfigurationFields(
    edits: Edits,
    spec: Option<&'static catalog::ActionTypeSpec>,
    problems: Vec<Problem>,
    references: Vec<String>,
) -> impl IntoView {
    let declared = edits.declared.clone();
    let mut fields = Vec::new();
    for prop in spec.map(|s| s.properties).unwrap_or_default() {
        let key = prop.name.to_string();
        let value = declared.configuration.get(prop.name).cloned().unwrap_or_default();
        let field = format!("configuration.{key}");
        let on_commit = edits.on(move |a, v| set_config(a, &key, v));
        let field_problems = problems_at(&problems, &field);
        fields.push(if prop.allowed.is_empty() {
            view! {
                <TextField label=prop.name.to_string() value field problems=field_problems on_commit
                    required=prop.required secret=prop.secret hint=prop.description references=references.clone()/>
            }
            .into_any()
        } else {
            let options = prop.allowed.iter().map(|a| a.to_string()).collect();
            view! {
                <SelectField label=prop.name.to_string() value field options problems=field_problems on_commit
                    required=prop.required optional=true/>
            }
            .into_any()
        });
    }
    for (key, value) in declared.configuration.iter().filter(|(k, _)| spec.is_none_or(|s| s.property(k).is_none())) {
        let field = format!("configuration.{key}");
        let owned_key = key.clone();
        let on_commit = edits.on(move |a, v| set_config(a, &owned_key, v));
        let field_problems = problems_at(&problems, &field);
        fields.push(
            view! {
                <TextField label=key.clone() value=value.clone() field problems=field_problems on_commit references=references.clone()/>
            }
            .into_any(),
        );
    }
    view! {
        {(!fields.is_empty()).then(|| view! { <h3>"Configuration"</h3> })}
        {fields}
    }
}

/// A box per artifact produced upstream (what runs earlier); a stale input that is no longer
/// upstream stays listed so it can be unticked.
#[component]
fn InputArtifacts(edits: Edits, upstream: Vec<String>, problems: Vec<Problem>) -> impl IntoView {
    let inputs: Vec<String> = edits.declared.input_artifacts.iter().map(|a| a.name.clone()).collect();
    let mut offered = upstream.clone();
    offered.extend(inputs.iter().filter(|i| !upstream.contains(i)).cloned());
    let boxes = offered
        .into_iter()
        .map(|name| {
            let checked = inputs.contains(&name);
            let toggle = edits.on({
                let name = name.clone();
                move |a, _| toggle_input(a, &name)
            });
            let stale = !upstream.contains(&name);
            view! {
                <label class="check" class:stale=stale>
                    <input type="checkbox" data-testid="input-artifact" value=name.clone() prop:checked=checked
                        on:change=move |_| toggle.run(String::new())/>
                    {name}
                </label>
            }
        })
        .collect_view();
    view! {
        <h3>"Input artifacts"</h3>
        <div class="checks" data-testid="input-artifacts">
            {boxes}
            {upstream.is_empty().then(|| view! { <p class="muted small">"Nothing upstream produces an artifact yet."</p> })}
        </div>
        <FieldProblems problems=problems_at(&problems, "inputArtifacts")/>
    }
}

/// An empty value removes the key, so "required" means what the validator means.
fn set_config(action: &mut ActionDeclaration, key: &str, value: String) {
    if value.is_empty() {
        action.configuration.shift_remove(key);
    } else {
        action.configuration.insert(key.to_string(), value);
    }
}

/// The outputs named in `text`; an output that keeps its name keeps its files.
fn renamed_outputs(old: &[OutputArtifact], text: &str) -> Vec<OutputArtifact> {
    split_names(text)
        .map(|name| {
            let files = old.iter().find(|o| o.name == name).map(|o| o.files.clone()).unwrap_or_default();
            OutputArtifact { name, files }
        })
        .collect()
}

fn toggle_input(action: &mut ActionDeclaration, name: &str) {
    match action.input_artifacts.iter().position(|a| a.name == name) {
        Some(index) => {
            action.input_artifacts.remove(index);
        }
        None => action.input_artifacts.push(InputArtifact { name: name.to_string() }),
    }
}

fn non_empty(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}
