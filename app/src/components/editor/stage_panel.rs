//! The side panel for the selected stage: its name and what it holds.
use leptos::prelude::*;

use super::field::{problems_at, TextField};
use crate::pages::editor::document::{group_orders, Command};
use crate::pages::editor::handle::Editor;

#[component]
pub fn StagePanel(editor: Editor, stage: usize) -> impl IntoView {
    let current = Memo::new(move |_| editor.state.with(|s| s.pipeline.stages.get(stage).cloned()));
    let problems = Memo::new(move |_| {
        editor
            .all_problems()
            .into_iter()
            .filter(|p| p.stage_index == Some(stage) && p.action_index.is_none())
            .collect::<Vec<_>>()
    });
    move || {
        let declared = current.get()?;
        let summary = format!("{} actions in {} steps", declared.actions.len(), group_orders(&declared).len());
        let on_commit =
            Callback::new(move |name: String| editor.run(Command::RenameStage(stage, name.trim().to_string())));
        Some(view! {
            <div class="panel-form" data-testid="stage-panel">
                <h2>"Stage"</h2>
                <p class="muted small">{summary}</p>
                <TextField label="Name".into() value=declared.name field="name".into() required=true
                    problems=problems_at(&problems.get(), "name") on_commit/>
                <p class="muted small">"Drag actions from the palette into this stage, or click one to add it here."</p>
            </div>
        })
    }
}
