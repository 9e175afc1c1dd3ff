//! Custom actions (owner Custom) with no provider of their own in this process: the action becomes
//! a job that a team's job worker polls for (PollForJobs) and answers (PutJobSuccessResult /
//! PutJobFailureResult). The attempt waits with the job's id as its token, the same way a manual
//! approval waits for its answer, and fails when the type's job timeout runs out.
use super::{ActionContext, ActionFailure, ActionOutcome, ActionProvider, BoxFuture, FailureKind};
use crate::store::jobs::{insert_job, JobRow, JobStatus};
use crate::{now_ms, Store};

pub(crate) struct JobWorker {
    store: Store,
}

impl JobWorker {
    pub(crate) fn new(store: Store) -> Self {
        JobWorker { store }
    }
}

impl ActionProvider for JobWorker {
    fn execute<'a>(&'a self, ctx: &'a ActionContext) -> BoxFuture<'a, Result<ActionOutcome, ActionFailure>> {
        Box::pin(async move {
            let id = &ctx.action.action_type_id;
            let unavailable = |err: crate::StoreError| ActionFailure {
                kind: FailureKind::SystemUnavailable,
                message: format!("The job could not be queued: {err}"),
            };
            let declared = match self.store.custom_type(id.category, &id.provider, &id.version).await {
                Ok(Some(stored)) if !stored.deleted => stored.declaration,
                Ok(_) => {
                    return Err(ActionFailure::configuration(format!(
                        "The custom action type {}/{}/{} no longer exists.",
                        id.category, id.provider, id.version
                    )))
                }
                Err(err) => return Err(unavailable(err)),
            };
            let now = now_ms();
            let job = JobRow {
                job_id: uuid::Uuid::new_v4().to_string(),
                action_execution_id: ctx.action_execution_id.clone(),
                pipeline_name: ctx.pipeline_name.clone(),
                action_type: id.clone(),
                query_value: declared.queryable_property().and_then(|p| ctx.configuration.get(&p.name)).cloned(),
                status: JobStatus::Queued,
                nonce: None,
                continuation_token: None,
                created_ms: now,
                updated_ms: now,
            };
            let mut conn = self.store.conn().await.map_err(unavailable)?;
            insert_job(&mut conn, &job).await.map_err(unavailable)?;
            let seconds = declared.job_timeout_seconds();
            ctx.log.line(format!(
                "Queued job {} for a {} job worker; it times out in {seconds} s.",
                job.job_id, id.provider
            ));
            Ok(ActionOutcome::Waiting {
                token: job.job_id,
                expires_ms: now + i64::from(seconds) * 1000,
                summary: Some("Waiting for a job worker".into()),
            })
        })
    }
}
