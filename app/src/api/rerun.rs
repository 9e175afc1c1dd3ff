//! Running an old execution again: a re-run with its exact source revisions and variables, and a
//! stage rolled back to it (RollbackStage). Checked as StartPipelineExecution and RollbackStage.
use super::AppError;
use leptos::prelude::*;

/// Starts a new execution with the source revisions and variables `execution_id` ran with; its
/// trigger detail names the execution it re-runs, and the signed-in user is its starter.
/// Returns the new execution's id.
#[server(endpoint = "runs/rerun_execution")]
pub async fn rerun_execution(pipeline: String, execution_id: String) -> Result<String, AppError> {
    use super::runs::allowed;
    use super::ssr::*;
    let engine = engine()?;
    let user = allowed(&engine, "StartPipelineExecution", &pipeline, &[])?;
    let by = crate::auth::principal()?;
    let old = engine.execution(&pipeline, &execution_id).await.map_err(engine_error)?;
    let declaration = engine.pipeline(&pipeline, Some(old.pipeline_version)).await.map_err(engine_error)?.declaration;
    let runs = engine.action_runs(&pipeline, &execution_id).await.map_err(engine_error)?;
    let mut request = engine::StartRequest::by_user(&by);
    request.trigger_detail = format!("{user} re-running {execution_id}");
    request.variables = super::runs::variables_of(&old);
    request.source_revisions = ssr::revision_overrides(&declaration, &runs);
    engine.start_execution(&pipeline, request).await.map_err(engine_error)
}

/// Rolls `stage` back to `target_execution_id` (a new execution); returns its id.
#[server]
pub async fn rollback_stage(pipeline: String, stage: String, target_execution_id: String) -> Result<String, AppError> {
    use super::runs::allowed;
    use super::ssr::*;
    let engine = engine()?;
    allowed(&engine, "RollbackStage", &pipeline, &[&stage])?;
    let by = crate::auth::principal()?;
    engine.rollback_stage(&pipeline, &stage, &target_execution_id, &by).await.map_err(engine_error)
}

#[cfg(feature = "ssr")]
pub(super) mod ssr {
    use crate::auth::Permissions;
    use engine::store::executions::{self as rows, ActionRow, ExecutionRow, StageRow};
    use engine::{Engine, EngineError};
    use model::{ExecutionMode, PipelineDeclaration, PipelineType, StageExecutionStatus};
    use serde_json::{json, Value};

    /// StartPipelineExecution's `sourceRevisions` that pin each source action of `declaration` to
    /// the revision it ran in `runs`.
    pub fn revision_overrides(declaration: &PipelineDeclaration, runs: &[ActionRow]) -> Value {
        let pinned = super::super::runs::revisions_of(runs).into_iter().filter_map(|(action, revision)| {
            let (_, declared) = declaration.actions().find(|(_, a)| a.name == action)?;
            let revision_type = match declared.action_type_id.provider.as_str() {
                "S3" => "S3_OBJECT_VERSION_ID",
                "ECR" => "IMAGE_DIGEST",
                _ => "COMMIT_ID",
            };
            Some(json!({ "actionName": action, "revisionType": revision_type, "revisionValue": revision }))
        });
        Value::Array(pinned.collect())
    }

    /// The stages of `exec` that RollbackStage would accept it as target for, and that the
    /// signed-in user may roll back: a V2 pipeline not in PARALLEL mode still at the version
    /// `exec` ran, not the source stage, a stage `exec` succeeded in and another execution has
    /// entered since (rolling back to what is already there would change nothing).
    pub async fn rollback_stages(
        engine: &Engine,
        permissions: &Permissions,
        exec: &ExecutionRow,
        stages: &[StageRow],
    ) -> Result<Vec<String>, EngineError> {
        let latest = engine.pipeline(&exec.pipeline_name, None).await?.declaration;
        if latest.effective_pipeline_type() != PipelineType::V2
            || latest.effective_execution_mode() == ExecutionMode::Parallel
            || latest.version != Some(exec.pipeline_version)
            || exec.execution_type == "ROLLBACK"
        {
            return Ok(Vec::new());
        }
        let mut conn = engine.store().conn().await?;
        let mut offered = Vec::new();
        for stage in latest.stages.iter().skip(1) {
            let succeeded =
                stages.iter().any(|s| s.stage_name == stage.name && s.status == StageExecutionStatus::Succeeded);
            let stage_arn = format!("{}/{}", engine.pipeline_arn(&exec.pipeline_name), stage.name);
            if !succeeded || !permissions.allow("codepipeline:RollbackStage", &stage_arn) {
                continue;
            }
            let newest = rows::latest_stage_run(&mut conn, &exec.pipeline_name, &stage.name).await?;
            if newest.is_some_and(|(_, e)| e.execution_id != exec.execution_id) {
                offered.push(stage.name.clone());
            }
        }
        Ok(offered)
    }
}
