//! Sluice's model: the CodePipeline pipeline declaration (exact wire JSON), parsing with precise
//! errors, the action-provider catalogue and the structural validator.
//!
//! Pure Rust with no I/O so the same code runs in the server and in the editor's wasm.

pub mod catalog;
pub mod event_input;
pub mod event_pattern;
pub mod git_trigger;
pub mod ip_range;
pub mod parse;
pub mod pipeline;
pub mod role;
pub mod sample;
pub mod time;
pub mod validate;
pub mod variables;

pub use parse::{parse_pipeline, parse_pipeline_document, ParseError, PipelineDocument, Tag};
pub use pipeline::*;
pub use role::Role;
pub use validate::{
    validate, validate_in_region, validate_with_custom_types, CustomTypes, ErrorPath, Exception, ValidationError,
};
