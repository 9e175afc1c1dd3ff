//! The server-sent event streams with a real HTTP client reading them: a run followed live,
//! reconnecting with Last-Event-ID (nothing lost, nothing twice), the approval inbox, a Commands
//! action's log as it is written, and bad input. On SQLite and PostgreSQL.
mod common;

use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};
use common::sse::{SseEvent, SseStream};
use common::{
    approval_action, commands_action, on_both_backends, signed_get, signed_http, upload_zip,
    v2_pipeline_with_s3_source, TestServer, ACCOUNT, REGION,
};
use engine::identity::Role;
use serde_json::json;
use std::time::Duration;

/// Source → Build (a Commands action that logs slowly) → Approve (manual approval `Release`).
async fn create_pipeline(server: &TestServer, name: &str) {
    upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "hello")]).await;
    let stage = |name: &str, actions: Vec<serde_json::Value>| json!({ "name": name, "actions": actions });
    let build =
        commands_action("Compile", 1, &["echo one", "sleep 0.4", "echo two", "sleep 0.4", "echo three"], "Src", None);
    let declaration = v2_pipeline_with_s3_source(
        name,
        "sources",
        "app.zip",
        vec![stage("Build", vec![build]), stage("Approve", vec![approval_action("Release")])],
    );
    let created = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
    assert_eq!(created.status, 200, "{}", created.text);
}

fn is_pending_approval(event: &SseEvent) -> bool {
    event.json()["detail-type"] == "Sluice Manual Approval Pending"
}

/// Reads until the approval is pending (that event included).
async fn read_until_approval(stream: &mut SseStream) -> Vec<SseEvent> {
    let mut events = Vec::new();
    loop {
        let event = stream.next().await;
        let done = is_pending_approval(&event);
        events.push(event);
        if done {
            return events;
        }
    }
}

fn states(events: &[SseEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let detail = &e.json()["detail"];
            let place = detail["action"].as_str().or(detail["stage"].as_str()).unwrap_or("pipeline").to_owned();
            format!("{place}:{}", detail["state"].as_str().unwrap())
        })
        .collect()
}

async fn approve(server: &TestServer, pipeline: &str, token: &str) {
    let result = ApprovalResult::builder().summary("fine").status(ApprovalStatus::Approved).build().unwrap();
    server
        .client
        .put_approval_result()
        .pipeline_name(pipeline)
        .stage_name("Approve")
        .action_name("Release")
        .result(result)
        .token(token)
        .send()
        .await
        .unwrap();
}

async fn get_json(key: &(String, String), url: &str) -> (u16, serde_json::Value) {
    let response = signed_get(url, key).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_run_streams_live_and_a_reconnect_misses_nothing() {
    on_both_backends(|server| async move {
        let inbox_url = format!("{}/api/v1/approvals/events", server.url);
        let mut inbox = SseStream::open(&inbox_url, &server.key, None).await;
        create_pipeline(&server, "live").await;
        let url = format!("{}/api/v1/pipelines/live/events", server.url);

        // The whole run up to the approval, read from the start of the outbox.
        let mut full = SseStream::open(&url, &server.key, Some(0)).await;
        let everything = read_until_approval(&mut full).await;
        let ids: Vec<i64> = everything.iter().map(SseEvent::id_number).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
        assert!(everything
            .iter()
            .all(|e| e.json()["detail"]["pipeline"] == "live" && e.json()["id"] == e.id.clone().unwrap()));
        let seen = states(&everything);
        for expected in [
            "pipeline:STARTED",
            "Source:SUCCEEDED",
            "Compile:STARTED",
            "Compile:SUCCEEDED",
            "Release:STARTED",
            "Release:WAITING",
        ] {
            assert!(seen.contains(&expected.to_owned()), "{expected} in {seen:?}");
        }

        // A client that dropped after the third event and comes back with its id gets the rest exactly.
        let mut resumed = SseStream::open(&url, &server.key, Some(ids[2])).await;
        let rest = read_until_approval(&mut resumed).await;
        assert_eq!(rest, everything[3..].to_vec(), "nothing lost, nothing twice");

        // The inbox saw the approval become pending and lists it.
        let requested = read_until_approval(&mut inbox).await;
        assert_eq!(states(&requested), ["Release:STARTED", "Release:WAITING"]);
        let (status, listed) = get_json(&server.key, &format!("{}/api/v1/approvals", server.url)).await;
        assert_eq!(status, 200);
        let approvals = listed["approvals"].as_array().unwrap();
        assert_eq!(approvals.len(), 1, "{listed}");
        assert_eq!(
            (approvals[0]["pipelineName"].as_str(), approvals[0]["actionName"].as_str()),
            (Some("live"), Some("Release"))
        );

        // Answering it is pushed to every stream following the run, and to the inbox.
        approve(&server, "live", approvals[0]["token"].as_str().unwrap()).await;
        let answered = inbox.next().await;
        assert_eq!(states(&[answered]), ["Release:SUCCEEDED"]);
        let mut finished = Vec::new();
        while !finished.contains(&"pipeline:SUCCEEDED".to_owned()) {
            finished.extend(states(&[resumed.next().await]));
        }
        assert_eq!(finished.first().map(String::as_str), Some("Release:SUCCEEDED"), "{finished:?}");
        let (_, listed) = get_json(&server.key, &format!("{}/api/v1/approvals", server.url)).await;
        assert_eq!(listed["approvals"], json!([]));
        // Only approval events reach the inbox: the stage and pipeline events were filtered out.
        assert_eq!(inbox.next_within(Duration::from_millis(300)).await, None);
        server
    })
    .await;
}

#[tokio::test]
async fn an_execution_stream_carries_only_that_execution() {
    on_both_backends(|server| async move {
        create_pipeline(&server, "two").await;
        let listed = server.client.list_pipeline_executions().pipeline_name("two").send().await.unwrap();
        let first = listed.pipeline_execution_summaries()[0].pipeline_execution_id().unwrap().to_owned();
        let second = server
            .client
            .start_pipeline_execution()
            .name("two")
            .send()
            .await
            .unwrap()
            .pipeline_execution_id()
            .unwrap()
            .to_owned();

        let url = format!("{}/api/v1/pipelines/two/executions/{second}/events", server.url);
        let mut stream = SseStream::open(&url, &server.key, Some(0)).await;
        let first_event = stream.next().await;
        assert_eq!(states(std::slice::from_ref(&first_event)), ["pipeline:STARTED"]);
        for _ in 0..4 {
            let event = stream.next().await;
            assert_eq!(event.json()["detail"]["execution-id"], second.as_str(), "{event:?}");
        }
        assert_ne!(first, second);
        server
    })
    .await;
}

#[tokio::test]
async fn a_commands_log_streams_line_by_line_and_resumes() {
    on_both_backends(|server| async move {
        create_pipeline(&server, "logs").await;
        let compile = loop {
            let listed = server.client.list_action_executions().pipeline_name("logs").send().await.unwrap();
            if let Some(run) = listed.action_execution_details().iter().find(|a| a.action_name() == Some("Compile")) {
                break run.action_execution_id().unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let url = format!("{}/api/v1/action-executions/{compile}/log/events", server.url);
        let mut stream = SseStream::open(&url, &server.key, None).await;
        let mut lines = Vec::new();
        let end = loop {
            let event = stream.next().await;
            if event.event.as_deref() == Some("end") {
                break event;
            }
            assert_eq!(event.id_number(), event.json()["n"].as_i64().unwrap());
            lines.push(event);
        };
        assert_eq!(end.json()["status"], "Succeeded");
        let texts: Vec<String> = lines.iter().map(|l| l.json()["text"].as_str().unwrap().to_owned()).collect();
        let words: Vec<&str> =
            texts.iter().map(String::as_str).filter(|t| ["one", "two", "three"].contains(t)).collect();
        assert_eq!(words, ["one", "two", "three"], "{texts:?}");
        assert_eq!(stream.next_within(Duration::from_secs(1)).await, None, "the stream closes after its end");

        // Resuming after the second line sends the lines from the third on, then the end.
        let mut resumed = SseStream::open(&url, &server.key, Some(2)).await;
        let mut again = Vec::new();
        loop {
            let event = resumed.next().await;
            if event.event.as_deref() == Some("end") {
                break;
            }
            again.push(event);
        }
        assert_eq!(again, lines[2..].to_vec());

        // The same lines as plain text, for the web app's Raw and Download links.
        let raw = signed_get(&format!("{}/api/v1/action-executions/{compile}/log.txt", server.url), &server.key).await;
        assert_eq!(raw.status(), 200);
        assert_eq!(raw.headers()["content-type"], "text/plain; charset=utf-8");
        assert_eq!(raw.text().await.unwrap(), texts.iter().map(|t| format!("{t}\n")).collect::<String>());
        let (status, body) =
            get_json(&server.key, &format!("{}/api/v1/action-executions/missing/log.txt", server.url)).await;
        assert_eq!((status, body["__type"].as_str()), (404, Some("ActionExecutionNotFoundException")));
        server
    })
    .await;
}

#[tokio::test]
async fn streams_say_no_to_buffering_and_refuse_bad_input() {
    on_both_backends(|server| async move {
        let response =
            signed_http(reqwest::Method::GET, &format!("{}/api/v1/events", server.url), &server.key, Vec::new())
                .header("accept-encoding", "gzip, br")
                .send()
                .await
                .unwrap();
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("content-type").as_deref(), Some("text/event-stream"));
        assert_eq!(header("cache-control").as_deref(), Some("no-cache"));
        assert_eq!(header("x-accel-buffering").as_deref(), Some("no"));
        assert_eq!(header("content-encoding"), None);
        drop(response);

        let unsigned = reqwest::get(format!("{}/api/v1/events", server.url)).await.unwrap();
        assert_eq!(unsigned.status(), 401, "neither signed in nor signed");
        let body: serde_json::Value = unsigned.json().await.unwrap();
        assert_eq!(body["__type"], "MissingAuthenticationTokenException");
        let (status, body) = get_json(&server.key, &format!("{}/api/v1/pipelines/nope/events", server.url)).await;
        assert_eq!((status, body["__type"].as_str()), (400, Some("PipelineNotFoundException")));
        let (status, body) = get_json(&server.key, &format!("{}/api/v1/events?after=-3", server.url)).await;
        assert_eq!((status, body["__type"].as_str()), (400, Some("ValidationException")));
        let events_url = format!("{}/api/v1/events", server.url);
        let bad_header = signed_http(reqwest::Method::GET, &events_url, &server.key, Vec::new())
            .header("last-event-id", "abc")
            .send()
            .await
            .unwrap();
        assert_eq!(bad_header.status(), 400);
        let (status, body) =
            get_json(&server.key, &format!("{}/api/v1/action-executions/missing/log/events", server.url)).await;
        assert_eq!((status, body["__type"].as_str()), (400, Some("ActionExecutionNotFoundException")));
        create_pipeline(&server, "known").await;
        let (status, body) =
            get_json(&server.key, &format!("{}/api/v1/pipelines/known/executions/missing/events", server.url)).await;
        assert_eq!((status, body["__type"].as_str()), (400, Some("PipelineExecutionNotFoundException")));
        server
    })
    .await;
}

/// A user denied one pipeline cannot open its streams, and the shared stream and the approvals
/// list leave its events out.
#[tokio::test]
async fn streams_carry_only_pipelines_the_caller_may_read() {
    on_both_backends(|server| async move {
        let (_, narrow) = server.client_as("narrow", Role::Viewer).await;
        let deny = json!({ "Statement": {
            "Effect": "Deny", "Action": "codepipeline:*", "Resource": format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:hidden")
        }});
        server.engine.identity().put_user_policy("narrow", "no-hidden", &deny.to_string()).await.unwrap();
        create_pipeline(&server, "hidden").await;
        let mut hidden = SseStream::open(&format!("{}/api/v1/pipelines/hidden/events", server.url), &server.key, Some(0)).await;
        read_until_approval(&mut hidden).await;
        create_pipeline(&server, "shown").await;

        let mut everything = SseStream::open(&format!("{}/api/v1/events", server.url), &narrow, Some(0)).await;
        let seen = read_until_approval(&mut everything).await;
        assert!(seen.iter().all(|e| e.json()["detail"]["pipeline"] == "shown"), "{seen:?}");
        let (_, listed) = get_json(&narrow, &format!("{}/api/v1/approvals", server.url)).await;
        let pipelines: Vec<&str> = listed["approvals"].as_array().unwrap().iter().map(|a| a["pipelineName"].as_str().unwrap()).collect();
        assert_eq!(pipelines, ["shown"]);
        let (_, listed) = get_json(&server.key, &format!("{}/api/v1/approvals", server.url)).await;
        assert_eq!(listed["approvals"].as_array().unwrap().len(), 2, "the admin sees both: {listed}");

        let (status, body) = get_json(&narrow, &format!("{}/api/v1/pipelines/hidden/events", server.url)).await;
        assert_eq!((status, body["__type"].as_str()), (403, Some("AccessDeniedException")));
        server
    })
    .await;
}
