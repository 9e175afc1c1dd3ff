//! A valid V2 pipeline that exercises every feature, and helpers to break it one rule at a time.

#![allow(dead_code)]

use model::{parse_pipeline, ActionDeclaration, PipelineDeclaration, StageDeclaration};

pub const BASE: &str = r##"{
  "name": "base-pipeline",
  "roleArn": "arn:aws:iam::123456789012:role/pipeline",
  "artifactStore": {"type": "S3", "location": "artifact-bucket", "encryptionKey": {"id": "alias/key", "type": "KMS"}},
  "stages": [
    {"name": "Source", "actions": [
      {"name": "Src", "namespace": "SourceVars",
       "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection", "version": "1"},
       "configuration": {"ConnectionArn": "arn:aws:codestar-connections:us-east-1:123456789012:connection/abc",
                         "FullRepositoryId": "org/repo", "BranchName": "main"},
       "outputArtifacts": [{"name": "SourceOut"}]}]},
    {"name": "Build",
     "onFailure": {"result": "RETRY", "retryConfiguration": {"retryMode": "FAILED_ACTIONS"}},
     "actions": [
      {"name": "Build", "namespace": "BuildVars",
       "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
       "configuration": {"ProjectName": "build-#{SourceVars.CommitId}"},
       "inputArtifacts": [{"name": "SourceOut"}], "outputArtifacts": [{"name": "BuildOut"}]},
      {"name": "Test", "runOrder": 2,
       "actionTypeId": {"category": "Test", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
       "configuration": {"ProjectName": "test-#{BuildVars.Version}"},
       "inputArtifacts": [{"name": "BuildOut"}]}]},
    {"name": "Deploy",
     "blockers": [{"name": "freeze", "type": "Schedule"}],
     "beforeEntry": {"conditions": [{"result": "FAIL", "rules": [
       {"name": "Window", "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "DeploymentWindow", "version": "1"},
        "configuration": {"Cron": "* * 9-17 ? * MON-FRI *"}}]}]},
     "onSuccess": {"conditions": [{"result": "ROLLBACK", "rules": [
       {"name": "Alarm", "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "CloudWatchAlarm", "version": "1"},
        "configuration": {"AlarmName": "errors"}}]}]},
     "actions": [
      {"name": "Approve", "timeoutInMinutes": 60,
       "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
       "configuration": {"CustomData": "Ship #{SourceVars.CommitId}?"}},
      {"name": "Deploy", "runOrder": 2,
       "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation", "version": "1"},
       "configuration": {"ActionMode": "CREATE_UPDATE", "StackName": "app-#{variables.Env}",
                         "RoleArn": "arn:aws:iam::123456789012:role/cfn", "TemplatePath": "BuildOut::template.yml"},
       "inputArtifacts": [{"name": "BuildOut"}]},
      {"name": "Smoke", "runOrder": 3, "namespace": "SmokeVars",
       "actionTypeId": {"category": "Compute", "owner": "AWS", "provider": "Commands", "version": "1"},
       "commands": ["./smoke.sh"], "outputVariables": ["RESULT"],
       "environmentVariables": [{"name": "TARGET", "value": "#{variables.Env}", "type": "PLAINTEXT"}],
       "inputArtifacts": [{"name": "BuildOut"}], "outputArtifacts": [{"name": "SmokeOut", "files": ["report/**"]}]}]}
  ],
  "version": 3,
  "executionMode": "QUEUED",
  "pipelineType": "V2",
  "variables": [{"name": "Env", "defaultValue": "staging", "description": "target environment"}],
  "triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {
    "sourceActionName": "Src",
    "push": [{"branches": {"includes": ["main"]}, "filePaths": {"excludes": ["docs/**"]}}],
    "pullRequest": [{"events": ["OPEN", "UPDATED"], "branches": {"includes": ["main"]}}]}}]
}"##;

pub fn base() -> PipelineDeclaration {
    parse_pipeline(BASE).expect("base pipeline parses")
}

pub fn stage(p: &mut PipelineDeclaration, index: usize) -> &mut StageDeclaration {
    &mut p.stages[index]
}

pub fn action(p: &mut PipelineDeclaration, stage: usize, index: usize) -> &mut ActionDeclaration {
    &mut p.stages[stage].actions[index]
}

/// A manual approval action, the simplest valid non-source action.
pub fn approval(name: &str) -> ActionDeclaration {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}
    }))
    .expect("approval action")
}

/// A stage of `count` approval actions.
pub fn approval_stage(name: &str, count: usize) -> StageDeclaration {
    StageDeclaration {
        name: name.to_string(),
        blockers: vec![],
        actions: (0..count).map(|i| approval(&format!("A{i}"))).collect(),
        before_entry: None,
        on_success: None,
        on_failure: None,
    }
}

/// An S3 source action producing `output`.
pub fn s3_source(name: &str, output: &str) -> ActionDeclaration {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": "b", "S3ObjectKey": "k.zip"},
        "outputArtifacts": [{"name": output}]
    }))
    .expect("s3 source action")
}
