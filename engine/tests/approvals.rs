//! Sluice's approval rules on both backends: `RequiredApprovals` different approvers,
//! `AllowSelfApproval`, rejections, and the approvals history they leave.
mod support;

use engine::approvals::DecisionFilter;
use engine::{EngineError, Refusal};
use support::*;

const ALICE: &str = "arn:aws:iam::000000000000:user/alice";
const BOB: &str = "arn:aws:iam::000000000000:user/bob";
const CAROL: &str = "arn:aws:iam::000000000000:user/carol";

/// A pipeline whose `Approve` stage holds one manual approval `Gate` configured with `config`.
async fn gated(h: &Harness, name: &str, config: Value) {
    let mut gate = approval("Gate");
    gate["configuration"] = config;
    h.create(pipeline(
        name,
        vec![source(json!({})), ("Approve", vec![gate]), ("Deploy", vec![step("D", "Deploy", 1, json!({}), &[], &[])])],
    ))
    .await;
}

/// Starts an execution as `user` and returns it with the gate's token once it waits.
async fn start_as(h: &Harness, pipeline: &str, user: &str) -> (String, String) {
    let id = h.engine.start_execution(pipeline, StartRequest::by_user(&support::user(user))).await.unwrap();
    let gate = h.wait_action(pipeline, &id, "Gate", |r| r.token.is_some()).await;
    (id, gate.token.unwrap())
}

async fn answer(
    h: &Harness,
    pipeline: &str,
    token: &str,
    status: ApprovalStatus,
    by: &str,
) -> Result<i64, EngineError> {
    h.engine
        .put_approval(
            pipeline,
            reply("Approve", token, status, &format!("{} says so", by.rsplit('/').next().unwrap())),
            by,
        )
        .await
}

fn refusal(err: EngineError) -> (Refusal, String) {
    match err {
        EngineError::Refused { why, message } => (why, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn two_approvals_need_two_different_users_and_are_kept_in_the_history() {
    on_both(|h| async move {
        gated(&h, "p", json!({ "RequiredApprovals": "2" })).await;
        let (id, token) = start_as(&h, "p", ALICE).await;
        answer(&h, "p", &token, ApprovalStatus::Approved, BOB).await.unwrap();

        let gate = h.wait_action("p", &id, "Gate", |_| true).await;
        assert_eq!(gate.state.status, ActionExecutionStatus::InProgress, "one approval of two is not enough");
        assert_eq!(gate.token.as_deref(), Some(token.as_str()), "the same token stays valid");
        assert_eq!(gate.state.summary.as_deref(), Some("1 of 2 approvals (bob)"));
        let pending = h.engine.pending_approvals().await.unwrap();
        assert_eq!((pending[0].required_approvals, pending[0].approvers.clone()), (2, vec![BOB.to_owned()]));
        assert!(!pending[0].may_approve(BOB) && pending[0].may_approve(CAROL));

        let (why, message) = refusal(answer(&h, "p", &token, ApprovalStatus::Approved, BOB).await.unwrap_err());
        assert_eq!(why, Refusal::InvalidRequest);
        assert!(message.contains("already approved"), "{message}");
        assert_eq!(h.engine.execution("p", &id).await.unwrap().status, PipelineExecutionStatus::InProgress);

        answer(&h, "p", &token, ApprovalStatus::Approved, CAROL).await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Succeeded);
        let gate = h.wait_action("p", &id, "Gate", |_| true).await;
        assert_eq!(gate.state.summary.as_deref(), Some("2 of 2 approvals (bob, carol)"));

        let history = h
            .engine
            .approval_decisions(&DecisionFilter { pipeline_name: Some("p".into()), ..Default::default() })
            .await
            .unwrap();
        let seen: Vec<_> =
            history.iter().map(|d| (d.approver_arn.as_str(), d.result.as_str(), d.comment.as_str())).collect();
        assert_eq!(
            seen,
            vec![(CAROL, "Approved", "carol says so"), (BOB, "Approved", "bob says so")],
            "newest first, the refused one not kept"
        );
        assert!(history
            .iter()
            .all(|d| d.execution_id == id && d.stage_name == "Approve" && d.action_name == "Gate" && d.decided_ms > 0));
        let bobs = DecisionFilter {
            approver_arn: Some(BOB.into()),
            result: Some(ApprovalStatus::Approved),
            ..Default::default()
        };
        assert_eq!(h.engine.approval_decisions(&bobs).await.unwrap().len(), 1);
        h
    })
    .await;
}

#[tokio::test]
async fn self_approval_is_refused_only_when_the_action_says_so() {
    on_both(|h| async move {
        gated(&h, "strict", json!({ "AllowSelfApproval": "false" })).await;
        let (id, token) = start_as(&h, "strict", ALICE).await;
        let pending = h.engine.pending_approvals().await.unwrap();
        assert_eq!(pending[0].excluded_approvers, vec![ALICE.to_owned()]);
        let (why, message) = refusal(answer(&h, "strict", &token, ApprovalStatus::Approved, ALICE).await.unwrap_err());
        assert_eq!(why, Refusal::InvalidRequest);
        assert!(message.contains("self-approval"), "{message}");
        answer(&h, "strict", &token, ApprovalStatus::Approved, BOB).await.unwrap();
        assert_eq!(h.wait_end("strict", &id).await, PipelineExecutionStatus::Succeeded);

        // By default, as in CodePipeline, whoever started the execution may approve it.
        gated(&h, "relaxed", json!({})).await;
        let (id, token) = start_as(&h, "relaxed", ALICE).await;
        answer(&h, "relaxed", &token, ApprovalStatus::Approved, ALICE).await.unwrap();
        assert_eq!(h.wait_end("relaxed", &id).await, PipelineExecutionStatus::Succeeded);
        h
    })
    .await;
}

/// Whether `by` is refused as a self-approver of the gate waiting with `token`.
async fn refused_as_starter(h: &Harness, pipeline: &str, stage: &str, token: &str, by: &str) -> bool {
    let answered = h.engine.put_approval(pipeline, reply(stage, token, ApprovalStatus::Approved, "mine"), by).await;
    matches!(answered, Err(EngineError::Refused { why: Refusal::InvalidRequest, message }) if message.contains("self-approval"))
}

#[tokio::test]
async fn whoever_retried_the_stage_may_not_approve_it_either() {
    on_both(|h| async move {
        gated(&h, "p", json!({ "AllowSelfApproval": "false" })).await;
        let (id, token) = start_as(&h, "p", ALICE).await;
        answer(&h, "p", &token, ApprovalStatus::Rejected, BOB).await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Failed);
        h.engine.retry_stage("p", "Approve", &id, RetryMode::FailedActions, &support::user(CAROL)).await.unwrap();
        let gate = h.wait_action("p", &id, "Gate", |r| r.stage_attempt == 2 && r.token.is_some()).await;
        let token = gate.token.unwrap();
        assert_eq!(
            h.engine.pending_approvals().await.unwrap()[0].excluded_approvers,
            vec![ALICE.to_owned(), CAROL.to_owned()]
        );
        assert!(refused_as_starter(&h, "p", "Approve", &token, CAROL).await, "the retrier");
        assert!(refused_as_starter(&h, "p", "Approve", &token, ALICE).await, "the starter, still");
        answer(&h, "p", &token, ApprovalStatus::Approved, BOB).await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Succeeded);
        h
    })
    .await;
}

#[tokio::test]
async fn a_rollback_and_a_new_pipelines_first_run_have_their_starters() {
    on_both(|h| async move {
        let mut gate = approval("Gate");
        gate["configuration"] = json!({ "AllowSelfApproval": "false" });
        let mut declaration = pipeline(
            "p",
            vec![
                source(json!({})),
                ("Approve", vec![gate]),
                ("Deploy", vec![step("D", "Deploy", 1, json!({}), &[], &[])]),
            ],
        );
        declaration["pipelineType"] = json!("V2");
        // CreatePipeline's own run is its creator's.
        h.engine
            .create_pipeline(model::parse_pipeline(&declaration.to_string()).unwrap(), &[], &support::user(ALICE))
            .await
            .unwrap();
        let first = h.engine.executions("p", None, 1).await.unwrap().remove(0);
        assert_eq!(first.started_by.as_deref(), Some(ALICE));
        let first = first.execution_id;
        let gate = h.wait_action("p", &first, "Gate", |r| r.token.is_some()).await;
        assert!(refused_as_starter(&h, "p", "Approve", gate.token.as_deref().unwrap(), ALICE).await, "the creator");
        answer(&h, "p", gate.token.as_deref().unwrap(), ApprovalStatus::Approved, BOB).await.unwrap();
        assert_eq!(h.wait_end("p", &first).await, PipelineExecutionStatus::Succeeded);

        // RollbackStage's run is its caller's.
        let rollback = h.engine.rollback_stage("p", "Approve", &first, &support::user(CAROL)).await.unwrap();
        assert_eq!(h.engine.execution("p", &rollback).await.unwrap().started_by.as_deref(), Some(CAROL));
        let gate = h.wait_action("p", &rollback, "Gate", |r| r.token.is_some()).await;
        assert!(
            refused_as_starter(&h, "p", "Approve", gate.token.as_deref().unwrap(), CAROL).await,
            "the rollback's caller"
        );
        answer(&h, "p", gate.token.as_deref().unwrap(), ApprovalStatus::Approved, BOB).await.unwrap();
        assert_eq!(h.wait_end("p", &rollback).await, PipelineExecutionStatus::Succeeded);
        h
    })
    .await;
}

#[tokio::test]
async fn a_rejection_after_an_approval_rejects_at_once() {
    on_both(|h| async move {
        gated(&h, "p", json!({ "RequiredApprovals": "3" })).await;
        let (id, token) = start_as(&h, "p", ALICE).await;
        answer(&h, "p", &token, ApprovalStatus::Approved, BOB).await.unwrap();
        answer(&h, "p", &token, ApprovalStatus::Rejected, CAROL).await.unwrap();
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Failed);
        let gate = h.wait_action("p", &id, "Gate", |_| true).await;
        assert_eq!(gate.state.status, ActionExecutionStatus::Failed);
        assert_eq!(gate.state.error_message.as_deref(), Some(format!("Rejected by {CAROL}: carol says so").as_str()));
        let (why, _) = refusal(answer(&h, "p", &token, ApprovalStatus::Approved, ALICE).await.unwrap_err());
        assert_eq!(why, Refusal::ApprovalAlreadyAnswered);
        let results: Vec<_> = h
            .engine
            .approval_decisions(&DecisionFilter::default())
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.result.as_str())
            .collect();
        assert_eq!(results, vec!["Rejected", "Approved"]);
        h
    })
    .await;
}

#[tokio::test]
async fn a_bad_rule_resolved_at_run_time_fails_the_action() {
    on_both(|h| async move {
        let mut gate = approval("Gate");
        gate["configuration"] = json!({ "RequiredApprovals": "#{variables.Approvers}" });
        let mut declaration = pipeline("p", vec![source(json!({})), ("Approve", vec![gate])]);
        declaration["pipelineType"] = json!("V2");
        declaration["variables"] = json!([{ "name": "Approvers", "defaultValue": "eleven" }]);
        h.create(declaration).await;
        let id = h.start("p").await;
        assert_eq!(h.wait_end("p", &id).await, PipelineExecutionStatus::Failed);
        let gate = h.wait_action("p", &id, "Gate", |_| true).await;
        assert_eq!(gate.state.error_code.as_deref(), Some("ConfigurationError"));
        assert!(gate.state.error_message.unwrap().contains("RequiredApprovals is 'eleven'"));
        h
    })
    .await;
}

/// Deleting a pipeline stops what it was running: its waiting approval leaves every inbox, and
/// nothing of it is left in progress for the sweep to advance for ever.
#[tokio::test]
async fn a_deleted_pipeline_leaves_no_approval_waiting() {
    on_both(|h| async move {
        gated(&h, "p", json!({})).await;
        let (_, token) = start_as(&h, "p", ALICE).await;
        assert_eq!(h.engine.pending_approvals().await.unwrap().len(), 1);

        assert!(h.engine.delete_pipeline("p").await.unwrap());
        assert_eq!(h.engine.pending_approvals().await.unwrap(), Vec::new(), "the approval still waits");
        assert!(answer(&h, "p", &token, ApprovalStatus::Approved, BOB).await.is_err());
        assert!(!h.engine.delete_pipeline("p").await.unwrap(), "deleted twice");
        h
    })
    .await;
}
