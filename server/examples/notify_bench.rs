//! The notification benchmark: how long a failed run takes to reach people, from the commit of
//! its state change to the webhook receiving it and to the SMTP server accepting the e-mail.
//!
//! ```text
//! cargo run --release -p server --example notify_bench                          # SQLite in a temp dir
//! cargo run --release -p server --example notify_bench -- --backend postgres    # SLUICE_TEST_POSTGRES_URL
//! options: --executions N (default 50)
//! ```
//!
//! One process runs the real server (production router and engine, the real courier) over a
//! fresh database, an HTTP receiver (axum) and a real SMTP server (Python's aiosmtpd). One rule
//! matches pipeline failures and has two targets: a webhook to the receiver, and a topic with
//! one confirmed e-mail subscription. A pipeline whose source is missing is started
//! `--executions` times, one after another, each waiting for both deliveries.
//!
//! Commit time is when the engine's own broadcast (sent right after the transaction commits)
//! reaches an in-process receiver. Webhook time is when the receiver's handler runs. SMTP time is
//! when the mail server has answered 250 to the e-mail (the subscriber delivery's row is marked
//! delivered then). All are this process's wall clock in ms.
#[path = "../tests/common/mod.rs"]
mod common;

use common::receiver::Receiver;
use common::smtp::SmtpServer;
use common::TestServer;
use engine::notify::DeliveryStatus;
use engine::testing::TestBackend;
use engine::StartRequest;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

fn percentiles(label: &str, values: &mut [f64]) {
    values.sort_by(f64::total_cmp);
    let at = |p: f64| values[((p * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)];
    println!("{label}: p50 {:.0} ms  p99 {:.0} ms  max {:.0} ms  (n={})", at(0.5), at(0.99), at(1.0), values.len());
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (mut executions, mut backend) = (50usize, TestBackend::Sqlite);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--executions" => executions = value.parse()?,
            "--backend" if value == "postgres" => backend = TestBackend::Postgres,
            "--backend" => backend = TestBackend::Sqlite,
            other => panic!("unknown option {other}"),
        }
    }
    let smtp = SmtpServer::start().await;
    let notify = server::config::NotifyArgs {
        smtp_url: Some(smtp.url().as_str().into()),
        mail_from: "ci@example.com".into(),
        ..Default::default()
    };
    let server = TestServer::start_with_mail(backend, notify).await;
    let engine = server.engine.clone();
    let receiver = Receiver::start().await;

    engine.create_topic("ops").await?;
    let subscription = engine.subscribe_to_topic("ops", "email", "ops@example.com").await?;
    engine.confirm_subscription("ops", &subscription.token).await?;
    let pattern =
        json!({ "detail-type": ["CodePipeline Pipeline Execution State Change"], "detail": { "state": ["FAILED"] } });
    server.events("PutRule", json!({ "Name": "failures", "EventPattern": pattern.to_string() })).await;
    let hook = format!("arn:aws:events:us-east-1:000000000000:api-destination/{}", receiver.url("/hook"));
    let targets = json!([{ "Id": "hook", "Arn": hook }, { "Id": "ops", "Arn": engine.topic_arn("ops") }]);
    let put = server.events("PutTargets", json!({ "Rule": "failures", "Targets": targets })).await;
    anyhow::ensure!(put.status == 200, "PutTargets: {}", put.text);
    common::services::create_failing_pipeline(&server, "bench", json!([])).await;
    tokio::time::sleep(Duration::from_secs(2)).await; // The first run (CreatePipeline's) is not measured.
    let first = receiver.received().len();

    let mut feed = engine.subscribe();
    let mut committed: HashMap<i64, i64> = HashMap::new();
    for n in 0..executions {
        engine.start_execution("bench", StartRequest::new(model::TriggerType::StartPipelineExecution)).await?;
        loop {
            let event = feed.recv().await?;
            if event.detail_type == engine::events::PIPELINE_DETAIL && event.body["detail"]["state"] == "FAILED" {
                committed.insert(event.id, engine::now_ms());
                break;
            }
        }
        receiver.wait_for(first + n + 1, Duration::from_secs(30)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut webhook: Vec<f64> = Vec::new();
    for received in &receiver.received()[first..] {
        let id: i64 = received.header("x-sluice-event-id").parse()?;
        webhook.push((received.at_ms - committed[&id]) as f64);
    }
    let mut mail: Vec<f64> = Vec::new();
    for delivery in engine.deliveries(Some(DeliveryStatus::Delivered), 1000).await? {
        let notification: Value = serde_json::from_str(&delivery.payload)?;
        let Some(message) = notification["Message"].as_str() else { continue };
        let event: Value = serde_json::from_str(message).unwrap_or_default();
        let id = event["id"].as_str().and_then(|id| id.parse::<i64>().ok());
        if let Some(commit) = id.and_then(|id| committed.get(&id)) {
            mail.push((delivery.updated_ms - commit) as f64);
        }
    }
    anyhow::ensure!(webhook.len() == executions && mail.len() == executions, "every run is delivered once to each");
    println!("notify_bench: {executions} failed runs on {backend:?}, one webhook and one e-mail each");
    percentiles("state change -> webhook received", &mut webhook);
    percentiles("state change -> SMTP accepted   ", &mut mail);
    anyhow::ensure!(smtp.received().len() >= executions, "the SMTP server has every e-mail");
    server.stop().await;
    Ok(())
}
