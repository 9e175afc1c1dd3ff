//! Stage conditions in the scheduler's decisions: starting an evaluation (its rules run
//! together, each under a lease like an action), concluding it when every rule has ended (any
//! failed rule fails the condition), ending it on stop or cancel, and OverrideStageCondition.
use super::run::{set_stage, Run};
use super::Tick;
use crate::events::EventState;
use crate::runs::StageRow;
use crate::store::conditions::ConditionRow;
use crate::{EngineError, Refusal, Result};
use model::{
    ActionExecutionStatus as A, Condition, ConditionExecutionStatus as C, ConditionType, PipelineExecutionStatus as P,
    StageExecutionStatus as S,
};
use serde_json::json;

/// Where a condition stands for the stage's current attempt.
pub(crate) enum Gate {
    /// Its rules are still running.
    Pending,
    /// Met (every rule passed) or overridden.
    Passed,
    /// A rule failed; the summary says which and why.
    Failed(String),
}

/// The condition's verdict for this stage attempt, starting its evaluation when there is none.
/// A passed beforeEntry condition stays passed across retries of the stage: the stage was entered.
pub(crate) fn gate(
    run: &mut Run,
    tick: &mut Tick,
    stage: &StageRow,
    kind: ConditionType,
    condition: &Condition,
) -> Gate {
    let current = run.conditions.iter().position(|c| {
        c.stage_name == stage.stage_name
            && c.condition_type == kind
            && (c.stage_attempt == stage.attempt || (kind == ConditionType::BeforeEntry && passed(c.status)))
    });
    let index = match current {
        Some(index) => index,
        None => start(run, tick, stage, kind, condition),
    };
    let row = run.conditions[index].clone();
    match row.status {
        C::Succeeded | C::Overridden => Gate::Passed,
        C::InProgress => conclude(run, tick, index),
        C::Failed | C::Errored | C::Cancelled | C::Abandoned => Gate::Failed(row.summary.unwrap_or_default()),
    }
}

fn passed(status: C) -> bool {
    matches!(status, C::Succeeded | C::Overridden)
}

/// Creates the evaluation's row (replacing an earlier one) and one run per rule.
fn start(run: &mut Run, tick: &mut Tick, stage: &StageRow, kind: ConditionType, condition: &Condition) -> usize {
    let row = ConditionRow {
        execution_id: run.exec.execution_id.clone(),
        stage_name: stage.stage_name.clone(),
        condition_type: kind,
        stage_attempt: stage.attempt,
        status: C::InProgress,
        summary: None,
        started_ms: tick.now,
        updated_ms: tick.now,
    };
    run.conditions.retain(|c| !(c.stage_name == stage.stage_name && c.condition_type == kind));
    run.conditions.push(row);
    for rule in &condition.rules {
        tick.create_rule(run, &stage.stage_name, kind, stage.attempt, rule);
    }
    run.conditions.len() - 1
}

/// Settles an evaluation whose rules have all ended.
fn conclude(run: &mut Run, tick: &mut Tick, index: usize) -> Gate {
    let row = &run.conditions[index];
    let rules: Vec<_> = run
        .rules
        .iter()
        .filter(|r| {
            r.stage_name == row.stage_name
                && r.condition_type == row.condition_type
                && r.stage_attempt == row.stage_attempt
        })
        .collect();
    if rules.iter().any(|r| r.state.status == A::InProgress) {
        return Gate::Pending;
    }
    let failure = rules.iter().find(|r| r.state.status != A::Succeeded).map(|r| {
        let why = r
            .state
            .error_message
            .clone()
            .or_else(|| r.state.summary.clone())
            .unwrap_or_else(|| r.state.status.to_string());
        format!("Rule '{}' failed: {why}", r.rule_name)
    });
    let count = rules.len();
    let row = &mut run.conditions[index];
    row.updated_ms = tick.now;
    match failure {
        Some(summary) => {
            row.status = C::Failed;
            row.summary = Some(summary.clone());
            Gate::Failed(summary)
        }
        None => {
            row.status = C::Succeeded;
            row.summary = Some(format!("{count} rule{} passed.", if count == 1 { "" } else { "s" }));
            Gate::Passed
        }
    }
}

/// Ends the running evaluations (of one stage, or all) with `status`, abandoning their rules.
pub(crate) fn end_evaluations(run: &mut Run, tick: &mut Tick, stage: Option<&str>, status: C, why: &str) {
    let in_scope = |name: &str| stage.is_none_or(|s| s == name);
    for rule in run.rules.iter_mut().filter(|r| r.state.status == A::InProgress && in_scope(&r.stage_name)) {
        tick.abandon_rule(&run.exec, rule, why);
    }
    for condition in run.conditions.iter_mut().filter(|c| c.status == C::InProgress && in_scope(&c.stage_name)) {
        condition.status = status;
        condition.summary = Some(why.to_owned());
        condition.updated_ms = tick.now;
    }
}

/// OverrideStageCondition on a loaded execution: a beforeEntry or onSuccess condition that is
/// being checked, or that failed the stage, is marked Overridden and the stage goes on as if it
/// had passed.
pub(crate) fn override_condition(run: &mut Run, tick: &mut Tick, stage: &str, kind: ConditionType) -> Result<()> {
    let not_overridable = |why: String| EngineError::refused(Refusal::ConditionNotOverridable, why);
    if kind == ConditionType::OnFailure {
        return Err(not_overridable("Only BEFORE_ENTRY and ON_SUCCESS conditions can be overridden.".into()));
    }
    let stage_row = run.stage_row(stage).cloned().ok_or_else(|| {
        not_overridable(format!("Execution {} has not reached stage '{stage}'.", run.exec.execution_id))
    })?;
    let index = run
        .conditions
        .iter()
        .position(|c| c.stage_name == stage && c.condition_type == kind && c.stage_attempt == stage_row.attempt)
        .ok_or_else(|| {
            not_overridable(format!("Stage '{stage}' has no {kind} condition being checked in this execution."))
        })?;
    let row = run.conditions[index].clone();
    let stage_failed_by_it = row.status == C::Failed && stage_row.status == S::Failed && run.exec.status == P::Failed;
    if row.status != C::InProgress && !stage_failed_by_it {
        return Err(not_overridable(format!(
            "The {kind} condition of stage '{stage}' is {} and cannot be overridden.",
            row.status
        )));
    }
    if row.status == C::InProgress {
        for rule in run
            .rules
            .iter_mut()
            .filter(|r| r.state.status == A::InProgress && r.stage_name == stage && r.condition_type == kind)
        {
            tick.abandon_rule(&run.exec, rule, "The condition was overridden.");
        }
    }
    let condition = &mut run.conditions[index];
    condition.status = C::Overridden;
    condition.summary = Some("Overridden.".into());
    condition.updated_ms = tick.now;
    if stage_failed_by_it {
        set_stage(run, tick, stage, S::InProgress);
        run.exec.status = P::InProgress;
        run.exec.status_summary = None;
        run.exec.updated_ms = tick.now;
        let resumed = run.event_pipeline(EventState::Resumed, json!({}));
        tick.events.push(resumed);
    }
    Ok(())
}
