//! The job-worker API of custom actions: PollForJobs hands a waiting action's job to one worker
//! (claimed atomically in the database), AcknowledgeJob and GetJobDetails follow it, and
//! `results` applies PutJobSuccessResult / PutJobFailureResult to the action.
//!
//! A job is live while its action waits on it (the action's token is the job id); once the
//! action ends for any reason (an answer, the job timeout, a stop) the job is over, whatever its
//! own row still says, so nothing can answer a job twice or answer one that timed out.
mod data;
mod partners;
mod results;

pub use crate::store::jobs::JobStatus;
pub use partners::{PartnerClient, PartnerClients, PartnerJob};
pub use results::{CurrentRevision, ExecutionDetails, JobFailure, JobSuccess};

use crate::runs::ActionRow;
use crate::store::actions;
use crate::store::jobs::{self as rows, JobRow};
use crate::{Engine, EngineError, Refusal, Result};
use model::catalog::custom::is_query_value;
use model::{ActionExecutionStatus as A, ActionOwner, ActionTypeId};

/// Most jobs one poll hands out, whatever the worker asks for.
pub const MAX_BATCH: usize = 100;

/// A job handed to a worker, as PollForJobs and GetJobDetails describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub nonce: Option<String>,
    /// `JobData`, shaped as CodePipeline's API shapes it.
    pub data: serde_json::Value,
    pub account_id: String,
    pub pipeline_name: String,
}

/// What a worker polls for: jobs of one type, optionally only those whose queryable property
/// has a value (`queryParam`).
#[derive(Debug, Clone, Copy)]
pub struct JobQuery<'a> {
    pub action_type: &'a ActionTypeId,
    pub max_batch_size: usize,
    pub query: Option<(&'a str, &'a str)>,
}

/// Whether an action attempt is (or was) a job for a worker or a partner rather than work this
/// server runs.
pub fn is_job(row: &ActionRow) -> bool {
    row.input.action_type_id.as_ref().is_some_and(is_job_type) && row.token.is_some()
}

/// Whether actions of this type become jobs when no local provider runs them.
pub fn is_job_type(id: &ActionTypeId) -> bool {
    model::catalog::runs_as_job(id.category, id.owner)
}

impl Engine {
    /// PollForJobs: claims up to `max_batch_size` queued jobs of the type for the caller, oldest
    /// first, skipping those on pipelines `may_take` refuses. Each claimed job gets a fresh nonce.
    pub async fn poll_for_jobs(&self, query: JobQuery<'_>, may_take: impl Fn(&str) -> bool) -> Result<Vec<Job>> {
        let id = query.action_type;
        if id.owner != ActionOwner::Custom {
            return Err(EngineError::refused(
                Refusal::ActionTypeNotFound,
                "PollForJobs only serves action types with owner Custom.",
            ));
        }
        let declared = self.custom_action_type(id.category, &id.provider, &id.version).await?;
        let value = match query.query {
            None => None,
            Some((name, value)) => {
                if declared.queryable_property().is_none_or(|p| p.name != name) {
                    return Err(EngineError::refused(
                        Refusal::InvalidRequest,
                        format!("'{name}' is not the queryable configuration property of this action type."),
                    ));
                }
                if !is_query_value(value) {
                    return Err(EngineError::refused(
                        Refusal::InvalidRequest,
                        "A queryParam value must be 1-20 characters of letters, digits, '_' or '-'.",
                    ));
                }
                Some(value)
            }
        };
        let candidates = {
            let mut conn = self.store.conn().await?;
            rows::queued_jobs(&mut conn, id, value, MAX_BATCH as i64).await?
        };
        let mut jobs = Vec::new();
        for (job, nonce) in self.claim_jobs(candidates, |job| job, query.max_batch_size, may_take).await? {
            let data = self.job_data(&job).await?;
            jobs.push(self.job_of(&job, Some(nonce), data));
        }
        Ok(jobs)
    }

    /// Claims up to `wanted` of the candidates (oldest first, skipping those on pipelines
    /// `may_take` refuses), each with a fresh nonce; a candidate another poller claimed first is
    /// passed over.
    async fn claim_jobs<T>(
        &self,
        candidates: Vec<T>,
        job: impl Fn(&T) -> &JobRow,
        wanted: usize,
        may_take: impl Fn(&str) -> bool,
    ) -> Result<Vec<(T, String)>> {
        let wanted = wanted.clamp(1, MAX_BATCH);
        let mut claimed = Vec::new();
        for candidate in candidates.into_iter().filter(|c| may_take(&job(c).pipeline_name)) {
            if claimed.len() == wanted {
                break;
            }
            let nonce = uuid::Uuid::new_v4().simple().to_string();
            let mut conn = self.store.conn().await?;
            let (from, to) = (&[JobStatus::Queued], JobStatus::Dispatched);
            if rows::transition(&mut conn, &job(&candidate).job_id, from, to, Some(&nonce), crate::now_ms()).await? {
                claimed.push((candidate, nonce));
            }
        }
        Ok(claimed)
    }

    /// AcknowledgeJob: the worker with the job's nonce confirms it works on it; answers the job's
    /// status (InProgress, or how it ended).
    pub async fn acknowledge_job(&self, job_id: &str, nonce: &str) -> Result<JobStatus> {
        let (job, action) = self.job_and_action(job_id).await?;
        if job.nonce.as_deref() != Some(nonce) {
            return Err(EngineError::refused(
                Refusal::InvalidNonce,
                format!("The nonce is not the one job {job_id} was handed out with."),
            ));
        }
        let status = effective_status(&job, action.as_ref());
        if status != JobStatus::Dispatched {
            return Ok(status);
        }
        let mut conn = self.store.conn().await?;
        let now = crate::now_ms();
        rows::transition(&mut conn, job_id, &[JobStatus::Dispatched], JobStatus::InProgress, None, now).await?;
        let job = rows::job(&mut conn, job_id).await?.ok_or_else(|| job_not_found(job_id))?;
        Ok(effective_status(&job, action.as_ref()))
    }

    /// GetJobDetails: the job's data (and the nonce it was handed out with), for a job that was
    /// handed out.
    pub async fn job_details(&self, job_id: &str) -> Result<Job> {
        let (job, _) = self.job_and_action(job_id).await?;
        if job.status == JobStatus::Queued {
            return Err(EngineError::refused(
                Refusal::InvalidJobState,
                format!("Job {job_id} has not been polled yet."),
            ));
        }
        let data = self.job_data(&job).await?;
        Ok(self.job_of(&job, job.nonce.clone(), data))
    }

    /// The pipeline a custom action's job belongs to, so the edge can check the caller's rights on
    /// it first. A partner's job is not found here: its operations are the ThirdParty ones.
    pub async fn job_pipeline(&self, job_id: &str) -> Result<String> {
        Ok(self.job_of_family(job_id, ActionOwner::Custom).await?.pipeline_name)
    }

    /// The job, if it is one of `owner`'s family (Custom or ThirdParty).
    async fn job_of_family(&self, job_id: &str, owner: ActionOwner) -> Result<JobRow> {
        let mut conn = self.store.conn().await?;
        let job = rows::job(&mut conn, job_id).await?.filter(|job| job.action_type.owner == owner);
        job.ok_or_else(|| job_not_found(job_id))
    }

    /// The job's status as a worker sees it.
    pub async fn job_status(&self, job_id: &str) -> Result<JobStatus> {
        let (job, action) = self.job_and_action(job_id).await?;
        Ok(effective_status(&job, action.as_ref()))
    }

    async fn job_and_action(&self, job_id: &str) -> Result<(JobRow, Option<ActionRow>)> {
        let mut conn = self.store.conn().await?;
        let job = rows::job(&mut conn, job_id).await?.ok_or_else(|| job_not_found(job_id))?;
        let action = actions::action(&mut conn, &job.action_execution_id).await?;
        Ok((job, action))
    }

    fn job_of(&self, job: &JobRow, nonce: Option<String>, data: serde_json::Value) -> Job {
        Job {
            id: job.job_id.clone(),
            nonce,
            data,
            account_id: self.account.id.clone(),
            pipeline_name: job.pipeline_name.clone(),
        }
    }
}

/// Whether the action still waits on this very job.
fn is_live(job: &JobRow, action: Option<&ActionRow>) -> bool {
    action.is_some_and(|a| a.state.status == A::InProgress && a.token.as_deref() == Some(job.job_id.as_str()))
}

/// The job's status: its own while its action waits on it, else how its action ended.
fn effective_status(job: &JobRow, action: Option<&ActionRow>) -> JobStatus {
    if job.status.is_final() || is_live(job, action) {
        return job.status;
    }
    match action {
        Some(a) if a.state.status == A::Succeeded => JobStatus::Succeeded,
        Some(a) if a.state.status == A::Failed && a.expires_ms.is_some_and(|at| at <= a.state.updated_ms) => {
            JobStatus::TimedOut
        }
        _ => JobStatus::Failed,
    }
}

pub(crate) fn job_not_found(job_id: &str) -> EngineError {
    EngineError::refused(Refusal::JobNotFound, format!("Job {job_id} does not exist."))
}
