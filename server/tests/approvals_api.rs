//! Sluice's approval rules through aws-sdk-codepipeline, each answer signed with its own user's
//! key: two different approvers needed, no repeat, no self-approval. On SQLite and PostgreSQL.
mod common;

use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus, PipelineExecutionStatus};
use aws_sdk_codepipeline::Client;
use common::{
    approval_action, call_web, on_both_backends, upload_zip, v2_pipeline_with_s3_source, wait_final, web_session,
    TestServer,
};
use engine::identity::Role;
use serde_json::json;
use std::time::Duration;

/// The approval action's summary and token once it waits for `id`.
async fn gate_state(server: &TestServer, id: &str) -> (Option<String>, String) {
    for _ in 0..600 {
        let state = server.client.get_pipeline_state().name("release").send().await.unwrap();
        let stage = state.stage_states().iter().find(|s| s.stage_name() == Some("Approve")).unwrap();
        let latest = stage.action_states()[0].latest_execution();
        let waiting = stage.latest_execution().is_some_and(|e| e.pipeline_execution_id() == id);
        if let (true, Some(token)) = (waiting, latest.and_then(|e| e.token())) {
            return (latest.and_then(|e| e.summary()).map(str::to_owned), token.to_owned());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the approval for {id} never became pending");
}

async fn answer(client: &Client, token: &str, status: ApprovalStatus) -> Result<(), aws_sdk_codepipeline::Error> {
    let result = ApprovalResult::builder().summary("looked at it").status(status).build().unwrap();
    client
        .put_approval_result()
        .pipeline_name("release")
        .stage_name("Approve")
        .action_name("Gate")
        .result(result)
        .token(token)
        .send()
        .await?;
    Ok(())
}

/// The message of a ValidationException; anything else fails the test.
fn validation_message(err: aws_sdk_codepipeline::Error) -> String {
    match err {
        aws_sdk_codepipeline::Error::ValidationException(e) => e.message().unwrap_or_default().to_owned(),
        other => panic!("expected ValidationException, got {other:?}"),
    }
}

#[tokio::test]
async fn two_different_approvers_are_needed_and_the_starter_is_not_one() {
    on_both_backends(|server| async move {
        upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "x")]).await;
        let mut gate = approval_action("Gate");
        gate["configuration"] = json!({ "RequiredApprovals": "2", "AllowSelfApproval": "false" });
        let pipeline = v2_pipeline_with_s3_source(
            "release",
            "sources",
            "app.zip",
            vec![json!({ "name": "Approve", "actions": [gate] })],
        );
        let created = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
        assert_eq!(created.status, 200, "{}", created.text);
        // The run CreatePipeline started is not the one under test.
        let first = server.client.list_pipeline_executions().pipeline_name("release").send().await.unwrap();
        let first = first.pipeline_execution_summaries()[0].pipeline_execution_id().unwrap().to_owned();
        server
            .client
            .stop_pipeline_execution()
            .pipeline_name("release")
            .pipeline_execution_id(&first)
            .abandon(true)
            .send()
            .await
            .unwrap();
        wait_final(&server, "release", &first).await;

        let (sam, _) = server.client_as("sam", Role::Admin).await;
        let (ann, _) = server.client_as("ann", Role::Approver).await;
        let (ben, _) = server.client_as("ben", Role::Approver).await;
        let id = sam
            .start_pipeline_execution()
            .name("release")
            .send()
            .await
            .unwrap()
            .pipeline_execution_id()
            .unwrap()
            .to_owned();
        let (_, token) = gate_state(&server, &id).await;

        let own = validation_message(answer(&sam, &token, ApprovalStatus::Approved).await.unwrap_err());
        assert!(own.contains("user/sam started this execution") && own.contains("AllowSelfApproval"), "{own}");
        answer(&ann, &token, ApprovalStatus::Approved).await.unwrap();
        let (summary, same_token) = gate_state(&server, &id).await;
        assert_eq!(summary.as_deref(), Some("1 of 2 approvals (ann)"));
        assert_eq!(same_token, token);
        let again = validation_message(answer(&ann, &token, ApprovalStatus::Approved).await.unwrap_err());
        assert!(again.contains("already approved"), "{again}");

        answer(&ben, &token, ApprovalStatus::Approved).await.unwrap();
        assert_eq!(wait_final(&server, "release", &id).await, PipelineExecutionStatus::Succeeded);
        let state = server.client.get_pipeline_state().name("release").send().await.unwrap();
        let stage = state.stage_states().iter().find(|s| s.stage_name() == Some("Approve")).unwrap();
        let latest = stage.action_states()[0].latest_execution().unwrap();
        assert_eq!(latest.summary(), Some("2 of 2 approvals (ann, ben)"));
        assert!(latest.last_updated_by().unwrap().ends_with(":user/ben"));

        let decisions = server.engine.approval_decisions(&Default::default()).await.unwrap();
        let approvers: Vec<_> = decisions.iter().map(|d| d.approver_arn.rsplit('/').next().unwrap()).collect();
        assert_eq!(approvers, ["ben", "ann"], "only the accepted answers, newest first");
        server
    })
    .await;
}

/// The newest execution of `release` once there are more than `seen`.
async fn next_execution(server: &TestServer, seen: usize) -> String {
    for _ in 0..600 {
        let listed = server.client.list_pipeline_executions().pipeline_name("release").send().await.unwrap();
        let summaries = listed.pipeline_execution_summaries();
        if summaries.len() > seen {
            return summaries[0].pipeline_execution_id().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no new execution of release");
}

/// `sam` may not approve execution `id`, which they set going; `ann` then may.
async fn sam_is_refused(server: &TestServer, sam: &Client, ann: &Client, id: &str, path: &str) {
    let (_, token) = gate_state(server, id).await;
    let own = validation_message(answer(sam, &token, ApprovalStatus::Approved).await.unwrap_err());
    assert!(own.contains("user/sam started this execution"), "{path}: {own}");
    answer(ann, &token, ApprovalStatus::Approved).await.unwrap();
    assert_eq!(wait_final(server, "release", id).await, PipelineExecutionStatus::Succeeded, "{path}");
}

#[tokio::test]
async fn whoever_sets_a_run_going_may_not_approve_it_on_any_path() {
    on_both_backends(|server| async move {
        upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "v1")]).await;
        let first_version = server.engine.objects().latest("sources", "app.zip").await.unwrap().unwrap().version_id;
        server.engine.identity().create_user("sam", Role::Admin, Some("sam-password-1".into())).await.unwrap();
        let sam_key = server.engine.identity().create_access_key("sam").await.unwrap();
        let sam_key = (sam_key.access_key_id, sam_key.secret_access_key);
        let sam = common::sdk_client(&server.url, &sam_key.0, &sam_key.1);
        let (ann, _) = server.client_as("ann", Role::Approver).await;
        let mut gate = approval_action("Gate");
        gate["configuration"] = json!({ "AllowSelfApproval": "false" });
        let mut pipeline = v2_pipeline_with_s3_source(
            "release",
            "sources",
            "app.zip",
            vec![json!({ "name": "Approve", "actions": [gate] })],
        );
        pipeline["stages"][0]["actions"][0]["configuration"]["PollForSourceChanges"] = json!("true");

        // CreatePipeline's own run is the creator's.
        let created = common::signed_request(
            &server.url,
            "CreatePipeline",
            json!({ "pipeline": pipeline }).to_string().into_bytes(),
            &sam_key.0,
            &sam_key.1,
            server::auth::sigv4::format_amz_date(common::now_seconds()),
        )
        .await;
        assert_eq!(created.status, 200, "{}", created.text);
        let first = next_execution(&server, 0).await;
        sam_is_refused(&server, &sam, &ann, &first, "CreatePipeline").await;

        // A new version uploaded by sam, which polling finds.
        upload_zip(&server.url, &sam_key, "sources", "app.zip", &[("app.txt", "v2")]).await;
        let polled = next_execution(&server, 1).await;
        sam_is_refused(&server, &sam, &ann, &polled, "upload").await;

        // PutActionRevision.
        let revision = aws_sdk_codepipeline::types::ActionRevision::builder()
            .revision_id(&first_version)
            .revision_change_id("v1")
            .created(aws_sdk_codepipeline::primitives::DateTime::from_secs(1_700_000_000))
            .build()
            .unwrap();
        let told = sam
            .put_action_revision()
            .pipeline_name("release")
            .stage_name("Source")
            .action_name("Source")
            .action_revision(revision)
            .send()
            .await
            .unwrap();
        sam_is_refused(&server, &sam, &ann, told.pipeline_execution_id().unwrap(), "PutActionRevision").await;

        // RollbackStage.
        let rollback = sam
            .rollback_stage()
            .pipeline_name("release")
            .stage_name("Approve")
            .target_pipeline_execution_id(&first)
            .send()
            .await
            .unwrap();
        sam_is_refused(&server, &sam, &ann, rollback.pipeline_execution_id(), "RollbackStage").await;

        // A re-run from the web app.
        let session = web_session(&server, "sam", "sam-password-1").await;
        let (status, body) =
            call_web(&server, &session, "runs/rerun_execution", &format!("pipeline=release&execution_id={first}"))
                .await;
        assert_eq!(status, 200, "{body}");
        let rerun: String = serde_json::from_str(&body).unwrap();
        sam_is_refused(&server, &sam, &ann, &rerun, "re-run").await;

        // RetryStageExecution: the one who retried is refused as the starter is.
        let started = server.client.start_pipeline_execution().name("release").send().await.unwrap();
        let retried = started.pipeline_execution_id().unwrap().to_owned();
        let (_, token) = gate_state(&server, &retried).await;
        answer(&ann, &token, ApprovalStatus::Rejected).await.unwrap();
        assert_eq!(wait_final(&server, "release", &retried).await, PipelineExecutionStatus::Failed);
        let mode = aws_sdk_codepipeline::types::StageRetryMode::FailedActions;
        sam.retry_stage_execution()
            .pipeline_name("release")
            .stage_name("Approve")
            .pipeline_execution_id(&retried)
            .retry_mode(mode)
            .send()
            .await
            .unwrap();
        let (_, token) = gate_state(&server, &retried).await;
        let own = validation_message(answer(&sam, &token, ApprovalStatus::Approved).await.unwrap_err());
        assert!(own.contains("user/sam started this execution (or retried"), "retry: {own}");
        answer(&ann, &token, ApprovalStatus::Approved).await.unwrap();
        assert_eq!(wait_final(&server, "release", &retried).await, PipelineExecutionStatus::Succeeded);
        server
    })
    .await;
}
