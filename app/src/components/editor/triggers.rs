//! The triggers part of the settings panel (V2 pipelines): per trigger, its connection source,
//! push or pull request, and glob filters; the validator's findings show under each.
use leptos::prelude::*;
use model::{GitPullRequestEventType, PipelineDeclaration, PipelineTriggerDeclaration};

use super::field::{problems_at, FieldProblems, SelectField, TextField};
use crate::api::Problem;
use crate::pages::editor::document::Command;
use crate::pages::editor::handle::Editor;
use crate::pages::editor::triggers::{
    connection_sources, criteria_text, event, has_pull_request_event, new_trigger, set_criteria, set_event,
    toggle_pull_request_event, Criteria, GitEvent,
};

#[component]
pub fn TriggersEditor(editor: Editor, pipeline: PipelineDeclaration, problems: Vec<Problem>) -> impl IntoView {
    let sources = connection_sources(&pipeline);
    let add = {
        let pipeline = pipeline.clone();
        move |_| {
            let mut with = pipeline.clone();
            with.triggers.push(new_trigger(&with));
            editor.run(Command::ReplacePipeline(Box::new(with)));
        }
    };
    // Problems about the list itself (a V1 pipeline, too many), not one trigger.
    let list_problems: Vec<Problem> =
        problems.iter().filter(|p| p.field.as_deref() == Some("triggers")).cloned().collect();
    let triggers = pipeline
        .triggers
        .iter()
        .enumerate()
        .map(|(index, trigger)| {
            view! {
                <TriggerForm editor pipeline=pipeline.clone() index trigger=trigger.clone() sources=sources.clone()
                    problems=problems_at(&problems, &format!("triggers[{index}]"))/>
            }
        })
        .collect_view();
    view! {
        <section class="triggers" data-testid="triggers">
            <h3>"Triggers"</h3>
            <p class="muted small">"Git events on a connection source that start the pipeline (V2)."</p>
            <FieldProblems problems=list_problems/>
            {triggers}
            <button type="button" class="button small ghost" data-testid="add-trigger" on:click=add>"+ Trigger"</button>
        </section>
    }
}

/// A change one control makes to its trigger, given the control's value.
type TriggerEdit = Box<dyn Fn(&mut PipelineTriggerDeclaration, String) + Send + Sync>;

#[component]
fn TriggerForm(
    editor: Editor,
    pipeline: PipelineDeclaration,
    index: usize,
    trigger: PipelineTriggerDeclaration,
    sources: Vec<String>,
    problems: Vec<Problem>,
) -> impl IntoView {
    // Each control edits a copy of this trigger and replaces the pipeline: one undo step.
    let on = {
        let pipeline = pipeline.clone();
        move |change: TriggerEdit| {
            let pipeline = pipeline.clone();
            Callback::new(move |value: String| {
                let mut with = pipeline.clone();
                if let Some(trigger) = with.triggers.get_mut(index) {
                    change(trigger, value);
                    editor.run(Command::ReplacePipeline(Box::new(with)));
                }
            })
        }
    };
    let remove = move |_| {
        let mut with = pipeline.clone();
        with.triggers.remove(index);
        editor.run(Command::ReplacePipeline(Box::new(with)));
    };
    let kind = event(&trigger);
    // Comma-separated globs; a leading `!` excludes.
    let globs = |label: &str, which: Criteria, name: &str, hint: &'static str| {
        view! {
            <TextField label=label.to_string() value=criteria_text(&trigger, which) field=format!("trigger-{index}-{name}")
                problems=Vec::new() hint
                on_commit=on(Box::new(move |t, v| set_criteria(t, which, &v)))/>
        }
    };
    let events = GitPullRequestEventType::ALL
        .iter()
        .map(|&kind| {
            let toggle = on(Box::new(move |t, _| toggle_pull_request_event(t, kind)));
            view! {
                <label class="check">
                    <input type="checkbox" data-testid=format!("trigger-{index}-event") value=kind.as_str()
                        prop:checked=has_pull_request_event(&trigger, kind) on:change=move |_| toggle.run(String::new())/>
                    {kind.as_str()}
                </label>
            }
        })
        .collect_view();
    view! {
        <div class="trigger" data-testid="trigger">
            <SelectField label="Source action".into() value=trigger.git_configuration.source_action_name.clone()
                field=format!("trigger-{index}-source") options=sources problems=Vec::new() required=true
                on_commit=on(Box::new(|t, v| t.git_configuration.source_action_name = v))/>
            <SelectField label="On".into() value=event_name(kind).to_string() field=format!("trigger-{index}-event-type")
                options=vec![event_name(GitEvent::Push).to_string(), event_name(GitEvent::PullRequest).to_string()]
                problems=Vec::new()
                on_commit=on(Box::new(|t, v| set_event(t, if v == event_name(GitEvent::PullRequest) { GitEvent::PullRequest } else { GitEvent::Push })))/>
            {globs("Branches", Criteria::Branches, "branches", "main, release/*, !release/old")}
            {(kind == GitEvent::Push).then(|| globs("Tags", Criteria::Tags, "tags", "v*, !v0.*"))}
            {globs("File paths", Criteria::FilePaths, "file-paths", "src/**, !docs/**")}
            {(kind == GitEvent::PullRequest).then(|| view! { <div class="checks">{events}</div> })}
            <FieldProblems problems/>
            <button type="button" class="button small ghost danger" data-testid="remove-trigger" on:click=remove>"Remove trigger"</button>
        </div>
    }
}

/// The API's names for the two kinds of filter.
fn event_name(event: GitEvent) -> &'static str {
    match event {
        GitEvent::Push => "GitPush",
        GitEvent::PullRequest => "PullRequest",
    }
}
