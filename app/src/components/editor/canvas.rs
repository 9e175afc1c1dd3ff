//! The canvas: stages as columns, with places between them to drop a new or moved stage, and
//! the artifacts drawn over them as connections.
use leptos::prelude::*;

use super::{drop_zone::DropZone, links::ArtifactLinks, stage_node::StageNode};
use crate::pages::editor::document::{Command, Selection};
use crate::pages::editor::handle::{DropTarget, Editor};

#[component]
pub fn EditorCanvas(editor: Editor) -> impl IntoView {
    // Keyboard equivalents of the toolbar: Delete removes the selection, Ctrl+Z / Ctrl+Y undo and redo.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let tag = event_target::<leptos::web_sys::Element>(&ev).tag_name();
        let in_field = matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT");
        if in_field {
            return;
        }
        let command = ev.ctrl_key() || ev.meta_key();
        match ev.key().as_str() {
            "Delete" | "Backspace" => match editor.selection() {
                Selection::Stage(index) => editor.run(Command::RemoveStage(index)),
                Selection::Action { stage, action } => editor.run(Command::RemoveAction { stage, action }),
                Selection::Pipeline => return,
            },
            "z" if command && ev.shift_key() => editor.redo(),
            "z" if command => editor.undo(),
            "y" if command => editor.redo(),
            _ => return,
        }
        ev.prevent_default();
    };

    let count = Memo::new(move |_| editor.state.with(|s| s.pipeline.stages.len()));
    let graph = NodeRef::new();
    view! {
        <div class="graph-scroll editor-canvas" data-testid="editor-canvas" tabindex="0" on:keydown=on_keydown
            aria-label="Pipeline canvas">
            <div class="graph" data-testid="pipeline-graph" node_ref=graph>
                {move || {
                    let count = count.get();
                    let stages = (0..count)
                        .map(|index| view! {
                            <DropZone editor target=DropTarget::StageGap(index) label="Drop a stage here"/>
                            <StageNode editor index/>
                        })
                        .collect_view();
                    let last_label = if count == 0 { "Drag a stage here to start" } else { "Drop a stage here" };
                    view! {
                        {stages}
                        <DropZone editor target=DropTarget::StageGap(count) label=last_label class="last"/>
                        <button type="button" class="button small ghost add-stage" data-testid="add-stage"
                            on:click=move |_| editor.run(Command::AddStage { at: count })>"+ Stage"</button>
                    }
                }}
                <ArtifactLinks editor graph/>
            </div>
        </div>
    }
}
