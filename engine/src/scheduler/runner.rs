//! Running one action attempt: prepare its workspace and inputs, call its provider under a
//! timeout and cancellation, store its outputs, and record the outcome only if this runner still
//! holds the action's lease (a runner that lost it must not report: no action succeeds twice).
use super::{action_event, Run, Tick};
use crate::events::PendingEvent;
use crate::objects::artifacts;
use crate::providers::{ActionContext, ActionFailure, ActionOutcome, InputArtifactDir, LogSink, Payload};
use crate::store::executions::{self as rows, ActionRow};
use crate::store::now_ms;
use crate::{Engine, Result, Services};
use model::{ActionDeclaration, ActionExecutionStatus as A, PipelineDeclaration};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Default time limits by provider, from CodePipeline's quotas.
fn default_timeout(action: &ActionDeclaration) -> Duration {
    let minutes = match action.action_type_id.provider.as_str() {
        "Manual" => 7 * 24 * 60,
        "Commands" => 55,
        _ => 60,
    };
    Duration::from_secs(60 * u64::from(action.timeout_in_minutes.unwrap_or(minutes)))
}

impl Engine {
    pub(crate) fn spawn_runner(&self, pipeline: String, action_id: String) {
        let cancel = CancellationToken::new();
        self.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).insert(action_id.clone(), cancel.clone());
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(err) = engine.run_action(&action_id, cancel).await {
                tracing::error!(action = %action_id, error = %err, "action runner failed; the sweep will retry it");
            }
            engine.runtime.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&action_id);
            if let Err(err) = engine.advance(&pipeline).await {
                tracing::error!(pipeline = %pipeline, error = %err, "advance after an action failed");
            }
        });
    }

    async fn run_action(&self, action_id: &str, cancel: CancellationToken) -> Result<()> {
        let (row, exec, all_rows) = {
            let mut conn = self.store.conn().await?;
            let Some(row) = rows::action(&mut conn, action_id).await? else { return Ok(()) };
            let Some(exec) = rows::execution(&mut conn, &row.execution_id).await? else { return Ok(()) };
            let all = rows::actions_of(&mut conn, &row.execution_id).await?;
            (row, exec, all)
        };
        if row.status != A::InProgress || row.lease_owner.as_deref() != Some(self.runtime.node_id.as_str()) {
            return Ok(());
        }
        let decl = self.declaration(&exec.pipeline_name, exec.pipeline_version).await?;
        let Some(action) = decl
            .stages
            .iter()
            .find(|s| s.name == row.stage_name)
            .and_then(|s| s.actions.iter().find(|a| a.name == row.action_name))
            .cloned()
        else {
            return Ok(());
        };
        let workspace_root = self.runtime.config.data_dir.join("work").join(action_id);
        let _ = tokio::fs::remove_dir_all(&workspace_root).await;
        let workspace = workspace_root.join("src");
        tokio::fs::create_dir_all(&workspace).await.map_err(io)?;

        let (log, mut lines) = LogSink::channel();
        let logger = {
            let store = self.store.clone();
            let id = action_id.to_owned();
            tokio::spawn(async move {
                let mut next = store.last_log_line(&id).await.unwrap_or(0) + 1;
                while let Some(first) = lines.recv().await {
                    let mut batch = vec![first];
                    while let Ok(more) = lines.try_recv() {
                        batch.push(more);
                    }
                    if let Err(err) = store.append_log(&id, next, &batch).await {
                        tracing::error!(action = %id, error = %err, "could not store log lines");
                    }
                    next += batch.len() as i64;
                }
            })
        };

        let outcome = match self.provider_for(&action) {
            None => Err(ActionFailure::configuration(format!(
                "Sluice cannot run {} actions yet ({}/{}/{}); the pipeline is accepted, but this action fails when it runs.",
                action.action_type_id.provider, action.action_type_id.owner, action.action_type_id.category, action.action_type_id.version
            ))),
            Some(provider) => match self.fetch_inputs(&decl, &action, &all_rows, &workspace_root).await {
                Err(failure) => Err(failure),
                Ok(inputs) => {
                    let timeout = default_timeout(&action);
                    let ctx = ActionContext {
                        pipeline_name: exec.pipeline_name.clone(),
                        pipeline_execution_id: exec.execution_id.clone(),
                        stage_name: row.stage_name.clone(),
                        action_execution_id: action_id.to_owned(),
                        configuration: strings(&row.input["resolvedConfiguration"]),
                        environment: strings(&row.input["resolvedEnvironment"]),
                        action: action.clone(),
                        workspace: workspace.clone(),
                        inputs,
                        source_revision: pinned_revision(&exec.source_revisions, &action.name),
                        log: log.clone(),
                        cancel: cancel.clone(),
                        timeout,
                        services: Services { objects: self.objects().clone() },
                    };
                    tokio::select! {
                        outcome = provider.execute(&ctx) => outcome,
                        _ = tokio::time::sleep(timeout) => {
                            cancel.cancel();
                            Err(ActionFailure::job_failed(format!("The action timed out after {} minutes.", timeout.as_secs() / 60)))
                        }
                    }
                }
            },
        };
        drop(log);
        let _ = logger.await;
        if cancel.is_cancelled() && outcome.is_ok() {
            // Stopped (abandoned) while finishing: the scheduler already recorded Abandoned.
            let _ = tokio::fs::remove_dir_all(&workspace_root).await;
            return Ok(());
        }
        let outcome = match outcome {
            Ok(ActionOutcome::Succeeded(result)) => match self.store_outputs(&decl, &exec.pipeline_name, action_id, &result.outputs, &workspace_root).await {
                Ok(stored) => Ok((ActionOutcome::Succeeded(result), stored)),
                Err(failure) => Err(failure),
            },
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

    fn provider_for(&self, action: &ActionDeclaration) -> Option<std::sync::Arc<dyn crate::providers::ActionProvider>> {
        let id = &action.action_type_id;
        let providers = self.runtime.providers.lock().unwrap_or_else(|e| e.into_inner());
        providers.get(&(id.category, id.owner, id.provider.clone())).cloned()
    }

    /// Whether this engine has a provider for the action type.
    pub fn can_run(&self, category: model::ActionCategory, owner: model::ActionOwner, provider: &str) -> bool {
        let providers = self.runtime.providers.lock().unwrap_or_else(|e| e.into_inner());
        providers.contains_key(&(category, owner, provider.to_owned()))
    }

    /// Unpacks each input artifact, produced earlier in this execution, into its own folder.
    async fn fetch_inputs(
        &self,
        decl: &PipelineDeclaration,
        action: &ActionDeclaration,
        rows: &[ActionRow],
        root: &Path,
    ) -> std::result::Result<Vec<InputArtifactDir>, ActionFailure> {
        let mut inputs = Vec::new();
        for input in &action.input_artifacts {
            let stored = rows
                .iter()
                .filter(|r| r.status == A::Succeeded)
                .filter_map(|r| {
                    r.output["outputArtifacts"].as_array()?.iter().find(|a| a["name"] == input.name.as_str()).cloned()
                })
                .next_back()
                .ok_or_else(|| ActionFailure::job_failed(format!("Input artifact '{}' was not produced in this execution.", input.name)))?;
            let version = self
                .objects()
                .version(
                    stored["location"]["s3Location"]["bucketName"].as_str().unwrap_or_default(),
                    stored["location"]["s3Location"]["objectKey"].as_str().unwrap_or_default(),
                    stored["versionId"].as_str().unwrap_or_default(),
                )
                .await
                .map_err(|e| ActionFailure::job_failed(format!("Input artifact '{}' could not be read: {e}", input.name)))?
                .ok_or_else(|| ActionFailure::job_failed(format!("Input artifact '{}' is missing from the artifact store.", input.name)))?;
            let zip = root.join("in").join(format!("{}.zip", input.name));
            let dir = root.join("inputs").join(&input.name);
            let fetched = async {
                tokio::fs::create_dir_all(zip.parent().unwrap_or(root)).await.map_err(|e| e.to_string())?;
                self.objects().read_to_file(&version, &zip).await.map_err(|e| e.to_string())?;
                artifacts::unpack(&zip, &dir).await.map_err(|e| e.to_string())
            };
            fetched
                .await
                .map_err(|e| ActionFailure::job_failed(format!("Input artifact '{}' could not be unpacked: {e}", input.name)))?;
            inputs.push(InputArtifactDir { name: input.name.clone(), dir });
        }
        let _ = decl;
        Ok(inputs)
    }

    /// Zips and stores each output artifact as a new immutable object version.
    async fn store_outputs(
        &self,
        decl: &PipelineDeclaration,
        pipeline: &str,
        action_id: &str,
        outputs: &[crate::providers::OutputArtifactPayload],
        root: &Path,
    ) -> std::result::Result<Vec<Value>, ActionFailure> {
        let (bucket, key_id) = artifact_store(decl);
        let mut stored = Vec::new();
        for output in outputs {
            let file: PathBuf = match &output.payload {
                Payload::File(path) => path.clone(),
                Payload::Dir(dir) => {
                    let zip = root.join("out").join(format!("{}.zip", output.name));
                    let packed = async {
                        tokio::fs::create_dir_all(zip.parent().unwrap_or(root)).await.map_err(|e| e.to_string())?;
                        artifacts::pack_dir(dir, &zip).await.map_err(|e| e.to_string())
                    };
                    packed.await.map_err(|e| ActionFailure::job_failed(format!("Output artifact '{}' could not be packed: {e}", output.name)))?;
                    zip
                }
            };
            let key = format!("{pipeline}/{}/{action_id}.zip", output.name);
            let version = self
                .objects()
                .put_file(&bucket, &key, &file, key_id.as_deref())
                .await
                .map_err(|e| ActionFailure::job_failed(format!("Output artifact '{}' could not be stored: {e}", output.name)))?;
            stored.push(json!({
                "name": output.name,
                "location": { "type": "S3", "s3Location": { "bucketName": bucket, "objectKey": key } },
                "versionId": version.version_id,
                "sha256": version.sha256,
                "size": version.size,
            }));
        }
        Ok(stored)
    }

    /// Saves the outcome if this runner still owns the action, then lets the pipeline move on.
    async fn record_outcome(
        &self,
        pipeline: &str,
        started: &ActionRow,
        outcome: std::result::Result<(ActionOutcome, Vec<Value>), ActionFailure>,
    ) -> Result<()> {
        let lock = self.runtime.pipeline_lock(pipeline);
        let _serial = lock.lock().await;
        let mut tx = self.store.begin().await?;
        rows::lock_pipeline(&mut tx, pipeline).await?;
        let Some(mut row) = rows::action(&mut tx, &started.action_execution_id).await? else { return Ok(()) };
        let still_ours = row.status == A::InProgress
            && row.lease_owner.as_deref() == Some(self.runtime.node_id.as_str())
            && row.claims == started.claims;
        if !still_ours {
            tracing::warn!(action = %row.action_execution_id, "outcome discarded: the action was taken over or stopped");
            return Ok(());
        }
        let Some(exec) = rows::execution(&mut tx, &row.execution_id).await? else { return Ok(()) };
        let decl = self.declaration(pipeline, exec.pipeline_version).await?;
        let run = Run::new(exec, decl, Vec::new(), Vec::new());
        let mut tick = Tick::new(self);
        row.updated_ms = tick.now;
        row.lease_owner = None;
        row.lease_expires_ms = None;
        match outcome {
            Ok((ActionOutcome::Succeeded(result), artifacts)) => {
                row.status = A::Succeeded;
                row.summary = result.summary;
                row.external_execution_id = result.external_execution_id;
                row.external_execution_url = result.external_execution_url;
                let variables: Map<String, Value> = result.variables.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                row.output = json!({ "outputArtifacts": artifacts, "outputVariables": variables });
                if let Some(revision) = result.revision {
                    row.output["revision"] = json!(revision);
                }
                let detail = json!({ "output-artifacts": row.output["outputArtifacts"] });
                tick.events.push(action_event(&run, &row, "SUCCEEDED", detail));
            }
            Ok((ActionOutcome::Waiting { token, expires_ms, summary }, _)) => {
                row.token = Some(token);
                row.expires_ms = Some(expires_ms);
                row.summary = summary;
                tick.events.push(PendingEvent::approval_pending(
                    &run.exec.pipeline_name, &row.execution_id, run.exec.pipeline_version, &row.stage_name, &row.action_name, expires_ms,
                ));
            }
            Err(failure) => {
                row.status = A::Failed;
                row.error_code = Some(format!("{:?}", failure.kind));
                row.error_message = Some(failure.message.clone());
                let detail = json!({ "execution-result": { "external-execution-summary": failure.message, "error-code": row.error_code } });
                tick.events.push(action_event(&run, &row, "FAILED", detail));
            }
        }
        rows::upsert_action(&mut tx, &row).await?;
        tick.commit(tx).await
    }

    /// Claims an action whose lease ran out; false when another node got there first.
    pub(crate) async fn claim(&self, action: &ActionRow, now: i64) -> Result<bool> {
        let until = now + self.runtime.config.lease_ttl.as_millis() as i64;
        self.store.claim_action(&action.action_execution_id, &self.runtime.node_id, until, now).await.map_err(Into::into)
    }

    /// Fails an approval nobody answered in time.
    pub(crate) async fn expire_approval(&self, pipeline: &str, action_id: &str) -> Result<()> {
        {
            let lock = self.runtime.pipeline_lock(pipeline);
            let _serial = lock.lock().await;
            let mut tx = self.store.begin().await?;
            rows::lock_pipeline(&mut tx, pipeline).await?;
            let Some(mut row) = rows::action(&mut tx, action_id).await? else { return Ok(()) };
            if row.status != A::InProgress || row.expires_ms.is_none_or(|at| at >= now_ms()) {
                return Ok(());
            }
            let Some(exec) = rows::execution(&mut tx, &row.execution_id).await? else { return Ok(()) };
            let decl = self.declaration(pipeline, exec.pipeline_version).await?;
            let run = Run::new(exec, decl, Vec::new(), Vec::new());
            let mut tick = Tick::new(self);
            row.status = A::Failed;
            row.error_code = Some("JobFailed".into());
            row.error_message = Some("The approval request expired before anyone answered it.".into());
            row.updated_ms = tick.now;
            tick.events.push(action_event(&run, &row, "FAILED", json!({})));
            rows::upsert_action(&mut tx, &row).await?;
            tick.commit(tx).await?;
        }
        self.advance(pipeline).await
    }
}

/// The revision an execution's `sourceRevisions` pin for a source action, if any.
fn pinned_revision(source_revisions: &Value, action: &str) -> Option<String> {
    source_revisions
        .as_array()?
        .iter()
        .find(|r| r["actionName"] == action)
        .and_then(|r| r["revisionValue"].as_str())
        .map(str::to_owned)
}

/// The artifact bucket and encryption key of a pipeline (its home region's store).
fn artifact_store(decl: &PipelineDeclaration) -> (String, Option<String>) {
    let store = decl.artifact_store.as_ref().or_else(|| decl.artifact_stores.as_ref().and_then(|m| m.values().next()));
    match store {
        Some(s) => (s.location.clone(), s.encryption_key.as_ref().map(|k| k.id.clone())),
        None => ("sluice-artifacts".into(), None),
    }
}

fn strings(value: &Value) -> indexmap::IndexMap<String, String> {
    value
        .as_object()
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default()
}

fn io(err: std::io::Error) -> crate::EngineError {
    crate::EngineError::Io(err.to_string())
}
