//! A place on the canvas that lights up while something that may land there is dragged.
use leptos::prelude::*;

use crate::pages::editor::handle::{DropTarget, Editor};

#[component]
pub fn DropZone(
    editor: Editor,
    target: DropTarget,
    label: &'static str,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let over = RwSignal::new(false);
    let accepts = move || editor.accepts(target);
    // Event handlers read the drag without subscribing to it.
    let accepts_now = move || editor.drag.get_untracked().and_then(|drag| target.command(drag)).is_some();
    let (kind, testid) = match target {
        DropTarget::StageGap(at) => ("stage-gap", format!("stage-gap-{at}")),
        DropTarget::Slot { stage, place } => (
            "slot",
            match place {
                crate::pages::editor::document::Place::InGroup(g) => format!("slot-{stage}-in-{g}"),
                crate::pages::editor::document::Place::NewGroupBefore(g) => format!("slot-{stage}-before-{g}"),
            },
        ),
    };
    view! {
        <div
            class=format!("drop-zone {kind} {class}")
            class:active=accepts
            class:over=move || over.get() && accepts()
            data-testid=testid
            on:dragenter=move |ev| {
                if accepts_now() {
                    ev.prevent_default();
                    over.set(true);
                }
            }
            // Allowing the drop is done by cancelling dragover.
            on:dragover=move |ev| {
                if accepts_now() {
                    ev.prevent_default();
                }
            }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev| {
                ev.prevent_default();
                ev.stop_propagation();
                over.set(false);
                editor.drop_on(target);
            }
        >
            <span class="drop-label">{label}</span>
        </div>
    }
}
