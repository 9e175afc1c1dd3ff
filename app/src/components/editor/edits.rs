//! How the action form's fields change the pipeline: each edits a copy of the action and
//! replaces it, one command and one undo step per change.
use leptos::prelude::*;
use model::ActionDeclaration;

use crate::pages::editor::document::Command;
use crate::pages::editor::handle::Editor;

/// Every field edits a copy of the action and replaces it: one command, one undo step.
#[derive(Clone)]
pub struct Edits {
    pub editor: Editor,
    pub stage: usize,
    pub action: usize,
    pub declared: ActionDeclaration,
}

impl Edits {
    pub fn on(&self, change: impl Fn(&mut ActionDeclaration, String) + Send + Sync + 'static) -> Callback<String> {
        let Edits { editor, stage, action, .. } = *self;
        let declared = self.declared.clone();
        Callback::new(move |value: String| {
            let mut with = declared.clone();
            change(&mut with, value);
            editor.run(Command::ReplaceAction { stage, action, with: Box::new(with) });
        })
    }
}

pub fn split_names(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}
