//! The SSE benchmark: how long an outbox event takes from its commit to a browser-like client,
//! with many clients subscribed at once.
//!
//! ```text
//! cargo run --release -p server --example sse_bench                          # SQLite in a temp dir
//! cargo run --release -p server --example sse_bench -- --postgres URL        # a scratch PostgreSQL database
//! options: --subscribers N (default 1000)  --executions N (default 20)
//! ```
//!
//! One process runs the real server (the production router on a local port) and N clients, each
//! holding `GET /api/v1/events` open over its own HTTP connection and parsing the stream. The
//! pipeline (S3 source → Commands `true` → Commands `true`) then runs `--executions` times, one
//! after another; each run commits 14 outbox events.
//!
//! Commit time is when the engine's own broadcast (`Engine::subscribe`, sent right after the
//! transaction commits) reaches an in-process receiver; client time is when a client has parsed the
//! event. Both are this process's monotonic `Instant`. Latency = client time − commit time, over
//! every (client, event) pair. The clients share the server's 2 cores, so the figure includes
//! their parsing. Every client must receive every event exactly once, or the benchmark fails.
#[path = "../tests/common/mod.rs"]
mod common;

use engine::{Engine, StartRequest, Store};
use model::TriggerType;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Options {
    subscribers: usize,
    executions: usize,
    postgres: Option<String>,
}

fn options() -> Options {
    let mut options = Options { subscribers: 1000, executions: 20, postgres: None };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--subscribers" => options.subscribers = value.parse().expect("--subscribers N"),
            "--executions" => options.executions = value.parse().expect("--executions N"),
            "--postgres" => options.postgres = Some(value),
            other => panic!("unknown option {other}"),
        }
    }
    options
}

fn pipeline() -> model::PipelineDeclaration {
    let commands = |name: &str| {
        json!({
            "name": name,
            "actionTypeId": { "category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1" },
            "commands": ["true"],
            "inputArtifacts": [{ "name": "Src" }],
        })
    };
    let declaration = json!({
        "name": "bench",
        "roleArn": "arn:aws:iam::000000000000:role/pipeline",
        "artifactStore": { "type": "S3", "location": "artifacts" },
        "pipelineType": "V2",
        "stages": [
            { "name": "Source", "actions": [{
                "name": "Source",
                "actionTypeId": { "category": "Source", "owner": "AWS", "provider": "S3", "version": "1" },
                "configuration": { "S3Bucket": "bench", "S3ObjectKey": "app.zip", "PollForSourceChanges": "false" },
                "outputArtifacts": [{ "name": "Src" }]
            }]},
            { "name": "Build", "actions": [commands("Build")] },
            { "name": "Test", "actions": [commands("Test")] }
        ]
    });
    model::parse_pipeline(&declaration.to_string()).expect("the benchmark pipeline parses")
}

/// Waits until the pipeline's execution `id` has finished, from the engine's own feed.
async fn finished(feed: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<engine::events::StoredEvent>>, id: &str) {
    loop {
        let event = feed.recv().await.expect("engine feed");
        let detail = &event.body["detail"];
        if event.detail_type == engine::events::PIPELINE_DETAIL
            && detail["execution-id"] == id
            && matches!(detail["state"].as_str(), Some("SUCCEEDED" | "FAILED" | "STOPPED"))
        {
            assert_eq!(detail["state"], "SUCCEEDED", "the benchmark pipeline must succeed");
            return;
        }
    }
}

fn percentiles(values: &mut [f64]) -> String {
    values.sort_by(f64::total_cmp);
    let at = |p: f64| values[((p * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)];
    format!("p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (n={})", at(0.5), at(0.99), at(1.0), values.len())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options();
    let data_dir = std::env::temp_dir().join(format!("sluice-sse-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir)?;
    let url = options
        .postgres
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("sluice.db").display()));
    let store = Store::connect(&url).await?.with_sealer(engine::secrets::Sealer::new(&data_dir));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = server::config::Config { addr, ..common::test_config(&url, &data_dir) };
    // The clients sign their requests with an access key, as scripts do.
    let engine: Engine = server::start_engine(store, &config).await?;
    let key = common::new_user_with_key(&engine, "bench", engine::identity::Role::Admin).await;
    let app = server::app(engine.clone(), config);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://{addr}");

    // The source: one zip, uploaded as users do.
    let source_dir = data_dir.join("source");
    std::fs::create_dir_all(&source_dir)?;
    std::fs::write(source_dir.join("app.txt"), "bench")?;
    let zip = data_dir.join("source.zip");
    engine::objects::artifacts::pack_dir(&source_dir, &zip).await?;
    let uploaded =
        common::signed_http(reqwest::Method::PUT, &format!("{base}/objects/bench/app.zip"), &key, std::fs::read(&zip)?)
            .send()
            .await?;
    anyhow::ensure!(uploaded.status() == 201, "upload failed: {}", uploaded.status());

    // CreatePipeline's own first run warms everything up; it is not measured.
    let mut feed = engine.subscribe();
    engine
        .create_pipeline(
            pipeline(),
            &[],
            &engine::Principal::new(
                "arn:aws:iam::000000000000:user/bench",
                engine::identity::Permissions::of_role(engine::Role::Admin),
            ),
        )
        .await?;
    let first = engine.executions("bench", None, 1).await?.remove(0).execution_id;
    finished(&mut feed, &first).await;

    println!("Opening {} subscribers...", options.subscribers);
    let opened = Instant::now();
    let events_url = format!("{base}/api/v1/events");
    let clients = futures_util::future::join_all(
        (0..options.subscribers).map(|_| common::sse::SseStream::open(&events_url, &key, None)),
    )
    .await;
    println!("  all subscribed in {:.1} s", opened.elapsed().as_secs_f64());

    let commits: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let stamper = {
        let commits = commits.clone();
        let mut feed = engine.subscribe();
        tokio::spawn(async move {
            while let Ok(event) = feed.recv().await {
                commits.lock().unwrap().insert(event.id, Instant::now());
            }
        })
    };
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            tokio::spawn(async move {
                let mut received = Vec::new();
                while let Some(event) = client.next_within(Duration::from_secs(5)).await {
                    received.push((event.id_number(), Instant::now()));
                }
                received
            })
        })
        .collect();

    println!("Running {} executions one after another...", options.executions);
    let mut feed = engine.subscribe();
    for _ in 0..options.executions {
        let id = engine.start_execution("bench", StartRequest::new(TriggerType::StartPipelineExecution)).await?;
        finished(&mut feed, &id).await;
    }

    // Readers stop after 5 s without an event; by then the stamper has seen every commit too.
    let received_by_client = futures_util::future::try_join_all(readers).await?;
    let mut latencies = Vec::new();
    let commits_seen = commits.lock().unwrap().clone();
    for received in received_by_client {
        let ids: Vec<i64> = received.iter().map(|(id, _)| *id).collect();
        let mut expected: Vec<i64> = commits_seen.keys().copied().collect();
        expected.sort_unstable();
        anyhow::ensure!(
            ids == expected,
            "a client missed or repeated events: {} received, {} committed",
            ids.len(),
            expected.len()
        );
        for (id, at) in received {
            latencies.push(at.duration_since(commits_seen[&id]).as_secs_f64() * 1000.0);
        }
    }
    stamper.abort();
    println!(
        "{} events × {} subscribers: commit → client {}",
        commits_seen.len(),
        options.subscribers,
        percentiles(&mut latencies)
    );
    engine.shutdown();
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(())
}
