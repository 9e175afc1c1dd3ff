//! Structural validation of a pipeline declaration: the rules CodePipeline enforces on
//! CreatePipeline/UpdatePipeline (reference/codepipeline.md §3, §5, §6), as one pure function
//! shared by the API and the editor.
//!
//! Each submodule owns one group of rules and reports through `Report`, so adding a rule means
//! adding one function, and every error carries a stable code, an AWS exception and a location.

mod actions;
mod artifacts;
mod conditions;
mod context;
mod custom;
mod error;
mod providers;
mod references;
mod regional;
mod report;
mod stages;
mod structure;
mod text;
mod triggers;
mod v2;

pub use error::{ErrorPath, Exception, ValidationError};

use crate::catalog::CustomActionType;
use crate::pipeline::{ActionCategory, ActionOwner, ActionTypeId, PipelineDeclaration};
use report::Report;

/// Every rule violation in `pipeline`; empty means valid. Never panics, whatever the input.
/// Custom action types are not known here, so actions of them are accepted as declared; the
/// API validates with [`validate_with_custom_types`].
pub fn validate(pipeline: &PipelineDeclaration) -> Vec<ValidationError> {
    checked(pipeline, None)
}

/// The custom action types a pipeline may use: `Known` lists every one that exists (an action of
/// another is refused), `Unknown` means the caller cannot tell (the editor before it loaded them).
#[derive(Debug, Clone, Copy)]
pub enum CustomTypes<'a> {
    Unknown,
    Known(&'a [CustomActionType]),
}

fn checked(pipeline: &PipelineDeclaration, custom: Option<&[CustomActionType]>) -> Vec<ValidationError> {
    let ctx = context::Context::new(pipeline);
    let mut report = Report::default();
    structure::check(pipeline, &mut report);
    stages::check(pipeline, &mut report);
    actions::check(pipeline, &mut report);
    artifacts::check(pipeline, &ctx, &mut report);
    providers::check(pipeline, &mut report);
    if let Some(types) = custom {
        custom::check(pipeline, types, &mut report);
    }
    references::check(pipeline, &ctx, &mut report);
    v2::check(pipeline, &mut report);
    conditions::check(pipeline, &ctx, &mut report);
    triggers::check(pipeline, &mut report);
    report.errors
}

/// Like [`validate`], plus the rules that need the region the pipeline lives in (`home`):
/// Source, ThirdParty, Custom and Commands actions may not run elsewhere, an action in another
/// region needs `artifactStores`, and `artifactStores` must include `home`.
pub fn validate_in_region(pipeline: &PipelineDeclaration, home: &str) -> Vec<ValidationError> {
    validate_with_custom_types(pipeline, home, CustomTypes::Unknown)
}

/// Like [`validate_in_region`], and each Custom action must be of a type in `custom` and respect
/// its declared artifact counts and configuration properties.
pub fn validate_with_custom_types(
    pipeline: &PipelineDeclaration,
    home: &str,
    custom: CustomTypes<'_>,
) -> Vec<ValidationError> {
    let known = match custom {
        CustomTypes::Unknown => None,
        CustomTypes::Known(types) => Some(types),
    };
    let mut errors = checked(pipeline, known);
    let mut report = Report::default();
    regional::check(pipeline, home, &mut report);
    errors.extend(report.errors);
    errors
}

/// The V2 Commands action (Compute/AWS/Commands).
pub(crate) fn is_commands_action(id: &ActionTypeId) -> bool {
    id.category == ActionCategory::Compute && id.owner == ActionOwner::Aws && id.provider == "Commands"
}

/// The only action type that may set `timeoutInMinutes`.
pub(crate) fn is_manual_approval(id: &ActionTypeId) -> bool {
    id.category == ActionCategory::Approval && id.owner == ActionOwner::Aws && id.provider == "Manual"
}
