//! One action card on the canvas: name (renamed in place), category icon, provider, artifacts,
//! its problems, and buttons that do what dragging does.
use leptos::prelude::*;
use model::{ActionCategory, ActionDeclaration};

use super::links::key;
use super::node_parts::{clicked_inside, NodeProblems};
use crate::api::Problem;
use crate::components::{
    icons::{CategoryIcon, CopyIcon},
    pipeline_graph::ArtifactList,
    provider::{runs_locally, ProviderLabel},
};
use crate::pages::editor::document::{group_orders, Command, Place, Selection};
use crate::pages::editor::handle::{Drag, Editor};
use crate::pages::editor::links::dangling_inputs;

#[component]
pub fn ActionNode(
    editor: Editor,
    stage: usize,
    action_index: usize,
    action: ActionDeclaration,
    problems: Vec<Problem>,
    /// Position of the action's group among the stage's groups, their number, and its size.
    group: usize,
    group_count: usize,
    group_size: usize,
) -> impl IntoView {
    let category = action.action_type_id.category;
    let approval = category == ActionCategory::Approval;
    let class = format!("action cat-{}", category.as_str().to_ascii_lowercase());
    let provider = action.action_type_id.provider.clone();
    let inputs: Vec<String> = action.input_artifacts.iter().map(|a| a.name.clone()).collect();
    let outputs: Vec<String> = action.output_artifacts.iter().map(|a| a.name.clone()).collect();
    let dangling = editor.links.with_untracked(|links| dangling_inputs(links, (stage, action_index)));
    let has_problem = !problems.is_empty();
    let me = Selection::Action { stage, action: action_index };
    let selected = move || editor.selection() == me;
    let stage_count = editor.state.with_untracked(|s| s.pipeline.stages.len());
    let move_to = move |to_stage: usize, place: Place| {
        editor.run(Command::MoveAction { stage, action: action_index, to_stage, place })
    };
    // Up joins the group before (or opens a new first step); down joins the group after (or
    // opens a new last step). Together they reach every arrangement.
    let can_up = group > 0 || group_size > 1;
    let can_down = group + 1 < group_count || group_size > 1;
    let up = move |_| move_to(stage, if group > 0 { Place::InGroup(group - 1) } else { Place::NewGroupBefore(0) });
    let down = move |_| {
        move_to(
            stage,
            if group + 1 < group_count { Place::InGroup(group + 1) } else { Place::NewGroupBefore(group_count) },
        )
    };
    let to_stage_end = move |to_stage: usize| {
        let groups =
            editor.state.with_untracked(|s| s.pipeline.stages.get(to_stage).map_or(0, |st| group_orders(st).len()));
        move_to(to_stage, Place::NewGroupBefore(groups))
    };
    let rename = {
        let action = action.clone();
        move |ev: leptos::ev::Event| {
            let mut with = action.clone();
            with.name = event_target_value(&ev);
            editor.run(Command::ReplaceAction { stage, action: action_index, with: Box::new(with) });
        }
    };
    view! {
        <article class=class class:approval=approval class:has-problem=has_problem class:selected=selected
            data-testid="action-card" data-action=action.name.clone() data-at=key((stage, action_index)) data-category=category.as_str()
            draggable="true"
            on:dragstart=move |ev| {
                ev.stop_propagation();
                editor.drag.set(Some(Drag::Action { stage, action: action_index }));
            }
            on:dragend=move |_| editor.drag.set(None)
            on:click=move |ev| {
                if !clicked_inside(&ev, ".node-tools") {
                    editor.select(me);
                }
            }>
            <div class="action-top">
                <span class="badge" data-testid="category-badge">
                    <CategoryIcon category/>
                    {category.as_str()}
                </span>
                <ProviderLabel provider runs_locally=runs_locally(&action.action_type_id)/>
            </div>
            <input class="action-name-input" data-testid="action-name" aria-label="Action name"
                prop:value=action.name.clone() on:change=rename/>
            {approval.then(|| view! { <p class="approval-note">"Waits for a person to approve"</p> })}
            {(!inputs.is_empty() || !outputs.is_empty()).then(|| view! {
                <div class="artifacts">
                    <ArtifactList names=inputs direction="in" missing=dangling/>
                    <ArtifactList names=outputs direction="out"/>
                </div>
            })}
            <NodeProblems problems/>
            <div class="node-tools">
                <button type="button" class="tool" title="Move to the previous stage" aria-label="Move to the previous stage"
                    data-testid="action-left" disabled={stage == 0} on:click=move |_| to_stage_end(stage.saturating_sub(1))>"\u{25c0}"</button>
                <button type="button" class="tool" title="Run earlier" aria-label="Run earlier"
                    data-testid="action-up" disabled={!can_up} on:click=up>"\u{25b2}"</button>
                <button type="button" class="tool" title="Run later" aria-label="Run later"
                    data-testid="action-down" disabled={!can_down} on:click=down>"\u{25bc}"</button>
                <button type="button" class="tool" title="Move to the next stage" aria-label="Move to the next stage"
                    data-testid="action-right" disabled={stage + 1 >= stage_count} on:click=move |_| to_stage_end(stage + 1)>"\u{25b6}"</button>
                <button type="button" class="tool" title="Duplicate action" aria-label="Duplicate action"
                    data-testid="action-duplicate"
                    on:click=move |_| editor.run(Command::DuplicateAction { stage, action: action_index })><CopyIcon/></button>
                <button type="button" class="tool danger" title="Delete action" aria-label="Delete action"
                    data-testid="action-delete"
                    on:click=move |_| editor.run(Command::RemoveAction { stage, action: action_index })>"\u{2715}"</button>
            </div>
        </article>
    }
}
