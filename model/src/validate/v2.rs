//! Features that exist only on V2 pipelines.

use super::error::Exception::{InvalidActionDeclaration, InvalidStageDeclaration, InvalidStructure};
use super::report::{field, Loc, Report};
use crate::pipeline::{ActionCategory, ActionTypeId, ExecutionMode, PipelineDeclaration, PipelineType};

const CODE: &str = "requires-pipeline-type-v2";

/// AWS-owned action types documented as "only supported for V2 type pipelines".
fn is_v2_only_action(id: &ActionTypeId) -> bool {
    use ActionCategory::*;
    matches!(
        (id.category, id.provider.as_str()),
        (Compute, "Commands")
            | (Deploy, "EC2")
            | (Deploy, "EKS")
            | (Deploy, "Lambda")
            | (Build, "ECRBuildAndPublish")
            | (Invoke, "CodePipeline")
    ) && id.owner == crate::pipeline::ActionOwner::Aws
}

pub(crate) fn check(p: &PipelineDeclaration, report: &mut Report) {
    if p.effective_pipeline_type() == PipelineType::V2 {
        return;
    }
    let at = Loc::pipeline();
    let needs = |what: &str| format!("{what} requires pipelineType V2");
    if let Some(mode @ (ExecutionMode::Queued | ExecutionMode::Parallel)) = p.execution_mode {
        report.add(at, field("executionMode"), CODE, InvalidStructure, needs(&format!("executionMode {mode}")));
    }
    if !p.variables.is_empty() {
        report.add(at, field("variables"), CODE, InvalidStructure, needs("Pipeline-level variables"));
    }
    if !p.triggers.is_empty() {
        report.add(at, field("triggers"), CODE, InvalidStructure, needs("Triggers"));
    }
    for (si, stage) in p.stages.iter().enumerate() {
        let stage_at = Loc::stage(si, stage);
        let conditions = [
            ("beforeEntry", stage.before_entry.is_some()),
            ("onSuccess", stage.on_success.is_some()),
            ("onFailure", stage.on_failure.is_some()),
        ];
        for (name, present) in conditions {
            if present {
                report.add(
                    stage_at,
                    field(name),
                    CODE,
                    InvalidStageDeclaration,
                    needs(&format!("the {name} condition")),
                );
            }
        }
        for (ai, action) in stage.actions.iter().enumerate() {
            let id = &action.action_type_id;
            if is_v2_only_action(id) {
                report.add(
                    stage_at.action(ai, action),
                    field("actionTypeId"),
                    CODE,
                    InvalidActionDeclaration,
                    needs(&format!("the {} {} action", id.category, id.provider)),
                );
            }
        }
    }
}
