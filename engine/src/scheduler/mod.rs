//! The durable scheduler: decisions (`advance`, with stage `conditions` and what follows a
//! `failure`) made and committed in a
//! `tick` under the pipeline's `lock`, running actions and condition rules under leases (`runner`,
//! `rule_runner`), and the background `sweep` that takes over expired leases, times out approvals
//! and resumes after a crash. `runtime` is what it keeps in memory.
mod advance;
mod conditions;
mod failure;
mod lock;
mod outcomes;
mod resolve;
mod rule_runner;
mod run;
mod runner;
mod runtime;
mod sweep;
mod tick;
mod unseal;

pub(crate) use advance::progress;
pub(crate) use conditions::override_condition;
pub(crate) use failure::restart_stage;
pub(crate) use lock::PipelineTx;
pub(crate) use run::Run;
pub(crate) use runner::{artifact_store, output_key};
pub use runtime::EngineConfig;
pub(crate) use runtime::{Runtime, Scope};
pub(crate) use tick::{action_event, rule_event, Tick};
pub(crate) use unseal::Unsealed;

use crate::events::StoredEvent;
use crate::providers::rules::RuleProvider;
use crate::providers::ActionProvider;
use crate::{Engine, Result};
use model::{ActionCategory, ActionOwner};
use std::sync::Arc;
use tokio::sync::broadcast;

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
    /// catch up from the outbox with `Engine::events_after`.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.runtime.events.subscribe()
    }
}
