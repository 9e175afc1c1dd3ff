//! The partner (ThirdParty) job operations: PollForThirdPartyJobs, AcknowledgeThirdPartyJob,
//! GetThirdPartyJobDetails, PutThirdPartyJobSuccessResult and PutThirdPartyJobFailureResult.
//!
//! They work like the job-worker operations (`api::jobs`), with two differences AWS makes: a poll
//! answers only each job's clientId and id (the data and nonce come from GetThirdPartyJobDetails),
//! and every call on a job carries the clientToken of the job's partner client. IAM gives these
//! operations no resource but `*`; the dispatcher checks that, and each call on a job is checked
//! again on the job's pipeline ARN, as the job-worker operations are.
use super::error::ApiResult;
use super::jobs::{batch_size, job_failure, job_success, WireFailure, WireSuccess};
use crate::auth::{self, Caller};
use crate::AppState;
use engine::jobs::Job;
use model::ActionTypeId;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollInput {
    action_type_id: ActionTypeId,
    max_batch_size: Option<i64>,
}

pub async fn poll(state: &AppState, caller: &Caller, input: PollInput) -> ApiResult<Value> {
    let wanted = batch_size(input.max_batch_size)?;
    let engine = &state.engine;
    let may_take = |pipeline: &str| caller.may("codepipeline:PollForThirdPartyJobs", &engine.pipeline_arn(pipeline));
    let jobs = engine.poll_for_third_party_jobs(&input.action_type_id, wanted, may_take).await?;
    let jobs: Vec<Value> =
        jobs.into_iter().map(|job| json!({ "clientId": job.client_id, "jobId": job.job_id })).collect();
    Ok(json!({ "jobs": jobs }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgeInput {
    job_id: String,
    nonce: String,
    client_token: String,
}

pub async fn acknowledge(state: &AppState, caller: &Caller, input: AcknowledgeInput) -> ApiResult<Value> {
    authorize_on_job(state, caller, "AcknowledgeThirdPartyJob", &input.job_id, &input.client_token).await?;
    let status = state.engine.acknowledge_job(&input.job_id, &input.nonce).await?;
    Ok(json!({ "status": status.as_str() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailsInput {
    job_id: String,
    client_token: String,
}

pub async fn details(state: &AppState, caller: &Caller, input: DetailsInput) -> ApiResult<Value> {
    authorize_on_job(state, caller, "GetThirdPartyJobDetails", &input.job_id, &input.client_token).await?;
    let Job { id, data, nonce, .. } = state.engine.job_details(&input.job_id).await?;
    Ok(json!({ "jobDetails": { "id": id, "data": data, "nonce": nonce } }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuccessInput {
    job_id: String,
    client_token: String,
    #[serde(flatten)]
    result: WireSuccess,
}

pub async fn succeed(state: &AppState, caller: &Caller, input: SuccessInput) -> ApiResult<Value> {
    // A partner's action has no output variables in CodePipeline's API.
    let success = job_success(input.result, Default::default())?;
    authorize_on_job(state, caller, "PutThirdPartyJobSuccessResult", &input.job_id, &input.client_token).await?;
    state.engine.put_job_success(&input.job_id, success).await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureInput {
    job_id: String,
    client_token: String,
    failure_details: WireFailure,
}

pub async fn fail(state: &AppState, caller: &Caller, input: FailureInput) -> ApiResult<Value> {
    let failure = job_failure(input.failure_details)?;
    authorize_on_job(state, caller, "PutThirdPartyJobFailureResult", &input.job_id, &input.client_token).await?;
    state.engine.put_job_failure(&input.job_id, failure).await?;
    Ok(json!({}))
}

/// The caller holds the job's clientToken and may do `operation` on the job's pipeline.
async fn authorize_on_job(
    state: &AppState,
    caller: &Caller,
    operation: &str,
    job_id: &str,
    client_token: &str,
) -> ApiResult<()> {
    let pipeline = state.engine.partner_job_pipeline(job_id, client_token).await?;
    auth::authorize(caller, &format!("codepipeline:{operation}"), &state.engine.pipeline_arn(&pipeline))
}
