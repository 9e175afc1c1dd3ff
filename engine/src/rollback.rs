//! Stage rollback: a new execution that runs one stage again with the artifacts and variables of
//! an earlier execution that succeeded there, asked for (RollbackStage) or automatic (a stage
//! condition's ROLLBACK result). `refusal` is the one rule of what may be rolled back to; the run
//! view offers exactly what it accepts.
use crate::events::EventState;
use crate::executions::stage_not_found;
use crate::runs::{ExecutionRow, ExecutionType, StageRow};
use crate::scheduler::Tick;
use crate::store::executions as rows;
use crate::store::{actions, stages};
use crate::{Engine, EngineError, Principal, Refusal, Result};
use model::{ActionExecutionStatus as A, PipelineDeclaration, PipelineExecutionStatus as P};
use model::{StageExecutionStatus as S, TriggerType};
use serde_json::json;

fn unable(why: String) -> EngineError {
    EngineError::refused(Refusal::UnableToRollback, why)
}

/// Why the stage at `index` of `decl` (the pipeline's current version) cannot be rolled back to
/// `target`, if it cannot; whether `target` succeeded in the stage is checked under the lock.
fn refusal(decl: &PipelineDeclaration, target: &ExecutionRow, index: usize) -> Option<EngineError> {
    if decl.effective_pipeline_type() != model::PipelineType::V2 {
        return Some(unable("Stage rollback needs a V2 pipeline.".into()));
    }
    if decl.effective_execution_mode() == model::ExecutionMode::Parallel {
        return Some(unable("Stage rollback is not available in PARALLEL mode.".into()));
    }
    if index == 0 {
        return Some(unable("The source stage cannot be rolled back.".into()));
    }
    if target.execution_type == ExecutionType::Rollback {
        return Some(unable(format!("Execution {} is itself a rollback.", target.execution_id)));
    }
    if Some(target.pipeline_version) != decl.version {
        return Some(EngineError::refused(
            Refusal::ExecutionOutdated,
            format!(
                "Execution {} ran version {} of the pipeline; only executions of the current version can be rolled back to.",
                target.execution_id, target.pipeline_version
            ),
        ));
    }
    None
}

impl Engine {
    /// RollbackStage: a new execution that runs one stage again with the artifacts and variables
    /// of an earlier execution that succeeded there, started by `by`. Returns its id.
    pub async fn rollback_stage(&self, pipeline: &str, stage: &str, target_id: &str, by: &Principal) -> Result<String> {
        self.start_rollback(pipeline, stage, target_id, TriggerType::ManualRollback, Some(&by.arn)).await
    }

    /// A stage condition's ROLLBACK result: rolls the stage back to the newest execution of the
    /// current pipeline version that succeeded there, if there is one.
    /// Boxed because it is started from `Tick::commit`, which it runs again: the named future
    /// type breaks the cycle the compiler could not prove `Send` otherwise.
    pub(crate) fn roll_back_automatically(
        self,
        pipeline: String,
        stage: String,
        failed_id: String,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>> {
        Box::pin(async move { self.roll_back_to_last_success(&pipeline, &stage, &failed_id).await })
    }

    async fn roll_back_to_last_success(&self, pipeline: &str, stage: &str, failed_id: &str) -> Result<()> {
        let version = self.pipeline(pipeline, None).await?.declaration.version.unwrap_or(1);
        let target = {
            let mut conn = self.store.conn().await?;
            stages::last_success_in_stage(&mut conn, pipeline, stage, version).await?
        };
        match target {
            Some(target) => {
                // No user starts it; the failed execution's starters set it going.
                let failed = self.execution(pipeline, failed_id).await?;
                let id = self
                    .start_rollback(
                        pipeline,
                        stage,
                        &target,
                        TriggerType::AutomatedRollback,
                        failed.started_by.as_deref(),
                    )
                    .await?;
                tracing::info!(%pipeline, %stage, failed = %failed_id, rollback = %id, "stage rolled back automatically");
            }
            None => {
                tracing::info!(%pipeline, %stage, failed = %failed_id, "no earlier success in the stage to roll back to")
            }
        }
        Ok(())
    }

    async fn start_rollback(
        &self,
        pipeline: &str,
        stage: &str,
        target_id: &str,
        trigger: TriggerType,
        by: Option<&str>,
    ) -> Result<String> {
        let record = self.pipeline(pipeline, None).await?;
        let decl = &record.declaration;
        let index = decl.stages.iter().position(|s| s.name == stage).ok_or_else(|| stage_not_found(pipeline, stage))?;
        let target = self.execution(pipeline, target_id).await?;
        if let Some(refusal) = refusal(decl, &target, index) {
            return Err(refusal);
        }
        let id = {
            let mut tx = self.lock(pipeline).await?;
            let succeeded = stages::stages_of(&mut tx, target_id)
                .await?
                .iter()
                .any(|s| s.stage_name == stage && s.status == S::Succeeded);
            if !succeeded {
                return Err(unable(format!("Execution {target_id} did not succeed in stage '{stage}'.")));
            }
            let mut tick = Tick::new(self);
            let exec = ExecutionRow {
                execution_id: uuid::Uuid::new_v4().to_string(),
                seq: rows::next_seq(&mut tx, pipeline).await?,
                status: P::InProgress,
                status_summary: None,
                trigger_type: trigger,
                trigger_detail: target_id.to_owned(),
                started_by: by.map(str::to_owned),
                retried_by: Vec::new(),
                execution_type: ExecutionType::Rollback,
                rollback_target: Some(target_id.to_owned()),
                client_request_token: None,
                stop_reason: None,
                stop_abandon: false,
                current_stage: index,
                created_ms: tick.now,
                updated_ms: tick.now,
                ..target.clone()
            };
            rows::insert_execution(&mut tx, &exec).await?;
            // The earlier stages' results, so inputs and variables resolve as they did then.
            let earlier: Vec<&str> = decl.stages[..index].iter().map(|s| s.name.as_str()).collect();
            for mut row in actions::actions_of(&mut tx, target_id).await? {
                if row.state.status == A::Succeeded && earlier.contains(&row.stage_name.as_str()) {
                    row.action_execution_id = uuid::Uuid::new_v4().to_string();
                    row.execution_id = exec.execution_id.clone();
                    actions::upsert_action(&mut tx, &row).await?;
                }
            }
            let detail =
                json!({ "execution-trigger": { "trigger-type": trigger.as_str(), "trigger-detail": target_id } });
            tick.events.push(crate::events::PendingEvent::pipeline(
                pipeline,
                &exec.execution_id,
                exec.pipeline_version,
                EventState::Started,
                detail,
            ));
            tick.commit(tx).await?;
            exec.execution_id
        };
        self.advance(pipeline).await?;
        Ok(id)
    }

    /// The stages RollbackStage would accept `exec` as target for, given its stage runs: those
    /// `refusal` allows, that `exec` succeeded in, and that another execution has entered since
    /// (rolling back to what is already there would change nothing).
    pub(crate) async fn rollback_targets(&self, exec: &ExecutionRow, stages: &[StageRow]) -> Result<Vec<String>> {
        let latest = self.pipeline(&exec.pipeline_name, None).await?.declaration;
        let mut conn = self.store.conn().await?;
        let mut offered = Vec::new();
        for (index, stage) in latest.stages.iter().enumerate() {
            let succeeded = stages.iter().any(|s| s.stage_name == stage.name && s.status == S::Succeeded);
            if !succeeded || refusal(&latest, exec, index).is_some() {
                continue;
            }
            let newest = stages::latest_stage_run(&mut conn, &exec.pipeline_name, &stage.name).await?;
            if newest.is_some_and(|(_, e)| e.execution_id != exec.execution_id) {
                offered.push(stage.name.clone());
            }
        }
        Ok(offered)
    }
}
