//! Manual approvals: the inbox of those waiting for an answer, answering one (PutApprovalResult
//! with Sluice's `RequiredApprovals` and `AllowSelfApproval`), and the history of every answer.
use crate::events::EventState;
use crate::events::PendingEvent;
use crate::executions::stage_not_found;
use crate::scheduler::{action_event, progress};
use crate::store::actions;
use crate::store::approvals as history;

use crate::now_ms;
use crate::runs::{ActionRow, ApprovalAnswer};
pub use crate::store::approvals::{DecisionFilter, DecisionRow};
use crate::{Engine, EngineError, Refusal, Result};
use model::catalog::ApprovalRule;
use model::{ActionCategory, ActionExecutionStatus as A};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum ApprovalStatus {
    Approved,
    Rejected,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Approved => "Approved",
            ApprovalStatus::Rejected => "Rejected",
        }
    }

    pub fn from_wire(text: &str) -> Option<Self> {
        [ApprovalStatus::Approved, ApprovalStatus::Rejected].into_iter().find(|s| s.as_str() == text)
    }
}

/// One user's answer to a waiting manual approval (PutApprovalResult).
#[derive(Debug, Clone, Copy)]
pub struct ApprovalReply<'a> {
    pub stage: &'a str,
    pub action: &'a str,
    /// The token the waiting action was given.
    pub token: &'a str,
    pub status: ApprovalStatus,
    /// The approver's comment.
    pub summary: &'a str,
}

/// One approval waiting for an answer, with what the approver needs to decide.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingApproval {
    pub pipeline_name: String,
    pub execution_id: String,
    pub stage_name: String,
    pub action_name: String,
    pub action_execution_id: String,
    pub token: String,
    pub summary: Option<String>,
    pub custom_data: Option<String>,
    pub external_entity_link: Option<String>,
    pub requested_ms: i64,
    pub expires_ms: Option<i64>,
    /// How many different users must approve.
    pub required_approvals: usize,
    /// The ARNs of those who approved so far.
    pub approvers: Vec<String>,
    /// Who started the execution (or retried a stage of it), when the action does not let them
    /// approve it.
    pub excluded_approvers: Vec<String>,
}

impl PendingApproval {
    /// Whether `arn` may still approve: not again, and not their own execution when that is excluded.
    pub fn may_approve(&self, arn: &str) -> bool {
        !self.approvers.iter().chain(&self.excluded_approvers).any(|a| a == arn)
    }
}

impl Engine {
    /// Every pending approval, oldest request first.
    pub async fn pending_approvals(&self) -> Result<Vec<PendingApproval>> {
        let mut conn = self.store.conn().await?;
        let waiting = actions::pending_approvals(&mut conn).await?;
        Ok(waiting
            .into_iter()
            .filter(|pending| !crate::jobs::is_job(&pending.action))
            .filter_map(|pending| {
                let row = pending.action;
                let text = |key: &str| row.input.resolved().get(key).cloned();
                // The provider refused a bad rule before the action could wait, so this always parses.
                let rule = rule_of(&row).ok()?;
                Some(PendingApproval {
                    custom_data: text("CustomData"),
                    external_entity_link: text("ExternalEntityLink"),
                    required_approvals: rule.required,
                    approvers: row.output.approvers.clone(),
                    excluded_approvers: if rule.allow_self { Vec::new() } else { pending.starters },
                    token: row.token?,
                    pipeline_name: pending.pipeline_name,
                    execution_id: row.execution_id,
                    stage_name: row.stage_name,
                    action_name: row.action_name,
                    action_execution_id: row.action_execution_id,
                    summary: row.state.summary,
                    requested_ms: row.state.started_ms,
                    expires_ms: row.expires_ms,
                })
            })
            .collect())
    }

    /// PutApprovalResult: records one user's answer to a waiting manual approval. A rejection
    /// fails the action at once; an approval completes it once `RequiredApprovals` different users
    /// have approved, and until then the action waits with the same token. Returns when it was
    /// answered. The answer goes to the approvals history in the transaction that applies it.
    pub async fn put_approval(&self, pipeline: &str, reply: ApprovalReply<'_>, answered_by: &str) -> Result<i64> {
        let row = self.approval_by_token(pipeline, &reply).await?;
        let ApprovalReply { stage, action, status, summary, .. } = reply;
        let now = now_ms();
        self.change(pipeline, &row.execution_id.clone(), |run, tick| {
            let starters = run.exec.starters();
            let current = run
                .actions
                .iter_mut()
                .find(|a| a.action_execution_id == row.action_execution_id)
                .ok_or_else(|| invalid_token(stage, action))?;
            if current.state.status != A::InProgress {
                return Err(EngineError::refused(
                    Refusal::ApprovalAlreadyAnswered,
                    "This approval was already answered.",
                ));
            }
            if current.expires_ms.is_some_and(|at| at < now) {
                return Err(invalid_token(stage, action));
            }
            let rule = rule_of(current).map_err(|message| EngineError::refused(Refusal::InvalidRequest, message))?;
            let mut approvers = current.output.approvers.clone();
            if status == ApprovalStatus::Approved {
                check_approver(&rule, &approvers, &starters, answered_by)?;
                approvers.push(answered_by.to_owned());
            }
            tick.decisions.push(DecisionRow {
                decision_id: 0,
                pipeline_name: pipeline.to_owned(),
                execution_id: current.execution_id.clone(),
                stage_name: current.stage_name.clone(),
                action_name: current.action_name.clone(),
                action_execution_id: current.action_execution_id.clone(),
                approver_arn: answered_by.to_owned(),
                result: status,
                comment: summary.to_owned(),
                decided_ms: now,
            });
            current.state.updated_ms = now;
            current.output.approvers = approvers.clone();
            if status == ApprovalStatus::Approved && approvers.len() < rule.required {
                current.state.summary = Some(tally(&approvers, rule.required));
                // The inbox follows this to show the progress.
                let mut event = PendingEvent::approval_pending(
                    pipeline,
                    &current.execution_id,
                    run.exec.pipeline_version,
                    stage,
                    action,
                    current.expires_ms.unwrap_or(now),
                );
                event.detail["approvals"] = json!({ "received": approvers.len(), "required": rule.required });
                tick.events.push(event);
                return Ok(());
            }
            let answer = ApprovalAnswer {
                status,
                summary: summary.to_owned(),
                answered_by: answered_by.to_owned(),
                answered_at: now,
            };
            let state = settle(current, answer, &rule, &approvers);
            let current = current.clone();
            tick.events.push(action_event(run, &current, state, json!({})));
            progress(run, tick);
            Ok(())
        })
        .await?;
        Ok(now)
    }

    /// The waiting approval `reply` answers, if its stage, action and token match.
    async fn approval_by_token(&self, pipeline: &str, reply: &ApprovalReply<'_>) -> Result<ActionRow> {
        let (stage, action) = (reply.stage, reply.action);
        let record = self.pipeline(pipeline, None).await?;
        let stage_decl = record
            .declaration
            .stages
            .iter()
            .find(|s| s.name == stage)
            .ok_or_else(|| stage_not_found(pipeline, stage))?;
        if !stage_decl.actions.iter().any(|a| a.name == action) {
            return Err(EngineError::refused(
                Refusal::ActionNotFound,
                format!("Stage '{stage}' has no action '{action}'."),
            ));
        }
        let mut conn = self.store.conn().await?;
        actions::action_by_token(&mut conn, reply.token)
            .await?
            .filter(|r| r.stage_name == stage && r.action_name == action)
            .ok_or_else(|| invalid_token(stage, action))
    }

    /// The approvals history: every answer matching `filter`, newest first.
    pub async fn approval_decisions(&self, filter: &DecisionFilter) -> Result<Vec<DecisionRow>> {
        let mut conn = self.store.conn().await?;
        Ok(history::list_decisions(&mut conn, filter).await?)
    }

    /// Whether an action of a pipeline version is a manual approval (false when it does not exist).
    pub async fn is_approval_action(&self, pipeline: &str, version: u32, stage: &str, action: &str) -> Result<bool> {
        let decl = self.declaration(pipeline, version).await?;
        Ok(decl
            .stages
            .iter()
            .filter(|s| s.name == stage)
            .flat_map(|s| &s.actions)
            .any(|a| a.name == action && a.action_type_id.category == ActionCategory::Approval))
    }
}

fn invalid_token(stage: &str, action: &str) -> EngineError {
    EngineError::refused(
        Refusal::InvalidApprovalToken,
        format!("The token for stage '{stage}', action '{action}' is not valid: the approval already received a response, expired, or was never requested."),
    )
}

/// Records the answer that decides the approval; returns the action's new state.
fn settle(current: &mut ActionRow, answer: ApprovalAnswer, rule: &ApprovalRule, approvers: &[String]) -> EventState {
    current.state.summary =
        Some(if rule.required == 1 { answer.summary.clone() } else { tally(approvers, rule.required) });
    let state = match answer.status {
        ApprovalStatus::Approved => {
            current.state.status = A::Succeeded;
            EventState::Succeeded
        }
        ApprovalStatus::Rejected => {
            current.state.status = A::Failed;
            current.state.error_code = Some("JobFailed".into());
            current.state.error_message = Some(format!("Rejected by {}: {}", answer.answered_by, answer.summary));
            EventState::Failed
        }
    };
    current.output.approval = Some(answer);
    state
}

/// Refuses a second approval by the same user, and a starter's when self-approval is off.
fn check_approver(rule: &ApprovalRule, approvers: &[String], starters: &[String], arn: &str) -> Result<()> {
    if approvers.iter().any(|a| a == arn) {
        return Err(EngineError::refused(
            Refusal::InvalidRequest,
            format!("{arn} already approved this action; it needs {} different approvers.", rule.required),
        ));
    }
    if !rule.allow_self && starters.iter().any(|starter| starter == arn) {
        return Err(EngineError::refused(
            Refusal::InvalidRequest,
            format!("{arn} started this execution (or retried one of its stages) and the action does not allow self-approval (AllowSelfApproval is false); another user must approve it."),
        ));
    }
    Ok(())
}

fn rule_of(row: &ActionRow) -> std::result::Result<ApprovalRule, String> {
    let configuration = row.input.resolved();
    ApprovalRule::parse(
        configuration.get("RequiredApprovals").map(String::as_str),
        configuration.get("AllowSelfApproval").map(String::as_str),
    )
}

/// "1 of 2 approvals (alice)": the count and the approvers' user names.
pub fn tally(approvers: &[String], required: usize) -> String {
    let names: Vec<&str> = approvers.iter().map(|arn| user_name(arn)).collect();
    match names.is_empty() {
        true => format!("0 of {required} approvals"),
        false => format!("{} of {required} approvals ({})", names.len(), names.join(", ")),
    }
}

/// `alice` of `arn:aws:iam::000000000000:user/alice`.
pub fn user_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
