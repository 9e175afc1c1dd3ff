//! Collecting errors with consistent locations and messages.
//!
//! Every rule reports through `Report` so paths and the "Stage 'X', action 'Y': …" prefix are
//! built one way; rules only say what is wrong.

use super::error::{ErrorPath, Exception, ValidationError};
use crate::pipeline::{ActionDeclaration, StageDeclaration};

/// Where a rule fired: the pipeline, a stage, or an action in a stage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Loc<'a> {
    stage: Option<(usize, &'a str)>,
    action: Option<(usize, &'a str)>,
}

impl<'a> Loc<'a> {
    pub(crate) fn pipeline() -> Self {
        Loc { stage: None, action: None }
    }

    pub(crate) fn stage(index: usize, stage: &'a StageDeclaration) -> Self {
        Loc { stage: Some((index, &stage.name)), action: None }
    }

    pub(crate) fn action(self, index: usize, action: &'a ActionDeclaration) -> Self {
        Loc { action: Some((index, &action.name)), ..self }
    }

    /// "Stage 'Build', action 'Test'" (empty for the pipeline itself).
    fn prefix(&self) -> String {
        match (self.stage, self.action) {
            (Some((_, stage)), Some((_, action))) => format!("Stage '{stage}', action '{action}'"),
            (Some((_, stage)), None) => format!("Stage '{stage}'"),
            _ => String::new(),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) errors: Vec<ValidationError>,
}

impl Report {
    /// Records one broken rule. `field` is relative to the location (see `ErrorPath::field`).
    pub(crate) fn add(
        &mut self,
        loc: Loc<'_>,
        field: impl Into<Option<String>>,
        code: &'static str,
        exception: Exception,
        detail: impl Into<String>,
    ) {
        let detail = detail.into();
        let prefix = loc.prefix();
        let message = if prefix.is_empty() { detail } else { format!("{prefix}: {detail}") };
        self.errors.push(ValidationError {
            path: ErrorPath {
                stage: loc.stage.map(|(_, name)| name.to_string()),
                action: loc.action.map(|(_, name)| name.to_string()),
                field: field.into(),
                stage_index: loc.stage.map(|(index, _)| index),
                action_index: loc.action.map(|(index, _)| index),
            },
            code,
            exception,
            message,
        });
    }
}

/// Shorthand for a field path: `field("runOrder")`.
pub(crate) fn field(path: impl Into<String>) -> Option<String> {
    Some(path.into())
}
