//! The scheduler's decisions. `advance` loads a pipeline's active executions, moves each as far
//! as CodePipeline's rules allow (groups by runOrder, stages in order, stage locks, supersession,
//! queueing, stops, disabled transitions) and saves every change with its events in one
//! transaction. It is idempotent: running it again without news changes nothing.
use super::conditions::{self, Gate};
use super::failure::{after_failure, restart_stage, AfterFailure};
use super::run::{finish, set_stage, Run};
use super::{PipelineTx, Scope, Tick};
use crate::events::EventState;
use crate::events::PendingEvent;
use crate::store::{actions, stages};

use crate::runs::RetryTrigger;
use crate::runs::{ActionRow, StageRow};
use crate::store::events::{transitions, TransitionRow};
use crate::store::executions as rows;
use crate::{Engine, EngineError, Result};
use model::{
    ActionExecutionStatus as A, ConditionExecutionStatus as C, ConditionResult, ConditionType, ExecutionMode,
    PipelineExecutionStatus as P, StageDeclaration, StageExecutionStatus as S,
};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

impl Engine {
    /// Moves every active execution of a pipeline as far as it can go now.
    pub(crate) async fn advance(&self, pipeline: &str) -> Result<()> {
        self.advance_scoped(pipeline, Scope::All).await
    }

    pub(crate) async fn advance_scoped(&self, pipeline: &str, scope: Scope) -> Result<()> {
        // Every finished action asks for an advance; while one is already queued for the lock,
        // more would only reload the same state.
        let Some(ticket) = self.runtime.queue_advance(pipeline, scope) else { return Ok(()) };
        let locked = self.lock(pipeline).await;
        let scope = ticket.redeem();
        let mut tx = match locked {
            Err(EngineError::PipelineNotFound(_)) => {
                // Deleted: its runners' outcomes have nowhere to go.
                drop(self.runtime.take_finished(pipeline));
                return Ok(());
            }
            other => other?,
        };
        let mut tick = Tick::new(self);
        if self.decide(&mut tx, pipeline, scope, &mut tick).await? {
            tick.commit(tx).await
        } else {
            // Nothing to do: rolling back spares the durable commit the lock statement would cost.
            tx.rollback().await
        }
    }

    /// The decisions of `advance` inside the caller's transaction, which must hold the
    /// pipeline's lock. Returns whether anything changed.
    async fn decide(&self, tx: &mut PipelineTx, pipeline: &str, scope: Scope, tick: &mut Tick) -> Result<bool> {
        let latest_version = self.store.latest_version(tx, pipeline).await?;
        let transitions = transitions(tx, pipeline).await?;
        let finished = self.runtime.take_finished(pipeline);
        let parallel =
            self.declaration(pipeline, latest_version).await?.effective_execution_mode() == ExecutionMode::Parallel;
        let only: Option<Vec<String>> = (scope == Scope::Finished && parallel).then(|| {
            let ids: BTreeSet<&String> = finished.iter().map(|f| &f.execution_id).collect();
            ids.into_iter().cloned().collect()
        });
        let mut runs = self.load_runs(tx, pipeline, only.as_deref()).await?;
        for finished in finished {
            if let Some(recorded) = super::outcomes::apply(&mut runs, finished, tick) {
                tick.recorded.push(recorded);
            }
        }
        for run in &mut runs {
            if run.exec.pipeline_version != latest_version {
                cancel_outdated(run, tick);
            }
        }
        // Progress first: a stage that finishes frees its lock for an admission below.
        for run in &mut runs {
            progress(run, tick);
        }
        admit(&mut runs, &transitions, tick);
        let mut changed = !tick.is_empty();
        for run in &runs {
            changed |= run.save(tx).await?;
        }
        Ok(changed)
    }
}

impl Engine {
    /// The pipeline's active executions (or only those listed) with their rows. Stages and
    /// actions come in one query each whatever the number of executions: decisions are frequent.
    async fn load_runs(&self, tx: &mut PipelineTx, pipeline: &str, only: Option<&[String]>) -> Result<Vec<Run>> {
        let (execs, stages, actions) = match only {
            None => (
                rows::active_executions(tx, pipeline).await?,
                stages::stages_of_active(tx, pipeline).await?,
                actions::actions_of_active(tx, pipeline).await?,
            ),
            Some(ids) => (
                rows::executions_in(tx, ids).await?,
                stages::stages_in(tx, ids).await?,
                actions::actions_in(tx, ids).await?,
            ),
        };
        let mut stages = group_by_execution(stages, |s| &s.execution_id);
        let mut actions = group_by_execution(actions, |a| &a.execution_id);
        let mut runs = Vec::with_capacity(execs.len());
        for exec in execs.into_iter().filter(|e| e.status.is_active()) {
            let decl = self.declaration(pipeline, exec.pipeline_version).await?;
            let stages = stages.remove(&exec.execution_id).unwrap_or_default();
            let actions = actions.remove(&exec.execution_id).unwrap_or_default();
            runs.push(Run::new(exec, decl, stages, actions).load_conditions(tx).await?);
        }
        Ok(runs)
    }
}

/// Splits rows by execution, keeping their order.
fn group_by_execution<T>(rows: Vec<T>, execution: impl Fn(&T) -> &String) -> HashMap<String, Vec<T>> {
    let mut grouped: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(execution(&row).clone()).or_default().push(row);
    }
    grouped
}

/// UpdatePipeline cancels executions of older versions.
fn cancel_outdated(run: &mut Run, tick: &mut Tick) {
    let now = tick.now;
    for action in run.actions.iter_mut().filter(|a| a.state.status == A::InProgress) {
        tick.abandon(&run.exec, action, "The pipeline was updated while this action ran.");
    }
    conditions::end_evaluations(
        run,
        tick,
        None,
        C::Cancelled,
        "The pipeline was updated while this condition was checked.",
    );
    for stage in run.stages.iter_mut().filter(|s| matches!(s.status, S::InProgress | S::Stopping)) {
        stage.status = S::Cancelled;
        stage.updated_ms = now;
        tick.events.push(PendingEvent::stage(
            &run.exec.pipeline_name,
            &run.exec.execution_id,
            run.exec.pipeline_version,
            &stage.stage_name,
            EventState::Canceled,
        ));
    }
    run.exec.status = P::Cancelled;
    run.exec.status_summary = Some("The pipeline definition was updated before this execution could complete.".into());
    run.exec.updated_ms = now;
    tick.events.push(run.event_pipeline(EventState::Canceled, json!({})));
}

/// Moves one execution inside its current stage: next group, stage done, failure, stop.
pub(crate) fn progress(run: &mut Run, tick: &mut Tick) {
    if !run.exec.status.is_active() {
        return;
    }
    let Some(stage_decl) = run.stage_decl().cloned() else { return };
    let Some(stage) = run.stage_row(&stage_decl.name).cloned() else {
        // Waiting at the inbound transition: a stop means it never enters.
        if run.exec.status == P::Stopping {
            finish(run, tick, P::Stopped, None);
        }
        return;
    };
    if !matches!(stage.status, S::InProgress | S::Stopping) {
        return;
    }
    // Each action's newest attempt in this run of the stage.
    let latest: Vec<(u32, Option<ActionRow>)> =
        stage_decl.actions.iter().map(|a| (a.run_order, run.latest(&stage, &a.name).cloned())).collect();
    let running = latest.iter().any(|(_, row)| row.as_ref().is_some_and(|r| r.state.status == A::InProgress));

    if run.exec.status == P::Stopping {
        stop_stage(run, tick, &stage, running);
    } else if !entered(run, tick, &stage_decl, &stage) {
        // Its beforeEntry condition is still running, or failed the stage.
    } else if let Some(failed) =
        latest.iter().find_map(|(_, row)| row.as_ref().filter(|r| matches!(r.state.status, A::Failed | A::Abandoned)))
    {
        if !running {
            let failed = failed.clone();
            end_failed_stage(run, tick, &stage_decl, &stage, &failed);
        }
    } else {
        // The first group with an action that has not succeeded is the one to run or wait for.
        let groups: BTreeSet<u32> = latest.iter().map(|(order, _)| *order).collect();
        let current = groups.into_iter().find(|order| {
            latest.iter().any(|(o, row)| o == order && row.as_ref().is_none_or(|r| r.state.status != A::Succeeded))
        });
        match current {
            Some(order) => {
                for action in stage_decl.actions.iter().filter(|a| a.run_order == order) {
                    if run.latest(&stage, &action.name).is_none() {
                        tick.create_action(run, &stage_decl, action, stage.attempt);
                    }
                }
            }
            None => end_succeeded_stage(run, tick, &stage_decl, &stage),
        }
    }
}

/// A stop reaches the current stage: it waits for running actions (or abandons them), then the
/// execution is Stopped.
fn stop_stage(run: &mut Run, tick: &mut Tick, stage: &StageRow, running: bool) {
    // A check has nothing to finish: its rules end with the stop, whichever kind.
    conditions::end_evaluations(run, tick, Some(&stage.stage_name), C::Abandoned, "The execution was stopped.");
    if run.exec.stop_abandon {
        for action in
            run.actions.iter_mut().filter(|a| a.state.status == A::InProgress && a.stage_name == stage.stage_name)
        {
            tick.abandon(&run.exec, action, "Stopped and abandoned.");
        }
    } else if running {
        set_stage(run, tick, &stage.stage_name, S::Stopping);
        return;
    }
    set_stage(run, tick, &stage.stage_name, S::Stopped);
    finish(run, tick, P::Stopped, run.exec.stop_reason.clone());
}

/// Whether the stage's beforeEntry condition (if any) let the execution in; when it failed, the
/// stage is skipped or failed here.
fn entered(run: &mut Run, tick: &mut Tick, stage_decl: &StageDeclaration, stage: &StageRow) -> bool {
    let Some(condition) = stage_decl.before_entry.as_ref().and_then(|b| b.conditions.first()) else { return true };
    match conditions::gate(run, tick, stage, ConditionType::BeforeEntry, condition) {
        Gate::Pending => false,
        Gate::Passed => true,
        Gate::Failed(why) if condition.result == Some(ConditionResult::Skip) => {
            let summary = format!("Stage '{}' skipped: its beforeEntry condition failed: {why}", stage.stage_name);
            set_stage(run, tick, &stage.stage_name, S::Skipped);
            move_past(run, tick, &stage.stage_name, summary);
            false
        }
        Gate::Failed(why) => {
            let summary = format!("The beforeEntry condition of stage '{}' failed: {why}", stage.stage_name);
            fail_stage(run, tick, &stage.stage_name, summary);
            false
        }
    }
}

/// Every action of the stage has stopped and `failed` failed: `onFailure` decides (retry, roll
/// back) or the stage fails.
fn end_failed_stage(
    run: &mut Run,
    tick: &mut Tick,
    stage_decl: &StageDeclaration,
    stage: &StageRow,
    failed: &ActionRow,
) {
    match after_failure(run, tick, stage_decl, stage) {
        AfterFailure::Pending => return,
        AfterFailure::Retry(mode) => {
            restart_stage(run, tick, run.exec.current_stage, mode, RetryTrigger::Automated);
            progress(run, tick);
            return;
        }
        AfterFailure::Rollback => tick.roll_back(run, &stage.stage_name),
        AfterFailure::Fail => {}
    }
    let why = failed.state.error_message.clone().unwrap_or_else(|| "An action failed.".into());
    let summary = format!("Action '{}' in stage '{}' failed: {why}", failed.action_name, failed.stage_name);
    fail_stage(run, tick, &stage.stage_name, summary);
}

/// Every action succeeded: the onSuccess condition (if any) has the last word.
fn end_succeeded_stage(run: &mut Run, tick: &mut Tick, stage_decl: &StageDeclaration, stage: &StageRow) {
    if let Some(condition) = stage_decl.on_success.as_ref().and_then(|c| c.conditions.first()) {
        match conditions::gate(run, tick, stage, ConditionType::OnSuccess, condition) {
            Gate::Pending => return,
            Gate::Passed => {}
            Gate::Failed(why) => {
                let summary = format!("The onSuccess condition of stage '{}' failed: {why}", stage.stage_name);
                if condition.result == Some(ConditionResult::Rollback) {
                    tick.roll_back(run, &stage.stage_name);
                }
                fail_stage(run, tick, &stage.stage_name, summary);
                return;
            }
        }
    }
    set_stage(run, tick, &stage.stage_name, S::Succeeded);
    move_past(run, tick, &stage.stage_name, "All stages succeeded.".into());
}

/// After a stage succeeded or was skipped: on to the next stage, or the execution is done.
fn move_past(run: &mut Run, tick: &mut Tick, stage: &str, last_summary: String) {
    if run.exec.rollback_target.is_some() {
        finish(run, tick, P::Succeeded, Some(format!("Stage '{stage}' rolled back.")));
    } else if run.exec.current_stage + 1 >= run.decl.stages.len() {
        finish(run, tick, P::Succeeded, Some(last_summary));
    } else {
        run.exec.current_stage += 1;
        run.exec.updated_ms = tick.now;
    }
}

fn fail_stage(run: &mut Run, tick: &mut Tick, stage: &str, summary: String) {
    set_stage(run, tick, stage, S::Failed);
    finish(run, tick, P::Failed, Some(summary));
}

/// Lets waiting executions into stages whose lock and transition allow it.
fn admit(runs: &mut [Run], transitions: &[TransitionRow], tick: &mut Tick) {
    let Some(decl) = runs.last().map(|r| r.decl.clone()) else { return };
    for (index, stage) in decl.stages.iter().enumerate() {
        let waiting: Vec<usize> =
            (0..runs.len()).filter(|&i| runs[i].is_waiting() && runs[i].exec.current_stage == index).collect();
        if waiting.is_empty() {
            continue;
        }
        let mode = runs[waiting[0]].exec.execution_mode;
        let mut entering = waiting.clone();
        if mode == ExecutionMode::Superseded {
            // Only the newest waiting execution may go on; the ones it overtook end here.
            let newest = *waiting.iter().max_by_key(|&&i| runs[i].exec.seq).unwrap_or(&waiting[0]);
            for &i in waiting.iter().filter(|&&i| i != newest) {
                let summary = format!("Superseded by a newer execution at stage '{}'.", stage.name);
                finish(&mut runs[i], tick, P::Superseded, Some(summary));
            }
            entering = vec![newest];
        }
        let disabled = transitions.iter().any(|t| t.stage_name == stage.name && !t.enabled);
        let locked = mode != ExecutionMode::Parallel
            && runs.iter().any(|r| {
                r.exec.status.is_active()
                    && r.stage_row(&stage.name).is_some_and(|s| matches!(s.status, S::InProgress | S::Stopping))
            });
        if disabled || locked {
            continue;
        }
        if mode == ExecutionMode::Queued {
            entering.truncate(1);
        }
        for i in entering {
            enter_stage(&mut runs[i], tick, index);
        }
    }
}

fn enter_stage(run: &mut Run, tick: &mut Tick, index: usize) {
    let name = run.decl.stages[index].name.clone();
    run.stages.push(StageRow {
        execution_id: run.exec.execution_id.clone(),
        stage_name: name.clone(),
        status: S::InProgress,
        attempt: 1,
        base_attempt: 1,
        manual_retries: 0,
        auto_retries: 0,
        last_retry_trigger: None,
        started_ms: tick.now,
        updated_ms: tick.now,
    });
    tick.events.push(run.event_stage(&name, EventState::Started));
    progress(run, tick);
}
