//! What happens after a stage fails: `onFailure` (retry once by itself, or roll back, when its
//! condition passes), and the retry of a stage, automatic or asked for.
use super::conditions::{self, Gate};
use super::run::{set_stage, Run};
use super::Tick;
use crate::events::EventState;
use crate::runs::{RetryTrigger, StageRow};
use crate::RetryMode;
use model::{
    ActionExecutionStatus as A, ConditionResult, ConditionType, PipelineExecutionStatus as P, StageDeclaration,
    StageExecutionStatus as S, StageRetryMode,
};
use serde_json::json;

/// What a failed stage's `onFailure` does next.
pub(super) enum AfterFailure {
    /// Its condition's rules are still running.
    Pending,
    Retry(RetryMode),
    /// Fail, and start a rollback of the stage to its last successful execution.
    Rollback,
    Fail,
}

/// `onFailure`'s result applies always without conditions, and with a condition when its rules
/// pass (the condition is met). Rules are not run when the result could not apply anyway.
pub(super) fn after_failure(
    run: &mut Run,
    tick: &mut Tick,
    stage_decl: &StageDeclaration,
    stage: &StageRow,
) -> AfterFailure {
    let Some(on_failure) = stage_decl.on_failure.as_ref() else { return AfterFailure::Fail };
    let condition = on_failure.conditions.first();
    let applies = match condition.and_then(|c| c.result).or(on_failure.result) {
        Some(ConditionResult::Retry) => automatic_retry(stage_decl, stage).map(AfterFailure::Retry),
        // A rollback execution that fails is not rolled back again.
        Some(ConditionResult::Rollback) if run.exec.rollback_target.is_none() => Some(AfterFailure::Rollback),
        _ => None,
    };
    let Some(applies) = applies else { return AfterFailure::Fail };
    let Some(condition) = condition else { return applies };
    match conditions::gate(run, tick, stage, ConditionType::OnFailure, condition) {
        Gate::Pending => AfterFailure::Pending,
        Gate::Passed => applies,
        Gate::Failed(_) => AfterFailure::Fail,
    }
}

/// `onFailure` with result RETRY (on the block or its condition) retries a failed stage once by
/// itself (CodePipeline allows one automatic attempt).
fn automatic_retry(stage: &StageDeclaration, row: &StageRow) -> Option<RetryMode> {
    let on_failure = stage.on_failure.as_ref()?;
    let result = on_failure.conditions.first().and_then(|c| c.result).or(on_failure.result);
    (result == Some(ConditionResult::Retry) && row.auto_retries == 0).then(|| {
        match on_failure.retry_configuration.as_ref().and_then(|c| c.retry_mode) {
            Some(StageRetryMode::AllActions) => RetryMode::AllActions,
            _ => RetryMode::FailedActions,
        }
    })
}

/// Runs a failed or stopped stage again: its failed actions, or all of them from the first group.
/// The caller then lets `progress` start them.
pub(crate) fn restart_stage(run: &mut Run, tick: &mut Tick, index: usize, mode: RetryMode, trigger: RetryTrigger) {
    let stage_decl = run.decl.stages[index].clone();
    let Some(row) = run.stage_row(&stage_decl.name).cloned() else { return };
    let failed: Vec<String> = stage_decl
        .actions
        .iter()
        .filter(|a| run.latest(&row, &a.name).is_some_and(|r| matches!(r.state.status, A::Failed | A::Abandoned)))
        .map(|a| a.name.clone())
        .collect();
    let Some(stage_row) = run.stage_row_mut(&stage_decl.name) else { return };
    stage_row.attempt += 1;
    match trigger {
        RetryTrigger::Manual => stage_row.manual_retries += 1,
        RetryTrigger::Automated => stage_row.auto_retries += 1,
    }
    stage_row.last_retry_trigger = Some(trigger);
    if mode == RetryMode::AllActions {
        stage_row.base_attempt = stage_row.attempt;
    }
    let attempt = stage_row.attempt;
    set_stage(run, tick, &stage_decl.name, S::InProgress);
    if run.exec.status != P::InProgress {
        run.exec.status = P::InProgress;
        run.exec.status_summary = None;
        run.exec.stop_reason = None;
        run.exec.stop_abandon = false;
        tick.events.push(run.event_pipeline(EventState::Resumed, json!({})));
    }
    run.exec.current_stage = index;
    run.exec.updated_ms = tick.now;
    if mode == RetryMode::FailedActions {
        for action in stage_decl.actions.iter().filter(|a| failed.contains(&a.name)) {
            tick.create_action(run, &stage_decl, action, attempt);
        }
    }
}
