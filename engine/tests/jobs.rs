//! Custom actions run by job workers, on both backends: a job is polled (filtered on the
//! queryable property), acknowledged with its nonce, continued with a continuation token and
//! completed with output variables a later action reads; failures fail the action; two pollers
//! never get the same job; a job nobody finishes times out; a deleted type can no longer be used.
mod support;

use engine::jobs::{ExecutionDetails, Job, JobFailure, JobQuery, JobStatus, JobSuccess};
use engine::providers::FailureKind;
use engine::{EngineError, Refusal};
use model::catalog::CustomActionType;
use model::ActionTypeId;
use support::*;

fn worker_type(timeout: Option<u32>) -> CustomActionType {
    serde_json::from_value(json!({
        "category": "Build", "provider": "Worker", "version": "1",
        "settings": { "executionUrlTemplate": "https://ci.example/{Config:Queue}/{ExternalExecutionId}" },
        "configurationProperties": [
            { "name": "Queue", "required": true, "key": true, "secret": false, "queryable": true },
            { "name": "Password", "required": false, "key": false, "secret": true }
        ],
        "inputArtifactDetails": { "minimumCount": 0, "maximumCount": 1 },
        "outputArtifactDetails": { "minimumCount": 0, "maximumCount": 0 },
        "jobTimeout": timeout,
    }))
    .unwrap()
}

fn worker_id() -> ActionTypeId {
    worker_type(None).id()
}

fn job_action(name: &str, queue: &str, run_order: u32) -> Value {
    json!({
        "name": name, "namespace": format!("{name}Vars"), "runOrder": run_order,
        "actionTypeId": { "category": "Build", "owner": "Custom", "provider": "Worker", "version": "1" },
        "configuration": { "Queue": queue, "Password": "hunter2" },
        "inputArtifacts": [{ "name": "Code" }],
    })
}

async fn poll(h: &Harness, queue: Option<&str>, max: usize) -> Vec<Job> {
    let id = worker_id();
    let query = JobQuery { action_type: &id, max_batch_size: max, query: queue.map(|q| ("Queue", q)) };
    h.engine.poll_for_jobs(query, |_| true).await.unwrap()
}

/// Polls until `n` jobs were handed out (10 s at most).
async fn poll_until(h: &Harness, queue: Option<&str>, n: usize) -> Vec<Job> {
    let mut jobs = Vec::new();
    for _ in 0..1000 {
        jobs.extend(poll(h, queue, n - jobs.len()).await);
        if jobs.len() == n {
            return jobs;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("only {} of {n} jobs were handed out", jobs.len());
}

fn refusal<T: std::fmt::Debug>(result: Result<T, EngineError>) -> Refusal {
    match result {
        Err(EngineError::Refused { why, .. }) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_worker_continues_a_job_then_completes_it_with_variables_a_later_action_reads() {
    on_both(|h| async move {
        h.engine.create_custom_action_type(worker_type(None), &[]).await.unwrap();
        let after = step("After", "Build", 2, json!({ "Export": "Seen=#{JobVars.Result}" }), &[], &[]);
        h.create(pipeline("p", vec![source(json!({})), ("Build", vec![job_action("Job", "q1", 1), after])])).await;
        let id = h.start("p").await;

        let job = poll_until(&h, Some("q1"), 1).await.remove(0);
        assert!(poll(&h, None, 5).await.is_empty(), "a job is handed out once");
        let data = &job.data;
        assert_eq!(data["actionTypeId"]["provider"], "Worker");
        assert_eq!(data["actionConfiguration"]["configuration"]["Queue"], "q1");
        assert_eq!(data["actionConfiguration"]["configuration"]["Password"], "hunter2", "workers get secrets");
        assert_eq!(data["pipelineContext"]["pipelineName"], "p");
        assert_eq!(data["pipelineContext"]["stage"]["name"], "Build");
        assert_eq!(data["pipelineContext"]["pipelineExecutionId"], id.as_str());
        assert_eq!(data["pipelineContext"]["pipelineArn"], "arn:aws:codepipeline:us-east-1:000000000000:p");
        let input = &data["inputArtifacts"][0];
        assert_eq!((input["name"].as_str(), input["location"]["type"].as_str()), (Some("Code"), Some("S3")));
        assert_eq!(input["location"]["s3Location"]["bucketName"], "artifacts");
        let action_execution_id = data["pipelineContext"]["action"]["actionExecutionId"].as_str().unwrap().to_owned();

        assert_eq!(refusal(h.engine.acknowledge_job(&job.id, "not-the-nonce").await), Refusal::InvalidNonce);
        let nonce = job.nonce.clone().unwrap();
        assert_eq!(h.engine.acknowledge_job(&job.id, &nonce).await.unwrap(), JobStatus::InProgress);
        let progress = ExecutionDetails {
            summary: Some("half way".into()),
            external_execution_id: Some("run-7".into()),
            percent_complete: Some(50),
        };
        let continued = JobSuccess {
            continuation_token: Some("step-2".into()),
            execution_details: Some(progress),
            ..Default::default()
        };
        h.engine.put_job_success(&job.id, continued).await.unwrap();
        let waiting = h.wait_action("p", &id, "Job", |r| r.output.percent_complete == Some(50)).await;
        assert_eq!(waiting.state.status, ActionExecutionStatus::InProgress);
        assert_eq!(waiting.external_execution_url.as_deref(), Some("https://ci.example/q1/run-7"));
        assert_eq!(h.engine.job_status(&job.id).await.unwrap(), JobStatus::Succeeded);

        let next = poll_until(&h, None, 1).await.remove(0);
        assert_ne!(next.id, job.id, "a continuation is a new job");
        assert_eq!(next.data["continuationToken"], "step-2");
        assert_eq!(next.data["pipelineContext"]["action"]["actionExecutionId"], action_execution_id.as_str());
        let done = JobSuccess {
            output_variables: [("Result".to_owned(), "42".to_owned())].into_iter().collect(),
            ..Default::default()
        };
        h.engine.put_job_success(&next.id, done.clone()).await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Succeeded);
        let after = h.wait_action("p", &id, "After", |r| r.state.status == ActionExecutionStatus::Succeeded).await;
        assert_eq!(after.output.output_variables["Seen"], "42");
        assert_eq!(refusal(h.engine.put_job_success(&next.id, done).await), Refusal::InvalidJobState);
        assert_eq!(refusal(h.engine.put_job_success(&job.id, JobSuccess::default()).await), Refusal::InvalidJobState);
        h
    })
    .await;
}

#[tokio::test]
async fn a_failure_fails_the_action_and_the_execution() {
    on_both(|h| async move {
        h.engine.create_custom_action_type(worker_type(None), &[]).await.unwrap();
        h.create(pipeline("p", vec![source(json!({})), ("Build", vec![job_action("Job", "q1", 1)])])).await;
        let id = h.start("p").await;
        let job = poll_until(&h, None, 1).await.remove(0);
        let failure = JobFailure {
            kind: FailureKind::JobFailed,
            message: "tests failed".into(),
            external_execution_id: Some("run-9".into()),
        };
        h.engine.put_job_failure(&job.id, failure).await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Failed);
        let run = h.runs("p", &id).await.into_iter().find(|r| r.action_name == "Job").unwrap();
        assert_eq!(run.state.error_code.as_deref(), Some("JobFailed"));
        assert_eq!(run.state.error_message.as_deref(), Some("tests failed"));
        assert_eq!(h.engine.job_status(&job.id).await.unwrap(), JobStatus::Failed);
        h
    })
    .await;
}

#[tokio::test]
async fn concurrent_pollers_never_get_the_same_job() {
    on_both(|h| async move {
        h.engine.create_custom_action_type(worker_type(None), &[]).await.unwrap();
        let jobs: Vec<Value> = (1..=6).map(|i| job_action(&format!("Job{i}"), "q1", 1)).collect();
        h.create(pipeline("p", vec![source(json!({})), ("Build", jobs)])).await;
        let id = h.start("p").await;
        for i in 1..=6 {
            h.wait_action("p", &id, &format!("Job{i}"), |r| r.token.is_some()).await;
        }
        let pollers: Vec<_> = (0..8)
            .map(|_| {
                let engine = h.engine.clone();
                tokio::spawn(async move {
                    let id = worker_id();
                    let mut got = Vec::new();
                    for _ in 0..20 {
                        let query = JobQuery { action_type: &id, max_batch_size: 1, query: None };
                        got.extend(engine.poll_for_jobs(query, |_| true).await.unwrap().into_iter().map(|j| j.id));
                    }
                    got
                })
            })
            .collect();
        let mut handed_out = Vec::new();
        for poller in pollers {
            handed_out.extend(poller.await.unwrap());
        }
        let distinct: std::collections::HashSet<_> = handed_out.iter().collect();
        assert_eq!(handed_out.len(), 6, "{handed_out:?}");
        assert_eq!(distinct.len(), 6, "a job went to two pollers: {handed_out:?}");
        h
    })
    .await;
}

#[tokio::test]
async fn a_job_nobody_finishes_fails_at_the_type_job_timeout() {
    on_both(|h| async move {
        h.engine.create_custom_action_type(worker_type(Some(60)), &[]).await.unwrap();
        h.create(pipeline("p", vec![source(json!({})), ("Build", vec![job_action("Job", "q1", 1)])])).await;
        let id = h.start("p").await;
        let job = poll_until(&h, None, 1).await.remove(0);
        let waiting = h.wait_action("p", &id, "Job", |r| r.token.is_some()).await;
        let deadline = waiting.expires_ms.unwrap() - waiting.state.updated_ms;
        assert!((59_000..=61_000).contains(&deadline), "the job times out after the type's 60 s, not {deadline} ms");
        // The worker went silent: let the clock pass the deadline instead of waiting a minute.
        let db = h.db.as_ref().unwrap();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
        sqlx::query("update action_execution set expires_ms = 1 where token = $1")
            .bind(&job.id)
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Failed);
        let run = h.runs("p", &id).await.into_iter().find(|r| r.action_name == "Job").unwrap();
        assert!(run.state.error_message.unwrap().contains("timed out"));
        assert_eq!(h.engine.job_status(&job.id).await.unwrap(), JobStatus::TimedOut);
        assert_eq!(refusal(h.engine.put_job_success(&job.id, JobSuccess::default()).await), Refusal::InvalidJobState);
        h
    })
    .await;
}

#[tokio::test]
async fn a_deleted_type_is_refused_by_create_pipeline_and_poll() {
    on_both(|h| async move {
        h.engine.create_custom_action_type(worker_type(None), &[]).await.unwrap();
        let decl = pipeline("p", vec![source(json!({})), ("Build", vec![job_action("Job", "q1", 1)])]);
        let decl = model::parse_pipeline(&decl.to_string()).unwrap();
        h.engine.create_pipeline(decl.clone(), &[], &tester()).await.unwrap();

        let (category, provider, version) = (worker_id().category, "Worker", "1");
        h.engine.delete_custom_action_type(category, provider, version).await.unwrap();
        let again = model::PipelineDeclaration { name: "q".into(), ..decl };
        match h.engine.create_pipeline(again, &[], &tester()).await {
            Err(EngineError::Invalid(errors)) => assert_eq!(errors[0].code, "unknown-action-type"),
            other => panic!("a deleted type must be refused, got {other:?}"),
        }
        let id = worker_id();
        let query = JobQuery { action_type: &id, max_batch_size: 1, query: None };
        assert_eq!(refusal(h.engine.poll_for_jobs(query, |_| true).await), Refusal::ActionTypeNotFound);
        // Its version stays taken unless the identical declaration restores it.
        let mut changed = worker_type(None);
        changed.description = Some("another meaning".into());
        assert_eq!(refusal(h.engine.create_custom_action_type(changed, &[]).await), Refusal::ActionTypeAlreadyExists);
        h.engine.create_custom_action_type(worker_type(None), &[]).await.unwrap();
        assert!(h.engine.custom_action_types().await.unwrap().iter().any(|t| t.provider == "Worker"));
        h
    })
    .await;
}
