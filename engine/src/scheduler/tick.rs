//! A tick: changes decided together (new action and rule runs, events, approval decisions) and
//! applied in one transaction, with their side effects (runners, cancellations) after the commit.
use super::resolve::{artifact_names, resolve, substitute_all};
use super::{PipelineTx, Run};
use crate::events::{EventState, PendingEvent, StoredEvent};
use crate::now_ms;
use crate::runs::{ActionInput, ActionOutput, ActionRow, AttemptState, ExecutionRow, RuleInput, RuleOutput, RuleRow};
use crate::store::approvals::{insert_decision, DecisionRow};
use crate::store::events::append_event;
use crate::store::leases::Work;
use crate::{Engine, Result};
use indexmap::IndexMap;
use model::{ActionDeclaration, ConditionType, RuleDeclaration, StageDeclaration};
use serde_json::{json, Value};
use std::sync::Arc;

/// Changes decided together, applied in one transaction; side effects wait for the commit.
pub(crate) struct Tick {
    engine: Engine,
    pub now: i64,
    pub events: Vec<PendingEvent>,
    /// Answers to approvals, stored in the approvals history with the change they made.
    pub decisions: Vec<DecisionRow>,
    to_start: Vec<(Work, String)>,
    to_cancel: Vec<String>,
    /// (pipeline, stage, failed execution) to roll back automatically after the commit.
    to_roll_back: Vec<(String, String, String)>,
    /// Runners whose outcome this tick records, told after the commit.
    pub recorded: Vec<tokio::sync::oneshot::Sender<bool>>,
}

impl Tick {
    pub fn new(engine: &Engine) -> Self {
        Tick {
            engine: engine.clone(),
            now: now_ms(),
            events: Vec::new(),
            decisions: Vec::new(),
            to_start: Vec::new(),
            to_cancel: Vec::new(),
            to_roll_back: Vec::new(),
            recorded: Vec::new(),
        }
    }

    /// No events, runners to start or stop, or outcomes to record.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.decisions.is_empty()
            && self.to_start.is_empty()
            && self.to_cancel.is_empty()
            && self.to_roll_back.is_empty()
            && self.recorded.is_empty()
    }

    /// Marks a running action Abandoned and stops its runner after the commit.
    pub fn abandon(&mut self, exec: &ExecutionRow, action: &mut ActionRow, why: &str) {
        action.state.abandon(why, self.now);
        self.to_cancel.push(action.action_execution_id.clone());
        self.events.push(PendingEvent::action(
            &exec.pipeline_name,
            &exec.execution_id,
            exec.pipeline_version,
            &action.stage_name,
            &action.action_name,
            EventState::Abandoned,
            json!({}),
        ));
    }

    /// Asks for the stage to be rolled back to its last successful execution once this commits.
    pub fn roll_back(&mut self, run: &Run, stage: &str) {
        self.to_roll_back.push((run.exec.pipeline_name.clone(), stage.to_owned(), run.exec.execution_id.clone()));
    }

    /// Marks a running rule Abandoned and stops its runner after the commit.
    pub fn abandon_rule(&mut self, exec: &ExecutionRow, rule: &mut RuleRow, why: &str) {
        rule.state.abandon(why, self.now);
        self.to_cancel.push(rule.rule_execution_id.clone());
        self.events.push(rule_event(exec, rule, EventState::Abandoned, json!({})));
    }

    /// The state of an attempt created now, leased to this node.
    fn new_attempt(&self) -> AttemptState {
        let runtime = &self.engine.runtime;
        AttemptState::started(&runtime.node_id, runtime.lease_until(self.now), self.now)
    }

    /// Creates the run of a condition's rule, resolving its configuration's variables now.
    pub fn create_rule(
        &mut self,
        run: &mut Run,
        stage: &str,
        kind: ConditionType,
        stage_attempt: i64,
        rule: &RuleDeclaration,
    ) {
        let pairs = rule.configuration.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let resolved = substitute_all(run, pairs);
        let mut input = RuleInput {
            rule_type_id: Some(rule.rule_type_id.clone()),
            configuration: rule.configuration.clone(),
            resolved_configuration: None,
            input_artifacts: artifact_names(&rule.input_artifacts),
            role_arn: rule.role_arn.clone(),
            region: rule.region.clone(),
        };
        let mut row = RuleRow {
            rule_execution_id: uuid::Uuid::new_v4().to_string(),
            execution_id: run.exec.execution_id.clone(),
            stage_name: stage.to_owned(),
            condition_type: kind,
            stage_attempt,
            rule_name: rule.name.clone(),
            state: self.new_attempt(),
            input: RuleInput::default(),
            output: RuleOutput::default(),
        };
        match resolved {
            Ok(configuration) => {
                input.resolved_configuration = Some(configuration);
                self.to_start.push((Work::Rule, row.rule_execution_id.clone()));
                self.events.push(rule_event(
                    &run.exec,
                    &row,
                    EventState::Started,
                    json!({ "type": rule.rule_type_id }),
                ));
            }
            Err(message) => {
                row.state.summary = Some(message.clone());
                row.state.fail_configuration(message);
                self.events.push(rule_event(&run.exec, &row, EventState::Failed, json!({})));
            }
        }
        row.input = input;
        run.rules.push(row);
    }

    /// Creates the run of an action, resolving its variables now: later groups only start after
    /// earlier ones succeeded, so every variable it may use exists or never will.
    pub fn create_action(
        &mut self,
        run: &mut Run,
        stage: &StageDeclaration,
        action: &ActionDeclaration,
        stage_attempt: i64,
    ) {
        let resolved = resolve(run, action);
        let mut input = ActionInput {
            action_type_id: Some(action.action_type_id.clone()),
            configuration: action.configuration.clone(),
            resolved_configuration: None,
            resolved_environment: IndexMap::new(),
            input_artifacts: artifact_names(&action.input_artifacts),
            role_arn: action.role_arn.clone(),
            region: action.region.clone(),
            namespace: action.namespace.clone(),
        };
        let mut row = ActionRow {
            action_execution_id: uuid::Uuid::new_v4().to_string(),
            execution_id: run.exec.execution_id.clone(),
            stage_name: stage.name.clone(),
            action_name: action.name.clone(),
            run_order: action.run_order,
            stage_attempt,
            state: self.new_attempt(),
            external_execution_id: None,
            external_execution_url: None,
            token: None,
            expires_ms: None,
            input: ActionInput::default(),
            output: ActionOutput::default(),
        };
        let type_detail = json!({ "type": action.action_type_id, "input-artifacts": input.input_artifacts });
        match resolved {
            Ok((configuration, environment)) => {
                input.resolved_configuration = Some(configuration);
                input.resolved_environment = environment;
                self.to_start.push((Work::Action, row.action_execution_id.clone()));
                self.events.push(action_event(run, &row, EventState::Started, type_detail));
            }
            Err(message) => {
                row.state.fail_configuration(message);
                self.events.push(action_event(run, &row, EventState::Failed, type_detail));
            }
        }
        row.input = input;
        run.actions.push(row);
    }

    /// Writes the decisions and the events to the outbox, commits, then tells subscribers and
    /// starts or stops runners.
    pub async fn commit(self, mut tx: PipelineTx) -> Result<()> {
        for decision in &self.decisions {
            insert_decision(&mut tx, decision).await?;
        }
        let mut stored = Vec::with_capacity(self.events.len());
        for event in &self.events {
            let arn = self.engine.pipeline_arn(&event.pipeline);
            let body = event.envelope(self.engine.account(), &arn, self.now);
            let id =
                append_event(&mut tx, &event.pipeline, Some(&event.execution_id), event.detail_type, &body, self.now)
                    .await?;
            stored.push(Arc::new(StoredEvent::new(
                id,
                event.pipeline.clone(),
                Some(event.execution_id.clone()),
                event.detail_type.to_owned(),
                body,
            )));
        }
        tx.commit().await?;
        for recorded in self.recorded {
            let _ = recorded.send(true);
        }
        for event in stored {
            let _ = self.engine.runtime.events.send(event);
        }
        for id in self.to_cancel {
            if let Some(token) = self.engine.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
                token.cancel();
            }
        }
        for (work, id) in self.to_start {
            self.engine.spawn_work(work, id);
        }
        for (pipeline, stage, failed) in self.to_roll_back {
            let rollback = self.engine.clone().roll_back_automatically(pipeline.clone(), stage.clone(), failed);
            tokio::spawn(async move {
                if let Err(err) = rollback.await {
                    tracing::warn!(%pipeline, %stage, error = %err, "automatic rollback not started");
                }
            });
        }
        Ok(())
    }
}

pub(crate) fn action_event(run: &Run, row: &ActionRow, state: EventState, extra: Value) -> PendingEvent {
    PendingEvent::action(
        &run.exec.pipeline_name,
        &row.execution_id,
        run.exec.pipeline_version,
        &row.stage_name,
        &row.action_name,
        state,
        extra,
    )
}

pub(crate) fn rule_event(exec: &ExecutionRow, row: &RuleRow, state: EventState, extra: Value) -> PendingEvent {
    PendingEvent::rule(
        &exec.pipeline_name,
        &row.execution_id,
        exec.pipeline_version,
        &row.stage_name,
        row.condition_type.as_str(),
        &row.rule_name,
        state,
        extra,
    )
}
