//! The Commands benchmark: pipelines of Commands actions running `true`, created and started
//! through the CodePipeline API as a user would, on SQLite and PostgreSQL, next to a bare
//! `bash -c true` measured in the same run.
//!
//! ```text
//! cargo run --release -p server --example commands_bench                        # both backends, A, B and C
//! cargo run --release -p server --example commands_bench -- --backend sqlite    # or postgres
//! cargo run --release -p server --example commands_bench -- --sandbox both      # sandboxed, then not
//! options: --runs N (default 5)  --workloads A,B,C  --spawns N (default 200)  --sandbox on|off|both
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
#[path = "../../tests/common/mod.rs"]
mod common;
mod recorder;

use aws_sdk_codepipeline::Client;
use common::TestServer;
use engine::testing::TestBackend;
use recorder::{median, ms, percentile, Recorder};
use serde_json::{json, Value};
use server::config::{SandboxArgs, SandboxSwitch};
use std::time::Instant;

const EXECUTIONS_IN_C: usize = 20;

struct Options {
    backends: Vec<TestBackend>,
    runs: usize,
    workloads: Vec<char>,
    spawns: usize,
    /// How the server runs pipeline code: sandboxed (the default), unconfined, or both in turn.
    sandboxes: Vec<SandboxSwitch>,
}

fn options() -> Options {
    let mut options = Options {
        backends: engine::testing::BACKENDS.to_vec(),
        runs: 5,
        workloads: vec!['A', 'B', 'C'],
        spawns: 200,
        sandboxes: vec![SandboxSwitch::On],
    };
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
            "--sandbox" => {
                options.sandboxes = match value.as_str() {
                    "on" => vec![SandboxSwitch::On],
                    "off" => vec![SandboxSwitch::Off],
                    "both" => vec![SandboxSwitch::On, SandboxSwitch::Off],
                    other => panic!("--sandbox on|off|both, not {other}"),
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

async fn bench_server(
    backend: TestBackend,
    sandbox: SandboxSwitch,
    options: &Options,
    bare: (f64, f64),
) -> anyhow::Result<Figures> {
    let server = TestServer::start_with(backend, SandboxArgs { mode: sandbox, ..Default::default() }).await;
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
        for sandbox in &options.sandboxes {
            // The bare spawn is measured next to each server's runs, on the machine as it is then.
            let bare = tokio::task::spawn_blocking({
                let n = options.spawns;
                move || bare_spawns(n)
            })
            .await??;
            let server = format!("{backend:?}, sandbox {sandbox:?}");
            println!("{server}: bare `bash -c true` p50 {:.2} ms, p99 {:.2} ms (n={})", bare.0, bare.1, options.spawns);
            let errors_before = ERRORS.load(std::sync::atomic::Ordering::Relaxed);
            let mut figures = bench_server(*backend, *sandbox, &options, bare).await?;
            let errors = ERRORS.load(std::sync::atomic::Ordering::Relaxed) - errors_before;
            figures.lines.push(format!("errors the server logged: {errors}"));
            println!("  errors the server logged: {errors}");
            results.push((server, bare, figures));
        }
    }
    println!("\nSummary (medians of {} run(s)):", options.runs);
    for (server, bare, figures) in results {
        println!("{server} (bare spawn p50 {:.2} ms, p99 {:.2} ms)", bare.0, bare.1);
        for line in figures.lines {
            println!("  {line}");
        }
    }
    Ok(())
}
