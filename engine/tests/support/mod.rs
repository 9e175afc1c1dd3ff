//! What the engine's scenario tests share: an in-test provider whose behaviour each action's
//! configuration chooses (`Outcome`, `SleepMs`, `FailTimes`, `Export`, `Write`, `Read`), an engine
//! over a fresh database, and builders for pipeline declarations.
#![allow(dead_code, unused_imports)] // Each test binary uses a different part.
pub use engine::providers::{
    ActionContext, ActionFailure, ActionOutcome, ActionProvider, ActionResult, BoxFuture, OutputArtifactPayload,
    Payload,
};
pub use engine::testing::{TestDatabase, BACKENDS};
pub use engine::{Account, ApprovalStatus, Engine, EngineConfig, Principal, RetryMode, StartRequest, Store};
pub use model::{ActionCategory, ActionExecutionStatus, ActionOwner, PipelineExecutionStatus, TriggerType};
pub use serde_json::{json, Value};
pub use std::collections::HashMap;
pub use std::sync::{Arc, Mutex};
pub use std::time::Duration;

/// A user whose policies allow everything, as the tests' changes are made.
pub fn tester() -> Principal {
    user("arn:aws:iam::000000000000:user/tester")
}

/// A user `arn` whose policies allow everything.
pub fn user(arn: &str) -> Principal {
    Principal::new(arn, engine::identity::Permissions::of_role(engine::Role::Admin))
}

/// Succeeds, fails, sleeps, exports variables and passes files on, as configured.
#[derive(Default)]
pub struct TestStep {
    attempts: Mutex<HashMap<String, u32>>,
}

impl ActionProvider for TestStep {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let config = &ctx.configuration;
            let key = format!("{}/{}/{}", ctx.pipeline_execution_id, ctx.stage_name, ctx.action.name);
            let attempt = {
                let mut attempts = self.attempts.lock().unwrap();
                let n = attempts.entry(key).or_default();
                *n += 1;
                *n
            };
            if let Some(ms) = config.get("SleepMs") {
                let ms: u64 = ms.parse().unwrap();
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
                    _ = ctx.cancel.cancelled() => return Err(ActionFailure::job_failed("cancelled")),
                }
            }
            let fail_times: u32 = config.get("FailTimes").map(|n| n.parse().unwrap()).unwrap_or(0);
            if config.get("Outcome").map(String::as_str) == Some("fail") || attempt <= fail_times {
                return Err(ActionFailure::job_failed(format!("told to fail (attempt {attempt})")));
            }
            let mut result = ActionResult::default();
            for pair in config.get("Export").map(|e| e.split(',').collect::<Vec<_>>()).unwrap_or_default() {
                let (k, v) = pair.split_once('=').unwrap();
                result.variables.insert(k.to_owned(), v.to_owned());
            }
            if let Some(text) = config.get("Read") {
                // Read=<artifact>: export the artifact's message.txt as Message.
                let input = ctx.inputs.iter().find(|i| &i.name == text).unwrap();
                let message = std::fs::read_to_string(input.dir.join("message.txt")).unwrap();
                result.variables.insert("Message".into(), message);
            }
            for output in &ctx.action.output_artifacts {
                let dir = ctx.workspace.join(&output.name);
                std::fs::create_dir_all(&dir).unwrap();
                let message = config.get("Write").cloned().unwrap_or_default();
                std::fs::write(dir.join("message.txt"), message).unwrap();
                result.outputs.push(OutputArtifactPayload { name: output.name.clone(), payload: Payload::Dir(dir) });
            }
            Ok(ActionOutcome::Succeeded(result))
        })
    }
}

pub struct Harness {
    pub engine: Engine,
    /// The database this harness removes when it stops (None: someone else's).
    pub db: Option<TestDatabase>,
}

impl Harness {
    pub async fn new(backend: engine::testing::TestBackend) -> Self {
        let db = TestDatabase::new(backend).await;
        let dir = std::env::temp_dir().join(format!("sluice-sched-{}", uuid::Uuid::new_v4().simple()));
        let engine = Self::engine(&db, &dir, EngineConfig::new(&dir).lease_ttl).await;
        Harness { engine, db: Some(db) }
    }

    /// A second engine over an existing database and data dir, as after a restart; its leases
    /// last `lease_ttl`. The caller cleans the database up.
    pub async fn on(db: &TestDatabase, dir: &std::path::Path, lease_ttl: Duration) -> Self {
        let engine = Self::engine(db, dir, lease_ttl).await;
        Harness { engine, db: None }
    }

    async fn engine(db: &TestDatabase, dir: &std::path::Path, lease_ttl: Duration) -> Engine {
        let store = Store::connect(&db.url).await.unwrap();
        let mut config = EngineConfig::new(dir);
        config.sweep_interval = Duration::from_millis(50);
        config.lease_ttl = lease_ttl;
        let engine = Engine::new(store, Account { id: "000000000000".into(), region: "us-east-1".into() }, config);
        let step = Arc::new(TestStep::default());
        for category in [ActionCategory::Source, ActionCategory::Build, ActionCategory::Test, ActionCategory::Deploy] {
            engine.register_provider(category, ActionOwner::Custom, "TestStep", step.clone());
            // Pipelines saved through CreatePipeline may only use custom types that exist.
            let keys = ["Outcome", "SleepMs", "FailTimes", "Export", "Write", "Read"];
            let properties: Vec<Value> =
                keys.iter().map(|k| json!({ "name": k, "required": false, "key": false, "secret": false })).collect();
            let declared = serde_json::from_value(json!({
                "category": category, "provider": "TestStep", "version": "1",
                "configurationProperties": properties,
                "inputArtifactDetails": { "minimumCount": 0, "maximumCount": 5 },
                "outputArtifactDetails": { "minimumCount": 0, "maximumCount": 5 },
            }))
            .unwrap();
            // Declaring the same type again (a second engine over one database) is accepted.
            engine.create_custom_action_type(declared, &[]).await.expect("the test step's type is valid");
        }
        engine.start_background().await.unwrap();
        engine
    }

    pub async fn create(&self, pipeline: Value) {
        let decl = model::parse_pipeline(&pipeline.to_string()).unwrap();
        self.engine.save_pipeline_unchecked(&decl).await.unwrap();
    }

    pub async fn start(&self, pipeline: &str) -> String {
        self.engine.start_execution(pipeline, StartRequest::new(TriggerType::StartPipelineExecution)).await.unwrap()
    }

    /// Polls until the execution's status satisfies `done` (10 s at most).
    pub async fn wait_status(
        &self,
        pipeline: &str,
        id: &str,
        done: impl Fn(PipelineExecutionStatus) -> bool,
    ) -> PipelineExecutionStatus {
        for _ in 0..1000 {
            let status = self.engine.execution(pipeline, id).await.unwrap().status;
            if done(status) {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("execution {id} never reached the expected status");
    }

    pub async fn wait_end(&self, pipeline: &str, id: &str) -> PipelineExecutionStatus {
        self.wait_status(pipeline, id, |s| !s.is_active()).await
    }

    /// The latest run of an action, once it satisfies `done`.
    pub async fn wait_action(
        &self,
        pipeline: &str,
        id: &str,
        action: &str,
        done: impl Fn(&engine::runs::ActionRow) -> bool,
    ) -> engine::runs::ActionRow {
        for _ in 0..1000 {
            let runs = self.engine.action_runs(pipeline, id).await.unwrap();
            if let Some(run) = runs.iter().rev().find(|r| r.action_name == action).filter(|r| done(r)) {
                return run.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("action {action} of {id} never reached the expected state");
    }

    pub async fn runs(&self, pipeline: &str, id: &str) -> Vec<engine::runs::ActionRow> {
        self.engine.action_runs(pipeline, id).await.unwrap()
    }

    pub async fn stop(self) {
        self.engine.shutdown();
        if let Some(db) = self.db {
            db.cleanup().await;
        }
    }
}

pub fn step(name: &str, category: &str, run_order: u32, config: Value, inputs: &[&str], outputs: &[&str]) -> Value {
    json!({
        "name": name,
        "actionTypeId": { "category": category, "owner": "Custom", "provider": "TestStep", "version": "1" },
        "runOrder": run_order,
        "configuration": config,
        "inputArtifacts": inputs.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>(),
        "outputArtifacts": outputs.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>(),
    })
}

pub fn approval(name: &str) -> Value {
    json!({ "name": name, "actionTypeId": { "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1" } })
}

pub fn pipeline(name: &str, stages: Vec<(&str, Vec<Value>)>) -> Value {
    json!({
        "name": name,
        "roleArn": "arn:aws:iam::000000000000:role/p",
        "artifactStore": { "type": "S3", "location": "artifacts" },
        "stages": stages.into_iter().map(|(n, actions)| json!({ "name": n, "actions": actions })).collect::<Vec<_>>(),
    })
}

pub fn source(config: Value) -> (&'static str, Vec<Value>) {
    ("Source", vec![step("Src", "Source", 1, config, &[], &["Code"])])
}

pub async fn on_both<F, Fut>(scenario: F)
where
    F: Fn(Harness) -> Fut,
    Fut: std::future::Future<Output = Harness>,
{
    for backend in BACKENDS {
        let harness = scenario(Harness::new(backend).await).await;
        harness.stop().await;
    }
}

/// An answer to the approval action "Gate" of `stage`.
pub fn reply<'a>(
    stage: &'a str,
    token: &'a str,
    status: engine::ApprovalStatus,
    summary: &'a str,
) -> engine::ApprovalReply<'a> {
    engine::ApprovalReply { stage, action: "Gate", token, status, summary }
}
