//! Partner (ThirdParty) jobs. A partner action that Sluice does not run itself waits on a job, as
//! a custom action does, and the partner's worker takes it with PollForThirdPartyJobs. Each job
//! carries the clientId of its action's partner client; the worker proves it is that partner with
//! the client's token on every other call. An operator creates the client (`sluice
//! partner-client`) and gives both halves to the partner, as CodePipeline's console does when a
//! partner action is set up; an action without a client fails at once rather than wait.
use super::{job_not_found, rows, JobRow, MAX_BATCH};
use crate::identity::token_hash;
use crate::store::partner_clients::{self, PartnerClientRow};
use crate::{Engine, EngineError, Refusal, Result, Store, StoreError};
use model::{ActionOwner, ActionTypeId};

/// A job PollForThirdPartyJobs hands out: which client it is for, and its id.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerJob {
    pub client_id: String,
    pub job_id: String,
}

/// A new partner client, token included: the only time the token is seen.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerClient {
    pub client_id: String,
    pub client_token: String,
}

/// Creates partner clients; `Engine::partner_clients` hands one out, and the operator's CLI
/// makes its own over the store.
#[derive(Clone)]
pub struct PartnerClients {
    store: Store,
}

impl PartnerClients {
    pub fn new(store: Store) -> Self {
        PartnerClients { store }
    }

    /// Gives a partner action of a pipeline a new client, revoking the one it had.
    pub async fn create(&self, pipeline: &str, stage: &str, action: &str) -> Result<PartnerClient> {
        let declaration = match self.store.get_pipeline(pipeline, None).await {
            Err(StoreError::NotFound) => return Err(EngineError::PipelineNotFound(pipeline.to_owned())),
            found => found?.declaration,
        };
        let declared = declaration.action(stage, action).ok_or_else(|| {
            EngineError::refused(
                Refusal::ActionNotFound,
                format!("Pipeline {pipeline} has no action {stage}.{action}."),
            )
        })?;
        let id = &declared.action_type_id;
        if id.owner != ActionOwner::ThirdParty || !super::is_job_type(id) {
            return Err(EngineError::refused(
                Refusal::InvalidRequest,
                format!(
                    "{stage}.{action} is a {}/{} action, not a partner's: only ThirdParty actions other than sources have partner clients.",
                    id.owner, id.provider
                ),
            ));
        }
        let client = PartnerClient {
            client_id: uuid::Uuid::new_v4().to_string(),
            client_token: crate::identity::new_random_token(),
        };
        let row = PartnerClientRow {
            client_id: client.client_id.clone(),
            pipeline_name: pipeline.to_owned(),
            stage_name: stage.to_owned(),
            action_name: action.to_owned(),
            token_hash: token_hash(&client.client_token),
            created_ms: crate::now_ms(),
        };
        partner_clients::replace(&mut *self.store.conn().await?, &row).await?;
        Ok(client)
    }
}

impl Engine {
    pub fn partner_clients(&self) -> PartnerClients {
        PartnerClients::new(self.store.clone())
    }

    /// PollForThirdPartyJobs: claims up to `max_batch_size` queued jobs of the partner type,
    /// oldest first, skipping those on pipelines `may_take` refuses.
    pub async fn poll_for_third_party_jobs(
        &self,
        action_type: &ActionTypeId,
        max_batch_size: usize,
        may_take: impl Fn(&str) -> bool,
    ) -> Result<Vec<PartnerJob>> {
        if action_type.owner != ActionOwner::ThirdParty {
            return Err(EngineError::refused(
                Refusal::ActionTypeNotFound,
                "PollForThirdPartyJobs only serves action types with owner ThirdParty.",
            ));
        }
        let candidates = {
            let mut conn = self.store.conn().await?;
            rows::queued_partner_jobs(&mut conn, action_type, MAX_BATCH as i64).await?
        };
        let claimed = self.claim_jobs(candidates, |(job, _)| job, max_batch_size, may_take).await?;
        Ok(claimed.into_iter().map(|((job, client_id), _)| PartnerJob { client_id, job_id: job.job_id }).collect())
    }

    /// The pipeline of a partner's job, once `client_token` proves the caller is the job's client.
    pub async fn partner_job_pipeline(&self, job_id: &str, client_token: &str) -> Result<String> {
        let job = self.job_of_family(job_id, ActionOwner::ThirdParty).await?;
        let client = self.client_of(&job).await?;
        if !client.is_some_and(|client| same_hash(&client.token_hash, &token_hash(client_token))) {
            return Err(EngineError::refused(
                Refusal::InvalidClientToken,
                format!("The clientToken is not the one of job {job_id}'s client."),
            ));
        }
        Ok(job.pipeline_name)
    }

    /// The client of the action the job belongs to.
    async fn client_of(&self, job: &JobRow) -> Result<Option<PartnerClientRow>> {
        let mut conn = self.store.conn().await?;
        let action = crate::store::actions::action(&mut conn, &job.action_execution_id)
            .await?
            .ok_or_else(|| job_not_found(&job.job_id))?;
        Ok(partner_clients::of_action(&mut conn, &job.pipeline_name, &action.stage_name, &action.action_name).await?)
    }
}

/// Compares two hex digests in time that says nothing about where they differ.
fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
