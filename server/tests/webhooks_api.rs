//! CodePipeline's webhooks through the real SDK, with GitHub's own example payloads
//! (`@octokit/webhooks-examples`, installed with the browser tests' packages) signed as GitHub
//! signs them: a push on the watched branch starts the pipeline once however often it is
//! delivered, a tag push or a ping starts nothing, a wrong signature or address is refused and
//! shown on the webhook, and bad declarations get CodePipeline's exceptions.
mod common;

use aws_sdk_codepipeline::types::{
    PipelineExecutionSummary, TriggerType, WebhookAuthConfiguration, WebhookAuthenticationType, WebhookDefinition,
    WebhookFilterRule,
};
use common::git_hosts::{github_examples, github_signature};
use common::{commands_action, new_user_with_key, on_both_backends, sdk_client, upload_zip, TestServer};
use serde_json::{json, Value};

const SECRET: &str = "It's a Secret to Everybody";

/// Posts `payload` to the webhook at `url` as GitHub would; returns (status, JSON answer).
async fn deliver(url: &str, event: &str, delivery: &str, payload: &Value, signature: Option<String>) -> (u16, Value) {
    let body = serde_json::to_vec(payload).unwrap();
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("user-agent", "GitHub-Hookshot/044aadd");
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create_pipeline(server: &TestServer, name: &str) {
    upload_zip(&server.url, &server.key, "sources", "app.zip", &[("README", "hello")]).await;
    let check = json!({ "name": "Check", "actions": [commands_action("Check", 1, &["true"], "Src", None)] });
    let declaration = common::v2_pipeline_with_s3_source(name, "sources", "app.zip", vec![check]);
    let answer = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

fn definition(
    name: &str,
    pipeline: &str,
    filters: Vec<WebhookFilterRule>,
    authentication: WebhookAuthenticationType,
    configuration: WebhookAuthConfiguration,
) -> WebhookDefinition {
    WebhookDefinition::builder()
        .name(name)
        .target_pipeline(pipeline)
        .target_action("Source")
        .set_filters(Some(filters))
        .authentication(authentication)
        .authentication_configuration(configuration)
        .build()
        .unwrap()
}

fn filter(path: &str, equals: &str) -> WebhookFilterRule {
    WebhookFilterRule::builder().json_path(path).match_equals(equals).build().unwrap()
}

/// Where the server listens for the webhook whose URL (at the configured public URL) is `url`.
fn local(server: &TestServer, url: &str) -> String {
    let path = &url[url.find("/webhooks/").expect("a webhook URL")..];
    format!("{}{path}", server.url)
}

async fn webhook_runs(server: &TestServer, pipeline: &str) -> Vec<PipelineExecutionSummary> {
    let listed = server.client.list_pipeline_executions().pipeline_name(pipeline).send().await.unwrap();
    let webhook =
        |e: &&PipelineExecutionSummary| e.trigger().and_then(|t| t.trigger_type()) == Some(&TriggerType::Webhook);
    listed.pipeline_execution_summaries().iter().filter(webhook).cloned().collect()
}

#[tokio::test]
async fn a_signed_push_on_the_branch_starts_the_pipeline_once_and_nothing_else_does() {
    on_both_backends(|server| async move {
        create_pipeline(&server, "web").await;
        let filters =
            vec![filter("$.ref", "refs/heads/master"), filter("$.repository.full_name", "Codertocat/Hello-World")];
        let secret = WebhookAuthConfiguration::builder().secret_token(SECRET).build();
        let put = server
            .client
            .put_webhook()
            .webhook(definition("web-github", "web", filters, WebhookAuthenticationType::GithubHmac, secret))
            .tags(aws_sdk_codepipeline::types::Tag::builder().key("team").value("web").build().unwrap())
            .send()
            .await
            .unwrap();
        let item = put.webhook().unwrap();
        let arn = "arn:aws:codepipeline:us-east-1:000000000000:webhook:web-github";
        assert_eq!(item.arn(), Some(arn));
        assert_ne!(item.definition().unwrap().authentication_configuration().unwrap().secret_token(), Some(SECRET));
        let url = local(&server, item.url());

        let pushes = github_examples("push");
        let branch_push = pushes.iter().find(|p| p["ref"] == "refs/heads/master").unwrap();
        let tag_push = pushes.iter().find(|p| p["ref"] == "refs/tags/simple-tag").unwrap();
        let sign = |payload: &Value| Some(github_signature(SECRET, &serde_json::to_vec(payload).unwrap()));

        let (status, started) = deliver(&url, "push", "d-1", branch_push, sign(branch_push)).await;
        assert_eq!(status, 200, "{started}");
        let execution_id = started["pipelineExecutionId"].as_str().expect("an execution started").to_owned();
        // GitHub redelivers on a timeout, with the same delivery id: the same execution.
        let (status, again) = deliver(&url, "push", "d-1", branch_push, sign(branch_push)).await;
        assert_eq!((status, again["pipelineExecutionId"].as_str()), (200, Some(execution_id.as_str())));

        let (status, tag) = deliver(&url, "push", "d-2", tag_push, sign(tag_push)).await;
        assert_eq!(status, 200);
        assert!(tag["ignored"].as_str().unwrap().contains("refs/tags/simple-tag"), "{tag}");
        let ping = &github_examples("ping")[0];
        let (status, pong) = deliver(&url, "ping", "d-3", ping, sign(ping)).await;
        assert_eq!((status, pong["ignored"].is_string()), (200, true), "{pong}");

        let runs = webhook_runs(&server, "web").await;
        assert_eq!(runs.len(), 1, "one execution for two deliveries of one push: {runs:#?}");
        assert_eq!(runs[0].pipeline_execution_id(), Some(execution_id.as_str()));
        let detail = runs[0].trigger().unwrap().trigger_detail();
        assert_eq!(detail, Some(arn));
        let listed = server.client.list_webhooks().send().await.unwrap();
        let listed = &listed.webhooks()[0];
        assert!(listed.last_triggered().is_some());
        assert_eq!(listed.error_code(), None);
        assert_eq!(listed.tags().len(), 1);

        // A wrong signature, or none, starts nothing and is what the webhook shows next.
        let (status, refused) = deliver(&url, "push", "d-4", branch_push, Some(github_signature("guess", b"x"))).await;
        assert_eq!(status, 401, "{refused}");
        let (status, _) = deliver(&url, "push", "d-5", branch_push, None).await;
        assert_eq!(status, 401);
        let listed = server.client.list_webhooks().send().await.unwrap();
        let listed = &listed.webhooks()[0];
        assert_eq!(listed.error_code(), Some("AuthenticationFailed"));
        assert!(listed.error_message().unwrap().contains("X-Hub-Signature-256"));
        assert_eq!(webhook_runs(&server, "web").await.len(), 1);

        // Deleted, its address answers 404; deleting again succeeds, as on AWS.
        server.client.delete_webhook().name("web-github").send().await.unwrap();
        server.client.delete_webhook().name("web-github").send().await.unwrap();
        let (status, _) = deliver(&url, "push", "d-6", branch_push, sign(branch_push)).await;
        assert_eq!(status, 404);
        assert!(server.client.list_webhooks().send().await.unwrap().webhooks().is_empty());
        server
    })
    .await;
}

#[tokio::test]
async fn address_ranges_and_declarations_are_checked() {
    let server = TestServer::start(engine::testing::TestBackend::Sqlite).await;
    create_pipeline(&server, "web").await;
    let range = |cidr: &str| WebhookAuthConfiguration::builder().allowed_ip_range(cidr).build();
    let put = |definition: WebhookDefinition| server.client.put_webhook().webhook(definition).send();

    let local_only =
        put(definition("local", "web", vec![], WebhookAuthenticationType::Ip, range("127.0.0.0/8"))).await.unwrap();
    let elsewhere =
        put(definition("elsewhere", "web", vec![], WebhookAuthenticationType::Ip, range("10.0.0.0/8"))).await.unwrap();
    let payload = json!({ "ref": "refs/heads/main" });
    let (status, started) =
        deliver(&local(&server, local_only.webhook().unwrap().url()), "push", "a", &payload, None).await;
    assert_eq!(status, 200, "{started}");
    assert!(started["pipelineExecutionId"].is_string());
    let (status, _) = deliver(&local(&server, elsewhere.webhook().unwrap().url()), "push", "b", &payload, None).await;
    assert_eq!(status, 401);

    let exception = |err: aws_sdk_codepipeline::error::SdkError<_, _>| {
        use aws_sdk_codepipeline::error::ProvideErrorMetadata;
        let err: aws_sdk_codepipeline::operation::put_webhook::PutWebhookError = err.into_service_error();
        (err.code().unwrap_or_default().to_owned(), err.message().unwrap_or_default().to_owned())
    };
    let none = WebhookAuthConfiguration::builder().build();
    let cases = [
        (
            definition("h", "missing", vec![], WebhookAuthenticationType::Unauthenticated, none.clone()),
            "PipelineNotFoundException",
        ),
        (
            definition("h", "web", vec![], WebhookAuthenticationType::GithubHmac, none.clone()),
            "InvalidWebhookAuthenticationParametersException",
        ),
        (
            definition("h", "web", vec![], WebhookAuthenticationType::Ip, range("10.0.0.1")),
            "InvalidWebhookAuthenticationParametersException",
        ),
        (
            definition("h", "web", vec![filter("ref", "x")], WebhookAuthenticationType::Unauthenticated, none.clone()),
            "InvalidWebhookFilterPatternException",
        ),
        (
            definition(
                "h",
                "web",
                vec![filter("$.ref", "refs/heads/{Branch}")],
                WebhookAuthenticationType::Unauthenticated,
                none.clone(),
            ),
            "InvalidWebhookFilterPatternException",
        ),
        (
            definition(
                "h",
                "web",
                vec![filter("$.a", "1"); 6],
                WebhookAuthenticationType::Unauthenticated,
                none.clone(),
            ),
            "InvalidWebhookFilterPatternException",
        ),
        (
            definition("../h", "web", vec![], WebhookAuthenticationType::Unauthenticated, none.clone()),
            "ValidationException",
        ),
    ];
    for (declaration, expected) in cases {
        let (code, message) = exception(put(declaration.clone()).await.unwrap_err());
        assert_eq!(code, expected, "{declaration:?}: {message}");
    }
    let not_a_source = WebhookDefinition::builder()
        .name("h")
        .target_pipeline("web")
        .target_action("Check")
        .set_filters(Some(vec![]))
        .authentication(WebhookAuthenticationType::Unauthenticated)
        .authentication_configuration(none.clone())
        .build()
        .unwrap();
    let (code, message) = exception(put(not_a_source).await.unwrap_err());
    assert_eq!(code, "ValidationException");
    assert!(message.contains("no source action named 'Check'"), "{message}");

    // A Viewer may list webhooks but not make one.
    let viewer_key = new_user_with_key(&server.engine, "vic", engine::identity::Role::Viewer).await;
    let viewer = sdk_client(&server.url, &viewer_key.0, &viewer_key.1);
    assert_eq!(viewer.list_webhooks().send().await.unwrap().webhooks().len(), 2);
    let refused = viewer
        .put_webhook()
        .webhook(definition("v", "web", vec![], WebhookAuthenticationType::Unauthenticated, none))
        .send()
        .await
        .unwrap_err();
    assert_eq!(exception(refused).0, "AccessDeniedException");

    // Registering with GitHub is refused with the set-up to do by hand; an unknown webhook is named.
    let register = server.client.register_webhook_with_third_party().webhook_name("local").send().await.unwrap_err();
    let register = register.into_service_error();
    assert!(aws_sdk_codepipeline::error::ProvideErrorMetadata::message(&register).unwrap().contains("/webhooks/"));
    let unknown = server.client.register_webhook_with_third_party().webhook_name("nope").send().await.unwrap_err();
    assert!(unknown.into_service_error().is_webhook_not_found_exception());
    server.stop().await;
}
