//! Change detection and its neighbours through a real server: S3 sources polled for new object
//! versions, PutActionRevision, ListRuleTypes, and an action's log over HTTP.
mod common;

use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use aws_sdk_codepipeline::primitives::DateTime;
use aws_sdk_codepipeline::types::*;
use common::{on_both_backends, TestServer, BACKENDS};
use serde_json::Value;
use std::time::Duration;

const BUCKET: &str = "sources";
const KEY: &str = "app.zip";

/// Uploads a zip holding `app.txt` and returns the new version's id.
async fn upload(server: &TestServer, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("sluice-sources-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("app.txt"), text).unwrap();
    let zip = dir.with_extension("zip");
    engine::objects::artifacts::pack_dir(&dir, &zip).await.unwrap();
    let url = format!("{}/objects/{BUCKET}/{KEY}", server.url);
    let response = common::signed_http(reqwest::Method::PUT, &url, &server.key, std::fs::read(&zip).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["versionId"].as_str().unwrap().to_owned()
}

/// A V2 pipeline: S3 source (with `PollForSourceChanges` as given, absent for None) → Commands.
fn pipeline(name: &str, poll: Option<&str>, commands: &[&str]) -> PipelineDeclaration {
    let action_type = |category, provider: &str| {
        ActionTypeId::builder()
            .category(category)
            .owner(ActionOwner::Aws)
            .provider(provider)
            .version("1")
            .build()
            .unwrap()
    };
    let mut source = ActionDeclaration::builder()
        .name("Source")
        .action_type_id(action_type(ActionCategory::Source, "S3"))
        .configuration("S3Bucket", BUCKET)
        .configuration("S3ObjectKey", KEY)
        .output_artifacts(OutputArtifact::builder().name("Src").build().unwrap());
    if let Some(poll) = poll {
        source = source.configuration("PollForSourceChanges", poll);
    }
    let mut run = ActionDeclaration::builder()
        .name("Run")
        .action_type_id(action_type(ActionCategory::Compute, "Commands"))
        .input_artifacts(InputArtifact::builder().name("Src").build().unwrap());
    for command in commands {
        run = run.commands(*command);
    }
    PipelineDeclaration::builder()
        .name(name)
        .role_arn("arn:aws:iam::000000000000:role/pipeline")
        .pipeline_type(PipelineType::V2)
        .artifact_store(ArtifactStore::builder().r#type(ArtifactStoreType::S3).location("artifacts").build().unwrap())
        .stages(StageDeclaration::builder().name("Source").actions(source.build().unwrap()).build().unwrap())
        .stages(StageDeclaration::builder().name("Run").actions(run.build().unwrap()).build().unwrap())
        .build()
        .unwrap()
}

async fn create(server: &TestServer, declaration: PipelineDeclaration) {
    server.client.create_pipeline().pipeline(declaration).send().await.unwrap();
}

/// Newest first.
async fn executions(server: &TestServer, name: &str) -> Vec<PipelineExecutionSummary> {
    let listed = server.client.list_pipeline_executions().pipeline_name(name).send().await.unwrap();
    listed.pipeline_execution_summaries().to_vec()
}

/// Polls until `done` holds for the pipeline's executions, at most 20 s.
async fn wait_executions(
    server: &TestServer,
    name: &str,
    what: &str,
    done: impl Fn(&[PipelineExecutionSummary]) -> bool,
) -> Vec<PipelineExecutionSummary> {
    for _ in 0..400 {
        let found = executions(server, name).await;
        if done(&found) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name}: {what} never happened; executions: {:#?}", executions(server, name).await);
}

fn finished(e: &PipelineExecutionSummary) -> bool {
    !matches!(e.status(), Some(PipelineExecutionStatus::InProgress | PipelineExecutionStatus::Stopping))
}

fn trigger_type(e: &PipelineExecutionSummary) -> Option<&TriggerType> {
    e.trigger().and_then(|t| t.trigger_type())
}

/// Longer than the engine's poll period (about 1 s), for checking that something did NOT happen.
const ONE_POLL: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn polling_starts_one_execution_per_new_object_version() {
    on_both_backends(|server| async move {
        let first = upload(&server, "one").await;
        create(&server, pipeline("polled", None, &["cat app.txt"])).await;
        create(&server, pipeline("unpolled", Some("false"), &["cat app.txt"])).await;
        // Both CreatePipeline runs take the version there was; nothing else runs for it.
        for name in ["polled", "unpolled"] {
            let runs =
                wait_executions(&server, name, "the first run finishing", |e| e.len() == 1 && finished(&e[0])).await;
            assert_eq!(trigger_type(&runs[0]), Some(&TriggerType::CreatePipeline));
            assert_eq!(runs[0].status(), Some(&PipelineExecutionStatus::Succeeded), "{name}: {runs:#?}");
            assert_eq!(runs[0].source_revisions()[0].revision_id(), Some(first.as_str()));
        }

        let second = upload(&server, "two").await;
        let runs =
            wait_executions(&server, "polled", "a polled run of the new version", |e| e.len() == 2 && finished(&e[0]))
                .await;
        let polled = &runs[0];
        assert_eq!(trigger_type(polled), Some(&TriggerType::PollForSourceChanges));
        let detail = polled.trigger().and_then(|t| t.trigger_detail()).unwrap_or_default();
        assert!(detail.contains("Source") && detail.contains(&second), "trigger detail {detail:?}");
        assert_eq!(polled.status(), Some(&PipelineExecutionStatus::Succeeded), "{runs:#?}");
        assert_eq!(polled.source_revisions()[0].revision_id(), Some(second.as_str()));

        // A version is a change once: later polls start nothing more, and polling off means off.
        tokio::time::sleep(ONE_POLL).await;
        assert_eq!(executions(&server, "polled").await.len(), 2);
        assert_eq!(executions(&server, "unpolled").await.len(), 1);
        server
    })
    .await;
}

#[tokio::test]
async fn a_version_uploaded_right_after_create_is_still_a_change() {
    on_both_backends(|server| async move {
        upload(&server, "one").await;
        create(&server, pipeline("quick", Some("true"), &["cat app.txt"])).await;
        // Before the first poll has seen the pipeline: the new version must not be taken as the
        // one CreatePipeline's run used.
        let second = upload(&server, "two").await;
        let runs = wait_executions(&server, "quick", "a polled run", |e| {
            e.iter().any(|x| trigger_type(x) == Some(&TriggerType::PollForSourceChanges))
        })
        .await;
        assert_eq!(runs.len(), 2, "{runs:#?}");
        let polled = wait_executions(&server, "quick", "the polled run finishing", |e| finished(&e[0])).await;
        assert_eq!(polled[0].source_revisions()[0].revision_id(), Some(second.as_str()));
        server
    })
    .await;
}

async fn put_revision(
    server: &TestServer,
    pipeline: &str,
    stage: &str,
    action: &str,
    revision: &str,
) -> std::result::Result<(bool, Option<String>), String> {
    let revision = ActionRevision::builder()
        .revision_id(revision)
        .revision_change_id(format!("change-{revision}"))
        .created(DateTime::from_secs(1_700_000_000))
        .build()
        .unwrap();
    server
        .client
        .put_action_revision()
        .pipeline_name(pipeline)
        .stage_name(stage)
        .action_name(action)
        .action_revision(revision)
        .send()
        .await
        .map(|out| (out.new_revision(), out.pipeline_execution_id().map(str::to_owned)))
        .map_err(|err| err.code().unwrap_or("no code").to_owned())
}

#[tokio::test]
async fn put_action_revision_starts_an_execution_once_per_revision() {
    on_both_backends(|server| async move {
        upload(&server, "one").await;
        create(&server, pipeline("told", Some("false"), &["true"])).await;
        wait_executions(&server, "told", "the first run", |e| e.len() == 1).await;

        let (new, id) = put_revision(&server, "told", "Source", "Source", "rev-1").await.unwrap();
        assert!(new);
        let id = id.expect("an execution id for a new revision");
        let got = server
            .client
            .get_pipeline_execution()
            .pipeline_name("told")
            .pipeline_execution_id(&id)
            .send()
            .await
            .unwrap();
        let trigger = got.pipeline_execution().unwrap().trigger().unwrap();
        assert_eq!(trigger.trigger_type(), Some(&TriggerType::PutActionRevision));
        assert!(trigger.trigger_detail().unwrap_or_default().contains("rev-1"));

        // The same revision again is not new, names the execution it started, and starts nothing.
        assert_eq!(
            put_revision(&server, "told", "Source", "Source", "rev-1").await.unwrap(),
            (false, Some(id.clone()))
        );
        assert_eq!(executions(&server, "told").await.len(), 2);

        let (new, other) = put_revision(&server, "told", "Source", "Source", "rev-2").await.unwrap();
        assert!(new);
        assert_ne!(other.as_deref(), Some(id.as_str()));
        assert_eq!(executions(&server, "told").await.len(), 3);

        assert_eq!(
            put_revision(&server, "told", "Nope", "Source", "rev-3").await.unwrap_err(),
            "StageNotFoundException"
        );
        assert_eq!(
            put_revision(&server, "told", "Source", "Nope", "rev-3").await.unwrap_err(),
            "ActionNotFoundException"
        );
        assert_eq!(
            put_revision(&server, "told", "Run", "Run", "rev-3").await.unwrap_err(),
            "ActionNotFoundException",
            "not a source action"
        );
        assert_eq!(
            put_revision(&server, "missing", "Source", "Source", "rev-3").await.unwrap_err(),
            "PipelineNotFoundException"
        );
        let empty = put_revision(&server, "told", "Source", "Source", "").await.unwrap_err();
        assert_eq!(empty, "ValidationException");
        assert_eq!(executions(&server, "told").await.len(), 3, "refused revisions start nothing");
        server
    })
    .await;
}

#[tokio::test]
async fn list_rule_types_describes_the_catalogue() {
    let server = TestServer::start(BACKENDS[0]).await;
    let listed = server.client.list_rule_types().send().await.unwrap();
    let types = listed.rule_types();
    let find = |provider: &str| types.iter().find(|t| t.id().map(|id| id.provider()) == Some(provider));
    for provider in ["VariableCheck", "Commands", "DeploymentWindow", "CloudWatchAlarm", "LambdaInvoke"] {
        let found = find(provider).unwrap_or_else(|| panic!("{provider} is listed"));
        let id = found.id().unwrap();
        assert_eq!(id.category(), &RuleCategory::Rule);
        assert_eq!(id.owner(), Some(&RuleOwner::Aws));
        assert_eq!(id.version(), Some("1"));
    }
    let check = find("VariableCheck").unwrap();
    let operator =
        check.rule_configuration_properties().iter().find(|p| p.name() == "Operator").expect("Operator property");
    assert!(operator.required());
    assert!(!operator.secret());
    assert_eq!(check.input_artifact_details().map(|d| d.maximum_count()), Some(0));
    let commands = find("Commands").unwrap();
    assert_eq!(commands.input_artifact_details().map(|d| d.maximum_count()), Some(10));

    let filtered = server.client.list_rule_types().rule_owner_filter(RuleOwner::Aws).send().await.unwrap();
    assert_eq!(filtered.rule_types().len(), types.len());
    let refused = server.raw("ListRuleTypes", r#"{"ruleOwnerFilter":"Custom"}"#).await;
    assert_eq!(refused.error_type(), "ValidationException");
    server.stop().await;
}

async fn get_json(key: &(String, String), url: &str) -> (u16, Value) {
    let response = common::signed_get(url, key).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_actions_log_reads_over_http_in_pages() {
    on_both_backends(|server| async move {
        upload(&server, "one").await;
        create(&server, pipeline("logged", Some("false"), &["echo hello-from-sluice", "echo second-line"])).await;
        let runs = wait_executions(&server, "logged", "the run finishing", |e| e.len() == 1 && finished(&e[0])).await;
        assert_eq!(runs[0].status(), Some(&PipelineExecutionStatus::Succeeded), "{runs:#?}");
        let listed = server.client.list_action_executions().pipeline_name("logged").send().await.unwrap();
        let run = listed
            .action_execution_details()
            .iter()
            .find(|a| a.action_name() == Some("Run"))
            .expect("the Commands action ran");
        let id = run.action_execution_id().unwrap();
        let base = format!("{}/api/v1/action-executions/{id}/log", server.url);

        let (status, all) = get_json(&server.key, &base).await;
        assert_eq!(status, 200);
        let lines = all["lines"].as_array().unwrap();
        let texts: Vec<&str> = lines.iter().map(|l| l["text"].as_str().unwrap()).collect();
        let hello =
            texts.iter().position(|t| *t == "hello-from-sluice").unwrap_or_else(|| panic!("echo output in {texts:?}"));
        assert!(texts[hello + 1..].contains(&"second-line"), "{texts:?}");
        let numbers: Vec<i64> = lines.iter().map(|l| l["n"].as_i64().unwrap()).collect();
        assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>());
        assert_eq!(all["next"], numbers.len() as i64);

        // Paging: one line after the first, then nothing after the last.
        let (_, page) = get_json(&server.key, &format!("{base}?after=1&limit=1")).await;
        assert_eq!(page["lines"].as_array().unwrap().len(), 1);
        assert_eq!(page["lines"][0]["n"], 2);
        assert_eq!(page["lines"][0]["text"], texts[1]);
        assert_eq!(page["next"], 2);
        let (_, end) = get_json(&server.key, &format!("{base}?after={}", numbers.len())).await;
        assert_eq!(end["lines"].as_array().unwrap().len(), 0);
        assert_eq!(end["next"], numbers.len() as i64);

        let (status, missing) =
            get_json(&server.key, &format!("{}/api/v1/action-executions/no-such-action/log", server.url)).await;
        assert_eq!(status, 404);
        assert_eq!(missing["__type"], "ActionExecutionNotFoundException");
        let (status, bad) = get_json(&server.key, &format!("{base}?limit=0")).await;
        assert_eq!(status, 400);
        assert_eq!(bad["__type"], "InvalidArgument");
        server
    })
    .await;
}
