//! Custom action types and job workers through aws-sdk-codepipeline, on both backends: the test
//! is the worker. It declares its types, polls (with a queryParam), acknowledges, reports
//! progress with a continuation token, completes with output variables a later action reads,
//! fails once and succeeds on retry; bad answers get AWS's exceptions; IAM keeps workers off
//! pipelines they may not touch.
mod common;

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionConfigurationProperty, ActionOwner, ActionTypeId, ArtifactDetails, ExecutionDetails,
    FailureDetails, FailureType, Job, JobStatus, PipelineExecutionStatus, StageRetryMode,
};
use aws_sdk_codepipeline::Client;
use common::{on_both_backends, wait_final, TestServer};
use serde_json::json;
use std::time::Duration;

fn type_id(category: ActionCategory, provider: &str) -> ActionTypeId {
    ActionTypeId::builder()
        .category(category)
        .owner(ActionOwner::Custom)
        .provider(provider)
        .version("1")
        .build()
        .unwrap()
}

fn counts(min: i32, max: i32) -> ArtifactDetails {
    ArtifactDetails::builder().minimum_count(min).maximum_count(max).build()
}

fn property(name: &str, required: bool, queryable: bool) -> ActionConfigurationProperty {
    ActionConfigurationProperty::builder()
        .name(name)
        .required(required)
        .key(required)
        .secret(false)
        .queryable(queryable)
        .build()
        .unwrap()
}

/// Declares the two types the pipeline uses: Origin (a source) and Worker (a build with a
/// queryable Queue and an optional Message).
async fn declare_types(client: &Client) {
    client
        .create_custom_action_type()
        .category(ActionCategory::Source)
        .provider("Origin")
        .version("1")
        .input_artifact_details(counts(0, 0))
        .output_artifact_details(counts(0, 1))
        .send()
        .await
        .unwrap();
    client
        .create_custom_action_type()
        .category(ActionCategory::Build)
        .provider("Worker")
        .version("1")
        .settings(
            aws_sdk_codepipeline::types::ActionTypeSettings::builder()
                .execution_url_template("https://ci.example/{Config:Queue}/{ExternalExecutionId}")
                .build(),
        )
        .configuration_properties(property("Queue", true, true))
        .configuration_properties(property("Message", false, false))
        .configuration_properties(
            ActionConfigurationProperty::builder()
                .name("Token")
                .required(false)
                .key(false)
                .secret(true)
                .build()
                .unwrap(),
        )
        .input_artifact_details(counts(0, 0))
        .output_artifact_details(counts(0, 0))
        .send()
        .await
        .unwrap();
}

/// GetActionType of the custom Build type "Worker" that `declare_types` declares.
async fn worker_type(client: &Client) -> aws_sdk_codepipeline::types::ActionTypeDeclaration {
    let got = client
        .get_action_type()
        .category(ActionCategory::Build)
        .owner("Custom")
        .provider("Worker")
        .version("1")
        .send()
        .await
        .unwrap();
    got.action_type().unwrap().clone()
}

fn worker_action(name: &str, run_order: u32, configuration: serde_json::Value) -> serde_json::Value {
    json!({
        "name": name, "runOrder": run_order, "namespace": format!("{name}Vars"),
        "actionTypeId": { "category": "Build", "owner": "Custom", "provider": "Worker", "version": "1" },
        "configuration": configuration,
    })
}

async fn create_pipeline(server: &TestServer, name: &str) {
    let pipeline = json!({
        "name": name,
        "roleArn": "arn:aws:iam::000000000000:role/pipeline",
        "artifactStore": { "type": "S3", "location": "artifacts" },
        "stages": [
            { "name": "Source", "actions": [{
                "name": "Origin", "namespace": "SourceVars",
                "actionTypeId": { "category": "Source", "owner": "Custom", "provider": "Origin", "version": "1" },
            }]},
            { "name": "Build", "actions": [
                worker_action("Job", 1, json!({ "Queue": "q1", "Token": "s3cret-token" })),
                worker_action("Echo", 2, json!({ "Queue": "q2", "Message": "#{JobVars.Result}" })),
            ]},
        ],
    });
    let created = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
    assert_eq!(created.status, 200, "{}", created.text);
}

/// Polls until one job of `provider` (and `queue`) is handed out (10 s at most).
async fn next_job(client: &Client, category: ActionCategory, provider: &str, queue: Option<&str>) -> Job {
    for _ in 0..200 {
        let mut poll = client.poll_for_jobs().action_type_id(type_id(category.clone(), provider)).max_batch_size(1);
        if let Some(queue) = queue {
            poll = poll.query_param("Queue", queue);
        }
        if let Some(job) = poll.send().await.unwrap().jobs().first() {
            return job.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {provider} job was handed out");
}

async fn acknowledge(client: &Client, job: &Job) -> JobStatus {
    let answer = client.acknowledge_job().job_id(job.id().unwrap()).nonce(job.nonce().unwrap()).send().await.unwrap();
    answer.status().unwrap().clone()
}

fn configuration(job: &Job, key: &str) -> Option<String> {
    job.data()?.action_configuration()?.configuration()?.get(key).cloned()
}

fn error_code<E: aws_sdk_codepipeline::error::ProvideErrorMetadata>(err: E) -> String {
    err.code().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_worker_continues_completes_fails_once_and_succeeds_on_retry() {
    on_both_backends(|server| async move {
        let client = &server.client;
        declare_types(client).await;
        let listed = client.list_action_types().action_owner_filter(ActionOwner::Custom).send().await.unwrap();
        let providers: Vec<&str> = listed.action_types().iter().map(|t| t.id().unwrap().provider()).collect();
        assert_eq!(providers, ["Worker", "Origin"], "by category (Build, Source), then provider");
        let declared = worker_type(client).await;
        let properties = declared.properties();
        assert!(properties.iter().any(|p| p.name() == "Queue" && p.queryable() && !p.optional()));
        create_pipeline(&server, "jobs").await;

        // The source: one job, answered with a revision and a variable.
        let origin = next_job(client, ActionCategory::Source, "Origin", None).await;
        assert_eq!(acknowledge(client, &origin).await, JobStatus::InProgress);
        let context = origin.data().unwrap().pipeline_context().unwrap();
        assert_eq!(context.pipeline_name(), Some("jobs"));
        let execution_id = context.pipeline_execution_id().unwrap().to_owned();
        let revision = aws_sdk_codepipeline::types::CurrentRevision::builder()
            .revision("abc123")
            .change_identifier("abc123")
            .build()
            .unwrap();
        client.put_job_success_result().job_id(origin.id().unwrap()).current_revision(revision).send().await.unwrap();

        // The build job on queue q1 continues once, then completes with Result=42.
        let job = next_job(client, ActionCategory::Build, "Worker", Some("q1")).await;
        assert_eq!(configuration(&job, "Queue").as_deref(), Some("q1"));
        assert_eq!(configuration(&job, "Token").as_deref(), Some("s3cret-token"), "the worker gets the secret");
        let read = client.get_pipeline().name("jobs").send().await.unwrap();
        let declared = &read.pipeline().unwrap().stages()[1].actions()[0];
        assert_eq!(declared.configuration().unwrap()["Token"], "****", "reads never show it");
        let mut db = server.raw_database().await;
        let stored: Vec<String> =
            sqlx::query_scalar("select declaration from pipeline_version").fetch_all(&mut db).await.unwrap();
        assert!(stored.iter().all(|d| !d.contains("s3cret-token")), "the secret is sealed at rest");
        let stale = client.acknowledge_job().job_id(job.id().unwrap()).nonce("0000").send().await.unwrap_err();
        assert_eq!(error_code(stale), "InvalidNonceException");
        assert_eq!(acknowledge(client, &job).await, JobStatus::InProgress);
        let details =
            ExecutionDetails::builder().summary("half way").external_execution_id("run-7").percent_complete(50).build();
        client
            .put_job_success_result()
            .job_id(job.id().unwrap())
            .continuation_token("page-2")
            .execution_details(details)
            .send()
            .await
            .unwrap();
        let state = client.get_pipeline_state().name("jobs").send().await.unwrap();
        let latest = state.stage_states()[1].action_states()[0].latest_execution().unwrap().clone();
        assert_eq!(latest.percent_complete(), Some(50));
        assert_eq!(latest.summary(), Some("half way"));
        assert_eq!(latest.external_execution_url(), Some("https://ci.example/q1/run-7"));
        assert_eq!(latest.token(), None, "a job id is for its workers only");

        let continued = next_job(client, ActionCategory::Build, "Worker", Some("q1")).await;
        assert_eq!(continued.data().unwrap().continuation_token(), Some("page-2"));
        let details = client.get_job_details().job_id(continued.id().unwrap()).send().await.unwrap();
        assert_eq!(details.job_details().unwrap().data().unwrap().continuation_token(), Some("page-2"));
        client
            .put_job_success_result()
            .job_id(continued.id().unwrap())
            .output_variables("Result", "42")
            .send()
            .await
            .unwrap();
        let again = client.put_job_success_result().job_id(continued.id().unwrap()).send().await.unwrap_err();
        assert_eq!(error_code(again), "InvalidJobStateException");

        // The next action reads the variable, fails once, and succeeds when its stage is retried.
        let echo = next_job(client, ActionCategory::Build, "Worker", Some("q2")).await;
        assert_eq!(configuration(&echo, "Message").as_deref(), Some("42"));
        let failure = FailureDetails::builder().r#type(FailureType::JobFailed).message("flaky").build().unwrap();
        client.put_job_failure_result().job_id(echo.id().unwrap()).failure_details(failure).send().await.unwrap();
        assert_eq!(wait_final(&server, "jobs", &execution_id).await, PipelineExecutionStatus::Failed);
        client
            .retry_stage_execution()
            .pipeline_name("jobs")
            .stage_name("Build")
            .pipeline_execution_id(&execution_id)
            .retry_mode(StageRetryMode::FailedActions)
            .send()
            .await
            .unwrap();
        let retried = next_job(client, ActionCategory::Build, "Worker", Some("q2")).await;
        assert_ne!(retried.id(), echo.id());
        client.put_job_success_result().job_id(retried.id().unwrap()).send().await.unwrap();
        assert_eq!(wait_final(&server, "jobs", &execution_id).await, PipelineExecutionStatus::Succeeded);
        server
    })
    .await;
}

#[tokio::test]
async fn bad_input_gets_aws_exceptions_and_changes_nothing() {
    on_both_backends(|server| async move {
        let client = &server.client;
        let unknown = client.poll_for_jobs().action_type_id(type_id(ActionCategory::Build, "Nope")).send().await;
        assert_eq!(error_code(unknown.unwrap_err()), "ActionTypeNotFoundException");
        let missing = client.get_job_details().job_id("7b4c42a5-0000-4000-8000-000000000000").send().await;
        assert_eq!(error_code(missing.unwrap_err()), "JobNotFoundException");
        declare_types(client).await;
        let bad_query = client
            .poll_for_jobs()
            .action_type_id(type_id(ActionCategory::Build, "Worker"))
            .query_param("Message", "x")
            .send()
            .await;
        assert_eq!(error_code(bad_query.unwrap_err()), "ValidationException");
        // A pipeline that breaks the type's declaration is refused.
        let pipeline = json!({
            "name": "broken", "roleArn": "arn:aws:iam::000000000000:role/pipeline",
            "artifactStore": { "type": "S3", "location": "artifacts" },
            "stages": [
                { "name": "Source", "actions": [{ "name": "Origin",
                    "actionTypeId": { "category": "Source", "owner": "Custom", "provider": "Origin", "version": "1" } }]},
                { "name": "Build", "actions": [worker_action("Job", 1, json!({ "Unknown": "x" }))] },
            ],
        });
        let refused = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
        assert_eq!(refused.error_type(), "InvalidActionDeclarationException", "{}", refused.text);
        let taken = client
            .create_custom_action_type()
            .category(ActionCategory::Build)
            .provider("Worker")
            .version("1")
            .input_artifact_details(counts(0, 1))
            .output_artifact_details(counts(0, 0))
            .send()
            .await;
        assert_eq!(error_code(taken.unwrap_err()), "ActionTypeAlreadyExistsException");
        // A custom type is taggable.
        let arn = "arn:aws:codepipeline:us-east-1:000000000000:actiontype:Custom/Build/Worker/1";
        let tag = aws_sdk_codepipeline::types::Tag::builder().key("team").value("ci").build().unwrap();
        client.tag_resource().resource_arn(arn).tags(tag).send().await.unwrap();
        let tags = client.list_tags_for_resource().resource_arn(arn).send().await.unwrap();
        assert_eq!(tags.tags().iter().map(|t| (t.key(), t.value())).collect::<Vec<_>>(), [("team", "ci")]);
        let nope = client.list_tags_for_resource().resource_arn(arn.replace("Worker", "Nope")).send().await;
        assert_eq!(error_code(nope.unwrap_err()), "ResourceNotFoundException");
        client
            .delete_custom_action_type()
            .category(ActionCategory::Build)
            .provider("Worker")
            .version("1")
            .send()
            .await
            .unwrap();
        let gone = client.poll_for_jobs().action_type_id(type_id(ActionCategory::Build, "Worker")).send().await;
        assert_eq!(error_code(gone.unwrap_err()), "ActionTypeNotFoundException");
        server
    })
    .await;
}

#[tokio::test]
async fn workers_only_get_and_answer_jobs_of_pipelines_they_may_act_on() {
    on_both_backends(|server| async move {
        declare_types(&server.client).await;
        create_pipeline(&server, "jobs").await;
        let (viewer, _) = server.client_as("watcher", engine::identity::Role::Viewer).await;
        let denied = viewer.poll_for_jobs().action_type_id(type_id(ActionCategory::Source, "Origin")).send().await;
        assert_eq!(error_code(denied.unwrap_err()), "AccessDeniedException");

        let (fenced, _) = server.client_as("fenced", engine::identity::Role::Editor).await;
        let deny = json!({ "Statement": { "Effect": "Deny", "Action": "codepipeline:PollForJobs",
            "Resource": "arn:aws:codepipeline:us-east-1:000000000000:jobs" } });
        server.engine.identity().put_user_policy("fenced", "not-jobs", &deny.to_string()).await.unwrap();
        let (answerless, _) = server.client_as("answerless", engine::identity::Role::Editor).await;
        let deny = json!({ "Statement": { "Effect": "Deny", "Action": "codepipeline:PutJob*",
            "Resource": "arn:aws:codepipeline:us-east-1:000000000000:jobs" } });
        server.engine.identity().put_user_policy("answerless", "not-jobs", &deny.to_string()).await.unwrap();

        wait_for_a_waiting_job(&server).await;
        let poll =
            fenced.poll_for_jobs().action_type_id(type_id(ActionCategory::Source, "Origin")).send().await.unwrap();
        assert!(poll.jobs().is_empty(), "a denied pipeline's job was handed out");
        let job = next_job(&server.client, ActionCategory::Source, "Origin", None).await;
        let answer = answerless.put_job_success_result().job_id(job.id().unwrap()).send().await;
        assert_eq!(error_code(answer.unwrap_err()), "AccessDeniedException");
        assert_eq!(
            acknowledge(&server.client, &job).await,
            JobStatus::InProgress,
            "the refused answer changed nothing"
        );
        server
    })
    .await;
}

/// Waits until an action waits on a job (its token is set), so a poll can only find nothing
/// because it was refused.
async fn wait_for_a_waiting_job(server: &TestServer) {
    let mut db = server.raw_database().await;
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar("select count(*) from action_execution where token is not null")
            .fetch_one(&mut db)
            .await
            .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no action waited for a job");
}

#[tokio::test]
async fn update_action_type_changes_a_custom_type_and_get_action_type_shows_it() {
    use aws_sdk_codepipeline::types::{
        ActionTypeArtifactDetails, ActionTypeDeclaration, ActionTypeExecutor, ActionTypeIdentifier, ActionTypeProperty,
        ExecutorConfiguration, ExecutorType, JobWorkerExecutorConfiguration,
    };
    on_both_backends(|server| async move {
        let client = &server.client;
        declare_types(client).await;
        let counts = |max| ActionTypeArtifactDetails::builder().minimum_count(0).maximum_count(max).build();
        let executor = ActionTypeExecutor::builder()
            .configuration(
                ExecutorConfiguration::builder()
                    .job_worker_executor_configuration(JobWorkerExecutorConfiguration::builder().build())
                    .build(),
            )
            .r#type(ExecutorType::JobWorker)
            .job_timeout(120)
            .build()
            .unwrap();
        let id = ActionTypeIdentifier::builder()
            .category(ActionCategory::Build)
            .owner("Custom")
            .provider("Worker")
            .version("1")
            .build()
            .unwrap();
        let queue = ActionTypeProperty::builder()
            .name("Queue")
            .optional(false)
            .key(true)
            .no_echo(false)
            .queryable(true)
            .build()
            .unwrap();
        let declaration = ActionTypeDeclaration::builder()
            .description("runs on the team's build farm")
            .executor(executor)
            .id(id)
            .input_artifact_details(counts(1))
            .output_artifact_details(counts(0))
            .properties(queue)
            .build();
        client.update_action_type().action_type(declaration).send().await.unwrap();
        let declared = worker_type(client).await;
        assert_eq!(declared.description(), Some("runs on the team's build farm"));
        assert_eq!(declared.executor().unwrap().job_timeout(), Some(120));
        assert_eq!(declared.input_artifact_details().unwrap().maximum_count(), 1);
        let names: Vec<&str> = declared.properties().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["Queue"], "Message was dropped by the update");

        // Only custom types, and only job workers.
        let mut aws_owned = json!({ "actionType": {
            "executor": { "configuration": {}, "type": "JobWorker" },
            "id": { "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1" },
            "inputArtifactDetails": { "minimumCount": 0, "maximumCount": 1 },
            "outputArtifactDetails": { "minimumCount": 0, "maximumCount": 1 },
        }});
        let refused = server.raw("UpdateActionType", aws_owned.to_string()).await;
        assert_eq!(refused.error_type(), "RequestFailedException", "{}", refused.text);
        aws_owned["actionType"]["id"]["owner"] = json!("Custom");
        aws_owned["actionType"]["id"]["provider"] = json!("Worker");
        aws_owned["actionType"]["executor"]["type"] = json!("Lambda");
        let refused = server.raw("UpdateActionType", aws_owned.to_string()).await;
        assert_eq!(refused.error_type(), "ValidationException", "{}", refused.text);
        server
    })
    .await;
}
