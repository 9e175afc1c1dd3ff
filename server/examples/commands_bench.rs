//! The Commands benchmark: pipelines of Commands actions running `true`, created and started
//! through the CodePipeline API as a user would, on SQLite and PostgreSQL, next to a bare
//! `bash -c true` measured in the same run.
//!
//! ```text
//! cargo run --release -p server --example commands_bench                        # both backends, A, B and C
//! cargo run --release -p server --example commands_bench -- --backend sqlite    # or postgres
//! options: --runs N (default 5)  --workloads A,B,C  --spawns N (default 200)
//! ```
//!
//! Each backend gets a fresh database (SQLite in a temp dir; PostgreSQL: a new database on
//! `SLUICE_TEST_POSTGRES_URL`, default the local server at 127.0.0.1:5432, dropped at the end) and
//! the real server (the production router and engine, production timings) on a free port of
//! 127.0.0.1. A user with an access key uploads the source zip and calls CreatePipeline and
//! StartPipelineExecution through the real `aws-sdk-codepipeline` client. Every pipeline starts
//! with an S3 source stage (CodePipeline requires one, and a Commands action requires an input
//! artifact); each Commands action reads the source artifact and runs `true`.
//!
//! * **A**: one stage of 40 Commands actions, runOrder 1..40, so they run one after another.
//! * **B**: 10 stages of 4 Commands actions in parallel (one runOrder group).
//! * **C**: 20 executions of B at once, in a PARALLEL-mode pipeline.
//!
//! The run CreatePipeline starts is the warm-up and is not counted; then each workload runs
//! `--runs` times and the median is printed. Clock: this process's monotonic `Instant`. *Wall* is
//! from the StartPipelineExecution call to the engine's broadcast of the execution's SUCCEEDED
//! event (sent right after its commit). *Per action over bare spawn*: each Commands action's
//! STARTED → SUCCEEDED events minus the bare spawn's p50, p50 over every action of the runs; for
//! A also the amortised (Commands stage's STARTED → SUCCEEDED) / 40 − bare p50, and for B
//! (first Commands stage STARTED → last SUCCEEDED) / 10 − bare p50, the critical path. *C*:
//! actions/s = 20 × 40 / (first start call → last execution SUCCEEDED).
//!
//! Errors the server logs (for example a failed lease renewal) go to stderr; `RUST_LOG` widens it.
#[path = "../tests/common/mod.rs"]
mod common;

use aws_sdk_codepipeline::Client;
use common::TestServer;
use engine::events::StoredEvent;
use engine::testing::TestBackend;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A run of every workload may not take longer than this; the benchmark fails instead of hanging.
const WORKLOAD_TIMEOUT: Duration = Duration::from_secs(900);
const EXECUTIONS_IN_C: usize = 20;

struct Options {
    backends: Vec<TestBackend>,
    runs: usize,
    workloads: Vec<char>,
    spawns: usize,
}

fn options() -> Options {
    let mut options =
        Options { backends: engine::testing::BACKENDS.to_vec(), runs: 5, workloads: vec!['A', 'B', 'C'], spawns: 200 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--backend" => {
                options.backends = match value.as_str() {
                    "sqlite" => vec![TestBackend::Sqlite],
                    "postgres" => vec![TestBackend::Postgres],
                    "both" => engine::testing::BACKENDS.to_vec(),
                    other => panic!("--backend sqlite|postgres|both, not {other}"),
                }
            }
            "--runs" => options.runs = value.parse().expect("--runs N"),
            "--spawns" => options.spawns = value.parse().expect("--spawns N"),
            "--workloads" => {
                options.workloads =
                    value.split(',').filter_map(|w| w.trim().chars().next()).map(|c| c.to_ascii_uppercase()).collect()
            }
            other => panic!("unknown option {other}"),
        }
    }
    assert!(options.runs >= 1, "--runs must be at least 1");
    options
}

fn commands(name: &str, run_order: u32) -> Value {
    common::commands_action(name, run_order, &["true"], "Src", None)
}

/// A: 40 Commands actions in one stage, one after another.
fn pipeline_a() -> Value {
    let actions: Vec<Value> = (1..=40).map(|i| commands(&format!("Run{i}"), i)).collect();
    common::v2_pipeline_with_s3_source(
        "bench-a",
        "bench",
        "app.zip",
        vec![json!({ "name": "Sequential", "actions": actions })],
    )
}

/// B (and C, in PARALLEL mode): 10 stages of 4 parallel Commands actions.
fn pipeline_b(name: &str, parallel: bool) -> Value {
    let stages = (1..=10)
        .map(|s| json!({ "name": format!("Stage{s}"), "actions": (1..=4).map(|a| commands(&format!("Run{a}"), 1)).collect::<Vec<_>>() }))
        .collect();
    let mut pipeline = common::v2_pipeline_with_s3_source(name, "bench", "app.zip", stages);
    if parallel {
        pipeline["executionMode"] = json!("PARALLEL");
    }
    pipeline
}

/// An event and when it was received.
type Stamped = (Instant, Arc<StoredEvent>);

/// Every event the engine broadcasts, stamped when received, kept by execution id.
#[derive(Clone, Default)]
struct Recorder {
    events: Arc<Mutex<HashMap<String, Vec<Stamped>>>>,
    finished: Arc<tokio::sync::Notify>,
}

impl Recorder {
    fn start(engine: &engine::Engine) -> Self {
        let recorder = Recorder::default();
        let mut feed = engine.subscribe();
        let this = recorder.clone();
        tokio::spawn(async move {
            loop {
                match feed.recv().await {
                    Ok(event) => {
                        let at = Instant::now();
                        let Some(id) = event.body["detail"]["execution-id"].as_str().map(str::to_owned) else {
                            continue;
                        };
                        let is_final = event.detail_type == engine::events::PIPELINE_DETAIL
                            && matches!(
                                event.body["detail"]["state"].as_str(),
                                Some("SUCCEEDED" | "FAILED" | "STOPPED" | "SUPERSEDED")
                            );
                        this.events.lock().unwrap().entry(id).or_default().push((at, event));
                        if is_final {
                            this.finished.notify_waiters();
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        panic!("the benchmark's event feed lagged by {n} events")
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        recorder
    }

    /// The execution's final state and when it was broadcast, once it has one.
    fn final_state(&self, id: &str) -> Option<(String, Instant)> {
        let events = self.events.lock().unwrap();
        events.get(id)?.iter().find_map(|(at, e)| {
            let detail = &e.body["detail"];
            let state = detail["state"].as_str()?;
            (e.detail_type == engine::events::PIPELINE_DETAIL
                && matches!(state, "SUCCEEDED" | "FAILED" | "STOPPED" | "SUPERSEDED"))
            .then(|| (state.to_owned(), *at))
        })
    }

    /// Waits until every execution in `ids` has succeeded; returns when the last one did.
    async fn all_succeeded(&self, ids: &[String]) -> anyhow::Result<Instant> {
        let deadline = Instant::now() + WORKLOAD_TIMEOUT;
        loop {
            let notified = self.finished.notified();
            let mut last = None;
            let mut done = 0;
            for id in ids {
                if let Some((state, at)) = self.final_state(id) {
                    anyhow::ensure!(state == "SUCCEEDED", "execution {id} ended {state}");
                    done += 1;
                    last = last.max(Some(at));
                }
            }
            if done == ids.len() {
                return Ok(last.expect("at least one execution"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            anyhow::ensure!(
                !left.is_zero(),
                "{} of {} executions did not finish in {WORKLOAD_TIMEOUT:?}",
                ids.len() - done,
                ids.len()
            );
            let _ = tokio::time::timeout(left.min(Duration::from_secs(1)), notified).await;
        }
    }

    /// (stage, action, state) → when, for the execution's stage and action events.
    fn timeline(&self, id: &str) -> Vec<(String, Option<String>, String, Instant)> {
        let events = self.events.lock().unwrap();
        events
            .get(id)
            .map(|list| {
                list.iter()
                    .filter_map(|(at, e)| {
                        let d = &e.body["detail"];
                        Some((
                            d["stage"].as_str()?.to_owned(),
                            d["action"].as_str().map(str::to_owned),
                            d["state"].as_str()?.to_owned(),
                            *at,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Each Commands action's STARTED → SUCCEEDED, in ms.
    fn action_times(&self, id: &str) -> Vec<f64> {
        let timeline = self.timeline(id);
        let mut started = HashMap::new();
        let mut times = Vec::new();
        for (stage, action, state, at) in &timeline {
            let (Some(action), false) = (action, stage == "Source") else { continue };
            match state.as_str() {
                "STARTED" => {
                    started.insert((stage.clone(), action.clone()), *at);
                }
                "SUCCEEDED" => {
                    if let Some(from) = started.get(&(stage.clone(), action.clone())) {
                        times.push(ms(at.duration_since(*from)));
                    }
                }
                _ => {}
            }
        }
        times
    }

    /// First STARTED of a non-source stage → last SUCCEEDED of one, in ms: the Commands part.
    fn commands_span(&self, id: &str) -> f64 {
        let timeline = self.timeline(id);
        let stage_events = timeline.iter().filter(|(stage, action, _, _)| action.is_none() && stage != "Source");
        let first = stage_events.clone().filter(|e| e.2 == "STARTED").map(|e| e.3).min().expect("a stage started");
        let last = stage_events.filter(|e| e.2 == "SUCCEEDED").map(|e| e.3).max().expect("a stage succeeded");
        ms(last.duration_since(first))
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((p * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)]
}

fn median(mut values: Vec<f64>) -> f64 {
    percentile(&mut values, 0.5)
}

/// A bare `bash -c true`, spawned and waited for `n` times: (p50, p99) in ms.
fn bare_spawns(n: usize) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let status = std::process::Command::new("bash").args(["-c", "true"]).status()?;
        times.push(ms(start.elapsed()));
        anyhow::ensure!(status.success(), "bash -c true failed");
    }
    Ok((percentile(&mut times, 0.5), percentile(&mut times, 0.99)))
}

async fn create(server: &TestServer, pipeline: Value) -> anyhow::Result<String> {
    let name = pipeline["name"].as_str().unwrap_or_default().to_owned();
    let answer = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
    anyhow::ensure!(answer.status == 200, "CreatePipeline {name}: {}", answer.text);
    Ok(name)
}

async fn start(client: &Client, pipeline: &str) -> anyhow::Result<String> {
    let started = client.start_pipeline_execution().name(pipeline).send().await?;
    Ok(started.pipeline_execution_id().unwrap_or_default().to_owned())
}

/// The execution CreatePipeline started, waited for: the warm-up.
async fn warm_up(server: &TestServer, recorder: &Recorder, pipeline: &str) -> anyhow::Result<()> {
    let listed = server.client.list_pipeline_executions().pipeline_name(pipeline).send().await?;
    let ids: Vec<String> = listed
        .pipeline_execution_summaries()
        .iter()
        .filter_map(|s| s.pipeline_execution_id().map(str::to_owned))
        .collect();
    anyhow::ensure!(!ids.is_empty(), "CreatePipeline started no execution of {pipeline}");
    recorder.all_succeeded(&ids).await?;
    Ok(())
}

struct Figures {
    lines: Vec<String>,
}

async fn bench_backend(backend: TestBackend, options: &Options, bare: (f64, f64)) -> anyhow::Result<Figures> {
    let server = TestServer::start(backend).await;
    let recorder = Recorder::start(&server.engine);
    common::upload_zip(&server.url, &server.key, "bench", "app.zip", &[("app.txt", "bench")]).await;
    let mut lines = Vec::new();
    let (bare_p50, _) = bare;

    for workload in &options.workloads {
        let (pipeline, actions) = match workload {
            'A' => (create(&server, pipeline_a()).await?, 40),
            'B' => (create(&server, pipeline_b("bench-b", false)).await?, 40),
            'C' => (create(&server, pipeline_b("bench-c", true)).await?, 40 * EXECUTIONS_IN_C),
            other => anyhow::bail!("unknown workload {other}"),
        };
        warm_up(&server, &recorder, &pipeline).await?;
        let mut walls = Vec::new();
        let mut spans = Vec::new();
        let mut per_action = Vec::new();
        for _ in 0..options.runs {
            let executions = if *workload == 'C' { EXECUTIONS_IN_C } else { 1 };
            let began = Instant::now();
            let ids =
                futures_util::future::try_join_all((0..executions).map(|_| start(&server.client, &pipeline))).await?;
            let ended = recorder.all_succeeded(&ids).await?;
            walls.push(ms(ended.duration_since(began)));
            for id in &ids {
                per_action.extend(recorder.action_times(id).into_iter().map(|t| t - bare_p50));
                spans.push(recorder.commands_span(id));
            }
        }
        let wall = median(walls.clone());
        let p50_action = percentile(&mut per_action, 0.5);
        let line = match workload {
            'A' => format!(
                "A  40 sequential       wall {:>9.1} ms (runs {})  per action over bare spawn: p50 {:.2} ms, amortised {:.2} ms",
                wall, runs(&walls), p50_action, median(spans) / 40.0 - bare_p50
            ),
            'B' => format!(
                "B  10 stages x 4       wall {:>9.1} ms (runs {})  per action over bare spawn: p50 {:.2} ms, per stage {:.2} ms",
                wall, runs(&walls), p50_action, median(spans) / 10.0 - bare_p50
            ),
            _ => format!(
                "C  20 x B at once      wall {:>9.1} ms (runs {})  {:.0} actions/s  per action over bare spawn: p50 {:.2} ms",
                wall, runs(&walls), actions as f64 / (wall / 1000.0), p50_action
            ),
        };
        println!("  {line}");
        lines.push(line);
    }
    server.stop().await;
    Ok(Figures { lines })
}

fn runs(walls: &[f64]) -> String {
    walls.iter().map(|w| format!("{w:.0}")).collect::<Vec<_>>().join(" ")
}

/// Errors the server logged (a failed lease renewal, a failed sweep...), counted per backend.
static ERRORS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

struct CountErrors;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountErrors {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    tracing_subscriber::registry()
        .with(CountErrors.with_filter(tracing_subscriber::filter::LevelFilter::ERROR))
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter))
        .init();
    let options = options();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!("Commands benchmark: {} run(s) per workload after a warm-up, {cores} cores", options.runs);
    let mut results = Vec::new();
    for backend in &options.backends {
        // The bare spawn is measured next to each backend's runs, on the machine as it is then.
        let bare = tokio::task::spawn_blocking({
            let n = options.spawns;
            move || bare_spawns(n)
        })
        .await??;
        println!("{backend:?}: bare `bash -c true` p50 {:.2} ms, p99 {:.2} ms (n={})", bare.0, bare.1, options.spawns);
        let errors_before = ERRORS.load(std::sync::atomic::Ordering::Relaxed);
        let mut figures = bench_backend(*backend, &options, bare).await?;
        let errors = ERRORS.load(std::sync::atomic::Ordering::Relaxed) - errors_before;
        figures.lines.push(format!("errors the server logged: {errors}"));
        println!("  errors the server logged: {errors}");
        results.push((*backend, bare, figures));
    }
    println!("\nSummary (medians of {} run(s)):", options.runs);
    for (backend, bare, figures) in results {
        println!("{backend:?} (bare spawn p50 {:.2} ms, p99 {:.2} ms)", bare.0, bare.1);
        for line in figures.lines {
            println!("  {line}");
        }
    }
    Ok(())
}
