//! The engine benchmark: how much time Sluice itself adds around actions that do nothing.
//!
//! ```text
//! cargo run --release -p engine --example bench                        # SQLite in a temp dir
//! cargo run --release -p engine --example bench -- --postgres URL      # a scratch PostgreSQL database
//! options: --runs N (part a, default 20)  --executions N (part b, default 100)
//! ```
//!
//! The pipeline has 10 stages: `Source` (one no-op source action, since the first stage may hold
//! source actions only) and `Stage2`..`Stage10`, each with 4 no-op actions in one runOrder group
//! (they run in parallel): 1 + 9 × 4 = 37 actions and 9 stage transitions per execution.
//! The no-op provider is registered for Custom/Noop actions here; it is not part of the engine.
//!
//! (a) `--runs` executions of the pipeline one after another, each alone in the engine.
//! (b) `--executions` executions started at once. SUPERSEDED mode would make them supersede each
//!     other, so part (b) uses a V2 pipeline in PARALLEL mode.
//!
//! Every figure comes from two clocks on this process's monotonic `Instant`:
//! * the event feed (`Engine::subscribe`): each outbox event is stamped when it is received, which
//!   is after its transaction committed;
//! * the provider: stamped when the engine calls it and when it returns.
//!
//! What is reported:
//! * stage transition = last provider return in stage N → first provider call in stage N+1: all the
//!   time the engine spends between two stages (record the outcome, decide, start the next
//!   actions), which is what "time between stages" means for the peers; also the outbox view of it,
//!   last action SUCCEEDED event of stage N → stage N+1 STARTED event;
//! * overhead per action = (action SUCCEEDED event − action STARTED event) − provider run time, split
//!   into dispatch (STARTED event → provider called) and record (provider returned → SUCCEEDED
//!   event); also amortised: (execution wall time − provider time on the critical path) / actions;
//! * (b) actions per second = all actions of all executions / wall time from the first start
//!   request to the last execution's SUCCEEDED event.
mod figures;

use engine::events::StoredEvent;
use engine::providers::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, ActionResult, BoxFuture};
use engine::{Account, Engine, EngineConfig, StartRequest, Store};
use figures::{mean, percentiles, Figures};
use model::{ActionCategory, ActionOwner, TriggerType};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;

const STAGES: usize = 10;
const WIDTH: usize = 4;
const ACTIONS: usize = 1 + (STAGES - 1) * WIDTH;

type ActionKey = (String, String, String); // execution id, stage, action

/// Does nothing, and notes when the engine called it and when it returned.
#[derive(Default)]
struct Noop {
    calls: Mutex<HashMap<ActionKey, (Instant, Instant)>>,
}

impl ActionProvider for Noop {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let called = Instant::now();
            let key = (ctx.pipeline_execution_id.clone(), ctx.stage_name.clone(), ctx.action.name.clone());
            let returned = Instant::now();
            self.calls.lock().unwrap().insert(key, (called, returned));
            Ok(ActionOutcome::Succeeded(ActionResult::default()))
        })
    }
}

/// An event as received, with the fields the figures need.
#[derive(Debug, Clone)]
struct Seen {
    at: Instant,
    kind: Kind,
    execution: String,
    stage: String,
    action: String,
    state: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pipeline,
    Stage,
    Action,
}

impl Seen {
    fn of(event: &StoredEvent, at: Instant) -> Self {
        let detail = &event.body["detail"];
        let text = |key: &str| detail[key].as_str().unwrap_or_default().to_owned();
        let kind = match event.detail_type.as_str() {
            engine::events::PIPELINE_DETAIL => Kind::Pipeline,
            engine::events::STAGE_DETAIL => Kind::Stage,
            _ => Kind::Action,
        };
        Seen {
            at,
            kind,
            execution: text("execution-id"),
            stage: text("stage"),
            action: text("action"),
            state: text("state"),
        }
    }

    fn ends_execution(&self) -> bool {
        self.kind == Kind::Pipeline && self.state != "STARTED" && self.state != "STOPPING" && self.state != "RESUMED"
    }
}

struct Feed {
    rx: tokio::sync::broadcast::Receiver<std::sync::Arc<StoredEvent>>,
    lagged: u64,
}

impl Feed {
    /// Receives events until `ended` executions have ended; returns them all.
    async fn until_ended(&mut self, ended: usize) -> Vec<Seen> {
        let mut seen = Vec::new();
        let mut done = 0;
        while done < ended {
            match tokio::time::timeout(Duration::from_secs(120), self.rx.recv()).await {
                Ok(Ok(event)) => {
                    let event = Seen::of(&event, Instant::now());
                    if event.ends_execution() {
                        assert_eq!(event.state, "SUCCEEDED", "execution {} ended {}", event.execution, event.state);
                        done += 1;
                    }
                    seen.push(event);
                }
                Ok(Err(RecvError::Lagged(n))) => self.lagged += n,
                Ok(Err(RecvError::Closed)) => panic!("the event feed closed"),
                Err(_) => panic!("no event for two minutes: {done} of {ended} executions ended"),
            }
        }
        seen
    }
}

fn pipeline(name: &str, parallel: bool) -> model::PipelineDeclaration {
    let action = |name: String, category: &str, outputs: &[&str]| {
        json!({
            "name": name,
            "actionTypeId": { "category": category, "owner": "Custom", "provider": "Noop", "version": "1" },
            "runOrder": 1,
            "outputArtifacts": outputs.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>(),
        })
    };
    let mut stages = vec![json!({ "name": "Source", "actions": [action("Src".into(), "Source", &["Code"])] })];
    for stage in 2..=STAGES {
        let actions: Vec<Value> = (1..=WIDTH).map(|i| action(format!("A{i}"), "Build", &[])).collect();
        stages.push(json!({ "name": format!("Stage{stage}"), "actions": actions }));
    }
    let mut doc = json!({
        "name": name,
        "roleArn": "arn:aws:iam::000000000000:role/bench",
        "artifactStore": { "type": "S3", "location": "bench-artifacts" },
        "stages": stages,
    });
    if parallel {
        doc["pipelineType"] = json!("V2");
        doc["executionMode"] = json!("PARALLEL");
    }
    model::parse_pipeline(&doc.to_string()).expect("the benchmark pipeline parses")
}

struct Args {
    postgres: Option<String>,
    runs: usize,
    executions: usize,
}

fn args() -> Args {
    let mut args = Args { postgres: None, runs: 20, executions: 100 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--postgres" => args.postgres = Some(value()),
            "--runs" => args.runs = value().parse().expect("--runs N"),
            "--executions" => args.executions = value().parse().expect("--executions N"),
            other => panic!("unknown option {other}; use --postgres URL, --runs N, --executions N"),
        }
    }
    args
}

#[tokio::main]
async fn main() {
    let args = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match &args.postgres {
        Some(url) => url.clone(),
        None => format!("sqlite://{}?mode=rwc", dir.path().join("sluice.db").display()),
    };
    let store = Store::connect(&url).await.expect("database");
    if args.postgres.is_none() {
        use sqlx::{Connection, Row};
        // A connection of its own, opened as the store opens its own (WAL is kept in the file).
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        let mode: String = sqlx::query("pragma journal_mode").fetch_one(&mut conn).await.unwrap().get(0);
        let sync: i64 = sqlx::query("pragma synchronous").fetch_one(&mut conn).await.unwrap().get(0);
        let name = ["OFF", "NORMAL", "FULL", "EXTRA"].get(sync as usize).copied().unwrap_or("?");
        println!("database: SQLite at {} (journal_mode={mode}, synchronous={name})", dir.path().display());
        assert!(sync >= 2, "the benchmark must run with durable commits (synchronous=FULL)");
    } else {
        println!("database: PostgreSQL (server defaults; fsync and synchronous_commit as configured)");
    }
    let engine = Engine::new(
        store,
        Account { id: "000000000000".into(), region: "us-east-1".into() },
        EngineConfig::new(dir.path().join("data")),
    );
    let noop = Arc::new(Noop::default());
    engine.register_provider(ActionCategory::Source, ActionOwner::Custom, "Noop", noop.clone());
    engine.register_provider(ActionCategory::Build, ActionOwner::Custom, "Noop", noop.clone());
    // Pipelines may only use custom types that exist.
    for (category, outputs) in [("Source", 1), ("Build", 0)] {
        let declared = serde_json::from_value(json!({
            "category": category, "provider": "Noop", "version": "1",
            "inputArtifactDetails": { "minimumCount": 0, "maximumCount": 0 },
            "outputArtifactDetails": { "minimumCount": 0, "maximumCount": outputs },
        }))
        .unwrap();
        engine.create_custom_action_type(declared, &[]).await.expect("custom type");
    }
    engine.start_background().await.unwrap();
    let mut feed = Feed { rx: engine.subscribe(), lagged: 0 };
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    println!(
        "pipeline: {STAGES} stages (1 source action, then {} stages of {WIDTH} parallel no-op actions) = {ACTIONS} actions, {} transitions per execution",
        STAGES - 1,
        STAGES - 1
    );

    // (a) One execution at a time. CreatePipeline starts the first one: it warms up and is not counted.
    let name = format!("bench-one-{suffix}");
    engine.create_pipeline(pipeline(&name, false), &[], &bench_user()).await.expect("create pipeline");
    feed.until_ended(1).await;
    let mut one = Figures::default();
    for _ in 0..args.runs {
        let requested = Instant::now();
        let id = engine.start_execution(&name, StartRequest::new(TriggerType::StartPipelineExecution)).await.unwrap();
        let events = feed.until_ended(1).await;
        one.add(&id, requested, &events, &noop.calls.lock().unwrap());
    }
    println!("\n(a) {} executions, one at a time", args.runs);
    println!("  stage transition (provider return -> next provider call): {}", percentiles(&one.transition_gap));
    println!(
        "  stage transition (last action SUCCEEDED -> next stage STARTED event): {}",
        percentiles(&one.transition_outbox)
    );
    println!("  stage SUCCEEDED -> next stage STARTED event (same transaction): {}", percentiles(&one.stage_events));
    println!(
        "  overhead per action (STARTED -> SUCCEEDED event minus provider time): {}",
        percentiles(&one.action_overhead)
    );
    println!("    dispatch (STARTED event -> provider called): {}", percentiles(&one.dispatch));
    println!("    record   (provider returned -> SUCCEEDED event): {}", percentiles(&one.record));
    println!(
        "  amortised overhead per action ((wall - critical path) / {ACTIONS}): mean {:.2} ms",
        mean(&one.amortised)
    );
    println!("  execution wall time (start request -> SUCCEEDED event): {}", percentiles(&one.wall));

    // (b) Many executions at once, in PARALLEL mode.
    let name = format!("bench-many-{suffix}");
    engine.create_pipeline(pipeline(&name, true), &[], &bench_user()).await.expect("create pipeline");
    feed.until_ended(1).await;
    let began = Instant::now();
    let starts: Vec<_> = (0..args.executions)
        .map(|_| {
            let engine = engine.clone();
            let name = name.clone();
            tokio::spawn(async move {
                let requested = Instant::now();
                let id = engine
                    .start_execution(&name, StartRequest::new(TriggerType::StartPipelineExecution))
                    .await
                    .unwrap();
                (id, requested)
            })
        })
        .collect();
    let events = feed.until_ended(args.executions).await;
    let wall = began.elapsed();
    let mut many = Figures::default();
    let mut started = Vec::new();
    for start in starts {
        started.push(start.await.unwrap());
    }
    let calls = noop.calls.lock().unwrap();
    for (id, requested) in &started {
        many.add(id, *requested, &events, &calls);
    }
    drop(calls);
    let total = args.executions * ACTIONS;
    println!("\n(b) {} executions started at once (V2 pipeline, PARALLEL mode)", args.executions);
    println!(
        "  {total} actions in {:.2} s = {:.0} actions/s ({:.0} stage transitions/s)",
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        (args.executions * (STAGES - 1)) as f64 / wall.as_secs_f64()
    );
    println!("  stage transition (provider return -> next provider call): {}", percentiles(&many.transition_gap));
    println!(
        "  overhead per action (STARTED -> SUCCEEDED event minus provider time): {}",
        percentiles(&many.action_overhead)
    );
    println!("  execution wall time (start request -> SUCCEEDED event): {}", percentiles(&many.wall));
    if feed.lagged > 0 {
        println!("warning: the event feed dropped {} events; figures that needed them are missing", feed.lagged);
    }
    engine.shutdown();
}

/// The user the benchmark's pipelines are created as, allowed everything.
fn bench_user() -> engine::Principal {
    engine::Principal::new(
        "arn:aws:iam::000000000000:user/bench",
        engine::identity::Permissions::of_role(engine::Role::Admin),
    )
}
