//! The scheduler's semantics on both backends, with the in-test provider of `support`.
//! Over 400 lines because it is the list of the scheduler's rules, one test each.
mod support;

use support::*;

#[tokio::test]
async fn groups_run_in_parallel_and_stages_in_order_passing_artifacts_and_variables() {
    on_both(|h| async move {
        let mut src = step("Src", "Source", 1, json!({ "Write": "hello", "Export": "Commit=abc" }), &[], &["Code"]);
        src["namespace"] = json!("SourceVariables");
        h.create(pipeline("p", vec![
            ("Source", vec![src]),
            ("Build", vec![
                step("A", "Build", 1, json!({ "SleepMs": "150", "Read": "Code" }), &["Code"], &[]),
                step("B", "Build", 1, json!({ "SleepMs": "150", "Export": "Tag=#{SourceVariables.Commit}-#{codepipeline.PipelineExecutionId}" }), &["Code"], &[]),
                step("C", "Test", 2, json!({}), &[], &[]),
            ]),
        ])).await;
        let id = h.start("p").await;
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Succeeded);
        let runs = h.runs("p", &id).await;
        let run = |name: &str| runs.iter().find(|r| r.action_name == name).unwrap().clone();
        let (a, b, c) = (run("A"), run("B"), run("C"));
        assert!(a.state.started_ms < b.state.updated_ms && b.state.started_ms < a.state.updated_ms, "A and B overlapped");
        assert!(c.state.started_ms >= a.state.updated_ms.max(b.state.updated_ms), "C waited for its group");
        assert_eq!(a.output.output_variables["Message"], "hello", "the artifact reached the next stage");
        assert_eq!(b.output.output_variables["Tag"], format!("abc-{id}"));
        assert_eq!(b.input.resolved()["Export"], format!("Tag=abc-{id}"));

        // Every change left its event, in order, ending with the execution's success.
        let events = h.engine.events_after(0, 1000).await.unwrap();
        assert!(events.windows(2).all(|w| w[0].id < w[1].id));
        let states: Vec<_> = events
            .iter()
            .filter(|e| e.detail_type == engine::events::PIPELINE_DETAIL)
            .map(|e| e.body["detail"]["state"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(states, ["STARTED", "SUCCEEDED"]);
        h
    })
    .await;
}

#[tokio::test]
async fn a_failure_lets_running_actions_finish_and_starts_no_later_group() {
    on_both(|h| async move {
        h.create(pipeline(
            "p",
            vec![
                source(json!({})),
                (
                    "Build",
                    vec![
                        step("Fails", "Build", 1, json!({ "Outcome": "fail" }), &[], &[]),
                        step("Slow", "Build", 1, json!({ "SleepMs": "200" }), &[], &[]),
                        step("Later", "Build", 2, json!({}), &[], &[]),
                    ],
                ),
                ("Deploy", vec![step("D", "Deploy", 1, json!({}), &[], &[])]),
            ],
        ))
        .await;
        let id = h.start("p").await;
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Failed);
        let runs = h.runs("p", &id).await;
        let status = |name: &str| runs.iter().find(|r| r.action_name == name).map(|r| r.state.status);
        assert_eq!(status("Slow"), Some(ActionExecutionStatus::Succeeded), "the running sibling finished");
        assert_eq!(status("Fails"), Some(ActionExecutionStatus::Failed));
        assert_eq!(status("Later"), None, "no later group started");
        assert_eq!(status("D"), None, "no later stage started");
        let exec = h.engine.execution("p", &id).await.unwrap();
        assert!(exec.status_summary.unwrap().contains("Fails"));
        h
    })
    .await;
}

#[tokio::test]
async fn retrying_failed_actions_reruns_only_them() {
    on_both(|h| async move {
        h.create(pipeline(
            "p",
            vec![
                source(json!({})),
                (
                    "Build",
                    vec![
                        step("Ok", "Build", 1, json!({}), &[], &[]),
                        step("Flaky", "Build", 1, json!({ "FailTimes": "1" }), &[], &[]),
                    ],
                ),
            ],
        ))
        .await;
        let id = h.start("p").await;
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Failed);
        let wrong_stage =
            h.engine.retry_stage("p", "Nope", &id, RetryMode::FailedActions, &tester()).await.unwrap_err();
        assert!(wrong_stage.to_string().contains("Nope"));
        h.engine.retry_stage("p", "Build", &id, RetryMode::FailedActions, &tester()).await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Succeeded);
        let runs = h.runs("p", &id).await;
        assert_eq!(runs.iter().filter(|r| r.action_name == "Ok").count(), 1, "the succeeded action was not rerun");
        assert_eq!(runs.iter().filter(|r| r.action_name == "Flaky").count(), 2);
        let again = h.engine.retry_stage("p", "Build", &id, RetryMode::AllActions, &tester()).await.unwrap_err();
        assert!(
            matches!(again, engine::EngineError::Refused { why: engine::Refusal::StageNotRetryable, .. }),
            "{again:?}"
        );
        h
    })
    .await;
}

#[tokio::test]
async fn manual_approvals_wait_for_an_answer_given_once() {
    on_both(|h| async move {
        h.create(pipeline(
            "p",
            vec![
                source(json!({})),
                ("Approve", vec![approval("Gate")]),
                ("Deploy", vec![step("D", "Deploy", 1, json!({}), &[], &[])]),
            ],
        ))
        .await;
        let approved = h.start("p").await;
        let gate = h.wait_action("p", &approved, "Gate", |r| r.token.is_some()).await;
        let token = gate.token.unwrap();
        let bad = h
            .engine
            .put_approval("p", reply("Approve", "not-a-token", ApprovalStatus::Approved, "ok"), "me")
            .await
            .unwrap_err();
        assert!(matches!(bad, engine::EngineError::Refused { why: engine::Refusal::InvalidApprovalToken, .. }));
        h.engine
            .put_approval("p", reply("Approve", &token, ApprovalStatus::Approved, "ship it"), "alice")
            .await
            .unwrap();
        let twice = h
            .engine
            .put_approval("p", reply("Approve", &token, ApprovalStatus::Approved, "again"), "bob")
            .await
            .unwrap_err();
        assert!(
            matches!(twice, engine::EngineError::Refused { why: engine::Refusal::ApprovalAlreadyAnswered, .. }),
            "{twice:?}"
        );
        assert_eq!(h.wait_end("p", &approved).await, PipelineExecutionStatus::Succeeded);
        let answered = h.wait_action("p", &approved, "Gate", |_| true).await;
        assert_eq!(answered.output.approval.as_ref().map(|a| a.answered_by.as_str()), Some("alice"));

        let rejected = h.start("p").await;
        let gate = h.wait_action("p", &rejected, "Gate", |r| r.token.is_some()).await;
        h.engine
            .put_approval(
                "p",
                reply("Approve", gate.token.as_deref().unwrap(), ApprovalStatus::Rejected, "not today"),
                "carol",
            )
            .await
            .unwrap();
        assert_eq!(h.wait_end("p", &rejected).await, PipelineExecutionStatus::Failed);
        assert!(h.runs("p", &rejected).await.iter().all(|r| r.action_name != "D"));
        h
    })
    .await;
}

#[tokio::test]
async fn stop_and_wait_lets_actions_finish_stop_and_abandon_does_not() {
    on_both(|h| async move {
        h.create(pipeline(
            "p",
            vec![
                source(json!({})),
                (
                    "Build",
                    vec![
                        step("Long", "Build", 1, json!({ "SleepMs": "300" }), &[], &[]),
                        step("Next", "Build", 2, json!({}), &[], &[]),
                    ],
                ),
            ],
        ))
        .await;
        let waited = h.start("p").await;
        h.wait_action("p", &waited, "Long", |_| true).await;
        h.engine.stop_execution("p", &waited, false, Some("pause".into())).await.unwrap();
        let duplicate = h.engine.stop_execution("p", &waited, false, None).await;
        assert!(
            matches!(duplicate, Err(engine::EngineError::Refused { why: engine::Refusal::StopAlreadyRequested, .. }))
                || h.engine.execution("p", &waited).await.unwrap().status == PipelineExecutionStatus::Stopped
        );
        assert_eq!(h.wait_end("p", &waited).await, PipelineExecutionStatus::Stopped);
        let runs = h.runs("p", &waited).await;
        assert_eq!(
            runs.iter().find(|r| r.action_name == "Long").unwrap().state.status,
            ActionExecutionStatus::Succeeded
        );
        assert!(runs.iter().all(|r| r.action_name != "Next"));
        assert_eq!(h.engine.execution("p", &waited).await.unwrap().stop_reason.as_deref(), Some("pause"));

        let abandoned = h.start("p").await;
        h.wait_action("p", &abandoned, "Long", |_| true).await;
        h.engine.stop_execution("p", &abandoned, true, None).await.unwrap();
        assert_eq!(h.wait_end("p", &abandoned).await, PipelineExecutionStatus::Stopped);
        let long = h.wait_action("p", &abandoned, "Long", |_| true).await;
        assert_eq!(long.state.status, ActionExecutionStatus::Abandoned);
        let not_stoppable = h.engine.stop_execution("p", &abandoned, false, None).await.unwrap_err();
        assert!(matches!(not_stoppable, engine::EngineError::Refused { why: engine::Refusal::NotStoppable, .. }));
        h
    })
    .await;
}

#[tokio::test]
async fn superseded_mode_lets_the_newest_waiting_execution_through_a_disabled_transition() {
    on_both(|h| async move {
        h.create(pipeline("p", vec![source(json!({})), ("Deploy", vec![step("D", "Deploy", 1, json!({}), &[], &[])])]))
            .await;
        h.engine.set_stage_transition("p", "Deploy", false, Some("freeze".into()), "tester").await.unwrap();
        let older = h.start("p").await;
        h.wait_action("p", &older, "Src", |r| r.state.status == ActionExecutionStatus::Succeeded).await;
        let newer = h.start("p").await;
        assert_eq!(h.wait_end("p", &older).await, PipelineExecutionStatus::Superseded);
        let (_, stages) = h.engine.pipeline_state("p").await.unwrap();
        let deploy = stages.iter().find(|s| s.stage_name == "Deploy").unwrap();
        assert_eq!(deploy.inbound.iter().map(|e| e.execution_id.as_str()).collect::<Vec<_>>(), [newer.as_str()]);
        assert_eq!(deploy.transition.as_ref().unwrap().disabled_reason.as_deref(), Some("freeze"));
        h.engine.set_stage_transition("p", "Deploy", true, None, "tester").await.unwrap();
        assert_eq!(h.wait_end("p", &newer).await, PipelineExecutionStatus::Succeeded);
        h
    })
    .await;
}

#[tokio::test]
async fn queued_mode_runs_executions_one_by_one_in_order() {
    on_both(|h| async move {
        let mut decl = pipeline(
            "p",
            vec![source(json!({})), ("Build", vec![step("B", "Build", 1, json!({ "SleepMs": "100" }), &[], &[])])],
        );
        decl["pipelineType"] = json!("V2");
        decl["executionMode"] = json!("QUEUED");
        h.create(decl).await;
        let ids = [h.start("p").await, h.start("p").await, h.start("p").await];
        for id in &ids {
            assert_eq!(
                h.wait_end("p", id).await,
                PipelineExecutionStatus::Succeeded,
                "queued executions are never superseded"
            );
        }
        let mut spans = Vec::new();
        for id in &ids {
            let b = h.wait_action("p", id, "B", |_| true).await;
            spans.push((b.state.started_ms, b.state.updated_ms));
        }
        assert!(spans.windows(2).all(|w| w[1].0 >= w[0].1), "one at a time, in order: {spans:?}");
        h
    })
    .await;
}

#[tokio::test]
async fn an_unknown_variable_fails_the_action_with_a_clear_message() {
    on_both(|h| async move {
        h.create(pipeline(
            "p",
            vec![
                source(json!({})),
                ("Build", vec![step("B", "Build", 1, json!({ "Export": "x=#{Nobody.Home}" }), &[], &[])]),
            ],
        ))
        .await;
        let id = h.start("p").await;
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Failed);
        let b = h.wait_action("p", &id, "B", |_| true).await;
        assert_eq!(b.state.error_code.as_deref(), Some("ConfigurationError"));
        assert!(b.state.error_message.unwrap().contains("#{Nobody.Home}"));
        h
    })
    .await;
}

#[tokio::test]
async fn updating_the_pipeline_cancels_executions_in_flight() {
    on_both(|h| async move {
        let decl = pipeline(
            "p",
            vec![source(json!({})), ("Build", vec![step("Long", "Build", 1, json!({ "SleepMs": "5000" }), &[], &[])])],
        );
        h.create(decl.clone()).await;
        let id = h.start("p").await;
        h.wait_action("p", &id, "Long", |_| true).await;
        h.engine.update_pipeline(model::parse_pipeline(&decl.to_string()).unwrap(), &tester()).await.unwrap();
        h.engine.sweep().await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Cancelled);
        let long = h.wait_action("p", &id, "Long", |r| r.state.status != ActionExecutionStatus::InProgress).await;
        assert_eq!(long.state.status, ActionExecutionStatus::Abandoned);
        h
    })
    .await;
}

#[tokio::test]
async fn a_client_token_starts_one_execution() {
    on_both(|h| async move {
        h.create(pipeline("p", vec![source(json!({})), ("Build", vec![step("B", "Build", 1, json!({}), &[], &[])])]))
            .await;
        let mut request = StartRequest::new(TriggerType::StartPipelineExecution);
        request.client_request_token = Some("token-1".into());
        let first = h.engine.start_execution("p", request.clone()).await.unwrap();
        let second = h.engine.start_execution("p", request).await.unwrap();
        assert_eq!(first, second);
        assert_eq!(h.engine.executions("p", None, 10).await.unwrap().len(), 1);
        h
    })
    .await;
}

#[tokio::test]
async fn artifacts_are_encrypted_with_the_artifact_store_key() {
    on_both(|h| async move {
        let mut decl = pipeline(
            "p",
            vec![
                ("Source", vec![step("Src", "Source", 1, json!({ "Write": "secret-payload" }), &[], &["Code"])]),
                ("Build", vec![step("B", "Build", 1, json!({ "Read": "Code" }), &["Code"], &[])]),
            ],
        );
        decl["artifactStore"]["encryptionKey"] = json!({ "id": "alias/sluice-test", "type": "KMS" });
        h.create(decl).await;

        let without_key = h.start("p").await;
        assert_eq!(h.wait_end("p", &without_key).await, PipelineExecutionStatus::Failed);
        let src = h.wait_action("p", &without_key, "Src", |_| true).await;
        assert!(src.state.error_message.unwrap().contains("alias/sluice-test"), "the missing key is named");

        h.engine.objects().keys().create_key("alias/sluice-test").unwrap();
        let id = h.start("p").await;
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Succeeded);
        let src = h.wait_action("p", &id, "Src", |_| true).await;
        let stored = &src.output.output_artifacts[0];
        let location = &stored.location.s3_location;
        let version = h
            .engine
            .objects()
            .version(&location.bucket_name, &location.object_key, &stored.version_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(version.encryption_key_id.as_deref(), Some("alias/sluice-test"));
        let b = h.wait_action("p", &id, "B", |_| true).await;
        assert_eq!(b.output.output_variables["Message"], "secret-payload", "the consumer read the decrypted artifact");
        h
    })
    .await;
}

#[tokio::test]
async fn rolling_back_reruns_one_stage_with_an_earlier_executions_artifacts() {
    on_both(|h| async move {
        let mut decl = pipeline(
            "p",
            vec![
                ("Source", vec![step("Src", "Source", 1, json!({ "Write": "from-source" }), &[], &["Code"])]),
                ("Deploy", vec![step("D", "Deploy", 1, json!({ "Read": "Code" }), &["Code"], &[])]),
            ],
        );
        decl["pipelineType"] = json!("V2");
        h.create(decl).await;
        let good = h.start("p").await;
        assert_eq!(h.wait_end("p", &good).await, PipelineExecutionStatus::Succeeded);
        let refused = h.engine.rollback_stage("p", "Source", &good, &tester()).await.unwrap_err();
        assert!(matches!(refused, engine::EngineError::Refused { why: engine::Refusal::UnableToRollback, .. }));

        let rollback = h.engine.rollback_stage("p", "Deploy", &good, &tester()).await.unwrap();
        assert_eq!(h.wait_end("p", &rollback).await, PipelineExecutionStatus::Succeeded);
        let exec = h.engine.execution("p", &rollback).await.unwrap();
        assert_eq!(exec.execution_type.as_str(), "ROLLBACK");
        assert_eq!(exec.rollback_target.as_deref(), Some(good.as_str()));
        let runs = h.runs("p", &rollback).await;
        let deploys: Vec<_> = runs.iter().filter(|r| r.action_name == "D").collect();
        assert_eq!(deploys.len(), 1);
        assert_eq!(deploys[0].output.output_variables["Message"], "from-source", "the target's artifact was used");
        let nested = h.engine.rollback_stage("p", "Deploy", &rollback, &tester()).await.unwrap_err();
        assert!(nested.to_string().contains("itself a rollback"));
        h
    })
    .await;
}

#[tokio::test]
async fn on_failure_retry_retries_a_failed_stage_once_by_itself() {
    on_both(|h| async move {
        let declare = |name: &str, fail_times: &str| {
            let mut decl = pipeline(
                name,
                vec![
                    source(json!({})),
                    ("Build", vec![step("Flaky", "Build", 1, json!({ "FailTimes": fail_times }), &[], &[])]),
                ],
            );
            decl["pipelineType"] = json!("V2");
            decl["stages"][1]["onFailure"] =
                json!({ "result": "RETRY", "retryConfiguration": { "retryMode": "FAILED_ACTIONS" } });
            decl
        };
        h.create(declare("once", "1")).await;
        h.create(declare("twice", "2")).await;
        let recovers = h.start("once").await;
        assert_eq!(h.wait_end("once", &recovers).await, PipelineExecutionStatus::Succeeded);
        assert_eq!(h.runs("once", &recovers).await.iter().filter(|r| r.action_name == "Flaky").count(), 2);
        let (_, stages) = h.engine.pipeline_state("once").await.unwrap();
        assert_eq!(stages[1].latest.as_ref().unwrap().0.auto_retries, 1);

        let gives_up = h.start("twice").await;
        assert_eq!(h.wait_end("twice", &gives_up).await, PipelineExecutionStatus::Failed);
        assert_eq!(
            h.runs("twice", &gives_up).await.iter().filter(|r| r.action_name == "Flaky").count(),
            2,
            "one automatic attempt only"
        );
        h
    })
    .await;
}

#[tokio::test]
async fn the_catalogue_marks_exactly_the_providers_and_rules_the_engine_runs() {
    let h = Harness::new(BACKENDS[0]).await;
    for spec in model::catalog::all() {
        assert_eq!(
            spec.runs_locally,
            h.engine.can_run(spec.category, spec.owner, spec.provider),
            "{}/{}/{}",
            spec.owner,
            spec.category,
            spec.provider
        );
    }
    for spec in model::catalog::rule_types() {
        assert_eq!(spec.runs_locally, h.engine.can_run_rule(spec.provider), "rule {}", spec.provider);
    }
    h.stop().await;
}
