//! The editor as the components see it: the state in a signal, what is being dragged, and the
//! problems the validator finds, recomputed on every change.
use leptos::prelude::*;
use model::catalog::ActionTypeSpec;

use super::document::{Command, Place, Selection};
use super::history::EditorState;
use super::links::{artifact_links, Link};
use crate::api::Problem;

/// What the pointer carries during a drag. Kept in a signal rather than the DataTransfer, so a
/// drop reads typed data and the button equivalents share the same code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Drag {
    NewStage,
    Provider(&'static ActionTypeSpec),
    Stage(usize),
    Action { stage: usize, action: usize },
}

/// Where something can be dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropTarget {
    /// Between stages: before the stage at this index (or after the last).
    StageGap(usize),
    /// Into a stage, in an existing group or a new one.
    Slot { stage: usize, place: Place },
}

impl DropTarget {
    /// The command that dropping `drag` here means, if it means anything.
    pub fn command(self, drag: Drag) -> Option<Command> {
        match (self, drag) {
            (DropTarget::StageGap(at), Drag::NewStage) => Some(Command::AddStage { at }),
            (DropTarget::StageGap(to), Drag::Stage(from)) => Some(Command::MoveStage { from, to }),
            (DropTarget::Slot { stage, place }, Drag::Provider(spec)) => {
                Some(Command::AddAction { stage, place, spec })
            }
            (DropTarget::Slot { stage: to_stage, place }, Drag::Action { stage, action }) => {
                Some(Command::MoveAction { stage, action, to_stage, place })
            }
            _ => None,
        }
    }
}

#[derive(Clone, Copy)]
pub struct Editor {
    pub state: RwSignal<EditorState>,
    pub drag: RwSignal<Option<Drag>>,
    /// What the validator says about the current pipeline.
    pub problems: Memo<Vec<Problem>>,
    /// Every input artifact and the action it comes from, for the canvas's connections.
    pub links: Memo<Vec<Link>>,
    /// What the server said on the last save; cleared by the next change.
    pub server_problems: RwSignal<Vec<Problem>>,
}

impl Editor {
    /// An editor of `state`'s pipeline, checked with the rules of `home_region`.
    pub fn new(state: EditorState, home_region: String) -> Self {
        let state = RwSignal::new(state);
        let problems = Memo::new(move |_| state.with(|s| Problem::all_in(&s.pipeline, &home_region)));
        let links = Memo::new(move |_| state.with(|s| artifact_links(&s.pipeline)));
        Editor { state, drag: RwSignal::new(None), problems, links, server_problems: RwSignal::new(Vec::new()) }
    }

    pub fn run(&self, command: Command) {
        let mut changed = false;
        self.state.update(|s| changed = s.run(command));
        if changed {
            self.server_problems.set(Vec::new());
        }
    }

    pub fn select(&self, selection: Selection) {
        self.state.update(|s| s.selection = selection);
    }

    pub fn selection(&self) -> Selection {
        self.state.with(|s| s.selection)
    }

    pub fn undo(&self) {
        self.state.update(EditorState::undo);
    }

    pub fn redo(&self) {
        self.state.update(EditorState::redo);
    }

    /// Completes a drag onto `target`.
    pub fn drop_on(&self, target: DropTarget) {
        if let Some(command) = self.drag.get_untracked().and_then(|drag| target.command(drag)) {
            self.run(command);
        }
        self.drag.set(None);
    }

    /// Whether the current drag could land on `target` (drop zones light up).
    pub fn accepts(&self, target: DropTarget) -> bool {
        self.drag.get().and_then(|drag| target.command(drag)).is_some()
    }

    /// Validator and server problems, together: both are shown the same way.
    pub fn all_problems(&self) -> Vec<Problem> {
        let mut all = self.problems.get();
        all.extend(self.server_problems.get());
        all
    }
}
