//! Stage conditions on both backends: each local rule type (VariableCheck, Commands,
//! DeploymentWindow) and the unavailable ones, each result (FAIL, SKIP, RETRY), stops,
//! OverrideStageCondition, and a rule that was running when its process died.
mod support;

use engine::runs::RuleRow;
use engine::testing::Beacon;
use model::{ConditionExecutionStatus, ConditionType, StageExecutionStatus};
use support::*;

fn rule(name: &str, provider: &str, configuration: Value) -> Value {
    json!({
        "name": name,
        "ruleTypeId": { "category": "Rule", "owner": "AWS", "provider": provider, "version": "1" },
        "configuration": configuration,
    })
}

fn commands_rule(name: &str, commands: &[&str], inputs: &[&str]) -> Value {
    let mut rule = rule(name, "Commands", json!({}));
    rule["commands"] = json!(commands);
    rule["inputArtifacts"] = json!(inputs.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>());
    rule
}

fn condition(result: &str, rules: Vec<Value>) -> Value {
    json!({ "conditions": [{ "result": result, "rules": rules }] })
}

/// Source (exports Branch=main under SourceVariables, writes message.txt) → Gate → Deploy; `key`
/// (beforeEntry, onSuccess or onFailure) of Gate holds `conditions`.
fn gated(name: &str, gate_action: Value, key: &str, conditions: Value) -> Value {
    let mut src = step("Src", "Source", 1, json!({ "Export": "Branch=main", "Write": "hello" }), &[], &["Code"]);
    src["namespace"] = json!("SourceVariables");
    let mut p = pipeline(
        name,
        vec![
            ("Source", vec![src]),
            ("Gate", vec![gate_action]),
            ("Deploy", vec![step("D", "Deploy", 1, json!({}), &[], &[])]),
        ],
    );
    p["pipelineType"] = json!("V2");
    p["stages"][1][key] = conditions;
    p
}

fn build() -> Value {
    step("B", "Build", 1, json!({}), &["Code"], &[])
}

async fn stage_status(h: &Harness, pipeline: &str, stage: &str) -> Option<StageExecutionStatus> {
    let (_, states) = h.engine.pipeline_state(pipeline).await.unwrap();
    let state = states.into_iter().find(|s| s.stage_name == stage).unwrap();
    state.latest.map(|(row, _)| row.status)
}

async fn condition_status(
    h: &Harness,
    pipeline: &str,
    stage: &str,
    kind: ConditionType,
) -> (ConditionExecutionStatus, Vec<RuleRow>) {
    let (_, states) = h.engine.pipeline_state(pipeline).await.unwrap();
    let state = states.into_iter().find(|s| s.stage_name == stage).unwrap();
    let (_, row, rules) =
        state.conditions.into_iter().find(|(k, _, _)| *k == kind).expect("the condition was evaluated");
    (row.status, rules)
}

/// Polls until a rule of the execution satisfies `done` (10 s at most).
async fn wait_rule(h: &Harness, pipeline: &str, id: &str, done: impl Fn(&RuleRow) -> bool) -> RuleRow {
    for _ in 0..1000 {
        if let Some(rule) = h.engine.rule_runs(pipeline, id).await.unwrap().into_iter().find(|r| done(r)) {
            return rule;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no rule of {id} reached the expected state");
}

#[tokio::test]
async fn variable_check_before_entry_lets_in_fails_or_skips_the_stage() {
    on_both(|h| async move {
        let check = |name: &str, operator: &str, value: &str| {
            rule(
                name,
                "VariableCheck",
                json!({ "Variable": "#{SourceVariables.Branch}", "Operator": operator, "Value": value }),
            )
        };
        h.create(gated("pass", build(), "beforeEntry", condition("FAIL", vec![check("Branch", "EQ", "main")]))).await;
        h.create(gated(
            "fail",
            build(),
            "beforeEntry",
            condition("FAIL", vec![check("Branch", "EQ", "release"), check("Contains", "CONTAINS", "ma")]),
        ))
        .await;
        h.create(gated("skip", build(), "beforeEntry", condition("SKIP", vec![check("Branch", "NE", "main")]))).await;

        let id = h.start("pass").await;
        assert_eq!(h.wait_end("pass", &id).await, PipelineExecutionStatus::Succeeded);
        let (status, rules) = condition_status(&h, "pass", "Gate", ConditionType::BeforeEntry).await;
        assert_eq!(status, ConditionExecutionStatus::Succeeded);
        assert_eq!(rules[0].input.resolved()["Variable"], "main", "the reference was resolved");

        let id = h.start("fail").await;
        assert_eq!(h.wait_end("fail", &id).await, PipelineExecutionStatus::Failed);
        assert_eq!(stage_status(&h, "fail", "Gate").await, Some(StageExecutionStatus::Failed));
        assert!(!h.runs("fail", &id).await.iter().any(|r| r.stage_name == "Gate"), "no action ran in the gated stage");
        let (status, rules) = condition_status(&h, "fail", "Gate", ConditionType::BeforeEntry).await;
        assert_eq!(status, ConditionExecutionStatus::Failed);
        let verdict = |name: &str| rules.iter().find(|r| r.rule_name == name).map(|r| r.state.status);
        assert_eq!(verdict("Branch"), Some(ActionExecutionStatus::Failed));
        assert_eq!(verdict("Contains"), Some(ActionExecutionStatus::Succeeded), "the rules ran together");
        let summary = h.engine.execution("fail", &id).await.unwrap().status_summary.unwrap();
        assert!(summary.contains("beforeEntry") && summary.contains("'main' EQ 'release' does not hold"), "{summary}");

        let id = h.start("skip").await;
        assert_eq!(h.wait_end("skip", &id).await, PipelineExecutionStatus::Succeeded);
        assert_eq!(stage_status(&h, "skip", "Gate").await, Some(StageExecutionStatus::Skipped));
        assert_eq!(
            stage_status(&h, "skip", "Deploy").await,
            Some(StageExecutionStatus::Succeeded),
            "the execution went on"
        );
        h
    })
    .await;
}

#[tokio::test]
async fn commands_rules_on_success_see_input_artifacts_and_fail_the_stage_on_a_non_zero_exit() {
    on_both(|h| async move {
        let reads = commands_rule("Reads", &["grep -q hello message.txt"], &["Code"]);
        h.create(gated("pass", build(), "onSuccess", condition("FAIL", vec![reads]))).await;
        h.create(gated(
            "fail",
            build(),
            "onSuccess",
            condition("FAIL", vec![commands_rule("Exits", &["echo checking", "exit 3"], &[])]),
        ))
        .await;

        let id = h.start("pass").await;
        assert_eq!(h.wait_end("pass", &id).await, PipelineExecutionStatus::Succeeded);
        let (status, _) = condition_status(&h, "pass", "Gate", ConditionType::OnSuccess).await;
        assert_eq!(status, ConditionExecutionStatus::Succeeded);

        let id = h.start("fail").await;
        assert_eq!(h.wait_end("fail", &id).await, PipelineExecutionStatus::Failed);
        assert_eq!(stage_status(&h, "fail", "Gate").await, Some(StageExecutionStatus::Failed));
        assert_eq!(stage_status(&h, "fail", "Deploy").await, None);
        let b = h.runs("fail", &id).await.into_iter().find(|r| r.action_name == "B").unwrap();
        assert_eq!(b.state.status, ActionExecutionStatus::Succeeded, "the actions had succeeded first");
        let (status, rules) = condition_status(&h, "fail", "Gate", ConditionType::OnSuccess).await;
        assert_eq!(status, ConditionExecutionStatus::Failed);
        let log = h.engine.action_log(&rules[0].rule_execution_id, 0, 100).await.unwrap();
        assert!(log.iter().any(|(_, line)| line == "checking"), "the rule's output is kept: {log:?}");
        h
    })
    .await;
}

#[tokio::test]
async fn deployment_windows_and_rules_sluice_cannot_run() {
    on_both(|h| async move {
        let always = rule("Always", "DeploymentWindow", json!({ "Cron": "* * * ? * *", "TimeZone": "Europe/Paris" }));
        let never = rule("Never", "DeploymentWindow", json!({ "Cron": "* * * ? * * 2199" }));
        let alarm = rule("Alarm", "CloudWatchAlarm", json!({ "AlarmName": "cpu" }));
        h.create(gated("open", build(), "beforeEntry", condition("FAIL", vec![always]))).await;
        h.create(gated("closed", build(), "beforeEntry", condition("FAIL", vec![never]))).await;
        h.create(gated("alarm", build(), "beforeEntry", condition("FAIL", vec![alarm]))).await;

        let id = h.start("open").await;
        assert_eq!(h.wait_end("open", &id).await, PipelineExecutionStatus::Succeeded);
        let id = h.start("closed").await;
        assert_eq!(h.wait_end("closed", &id).await, PipelineExecutionStatus::Failed);
        let rule = &h.engine.rule_runs("closed", &id).await.unwrap()[0];
        assert!(rule.state.summary.as_deref().unwrap().contains("outside the deployment window"), "{rule:?}");

        let id = h.start("alarm").await;
        assert_eq!(h.wait_end("alarm", &id).await, PipelineExecutionStatus::Failed);
        let rule = &h.engine.rule_runs("alarm", &id).await.unwrap()[0];
        assert_eq!(rule.state.error_code.as_deref(), Some("ConfigurationError"));
        assert!(rule.state.summary.as_deref().unwrap().contains("not available in Sluice"), "{rule:?}");
        h
    })
    .await;
}

#[tokio::test]
async fn on_failure_conditions_decide_whether_the_stage_retries() {
    on_both(|h| async move {
        let flaky = step("B", "Build", 1, json!({ "FailTimes": "1" }), &[], &[]);
        let on_failure = |value: &str| {
            let check = rule("Main", "VariableCheck", json!({ "Variable": "#{SourceVariables.Branch}", "Operator": "EQ", "Value": value }));
            json!({ "result": "RETRY", "retryConfiguration": { "retryMode": "FAILED_ACTIONS" }, "conditions": [{ "result": "RETRY", "rules": [check] }] })
        };
        h.create(gated("met", flaky.clone(), "onFailure", on_failure("main"))).await;
        h.create(gated("unmet", flaky, "onFailure", on_failure("release"))).await;

        let id = h.start("met").await;
        assert_eq!(h.wait_end("met", &id).await, PipelineExecutionStatus::Succeeded, "the condition held, so the stage retried");
        let (_, states) = h.engine.pipeline_state("met").await.unwrap();
        assert_eq!(states[1].latest.as_ref().unwrap().0.auto_retries, 1);

        let id = h.start("unmet").await;
        assert_eq!(h.wait_end("unmet", &id).await, PipelineExecutionStatus::Failed, "the condition failed, so no retry");
        let (_, states) = h.engine.pipeline_state("unmet").await.unwrap();
        assert_eq!(states[1].latest.as_ref().unwrap().0.auto_retries, 0);
        let (status, _) = condition_status(&h, "unmet", "Gate", ConditionType::OnFailure).await;
        assert_eq!(status, ConditionExecutionStatus::Failed);
        h
    })
    .await;
}

#[tokio::test]
async fn the_latest_retry_trigger_is_the_kind_of_the_last_retry() {
    on_both(|h| async move {
        // The onFailure condition holds only once a flag file exists, so the first failure is
        // left for a manual retry and the second one retries automatically.
        let flag = Beacon::start("down").await;
        let command = flag.answers("up");
        let on_failure = json!({
            "result": "RETRY",
            "retryConfiguration": { "retryMode": "FAILED_ACTIONS" },
            "conditions": [{ "result": "RETRY", "rules": [commands_rule("Flag", &[&command], &[])] }],
        });
        h.create(gated("p", step("B", "Build", 1, json!({ "FailTimes": "2" }), &[], &[]), "onFailure", on_failure))
            .await;
        let id = h.start("p").await;
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Failed);
        flag.set_answer("up");
        h.engine.retry_stage("p", "Gate", &id, RetryMode::FailedActions, &tester()).await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Succeeded);
        let (_, states) = h.engine.pipeline_state("p").await.unwrap();
        let gate = &states[1].latest.as_ref().unwrap().0;
        assert_eq!((gate.manual_retries, gate.auto_retries), (1, 1));
        assert_eq!(gate.last_retry_trigger.map(|t| t.as_str()), Some("AutomatedStageRetry"));
        h
    })
    .await;
}

#[tokio::test]
async fn an_on_success_rollback_goes_back_to_the_last_execution_that_passed() {
    on_both(|h| async move {
        let check = rule(
            "Good",
            "VariableCheck",
            json!({ "Variable": "#{variables.Mode}", "Operator": "EQ", "Value": "good" }),
        );
        let mut p = gated("p", build(), "onSuccess", condition("ROLLBACK", vec![check]));
        p["variables"] = json!([{ "name": "Mode", "defaultValue": "good" }]);
        h.create(p).await;
        let good = h.start("p").await;
        assert_eq!(h.wait_end("p", &good).await, PipelineExecutionStatus::Succeeded);
        let mut bad = StartRequest::new(TriggerType::StartPipelineExecution);
        bad.variables = vec![("Mode".into(), "bad".into())];
        let bad = h.engine.start_execution("p", bad).await.unwrap();
        assert_eq!(h.wait_end("p", &bad).await, PipelineExecutionStatus::Failed);
        let mut rollback = None;
        for _ in 0..500 {
            rollback = h
                .engine
                .executions("p", None, 10)
                .await
                .unwrap()
                .into_iter()
                .find(|e| e.trigger_type == TriggerType::AutomatedRollback);
            if rollback.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let rollback = rollback.expect("an automated rollback started");
        assert_eq!(rollback.rollback_target.as_deref(), Some(good.as_str()));
        assert_eq!(h.wait_end("p", &rollback.execution_id).await, PipelineExecutionStatus::Succeeded);
        h
    })
    .await;
}

#[tokio::test]
async fn overriding_lets_the_stage_go_on_past_a_running_or_failed_condition() {
    on_both(|h| async move {
        let slow = commands_rule("Slow", &["sleep 30"], &[]);
        let never = rule("Never", "DeploymentWindow", json!({ "Cron": "* * * ? * * 2199" }));
        h.create(gated("running", build(), "beforeEntry", condition("FAIL", vec![slow]))).await;
        h.create(gated("failed", build(), "beforeEntry", condition("FAIL", vec![never]))).await;

        let id = h.start("running").await;
        wait_rule(&h, "running", &id, |r| r.state.status == ActionExecutionStatus::InProgress).await;
        let refused =
            h.engine.override_stage_condition("running", "Gate", &id, ConditionType::OnSuccess).await.unwrap_err();
        assert!(refused.to_string().contains("no ON_SUCCESS condition"), "{refused}");
        h.engine.override_stage_condition("running", "Gate", &id, ConditionType::BeforeEntry).await.unwrap();
        assert_eq!(h.wait_end("running", &id).await, PipelineExecutionStatus::Succeeded);
        let (status, rules) = condition_status(&h, "running", "Gate", ConditionType::BeforeEntry).await;
        assert_eq!(status, ConditionExecutionStatus::Overridden);
        assert_eq!(rules[0].state.status, ActionExecutionStatus::Abandoned);
        let again =
            h.engine.override_stage_condition("running", "Gate", &id, ConditionType::BeforeEntry).await.unwrap_err();
        assert!(
            matches!(again, engine::EngineError::Refused { why: engine::Refusal::ConditionNotOverridable, .. }),
            "{again}"
        );

        let id = h.start("failed").await;
        assert_eq!(h.wait_end("failed", &id).await, PipelineExecutionStatus::Failed);
        h.engine.override_stage_condition("failed", "Gate", &id, ConditionType::BeforeEntry).await.unwrap();
        assert_eq!(h.wait_end("failed", &id).await, PipelineExecutionStatus::Succeeded, "the failed stage resumed");
        assert_eq!(stage_status(&h, "failed", "Gate").await, Some(StageExecutionStatus::Succeeded));
        h
    })
    .await;
}

#[tokio::test]
async fn stopping_abandons_the_rules_being_checked() {
    on_both(|h| async move {
        h.create(gated(
            "p",
            build(),
            "beforeEntry",
            condition("FAIL", vec![commands_rule("Slow", &["sleep 30"], &[])]),
        ))
        .await;
        let id = h.start("p").await;
        wait_rule(&h, "p", &id, |r| r.state.status == ActionExecutionStatus::InProgress).await;
        h.engine.stop_execution("p", &id, false, Some("enough".into())).await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Stopped);
        let (status, rules) = condition_status(&h, "p", "Gate", ConditionType::BeforeEntry).await;
        assert_eq!(status, ConditionExecutionStatus::Abandoned);
        assert_eq!(rules[0].state.status, ActionExecutionStatus::Abandoned);
        h
    })
    .await;
}

#[tokio::test]
async fn a_rule_running_when_its_process_died_is_evaluated_by_the_next_one() {
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let dir = std::env::temp_dir().join(format!("sluice-cond-crash-{}", uuid::Uuid::new_v4().simple()));
        let first = Harness::on(&db, &dir, Duration::from_millis(600)).await;
        // The first run tells the beacon and hangs; once told, the beacon lets the next one pass.
        let beacon = Beacon::start("first").await;
        let command = format!("{} || {{ {}; sleep 30; }}", beacon.answers("again"), beacon.tell("started"));
        first
            .create(gated(
                "p",
                build(),
                "beforeEntry",
                condition("FAIL", vec![commands_rule("Once", &[&command], &[])]),
            ))
            .await;
        let id = first.start("p").await;
        wait_rule(&first, "p", &id, |r| r.state.status == ActionExecutionStatus::InProgress).await;
        while beacon.heard("started") == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        beacon.set_answer("again");
        // The process dies: its runners stop and nothing is recorded for the rule.
        first.engine.shutdown();
        let second = Harness::on(&db, &dir, Duration::from_millis(600)).await;
        let status = second.wait_end("p", &id).await;
        let rule = &second.engine.rule_runs("p", &id).await.unwrap()[0];
        assert_eq!(status, PipelineExecutionStatus::Succeeded, "{rule:?}");
        assert_eq!(rule.state.status, ActionExecutionStatus::Succeeded);
        assert_eq!(rule.state.claims, 2, "the rule was taken over once");
        second.engine.shutdown();
        db.cleanup().await;
    }
}
