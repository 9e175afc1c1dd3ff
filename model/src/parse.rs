//! Reading pipeline JSON, with errors that point at the offending field.
//!
//! Why serde_path_to_error: serde_json alone says "unknown field `runorder`" with a line number;
//! the editor and the API both need the JSON path (`stages[1].actions[0]`) to pin the error.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::pipeline::PipelineDeclaration;

/// A document that is not a well-formed pipeline declaration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ParseError {
    /// JSON path of the offending value, e.g. `stages[1].actions[0].runOrder`; empty for the root.
    pub path: String,
    /// 1-based position in the input (0 when serde_json could not tell).
    pub line: usize,
    pub column: usize,
    /// serde_json's explanation without the position suffix, e.g. "unknown field `runorder`, ...".
    pub message: String,
}

impl ParseError {
    fn describe(&self) -> String {
        let at = format!("line {}, column {}", self.line, self.column);
        if self.path.is_empty() {
            format!("{} ({at})", self.message)
        } else {
            format!("{}: {} ({at})", self.path, self.message)
        }
    }
}

/// The `{"pipeline": …, "metadata": …, "tags": […]}` shape printed by `get-pipeline` and used by
/// `--cli-input-json` files for create-pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PipelineDocument {
    pub pipeline: PipelineDeclaration,
    /// Server-managed (pipelineArn, created, updated, pollingDisabledAt); kept opaque because
    /// the CLI prints timestamps as strings while the wire carries epoch numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Parses a pipeline given either bare or wrapped as `{"pipeline": {...}}` (with optional
/// `metadata` and `tags` beside it). The wrapper's extras are dropped; use
/// [`parse_pipeline_document`] to keep them.
pub fn parse_pipeline(json: &str) -> Result<PipelineDeclaration, ParseError> {
    parse_pipeline_document(json).map(|doc| doc.pipeline)
}

/// Like [`parse_pipeline`] but keeps `metadata` and `tags`; a bare declaration yields a document
/// without them. Paths in errors are relative to the document as written (so they start with
/// `pipeline.` for the wrapped shape).
pub fn parse_pipeline_document(json: &str) -> Result<PipelineDocument, ParseError> {
    if is_wrapped(json) {
        parse_tracked(json)
    } else {
        parse_tracked(json).map(|pipeline| PipelineDocument { pipeline, metadata: None, tags: None })
    }
}

/// A bare declaration never has a `pipeline` key (unknown fields are rejected), so its presence
/// at the top level tells the two shapes apart.
fn is_wrapped(json: &str) -> bool {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json)
        .map(|top| top.contains_key("pipeline"))
        .unwrap_or(false)
}

fn parse_tracked<T: DeserializeOwned>(json: &str) -> Result<T, ParseError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        from_json_error(normalize_path(&path), err.into_inner())
    })?;
    // Reject trailing garbage after the document, as AWS does.
    de.end().map_err(|err| from_json_error(String::new(), err))?;
    Ok(value)
}

fn from_json_error(path: String, err: serde_json::Error) -> ParseError {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    ParseError { path, line: err.line(), column: err.column(), message }
}

/// serde_path_to_error prints the root as "."; callers want an empty string there.
fn normalize_path(path: &str) -> String {
    if path == "." {
        String::new()
    } else {
        path.to_string()
    }
}
