//! Rules that need the pipeline's own region (which the declaration does not contain).
//!
//! Why separate: the console writes `region` on every action, equal to the pipeline's region, so
//! a `region` field alone does not make an action cross-region. Only with the home region known
//! can we tell, so these rules run in `validate_in_region`.

use super::error::Exception::{InvalidActionDeclaration, InvalidStructure};
use super::is_commands_action;
use super::report::{field, Loc, Report};
use crate::pipeline::{ActionCategory, ActionDeclaration, ActionOwner, PipelineDeclaration};

pub(crate) fn check(p: &PipelineDeclaration, home: &str, report: &mut Report) {
    match &p.artifact_stores {
        Some(stores) if !stores.contains_key(home) => {
            report.add(
                Loc::pipeline(),
                field("artifactStores"),
                "artifact-store-missing-for-region",
                InvalidStructure,
                format!("artifactStores has no store for the pipeline's own region '{home}'"),
            );
        }
        _ => {}
    }
    for (si, stage) in p.stages.iter().enumerate() {
        for (ai, action) in stage.actions.iter().enumerate() {
            let Some(region) = action.region.as_deref().filter(|r| *r != home) else {
                continue;
            };
            let at = Loc::stage(si, stage).action(ai, action);
            if let Some(kind) = cannot_leave_home(action) {
                report.add(
                    at,
                    field("region"),
                    "cross-region-not-allowed",
                    InvalidActionDeclaration,
                    format!("{kind} cannot run in another region ('{region}'; the pipeline is in '{home}')"),
                );
            }
            if p.artifact_stores.is_none() {
                report.add(at, field("region"), "artifact-store-missing-for-region", InvalidStructure,
                    format!("runs in region '{region}', which needs artifactStores with a store there (the pipeline has a single artifactStore)"));
            }
        }
    }
}

/// Source, partner, custom and Commands actions always run in the pipeline's region.
fn cannot_leave_home(action: &ActionDeclaration) -> Option<&'static str> {
    let id = &action.action_type_id;
    if id.category == ActionCategory::Source {
        Some("A Source action")
    } else if id.owner == ActionOwner::ThirdParty {
        Some("A ThirdParty action")
    } else if id.owner == ActionOwner::Custom {
        Some("A Custom action")
    } else if is_commands_action(id) {
        Some("The Commands action")
    } else {
        None
    }
}
