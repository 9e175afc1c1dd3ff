//! A run: one active execution with its rows, loaded under the pipeline's lock, changed in
//! memory by the decisions, and saved (only what changed) in the same transaction; with the two
//! changes every decision makes to it, a stage's status and the execution's end.
use super::{PipelineTx, Tick};
use crate::events::{EventState, PendingEvent};
use crate::runs::{ActionRow, ConditionRow, ExecutionRow, RuleRow, StageRow};
use crate::store::{actions, conditions as condition_rows, executions as rows, stages};
use crate::Result;
use model::{
    ConditionType, PipelineDeclaration, PipelineExecutionStatus as P, StageDeclaration, StageExecutionStatus as S,
};
use serde_json::json;
use std::sync::Arc;

/// One active execution with its rows, as loaded and as changed.
pub(crate) struct Run {
    pub exec: ExecutionRow,
    pub decl: Arc<PipelineDeclaration>,
    pub stages: Vec<StageRow>,
    pub actions: Vec<ActionRow>,
    /// Stage condition evaluations and their rules; empty when the pipeline declares no conditions
    /// or the caller only records one outcome.
    pub conditions: Vec<ConditionRow>,
    pub rules: Vec<RuleRow>,
    original: (ExecutionRow, Vec<StageRow>, Vec<ActionRow>),
    original_conditions: (Vec<ConditionRow>, Vec<RuleRow>),
}

impl Run {
    pub(crate) fn new(
        exec: ExecutionRow,
        decl: Arc<PipelineDeclaration>,
        stages: Vec<StageRow>,
        actions: Vec<ActionRow>,
    ) -> Self {
        let original = (exec.clone(), stages.clone(), actions.clone());
        Run {
            exec,
            decl,
            stages,
            actions,
            conditions: Vec::new(),
            rules: Vec::new(),
            original,
            original_conditions: Default::default(),
        }
    }

    /// Adds the execution's condition evaluations, as loaded.
    pub(crate) fn with_conditions(mut self, conditions: Vec<ConditionRow>, rules: Vec<RuleRow>) -> Self {
        self.original_conditions = (conditions.clone(), rules.clone());
        self.conditions = conditions;
        self.rules = rules;
        self
    }

    /// Loads one execution with everything the scheduler decides on.
    pub(crate) async fn load(conn: &mut PipelineTx, exec: ExecutionRow, decl: Arc<PipelineDeclaration>) -> Result<Run> {
        let stages = stages::stages_of(conn, &exec.execution_id).await?;
        let actions = actions::actions_of(conn, &exec.execution_id).await?;
        Run::new(exec, decl, stages, actions).load_conditions(conn).await
    }

    /// Adds the execution's condition evaluations when its pipeline declares conditions; most
    /// declare none and pay for no condition queries.
    pub(super) async fn load_conditions(mut self, conn: &mut PipelineTx) -> Result<Run> {
        let has_conditions = self
            .decl
            .stages
            .iter()
            .any(|stage| ConditionType::ALL.iter().any(|kind| !stage.condition_rules(*kind).is_empty()));
        if has_conditions {
            let evaluations = condition_rows::conditions_of(conn, &self.exec.execution_id).await?;
            let rules = condition_rows::rules_of(conn, &self.exec.execution_id).await?;
            self = self.with_conditions(evaluations, rules);
        }
        Ok(self)
    }

    pub(super) fn stage_decl(&self) -> Option<&StageDeclaration> {
        self.decl.stages.get(self.exec.current_stage)
    }

    pub(crate) fn stage_row(&self, name: &str) -> Option<&StageRow> {
        self.stages.iter().find(|s| s.stage_name == name)
    }

    pub(crate) fn stage_row_mut(&mut self, name: &str) -> Option<&mut StageRow> {
        self.stages.iter_mut().find(|s| s.stage_name == name)
    }

    /// Waiting in front of its current stage (not yet entered).
    pub(super) fn is_waiting(&self) -> bool {
        self.exec.status.is_active() && self.stage_decl().is_some_and(|s| self.stage_row(&s.name).is_none())
    }

    /// The latest run of each action of the current stage attempt, by action name.
    pub(crate) fn latest<'a>(&'a self, stage: &StageRow, action: &str) -> Option<&'a ActionRow> {
        self.actions
            .iter()
            .filter(|a| {
                a.stage_name == stage.stage_name && a.action_name == action && a.stage_attempt >= stage.base_attempt
            })
            .max_by_key(|a| (a.stage_attempt, a.state.started_ms))
    }

    /// Saves what changed since loading; returns whether anything did.
    pub(crate) async fn save(&self, conn: &mut PipelineTx) -> Result<bool> {
        let mut changed = false;
        if self.exec != self.original.0 {
            rows::update_execution(conn, &self.exec).await?;
            changed = true;
        }
        for stage in changed_rows(&self.stages, &self.original.1) {
            stages::upsert_stage(conn, stage).await?;
            changed = true;
        }
        for action in changed_rows(&self.actions, &self.original.2) {
            actions::upsert_action(conn, action).await?;
            changed = true;
        }
        // Few rows, and a restarted evaluation replaces its row: compared by content.
        for condition in self.conditions.iter().filter(|c| !self.original_conditions.0.contains(c)) {
            condition_rows::upsert_condition(conn, condition).await?;
            changed = true;
        }
        for rule in self.rules.iter().filter(|r| !self.original_conditions.1.contains(r)) {
            condition_rows::upsert_rule(conn, rule).await?;
            changed = true;
        }
        Ok(changed)
    }

    pub(crate) fn event_pipeline(&self, state: EventState, extra: serde_json::Value) -> PendingEvent {
        PendingEvent::pipeline(
            &self.exec.pipeline_name,
            &self.exec.execution_id,
            self.exec.pipeline_version,
            state,
            extra,
        )
    }

    pub(super) fn event_stage(&self, stage: &str, state: EventState) -> PendingEvent {
        PendingEvent::stage(&self.exec.pipeline_name, &self.exec.execution_id, self.exec.pipeline_version, stage, state)
    }
}

/// Rows changed in place or appended since loading (decisions never remove or reorder stage or
/// action rows).
fn changed_rows<'a, T: PartialEq>(rows: &'a [T], original: &'a [T]) -> impl Iterator<Item = &'a T> {
    rows.iter().enumerate().filter(move |(i, row)| original.get(*i) != Some(*row)).map(|(_, row)| row)
}

pub(crate) fn set_stage(run: &mut Run, tick: &mut Tick, name: &str, status: S) {
    let now = tick.now;
    let Some(stage) = run.stage_row_mut(name) else { return };
    if stage.status == status {
        return;
    }
    stage.status = status;
    stage.updated_ms = now;
    let state = match status {
        S::InProgress => EventState::Resumed,
        S::Stopping => EventState::Stopping,
        S::Stopped => EventState::Stopped,
        S::Succeeded => EventState::Succeeded,
        S::Failed => EventState::Failed,
        S::Cancelled => EventState::Canceled,
        S::Skipped => EventState::Skipped,
    };
    tick.events.push(run.event_stage(name, state));
}

pub(crate) fn finish(run: &mut Run, tick: &mut Tick, status: P, summary: Option<String>) {
    run.exec.status = status;
    run.exec.status_summary = summary;
    run.exec.updated_ms = tick.now;
    let state = match status {
        P::InProgress => EventState::Resumed,
        P::Stopping => EventState::Stopping,
        P::Stopped => EventState::Stopped,
        P::Succeeded => EventState::Succeeded,
        P::Superseded => EventState::Superseded,
        P::Failed => EventState::Failed,
        P::Cancelled => EventState::Canceled,
    };
    tick.events.push(run.event_pipeline(state, json!({})));
}
