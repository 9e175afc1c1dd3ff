//! Stage conditions through aws-sdk-codepipeline on both backends: the condition states of
//! GetPipelineState, ListRuleExecutions with filters and pages, and OverrideStageCondition with
//! each of its errors.
mod common;

use aws_sdk_codepipeline::types::{
    ConditionExecutionStatus, ConditionType, LatestInPipelineExecutionFilter, PipelineExecutionStatus,
    RuleExecutionFilter, RuleExecutionStatus, StartTimeRange,
};
use common::{commands_action, on_both_backends, upload_zip, v2_pipeline_with_s3_source, wait_final, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

fn rule(name: &str, provider: &str, configuration: Value) -> Value {
    json!({ "name": name, "ruleTypeId": { "category": "Rule", "owner": "AWS", "provider": provider, "version": "1" }, "configuration": configuration })
}

/// Source → Gate (a Commands action running `commands`, with `conditions` merged in) → Deploy.
fn gated(name: &str, commands: &[&str], conditions: Value) -> Value {
    let mut gate = json!({ "name": "Gate", "actions": [commands_action("Check", 1, commands, "Src", None)] });
    if let (Some(gate), Value::Object(conditions)) = (gate.as_object_mut(), conditions) {
        gate.extend(conditions);
    }
    let deploy = json!({ "name": "Deploy", "actions": [commands_action("Ship", 1, &["true"], "Src", None)] });
    v2_pipeline_with_s3_source(name, "sources", "app.zip", vec![gate, deploy])
}

/// Creates the pipeline (which starts its first execution) and returns that execution's id.
async fn create(server: &TestServer, pipeline: Value) -> String {
    let name = pipeline["name"].as_str().unwrap().to_owned();
    let created = server.raw("CreatePipeline", json!({ "pipeline": pipeline }).to_string()).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let listed = server.client.list_pipeline_executions().pipeline_name(&name).send().await.unwrap();
    listed.pipeline_execution_summaries()[0].pipeline_execution_id().unwrap().to_owned()
}

#[tokio::test]
async fn pipeline_state_and_rule_executions_show_every_condition() {
    on_both_backends(|server| async move {
        upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "v1")]).await;
        let mut reads = rule("ReadsSource", "Commands", json!({}));
        reads["commands"] = json!(["grep -q v1 app.txt"]);
        reads["inputArtifacts"] = json!([{ "name": "Src" }]);
        let version = rule(
            "HasVersion",
            "VariableCheck",
            json!({ "Variable": "#{SourceVariables.VersionId}", "Operator": "NE", "Value": "none" }),
        );
        let window = rule("Always", "DeploymentWindow", json!({ "Cron": "* * * ? * *" }));
        let conditions = json!({
            "beforeEntry": { "conditions": [{ "result": "FAIL", "rules": [reads] }] },
            "onSuccess": { "conditions": [{ "result": "FAIL", "rules": [version, window] }] },
        });
        let id = create(&server, gated("gated", &["true"], conditions)).await;
        assert_eq!(wait_final(&server, "gated", &id).await, PipelineExecutionStatus::Succeeded);

        let state = server.client.get_pipeline_state().name("gated").send().await.unwrap();
        let gate = state.stage_states().iter().find(|s| s.stage_name() == Some("Gate")).unwrap();
        let before = gate.before_entry_condition_state().expect("beforeEntry state");
        assert_eq!(before.latest_execution().unwrap().status(), Some(&ConditionExecutionStatus::Succeeded));
        let rules = before.condition_states()[0].rule_states();
        assert_eq!(rules[0].rule_name(), Some("ReadsSource"));
        assert_eq!(rules[0].latest_execution().unwrap().status(), Some(&RuleExecutionStatus::Succeeded));
        let after = gate.on_success_condition_state().expect("onSuccess state");
        let names: Vec<_> = after.condition_states()[0].rule_states().iter().map(|r| r.rule_name().unwrap()).collect();
        assert_eq!(names, ["HasVersion", "Always"], "rule states come in declaration order");
        assert!(gate.on_failure_condition_state().is_none(), "the stage declares no onFailure condition");

        let all = server
            .client
            .list_rule_executions()
            .pipeline_name("gated")
            .filter(RuleExecutionFilter::builder().pipeline_execution_id(&id).build())
            .send()
            .await
            .unwrap();
        let details = all.rule_execution_details();
        assert_eq!(details.len(), 3);
        let check = details.iter().find(|d| d.rule_name() == Some("HasVersion")).unwrap();
        assert_eq!(check.stage_name(), Some("Gate"));
        let resolved = check.input().unwrap().resolved_configuration().unwrap();
        assert_ne!(resolved["Variable"], "#{SourceVariables.VersionId}", "the reference was resolved");
        assert_eq!(check.input().unwrap().rule_type_id().unwrap().provider(), "VariableCheck");
        let summary = check.output().unwrap().execution_result().unwrap().external_execution_summary().unwrap();
        assert!(summary.contains("NE 'none' holds"), "{summary}");

        let latest = server
            .client
            .list_rule_executions()
            .pipeline_name("gated")
            .filter(
                RuleExecutionFilter::builder()
                    .latest_in_pipeline_execution(
                        LatestInPipelineExecutionFilter::builder()
                            .pipeline_execution_id(&id)
                            .start_time_range(StartTimeRange::Latest)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(latest.rule_execution_details().len(), 3, "one evaluation of each condition");
        let both = json!({ "pipelineName": "gated", "filter": {
            "pipelineExecutionId": id,
            "latestInPipelineExecution": { "pipelineExecutionId": id, "startTimeRange": "All" },
        }});
        assert_eq!(server.raw("ListRuleExecutions", both.to_string()).await.error_type(), "ValidationException");

        let first = server.client.list_rule_executions().pipeline_name("gated").max_results(2).send().await.unwrap();
        assert_eq!(first.rule_execution_details().len(), 2);
        let rest = server
            .client
            .list_rule_executions()
            .pipeline_name("gated")
            .next_token(first.next_token().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(rest.rule_execution_details().len(), 1);
        assert!(rest.next_token().is_none());

        let bad = server.raw("ListRuleExecutions", r#"{"pipelineName":"gated","nextToken":"x"}"#).await;
        assert_eq!(bad.error_type(), "InvalidNextTokenException");
        let missing = server
            .raw("ListRuleExecutions", r#"{"pipelineName":"gated","filter":{"pipelineExecutionId":"nope"}}"#)
            .await;
        assert_eq!(missing.error_type(), "PipelineExecutionNotFoundException");

        let types = server.raw("ListRuleTypes", "{}").await;
        let local: Vec<&str> = types.json["ruleTypes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["sluiceRunsLocally"] == true)
            .map(|t| t["id"]["provider"].as_str().unwrap())
            .collect();
        assert_eq!(local, ["Commands", "DeploymentWindow", "VariableCheck"]);
        server
    })
    .await;
}

#[tokio::test]
async fn override_stage_condition_resumes_the_latest_execution_and_refuses_the_rest() {
    on_both_backends(|server| async move {
        upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "v1")]).await;
        let never = rule("Never", "DeploymentWindow", json!({ "Cron": "* * * ? * * 2199" }));
        let conditions = json!({ "beforeEntry": { "conditions": [{ "result": "FAIL", "rules": [never] }] } });
        let older = create(&server, gated("windowed", &["true"], conditions)).await;
        assert_eq!(wait_final(&server, "windowed", &older).await, PipelineExecutionStatus::Failed);
        let newer = server.client.start_pipeline_execution().name("windowed").send().await.unwrap().pipeline_execution_id().unwrap().to_owned();
        assert_eq!(wait_final(&server, "windowed", &newer).await, PipelineExecutionStatus::Failed);

        let attempt = |stage: &str, id: &str, kind: ConditionType| {
            server.client.override_stage_condition().pipeline_name("windowed").stage_name(stage).pipeline_execution_id(id).condition_type(kind).send()
        };
        let error = |result: Result<_, aws_sdk_codepipeline::error::SdkError<_>>| {
            let err = result.expect_err("refused");
            aws_sdk_codepipeline::error::ProvideErrorMetadata::code(&err).map(str::to_owned).unwrap_or_default()
        };
        assert_eq!(error(attempt("Gate", &older, ConditionType::BeforeEntry).await), "NotLatestPipelineExecutionException");
        assert_eq!(error(attempt("Gate", &newer, ConditionType::OnSuccess).await), "ConditionNotOverridableException");
        assert_eq!(error(attempt("Nowhere", &newer, ConditionType::BeforeEntry).await), "StageNotFoundException");
        assert_eq!(error(attempt("Gate", "0b6f0e3e-0000-4000-8000-000000000000", ConditionType::BeforeEntry).await), "PipelineExecutionNotFoundException");
        let on_failure = format!(r#"{{"pipelineName":"windowed","stageName":"Gate","pipelineExecutionId":"{newer}","conditionType":"ON_FAILURE"}}"#);
        assert_eq!(server.raw("OverrideStageCondition", on_failure).await.error_type(), "ValidationException");

        attempt("Gate", &newer, ConditionType::BeforeEntry).await.unwrap();
        assert_eq!(wait_final(&server, "windowed", &newer).await, PipelineExecutionStatus::Succeeded);
        let state = server.client.get_pipeline_state().name("windowed").send().await.unwrap();
        let gate = state.stage_states().iter().find(|s| s.stage_name() == Some("Gate")).unwrap();
        let before = gate.before_entry_condition_state().unwrap();
        assert_eq!(before.latest_execution().unwrap().status(), Some(&ConditionExecutionStatus::Overridden));
        assert_eq!(error(attempt("Gate", &newer, ConditionType::BeforeEntry).await), "ConditionNotOverridableException");
        server
    })
    .await;
}

#[tokio::test]
async fn overriding_while_the_execution_stops_is_a_conflict() {
    on_both_backends(|server| async move {
        upload_zip(&server.url, &server.key, "sources", "app.zip", &[("app.txt", "v1")]).await;
        let window = rule("Always", "DeploymentWindow", json!({ "Cron": "* * * ? * *" }));
        let conditions = json!({ "onSuccess": { "conditions": [{ "result": "FAIL", "rules": [window] }] } });
        let id = create(&server, gated("busy", &["sleep 2"], conditions)).await;
        for _ in 0..200 {
            let state = server.client.get_pipeline_state().name("busy").send().await.unwrap();
            let gate = state.stage_states().iter().find(|s| s.stage_name() == Some("Gate")).unwrap();
            if gate.latest_execution().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.client.stop_pipeline_execution().pipeline_name("busy").pipeline_execution_id(&id).send().await.unwrap();
        let refused = server
            .client
            .override_stage_condition()
            .pipeline_name("busy")
            .stage_name("Gate")
            .pipeline_execution_id(&id)
            .condition_type(ConditionType::OnSuccess)
            .send()
            .await
            .expect_err("refused");
        assert_eq!(aws_sdk_codepipeline::error::ProvideErrorMetadata::code(&refused), Some("ConflictException"));
        assert_eq!(wait_final(&server, "busy", &id).await, PipelineExecutionStatus::Stopped);
        server
    })
    .await;
}
