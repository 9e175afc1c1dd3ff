//! Notifications end to end, on SQLite and PostgreSQL: EventBridge rules on Sluice's endpoint,
//! their webhook and pipeline targets, with a real HTTP receiver in the test. A failing pipeline
//! posts signed, shaped webhooks; a rule starts another pipeline with variables from the event; a
//! receiver that is down gets its delivery when it comes back; a refused delivery is dead-lettered
//! and replayed; targets Sluice cannot deliver to are refused at PutTargets, and so is a sixth
//! target however the calls race; PutEvents' custom events reach the rules that match them; a
//! target's RetryPolicy decides when its delivery is given up.
mod common;

use common::receiver::Receiver;
use common::services::create_failing_pipeline;
use common::{on_both_backends, TestServer, ACCOUNT, REGION};
use engine::identity::Role;
use engine::notify::{Delivery, DeliveryStatus};
use serde_json::{json, Value};
use server::config::{DeliveryCommand, StoreArgs};
use std::time::Duration;

/// A rule matching the failure of `pipeline`, with `targets`.
async fn failure_rule(server: &TestServer, rule: &str, pipeline: &str, targets: Value) {
    let pattern = json!({
        "source": ["aws.codepipeline"],
        "detail-type": ["CodePipeline Pipeline Execution State Change"],
        "detail": { "state": ["FAILED"], "pipeline": [pipeline] },
    });
    let put = server.events("PutRule", json!({ "Name": rule, "EventPattern": pattern.to_string() })).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let put = server.events("PutTargets", json!({ "Rule": rule, "Targets": targets })).await;
    assert_eq!((put.status, &put.json["FailedEntryCount"]), (200, &json!(0)), "{}", put.text);
}

fn webhook_arn(endpoint: &str) -> String {
    format!("arn:aws:events:{REGION}:{ACCOUNT}:api-destination/{endpoint}")
}

/// Waits until the engine's delivery log satisfies `done` (10 s at most) and returns it.
async fn deliveries_until(server: &TestServer, done: impl Fn(&[Delivery]) -> bool) -> Vec<Delivery> {
    for _ in 0..500 {
        let deliveries = server.engine.deliveries(None, 100).await.unwrap();
        if done(&deliveries) {
            return deliveries;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the deliveries never got there: {:?}", server.engine.deliveries(None, 100).await.unwrap());
}

fn hmac_hex(secret: &str, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_failing_pipeline_posts_signed_and_shaped_webhooks_once() {
    on_both_backends(|server| async move {
        let receiver = Receiver::start().await;
        let headers = json!({ "X-Team": "deploys", "X-Sluice-Signing-Secret": "s3cret" });
        let chat = json!({
            "InputPathsMap": { "p": "$.detail.pipeline", "s": "$.detail.state" },
            "InputTemplate": r#"{"text": "Pipeline <p> <s> (rule <aws.events.rule-name>)"}"#,
        });
        let targets = json!([
            { "Id": "full", "Arn": webhook_arn(&receiver.url("/hooks/full")),
              "HttpParameters": { "HeaderParameters": headers } },
            { "Id": "chat", "Arn": webhook_arn(&format!("PUT/{}", receiver.url("/hooks/chat"))), "InputTransformer": chat },
        ]);
        failure_rule(&server, "failures", "broken", targets).await;
        create_failing_pipeline(&server, "broken", json!([])).await;

        let received = receiver.wait_for(2, Duration::from_secs(20)).await;
        let full = received.iter().find(|r| r.path == "/hooks/full").expect("the whole event came");
        let event = full.json();
        assert_eq!(event["source"], "aws.codepipeline");
        assert_eq!((event["detail"]["pipeline"].as_str(), event["detail"]["state"].as_str()), (Some("broken"), Some("FAILED")));
        assert_eq!(full.header("x-team"), "deploys");
        assert_eq!(full.header("x-sluice-signature-256"), hmac_hex("s3cret", &full.body), "signed with the secret");
        assert!(full.headers.get("x-sluice-signing-secret").is_none(), "the secret itself is never sent");
        let chat = received.iter().find(|r| r.path == "/hooks/chat").expect("the chat message came");
        assert_eq!(chat.json(), json!({ "text": "Pipeline broken FAILED (rule failures)" }));
        assert!(chat.headers.get("x-sluice-signature-256").is_none(), "no secret, no signature");

        let listed = server.events("ListTargetsByRule", json!({ "Rule": "failures" })).await;
        let full_target = listed.json["Targets"].as_array().unwrap().iter().find(|t| t["Id"] == "full").unwrap().clone();
        assert_eq!(full_target["HttpParameters"]["HeaderParameters"], json!({ "X-Team": "deploys", "X-Sluice-Signing-Secret": "****" }));
        // The receiver has answered; the sender records that a moment later.
        let stored = deliveries_until(&server, |d| d.iter().all(|d| d.status == DeliveryStatus::Delivered)).await;
        assert_eq!(stored.len(), 2);
        assert!(stored.iter().all(|d| d.attempts == 1), "{stored:?}");
        assert!(stored.iter().all(|d| d.last_response.as_deref().unwrap_or_default().starts_with("HTTP 200")));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(receiver.received().len(), 2, "each event is delivered once");
        server
    })
    .await;
}

#[tokio::test]
async fn targets_sluice_cannot_deliver_to_are_refused() {
    on_both_backends(|server| async move {
        failure_rule(&server, "r", "p", json!([])).await;
        let refused = [
            (json!({ "Id": "ftp", "Arn": webhook_arn("ftp://files.example.com/x") }), "http://"),
            (json!({ "Id": "file", "Arn": webhook_arn("file:///etc/passwd") }), "http://"),
            (json!({ "Id": "f", "Arn": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:f") }), "cannot deliver"),
            (json!({ "Id": "other", "Arn": "arn:aws:codepipeline:eu-west-1:111111111111:p" }), "region and account"),
            (
                json!({ "Id": "p", "Arn": format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:p"),
                        "HttpParameters": { "HeaderParameters": { "X": "y" } } }),
                "webhook",
            ),
            (
                json!({ "Id": "q", "Arn": webhook_arn("https://example.com/"),
                        "HttpParameters": { "QueryStringParameters": { "a": "b" } } }),
                "not supported",
            ),
        ];
        for (target, why) in refused {
            let put = server.events("PutTargets", json!({ "Rule": "r", "Targets": [target] })).await;
            assert_eq!(put.error_type(), "ValidationException", "{target}: {}", put.text);
            assert!(put.json["message"].as_str().unwrap().contains(why), "{}", put.text);
        }
        let listed = server.events("ListTargetsByRule", json!({ "Rule": "r" })).await;
        assert_eq!(listed.json["Targets"], json!([]));
        server
    })
    .await;
}

#[tokio::test]
async fn a_rule_starts_another_pipeline_with_variables_from_the_event() {
    use aws_sdk_codepipeline::types::ExecutionTrigger;
    on_both_backends(|server| async move {
        create_failing_pipeline(&server, "downstream", json!([{ "name": "FROM", "defaultValue": "nobody" }])).await;
        let start = json!({
            "InputPathsMap": { "p": "$.detail.pipeline" },
            "InputTemplate": r#"{"variables": [{"name": "FROM", "value": "<p>"}]}"#,
        });
        let arn = format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:downstream");
        failure_rule(&server, "chain", "upstream", json!([{ "Id": "next", "Arn": arn, "InputTransformer": start }]))
            .await;
        create_failing_pipeline(&server, "upstream", json!([])).await;

        let delivered = deliveries_until(&server, |d| d.iter().any(|d| d.status == DeliveryStatus::Delivered)).await;
        assert!(delivered[0].last_response.as_deref().unwrap().starts_with("Started execution"), "{delivered:?}");
        let listed = server.client.list_pipeline_executions().pipeline_name("downstream").send().await.unwrap();
        let by_rule: Vec<_> = listed
            .pipeline_execution_summaries()
            .iter()
            .filter(|e| {
                e.trigger().and_then(ExecutionTrigger::trigger_type).map(|t| t.as_str()) == Some("CloudWatchEvent")
            })
            .collect();
        assert_eq!(by_rule.len(), 1, "one execution per matched event");
        let trigger = by_rule[0].trigger().unwrap();
        assert_eq!(trigger.trigger_detail(), Some(format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/chain").as_str()));
        let id = by_rule[0].pipeline_execution_id().unwrap();
        let got = server.client.get_pipeline_execution().pipeline_name("downstream").pipeline_execution_id(id);
        let execution = got.send().await.unwrap().pipeline_execution.unwrap();
        let variables: Vec<_> = execution.variables().iter().map(|v| (v.name(), v.resolved_value())).collect();
        assert_eq!(variables, [(Some("FROM"), Some("upstream"))]);
        server
    })
    .await;
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_its_delivery_when_it_comes_back() {
    on_both_backends(|server| async move {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/hook");
        failure_rule(&server, "failures", "broken", json!([{ "Id": "hook", "Arn": webhook_arn(&url) }])).await;
        create_failing_pipeline(&server, "broken", json!([])).await;
        let failed = deliveries_until(&server, |d| d.iter().any(|d| d.last_response.is_some())).await;
        assert_eq!((failed[0].status, failed[0].attempts), (DeliveryStatus::Pending, 1), "{failed:?}");

        let receiver = Receiver::on(port).await;
        let received = receiver.wait_for(1, Duration::from_secs(15)).await;
        assert_eq!(received[0].json()["detail"]["state"], "FAILED");
        let done = deliveries_until(&server, |d| d[0].status == DeliveryStatus::Delivered).await;
        assert!(done[0].attempts >= 2, "{done:?}");
        server
    })
    .await;
}

#[tokio::test]
async fn a_refused_delivery_is_dead_lettered_and_an_admin_replays_it() {
    on_both_backends(|server| async move {
        let receiver = Receiver::start().await;
        receiver.answer_with(404);
        let arn = webhook_arn(&receiver.url("/gone"));
        failure_rule(&server, "failures", "broken", json!([{ "Id": "hook", "Arn": arn }])).await;
        create_failing_pipeline(&server, "broken", json!([])).await;
        let dead = deliveries_until(&server, |d| d.iter().any(|d| d.status == DeliveryStatus::Dead)).await;
        assert!(dead[0].last_response.as_deref().unwrap().starts_with("HTTP 404"), "{dead:?}");
        assert_eq!(server.engine.deliveries(Some(DeliveryStatus::Dead), 10).await.unwrap().len(), 1);

        receiver.answer_with(200);
        // `sluice delivery replay` from another process: the server finds it at its next poll.
        let store = StoreArgs { data_dir: server.data_dir.clone(), database_url: Some(server.database_url().into()) };
        let replay = |store: StoreArgs| server::deliveries::command(DeliveryCommand::Replay { id: dead[0].id, store });
        replay(store.clone()).await.unwrap();
        deliveries_until(&server, |d| d[0].status == DeliveryStatus::Delivered).await;
        assert_eq!(receiver.received().len(), 2, "once refused, once accepted");
        let again = replay(store).await.unwrap_err();
        assert!(again.to_string().contains("no dead delivery"), "{again}");
        server
    })
    .await;
}

#[tokio::test]
async fn put_events_reach_the_rules_that_match_them_and_bad_entries_are_answered_one_by_one() {
    on_both_backends(|server| async move {
        let receiver = Receiver::start().await;
        let pattern = json!({ "source": ["com.example.deploys"], "detail": { "env": ["prod"] } });
        server.events("PutRule", json!({ "Name": "custom", "EventPattern": pattern.to_string() })).await;
        let target = json!([{ "Id": "hook", "Arn": webhook_arn(&receiver.url("/custom")) }]);
        server.events("PutTargets", json!({ "Rule": "custom", "Targets": target })).await;

        let entry =
            |source: &str, detail: &str| json!({ "Source": source, "DetailType": "Deploy done", "Detail": detail });
        let entries = json!([
            entry("com.example.deploys", r#"{"env": "prod", "version": "1.4.2"}"#),
            entry("com.example.deploys", r#"{"env": "staging"}"#),
            entry("aws.codepipeline", r#"{"env": "prod"}"#),
            entry("com.example.deploys", "[1, 2]"),
            json!({ "Source": "com.example.deploys", "Detail": "{}" }),
        ]);
        let put = server.events("PutEvents", json!({ "Entries": entries })).await;
        assert_eq!((put.status, &put.json["FailedEntryCount"]), (200, &json!(3)), "{}", put.text);
        let codes: Vec<_> = put.json["Entries"].as_array().unwrap().iter().map(|e| e["ErrorCode"].clone()).collect();
        assert_eq!(
            codes,
            [
                Value::Null,
                Value::Null,
                json!("NotAuthorizedForSourceException"),
                json!("MalformedDetail"),
                json!("InvalidArgument")
            ]
        );
        let id = put.json["Entries"][0]["EventId"].as_str().unwrap().to_owned();

        let received = receiver.wait_for(1, Duration::from_secs(10)).await;
        let event = received[0].json();
        assert_eq!(
            (&event["id"], &event["source"], &event["detail"]["version"]),
            (&json!(id), &json!("com.example.deploys"), &json!("1.4.2"))
        );
        assert_eq!(event["detail-type"], "Deploy done");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.received().len(), 1, "the staging event matches no rule");

        let eleven: Vec<Value> = (0..11).map(|_| entry("com.example.deploys", "{}")).collect();
        let too_many = server.events("PutEvents", json!({ "Entries": eleven })).await;
        assert_eq!(too_many.error_type(), "ValidationException", "{}", too_many.text);
        let (_, viewer) = server.client_as("watcher", Role::Viewer).await;
        let denied = server.events_as(&viewer, "PutEvents", json!({ "Entries": [entry("com.example.x", "{}")] })).await;
        assert_eq!(denied.error_type(), "AccessDeniedException", "{}", denied.text);
        server
    })
    .await;
}

#[tokio::test]
async fn a_rule_never_gets_a_sixth_target_however_the_calls_race() {
    on_both_backends(|server| async move {
        failure_rule(&server, "busy", "p", json!([])).await;
        let arn = |n: usize| format!("arn:aws:codepipeline:{REGION}:{ACCOUNT}:target-{n}");
        let batch = |from: usize| {
            let targets: Vec<Value> =
                (from..from + 3).map(|n| json!({ "Id": format!("t{n}"), "Arn": arn(n) })).collect();
            json!({ "Rule": "busy", "Targets": targets })
        };
        let (first, second) =
            tokio::join!(server.events("PutTargets", batch(0)), server.events("PutTargets", batch(3)));
        let mut outcomes = [first.error_type().to_owned(), second.error_type().to_owned()];
        outcomes.sort();
        assert_eq!(outcomes, ["", "LimitExceededException"], "{} / {}", first.text, second.text);
        let listed = server.events("ListTargetsByRule", json!({ "Rule": "busy" })).await;
        assert_eq!(listed.json["Targets"].as_array().unwrap().len(), 3, "{}", listed.text);
        let missing = server.events("PutTargets", json!({ "Rule": "none", "Targets": [] })).await;
        assert_eq!(missing.error_type(), "ResourceNotFoundException", "{}", missing.text);
        server
    })
    .await;
}

#[tokio::test]
async fn a_targets_retry_policy_decides_when_a_delivery_is_given_up() {
    on_both_backends(|server| async move {
        let receiver = Receiver::start().await;
        receiver.answer_with(503);
        let retry = json!({ "MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60 });
        let target = json!([{ "Id": "once", "Arn": webhook_arn(&receiver.url("/once")), "RetryPolicy": retry }]);
        failure_rule(&server, "failures", "broken", target).await;
        let listed = server.events("ListTargetsByRule", json!({ "Rule": "failures" })).await;
        assert_eq!(listed.json["Targets"][0]["RetryPolicy"], retry, "{}", listed.text);

        create_failing_pipeline(&server, "broken", json!([])).await;
        let dead = deliveries_until(&server, |d| d.iter().any(|d| d.status == DeliveryStatus::Dead)).await;
        assert_eq!(dead[0].attempts, 1, "no retry after a 503 with MaximumRetryAttempts 0: {dead:?}");
        assert_eq!(receiver.received().len(), 1);

        let refused = [
            (json!({ "Id": "dlq", "Arn": webhook_arn("https://example.com/"), "DeadLetterConfig": { "Arn": "arn:aws:sqs:us-east-1:000000000000:dlq" } }), "dead-letter list"),
            (json!({ "Id": "many", "Arn": webhook_arn("https://example.com/"), "RetryPolicy": { "MaximumRetryAttempts": 186 } }), "0 to 185"),
            (json!({ "Id": "young", "Arn": webhook_arn("https://example.com/"), "RetryPolicy": { "MaximumEventAgeInSeconds": 59 } }), "60 to 86400"),
        ];
        for (target, why) in refused {
            let put = server.events("PutTargets", json!({ "Rule": "failures", "Targets": [target] })).await;
            assert_eq!(put.error_type(), "ValidationException", "{}", put.text);
            assert!(put.json["message"].as_str().unwrap().contains(why), "{}", put.text);
        }
        server
    })
    .await;
}
