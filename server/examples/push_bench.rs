//! The push benchmark: how long after `git push` returns the pipeline watching the branch has
//! started its first action, when the start comes from the push's event (PollForSourceChanges
//! "false", no polling involved).
//!
//! ```text
//! cargo run --release -p server --example push_bench                          # SQLite in a temp dir
//! cargo run --release -p server --example push_bench -- --backend postgres    # SLUICE_TEST_POSTGRES_URL
//! options: --pushes N (default 20)
//! ```
//!
//! One process runs the real server (production router, engine and `git http-backend`) over a
//! fresh database and a hosted repository. A pipeline watches its `main` branch; each round
//! commits one file and runs the real `git push` over HTTP, then waits for the new execution's
//! Source action to be in progress or done. Two figures per push, this process's wall clock: to
//! the execution being listed, and to its first action having started (the action execution's
//! start time, as ListActionExecutions reports it, against the moment the push returned).
#[path = "../tests/common/mod.rs"]
mod common;

use common::git::{commit_file, git, new_working_copy};
use common::TestServer;
use engine::testing::TestBackend;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn percentiles(label: &str, values: &mut [f64]) {
    values.sort_by(f64::total_cmp);
    let at = |p: f64| values[((p * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)];
    println!("{label}: p50 {:.0} ms  p99 {:.0} ms  max {:.0} ms  (n={})", at(0.5), at(0.99), at(1.0), values.len());
}

fn now_ms() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (mut pushes, mut backend) = (20usize, TestBackend::Sqlite);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--pushes" => pushes = value.parse()?,
            "--backend" if value == "postgres" => backend = TestBackend::Postgres,
            "--backend" => backend = TestBackend::Sqlite,
            other => panic!("unknown option {other}"),
        }
    }
    let server = TestServer::start(backend).await;
    server.create_repository("bench").await;
    let configuration = json!({ "RepositoryName": "bench", "BranchName": "main", "PollForSourceChanges": "false" });
    let wait = json!({ "name": "Wait", "actions": [common::approval_action("Approve")] });
    let pipeline = common::v2_pipeline_with_source("on-push", "CodeCommit", configuration, vec![wait]);
    let created = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let work = new_working_copy().await;
    let remote = server.remote("bench", &server.key);
    let (mut listed, mut first_action) = (Vec::new(), Vec::new());
    for round in 0..pushes {
        let before = executions(&server).await.len();
        commit_file(&work, "round.txt", &format!("{round}\n"), &format!("Round {round}")).await;
        git(&work, &["push", "--quiet", &remote, "main"]).await;
        let (returned, returned_ms) = (Instant::now(), now_ms());
        let execution = loop {
            let found = executions(&server).await;
            if found.len() > before {
                break found[0]["pipelineExecutionId"].as_str().unwrap().to_owned();
            }
            assert!(returned.elapsed() < Duration::from_secs(30), "round {round}: the push started nothing");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        listed.push(returned.elapsed().as_secs_f64() * 1000.0);
        let started_s = loop {
            let actions = server
                .raw(
                    "ListActionExecutions",
                    json!({ "pipelineName": "on-push", "filter": { "pipelineExecutionId": execution } }).to_string(),
                )
                .await;
            if let Some(start) = actions.json["actionExecutionDetails"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|a| a["startTime"].as_f64())
            {
                break start;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        first_action.push(started_s * 1000.0 - returned_ms);
    }
    println!("push → execution listed, {pushes} pushes ({backend:?})");
    percentiles("  listed", &mut listed);
    percentiles(
        "  first action started (its startTime − push returned; negative: before git exited)",
        &mut first_action,
    );
    server.stop().await;
    Ok(())
}

/// The pipeline's executions, newest first, as ListPipelineExecutions returns them.
async fn executions(server: &TestServer) -> Vec<Value> {
    let answer = server.raw("ListPipelineExecutions", json!({ "pipelineName": "on-push" }).to_string()).await;
    answer.json["pipelineExecutionSummaries"].as_array().cloned().unwrap_or_default()
}
