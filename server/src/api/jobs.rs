//! The job-worker operations: PollForJobs, AcknowledgeJob, GetJobDetails, PutJobSuccessResult and
//! PutJobFailureResult.
//!
//! Permissions: PollForJobs is checked (by the dispatcher) on the action type's ARN, as IAM
//! documents, and hands out only jobs of pipelines on which the caller may also PollForJobs.
//! The other four have no resource but `*` on AWS; the dispatcher checks that, and then each is
//! checked again here on the job's pipeline ARN, so a Deny on one pipeline keeps workers off its
//! jobs (and the job data's secrets) even when they may work for others.
use super::error::{ApiError, ApiResult};
use crate::auth::{self, Caller};
use crate::AppState;
use engine::jobs::{CurrentRevision, ExecutionDetails, Job, JobFailure, JobQuery, JobSuccess};
use engine::providers::FailureKind;
use indexmap::IndexMap;
use model::ActionTypeId;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollInput {
    action_type_id: ActionTypeId,
    max_batch_size: Option<i64>,
    #[serde(default)]
    query_param: IndexMap<String, String>,
}

pub async fn poll(state: &AppState, caller: &Caller, input: PollInput) -> ApiResult<Value> {
    let max_batch_size = batch_size(input.max_batch_size)?;
    if input.query_param.len() > 1 {
        return Err(ApiError::validation("queryParam may hold at most one property."));
    }
    let query = JobQuery {
        action_type: &input.action_type_id,
        max_batch_size,
        query: input.query_param.iter().next().map(|(k, v)| (k.as_str(), v.as_str())),
    };
    let engine = &state.engine;
    let jobs = engine
        .poll_for_jobs(query, |pipeline| caller.may("codepipeline:PollForJobs", &engine.pipeline_arn(pipeline)))
        .await?;
    let jobs: Vec<Value> = jobs
        .into_iter()
        .map(|job| json!({ "id": job.id, "data": job.data, "nonce": job.nonce, "accountId": job.account_id }))
        .collect();
    Ok(json!({ "jobs": jobs }))
}

/// A poll's `maxBatchSize` (1 when not given), at least 1.
pub(super) fn batch_size(max_batch_size: Option<i64>) -> ApiResult<usize> {
    match max_batch_size.unwrap_or(1) {
        n if n < 1 => Err(ApiError::validation("maxBatchSize must be at least 1.")),
        n => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgeInput {
    job_id: String,
    nonce: String,
}

pub async fn acknowledge(state: &AppState, caller: &Caller, input: AcknowledgeInput) -> ApiResult<Value> {
    authorize_on_job(state, caller, "AcknowledgeJob", &input.job_id).await?;
    let status = state.engine.acknowledge_job(&input.job_id, &input.nonce).await?;
    Ok(json!({ "status": status.as_str() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailsInput {
    job_id: String,
}

pub async fn details(state: &AppState, caller: &Caller, input: DetailsInput) -> ApiResult<Value> {
    authorize_on_job(state, caller, "GetJobDetails", &input.job_id).await?;
    let Job { id, data, account_id, .. } = state.engine.job_details(&input.job_id).await?;
    Ok(json!({ "jobDetails": { "id": id, "data": data, "accountId": account_id } }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuccessInput {
    job_id: String,
    #[serde(flatten)]
    result: WireSuccess,
    #[serde(default)]
    output_variables: IndexMap<String, String>,
}

/// What PutJobSuccessResult and PutThirdPartyJobSuccessResult both take.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireSuccess {
    current_revision: Option<WireRevision>,
    continuation_token: Option<String>,
    execution_details: Option<WireDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRevision {
    revision: String,
    change_identifier: String,
    created: Option<f64>,
    revision_summary: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDetails {
    summary: Option<String>,
    external_execution_id: Option<String>,
    percent_complete: Option<i64>,
}

pub async fn succeed(state: &AppState, caller: &Caller, input: SuccessInput) -> ApiResult<Value> {
    let success = job_success(input.result, input.output_variables)?;
    authorize_on_job(state, caller, "PutJobSuccessResult", &input.job_id).await?;
    state.engine.put_job_success(&input.job_id, success).await?;
    Ok(json!({}))
}

/// The engine's JobSuccess, once each member is within AWS's limits.
pub(super) fn job_success(result: WireSuccess, output_variables: IndexMap<String, String>) -> ApiResult<JobSuccess> {
    let details = result.execution_details.map(|d| {
        let percent = d.percent_complete.map(|p| u8::try_from(p).ok().filter(|p| *p <= 100));
        (d, percent)
    });
    let execution_details = match details {
        None => None,
        Some((_, Some(None))) => return Err(ApiError::validation("percentComplete must be 0-100.")),
        Some((d, percent)) => {
            check_length("executionDetails.summary", d.summary.as_deref(), 2048)?;
            check_length("executionDetails.externalExecutionId", d.external_execution_id.as_deref(), 1500)?;
            Some(ExecutionDetails {
                summary: d.summary,
                external_execution_id: d.external_execution_id,
                percent_complete: percent.flatten(),
            })
        }
    };
    check_length("continuationToken", result.continuation_token.as_deref(), 2048)?;
    Ok(JobSuccess {
        current_revision: result.current_revision.map(|r| CurrentRevision {
            revision: r.revision,
            change_identifier: r.change_identifier,
            created_ms: r.created.map(|seconds| (seconds * 1000.0) as i64),
            revision_summary: r.revision_summary,
        }),
        continuation_token: result.continuation_token,
        execution_details,
        output_variables,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureInput {
    job_id: String,
    failure_details: WireFailure,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireFailure {
    #[serde(rename = "type")]
    kind: FailureKind,
    message: String,
    external_execution_id: Option<String>,
}

pub async fn fail(state: &AppState, caller: &Caller, input: FailureInput) -> ApiResult<Value> {
    let failure = job_failure(input.failure_details)?;
    authorize_on_job(state, caller, "PutJobFailureResult", &input.job_id).await?;
    state.engine.put_job_failure(&input.job_id, failure).await?;
    Ok(json!({}))
}

/// The engine's JobFailure, once each member is within AWS's limits.
pub(super) fn job_failure(failure: WireFailure) -> ApiResult<JobFailure> {
    if failure.message.is_empty() || failure.message.chars().count() > 5000 {
        return Err(ApiError::validation("failureDetails.message must be 1-5000 characters."));
    }
    check_length("failureDetails.externalExecutionId", failure.external_execution_id.as_deref(), 1500)?;
    Ok(JobFailure {
        kind: failure.kind,
        message: failure.message,
        external_execution_id: failure.external_execution_id,
    })
}

/// The caller may do `operation` on the pipeline the job belongs to.
async fn authorize_on_job(state: &AppState, caller: &Caller, operation: &str, job_id: &str) -> ApiResult<()> {
    let pipeline = state.engine.job_pipeline(job_id).await?;
    auth::authorize(caller, &format!("codepipeline:{operation}"), &state.engine.pipeline_arn(&pipeline))
}

fn check_length(member: &str, value: Option<&str>, max: usize) -> ApiResult<()> {
    match value {
        Some(text) if text.is_empty() || text.chars().count() > max => {
            Err(ApiError::validation(format!("{member} must be 1-{max} characters.")))
        }
        _ => Ok(()),
    }
}
