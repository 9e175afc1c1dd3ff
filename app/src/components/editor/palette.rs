//! The palette: a stage block and every catalogued provider, by category in CodePipeline's
//! order (each collapsible, all filtered by the box on top), marking the providers Sluice runs
//! itself. Drag one onto the canvas, or click it to add it to the selected stage (the keyboard way).
use leptos::prelude::*;
use model::{catalog, catalog::ActionTypeSpec, ActionCategory};

use crate::components::icons::CategoryIcon;
use crate::pages::editor::document::{group_orders, Command, Place, Selection};
use crate::pages::editor::handle::{Drag, Editor};

#[component]
pub fn Palette(editor: Editor) -> impl IntoView {
    let add_stage = move |_| {
        let at = editor.state.with_untracked(|s| s.pipeline.stages.len());
        editor.run(Command::AddStage { at });
    };
    let filter = RwSignal::new(String::new());
    let sections = CATEGORY_ORDER
        .iter()
        .filter_map(|&category| {
            let specs: Vec<&'static ActionTypeSpec> =
                catalog::all().iter().filter(|s| s.category == category).collect();
            (!specs.is_empty()).then(|| view! { <CategorySection editor category specs filter/> })
        })
        .collect_view();
    view! {
        <aside class="card palette" data-testid="palette" aria-label="Palette">
            <h2>"Palette"</h2>
            <p class="muted small">"Drag onto the canvas, or click to add to the selected stage. "
                <span class="runs-here">"\u{25cf}"</span>" Sluice runs it itself."</p>
            <input type="search" class="palette-filter" placeholder="Filter providers" aria-label="Filter providers"
                data-testid="palette-filter" bind:value=filter/>
            <button type="button" class="palette-item stage-block" draggable="true" data-testid="palette-stage"
                on:dragstart=move |_| editor.drag.set(Some(Drag::NewStage))
                on:dragend=move |_| editor.drag.set(None)
                on:click=add_stage>
                "\u{25a6} Stage"
            </button>
            {sections}
        </aside>
    }
    .into_any()
}

/// The categories as CodePipeline's action reference and console list them.
const CATEGORY_ORDER: [ActionCategory; 7] = [
    ActionCategory::Source,
    ActionCategory::Build,
    ActionCategory::Test,
    ActionCategory::Deploy,
    ActionCategory::Approval,
    ActionCategory::Invoke,
    ActionCategory::Compute,
];

/// Whether a provider matches the filter box (its name, owner or category, any case).
fn matches(spec: &ActionTypeSpec, filter: &str) -> bool {
    let filter = filter.trim().to_lowercase();
    filter.is_empty()
        || [spec.provider, spec.owner.as_str(), spec.category.as_str()]
            .iter()
            .any(|t| t.to_lowercase().contains(&filter))
}

/// One category: a disclosure (open by default) of its providers that match the filter; hidden
/// when none does.
#[component]
fn CategorySection(
    editor: Editor,
    category: ActionCategory,
    specs: Vec<&'static ActionTypeSpec>,
    filter: RwSignal<String>,
) -> impl IntoView {
    let class = format!("palette-section cat-{}", category.as_str().to_ascii_lowercase());
    let shown = move || specs.iter().copied().filter(|spec| matches(spec, &filter.read())).collect::<Vec<_>>();
    let any = {
        let shown = shown.clone();
        move || !shown().is_empty()
    };
    let items = move || shown().into_iter().map(|spec| view! { <ProviderItem editor spec/> }).collect_view();
    view! {
        <details class=class open data-testid="palette-category" data-category=category.as_str() class:hidden=move || !any()>
            <summary class="badge"><CategoryIcon category/>{category.as_str()}</summary>
            <div class="palette-items">{items}</div>
        </details>
    }
}

#[component]
fn ProviderItem(editor: Editor, spec: &'static ActionTypeSpec) -> impl IntoView {
    // Clicking adds the action as a new last step of the selected stage (or the last stage),
    // making a stage first when there is none.
    let add = move |_| {
        let (selected, count) = editor.state.with_untracked(|s| (s.selection, s.pipeline.stages.len()));
        let stage = match selected {
            Selection::Stage(stage) | Selection::Action { stage, .. } if stage < count => stage,
            _ if count > 0 => count - 1,
            _ => {
                editor.run(Command::AddStage { at: 0 });
                0
            }
        };
        let groups =
            editor.state.with_untracked(|s| s.pipeline.stages.get(stage).map_or(0, |st| group_orders(st).len()));
        editor.run(Command::AddAction { stage, place: Place::NewGroupBefore(groups), spec });
    };
    let owner = (spec.owner != model::ActionOwner::Aws).then(|| format!(" ({})", spec.owner.as_str()));
    // The name first: a long one is cut with an ellipsis in the narrow palette.
    let title = format!(
        "{}: {} \u{2014} {}",
        spec.provider,
        spec.description,
        crate::components::provider::who_runs(spec.category, spec.owner, spec.runs_locally)
    );
    view! {
        <button type="button" class="palette-item" draggable="true" title=title
            data-testid="palette-item" data-category=spec.category.as_str() data-provider=spec.provider
            data-runs-locally=spec.runs_locally.to_string()
            on:dragstart=move |_| editor.drag.set(Some(Drag::Provider(spec)))
            on:dragend=move |_| editor.drag.set(None)
            on:click=add>
            {spec.provider}{owner}
            {spec.runs_locally.then(|| view! { <span class="runs-here" data-testid="runs-locally" aria-label="Sluice runs it">" \u{25cf}"</span> })}
        </button>
    }
}
