//! The durable scheduler: decisions (`advance`, with stage `conditions`), running actions and
//! condition rules under leases (`runner`, `rule_runner`), and the background sweep that takes
//! over expired leases, times out approvals and resumes after a crash.
mod advance;
mod conditions;
mod outcomes;
mod rule_runner;
mod runner;
mod unseal;

pub(crate) use advance::{progress, restart_stage, Retry, Run};
pub(crate) use conditions::{declared_rules, override_condition};

use crate::events::PendingEvent;
use crate::providers::rules::RuleProvider;
use crate::providers::ActionProvider;
use crate::store::approvals::{insert_decision, DecisionRow};
use crate::store::conditions::RuleRow;
use crate::store::events::{append_event, StoredEvent};
use crate::store::executions::{ActionRow, ExecutionRow};
use crate::store::now_ms;
use crate::{Engine, Result};
use model::{
    ActionCategory, ActionDeclaration, ActionExecutionStatus, ActionOwner, ConditionType, RuleDeclaration,
    StageDeclaration,
};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// How the engine runs; the defaults suit production, tests shorten the timings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The object store, the keys and (for SQLite) the database live here.
    pub data_dir: PathBuf,
    /// How pipeline code runs, and where attempts' workspaces live.
    pub sandbox: crate::sandbox::SandboxConfig,
    /// A running action's lease; a runner that dies is replaced after this long.
    pub lease_ttl: Duration,
    /// How often the sweep looks for expired leases and approvals.
    pub sweep_interval: Duration,
}

impl EngineConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EngineConfig {
            data_dir: data_dir.into(),
            sandbox: crate::sandbox::SandboxConfig::default(),
            lease_ttl: Duration::from_secs(15),
            sweep_interval: Duration::from_secs(1),
        }
    }
}

pub(crate) type ProviderKey = (ActionCategory, ActionOwner, String);

/// The in-memory half of the engine: this node's identity, providers, running actions and the
/// live event feed. Everything that must survive a crash is in the store instead.
pub(crate) struct Runtime {
    pub node_id: String,
    pub config: EngineConfig,
    pub providers: Mutex<HashMap<ProviderKey, Arc<dyn ActionProvider>>>,
    /// Rule providers by rule type provider name (all rule types are category Rule, owner AWS).
    pub rule_providers: Mutex<HashMap<String, Arc<dyn RuleProvider>>>,
    pub running: Mutex<HashMap<String, CancellationToken>>,
    /// Shared, not cloned, per subscriber: one event's body is built and serialized once.
    pub events: broadcast::Sender<Arc<StoredEvent>>,
    /// Stops the background loop and every runner of this process.
    pub shutdown: CancellationToken,
    declarations: Mutex<HashMap<(String, u32), Arc<model::PipelineDeclaration>>>,
    pipeline_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Pipelines with an `advance` waiting for their lock, and what it must look at.
    waiting_advances: Mutex<HashMap<String, Scope>>,
    /// Finished actions per pipeline, recorded by the next advance (see `outcomes`).
    finished: Mutex<HashMap<String, Vec<outcomes::Finished>>>,
}

impl Runtime {
    pub fn new(config: EngineConfig) -> Self {
        Runtime {
            node_id: format!("node-{}", uuid::Uuid::new_v4().simple()),
            config,
            providers: Mutex::default(),
            rule_providers: Mutex::default(),
            running: Mutex::default(),
            events: broadcast::channel(4096).0,
            shutdown: CancellationToken::new(),
            declarations: Mutex::default(),
            pipeline_locks: Mutex::default(),
            waiting_advances: Mutex::default(),
            finished: Mutex::default(),
        }
    }

    /// Registers an advance about to wait for the pipeline's lock. None when one already waits:
    /// it has not loaded anything yet, so it will see the caller's committed change (and widens
    /// to every execution if the caller needs that). `redeem` the ticket once the lock is held.
    pub fn queue_advance<'a>(&'a self, pipeline: &'a str, scope: Scope) -> Option<AdvanceTicket<'a>> {
        let mut waiting = self.waiting_advances.lock().unwrap_or_else(|e| e.into_inner());
        match waiting.get_mut(pipeline) {
            Some(queued) => {
                if scope == Scope::All {
                    *queued = Scope::All;
                }
                None
            }
            None => {
                waiting.insert(pipeline.to_owned(), scope);
                Some(AdvanceTicket { runtime: self, pipeline })
            }
        }
    }

    pub fn queue_finished(&self, pipeline: &str, finished: outcomes::Finished) {
        self.finished.lock().unwrap_or_else(|e| e.into_inner()).entry(pipeline.to_owned()).or_default().push(finished);
    }

    pub fn take_finished(&self, pipeline: &str) -> Vec<outcomes::Finished> {
        self.finished.lock().unwrap_or_else(|e| e.into_inner()).remove(pipeline).unwrap_or_default()
    }

    /// When a lease taken or renewed at `now` runs out.
    pub fn lease_until(&self, now: i64) -> i64 {
        now + self.config.lease_ttl.as_millis() as i64
    }

    /// Serialises this process's decisions per pipeline (the database lock does it across processes).
    pub fn pipeline_lock(&self, pipeline: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.pipeline_locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(pipeline.to_owned()).or_default().clone()
    }
}

/// Which executions an advance decides about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Every active execution of the pipeline.
    All,
    /// Only the executions whose actions just finished, when the pipeline's executions cannot
    /// affect each other (PARALLEL mode); the sweep still looks at all of them every second.
    Finished,
}

pub(crate) struct AdvanceTicket<'a> {
    runtime: &'a Runtime,
    pipeline: &'a str,
}

impl AdvanceTicket<'_> {
    /// Leaves the queue, so the next request waits anew; returns the scope asked for meanwhile.
    pub fn redeem(self) -> Scope {
        let mut waiting = self.runtime.waiting_advances.lock().unwrap_or_else(|e| e.into_inner());
        let scope = waiting.remove(self.pipeline).unwrap_or(Scope::All);
        std::mem::forget(self);
        scope
    }
}

impl Drop for AdvanceTicket<'_> {
    /// An abandoned wait (the caller's future dropped) must not block later requests.
    fn drop(&mut self) {
        self.runtime.waiting_advances.lock().unwrap_or_else(|e| e.into_inner()).remove(self.pipeline);
    }
}

impl Engine {
    /// A pipeline version's declaration; versions never change, so they are cached.
    pub(crate) async fn declaration(&self, pipeline: &str, version: u32) -> Result<Arc<model::PipelineDeclaration>> {
        let key = (pipeline.to_owned(), version);
        if let Some(found) = self.runtime.declarations.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(found.clone());
        }
        let record = self.pipeline(pipeline, Some(version)).await?;
        let decl = Arc::new(record.declaration);
        self.runtime.declarations.lock().unwrap_or_else(|e| e.into_inner()).insert(key, decl.clone());
        Ok(decl)
    }

    /// Registers the provider that runs actions of this type (replacing any earlier one).
    pub fn register_provider(
        &self,
        category: ActionCategory,
        owner: ActionOwner,
        provider: &str,
        implementation: Arc<dyn ActionProvider>,
    ) {
        self.runtime
            .providers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((category, owner, provider.to_owned()), implementation);
    }

    /// Registers the provider that evaluates rules of this type (replacing any earlier one).
    pub fn register_rule_provider(&self, provider: &str, implementation: Arc<dyn RuleProvider>) {
        self.runtime
            .rule_providers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(provider.to_owned(), implementation);
    }

    /// Whether this engine evaluates rules of the type itself.
    pub fn can_run_rule(&self, provider: &str) -> bool {
        self.runtime.rule_providers.lock().unwrap_or_else(|e| e.into_inner()).contains_key(provider)
    }

    /// Live events after their commit. A subscriber that falls behind gets `Lagged` and should
    /// catch up from the outbox with `Store::events_after`.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.runtime.events.subscribe()
    }

    /// Starts the background work: lease renewal, the sweep, and resuming what a previous process
    /// left running. Call once per process.
    pub async fn start_background(&self) -> Result<()> {
        if self.store.backend() == crate::store::Backend::Sqlite {
            // An embedded database has no other process: whatever a dead process had claimed can
            // be taken over now instead of after the lease runs out.
            self.store.release_all_leases().await?;
            crate::store::conditions::release_rule_leases(&mut *self.store.conn().await?).await?;
        }
        self.sweep().await?;
        let engine = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(engine.runtime.config.sweep_interval);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_renewal = now_ms();
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    _ = engine.runtime.shutdown.cancelled() => break,
                }
                let ttl = engine.runtime.config.lease_ttl.as_millis() as i64;
                if now_ms() - last_renewal >= ttl / 3 {
                    last_renewal = now_ms();
                    if let Err(err) = engine.renew_leases().await {
                        tracing::error!(error = %err, "lease renewal failed");
                    }
                }
                if let Err(err) = engine.sweep().await {
                    tracing::error!(error = %err, "sweep failed");
                }
            }
        });
        Ok(())
    }

    /// Stops this process's background work and runners; their leases expire and another
    /// process (or the next start) takes the actions over.
    pub fn shutdown(&self) {
        self.runtime.shutdown.cancel();
        for token in self.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).values() {
            token.cancel();
        }
    }

    async fn renew_leases(&self) -> Result<()> {
        let until = self.runtime.lease_until(now_ms());
        let running: Vec<String> =
            self.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
        let mut conn = self.store.conn().await?;
        crate::store::executions::renew_leases(&mut conn, &self.runtime.node_id, &running, until).await?;
        Ok(())
    }

    /// One pass of the sweep: take over actions whose runner is gone, fail expired approvals,
    /// and advance every pipeline that has active executions.
    pub async fn sweep(&self) -> Result<()> {
        let now = now_ms();
        let due = {
            let mut conn = self.store.conn().await?;
            crate::store::executions::due_actions(&mut conn, now).await?
        };
        for (pipeline, action) in due {
            if action.token.is_some() {
                self.expire_approval(&pipeline, &action.action_execution_id).await?;
            } else if self.claim(&action, now).await? {
                tracing::warn!(action = %action.action_execution_id, "taking over an action whose runner stopped");
                self.spawn_runner(action.action_execution_id.clone());
            }
        }
        let due_rules = {
            let mut conn = self.store.conn().await?;
            crate::store::conditions::due_rules(&mut conn, now).await?
        };
        for (_, rule) in due_rules {
            if self.claim_rule(&rule, now).await? {
                tracing::warn!(rule = %rule.rule_execution_id, "taking over a rule whose runner stopped");
                self.spawn_rule_runner(rule.rule_execution_id.clone());
            }
        }
        for pipeline in self.store.pipelines_with_active_executions().await? {
            self.advance(&pipeline).await?;
        }
        self.poll_sources().await?;
        Ok(())
    }
}

/// Changes decided together, applied in one transaction; side effects wait for the commit.
pub(crate) struct Tick {
    engine: Engine,
    pub now: i64,
    pub events: Vec<PendingEvent>,
    /// Answers to approvals, stored in the approvals history with the change they made.
    pub decisions: Vec<DecisionRow>,
    to_start: Vec<String>,
    rules_to_start: Vec<String>,
    to_cancel: Vec<String>,
    /// (pipeline, stage, failed execution) to roll back automatically after the commit.
    to_roll_back: Vec<(String, String, String)>,
    /// Runners whose outcome this tick records, told after the commit.
    recorded: Vec<tokio::sync::oneshot::Sender<bool>>,
}

impl Tick {
    pub fn new(engine: &Engine) -> Self {
        Tick {
            engine: engine.clone(),
            now: now_ms(),
            events: Vec::new(),
            decisions: Vec::new(),
            to_start: Vec::new(),
            rules_to_start: Vec::new(),
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
            && self.rules_to_start.is_empty()
            && self.to_cancel.is_empty()
            && self.to_roll_back.is_empty()
            && self.recorded.is_empty()
    }

    /// Marks a running action Abandoned and stops its runner after the commit.
    pub fn abandon(&mut self, exec: &ExecutionRow, action: &mut ActionRow, why: &str) {
        action.status = ActionExecutionStatus::Abandoned;
        action.summary = Some(why.to_owned());
        action.lease_owner = None;
        action.updated_ms = self.now;
        self.to_cancel.push(action.action_execution_id.clone());
        self.events.push(PendingEvent::action(
            &exec.pipeline_name,
            &exec.execution_id,
            exec.pipeline_version,
            &action.stage_name,
            &action.action_name,
            "ABANDONED",
            json!({}),
        ));
    }

    /// Asks for the stage to be rolled back to its last successful execution once this commits.
    pub fn roll_back(&mut self, run: &Run, stage: &str) {
        self.to_roll_back.push((run.exec.pipeline_name.clone(), stage.to_owned(), run.exec.execution_id.clone()));
    }

    /// Marks a running rule Abandoned and stops its runner after the commit.
    pub fn abandon_rule(&mut self, exec: &ExecutionRow, rule: &mut RuleRow, why: &str) {
        rule.status = ActionExecutionStatus::Abandoned;
        rule.summary = Some(why.to_owned());
        rule.lease_owner = None;
        rule.updated_ms = self.now;
        self.to_cancel.push(rule.rule_execution_id.clone());
        self.events.push(rule_event(exec, rule, "ABANDONED", json!({})));
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
        let mut input = json!({
            "ruleTypeId": rule.rule_type_id,
            "configuration": rule.configuration,
            "inputArtifacts": rule.input_artifacts.iter().map(|a| json!({ "name": a.name })).collect::<Vec<_>>(),
        });
        for (key, value) in [("roleArn", &rule.role_arn), ("region", &rule.region)] {
            if let Some(value) = value {
                input[key] = json!(value);
            }
        }
        let mut row = RuleRow {
            rule_execution_id: uuid::Uuid::new_v4().to_string(),
            execution_id: run.exec.execution_id.clone(),
            stage_name: stage.to_owned(),
            condition_type: kind,
            stage_attempt,
            rule_name: rule.name.clone(),
            status: ActionExecutionStatus::InProgress,
            summary: None,
            error_code: None,
            error_message: None,
            lease_owner: Some(self.engine.runtime.node_id.clone()),
            lease_expires_ms: Some(self.engine.runtime.lease_until(self.now)),
            claims: 1,
            input: Value::Null,
            output: json!({}),
            started_ms: self.now,
            updated_ms: self.now,
        };
        match resolved {
            Ok(configuration) => {
                input["resolvedConfiguration"] = Value::Object(configuration);
                self.rules_to_start.push(row.rule_execution_id.clone());
                self.events.push(rule_event(&run.exec, &row, "STARTED", json!({ "type": rule.rule_type_id })));
            }
            Err(message) => {
                row.status = ActionExecutionStatus::Failed;
                row.error_code = Some("ConfigurationError".into());
                row.summary = Some(message.clone());
                row.error_message = Some(message);
                row.lease_owner = None;
                row.lease_expires_ms = None;
                self.events.push(rule_event(&run.exec, &row, "FAILED", json!({})));
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
        let mut input = json!({
            "actionTypeId": action.action_type_id,
            "configuration": action.configuration,
            "inputArtifacts": action.input_artifacts.iter().map(|a| json!({ "name": a.name })).collect::<Vec<_>>(),
        });
        for (key, value) in
            [("roleArn", &action.role_arn), ("region", &action.region), ("namespace", &action.namespace)]
        {
            if let Some(value) = value {
                input[key] = json!(value);
            }
        }
        let mut row = ActionRow {
            action_execution_id: uuid::Uuid::new_v4().to_string(),
            execution_id: run.exec.execution_id.clone(),
            stage_name: stage.name.clone(),
            action_name: action.name.clone(),
            run_order: action.run_order,
            stage_attempt,
            status: ActionExecutionStatus::InProgress,
            summary: None,
            error_code: None,
            error_message: None,
            external_execution_id: None,
            external_execution_url: None,
            token: None,
            expires_ms: None,
            lease_owner: Some(self.engine.runtime.node_id.clone()),
            lease_expires_ms: Some(self.engine.runtime.lease_until(self.now)),
            claims: 1,
            input: Value::Null,
            output: json!({}),
            started_ms: self.now,
            updated_ms: self.now,
        };
        let type_detail = json!({ "type": action.action_type_id, "input-artifacts": input["inputArtifacts"] });
        match resolved {
            Ok((configuration, environment)) => {
                input["resolvedConfiguration"] = Value::Object(configuration);
                input["resolvedEnvironment"] = Value::Object(environment);
                self.to_start.push(row.action_execution_id.clone());
                self.events.push(action_event(run, &row, "STARTED", type_detail));
            }
            Err(message) => {
                row.status = ActionExecutionStatus::Failed;
                row.error_code = Some("ConfigurationError".into());
                row.error_message = Some(message);
                row.lease_owner = None;
                row.lease_expires_ms = None;
                self.events.push(action_event(run, &row, "FAILED", type_detail));
            }
        }
        row.input = input;
        run.actions.push(row);
    }

    /// Writes the decisions and the events to the outbox, commits, then tells subscribers and
    /// starts or stops runners.
    pub async fn commit(self, mut tx: sqlx::Transaction<'static, sqlx::Any>) -> Result<()> {
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
        for id in self.to_start {
            self.engine.spawn_runner(id);
        }
        for id in self.rules_to_start {
            self.engine.spawn_rule_runner(id);
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

pub(crate) fn action_event(run: &Run, row: &ActionRow, state: &str, extra: Value) -> PendingEvent {
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

pub(crate) fn rule_event(exec: &ExecutionRow, row: &RuleRow, state: &str, extra: Value) -> PendingEvent {
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

type Resolved = (Map<String, Value>, Map<String, Value>);

/// The action's configuration and environment with `#{namespace.key}` replaced.
fn resolve(run: &Run, action: &ActionDeclaration) -> std::result::Result<Resolved, String> {
    let configuration =
        substitute_all(run, action.configuration.iter().map(|(k, v)| (k.clone(), v.clone())).collect())?;
    let environment =
        substitute_all(run, action.environment_variables.iter().map(|e| (e.name.clone(), e.value.clone())).collect())?;
    Ok((configuration, environment))
}

/// Each (name, text) with `#{namespace.key}` replaced by the execution's values, as a JSON map.
fn substitute_all(run: &Run, pairs: Vec<(String, String)>) -> std::result::Result<Map<String, Value>, String> {
    let lookup = |namespace: &str, key: &str| -> Option<String> {
        match namespace {
            "codepipeline" => (key == "PipelineExecutionId").then(|| run.exec.execution_id.clone()),
            "variables" => run.exec.variables.as_array()?.iter().find(|v| v["name"] == key)?["resolvedValue"]
                .as_str()
                .map(str::to_owned),
            _ => {
                let (stage, producer) = run.decl.actions().find(|(_, a)| a.namespace.as_deref() == Some(namespace))?;
                let row = run
                    .actions
                    .iter()
                    .filter(|r| r.stage_name == stage.name && r.action_name == producer.name)
                    .filter(|r| r.status == ActionExecutionStatus::Succeeded)
                    .max_by_key(|r| (r.stage_attempt, r.started_ms))?;
                row.output["outputVariables"][key].as_str().map(str::to_owned)
            }
        }
    };
    pairs
        .into_iter()
        .map(|(name, text)| {
            model::variables::substitute(&text, &lookup)
                .map(|value| (name.clone(), Value::String(value)))
                .map_err(|reference| format!("{name}: the variable {reference} has no value in this execution"))
        })
        .collect()
}
