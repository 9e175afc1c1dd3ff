//! Partner (ThirdParty) jobs through aws-sdk-codepipeline, on both backends: the test plays the
//! partner's worker for a Snyk action. Without a partner client the action fails at once and
//! says how to make one; with one, the worker polls, proves itself with the client token,
//! acknowledges, continues, succeeds and fails; wrong tokens, nonces, stale jobs and readers get
//! AWS's exceptions; and ListDeployActionExecutionTargets answers for the action.
mod common;

use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionOwner, ActionTypeId, ExecutionDetails, FailureDetails, FailureType, JobStatus,
    PipelineExecutionStatus, ThirdPartyJob,
};
use aws_sdk_codepipeline::Client;
use common::{on_both_backends, upload_zip, v2_pipeline_with_s3_source, wait_final, TestServer};
use engine::jobs::PartnerClient;
use serde_json::json;
use std::time::Duration;

fn snyk() -> ActionTypeId {
    ActionTypeId::builder()
        .category(ActionCategory::Invoke)
        .owner(ActionOwner::ThirdParty)
        .provider("Snyk")
        .version("1")
        .build()
        .unwrap()
}

async fn create_pipeline(server: &TestServer) {
    upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "v1")]).await;
    let scan = json!({ "name": "Scan", "actions": [{
        "name": "Snyk",
        "actionTypeId": { "category": "Invoke", "owner": "ThirdParty", "provider": "Snyk", "version": "1" },
        "inputArtifacts": [{ "name": "Src" }],
    }]});
    let pipeline = v2_pipeline_with_s3_source("scan", "sources", "app.zip", vec![scan]);
    let created = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
    assert_eq!(created.status, 200, "{}", created.text);
}

async fn start(client: &Client) -> String {
    let started = client.start_pipeline_execution().name("scan").send().await.unwrap();
    started.pipeline_execution_id().unwrap().to_owned()
}

/// Polls until one Snyk job is handed out (10 s at most).
async fn next_job(client: &Client) -> ThirdPartyJob {
    for _ in 0..200 {
        let polled = client.poll_for_third_party_jobs().action_type_id(snyk()).max_batch_size(1).send().await.unwrap();
        if let Some(job) = polled.jobs().first() {
            return job.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no Snyk job was handed out");
}

async fn acknowledge(
    client: &Client,
    job_id: &str,
    nonce: &str,
    partner: &PartnerClient,
) -> Result<
    aws_sdk_codepipeline::operation::acknowledge_third_party_job::AcknowledgeThirdPartyJobOutput,
    aws_sdk_codepipeline::error::SdkError<
        aws_sdk_codepipeline::operation::acknowledge_third_party_job::AcknowledgeThirdPartyJobError,
    >,
> {
    client.acknowledge_third_party_job().job_id(job_id).nonce(nonce).client_token(&partner.client_token).send().await
}

/// Takes the next job as the partner does: details (for the nonce), then acknowledge.
async fn take_job(client: &Client, partner: &PartnerClient) -> (String, Option<String>) {
    let job = next_job(client).await;
    assert_eq!(job.client_id(), Some(partner.client_id.as_str()));
    let job_id = job.job_id().unwrap().to_owned();
    let details =
        client.get_third_party_job_details().job_id(&job_id).client_token(&partner.client_token).send().await.unwrap();
    let details = details.job_details().unwrap();
    let acknowledged = acknowledge(client, &job_id, details.nonce().unwrap(), partner).await.unwrap();
    assert_eq!(acknowledged.status(), Some(&JobStatus::InProgress));
    let continuation = details.data().and_then(|d| d.continuation_token()).map(str::to_owned);
    (job_id, continuation)
}

/// The Snyk action's latest execution in GetPipelineState.
async fn scan_state(client: &Client) -> aws_sdk_codepipeline::types::ActionExecution {
    let state = client.get_pipeline_state().name("scan").send().await.unwrap();
    let stage = state.stage_states().iter().find(|s| s.stage_name() == Some("Scan")).unwrap();
    stage.action_states()[0].latest_execution().unwrap().clone()
}

fn code<E: ProvideErrorMetadata>(err: E) -> String {
    err.code().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_partner_takes_continues_finishes_and_fails_its_jobs() {
    on_both_backends(|server| async move {
        let client = &server.client;
        create_pipeline(&server).await;

        // CreatePipeline's run: no client yet, so the action fails at once and says what to do.
        let first = client.list_pipeline_executions().pipeline_name("scan").send().await.unwrap();
        let first_id = first.pipeline_execution_summaries()[0].pipeline_execution_id().unwrap().to_owned();
        assert_eq!(wait_final(&server, "scan", &first_id).await, PipelineExecutionStatus::Failed);
        let failed = scan_state(client).await;
        let message = failed.error_details().unwrap().message().unwrap();
        assert!(message.contains("sluice partner-client --pipeline scan --stage Scan --action Snyk"), "{message}");

        // Only a partner action gets a client.
        let refused = server.engine.partner_clients().create("scan", "Source", "Source").await.unwrap_err();
        assert!(refused.to_string().contains("not a partner's"), "{refused}");
        let partner = server.engine.partner_clients().create("scan", "Scan", "Snyk").await.unwrap();

        let run = start(client).await;
        let job = next_job(client).await;
        assert_eq!(job.client_id(), Some(partner.client_id.as_str()));
        let job_id = job.job_id().unwrap();
        let in_progress = scan_state(client).await;
        assert_eq!(in_progress.token(), None, "a job's id is for the partner only");

        // The token proves the partner; a custom worker's operations do not see partner jobs.
        let wrong = client.get_third_party_job_details().job_id(job_id).client_token("guess").send().await;
        assert_eq!(code(wrong.unwrap_err()), "InvalidClientTokenException");
        let custom = client.get_job_details().job_id(job_id).send().await;
        assert_eq!(code(custom.unwrap_err()), "JobNotFoundException");
        let details = client
            .get_third_party_job_details()
            .job_id(job_id)
            .client_token(&partner.client_token)
            .send()
            .await
            .unwrap();
        let details = details.job_details().unwrap();
        let data = details.data().unwrap();
        assert_eq!(data.pipeline_context().unwrap().pipeline_name(), Some("scan"));
        assert_eq!(data.input_artifacts()[0].name(), Some("Src"));
        let stale = acknowledge(client, job_id, "0000", &partner).await;
        assert_eq!(code(stale.unwrap_err()), "InvalidNonceException");
        let acknowledged = acknowledge(client, job_id, details.nonce().unwrap(), &partner).await.unwrap();
        assert_eq!(acknowledged.status(), Some(&JobStatus::InProgress));

        // Half way: a continuation token brings the action back as a new job.
        let progress = ExecutionDetails::builder().summary("scanning").percent_complete(40).build();
        client
            .put_third_party_job_success_result()
            .job_id(job_id)
            .client_token(&partner.client_token)
            .continuation_token("page-2")
            .execution_details(progress)
            .send()
            .await
            .unwrap();
        let waiting = scan_state(client).await;
        assert_eq!((waiting.summary(), waiting.percent_complete()), (Some("scanning"), Some(40)));
        let again =
            client.put_third_party_job_success_result().job_id(job_id).client_token(&partner.client_token).send().await;
        assert_eq!(code(again.unwrap_err()), "InvalidJobStateException", "an answered job takes no second answer");
        let (second, continuation) = take_job(client, &partner).await;
        assert_ne!(second, job_id);
        assert_eq!(continuation.as_deref(), Some("page-2"));
        client
            .put_third_party_job_success_result()
            .job_id(&second)
            .client_token(&partner.client_token)
            .send()
            .await
            .unwrap();
        assert_eq!(wait_final(&server, "scan", &run).await, PipelineExecutionStatus::Succeeded);

        // The action execution has no deploy targets; an unknown one is not found.
        let action_id = scan_state(client).await.action_execution_id().unwrap().to_owned();
        let targets = client
            .list_deploy_action_execution_targets()
            .pipeline_name("scan")
            .action_execution_id(&action_id)
            .send()
            .await
            .unwrap();
        assert!(targets.targets().is_empty());
        let unknown = client.list_deploy_action_execution_targets().action_execution_id("nope").send().await;
        assert_eq!(code(unknown.unwrap_err()), "ActionExecutionNotFoundException");
        let other_pipeline =
            client.list_deploy_action_execution_targets().pipeline_name("other").action_execution_id(&action_id).send();
        assert_eq!(code(other_pipeline.await.unwrap_err()), "ActionExecutionNotFoundException");
        let bad_filter = server
            .raw(
                "ListDeployActionExecutionTargets",
                json!({ "actionExecutionId": action_id, "filters": [{ "name": "COLOR", "values": ["red"] }] })
                    .to_string(),
            )
            .await;
        assert_eq!(bad_filter.error_type(), "ValidationException", "{}", bad_filter.text);

        // A failure the partner reports fails the action with its words.
        let run = start(client).await;
        let (job_id, _) = take_job(client, &partner).await;
        let failure =
            FailureDetails::builder().r#type(FailureType::JobFailed).message("3 high severity issues").build().unwrap();
        client
            .put_third_party_job_failure_result()
            .job_id(&job_id)
            .client_token(&partner.client_token)
            .failure_details(failure)
            .send()
            .await
            .unwrap();
        assert_eq!(wait_final(&server, "scan", &run).await, PipelineExecutionStatus::Failed);
        let failed = scan_state(client).await;
        assert_eq!(failed.error_details().unwrap().message(), Some("3 high severity issues"));
        server
    })
    .await;
}

#[tokio::test]
async fn a_new_client_revokes_the_old_token_and_readers_never_see_job_details() {
    on_both_backends(|server| async move {
        let client = &server.client;
        create_pipeline(&server).await;
        let old = server.engine.partner_clients().create("scan", "Scan", "Snyk").await.unwrap();
        let new = server.engine.partner_clients().create("scan", "Scan", "Snyk").await.unwrap();
        assert_ne!(old.client_id, new.client_id);
        start(client).await;
        let job = next_job(client).await;
        assert_eq!(job.client_id(), Some(new.client_id.as_str()));
        let job_id = job.job_id().unwrap();
        let revoked = client.get_third_party_job_details().job_id(job_id).client_token(&old.client_token).send().await;
        assert_eq!(code(revoked.unwrap_err()), "InvalidClientTokenException");

        // Job data carries the action's secrets: a Viewer may not read it, token or not.
        let (viewer, _) = server.client_as("reader", engine::identity::Role::Viewer).await;
        let read = viewer.get_third_party_job_details().job_id(job_id).client_token(&new.client_token).send().await;
        assert_eq!(code(read.unwrap_err()), "AccessDeniedException");
        let custom = viewer.get_job_details().job_id(job_id).send().await;
        assert_eq!(code(custom.unwrap_err()), "AccessDeniedException");

        // Polling for a custom type's id here is not a partner's poll.
        let custom_type = ActionTypeId::builder()
            .category(ActionCategory::Build)
            .owner(ActionOwner::Custom)
            .provider("Worker")
            .version("1")
            .build()
            .unwrap();
        let wrong_family = client.poll_for_third_party_jobs().action_type_id(custom_type).send().await;
        assert_eq!(code(wrong_family.unwrap_err()), "ActionTypeNotFoundException");
        server
    })
    .await;
}
