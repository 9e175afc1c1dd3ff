//! Reading pipeline JSON, with errors that point at the offending field.
//!
//! serde_json alone says "unknown field `runorder`" with a line number; the editor and the API
//! both need the JSON path (`stages[1].actions[0].runorder`) to pin the error. The path is found
//! after the fact, by walking the text up to where serde_json stopped ([`path_at`]), rather than
//! tracked during parsing (serde_path_to_error): a tracking deserializer is a second copy of every
//! pipeline type's deserializer, which the editor's wasm bundle would carry beside the one it
//! reads server answers with.

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
    let value = T::deserialize(&mut de).map_err(|err| {
        let path = path_at(json, &err);
        from_json_error(path, err)
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

/// The JSON path of the value serde_json was reading when it failed, e.g.
/// `stages[1].actions[0].runOrder` (empty for the root or when serde_json gave no position).
///
/// serde_json reports where it stopped: just after the key or value it could not accept. Walking
/// the text up to there gives the open objects and arrays and, in each, the key or index being
/// read. "missing field" is the one error about an object rather than its last member (serde
/// raises it at the closing brace), so it names the object.
fn path_at(json: &str, err: &serde_json::Error) -> String {
    if err.line() == 0 {
        return String::new();
    }
    let line_start: usize = json.split_inclusive('\n').take(err.line() - 1).map(str::len).sum();
    let read = json.get(..line_start + err.column()).unwrap_or(json);
    let mut open = walk(read);
    if err.to_string().starts_with("missing field") {
        if let Some(Container::Object(key)) = open.last_mut() {
            *key = None;
        }
    }
    let mut path = String::new();
    for container in &open {
        match container {
            Container::Object(Some(key)) if path.is_empty() => path.push_str(key),
            Container::Object(Some(key)) => {
                path.push('.');
                path.push_str(key);
            }
            Container::Object(None) => break,
            Container::Array(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// An object or array that is open at the point serde_json stopped.
enum Container {
    /// The key whose value is being read (`None` between members).
    Object(Option<String>),
    /// The index of the element being read.
    Array(usize),
}

/// The containers still open at the end of `read`, a prefix of a JSON document that may stop in
/// the middle of a token. Malformed text ends the walk early; it never panics.
fn walk(read: &str) -> Vec<Container> {
    let bytes = read.as_bytes();
    let mut open: Vec<Container> = Vec::new();
    // In an object, whether the next string is a key (true) or a value.
    let mut expect_key = false;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'{' => {
                open.push(Container::Object(None));
                expect_key = true;
            }
            b'[' => open.push(Container::Array(0)),
            b'}' | b']' => {
                open.pop();
                expect_key = false;
            }
            b':' => expect_key = false,
            b',' => match open.last_mut() {
                Some(Container::Object(key)) => {
                    *key = None;
                    expect_key = true;
                }
                Some(Container::Array(index)) => *index += 1,
                None => {}
            },
            b'"' => {
                let Some(end) = string_end(bytes, at) else { break };
                if expect_key {
                    // Decoding the quoted key also undoes its escapes.
                    let key = serde_json::from_str::<String>(&read[at..end]).unwrap_or_default();
                    if let Some(Container::Object(slot)) = open.last_mut() {
                        *slot = Some(key);
                    }
                }
                at = end;
                continue;
            }
            // Whitespace, numbers, true, false and null change no container.
            _ => {}
        }
        at += 1;
    }
    open
}

/// The index just past the closing quote of the string starting at `start`, if it closes.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}
