//! What the scheduler keeps in memory: its configuration, the providers, the running actions,
//! the queue of advances and finished outcomes per pipeline, and the in-process pipeline locks.
use super::outcomes;
use crate::events::StoredEvent;
use crate::providers::rules::RuleProvider;
use crate::providers::ActionProvider;
use model::{ActionCategory, ActionOwner};
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
    /// How events are delivered to the targets of rules.
    pub notify: crate::notify::NotifyConfig,
}

impl EngineConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EngineConfig {
            data_dir: data_dir.into(),
            sandbox: crate::sandbox::SandboxConfig::default(),
            lease_ttl: Duration::from_secs(15),
            sweep_interval: Duration::from_secs(1),
            notify: crate::notify::NotifyConfig::default(),
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
    pub declarations: Mutex<HashMap<(String, u32), Arc<model::PipelineDeclaration>>>,
    /// Wakes the notification dispatcher: a delivery finished or was replayed.
    pub delivery_wake: Arc<tokio::sync::Notify>,
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
            delivery_wake: Arc::default(),
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
