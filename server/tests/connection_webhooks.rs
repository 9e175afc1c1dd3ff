//! A connection's webhook through a real server, the real `git` and an outside host that is a
//! folder (file://): GitHub deliveries built from GitHub's own examples and signed as GitHub
//! signs them, and a GitLab tag push with its token, start the V2 pipelines whose triggers
//! fire (trigger WebhookV2, the event's commit pinned and fetched even off every branch);
//! excluded branches and paths, bad signatures, unknown connections and redeliveries start
//! nothing; every delivery is recorded, and the record goes with its connection.
mod common;

use aws_sdk_codepipeline::types::{PipelineExecutionStatus, PipelineExecutionSummary, TriggerType};
use common::connections::{call, connection_of, ok, outside_repository, set_token};
use common::git::git;
use common::git_hosts::{github_examples, github_signature};
use common::runs::{create, executions, finished, trigger, wait_for};
use common::{check_stage, on_both_backends, v2_pipeline_with_source, TestServer};
use serde_json::{json, Value};
use std::path::Path;

/// `sluice connection webhook` prints the URL and secret; the secret, as the engine keeps it.
async fn webhook_secret(server: &TestServer, arn: &str) -> String {
    let command = server::config::ConnectionCommand::Webhook {
        connection: arn.to_owned(),
        public_url: server.url.clone(),
        account: server::config::AccountArgs { region: common::REGION.into(), account_id: common::ACCOUNT.into() },
        store: server::config::StoreArgs {
            data_dir: server.data_dir.clone(),
            database_url: Some(server.database_url().into()),
        },
    };
    server::auth::connection_commands::connection(command).await.unwrap();
    let (_, secret) = server.engine.connections().webhook_secret(arn).await.unwrap();
    secret
}

fn connection_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

/// Posts `body` to the webhook of connection `id` with `headers`; (status, JSON answer).
async fn post(server: &TestServer, id: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/connections/{id}/webhook", server.url))
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.body(body.to_vec()).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A GitHub delivery of `payload`, signed with `secret`.
async fn github(
    server: &TestServer,
    id: &str,
    secret: &str,
    event: &str,
    delivery: &str,
    payload: &Value,
) -> (u16, Value) {
    let body = serde_json::to_vec(payload).unwrap();
    let headers = [
        ("x-github-event", event.to_owned()),
        ("x-github-delivery", delivery.to_owned()),
        ("x-hub-signature-256", github_signature(secret, &body)),
    ];
    post(server, id, &headers, &body).await
}

/// GitHub's example push to a branch, made a push of `commit` to `reference` of `repository`
/// that changed `files`.
fn github_push(repository: &str, reference: &str, commit: &str, files: &[&str]) -> Value {
    let mut push = github_examples("push").into_iter().find(|p| p["ref"] == "refs/heads/master").unwrap();
    push["ref"] = json!(reference);
    push["after"] = json!(commit);
    push["head_commit"]["id"] = json!(commit);
    push["repository"]["full_name"] = json!(repository);
    push["commits"] = json!([{ "id": commit, "added": [], "modified": files, "removed": [] }]);
    push
}

/// Commits `file` on `branch` of the working copy and pushes it to the outside repository.
async fn push_commit(work: &Path, root: &Path, branch: &str, file: &str) -> String {
    git(work, &["checkout", "--quiet", "-B", branch, "main"]).await;
    if let Some(parent) = Path::new(file).parent() {
        std::fs::create_dir_all(work.join(parent)).unwrap();
    }
    let commit = common::git::commit_file(work, file, &format!("{branch} {file}\n"), &format!("Change {file}")).await;
    git(work, &["push", "--quiet", "--force", root.join("octo/app.git").to_str().unwrap(), branch]).await;
    git(work, &["checkout", "--quiet", "main"]).await;
    commit
}

fn webhook_runs(runs: &[PipelineExecutionSummary]) -> Vec<&PipelineExecutionSummary> {
    runs.iter().filter(|e| trigger(e) == Some(&TriggerType::WebhookV2)).collect()
}

/// The one execution an answer names, once it has finished: it succeeded, on `commit`.
async fn ran(server: &TestServer, pipeline: &str, answer: &Value, commit: &str) -> PipelineExecutionSummary {
    let started = answer["pipelineExecutions"].as_array().unwrap_or_else(|| panic!("nothing started: {answer}"));
    assert_eq!(started.len(), 1, "{answer}");
    assert_eq!(started[0]["pipelineName"], pipeline);
    let id = started[0]["pipelineExecutionId"].as_str().unwrap();
    let runs = wait_for(server, pipeline, "the webhook's run finishing", |e| {
        e.iter().any(|e| e.pipeline_execution_id() == Some(id) && finished(e))
    })
    .await;
    let run = runs.into_iter().find(|e| e.pipeline_execution_id() == Some(id)).unwrap();
    assert_eq!(trigger(&run), Some(&TriggerType::WebhookV2));
    assert_eq!(run.status(), Some(&PipelineExecutionStatus::Succeeded), "{run:#?}");
    assert_eq!(run.source_revisions()[0].revision_id(), Some(commit), "{run:#?}");
    run
}

/// A PARALLEL V2 pipeline reading octo/app at main through `arn`, with `triggers`.
fn pipeline(name: &str, arn: &str, triggers: Value) -> Value {
    let configuration = json!({ "ConnectionArn": arn, "FullRepositoryId": "octo/app", "BranchName": "main" });
    let mut declaration =
        v2_pipeline_with_source(name, "CodeStarSourceConnection", configuration, vec![check_stage(&["true"])]);
    declaration["executionMode"] = json!("PARALLEL");
    declaration["triggers"] = triggers;
    declaration
}

#[tokio::test]
async fn signed_github_and_gitlab_deliveries_start_the_pipelines_whose_triggers_fire() {
    on_both_backends(|server| async move {
        let (root, _, work) = outside_repository().await;
        let arn = connection_of(&server, &root, "octo", "GitHubEnterpriseServer").await;
        set_token(&server, &arn, None).await.unwrap();
        let id = connection_id(&arn).to_owned();
        // No secret yet: deliveries are refused until `sluice connection webhook` makes one.
        let (status, _) = github(&server, &id, "guess", "push", "d-0", &json!({})).await;
        assert_eq!(status, 403);
        let secret = webhook_secret(&server, &arn).await;
        assert_eq!(webhook_secret(&server, &arn).await, secret, "the secret is made once");

        let triggers = json!([{ "providerType": "CodeStarSourceConnection", "gitConfiguration": {
            "sourceActionName": "Source",
            "push": [{ "branches": { "includes": ["main", "release/**"], "excludes": ["release/old*"] },
                       "filePaths": { "includes": ["src/**"], "excludes": ["src/docs/**"] } }],
            "pullRequest": [{ "events": ["OPEN", "UPDATED"], "branches": { "includes": ["main"] },
                              "filePaths": { "includes": ["src/**"] } }] } }]);
        create(&server, pipeline("hooked", &arn, triggers)).await;
        wait_for(&server, "hooked", "CreatePipeline's run finishing", |e| e.len() == 1 && finished(&e[0])).await;

        // A signed push to main touching src/ starts one run of that commit.
        let pushed = push_commit(&work, &root, "main", "src/app.rs").await;
        let push = github_push("octo/app", "refs/heads/main", &pushed, &["src/app.rs"]);
        let (status, answer) = github(&server, &id, &secret, "push", "d-1", &push).await;
        assert_eq!(status, 200, "{answer}");
        let run = ran(&server, "hooked", &answer, &pushed).await;
        let detail = run.trigger().unwrap().trigger_detail().unwrap();
        assert!(detail.contains("push to branch main at") && detail.contains("push[0]"), "{detail}");
        // Redelivered (same delivery id): the earlier run, no new one.
        let (status, again) = github(&server, &id, &secret, "push", "d-1", &push).await;
        assert_eq!((status, again["duplicate"].as_bool()), (200, Some(true)), "{again}");
        assert_eq!(again["pipelineExecutions"], answer["pipelineExecutions"]);

        // Excluded branch, excluded path, a tag no filter takes, another repository: 202, nothing.
        let old = push_commit(&work, &root, "release/old-1", "src/old.rs").await;
        let docs = push_commit(&work, &root, "main", "src/docs/guide.md").await;
        let ignored = [
            (
                "d-2",
                github_push("octo/app", "refs/heads/release/old-1", &old, &["src/old.rs"]),
                "excluded by \"release/old*\"",
            ),
            ("d-3", github_push("octo/app", "refs/heads/main", &docs, &["src/docs/guide.md"]), "changed files"),
            ("d-4", github_push("octo/app", "refs/tags/v1", &docs, &[]), "tag push"),
            ("d-5", github_push("octo/other", "refs/heads/main", &docs, &["src/a.rs"]), "no pipeline has a trigger"),
        ];
        for (delivery, payload, why) in &ignored {
            let (status, answer) = github(&server, &id, &secret, "push", delivery, payload).await;
            assert_eq!(status, 202, "{delivery}: {answer}");
            assert!(answer["ignored"].as_str().unwrap().contains(why), "{delivery}: {answer}");
        }

        // Forged, unsigned, malformed, or to no connection: refused, nothing started.
        let body = serde_json::to_vec(&push).unwrap();
        let forged = [("x-github-event", "push".to_owned()), ("x-hub-signature-256", github_signature("guess", &body))];
        assert_eq!(post(&server, &id, &forged, &body).await.0, 401);
        assert_eq!(post(&server, &id, &[("x-github-event", "push".to_owned())], &body).await.0, 401);
        let garbage = b"{\"ref\": ";
        let signed =
            [("x-github-event", "push".to_owned()), ("x-hub-signature-256", github_signature(&secret, garbage))];
        let (status, answer) = post(&server, &id, &signed, garbage).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["message"].as_str().unwrap().contains("not JSON"), "{answer}");
        let unknown = uuid::Uuid::new_v4().to_string();
        assert_eq!(github(&server, &unknown, &secret, "push", "d-6", &push).await.0, 404);
        assert_eq!(github(&server, "not-an-id", &secret, "push", "d-6", &push).await.0, 404);
        // None of GitHub's example deliveries breaks the endpoint.
        for (n, example) in github_examples("push").iter().chain(&github_examples("pull_request")).enumerate() {
            let event = if example.get("pull_request").is_some() { "pull_request" } else { "push" };
            let (status, answer) = github(&server, &id, &secret, event, &format!("x-{n}"), example).await;
            assert_eq!(status, 202, "example {n}: {answer}");
        }

        // A pull request into main runs its head commit, which is on no branch Sluice watches.
        let feature = push_commit(&work, &root, "feature/login", "src/login.rs").await;
        let mut opened = github_examples("pull_request").into_iter().find(|p| p["action"] == "opened").unwrap();
        opened["repository"]["full_name"] = json!("octo/app");
        opened["pull_request"]["head"]["sha"] = json!(feature);
        opened["pull_request"]["head"]["ref"] = json!("feature/login");
        opened["pull_request"]["base"]["ref"] = json!("main");
        let (status, answer) = github(&server, &id, &secret, "pull_request", "d-7", &opened).await;
        assert_eq!(status, 200, "{answer}");
        let run = ran(&server, "hooked", &answer, &feature).await;
        assert!(run.trigger().unwrap().trigger_detail().unwrap().contains("OPEN feature/login -> main"), "{run:#?}");
        // Its changed files are read from the host: one that changes no source starts nothing.
        let docs_only = push_commit(&work, &root, "feature/docs", "docs/guide.md").await;
        let mut docs = opened.clone();
        docs["pull_request"]["head"]["sha"] = json!(docs_only);
        docs["pull_request"]["head"]["ref"] = json!("feature/docs");
        let (status, answer) = github(&server, &id, &secret, "pull_request", "d-9", &docs).await;
        assert_eq!(status, 202, "{answer}");
        assert!(answer["ignored"].as_str().unwrap().contains("none of the 1 changed files"), "{answer}");
        let mut closed = opened.clone();
        closed["action"] = json!("closed");
        assert_eq!(github(&server, &id, &secret, "pull_request", "d-8", &closed).await.0, 202);

        // A GitLab connection: its token header, and a tag push running the tagged commit.
        let lab = connection_of(&server, &root, "lab", "GitLabSelfManaged").await;
        set_token(&server, &lab, None).await.unwrap();
        let lab_secret = webhook_secret(&server, &lab).await;
        let tags = json!([{ "providerType": "CodeStarSourceConnection", "gitConfiguration": {
            "sourceActionName": "Source", "push": [{ "tags": { "includes": ["v*"] } }] } }]);
        create(&server, pipeline("tagged", &lab, tags)).await;
        git(&work, &["tag", "v2.0", &feature]).await;
        git(&work, &["push", "--quiet", root.join("octo/app.git").to_str().unwrap(), "v2.0"]).await;
        let tag_push = json!({ "object_kind": "tag_push", "ref": "refs/tags/v2.0", "before": "0".repeat(40),
            "after": feature, "checkout_sha": feature, "project": { "path_with_namespace": "octo/app" },
            "commits": [], "total_commits_count": 0 });
        let body = tag_push.to_string().into_bytes();
        let gitlab = |token: &str| {
            [
                ("x-gitlab-event", "Tag Push Hook".to_owned()),
                ("x-gitlab-token", token.to_owned()),
                ("x-gitlab-event-uuid", "lab-1".to_owned()),
            ]
        };
        assert_eq!(
            post(&server, connection_id(&lab), &gitlab(&secret), &body).await.0,
            401,
            "another connection's secret"
        );
        let (status, answer) = post(&server, connection_id(&lab), &gitlab(&lab_secret), &body).await;
        assert_eq!(status, 200, "{answer}");
        ran(&server, "tagged", &answer, &feature).await;

        // Two webhook runs of `hooked` in all; the trigger turned polling off for its source.
        let runs = executions(&server, "hooked").await;
        assert_eq!(webhook_runs(&runs).len(), 2, "{runs:#?}");
        assert!(runs.iter().all(|e| trigger(e) != Some(&TriggerType::PollForSourceChanges)), "{runs:#?}");

        // Every delivery is recorded, newest first, and goes with its connection.
        let (_, deliveries) = server.engine.connections().deliveries(&arn).await.unwrap();
        let outcome_of = |delivery: &str| {
            let found = deliveries.iter().find(|d| d.host_delivery_id.as_deref() == Some(delivery));
            found.map(|d| d.outcome.clone()).unwrap_or_default()
        };
        assert!(outcome_of("d-1").starts_with("started: hooked"), "{deliveries:#?}");
        assert_eq!(deliveries.iter().filter(|d| d.host_delivery_id.as_deref() == Some("d-1")).count(), 1);
        assert!(outcome_of("d-2").starts_with("ignored:"), "{deliveries:#?}");
        assert!(deliveries
            .iter()
            .any(|d| d.outcome.starts_with("refused: The X-Hub-Signature-256 header does not match")));
        assert_eq!(deliveries[0].host_delivery_id.as_deref(), Some("d-8"));
        assert!(outcome_of("d-9").contains("none of the 1 changed files"), "{deliveries:#?}");
        ok(call(&server, &server.key, false, "DeleteConnection", json!({ "ConnectionArn": arn })).await).await;
        let mut db = server.raw_database().await;
        let left: i64 = sqlx::query_scalar("select count(*) from connection_delivery where connection_id = $1")
            .bind(&id)
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(left, 0);
        server
    })
    .await;
}
