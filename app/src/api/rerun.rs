//! Running an old execution again: a re-run with its exact source revisions and variables, and a
//! stage rolled back to it (RollbackStage). Checked as StartPipelineExecution and RollbackStage.
use super::AppError;
use leptos::prelude::*;

/// Starts a new execution with the source revisions and variables `execution_id` ran with; its
/// trigger detail names the execution it re-runs, and the signed-in user is its starter.
/// Returns the new execution's id.
#[server(endpoint = "runs/rerun_execution", output = crate::api::codec::Json)]
pub async fn rerun_execution(pipeline: String, execution_id: String) -> Result<String, AppError> {
    use super::runs::allowed;
    use super::ssr::*;
    let engine = engine()?;
    allowed(&engine, "StartPipelineExecution", &pipeline, &[])?;
    let by = crate::auth::principal()?;
    engine.rerun(&pipeline, &execution_id, &by).await.map_err(engine_error)
}

/// Rolls `stage` back to `target_execution_id` (a new execution); returns its id.
#[server(output = crate::api::codec::Json)]
pub async fn rollback_stage(pipeline: String, stage: String, target_execution_id: String) -> Result<String, AppError> {
    use super::runs::allowed;
    use super::ssr::*;
    let engine = engine()?;
    allowed(&engine, "RollbackStage", &pipeline, &[&stage])?;
    let by = crate::auth::principal()?;
    engine.rollback_stage(&pipeline, &stage, &target_execution_id, &by).await.map_err(engine_error)
}
