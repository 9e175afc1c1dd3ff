//! Which IAM action and resource ARN each API operation is checked against
//! (reference/codepipeline.md §8): pipeline, stage or action ARNs, the tagged resource, or `*`.
use serde_json::Value;

/// The IAM action of an operation: `codepipeline:<Operation>`.
pub fn iam_action(operation: &str) -> String {
    format!("codepipeline:{operation}")
}

/// The resource an operation acts on, read from its (not yet validated) input. Input that is not
/// a JSON object names no resource, so only a policy granting `*` lets it through to validation.
pub fn resource_arn(operation: &str, input: &Value, region: &str, account: &str) -> String {
    let text = |key: &str| input.get(key).and_then(Value::as_str).unwrap_or_default();
    let base = format!("arn:aws:codepipeline:{region}:{account}:");
    match operation {
        "CreatePipeline" | "UpdatePipeline" => {
            format!("{base}{}", input.pointer("/pipeline/name").and_then(Value::as_str).unwrap_or_default())
        }
        "GetPipeline" | "DeletePipeline" | "StartPipelineExecution" | "GetPipelineState" => format!("{base}{}", text("name")),
        "StopPipelineExecution" | "GetPipelineExecution" | "ListPipelineExecutions" | "ListActionExecutions" => {
            format!("{base}{}", text("pipelineName"))
        }
        "RetryStageExecution" | "RollbackStage" | "EnableStageTransition" | "DisableStageTransition" => {
            format!("{base}{}/{}", text("pipelineName"), text("stageName"))
        }
        "PutApprovalResult" | "PutActionRevision" => {
            format!("{base}{}/{}/{}", text("pipelineName"), text("stageName"), text("actionName"))
        }
        "TagResource" | "UntagResource" | "ListTagsForResource" => text("resourceArn").to_owned(),
        _ => "*".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resources_follow_the_iam_reference() {
        let arn = |op, input| resource_arn(op, &input, "us-east-1", "000000000000");
        assert_eq!(arn("CreatePipeline", json!({"pipeline": {"name": "web"}})), "arn:aws:codepipeline:us-east-1:000000000000:web");
        assert_eq!(arn("GetPipelineState", json!({"name": "web"})), "arn:aws:codepipeline:us-east-1:000000000000:web");
        assert_eq!(
            arn("PutApprovalResult", json!({"pipelineName": "web", "stageName": "Prod", "actionName": "Ok"})),
            "arn:aws:codepipeline:us-east-1:000000000000:web/Prod/Ok"
        );
        assert_eq!(arn("RollbackStage", json!({"pipelineName": "web", "stageName": "Prod"})), "arn:aws:codepipeline:us-east-1:000000000000:web/Prod");
        assert_eq!(arn("ListPipelines", json!({})), "*");
        assert_eq!(arn("TagResource", json!({"resourceArn": "arn:x"})), "arn:x");
    }
}
