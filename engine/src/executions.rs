//! What clients do to executions: start, stop, retry a stage, answer an approval, disable and
//! enable transitions, override a stage condition. Each change is one
//! transaction with its events; the scheduler then moves the pipeline on.
use crate::events::EventState;
use crate::now_ms;
use crate::runs::RetryTrigger;
use crate::runs::{ExecutionRow, ExecutionType, ResolvedVariable, SourceRevisionOverride};
use crate::scheduler::{override_condition, progress, restart_stage, Run, Tick};
use crate::store::events::{set_transition, TransitionRow};
use crate::store::executions as rows;
use crate::store::stages;
use crate::{Engine, EngineError, PipelineRecord, Principal, Refusal, Result};
use model::{ConditionType, PipelineExecutionStatus as P, StageExecutionStatus as S, TriggerType};
use serde_json::json;

/// How an execution starts.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub trigger: TriggerType,
    /// CodePipeline's text for the trigger (for StartPipelineExecution, the caller's ARN).
    pub trigger_detail: String,
    /// The user who set the start going, whatever the trigger (`ExecutionRow::started_by`); a
    /// start whose variables change what the pipeline reads is checked against their policies.
    pub started_by: Option<Principal>,
    /// Values for the pipeline's declared variables; the rest take their defaults.
    pub variables: Vec<(String, String)>,
    pub source_revisions: Vec<SourceRevisionOverride>,
    /// Two starts with the same token are one execution.
    pub client_request_token: Option<String>,
}

impl StartRequest {
    pub fn new(trigger: TriggerType) -> Self {
        StartRequest {
            trigger,
            trigger_detail: String::new(),
            started_by: None,
            variables: Vec::new(),
            source_revisions: Vec::new(),
            client_request_token: None,
        }
    }

    /// StartPipelineExecution by a user: the trigger detail is their ARN, as on AWS.
    pub fn by_user(user: &Principal) -> Self {
        StartRequest {
            trigger_detail: user.arn.clone(),
            started_by: Some(user.clone()),
            ..StartRequest::new(TriggerType::StartPipelineExecution)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    FailedActions,
    AllActions,
}

impl Engine {
    /// Starts an execution; returns its id (the existing one for a repeated client token).
    pub async fn start_execution(&self, pipeline: &str, request: StartRequest) -> Result<String> {
        let record = self.pipeline(pipeline, None).await?;
        let variables = resolve_variables(&record, &request.variables)?;
        if !request.variables.is_empty() {
            self.check_run_reads(&record.declaration, &variables, request.started_by.as_ref()).await?;
        }
        let id = {
            let mut tx = self.lock(pipeline).await?;
            if let Some(token) = &request.client_request_token {
                if let Some(existing) = rows::execution_by_token(&mut tx, pipeline, token).await? {
                    return Ok(existing.execution_id);
                }
            }
            let mut tick = Tick::new(self);
            let decl = &record.declaration;
            let exec = ExecutionRow {
                execution_id: uuid::Uuid::new_v4().to_string(),
                pipeline_name: pipeline.to_owned(),
                pipeline_version: decl.version.unwrap_or(1),
                seq: rows::next_seq(&mut tx, pipeline).await?,
                status: P::InProgress,
                status_summary: None,
                trigger_type: request.trigger,
                trigger_detail: request.trigger_detail.clone(),
                started_by: request.started_by.as_ref().map(|user| user.arn.clone()),
                retried_by: Vec::new(),
                execution_mode: decl.effective_execution_mode(),
                execution_type: ExecutionType::Standard,
                rollback_target: None,
                variables,
                source_revisions: request.source_revisions.clone(),
                client_request_token: request.client_request_token.clone(),
                stop_reason: None,
                stop_abandon: false,
                current_stage: 0,
                created_ms: tick.now,
                updated_ms: tick.now,
            };
            rows::insert_execution(&mut tx, &exec).await?;
            let trigger = json!({ "execution-trigger": { "trigger-type": exec.trigger_type.as_str(), "trigger-detail": exec.trigger_detail } });
            tick.events.push(crate::events::PendingEvent::pipeline(
                pipeline,
                &exec.execution_id,
                exec.pipeline_version,
                EventState::Started,
                trigger,
            ));
            tick.commit(tx).await?;
            exec.execution_id
        };
        self.advance(pipeline).await?;
        Ok(id)
    }

    /// Stop and wait (running actions finish) or stop and abandon (they are abandoned).
    pub async fn stop_execution(
        &self,
        pipeline: &str,
        execution_id: &str,
        abandon: bool,
        reason: Option<String>,
    ) -> Result<()> {
        self.change(pipeline, execution_id, |run, tick| {
            match run.exec.status {
                P::InProgress => {}
                P::Stopping if abandon && !run.exec.stop_abandon => {}
                P::Stopping => {
                    return Err(EngineError::refused(
                        Refusal::StopAlreadyRequested,
                        "The execution is already stopping; only a stop-and-abandon request may follow.",
                    ))
                }
                other => {
                    return Err(EngineError::refused(
                        Refusal::NotStoppable,
                        format!("Execution {} is {other} and cannot be stopped.", run.exec.execution_id),
                    ))
                }
            }
            stop(run, tick, abandon, reason.clone());
            Ok(())
        })
        .await
    }

    /// RetryStageExecution with CodePipeline's preconditions. The user who retries joins the
    /// execution's starters, whom a manual approval may refuse.
    pub async fn retry_stage(
        &self,
        pipeline: &str,
        stage: &str,
        execution_id: &str,
        mode: RetryMode,
        by: &Principal,
    ) -> Result<()> {
        let latest_version = self.pipeline(pipeline, None).await?.declaration.version.unwrap_or(1);
        let newer_in_stage = {
            let mut conn = self.store.conn().await?;
            stages::latest_stage_run(&mut conn, pipeline, stage).await?.map(|(_, exec)| exec)
        };
        let others_running = {
            let mut conn = self.store.conn().await?;
            let mut busy = false;
            for other in rows::active_executions(&mut conn, pipeline).await? {
                if other.execution_id != execution_id
                    && stages::stages_of(&mut conn, &other.execution_id)
                        .await?
                        .iter()
                        .any(|s| s.stage_name == stage && matches!(s.status, S::InProgress | S::Stopping))
                {
                    busy = true;
                }
            }
            busy
        };
        self.change(pipeline, execution_id, |run, tick| {
            let index =
                run.decl.stages.iter().position(|s| s.name == stage).ok_or_else(|| stage_not_found(pipeline, stage))?;
            let not_retryable = |why: &str| EngineError::refused(Refusal::StageNotRetryable, why.to_owned());
            let row =
                run.stage_row(stage).cloned().ok_or_else(|| not_retryable("The execution never ran this stage."))?;
            if !matches!(row.status, S::Failed | S::Stopped) || !matches!(run.exec.status, P::Failed | P::Stopped) {
                return Err(not_retryable(
                    "Only a failed or stopped stage of a failed or stopped execution can be retried.",
                ));
            }
            if run.exec.pipeline_version != latest_version {
                return Err(not_retryable(
                    "The pipeline was updated since this execution ran, so the stage cannot be retried.",
                ));
            }
            if newer_in_stage.as_ref().is_some_and(|e| e.execution_id != run.exec.execution_id) {
                return Err(EngineError::refused(
                    Refusal::NotLatestExecution,
                    "A newer execution has run this stage since; only the latest execution of a stage can be retried.",
                ));
            }
            if others_running && run.exec.execution_mode != model::ExecutionMode::Parallel {
                return Err(EngineError::refused(Refusal::Conflict, "Another execution is running in this stage."));
            }
            restart_stage(run, tick, index, mode, RetryTrigger::Manual);
            if !run.exec.retried_by.contains(&by.arn) {
                run.exec.retried_by.push(by.arn.clone());
            }
            progress(run, tick);
            Ok(())
        })
        .await
    }

    /// OverrideStageCondition: lets the latest execution of a stage past its beforeEntry or
    /// onSuccess condition while it is checked, or after it failed the stage.
    pub async fn override_stage_condition(
        &self,
        pipeline: &str,
        stage: &str,
        execution_id: &str,
        kind: ConditionType,
    ) -> Result<()> {
        let record = self.pipeline(pipeline, None).await?;
        if !record.declaration.stages.iter().any(|s| s.name == stage) {
            return Err(stage_not_found(pipeline, stage));
        }
        let latest_in_stage = {
            let mut conn = self.store.conn().await?;
            stages::latest_stage_run(&mut conn, pipeline, stage).await?.map(|(_, exec)| exec.execution_id)
        };
        self.change(pipeline, execution_id, |run, tick| {
            if latest_in_stage.as_deref().is_some_and(|latest| latest != run.exec.execution_id) {
                return Err(EngineError::refused(
                    Refusal::NotLatestExecution,
                    "A newer execution has entered this stage since; only the latest execution's conditions can be overridden.",
                ));
            }
            if run.exec.status == P::Stopping {
                return Err(EngineError::refused(Refusal::Conflict, "The execution is stopping; wait until it has stopped."));
            }
            override_condition(run, tick, stage, kind)?;
            progress(run, tick);
            Ok(())
        })
        .await
    }

    /// Enables or disables the inbound transition of a stage.
    pub async fn set_stage_transition(
        &self,
        pipeline: &str,
        stage: &str,
        enabled: bool,
        reason: Option<String>,
        changed_by: &str,
    ) -> Result<()> {
        let record = self.pipeline(pipeline, None).await?;
        if !record.declaration.stages.iter().any(|s| s.name == stage) {
            return Err(stage_not_found(pipeline, stage));
        }
        {
            let mut tx = self.lock(pipeline).await?;
            let row = TransitionRow {
                stage_name: stage.to_owned(),
                enabled,
                disabled_reason: if enabled { None } else { reason },
                last_changed_by: Some(changed_by.to_owned()),
                last_changed_ms: now_ms(),
            };
            set_transition(&mut tx, pipeline, &row).await?;
            tx.commit().await?;
        }
        self.advance(pipeline).await
    }

    /// Loads one execution, lets `apply` change it, saves it with its events, then advances.
    pub(crate) async fn change<F>(&self, pipeline: &str, execution_id: &str, apply: F) -> Result<()>
    where
        F: FnOnce(&mut Run, &mut Tick) -> Result<()>,
    {
        {
            let mut tx = self.lock(pipeline).await?;
            let exec = rows::execution(&mut tx, execution_id)
                .await?
                .filter(|e| e.pipeline_name == pipeline)
                .ok_or_else(|| execution_not_found(pipeline, execution_id))?;
            let decl = self.declaration(pipeline, exec.pipeline_version).await?;
            let mut run = Run::load(&mut tx, exec, decl).await?;
            let mut tick = Tick::new(self);
            apply(&mut run, &mut tick)?;
            run.save(&mut tx).await?;
            tick.commit(tx).await?;
        }
        self.advance(pipeline).await
    }
}

/// Declared variables with the values given, else their defaults.
fn resolve_variables(record: &PipelineRecord, given: &[(String, String)]) -> Result<Vec<ResolvedVariable>> {
    let declared = &record.declaration.variables;
    if let Some((name, _)) = given.iter().find(|(name, _)| !declared.iter().any(|v| &v.name == name)) {
        return Err(EngineError::refused(
            Refusal::InvalidRequest,
            format!("The pipeline declares no variable named '{name}'."),
        ));
    }
    let mut resolved = Vec::new();
    for variable in declared {
        let value = given
            .iter()
            .find(|(name, _)| *name == variable.name)
            .map(|(_, value)| value.clone())
            .or_else(|| variable.default_value.clone())
            .ok_or_else(|| {
                EngineError::refused(
                    Refusal::InvalidRequest,
                    format!("Variable '{}' has no default value and was not given.", variable.name),
                )
            })?;
        resolved.push(ResolvedVariable { name: variable.name.clone(), resolved_value: value });
    }
    Ok(resolved)
}

pub(crate) fn stage_not_found(pipeline: &str, stage: &str) -> EngineError {
    EngineError::refused(Refusal::StageNotFound, format!("Pipeline '{pipeline}' has no stage '{stage}'."))
}

pub(crate) fn execution_not_found(pipeline: &str, execution_id: &str) -> EngineError {
    EngineError::refused(
        Refusal::ExecutionNotFound,
        format!("Pipeline '{pipeline}' has no execution with id '{execution_id}'."),
    )
}

/// Stops an active execution: it waits for its running actions, or abandons them.
pub(crate) fn stop(run: &mut Run, tick: &mut Tick, abandon: bool, reason: Option<String>) {
    let first_stop = run.exec.status == P::InProgress;
    run.exec.status = P::Stopping;
    run.exec.stop_abandon |= abandon;
    if reason.is_some() || first_stop {
        run.exec.stop_reason = reason;
    }
    run.exec.updated_ms = tick.now;
    let comments = json!({ "stop-execution-comments": run.exec.stop_reason });
    tick.events.push(run.event_pipeline(EventState::Stopping, comments));
    progress(run, tick);
}
