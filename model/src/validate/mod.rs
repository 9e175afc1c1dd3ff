//! Structural validation (filled in next).
mod error;
pub use error::{ErrorPath, Exception, ValidationError};

use crate::pipeline::PipelineDeclaration;

/// Every rule violation in `pipeline`; empty means valid.
pub fn validate(_pipeline: &PipelineDeclaration) -> Vec<ValidationError> {
    Vec::new()
}
