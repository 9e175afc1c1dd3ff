//! Reading a pipeline's executions in the tests of source actions: waiting for runs, their
//! trigger, and what their Source action did.
use super::TestServer;
use aws_sdk_codepipeline::types::{PipelineExecutionStatus, PipelineExecutionSummary, TriggerType};
use serde_json::json;
use std::time::Duration;

/// CreatePipeline with the wire JSON `declaration`, which must succeed.
pub async fn create(server: &TestServer, declaration: serde_json::Value) {
    let answer = server.raw("CreatePipeline", json!({ "pipeline": declaration }).to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

/// Newest first.
pub async fn executions(server: &TestServer, name: &str) -> Vec<PipelineExecutionSummary> {
    let listed = server.client.list_pipeline_executions().pipeline_name(name).send().await.unwrap();
    listed.pipeline_execution_summaries().to_vec()
}

pub async fn wait_for(
    server: &TestServer,
    name: &str,
    what: &str,
    done: impl Fn(&[PipelineExecutionSummary]) -> bool,
) -> Vec<PipelineExecutionSummary> {
    for _ in 0..600 {
        let found = executions(server, name).await;
        if done(&found) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{name}: {what} never happened; executions: {:#?}", executions(server, name).await);
}

pub fn finished(e: &PipelineExecutionSummary) -> bool {
    !matches!(e.status(), Some(PipelineExecutionStatus::InProgress | PipelineExecutionStatus::Stopping))
}

pub fn trigger(e: &PipelineExecutionSummary) -> Option<&TriggerType> {
    e.trigger().and_then(|t| t.trigger_type())
}

/// The Source action's execution in `execution`: (status, output variables, error message).
pub async fn source_action(server: &TestServer, pipeline: &str, execution: &str) -> serde_json::Value {
    let answer = server
        .raw(
            "ListActionExecutions",
            json!({ "pipelineName": pipeline, "filter": { "pipelineExecutionId": execution } }).to_string(),
        )
        .await;
    let details = answer.json["actionExecutionDetails"].as_array().unwrap().clone();
    details.into_iter().find(|d| d["actionName"] == "Source").expect("a Source action execution")
}

/// What a failed action execution said: its error message, or its summary.
pub fn failure_message(action: &serde_json::Value) -> String {
    let result = &action["output"]["executionResult"];
    result["errorDetails"]["message"]
        .as_str()
        .or(result["externalExecutionSummary"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| action.to_string())
}
