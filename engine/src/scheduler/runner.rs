//! Running one action attempt: prepare its workspace and inputs, call its provider under a
//! timeout and cancellation, store its outputs, and record the outcome only if this runner still
//! holds the action's lease (a runner that lost it must not report: no action succeeds twice).
use super::outcomes::{Finished, Outcome};
use super::unseal::{masked, Unsealed};
use super::{action_event, Run, Tick};
use crate::events::EventState;
use crate::now_ms;
use crate::providers::{ActionContext, ActionFailure, ActionOutcome, InputArtifactDir, LogSink, Payload};
use crate::runs::{ActionRow, ExecutionRow, StoredArtifact};
use crate::secrets::Masker;
use crate::store::actions;
use crate::store::executions as rows;
use crate::store::leases::Work;
use crate::{Engine, Result};
use model::{ActionExecutionStatus as A, PipelineDeclaration};
use serde_json::json;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// An attempt this node runs: its row, its execution, the pipeline version and the declared action.
type HeldAttempt = (ActionRow, ExecutionRow, std::sync::Arc<PipelineDeclaration>, model::ActionDeclaration);

impl Engine {
    /// Runs an action attempt or a rule evaluation in the background, stoppable through `running`
    /// (whose entries also keep its lease renewed); a runner that fails is retried by the sweep.
    pub(crate) fn spawn_work(&self, work: Work, id: String) {
        let cancel = CancellationToken::new();
        self.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), cancel.clone());
        let engine = self.clone();
        tokio::spawn(async move {
            let ran = match work {
                Work::Action => engine.run_action(&id, cancel).await,
                Work::Rule => engine.run_rule(&id, cancel).await,
            };
            if let Err(err) = ran {
                tracing::error!(?work, %id, error = %err, "runner failed; the sweep will retry it");
            }
            engine.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        });
    }

    async fn run_action(&self, action_id: &str, cancel: CancellationToken) -> Result<()> {
        let Some((row, exec, decl, action)) = self.held_attempt(action_id).await? else { return Ok(()) };
        // The execution's other actions are only needed to find the producers of input artifacts.
        let all_rows = if action.input_artifacts.is_empty() {
            Vec::new()
        } else {
            actions::actions_of(&mut *self.store.conn().await?, &row.execution_id).await?
        };
        let workspace_root = self.sandbox().attempt_path(action_id);

        let unsealed = self.unseal(&action, row.input.resolved().clone(), row.input.resolved_environment.clone()).await;
        let masker = unsealed.as_ref().map(|u| u.masker.clone()).unwrap_or_default();
        let (log, logger) = self.keep_log(action_id, row.state.claims > 1, masker.clone());

        let attempt = async {
            let provider = self.provider_for(&action).ok_or_else(|| {
                ActionFailure::configuration(format!(
                    "Sluice cannot run {} actions yet ({}/{}/{}); the pipeline is accepted, but this action fails when it runs.",
                    action.action_type_id.provider, action.action_type_id.owner, action.action_type_id.category, action.action_type_id.version
                ))
            })?;
            let Unsealed { configuration, environment, .. } = unsealed?;
            let inputs = self.prepare_inputs(action_id, &action.input_artifacts, &all_rows).await?;
            let timeout = action
                .timeout_in_minutes
                .map_or_else(|| provider.default_timeout(), |minutes| Duration::from_secs(60 * u64::from(minutes)));
            let ctx = ActionContext {
                pipeline_name: exec.pipeline_name.clone(),
                pipeline_execution_id: exec.execution_id.clone(),
                stage_name: row.stage_name.clone(),
                action_execution_id: action_id.to_owned(),
                configuration,
                environment,
                action: action.clone(),
                workspace: workspace_root.clone(),
                inputs,
                source_revision: exec.pinned_revision(&action.name).map(str::to_owned),
                log: log.clone(),
                cancel: cancel.clone(),
                timeout,
                services: self.services(),
            };
            within(provider.execute(&ctx), timeout, &cancel, "action").await
        };
        let outcome = masked(attempt.await, &masker);
        drop(log);
        let _ = logger.await;
        if cancel.is_cancelled() && outcome.is_ok() {
            // Stopped (abandoned) while finishing: the scheduler already recorded Abandoned.
            let _ = tokio::fs::remove_dir_all(&workspace_root).await;
            return Ok(());
        }
        let outcome: Outcome = match outcome {
            Ok(ActionOutcome::Succeeded(result)) => {
                match self.store_outputs(&decl, &exec.pipeline_name, action_id, &result.outputs).await {
                    Ok(stored) => Ok((ActionOutcome::Succeeded(result), stored)),
                    Err(failure) => Err(failure),
                }
            }
            Ok(waiting) => Ok((waiting, Vec::new())),
            Err(failure) => Err(failure),
        };
        let _ = tokio::fs::remove_dir_all(&workspace_root).await;
        if self.runtime.shutdown.is_cancelled() {
            // Interrupted by shutdown, not by the action: the next process runs it again.
            return Ok(());
        }
        self.record_outcome(&exec.pipeline_name, &row, outcome).await
    }

    /// The attempt, its execution, the pipeline version it runs and its declared action, while
    /// this node holds its lease; `None` when there is nothing (any more) for this node to run.
    async fn held_attempt(&self, action_id: &str) -> Result<Option<HeldAttempt>> {
        let (row, exec) = {
            let mut conn = self.store.conn().await?;
            let Some(row) = actions::action(&mut conn, action_id).await? else { return Ok(None) };
            let Some(exec) = rows::execution(&mut conn, &row.execution_id).await? else { return Ok(None) };
            (row, exec)
        };
        if row.state.status != A::InProgress || row.state.lease_owner.as_deref() != Some(self.runtime.node_id.as_str())
        {
            return Ok(None);
        }
        let decl = self.declaration(&exec.pipeline_name, exec.pipeline_version).await?;
        let action = decl.action(&row.stage_name, &row.action_name).cloned();
        Ok(action.map(|action| (row, exec, decl, action)))
    }

    fn provider_for(
        &self,
        action: &model::ActionDeclaration,
    ) -> Option<std::sync::Arc<dyn crate::providers::ActionProvider>> {
        let id = &action.action_type_id;
        let providers = self.runtime.providers.lock().unwrap_or_else(|e| e.into_inner());
        let registered = providers.get(&(id.category, id.owner, id.provider.clone())).cloned();
        // Any other custom or partner action is a job for a worker outside.
        registered.or_else(|| {
            crate::jobs::is_job_type(id).then(|| {
                std::sync::Arc::new(crate::providers::job_worker::JobWorker::new(self.store.clone()))
                    as std::sync::Arc<dyn crate::providers::ActionProvider>
            })
        })
    }

    /// Whether this engine has a provider for the action type.
    pub fn can_run(&self, category: model::ActionCategory, owner: model::ActionOwner, provider: &str) -> bool {
        let providers = self.runtime.providers.lock().unwrap_or_else(|e| e.into_inner());
        providers.contains_key(&(category, owner, provider.to_owned()))
    }

    /// Stores the lines sent to the returned sink as the log of an action or rule execution,
    /// each with `masker`'s secrets replaced by `****` before it is stored (and so streamed).
    /// `resumed`: a takeover, which continues the log an earlier runner started.
    pub(crate) fn keep_log(
        &self,
        execution_id: &str,
        resumed: bool,
        masker: Masker,
    ) -> (LogSink, tokio::task::JoinHandle<()>) {
        let (log, mut lines) = LogSink::channel();
        let store = self.store.clone();
        let id = execution_id.to_owned();
        let logger = tokio::spawn(async move {
            let mut next = if resumed { store.last_log_line(&id).await.unwrap_or(0) } else { 0 } + 1;
            while let Some(first) = lines.recv().await {
                let mut batch = vec![masker.mask(&first)];
                while let Ok(more) = lines.try_recv() {
                    batch.push(masker.mask(&more));
                }
                if let Err(err) = store.append_log(&id, next, &batch).await {
                    tracing::error!(execution = %id, error = %err, "could not store log lines");
                }
                next += batch.len() as i64;
            }
        });
        (log, logger)
    }

    /// Makes the attempt's empty folder and unpacks each input artifact, produced earlier in this
    /// execution, into a folder of its own there.
    pub(crate) async fn prepare_inputs(
        &self,
        attempt_id: &str,
        wanted: &[model::InputArtifact],
        rows: &[ActionRow],
    ) -> std::result::Result<Vec<InputArtifactDir>, ActionFailure> {
        let root = &self.sandbox().prepare_attempt(attempt_id).await?;
        let mut inputs = Vec::new();
        for input in wanted {
            let stored = rows
                .iter()
                .filter(|r| r.state.status == A::Succeeded)
                .filter_map(|r| r.output.output_artifacts.iter().find(|a| a.name == input.name))
                .next_back()
                .ok_or_else(|| {
                    ActionFailure::job_failed(format!(
                        "Input artifact '{}' was not produced in this execution.",
                        input.name
                    ))
                })?;
            let version = self
                .objects()
                .version(
                    &stored.location.s3_location.bucket_name,
                    &stored.location.s3_location.object_key,
                    &stored.version_id,
                )
                .await
                .map_err(|e| {
                    ActionFailure::job_failed(format!("Input artifact '{}' could not be read: {e}", input.name))
                })?
                .ok_or_else(|| {
                    ActionFailure::job_failed(format!(
                        "Input artifact '{}' is missing from the artifact store.",
                        input.name
                    ))
                })?;
            // Unpacked from the stored version itself: no copy of the zip in the workspace. Not
            // under a shared `inputs/`: every folder costs an inode per attempt (the prefix keeps
            // the name apart from the provider's own folders).
            let dir = root.join(format!("input-{}", input.name));
            self.objects().unpack_to(&version, &dir).await.map_err(|e| {
                ActionFailure::job_failed(format!("Input artifact '{}' could not be unpacked: {e}", input.name))
            })?;
            inputs.push(InputArtifactDir { name: input.name.clone(), dir });
        }
        Ok(inputs)
    }

    /// Zips and stores each output artifact as a new immutable object version (nothing when the
    /// action declares none); a directory is zipped straight into the object store.
    async fn store_outputs(
        &self,
        decl: &PipelineDeclaration,
        pipeline: &str,
        action_id: &str,
        outputs: &[crate::providers::OutputArtifactPayload],
    ) -> std::result::Result<Vec<StoredArtifact>, ActionFailure> {
        let (bucket, key_id) = artifact_store(decl);
        let mut stored = Vec::new();
        for output in outputs {
            let key = output_key(pipeline, &output.name, action_id);
            let writer = Some(self.pipeline_arn(pipeline));
            let version = match &output.payload {
                Payload::File(path) => {
                    self.objects().put_file_by(&bucket, &key, path, key_id.as_deref(), writer.as_deref()).await
                }
                Payload::Dir(dir) => {
                    self.objects().put_dir(&bucket, &key, dir, key_id.as_deref(), writer.as_deref()).await
                }
            }
            .map_err(|e| {
                ActionFailure::job_failed(format!("Output artifact '{}' could not be stored: {e}", output.name))
            })?;
            stored.push(StoredArtifact::new(&output.name, &bucket, &key, &version));
        }
        Ok(stored)
    }

    /// Hands the outcome to the pipeline's next advance (which records it only if this runner
    /// still owns the action) and waits until it is durable or discarded.
    async fn record_outcome(&self, pipeline: &str, started: &ActionRow, outcome: Outcome) -> Result<()> {
        let (recorded, answer) = tokio::sync::oneshot::channel();
        let finished = Finished {
            execution_id: started.execution_id.clone(),
            action_execution_id: started.action_execution_id.clone(),
            claims: started.state.claims,
            node_id: self.runtime.node_id.clone(),
            outcome,
            recorded,
        };
        self.runtime.queue_finished(pipeline, finished);
        self.advance_scoped(pipeline, super::Scope::Finished).await?;
        if answer.await != Ok(true) {
            // Not recorded: the lease runs out and the sweep runs the action again.
            tracing::warn!(action = %started.action_execution_id, "the action's outcome was not recorded");
        }
        Ok(())
    }

    /// Fails an approval nobody answered in time.
    pub(crate) async fn expire_approval(&self, pipeline: &str, action_id: &str) -> Result<()> {
        {
            let mut tx = self.lock(pipeline).await?;
            let Some(mut row) = actions::action(&mut tx, action_id).await? else { return Ok(()) };
            if row.state.status != A::InProgress || row.expires_ms.is_none_or(|at| at >= now_ms()) {
                return Ok(());
            }
            let Some(exec) = rows::execution(&mut tx, &row.execution_id).await? else { return Ok(()) };
            let decl = self.declaration(pipeline, exec.pipeline_version).await?;
            let run = Run::new(exec, decl, Vec::new(), Vec::new());
            let mut tick = Tick::new(self);
            row.state.status = A::Failed;
            row.state.error_code = Some("JobFailed".into());
            row.state.error_message = Some(if crate::jobs::is_job(&row) {
                "The job timed out: no job worker finished it within the action type's job timeout.".into()
            } else {
                "The approval request expired before anyone answered it.".into()
            });
            row.state.updated_ms = tick.now;
            tick.events.push(action_event(&run, &row, EventState::Failed, json!({})));
            actions::upsert_action(&mut tx, &row).await?;
            tick.commit(tx).await?;
        }
        self.advance(pipeline).await
    }
}

/// Runs a provider's work, cancelling it and failing with a clear message after `timeout`.
pub(crate) async fn within<T>(
    work: impl std::future::Future<Output = std::result::Result<T, ActionFailure>>,
    timeout: Duration,
    cancel: &CancellationToken,
    what: &str,
) -> std::result::Result<T, ActionFailure> {
    tokio::select! {
        done = work => done,
        _ = tokio::time::sleep(timeout) => {
            cancel.cancel();
            Err(ActionFailure::job_failed(format!("The {what} timed out after {} minutes.", timeout.as_secs() / 60)))
        }
    }
}

/// The artifact bucket and encryption key of a pipeline (its home region's store).
pub(crate) fn artifact_store(decl: &PipelineDeclaration) -> (String, Option<String>) {
    let store = decl.artifact_store.as_ref().or_else(|| decl.artifact_stores.as_ref().and_then(|m| m.values().next()));
    match store {
        Some(s) => (s.location.clone(), s.encryption_key.as_ref().map(|k| k.id.clone())),
        None => ("sluice-artifacts".into(), None),
    }
}

/// Where an action's output artifact is stored (and where a job worker is told to put it).
pub(crate) fn output_key(pipeline: &str, artifact: &str, action_id: &str) -> String {
    format!("{pipeline}/{artifact}/{action_id}.zip")
}
