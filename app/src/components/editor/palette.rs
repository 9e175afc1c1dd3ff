//! The palette: a stage block and every catalogued provider, by category. Drag one onto the
//! canvas, or click it to add it to the selected stage (the keyboard way).
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
    let sections = ActionCategory::ALL
        .iter()
        .filter_map(|&category| {
            let specs: Vec<&'static ActionTypeSpec> =
                catalog::all().iter().filter(|s| s.category == category).collect();
            (!specs.is_empty()).then(|| {
                let class = format!("palette-section cat-{}", category.as_str().to_ascii_lowercase());
                view! {
                    <section class=class data-testid="palette-category" data-category=category.as_str()>
                        <h3 class="badge"><CategoryIcon category/>{category.as_str()}</h3>
                        <div class="palette-items">
                            {specs.into_iter().map(|spec| view! { <ProviderItem editor spec/> }).collect_view()}
                        </div>
                    </section>
                }
            })
        })
        .collect_view();
    view! {
        <aside class="card palette" data-testid="palette" aria-label="Palette">
            <h2>"Palette"</h2>
            <p class="muted small">"Drag onto the canvas, or click to add to the selected stage."</p>
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
    view! {
        <button type="button" class="palette-item" draggable="true" title=spec.description
            data-testid="palette-item" data-category=spec.category.as_str() data-provider=spec.provider
            on:dragstart=move |_| editor.drag.set(Some(Drag::Provider(spec)))
            on:dragend=move |_| editor.drag.set(None)
            on:click=add>
            {spec.provider}{owner}
        </button>
    }
}
