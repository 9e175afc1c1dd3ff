//! A worker's answer to its job: PutJobSuccessResult (with a continuation token the action keeps
//! waiting, on a new job; without, it succeeds with the worker's output variables and uploaded
//! artifacts) and PutJobFailureResult. The action changes under the pipeline's lock only if it
//! still waits on this job, so a job answered twice, superseded or timed out changes nothing.
use super::{is_live, job_not_found, JobRow, JobStatus};
use crate::events::EventState;
use crate::providers::FailureKind;
use crate::runs::{Revision, StoredArtifact};
use crate::scheduler::{action_event, artifact_store, output_key, progress};
use crate::store::actions;
use crate::store::jobs::{self as rows, insert_job};
use crate::{Engine, EngineError, Refusal, Result};
use indexmap::IndexMap;
use model::catalog::CustomActionType;
use model::ActionExecutionStatus as A;
use serde_json::json;

/// All output variables of one action together, in bytes (names and values).
pub const MAX_OUTPUT_VARIABLES_BYTES: usize = 122_880;

/// PutJobSuccessResult's input.
#[derive(Debug, Clone, Default)]
pub struct JobSuccess {
    pub current_revision: Option<CurrentRevision>,
    pub continuation_token: Option<String>,
    pub execution_details: Option<ExecutionDetails>,
    pub output_variables: IndexMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct CurrentRevision {
    pub revision: String,
    pub change_identifier: String,
    pub created_ms: Option<i64>,
    pub revision_summary: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ExecutionDetails {
    pub summary: Option<String>,
    pub external_execution_id: Option<String>,
    pub percent_complete: Option<u8>,
}

/// PutJobFailureResult's input.
#[derive(Debug, Clone)]
pub struct JobFailure {
    pub kind: FailureKind,
    pub message: String,
    pub external_execution_id: Option<String>,
}

impl Engine {
    /// PutJobSuccessResult.
    pub async fn put_job_success(&self, job_id: &str, success: JobSuccess) -> Result<()> {
        if success.continuation_token.is_some() && !success.output_variables.is_empty() {
            return Err(EngineError::refused(
                Refusal::InvalidRequest,
                "outputVariables can only be given with no continuationToken (on the job that completes the action).",
            ));
        }
        let size: usize = success.output_variables.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > MAX_OUTPUT_VARIABLES_BYTES {
            return Err(EngineError::refused(
                Refusal::OutputVariablesSizeExceeded,
                format!("The output variables take {size} bytes; the limit is {MAX_OUTPUT_VARIABLES_BYTES}."),
            ));
        }
        let (job, declared) = self.answerable_job(job_id).await?;
        let now = crate::now_ms();
        let next_job = match &success.continuation_token {
            // Written first and served only once the action points at it, so a refused answer leaves nothing behind.
            Some(token) => {
                let next = JobRow {
                    job_id: uuid::Uuid::new_v4().to_string(),
                    status: JobStatus::Queued,
                    nonce: None,
                    continuation_token: Some(token.clone()),
                    created_ms: now,
                    updated_ms: now,
                    ..job.clone()
                };
                insert_job(&mut *self.store.conn().await?, &next).await?;
                Some(next)
            }
            None => None,
        };
        let outputs = match next_job {
            Some(_) => Ok(Vec::new()),
            None => self.uploaded_outputs(&job).await,
        };
        let details = success.execution_details.clone().unwrap_or_default();
        let timeout_seconds =
            declared.as_ref().map_or(model::catalog::custom::DEFAULT_JOB_TIMEOUT_SECONDS, |d| d.job_timeout_seconds());
        self.answer_job(&job, |row, run, tick| {
            row.state.summary = details.summary.clone().or(row.state.summary.take());
            if let Some(external) = &details.external_execution_id {
                row.external_execution_id = Some(external.clone());
                row.external_execution_url =
                    declared.as_ref().and_then(|d| execution_url(d, row.input.resolved(), external));
            }
            row.output.percent_complete = details.percent_complete.or(row.output.percent_complete);
            row.state.updated_ms = tick.now;
            if let Some(next) = &next_job {
                row.token = Some(next.job_id.clone());
                row.expires_ms = Some(tick.now + i64::from(timeout_seconds) * 1000);
                return;
            }
            match &outputs {
                Ok(artifacts) => {
                    row.state.status = A::Succeeded;
                    row.output.output_artifacts = artifacts.clone();
                    row.output.output_variables = success.output_variables.clone();
                    row.output.revision = success.current_revision.as_ref().map(|r| Revision {
                        revision_id: r.revision.clone(),
                        revision_change_id: Some(r.change_identifier.clone()),
                        revision_summary: r.revision_summary.clone(),
                        revision_url: None,
                        created_ms: r.created_ms,
                    });
                    let detail = json!({ "output-artifacts": row.output.output_artifacts });
                    tick.events.push(action_event(run, row, EventState::Succeeded, detail));
                }
                Err(message) => {
                    row.state.status = A::Failed;
                    row.state.error_code = Some("JobFailed".into());
                    row.state.error_message = Some(message.clone());
                    tick.events.push(action_event(run, row, EventState::Failed, json!({})));
                }
            }
        })
        .await?;
        let done = if next_job.is_some() || outputs.is_ok() { JobStatus::Succeeded } else { JobStatus::Failed };
        self.close_job(job_id, done).await
    }

    /// PutJobFailureResult: the action fails with the worker's reason.
    pub async fn put_job_failure(&self, job_id: &str, failure: JobFailure) -> Result<()> {
        let (job, declared) = self.answerable_job(job_id).await?;
        self.answer_job(&job, |row, run, tick| {
            row.state.status = A::Failed;
            row.state.error_code = Some(format!("{:?}", failure.kind));
            row.state.error_message = Some(failure.message.clone());
            row.state.updated_ms = tick.now;
            if let Some(external) = &failure.external_execution_id {
                row.external_execution_id = Some(external.clone());
                row.external_execution_url = declared.as_ref().and_then(|d| execution_url(d, row.input.resolved(), external));
            }
            let detail = json!({ "execution-result": { "external-execution-summary": failure.message, "error-code": row.state.error_code } });
            tick.events.push(action_event(run, row, EventState::Failed, detail));
        })
        .await?;
        self.close_job(job_id, JobStatus::Failed).await
    }

    /// The job, if a worker may answer it now (handed out, and its action still waits on it),
    /// with its custom type's declaration (None for a partner's job, or when the type was
    /// deleted since).
    async fn answerable_job(&self, job_id: &str) -> Result<(JobRow, Option<CustomActionType>)> {
        let (job, action) = self.job_and_action(job_id).await?;
        let answerable =
            matches!(job.status, JobStatus::Dispatched | JobStatus::InProgress) && is_live(&job, action.as_ref());
        if !answerable {
            return Err(not_answerable(&job));
        }
        let id = &job.action_type;
        // A partner's type is in the catalogue, not among the custom ones.
        let declared = match id.owner {
            model::ActionOwner::Custom => {
                self.store.custom_type(id.category, &id.provider, &id.version).await?.map(|t| t.declaration)
            }
            _ => None,
        };
        Ok((job, declared))
    }

    /// Applies `change` to the job's action under the pipeline's lock, if the action still waits
    /// on this job, then lets the pipeline go on.
    async fn answer_job<F>(&self, job: &JobRow, change: F) -> Result<()>
    where
        F: FnOnce(&mut crate::runs::ActionRow, &crate::scheduler::Run, &mut crate::scheduler::Tick),
    {
        let execution_id = {
            let mut conn = self.store.conn().await?;
            actions::action(&mut conn, &job.action_execution_id)
                .await?
                .ok_or_else(|| job_not_found(&job.job_id))?
                .execution_id
        };
        self.change(&job.pipeline_name, &execution_id, |run, tick| {
            let index = run
                .actions
                .iter()
                .position(|a| a.action_execution_id == job.action_execution_id)
                .filter(|&i| is_live(job, Some(&run.actions[i])))
                .ok_or_else(|| not_answerable(job))?;
            let mut row = run.actions[index].clone();
            change(&mut row, run, tick);
            let ended = row.state.status != A::InProgress;
            run.actions[index] = row;
            if ended {
                progress(run, tick);
            }
            Ok(())
        })
        .await
    }

    async fn close_job(&self, job_id: &str, status: JobStatus) -> Result<()> {
        let mut conn = self.store.conn().await?;
        let handed_out = [JobStatus::Dispatched, JobStatus::InProgress];
        rows::transition(&mut conn, job_id, &handed_out, status, None, crate::now_ms()).await?;
        Ok(())
    }

    /// The output artifacts the worker uploaded where the job data told it to, or why not.
    async fn uploaded_outputs(&self, job: &JobRow) -> std::result::Result<Vec<StoredArtifact>, String> {
        let found = async {
            let mut conn = self.store.conn().await?;
            let row = actions::action(&mut conn, &job.action_execution_id)
                .await?
                .ok_or_else(|| job_not_found(&job.job_id))?;
            let exec = crate::store::executions::execution(&mut conn, &row.execution_id)
                .await?
                .ok_or_else(|| job_not_found(&job.job_id))?;
            drop(conn);
            let decl = self.declaration(&exec.pipeline_name, exec.pipeline_version).await?;
            let outputs =
                decl.action(&row.stage_name, &row.action_name).map(|a| a.output_artifacts.clone()).unwrap_or_default();
            Ok::<_, EngineError>((decl, outputs))
        };
        let (decl, outputs) = found.await.map_err(|err| err.to_string())?;
        let (bucket, _) = artifact_store(&decl);
        let mut stored = Vec::new();
        for output in outputs {
            let key = output_key(&job.pipeline_name, &output.name, &job.action_execution_id);
            match self.objects().latest(&bucket, &key).await {
                Ok(Some(version)) => stored.push(StoredArtifact::new(&output.name, &bucket, &key, &version)),
                Ok(None) => {
                    return Err(format!(
                    "The job worker reported success but did not upload output artifact '{}' to s3://{bucket}/{key}.",
                    output.name
                ))
                }
                Err(err) => return Err(format!("Output artifact '{}' could not be read: {err}", output.name)),
            }
        }
        Ok(stored)
    }
}

/// The type's executionUrlTemplate with `{ExternalExecutionId}` and `{Config:Key}` filled in.
/// Secret properties are never put in a link.
fn execution_url(
    declared: &CustomActionType,
    configuration: &IndexMap<String, String>,
    external_id: &str,
) -> Option<String> {
    let mut url = declared.settings.execution_url_template.clone()?.replace("{ExternalExecutionId}", external_id);
    for (key, value) in configuration {
        if declared.property(key).is_some_and(|p| !p.secret) {
            url = url.replace(&format!("{{Config:{key}}}"), value);
        }
    }
    Some(url)
}

fn not_answerable(job: &JobRow) -> EngineError {
    EngineError::refused(
        Refusal::InvalidJobState,
        format!(
            "Job {} cannot take a result now: it was not handed out, or it is over (answered, timed out or stopped).",
            job.job_id
        ),
    )
}
