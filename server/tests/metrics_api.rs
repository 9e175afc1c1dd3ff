//! `/metrics` as Prometheus scrapes it, on both backends: refused without the bearer token,
//! and its figures move as a pipeline runs and as event streams open.
mod common;

use aws_sdk_codepipeline::types::PipelineExecutionStatus;
use common::{
    check_stage, on_both_backends, signed_get, upload_zip, v2_pipeline_with_s3_source, wait_final, TestServer,
    METRICS_TOKEN,
};
use serde_json::json;

async fn scrape(server: &TestServer, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("{}/metrics", server.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The value of one series (name and labels exactly as printed); 0 when it is not on the page.
fn value(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.parse().unwrap())
}

#[tokio::test]
async fn figures_move_as_a_pipeline_runs() {
    on_both_backends(|server| async move {
        assert_eq!(scrape(&server, None).await.0, 401);
        assert_eq!(scrape(&server, Some("not-the-token")).await.0, 401);
        let (status, before) = scrape(&server, Some(METRICS_TOKEN)).await;
        assert_eq!(status, 200, "{before}");
        assert!(before.contains("# TYPE sluice_action_duration_seconds histogram"), "{before}");

        upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "v1")]).await;
        let pipeline = v2_pipeline_with_s3_source("measured", "sources", "app.zip", vec![check_stage(&["true"])]);
        let created = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        let runs = server.client.list_pipeline_executions().pipeline_name("measured").send().await.unwrap();
        let run = runs.pipeline_execution_summaries()[0].pipeline_execution_id().unwrap().to_owned();
        assert_eq!(wait_final(&server, "measured", &run).await, PipelineExecutionStatus::Succeeded);

        // An event stream open while scraping.
        let stream = signed_get(&format!("{}/api/v1/events", server.url), &server.key).await;
        assert_eq!(stream.status(), 200);
        let (_, after) = scrape(&server, Some(METRICS_TOKEN)).await;
        let moved = |series: &str| value(&after, series) - value(&before, series);
        assert_eq!(moved(r#"sluice_pipeline_executions{status="Succeeded"}"#), 1.0, "{after}");
        assert_eq!(moved(r#"sluice_action_executions{status="Succeeded"}"#), 2.0, "the source and the check");
        assert_eq!(moved("sluice_action_duration_seconds_count"), 2.0);
        assert_eq!(
            value(&after, r#"sluice_action_duration_seconds_bucket{le="+Inf"}"#),
            value(&after, "sluice_action_duration_seconds_count"),
            "buckets are cumulative"
        );
        assert_eq!(value(&after, r#"sluice_http_requests_total{route="api:CreatePipeline",status="200"}"#), 1.0);
        assert_eq!(value(&after, r#"sluice_http_requests_total{route="/metrics",status="401"}"#), 2.0);
        assert_eq!(
            value(&after, r#"sluice_http_requests_total{route="/objects/{bucket}/{*key}",status="201"}"#),
            1.0,
            "routes are counted by pattern, not by path"
        );
        assert_eq!(value(&after, "sluice_event_streams"), 1.0);
        assert_eq!(value(&after, "sluice_running_here"), 0.0);
        drop(stream);
        server
    })
    .await;
}
