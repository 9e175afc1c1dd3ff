//! What a server function answers when it cannot do what was asked: an `AppError`, and for a
//! refused pipeline the `Problem`s pinned where the parser or validator found them.
use leptos::prelude::*;
use model::{ParseError, ValidationError};
use serde::{Deserialize, Serialize};

/// One thing wrong with a pipeline, pinned where the parser or validator pinned it. Parse errors,
/// validation errors and the server's refusals all become this, so the editor lists them alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Stable id of the rule ("first-stage-not-source", "parse-error", "name-in-use", ...).
    pub code: String,
    pub message: String,
    pub stage: Option<String>,
    pub action: Option<String>,
    pub field: Option<String>,
    pub stage_index: Option<usize>,
    pub action_index: Option<usize>,
    /// Position in the pasted text, for parse errors.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Problem {
    /// A problem that belongs to no particular place (or only to a field of the pipeline).
    pub fn general(code: &str, field: Option<&str>, message: impl Into<String>) -> Self {
        Problem {
            code: code.to_string(),
            message: message.into(),
            stage: None,
            action: None,
            field: field.map(str::to_string),
            stage_index: None,
            action_index: None,
            line: None,
            column: None,
        }
    }

    /// Everything CreatePipeline would refuse in `pipeline` on a server in `home_region`: the
    /// API's own rules, so regional mistakes show while drawing too.
    pub fn all_in(pipeline: &model::PipelineDeclaration, home_region: &str) -> Vec<Problem> {
        model::validate_in_region(pipeline, home_region).iter().map(Problem::from).collect()
    }
}

impl From<&ValidationError> for Problem {
    fn from(err: &ValidationError) -> Self {
        Problem {
            code: err.code.to_string(),
            message: err.message.clone(),
            stage: err.path.stage.clone(),
            action: err.path.action.clone(),
            field: err.path.field.clone(),
            stage_index: err.path.stage_index,
            action_index: err.path.action_index,
            line: None,
            column: None,
        }
    }
}

impl From<&ParseError> for Problem {
    fn from(err: &ParseError) -> Self {
        Problem {
            code: "parse-error".to_string(),
            message: err.message.clone(),
            stage: None,
            action: None,
            field: (!err.path.is_empty()).then(|| err.path.clone()),
            stage_index: None,
            action_index: None,
            // serde_json reports 0 when it cannot tell the position.
            line: (err.line > 0).then_some(err.line),
            column: (err.column > 0).then_some(err.column),
        }
    }
}

/// Why a server function failed, in terms a page can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    NotFound(String),
    /// The pipeline was refused; each problem says why and where.
    Rejected(Vec<Problem>),
    /// The signed-in user's policies refuse the request; the message says what, in words.
    Denied(String),
    /// The request cannot be done as asked, or not now (bad input, not stoppable, a stale token).
    Refused(String),
    /// Anything else (transport, database); the message is safe to show.
    Server(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::NotFound(message)
            | AppError::Denied(message)
            | AppError::Refused(message)
            | AppError::Server(message) => f.write_str(message),
            AppError::Rejected(problems) => match problems.as_slice() {
                [one] => f.write_str(&one.message),
                many => write!(f, "the pipeline has {} problems", many.len()),
            },
        }
    }
}

impl std::error::Error for AppError {}

impl AppError {
    /// The HTTP status a server function answers this error with: a refusal or a problem with the
    /// request is the caller's to fix (4xx); only what went wrong in Sluice is a 500.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound(_) => 404,
            AppError::Rejected(_) | AppError::Refused(_) => 400,
            AppError::Denied(_) => 403,
            AppError::Server(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    // Decoded like every answer (see `codec`), so the browser has one JSON reader.
    type Encoder = super::codec::StrJsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Server(value.to_string())
    }
}
