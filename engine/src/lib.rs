//! Sluice's engine: the one place that changes, runs and reads pipelines. The API and the web app
//! both call `Engine`'s methods, so a rule enforced here holds for every client; the store behind
//! them is the engine's own.

pub mod access;
pub mod approvals;
pub mod audit;
pub mod build_projects;
pub mod builds;
pub mod connections;
pub mod custom_events;
mod custom_types;
mod error;
pub mod event_rules;
pub mod events;
mod executions;
pub mod figures;
pub mod identity;
pub mod jobs;
pub mod notify;
pub mod objects;
mod pipelines;
pub mod providers;
pub mod repos;
mod rollback;
pub mod run_views;
pub mod runs;
pub mod sandbox;
mod scheduler;
pub mod secrets;
mod state;
pub(crate) mod store;
mod tags;
#[cfg(feature = "testing")]
pub mod testing;
mod triggers;
pub mod webhooks;

pub use access::Principal;
pub use approvals::{ApprovalReply, ApprovalStatus, PendingApproval};
pub use error::{EngineError, Refusal, Result};
pub use executions::{RetryMode, StartRequest};
pub use identity::{Caller, IdentityError, Role};
pub use scheduler::EngineConfig;
pub use store::{PipelineRecord, PipelineSummary, Store, StoreError, Tag};
pub use triggers::{ActionRevision, PutRevisionOutcome};

/// What providers may use besides their own workspace.
#[derive(Debug, Clone)]
pub struct Services {
    pub objects: objects::ObjectStore,
    /// Where anything a pipeline author wrote must run.
    pub sandbox: std::sync::Arc<sandbox::Sandbox>,
    /// The git repositories Sluice hosts (CodeCommit sources).
    pub repos: repos::Repositories,
}

/// Where this Sluice says it lives, for ARNs: `arn:aws:codepipeline:<region>:<account_id>:...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub region: String,
}

impl Account {
    /// The ARN of a hosted repository: `arn:aws:codecommit:<region>:<account>:<name>`.
    pub fn repository_arn(&self, name: &str) -> String {
        format!("arn:aws:codecommit:{}:{}:{name}", self.region, self.id)
    }
}

/// The handle the server and the app share. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    account: Account,
    objects: objects::ObjectStore,
    sandbox: std::sync::Arc<sandbox::Sandbox>,
    repos: repos::Repositories,
    runtime: std::sync::Arc<scheduler::Runtime>,
    /// The CodeBuild builds this process runs, so that StopBuild reaches them.
    builds: std::sync::Arc<builds::Running>,
}

impl Engine {
    /// An engine with the providers Sluice runs locally. Call `start_background` to run pipelines.
    pub fn new(store: Store, account: Account, config: EngineConfig) -> Self {
        let objects = objects::ObjectStore::new(store.clone(), &config.data_dir);
        let store = store.with_sealer(secrets::Sealer::new(&config.data_dir));
        let sandbox = std::sync::Arc::new(sandbox::Sandbox::new(config.sandbox.clone()));
        let repos = repos::Repositories::new(&config.data_dir, &config.notify.public_url);
        let runtime = std::sync::Arc::new(scheduler::Runtime::new(config));
        let builds = Default::default();
        let engine = Engine { store, account, objects, sandbox, repos, runtime, builds };
        providers::register_builtin(&engine);
        engine
    }

    pub fn objects(&self) -> &objects::ObjectStore {
        &self.objects
    }

    /// How pipeline code runs on this server (the web app warns on every page when it is off).
    pub fn sandbox(&self) -> &sandbox::Sandbox {
        &self.sandbox
    }

    /// What providers get besides their workspace.
    pub(crate) fn services(&self) -> Services {
        Services { objects: self.objects.clone(), sandbox: self.sandbox.clone(), repos: self.repos.clone() }
    }

    /// The CodeBuild action's provider; StartBuild's builds run through it too.
    pub(crate) fn codebuild_provider(&self) -> providers::codebuild::CodeBuildProvider {
        providers::codebuild::CodeBuildProvider::new(self.store.clone(), self.account.clone(), self.builds.clone())
    }

    /// The named secrets that `SECRETS_MANAGER` environment variables refer to.
    pub fn secrets(&self) -> secrets::NamedSecrets {
        secrets::NamedSecrets::new(self.store.clone())
    }

    /// Whether the database answers (the health check).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The ARN of a pipeline: `arn:aws:codepipeline:<region>:<account>:<name>`.
    pub fn pipeline_arn(&self, name: &str) -> String {
        format!("arn:aws:codepipeline:{}:{}:{name}", self.account.region, self.account.id)
    }
}

/// Milliseconds since the Unix epoch, the unit every timestamp column uses.
pub fn now_ms() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}
