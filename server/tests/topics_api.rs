//! SNS-style topics over the Query protocol, on SQLite and PostgreSQL, with a real HTTP receiver
//! and a real SMTP server (aiosmtpd): subscriptions confirmed as SNS confirms them (a
//! SubscriptionConfirmation POST with a token, a link by e-mail), Publish to confirmed
//! subscribers only, SNS's error codes, the role rules; and a failing pipeline that e-mails the
//! subscribers of its rule's topic and posts to a webhook, a canceled one too, and a user who
//! watches a pipeline gets its failures once they confirm their address.
mod common;

use common::receiver::Receiver;
use common::smtp::SmtpServer;
use common::{on_both_backends, TestServer, ACCOUNT, BACKENDS, REGION};
use engine::identity::Role;
use serde_json::json;
use std::time::Duration;

/// The text of the first `<tag>` element.
fn xml<'a>(text: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = text.find(&open).map(|i| i + open.len()).unwrap_or_else(|| panic!("no <{tag}> in {text}"));
    &text[start..start + text[start..].find(&format!("</{tag}>")).unwrap()]
}

fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}")
}

#[tokio::test]
async fn topics_and_http_subscriptions_work_as_on_sns() {
    on_both_backends(|server| async move {
        let created = server.sns(&[("Action", "CreateTopic"), ("Name", "deploys")]).await;
        assert_eq!(created.status, 200, "{}", created.text);
        assert!(created.text.starts_with("<CreateTopicResponse"), "{}", created.text);
        let arn = xml(&created.text, "TopicArn").to_owned();
        assert_eq!(arn, topic_arn("deploys"));
        let again = server.sns(&[("Action", "CreateTopic"), ("Name", "deploys")]).await;
        assert_eq!(xml(&again.text, "TopicArn"), arn, "CreateTopic is idempotent");

        let receiver = Receiver::start().await;
        let endpoint = receiver.url("/sns");
        let subscribed = server
            .sns(&[("Action", "Subscribe"), ("TopicArn", &arn), ("Protocol", "http"), ("Endpoint", &endpoint)])
            .await;
        assert_eq!(xml(&subscribed.text, "SubscriptionArn"), "pending confirmation");
        let confirmation = receiver.wait_for(1, Duration::from_secs(10)).await.remove(0);
        assert_eq!(confirmation.header("x-amz-sns-message-type"), "SubscriptionConfirmation");
        let request = confirmation.json();
        let token = request["Token"].as_str().unwrap().to_owned();
        assert!(request["SubscribeURL"].as_str().unwrap().starts_with(&format!("{}/sns/confirm?", server.url)));

        let published = server.sns(&[("Action", "Publish"), ("TopicArn", &arn), ("Message", "before")]).await;
        assert_eq!(published.status, 200, "{}", published.text);
        let attributes = server.sns(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]).await;
        assert!(attributes.text.contains("<key>SubscriptionsPending</key><value>1</value>"), "{}", attributes.text);

        let bad = server.sns(&[("Action", "ConfirmSubscription"), ("TopicArn", &arn), ("Token", "nope")]).await;
        assert_eq!((bad.status, xml(&bad.text, "Code")), (400, "InvalidParameter"), "{}", bad.text);
        let confirmed = server.sns(&[("Action", "ConfirmSubscription"), ("TopicArn", &arn), ("Token", &token)]).await;
        let subscription_arn = xml(&confirmed.text, "SubscriptionArn").to_owned();
        assert!(subscription_arn.starts_with(&format!("{arn}:")), "{}", confirmed.text);

        let published =
            server.sns(&[("Action", "Publish"), ("TopicArn", &arn), ("Subject", "Hi"), ("Message", "after")]).await;
        let message_id = xml(&published.text, "MessageId").to_owned();
        let received = receiver.wait_for(2, Duration::from_secs(10)).await;
        let note = &received[1];
        assert_eq!(note.header("x-amz-sns-message-type"), "Notification");
        assert_eq!(note.header("x-amz-sns-subscription-arn"), subscription_arn);
        let body = note.json();
        assert_eq!((body["Message"].as_str(), body["Subject"].as_str()), (Some("after"), Some("Hi")));
        assert_eq!(body["MessageId"], message_id.as_str());

        let listed = server.sns(&[("Action", "ListSubscriptionsByTopic"), ("TopicArn", &arn)]).await;
        assert_eq!(xml(&listed.text, "SubscriptionArn"), subscription_arn);
        assert_eq!(xml(&listed.text, "Endpoint"), endpoint);
        let gone = server.sns(&[("Action", "Unsubscribe"), ("SubscriptionArn", &subscription_arn)]).await;
        assert_eq!(gone.status, 200, "{}", gone.text);
        server.sns(&[("Action", "Publish"), ("TopicArn", &arn), ("Message", "unheard")]).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(receiver.received().len(), 2, "nothing before the confirmation, nothing after unsubscribing");

        let listed = server.sns(&[("Action", "ListTopics")]).await;
        assert_eq!(xml(&listed.text, "TopicArn"), arn);
        server.sns(&[("Action", "DeleteTopic"), ("TopicArn", &arn)]).await;
        let missing = server.sns(&[("Action", "GetTopicAttributes"), ("TopicArn", &arn)]).await;
        assert_eq!((missing.status, xml(&missing.text, "Code")), (404, "NotFound"), "{}", missing.text);
        server
    })
    .await;
}

#[tokio::test]
async fn bad_requests_get_sns_error_codes_and_viewers_only_read() {
    on_both_backends(|server| async move {
        let arn = xml(&server.sns(&[("Action", "CreateTopic"), ("Name", "t")]).await.text, "TopicArn").to_owned();
        let none = topic_arn("none");
        let refused = [
            (vec![("Action", "CreateTopic"), ("Name", "bad name")], "InvalidParameter"),
            (
                vec![("Action", "Subscribe"), ("TopicArn", &arn), ("Protocol", "sms"), ("Endpoint", "+1")],
                "InvalidParameter",
            ),
            (
                vec![("Action", "Subscribe"), ("TopicArn", &arn), ("Protocol", "http"), ("Endpoint", "ftp://x/y")],
                "InvalidParameter",
            ),
            (
                vec![
                    ("Action", "Subscribe"),
                    ("TopicArn", &arn),
                    ("Protocol", "email"),
                    ("Endpoint", "not-an-address"),
                ],
                "InvalidParameter",
            ),
            (vec![("Action", "Publish"), ("TopicArn", &arn)], "InvalidParameter"),
            (vec![("Action", "Publish"), ("TopicArn", &none), ("Message", "m")], "NotFound"),
            (vec![("Action", "SetTopicAttributes"), ("TopicArn", &arn)], "InvalidAction"),
        ];
        for (parameters, code) in refused {
            let answer = server.sns(&parameters).await;
            assert_eq!(xml(&answer.text, "Code"), code, "{parameters:?}: {}", answer.text);
        }
        let wrong_secret = (server.key.0.clone(), "x".repeat(40));
        let refused = server.sns_as(&wrong_secret, &[("Action", "ListTopics")]).await;
        assert_eq!((refused.status, xml(&refused.text, "Code")), (403, "SignatureDoesNotMatch"), "{}", refused.text);
        let unknown =
            server.sns_as(&("AKIAUNKNOWN000000000".into(), "x".repeat(40)), &[("Action", "ListTopics")]).await;
        assert_eq!(xml(&unknown.text, "Code"), "InvalidClientTokenId", "{}", unknown.text);
        let (_, viewer) = server.client_as("watcher", Role::Viewer).await;
        let listed = server.sns_as(&viewer, &[("Action", "ListTopics")]).await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        let denied = server.sns_as(&viewer, &[("Action", "CreateTopic"), ("Name", "mine")]).await;
        assert_eq!((denied.status, xml(&denied.text, "Code")), (403, "AuthorizationError"), "{}", denied.text);
        server
    })
    .await;
}

fn mail_through(smtp: &SmtpServer) -> server::config::NotifyArgs {
    server::config::NotifyArgs {
        smtp_url: Some(smtp.url().as_str().into()),
        mail_from: "Sluice <ci@example.com>".into(),
        ..Default::default()
    }
}

/// Subscribes ops@example.com to the topic and confirms it by following the e-mailed link.
async fn subscribe_by_mail(server: &TestServer, smtp: &SmtpServer, topic_arn: &str) {
    let before = smtp.received().len();
    let subscribe =
        [("Action", "Subscribe"), ("TopicArn", topic_arn), ("Protocol", "email"), ("Endpoint", "ops@example.com")];
    server.sns(&subscribe).await;
    let confirmation = smtp.wait_for(before + 1, Duration::from_secs(10)).await.remove(before);
    assert_eq!(confirmation.header("To"), "ops@example.com");
    assert_eq!(confirmation.header("Subject"), "Sluice Notification - Subscription Confirmation");
    let text = confirmation.text();
    let start = text.find(&format!("{}/sns/confirm?", server.url)).expect("a confirmation link");
    let link = text[start..].split_whitespace().next().unwrap().trim_end_matches(['"', '<']).to_owned();
    let page = reqwest::get(&link).await.unwrap();
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
}

/// Subscribes the receiver to the topic and confirms it with the token it was sent.
async fn subscribe_by_http(server: &TestServer, receiver: &Receiver, topic_arn: &str) {
    let endpoint = receiver.url("/sns");
    let subscribe = [("Action", "Subscribe"), ("TopicArn", topic_arn), ("Protocol", "http"), ("Endpoint", &endpoint)];
    server.sns(&subscribe).await;
    let request = receiver.wait_for(1, Duration::from_secs(10)).await.remove(0).json();
    let token = request["Token"].as_str().unwrap();
    let confirmed = server.sns(&[("Action", "ConfirmSubscription"), ("TopicArn", topic_arn), ("Token", token)]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
}

#[tokio::test]
async fn an_approval_emails_its_approvers_and_posts_awss_approval_message() {
    for backend in BACKENDS {
        let smtp = SmtpServer::start().await;
        let server = TestServer::start_with_mail(backend, mail_through(&smtp)).await;
        let arn =
            xml(&server.sns(&[("Action", "CreateTopic"), ("Name", "approvers")]).await.text, "TopicArn").to_owned();
        subscribe_by_mail(&server, &smtp, &arn).await;
        let receiver = Receiver::start().await;
        subscribe_by_http(&server, &receiver, &arn).await;

        common::upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "v1")]).await;
        let mut approve = common::approval_action("Release");
        approve["configuration"] = json!({
            "NotificationArn": arn, "CustomData": "Check the canary", "ExternalEntityLink": "https://example.com/canary",
        });
        let stages = vec![json!({ "name": "Approve", "actions": [approve] })];
        let declaration = common::v2_pipeline_with_s3_source("release", "sources", "app.zip", stages);
        let created = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);

        let mail = smtp.wait_for(2, Duration::from_secs(20)).await.remove(1);
        assert_eq!(mail.header("Subject"), "APPROVAL NEEDED: Sluice pipeline release for action Release");
        let text = mail.text();
        for expected in ["stage Approve", "Comments: Check the canary", "Review: https://example.com/canary"] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        assert!(text.contains(&format!("{}/approvals", server.url)), "{text}");
        let posted = receiver.wait_for(2, Duration::from_secs(10)).await.remove(1).json();
        let message: serde_json::Value = serde_json::from_str(posted["Message"].as_str().unwrap()).unwrap();
        let state = server.client.get_pipeline_state().name("release").send().await.unwrap();
        let action = &state.stage_states()[1].action_states()[0];
        let token = action.latest_execution().and_then(|e| e.token()).expect("the approval waits with a token");
        assert_eq!(message["approval"]["token"], token);
        assert_eq!(message["approval"]["customData"], "Check the canary");
        assert_eq!(message["region"], REGION);
        server.stop().await;
    }
}

/// A rule on pipelines reaching `state` with two targets: the topic `ops`, whose subscriber
/// ops@example.com has confirmed, and a webhook to the receiver it answers (`/chat`).
async fn mail_ops_and_post_to_chat(server: &TestServer, smtp: &SmtpServer, state: &str) -> Receiver {
    let arn = xml(&server.sns(&[("Action", "CreateTopic"), ("Name", "ops")]).await.text, "TopicArn").to_owned();
    subscribe_by_mail(server, smtp, &arn).await;
    let receiver = Receiver::start().await;
    let hook = format!("arn:aws:events:{REGION}:{ACCOUNT}:api-destination/{}", receiver.url("/chat"));
    let pattern =
        json!({ "detail-type": ["CodePipeline Pipeline Execution State Change"], "detail": { "state": [state] } });
    server.events("PutRule", json!({ "Name": "to-ops", "EventPattern": pattern.to_string() })).await;
    let targets = json!([{ "Id": "ops", "Arn": arn }, { "Id": "chat", "Arn": hook }]);
    let put = server.events("PutTargets", json!({ "Rule": "to-ops", "Targets": targets })).await;
    assert_eq!(put.status, 200, "{}", put.text);
    receiver
}

#[tokio::test]
async fn a_failing_pipeline_emails_the_topics_subscribers_and_posts_to_a_webhook() {
    for backend in BACKENDS {
        let smtp = SmtpServer::start().await;
        let server = TestServer::start_with_mail(backend, mail_through(&smtp)).await;
        let receiver = mail_ops_and_post_to_chat(&server, &smtp, "FAILED").await;
        common::services::create_failing_pipeline(&server, "broken", json!([])).await;

        let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
        let failure = &mails[1];
        assert_eq!(failure.header("Subject"), "Sluice: pipeline broken FAILED in stage Source, action Source");
        assert_eq!(failure.header("From"), "Sluice <ci@example.com>");
        let text = failure.text();
        assert!(text.contains("Error: s3://sources/missing.zip has no versions yet"), "{text}");
        assert!(text.contains(&format!("{}/pipelines/broken?execution=", server.url)), "{text}");
        assert!(failure.raw.contains("text/html"), "an HTML part beside the text");
        let posted = receiver.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(posted[0].json()["detail"]["pipeline"], "broken");
        server.stop().await;
    }
}

/// A pipeline whose run waits at an approval, so that an update cancels it.
async fn create_waiting_pipeline(server: &TestServer, name: &str) {
    common::upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "v1")]).await;
    let stages = vec![json!({ "name": "Approve", "actions": [common::approval_action("Release")] })];
    let declaration = common::v2_pipeline_with_s3_source(name, "sources", "app.zip", stages);
    let created = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
    assert_eq!(created.status, 200, "{}", created.text);
    for _ in 0..500 {
        let state = server.client.get_pipeline_state().name(name).send().await.unwrap();
        let waiting =
            state.stage_states().get(1).and_then(|s| s.action_states().first()).and_then(|a| a.latest_execution());
        if waiting.and_then(|e| e.token()).is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the approval never waited");
}

#[tokio::test]
async fn a_canceled_pipeline_emails_the_topics_subscribers_and_posts_to_a_webhook() {
    for backend in BACKENDS {
        let smtp = SmtpServer::start().await;
        let server = TestServer::start_with_mail(backend, mail_through(&smtp)).await;
        let receiver = mail_ops_and_post_to_chat(&server, &smtp, "CANCELED").await;
        create_waiting_pipeline(&server, "release").await;

        let mut got = server.raw("GetPipeline", json!({ "name": "release" }).to_string()).await.json;
        got["pipeline"]["stages"][1]["actions"][0]["name"] = json!("ReleaseNow");
        let updated = server.raw("UpdatePipeline", json!({ "pipeline": got["pipeline"] }).to_string()).await;
        assert_eq!(updated.status, 200, "{}", updated.text);

        let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
        assert!(
            mails[1].header("Subject").starts_with("Sluice: pipeline release CANCELED"),
            "{}",
            mails[1].header("Subject")
        );
        let posted = receiver.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(
            (&posted[0].json()["detail"]["pipeline"], &posted[0].json()["detail"]["state"]),
            (&json!("release"), &json!("CANCELED"))
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn a_user_who_watches_a_pipeline_gets_its_failures_once_they_confirm() {
    use engine::notify::watch::Watch;
    for backend in BACKENDS {
        let smtp = SmtpServer::start().await;
        let server = TestServer::start_with_mail(backend, mail_through(&smtp)).await;
        server.client_as("ann", Role::Viewer).await;
        let identity = server.engine.identity();
        let refused = identity.set_user_email("ann", "ann at example").await.unwrap_err();
        assert!(refused.to_string().contains("is not an e-mail address"), "{refused}");
        identity.set_user_email("ann", "ann@example.com").await.unwrap();
        let email = identity.user("ann").await.unwrap().email.unwrap();

        assert_eq!(server.engine.failure_watch("broken", Some(&email)).await.unwrap(), Watch::Off);
        assert_eq!(server.engine.watch_failures("broken", &email).await.unwrap(), Watch::Pending);
        let confirmation = smtp.wait_for(1, Duration::from_secs(10)).await.remove(0);
        assert_eq!(confirmation.header("To"), "ann@example.com");
        let text = confirmation.text();
        let start = text.find(&format!("{}/sns/confirm?", server.url)).expect("a confirmation link");
        let link = text[start..].split_whitespace().next().unwrap().trim_end_matches(['"', '<']).to_owned();
        assert_eq!(reqwest::get(&link).await.unwrap().status(), 200);
        assert_eq!(server.engine.failure_watch("broken", Some(&email)).await.unwrap(), Watch::On);

        common::services::create_failing_pipeline(&server, "broken", json!([])).await;
        common::services::create_failing_pipeline(&server, "other", json!([])).await;
        let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
        assert_eq!(mails[1].header("Subject"), "Sluice: pipeline broken FAILED in stage Source, action Source");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(smtp.received().len(), 2, "only the watched pipeline's failure");

        server.engine.unwatch_failures("broken", &email).await.unwrap();
        assert_eq!(server.engine.failure_watch("broken", Some(&email)).await.unwrap(), Watch::Off);
        server.stop().await;
    }
}
