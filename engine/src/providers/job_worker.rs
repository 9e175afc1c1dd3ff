//! Actions that run outside this process: custom actions (owner Custom) become jobs that a
//! team's job worker polls for (PollForJobs) and answers (PutJobSuccessResult /
//! PutJobFailureResult); partner actions (owner ThirdParty) become jobs for the partner's worker
//! (PollForThirdPartyJobs and the other ThirdParty calls). The attempt waits with the job's id
//! as its token, the same way a manual approval waits for its answer, and fails when the job
//! timeout runs out.
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, BoxFuture, FailureKind};
use crate::store::jobs::{insert_job, JobRow, JobStatus};
use crate::store::partner_clients;
use crate::{now_ms, Store};
use model::catalog::custom::DEFAULT_JOB_TIMEOUT_SECONDS;
use model::ActionOwner;

pub(crate) struct JobWorker {
    store: Store,
}

/// What the job's type says about its jobs: the value workers may filter polls on, and how long
/// a job may take.
struct JobTerms {
    query_value: Option<String>,
    timeout_seconds: u32,
    /// Who takes the job, for the log.
    taker: String,
}

impl JobWorker {
    pub(crate) fn new(store: Store) -> Self {
        JobWorker { store }
    }

    /// A custom type's terms, as declared with CreateCustomActionType.
    async fn custom_terms(&self, ctx: &ActionContext) -> Result<JobTerms, ActionFailure> {
        let id = &ctx.action.action_type_id;
        match self.store.custom_type(id.category, &id.provider, &id.version).await {
            Ok(Some(stored)) if !stored.deleted => Ok(JobTerms {
                query_value: stored
                    .declaration
                    .queryable_property()
                    .and_then(|p| ctx.configuration.get(&p.name))
                    .cloned(),
                timeout_seconds: stored.declaration.job_timeout_seconds(),
                taker: format!("a {} job worker", id.provider),
            }),
            Ok(_) => Err(ActionFailure::configuration(format!(
                "The custom action type {}/{}/{} no longer exists.",
                id.category, id.provider, id.version
            ))),
            Err(err) => Err(unavailable(err)),
        }
    }

    /// A partner type's terms: its jobs go to the action's partner client, which must exist.
    async fn partner_terms(&self, ctx: &ActionContext) -> Result<JobTerms, ActionFailure> {
        let mut conn = self.store.conn().await.map_err(unavailable)?;
        let (pipeline, stage, action) = (&ctx.pipeline_name, &ctx.stage_name, &ctx.action.name);
        match partner_clients::of_action(&mut conn, pipeline, stage, action).await {
            Ok(Some(client)) => Ok(JobTerms {
                query_value: None,
                timeout_seconds: DEFAULT_JOB_TIMEOUT_SECONDS,
                taker: format!(
                    "the {} partner's worker (client {})",
                    ctx.action.action_type_id.provider, client.client_id
                ),
            }),
            Ok(None) => Err(ActionFailure::configuration(format!(
                "Action {stage}.{action} has no partner client, so no {} worker could take its job: an operator \
                 creates one with `sluice partner-client --pipeline {pipeline} --stage {stage} --action {action}` \
                 and gives its clientId and clientToken to the partner.",
                ctx.action.action_type_id.provider
            ))),
            Err(err) => Err(unavailable(err)),
        }
    }
}

fn unavailable(err: crate::StoreError) -> ActionFailure {
    ActionFailure { kind: FailureKind::SystemUnavailable, message: format!("The job could not be queued: {err}") }
}

impl ActionProvider for JobWorker {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let id = &ctx.action.action_type_id;
            let terms = match id.owner {
                ActionOwner::ThirdParty => self.partner_terms(ctx).await?,
                _ => self.custom_terms(ctx).await?,
            };
            let now = now_ms();
            let job = JobRow {
                job_id: uuid::Uuid::new_v4().to_string(),
                action_execution_id: ctx.action_execution_id.clone(),
                pipeline_name: ctx.pipeline_name.clone(),
                action_type: id.clone(),
                query_value: terms.query_value,
                status: JobStatus::Queued,
                nonce: None,
                continuation_token: None,
                created_ms: now,
                updated_ms: now,
            };
            let mut conn = self.store.conn().await.map_err(unavailable)?;
            insert_job(&mut conn, &job).await.map_err(unavailable)?;
            let seconds = terms.timeout_seconds;
            ctx.log.line(format!("Queued job {} for {}; it times out in {seconds} s.", job.job_id, terms.taker));
            Ok(ActionOutcome::Waiting {
                token: job.job_id,
                expires_ms: now + i64::from(seconds) * 1000,
                summary: Some("Waiting for a job worker".into()),
            })
        })
    }
}
