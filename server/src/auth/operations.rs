//! Which IAM action and resource ARN each API operation is checked against
//! (reference/codepipeline.md §8): pipeline, stage or action ARNs, the tagged resource, or `*`
//! only where AWS's IAM reference has no resource for the operation.
use serde_json::Value;

service_operations!("codepipeline";
    CreatePipeline,
    GetPipeline,
    UpdatePipeline,
    DeletePipeline,
    ListPipelines,
    ListActionTypes,
    GetActionType,
    StartPipelineExecution,
    StopPipelineExecution,
    RetryStageExecution,
    RollbackStage,
    PutApprovalResult,
    EnableStageTransition,
    DisableStageTransition,
    GetPipelineExecution,
    ListPipelineExecutions,
    GetPipelineState,
    ListActionExecutions,
    PutActionRevision,
    ListRuleTypes,
    OverrideStageCondition,
    ListRuleExecutions,
    TagResource,
    UntagResource,
    ListTagsForResource,
    CreateCustomActionType,
    DeleteCustomActionType,
    UpdateActionType,
    PollForJobs,
    AcknowledgeJob,
    GetJobDetails,
    PutJobSuccessResult,
    PutJobFailureResult,
    PutWebhook,
    ListWebhooks,
    DeleteWebhook,
    RegisterWebhookWithThirdParty,
    DeregisterWebhookWithThirdParty,
    PollForThirdPartyJobs,
    AcknowledgeThirdPartyJob,
    GetThirdPartyJobDetails,
    PutThirdPartyJobSuccessResult,
    PutThirdPartyJobFailureResult,
    ListDeployActionExecutionTargets,
);

/// The resource an operation acts on, read from its (not yet validated) input. Input that is not
/// a JSON object names an empty pipeline, which no real grant but `*` matches. `*` is returned
/// only for the operations AWS's IAM reference lists as `*` only.
pub fn resource_arn(operation: Operation, input: &Value, region: &str, account: &str) -> String {
    use Operation::*;
    let text = |key: &str| input.get(key).and_then(Value::as_str).unwrap_or_default();
    let base = format!("arn:aws:codepipeline:{region}:{account}:");
    match operation {
        CreatePipeline | UpdatePipeline => {
            format!("{base}{}", input.pointer("/pipeline/name").and_then(Value::as_str).unwrap_or_default())
        }
        GetPipeline | DeletePipeline | StartPipelineExecution | GetPipelineState => format!("{base}{}", text("name")),
        StopPipelineExecution
        | GetPipelineExecution
        | ListPipelineExecutions
        | ListActionExecutions
        | ListRuleExecutions
        | ListDeployActionExecutionTargets => {
            format!("{base}{}", text("pipelineName"))
        }
        RetryStageExecution
        | RollbackStage
        | EnableStageTransition
        | DisableStageTransition
        | OverrideStageCondition => {
            format!("{base}{}/{}", text("pipelineName"), text("stageName"))
        }
        PutApprovalResult | PutActionRevision => {
            format!("{base}{}/{}/{}", text("pipelineName"), text("stageName"), text("actionName"))
        }
        TagResource | UntagResource | ListTagsForResource => text("resourceArn").to_owned(),
        // PutWebhook is checked on its webhook too (api::webhooks).
        PutWebhook => {
            format!("{base}{}", input.pointer("/webhook/targetPipeline").and_then(Value::as_str).unwrap_or_default())
        }
        DeleteWebhook => format!("{base}webhook:{}", text("name")),
        RegisterWebhookWithThirdParty | DeregisterWebhookWithThirdParty => {
            format!("{base}webhook:{}", text("webhookName"))
        }
        ListWebhooks => format!("{base}webhook:*"),
        CreateCustomActionType | DeleteCustomActionType => action_type_arn(&base, "Custom", input),
        UpdateActionType => {
            let id = input.pointer("/actionType/id").unwrap_or(&Value::Null);
            action_type_arn(&base, id.get("owner").and_then(Value::as_str).unwrap_or_default(), id)
        }
        PollForJobs => {
            let id = input.get("actionTypeId").unwrap_or(&Value::Null);
            action_type_arn(&base, id.get("owner").and_then(Value::as_str).unwrap_or_default(), id)
        }
        // The job operations are checked again on the job's pipeline (api::jobs, api::partner_jobs).
        ListPipelines
        | ListActionTypes
        | GetActionType
        | ListRuleTypes
        | AcknowledgeJob
        | GetJobDetails
        | PutJobSuccessResult
        | PutJobFailureResult
        | PollForThirdPartyJobs
        | AcknowledgeThirdPartyJob
        | GetThirdPartyJobDetails
        | PutThirdPartyJobSuccessResult
        | PutThirdPartyJobFailureResult => "*".to_owned(),
    }
}

/// `<base>actiontype:<Owner>/<Category>/<Provider>/<Version>` of the id members in `id`.
fn action_type_arn(base: &str, owner: &str, id: &Value) -> String {
    let text = |key: &str| id.get(key).and_then(Value::as_str).unwrap_or_default();
    format!("{base}actiontype:{owner}/{}/{}/{}", text("category"), text("provider"), text("version"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The operations AWS's IAM reference gives no resource (§8, "`*` only").
    const STAR_ONLY: [Operation; 13] = [
        Operation::ListPipelines,
        Operation::ListActionTypes,
        Operation::GetActionType,
        Operation::ListRuleTypes,
        Operation::AcknowledgeJob,
        Operation::GetJobDetails,
        Operation::PutJobSuccessResult,
        Operation::PutJobFailureResult,
        Operation::PollForThirdPartyJobs,
        Operation::AcknowledgeThirdPartyJob,
        Operation::GetThirdPartyJobDetails,
        Operation::PutThirdPartyJobSuccessResult,
        Operation::PutThirdPartyJobFailureResult,
    ];

    /// The operations IAM checks on an action type.
    const ON_ACTION_TYPE: [Operation; 4] = [
        Operation::CreateCustomActionType,
        Operation::DeleteCustomActionType,
        Operation::UpdateActionType,
        Operation::PollForJobs,
    ];

    #[test]
    fn resources_follow_the_iam_reference() {
        let arn = |op, input| resource_arn(op, &input, "us-east-1", "000000000000");
        assert_eq!(
            arn(Operation::CreatePipeline, json!({"pipeline": {"name": "web"}})),
            "arn:aws:codepipeline:us-east-1:000000000000:web"
        );
        assert_eq!(
            arn(Operation::GetPipelineState, json!({"name": "web"})),
            "arn:aws:codepipeline:us-east-1:000000000000:web"
        );
        assert_eq!(
            arn(Operation::PutApprovalResult, json!({"pipelineName": "web", "stageName": "Prod", "actionName": "Ok"})),
            "arn:aws:codepipeline:us-east-1:000000000000:web/Prod/Ok"
        );
        assert_eq!(
            arn(Operation::RollbackStage, json!({"pipelineName": "web", "stageName": "Prod"})),
            "arn:aws:codepipeline:us-east-1:000000000000:web/Prod"
        );
        assert_eq!(
            arn(Operation::OverrideStageCondition, json!({"pipelineName": "web", "stageName": "Prod"})),
            "arn:aws:codepipeline:us-east-1:000000000000:web/Prod"
        );
        assert_eq!(
            arn(Operation::ListRuleExecutions, json!({"pipelineName": "web"})),
            "arn:aws:codepipeline:us-east-1:000000000000:web"
        );
        assert_eq!(arn(Operation::ListPipelines, json!({})), "*");
        let id = json!({"category": "Build", "owner": "Custom", "provider": "Jenkins", "version": "2"});
        let jenkins = "arn:aws:codepipeline:us-east-1:000000000000:actiontype:Custom/Build/Jenkins/2";
        assert_eq!(arn(Operation::PollForJobs, json!({ "actionTypeId": id })), jenkins);
        assert_eq!(arn(Operation::UpdateActionType, json!({ "actionType": { "id": id } })), jenkins);
        let declared = json!({"category": "Build", "provider": "Jenkins", "version": "2"});
        assert_eq!(arn(Operation::CreateCustomActionType, declared), jenkins);
        assert_eq!(arn(Operation::TagResource, json!({"resourceArn": "arn:x"})), "arn:x");
    }

    /// The operations IAM checks on a webhook.
    const ON_WEBHOOK: [Operation; 4] = [
        Operation::ListWebhooks,
        Operation::DeleteWebhook,
        Operation::RegisterWebhookWithThirdParty,
        Operation::DeregisterWebhookWithThirdParty,
    ];

    /// Every operation the dispatcher answers (`Operation::ALL` is the list it matches on) is
    /// checked against the pipeline it names, or is one AWS documents as `*` only.
    #[test]
    fn every_operation_has_a_real_resource() {
        let input = json!({
            "name": "web", "pipelineName": "web", "pipeline": {"name": "web"}, "stageName": "Prod", "actionName": "Ok",
            "resourceArn": "arn:aws:codepipeline:us-east-1:000000000000:web",
            "webhook": {"targetPipeline": "web"}, "webhookName": "web",
        });
        for &operation in Operation::ALL {
            assert_eq!(Operation::parse(operation.name()), Some(operation));
            let resource = resource_arn(operation, &input, "us-east-1", "000000000000");
            if STAR_ONLY.contains(&operation) {
                assert_eq!(resource, "*", "{operation:?}");
            } else if ON_WEBHOOK.contains(&operation) {
                assert!(
                    resource.starts_with("arn:aws:codepipeline:us-east-1:000000000000:webhook:"),
                    "{operation:?} is checked against {resource}"
                );
            } else if ON_ACTION_TYPE.contains(&operation) {
                assert!(
                    resource.starts_with("arn:aws:codepipeline:us-east-1:000000000000:actiontype:"),
                    "{operation:?} is checked against {resource}"
                );
            } else {
                assert!(
                    resource.starts_with("arn:aws:codepipeline:us-east-1:000000000000:web"),
                    "{operation:?} is checked against {resource}"
                );
            }
        }
        assert_eq!(Operation::parse("DeleteEverything"), None);
    }
}
