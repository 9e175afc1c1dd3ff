//! A job's `JobData` as CodePipeline shapes it: the action's type and resolved configuration
//! (secrets opened: the worker needs them, as on AWS), where it runs, and where its input
//! artifacts are and its output artifacts must go in Sluice's artifact store.
use super::JobRow;
use crate::runs::ActionRow;
use crate::scheduler::{artifact_store, output_key, Unsealed};
use crate::store::{actions, executions};
use crate::{Engine, EngineError, Result};
use model::{ActionDeclaration, ActionExecutionStatus as A};
use serde_json::{json, Value};

impl Engine {
    pub(super) async fn job_data(&self, job: &JobRow) -> Result<Value> {
        let (row, rows, exec) = {
            let mut conn = self.store.conn().await?;
            let row = actions::action(&mut conn, &job.action_execution_id).await?.ok_or_else(|| missing(job))?;
            let exec = executions::execution(&mut conn, &row.execution_id).await?.ok_or_else(|| missing(job))?;
            let rows = actions::actions_of(&mut conn, &row.execution_id).await?;
            (row, rows, exec)
        };
        let decl = self.declaration(&exec.pipeline_name, exec.pipeline_version).await?;
        let action = decl.action(&row.stage_name, &row.action_name).ok_or_else(|| missing(job))?;
        let Unsealed { configuration, .. } = self
            .unseal(action, row.input.resolved().clone(), Default::default())
            .await
            .map_err(|failure| EngineError::Io(failure.message))?;
        let (bucket, key_id) = artifact_store(&decl);
        let outputs: Vec<Value> = action
            .output_artifacts
            .iter()
            .map(|output| {
                let key = output_key(&exec.pipeline_name, &output.name, &row.action_execution_id);
                json!({ "name": output.name, "location": s3_location(&bucket, &key) })
            })
            .collect();
        let mut data = json!({
            "actionTypeId": action.action_type_id,
            "actionConfiguration": { "configuration": configuration },
            "pipelineContext": {
                "pipelineName": exec.pipeline_name,
                "stage": { "name": row.stage_name },
                "action": { "name": row.action_name, "actionExecutionId": row.action_execution_id },
                "pipelineArn": self.pipeline_arn(&exec.pipeline_name),
                "pipelineExecutionId": exec.execution_id,
            },
            "inputArtifacts": inputs(action, &rows),
            "outputArtifacts": outputs,
        });
        if let Some(token) = &job.continuation_token {
            data["continuationToken"] = json!(token);
        }
        if let Some(id) = key_id {
            data["encryptionKey"] = json!({ "id": id, "type": "KMS" });
        }
        Ok(data)
    }
}

/// Each declared input artifact where the action that produced it in this execution stored it.
fn inputs(action: &ActionDeclaration, rows: &[ActionRow]) -> Vec<Value> {
    action
        .input_artifacts
        .iter()
        .filter_map(|input| {
            let stored = rows
                .iter()
                .filter(|r| r.state.status == A::Succeeded)
                .filter_map(|r| r.output.output_artifacts.iter().find(|a| a.name == input.name))
                .next_back()?;
            let location = &stored.location.s3_location;
            Some(json!({
                "name": input.name,
                "revision": stored.version_id,
                "location": s3_location(&location.bucket_name, &location.object_key),
            }))
        })
        .collect()
}

fn s3_location(bucket: &str, key: &str) -> Value {
    json!({ "type": "S3", "s3Location": { "bucketName": bucket, "objectKey": key } })
}

fn missing(job: &JobRow) -> EngineError {
    EngineError::refused(
        crate::Refusal::InvalidJobState,
        format!("The action execution of job {} no longer exists.", job.job_id),
    )
}
