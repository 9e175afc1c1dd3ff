//! One stage on the canvas: a header to rename, move, duplicate or delete it, then its action
//! groups as lanes with places to drop actions into a group (parallel) or between groups
//! (a new sequential step).
use leptos::prelude::*;
use model::StageDeclaration;

use super::node_parts::{clicked_inside, NodeProblems};
use super::{action_node::ActionNode, drop_zone::DropZone};
use crate::api::Problem;
use crate::components::{icons::CopyIcon, pipeline_graph::GroupLabel};
use crate::pages::editor::document::{group_orders, Command, Place, Selection};
use crate::pages::editor::handle::{Drag, DropTarget, Editor};

#[component]
pub fn StageNode(editor: Editor, index: usize) -> impl IntoView {
    let stage = Memo::new(move |_| editor.state.with(|s| s.pipeline.stages.get(index).cloned()));
    let stage_count = Memo::new(move |_| editor.state.with(|s| s.pipeline.stages.len()));
    let problems = Memo::new(move |_| {
        editor.all_problems().into_iter().filter(|p| p.stage_index == Some(index)).collect::<Vec<_>>()
    });
    // A change elsewhere (an output renamed upstream) can leave this stage's inputs dangling.
    let dangling = Memo::new(move |_| {
        editor
            .links
            .with(|links| links.iter().filter(|l| l.to.0 == index && l.from.is_none()).cloned().collect::<Vec<_>>())
    });
    let selected = move || editor.selection() == Selection::Stage(index);
    move || {
        dangling.track();
        let stage = stage.get()?;
        let name = stage.name.clone();
        let own_problems: Vec<Problem> = problems.get().into_iter().filter(|p| p.action_index.is_none()).collect();
        let has_problem = !own_problems.is_empty();
        let count = stage_count.get();
        Some(view! {
            <section class="stage editor-stage" class:selected=selected class:has-problem=has_problem
                data-testid="stage" data-stage=name.clone() draggable="true"
                on:dragstart=move |ev| {
                    ev.stop_propagation();
                    editor.drag.set(Some(Drag::Stage(index)));
                }
                on:dragend=move |_| editor.drag.set(None)
                on:click=move |ev| {
                    if !clicked_inside(&ev, ".action, .node-tools") {
                        editor.select(Selection::Stage(index));
                    }
                }>
                <header class="stage-head">
                    <span class="stage-index">{index + 1}</span>
                    <input class="stage-name-input" data-testid="stage-name" aria-label="Stage name"
                        prop:value=name.clone()
                        on:change=move |ev| editor.run(Command::RenameStage(index, event_target_value(&ev)))/>
                </header>
                <div class="node-tools">
                    <button type="button" class="tool" title="Move stage left" aria-label="Move stage left"
                        data-testid="stage-left" disabled={index == 0}
                        on:click=move |_| editor.run(Command::MoveStage { from: index, to: index.saturating_sub(1) })>"\u{25c0}"</button>
                    <button type="button" class="tool" title="Move stage right" aria-label="Move stage right"
                        data-testid="stage-right" disabled={index + 1 >= count}
                        on:click=move |_| editor.run(Command::MoveStage { from: index, to: index + 2 })>"\u{25b6}"</button>
                    <button type="button" class="tool" title="Duplicate stage" aria-label="Duplicate stage"
                        data-testid="stage-duplicate"
                        on:click=move |_| editor.run(Command::DuplicateStage(index))><CopyIcon/></button>
                    <button type="button" class="tool danger" title="Delete stage" aria-label="Delete stage"
                        data-testid="stage-delete"
                        on:click=move |_| editor.run(Command::RemoveStage(index))>"\u{2715}"</button>
                </div>
                <NodeProblems problems=own_problems/>
                <Lanes editor index stage problems=problems.get()/>
            </section>
        })
    }
}

#[component]
fn Lanes(editor: Editor, index: usize, stage: StageDeclaration, problems: Vec<Problem>) -> impl IntoView {
    let orders = group_orders(&stage);
    let slot = move |place| DropTarget::Slot { stage: index, place };
    if orders.is_empty() {
        return view! {
            <div class="lanes">
                <DropZone editor target=slot(Place::NewGroupBefore(0)) label="Drop an action here" class="empty-stage"/>
            </div>
        }
        .into_any();
    }
    let group_count = orders.len();
    let groups = orders
        .into_iter()
        .enumerate()
        .map(|(group, run_order)| {
            let members: Vec<_> = stage.actions.iter().enumerate().filter(|(_, a)| a.run_order == run_order).collect();
            let parallel = members.len() > 1;
            let group_size = members.len();
            let cards = members
                .into_iter()
                .map(|(action_index, action)| {
                    let problems: Vec<Problem> =
                        problems.iter().filter(|p| p.action_index == Some(action_index)).cloned().collect();
                    view! {
                        <ActionNode editor stage=index action_index action=action.clone() problems
                            group group_count group_size/>
                    }
                })
                .collect_view();
            view! {
                <div class="group" class:parallel=parallel data-testid="action-group" data-run-order=run_order>
                    <GroupLabel run_order parallel/>
                    <div class="group-actions">{cards}</div>
                    <DropZone editor target=slot(Place::InGroup(group)) label="Run in parallel" class="in-group"/>
                </div>
                <DropZone editor target=slot(Place::NewGroupBefore(group + 1)) label="New step" class="between"/>
            }
        })
        .collect_view();
    view! {
        <div class="lanes">
            <DropZone editor target=slot(Place::NewGroupBefore(0)) label="New step" class="between"/>
            {groups}
        </div>
    }
    .into_any()
}
