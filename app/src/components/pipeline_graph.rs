//! The read-only drawing of a pipeline: stages as columns left to right joined by transition
//! arrows; inside each stage, actions grouped by `runOrder` (one lane per group, top to bottom,
//! parallel actions side by side in a lane). The pipeline page and the editor preview both use it.
use leptos::prelude::*;
use model::{ActionCategory, ActionDeclaration, PipelineDeclaration, StageDeclaration};

use super::icons::{CategoryIcon, TransitionArrow};
use crate::api::Problem;

#[component]
pub fn PipelineGraph(
    pipeline: PipelineDeclaration,
    /// Problems to mark on the drawing (by stage and action index).
    #[prop(optional)]
    problems: Vec<Problem>,
) -> impl IntoView {
    let stages = pipeline
        .stages
        .into_iter()
        .enumerate()
        .map(|(index, stage)| {
            let marks = Marks::for_stage(&problems, index);
            view! {
                {(index > 0).then(|| view! { <div class="transition"><TransitionArrow/></div> })}
                <StageColumn stage index marks/>
            }
        })
        .collect_view();
    view! {
        <div class="graph-scroll">
            <div class="graph" data-testid="pipeline-graph">{stages}</div>
        </div>
    }
}

/// Which parts of one stage have problems.
#[derive(Default)]
struct Marks {
    stage: bool,
    actions: Vec<usize>,
}

impl Marks {
    fn for_stage(problems: &[Problem], stage_index: usize) -> Self {
        let mut marks = Marks::default();
        for problem in problems.iter().filter(|p| p.stage_index == Some(stage_index)) {
            match problem.action_index {
                Some(action) => marks.actions.push(action),
                None => marks.stage = true,
            }
        }
        marks
    }
}

#[component]
fn StageColumn(stage: StageDeclaration, index: usize, marks: Marks) -> impl IntoView {
    let gates = [
        stage.before_entry.as_ref().map(|_| "Entry conditions"),
        stage.on_success.as_ref().map(|_| "On success"),
        stage.on_failure.as_ref().map(|_| "On failure"),
    ];
    let stage_name = stage.name;
    let action_count = stage.actions.len();
    let groups = run_order_groups(stage.actions);
    let group_count = groups.len();
    let lanes = groups
        .into_iter()
        .enumerate()
        .map(|(lane, (run_order, actions))| {
            let parallel = actions.len() > 1;
            let cards = actions
                .into_iter()
                .map(|(action_index, action)| {
                    let has_problem = marks.actions.contains(&action_index);
                    view! { <ActionCard action has_problem/> }
                })
                .collect_view();
            view! {
                {(lane > 0).then(|| view! { <div class="lane-arrow" aria-hidden="true"></div> })}
                <div class="group" class:parallel=parallel data-testid="action-group" data-run-order=run_order>
                    <GroupLabel run_order parallel/>
                    <div class="group-actions">{cards}</div>
                </div>
            }
        })
        .collect_view();
    let summary = match (action_count, group_count) {
        (1, _) => "1 action".to_string(),
        (n, 1) => format!("{n} actions"),
        (n, g) => format!("{n} actions in {g} steps"),
    };
    view! {
        <section class="stage" class:has-problem=marks.stage data-testid="stage" data-stage=stage_name>
            <header class="stage-head">
                <span class="stage-index">{index + 1}</span>
                <div>
                    <h3 class="stage-name">{stage_name.clone()}</h3>
                    <span class="stage-summary">{summary}</span>
                </div>
            </header>
            {gates.iter().flatten().next().is_some().then(|| view! {
                <div class="gates">
                    {gates.into_iter().flatten().map(|gate| view! { <span class="chip gate-chip">{gate}</span> }).collect_view()}
                </div>
            })}
            <div class="lanes">{lanes}</div>
        </section>
    }
    .into_any()
}

/// The heading of an action group: its run order, and whether its actions run side by side.
#[component]
pub fn GroupLabel(run_order: u32, parallel: bool) -> impl IntoView {
    view! {
        <div class="group-label">
            {format!("Run order {run_order}")}
            {parallel.then(|| view! { <span class="parallel-tag">"in parallel"</span> })}
        </div>
    }
}

/// Actions grouped by run order, ascending; each keeps its index in the stage so validator
/// errors (which point at indexes) can be matched to cards.
fn run_order_groups(actions: Vec<ActionDeclaration>) -> Vec<(u32, Vec<(usize, ActionDeclaration)>)> {
    let mut indexed: Vec<(usize, ActionDeclaration)> = actions.into_iter().enumerate().collect();
    // Stable sort: actions of one group keep their declared order.
    indexed.sort_by_key(|(_, action)| action.run_order);
    let mut groups: Vec<(u32, Vec<(usize, ActionDeclaration)>)> = Vec::new();
    for (index, action) in indexed {
        match groups.last_mut() {
            Some((run_order, members)) if *run_order == action.run_order => members.push((index, action)),
            _ => groups.push((action.run_order, vec![(index, action)])),
        }
    }
    groups
}

#[component]
fn ActionCard(action: ActionDeclaration, has_problem: bool) -> impl IntoView {
    let category = action.action_type_id.category;
    let approval = category == ActionCategory::Approval;
    let class = format!("action cat-{}", category.as_str().to_ascii_lowercase());
    let provider = action.action_type_id.provider.clone();
    let owner = action.action_type_id.owner;
    let provider_title =
        format!("{} / {} / {} v{}", owner.as_str(), category.as_str(), provider, action.action_type_id.version);
    let inputs: Vec<String> = action.input_artifacts.into_iter().map(|a| a.name).collect();
    let outputs: Vec<String> = action.output_artifacts.into_iter().map(|a| a.name).collect();
    let action_name = action.name;
    let has_artifacts = !inputs.is_empty() || !outputs.is_empty();
    view! {
        <article class=class class:approval=approval class:has-problem=has_problem
            data-testid="action-card" data-action=action_name data-category=category.as_str()>
            <div class="action-top">
                <span class="badge" data-testid="category-badge">
                    <CategoryIcon category/>
                    {category.as_str()}
                </span>
                <span class="provider" title=provider_title>{provider}</span>
            </div>
            <h4 class="action-name">{action_name.clone()}</h4>
            {approval.then(|| view! { <p class="approval-note">"Waits for a person to approve"</p> })}
            {has_artifacts.then(|| view! {
                <div class="artifacts">
                    <ArtifactList names=inputs direction="in"/>
                    <ArtifactList names=outputs direction="out"/>
                </div>
            })}
        </article>
    }
    .into_any()
}

#[component]
pub fn ArtifactList(
    names: Vec<String>,
    direction: &'static str,
    /// Names no earlier action produces (the editor marks them).
    #[prop(optional)]
    missing: Vec<String>,
) -> impl IntoView {
    let label = if direction == "in" { "In" } else { "Out" };
    (!names.is_empty()).then(|| {
        view! {
            <div class=format!("artifact-row {direction}")>
                <span class="artifact-label">{label}</span>
                {names
                    .into_iter()
                    .map(|name| {
                        let dangling = missing.contains(&name);
                        view! {
                            <span class="artifact" class:dangling=dangling data-testid=format!("artifact-{direction}")
                                title=dangling.then_some("No earlier action produces this artifact")>{name}</span>
                        }
                    })
                    .collect_view()}
            </div>
        }
    })
}
