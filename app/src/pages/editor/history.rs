//! Undo and redo. Each applied command leaves the pipeline as it was before; snapshots rather
//! than inverse commands, because a whole declaration (even 500 actions) is small next to the
//! cost of getting every inverse right.
use model::PipelineDeclaration;

use super::document::{apply, Command, Selection};

/// The pipeline being edited, what is selected, and the way back and forward.
#[derive(Debug, Clone, PartialEq)]
pub struct EditorState {
    pub pipeline: PipelineDeclaration,
    pub selection: Selection,
    undo: Vec<(PipelineDeclaration, Selection)>,
    redo: Vec<(PipelineDeclaration, Selection)>,
}

/// How many steps back Undo reaches; older ones are dropped.
const MAX_UNDO: usize = 200;

impl EditorState {
    pub fn new(pipeline: PipelineDeclaration) -> Self {
        EditorState { pipeline, selection: Selection::Pipeline, undo: Vec::new(), redo: Vec::new() }
    }

    /// Applies a command; true when it changed something.
    pub fn run(&mut self, command: Command) -> bool {
        let before = self.pipeline.clone();
        match apply(&mut self.pipeline, command) {
            Some(selection) if self.pipeline != before => {
                self.undo.push((before, self.selection));
                if self.undo.len() > MAX_UNDO {
                    self.undo.remove(0);
                }
                self.redo.clear();
                self.selection = selection;
                true
            }
            Some(selection) => {
                self.selection = selection;
                false
            }
            None => false,
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn undo(&mut self) {
        if let Some((pipeline, selection)) = self.undo.pop() {
            let current = std::mem::replace(&mut self.pipeline, pipeline);
            self.redo.push((current, std::mem::replace(&mut self.selection, selection)));
        }
    }

    pub fn redo(&mut self) {
        if let Some((pipeline, selection)) = self.redo.pop() {
            let current = std::mem::replace(&mut self.pipeline, pipeline);
            self.undo.push((current, std::mem::replace(&mut self.selection, selection)));
        }
    }

    /// Records the version the server saved without making it an undoable step; the snapshots
    /// follow, so an undo after a save does not aim the next save at an old version.
    pub fn mark_saved(&mut self, version: u32) {
        let snapshots = self.undo.iter_mut().chain(self.redo.iter_mut()).map(|(p, _)| p);
        for pipeline in std::iter::once(&mut self.pipeline).chain(snapshots) {
            pipeline.version = Some(version);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::editor::document::blank_pipeline;

    #[test]
    fn undo_and_redo_walk_the_commands() {
        let mut state = EditorState::new(blank_pipeline());
        assert!(state.run(Command::AddStage { at: 0 }));
        assert!(state.run(Command::RenameStage(0, "Source".into())));
        assert_eq!(state.selection, Selection::Stage(0));
        state.undo();
        assert_eq!(state.pipeline.stages[0].name, "Stage1");
        state.undo();
        assert!(state.pipeline.stages.is_empty());
        assert!(!state.can_undo());
        state.redo();
        state.redo();
        assert_eq!(state.pipeline.stages[0].name, "Source");
        // A new command after an undo drops the redo branch.
        state.undo();
        assert!(state.run(Command::AddStage { at: 1 }));
        assert!(!state.can_redo());
    }

    #[test]
    fn commands_that_change_nothing_are_not_undo_steps() {
        let mut state = EditorState::new(blank_pipeline());
        state.run(Command::AddStage { at: 0 });
        assert!(!state.run(Command::RenameStage(0, "Stage1".into())));
        assert!(!state.run(Command::RemoveStage(4)));
        state.undo();
        assert!(!state.can_undo());
    }

    #[test]
    fn a_save_updates_the_version_everywhere() {
        let mut state = EditorState::new(blank_pipeline());
        state.run(Command::AddStage { at: 0 });
        state.mark_saved(2);
        state.undo();
        assert_eq!(state.pipeline.version, Some(2));
        assert!(state.can_redo());
    }
}
