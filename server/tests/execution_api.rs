//! A real pipeline end to end through aws-sdk-codepipeline: S3 source → Commands build → two
//! parallel Commands tests → manual approval → Commands deploy; approved, rejected, stopped,
//! retried and held at a disabled transition. On SQLite and PostgreSQL.
mod common;

use aws_sdk_codepipeline::types::{
    ApprovalResult, ApprovalStatus, PipelineExecutionStatus, StageRetryMode, StageTransitionType,
};
use common::{
    approval_action, commands_action, on_both_backends, upload_zip, v2_pipeline_with_s3_source, wait_final, TestServer,
};
use engine::testing::Beacon;
use serde_json::json;
use std::time::Duration;

const SOURCE_BUCKET: &str = "sources";
const SOURCE_KEY: &str = "app.zip";

async fn upload_source(server: &TestServer, text: &str) {
    upload_zip(&server.url, &server.key, SOURCE_BUCKET, SOURCE_KEY, &[("app.txt", text)]).await;
}

/// The delivery pipeline of the issue; the build requires `gate` to answer "open", so a test
/// can make the build fail and then fix it.
fn delivery_pipeline(name: &str, gate: &Beacon) -> serde_json::Value {
    let gate = gate.answers("open");
    let stage = |name: &str, actions: Vec<serde_json::Value>| json!({ "name": name, "actions": actions });
    let mut release = approval_action("Release");
    release["configuration"] = json!({ "CustomData": "Release version #{SourceVariables.VersionId}?" });
    v2_pipeline_with_s3_source(
        name,
        SOURCE_BUCKET,
        SOURCE_KEY,
        vec![
            stage(
                "Build",
                vec![commands_action(
                    "Compile",
                    1,
                    &[&gate, "cat app.txt > build.txt", "echo built >> build.txt"],
                    "Src",
                    Some(("Built", "build.txt")),
                )],
            ),
            stage(
                "Test",
                vec![
                    commands_action("Unit", 1, &["grep -q built build.txt", "sleep 0.3"], "Built", None),
                    commands_action("Lint", 1, &["grep -q built build.txt", "sleep 0.3"], "Built", None),
                ],
            ),
            stage("Approve", vec![release]),
            stage("Deploy", vec![commands_action("Ship", 1, &["cat build.txt"], "Built", None)]),
        ],
    )
}

/// Polls GetPipelineState until the approval waits for `id`, and returns its token.
async fn wait_token(server: &TestServer, pipeline: &str, id: &str) -> String {
    for _ in 0..600 {
        let state = server.client.get_pipeline_state().name(pipeline).send().await.unwrap();
        let approve = state.stage_states().iter().find(|s| s.stage_name() == Some("Approve")).unwrap();
        let waiting = approve.latest_execution().is_some_and(|e| e.pipeline_execution_id() == id);
        let token = approve.action_states()[0].latest_execution().and_then(|e| e.token());
        if let (true, Some(token)) = (waiting, token) {
            return token.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the approval for {id} never became pending");
}

async fn approve(
    server: &TestServer,
    pipeline: &str,
    token: &str,
    status: ApprovalStatus,
) -> Result<(), aws_sdk_codepipeline::Error> {
    let result = ApprovalResult::builder().summary("checked by the test").status(status).build().unwrap();
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
        .map(|_| ())
        .map_err(Into::into)
}

async fn start(server: &TestServer, pipeline: &str) -> String {
    let started = server.client.start_pipeline_execution().name(pipeline).send().await.unwrap();
    started.pipeline_execution_id().unwrap().to_owned()
}

#[tokio::test]
async fn a_delivery_pipeline_runs_end_to_end() {
    on_both_backends(|server| async move {
        upload_source(&server, "hello from the source").await;
        let gate = Beacon::start("open").await;
        let created =
            server.raw("CreatePipeline", json!({ "pipeline": delivery_pipeline("delivery", &gate) }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);

        // CreatePipeline started the first execution.
        let listed = server.client.list_pipeline_executions().pipeline_name("delivery").send().await.unwrap();
        let first = listed.pipeline_execution_summaries()[0].clone();
        assert_eq!(first.trigger().unwrap().trigger_type().unwrap().as_str(), "CreatePipeline");
        let id = first.pipeline_execution_id().unwrap().to_owned();

        let token = wait_token(&server, "delivery", &id).await;
        approve(&server, "delivery", &token, ApprovalStatus::Approved).await.unwrap();
        let again = approve(&server, "delivery", &token, ApprovalStatus::Approved).await.unwrap_err();
        assert!(
            matches!(
                again,
                aws_sdk_codepipeline::Error::ApprovalAlreadyCompletedException(_)
                    | aws_sdk_codepipeline::Error::InvalidApprovalTokenException(_)
            ),
            "{again:?}"
        );
        assert_eq!(wait_final(&server, "delivery", &id).await, PipelineExecutionStatus::Succeeded);

        let actions = server
            .client
            .list_action_executions()
            .pipeline_name("delivery")
            .filter(aws_sdk_codepipeline::types::ActionExecutionFilter::builder().pipeline_execution_id(&id).build())
            .send()
            .await
            .unwrap();
        let details = actions.action_execution_details();
        let find = |name: &str| details.iter().find(|d| d.action_name() == Some(name)).unwrap();
        let (unit, lint) = (find("Unit"), find("Lint"));
        assert!(
            unit.start_time().unwrap() < lint.last_update_time().unwrap()
                && lint.start_time().unwrap() < unit.last_update_time().unwrap(),
            "tests ran in parallel"
        );
        let source = find("Source").output().unwrap();
        assert!(source.output_variables().unwrap().contains_key("VersionId"));
        let release = find("Release").input().unwrap().resolved_configuration().unwrap();
        let version = source.output_variables().unwrap()["VersionId"].clone();
        assert_eq!(release["CustomData"], format!("Release version {version}?"), "variables resolved in the approval");
        let execution = server
            .client
            .get_pipeline_execution()
            .pipeline_name("delivery")
            .pipeline_execution_id(&id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            execution.pipeline_execution().unwrap().artifact_revisions()[0].revision_id(),
            Some(version.as_str())
        );

        // Rejected: the pipeline fails at the approval and never deploys.
        let rejected = start(&server, "delivery").await;
        let token = wait_token(&server, "delivery", &rejected).await;
        approve(&server, "delivery", &token, ApprovalStatus::Rejected).await.unwrap();
        assert_eq!(wait_final(&server, "delivery", &rejected).await, PipelineExecutionStatus::Failed);

        // Stopped and abandoned while waiting for approval.
        let stopped = start(&server, "delivery").await;
        wait_token(&server, "delivery", &stopped).await;
        server
            .client
            .stop_pipeline_execution()
            .pipeline_name("delivery")
            .pipeline_execution_id(&stopped)
            .abandon(true)
            .reason("no longer needed")
            .send()
            .await
            .unwrap();
        assert_eq!(wait_final(&server, "delivery", &stopped).await, PipelineExecutionStatus::Stopped);
        let summaries = server.client.list_pipeline_executions().pipeline_name("delivery").send().await.unwrap();
        let stopped_summary = summaries
            .pipeline_execution_summaries()
            .iter()
            .find(|s| s.pipeline_execution_id() == Some(stopped.as_str()))
            .unwrap();
        assert_eq!(stopped_summary.stop_trigger().unwrap().reason(), Some("no longer needed"));
        let not_stoppable = server
            .client
            .stop_pipeline_execution()
            .pipeline_name("delivery")
            .pipeline_execution_id(&stopped)
            .send()
            .await
            .unwrap_err();
        assert!(not_stoppable.into_service_error().is_pipeline_execution_not_stoppable_exception());

        // A failing build, retried after the cause is fixed.
        gate.set_answer("closed");
        let retried = start(&server, "delivery").await;
        assert_eq!(wait_final(&server, "delivery", &retried).await, PipelineExecutionStatus::Failed);
        gate.set_answer("open");
        server
            .client
            .retry_stage_execution()
            .pipeline_name("delivery")
            .stage_name("Build")
            .pipeline_execution_id(&retried)
            .retry_mode(StageRetryMode::FailedActions)
            .send()
            .await
            .unwrap();
        let token = wait_token(&server, "delivery", &retried).await;
        let state = server.client.get_pipeline_state().name("delivery").send().await.unwrap();
        let build = state.stage_states().iter().find(|s| s.stage_name() == Some("Build")).unwrap();
        assert_eq!(build.retry_stage_metadata().unwrap().manual_stage_retry_attempt(), Some(1));
        approve(&server, "delivery", &token, ApprovalStatus::Approved).await.unwrap();
        assert_eq!(wait_final(&server, "delivery", &retried).await, PipelineExecutionStatus::Succeeded);

        // Held at a disabled transition until it is enabled again.
        server
            .client
            .disable_stage_transition()
            .pipeline_name("delivery")
            .stage_name("Deploy")
            .transition_type(StageTransitionType::Inbound)
            .reason("change freeze")
            .send()
            .await
            .unwrap();
        let held = start(&server, "delivery").await;
        let token = wait_token(&server, "delivery", &held).await;
        approve(&server, "delivery", &token, ApprovalStatus::Approved).await.unwrap();
        let mut waited = false;
        for _ in 0..200 {
            let state = server.client.get_pipeline_state().name("delivery").send().await.unwrap();
            let deploy = state.stage_states().iter().find(|s| s.stage_name() == Some("Deploy")).unwrap();
            assert_eq!(deploy.inbound_transition_state().unwrap().disabled_reason(), Some("change freeze"));
            if deploy.inbound_execution().is_some_and(|e| e.pipeline_execution_id() == held) {
                waited = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(waited, "the execution waits in front of the disabled transition");
        server
            .client
            .enable_stage_transition()
            .pipeline_name("delivery")
            .stage_name("Deploy")
            .transition_type(StageTransitionType::Inbound)
            .send()
            .await
            .unwrap();
        assert_eq!(wait_final(&server, "delivery", &held).await, PipelineExecutionStatus::Succeeded);
        server
    })
    .await;
}

#[tokio::test]
async fn execution_errors_use_codepipeline_exceptions() {
    on_both_backends(|server| async move {
        let gate = Beacon::start("closed").await;
        let created =
            server.raw("CreatePipeline", json!({ "pipeline": delivery_pipeline("errors", &gate) }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        let client = &server.client;
        let missing = client.start_pipeline_execution().name("nope").send().await.unwrap_err();
        assert!(missing.into_service_error().is_pipeline_not_found_exception());
        let no_exec = client
            .get_pipeline_execution()
            .pipeline_name("errors")
            .pipeline_execution_id("00000000-0000-0000-0000-000000000000")
            .send()
            .await
            .unwrap_err();
        assert!(no_exec.into_service_error().is_pipeline_execution_not_found_exception());
        let bad_token = client
            .put_approval_result()
            .pipeline_name("errors")
            .stage_name("Approve")
            .action_name("Release")
            .result(ApprovalResult::builder().summary("x").status(ApprovalStatus::Approved).build().unwrap())
            .token("11111111-1111-1111-1111-111111111111")
            .send()
            .await
            .unwrap_err();
        assert!(bad_token.into_service_error().is_invalid_approval_token_exception());
        let no_stage = client
            .disable_stage_transition()
            .pipeline_name("errors")
            .stage_name("Nope")
            .transition_type(StageTransitionType::Inbound)
            .reason("x")
            .send()
            .await
            .unwrap_err();
        assert!(no_stage.into_service_error().is_stage_not_found_exception());
        let no_reason = server
            .raw(
                "DisableStageTransition",
                r#"{"pipelineName":"errors","stageName":"Deploy","transitionType":"Inbound","reason":"bad\nreason"}"#,
            )
            .await;
        assert_eq!(no_reason.error_type(), "ValidationException");
        let token =
            client.start_pipeline_execution().name("errors").client_request_token("same-token").send().await.unwrap();
        let again =
            client.start_pipeline_execution().name("errors").client_request_token("same-token").send().await.unwrap();
        assert_eq!(token.pipeline_execution_id(), again.pipeline_execution_id(), "the client token de-duplicates");
        server
    })
    .await;
}

#[tokio::test]
async fn source_revisions_pin_the_object_version_an_execution_uses() {
    on_both_backends(|server| async move {
        upload_source(&server, "first").await;
        let gate = Beacon::start("open").await;
        let created =
            server.raw("CreatePipeline", json!({ "pipeline": delivery_pipeline("pinned", &gate) }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        let first = server.engine.objects().latest(SOURCE_BUCKET, SOURCE_KEY).await.unwrap().unwrap();
        upload_source(&server, "second").await;

        let revision = aws_sdk_codepipeline::types::SourceRevisionOverride::builder()
            .action_name("Source")
            .revision_type(aws_sdk_codepipeline::types::SourceRevisionType::S3ObjectVersionId)
            .revision_value(&first.version_id)
            .build()
            .unwrap();
        let started =
            server.client.start_pipeline_execution().name("pinned").source_revisions(revision).send().await.unwrap();
        let id = started.pipeline_execution_id().unwrap().to_owned();
        // The first execution holds the approval stage, so this one is read once its source ran.
        let mut revision_id = None;
        for _ in 0..400 {
            let got = server
                .client
                .get_pipeline_execution()
                .pipeline_name("pinned")
                .pipeline_execution_id(&id)
                .send()
                .await
                .unwrap();
            revision_id = got
                .pipeline_execution()
                .unwrap()
                .artifact_revisions()
                .first()
                .and_then(|r| r.revision_id().map(str::to_owned));
            if revision_id.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(revision_id.as_deref(), Some(first.version_id.as_str()), "the pinned version, not the latest");
        server
            .client
            .stop_pipeline_execution()
            .pipeline_name("pinned")
            .pipeline_execution_id(&id)
            .abandon(true)
            .send()
            .await
            .unwrap();
        server
    })
    .await;
}
