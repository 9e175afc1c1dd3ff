//! Server functions of the live execution view and the approval inbox: what a run looks like
//! now, and the controls (start, stop, retry, transitions, approvals). Each is checked against
//! the signed-in user's policies as the matching API operation is, and recorded as them.
use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use super::run_view::{ActionAttempt, ActionRun, RunSummary, RunView, StageRun};

/// The approval inbox: every approval waiting for an answer, oldest request first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub now_ms: i64,
    pub approvals: Vec<InboxItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxItem {
    pub pipeline: String,
    pub execution_id: String,
    pub stage: String,
    pub action: String,
    pub token: String,
    pub custom_data: Option<String>,
    pub external_link: Option<String>,
    pub requested_ms: i64,
    pub expires_ms: Option<i64>,
    /// "1 of 2 approvals (alice)" when the action needs more than one approver.
    pub progress: Option<String>,
    /// Why the signed-in user may not approve it (they may still reject it).
    pub cannot_approve: Option<String>,
    /// The execution it belongs to: who started it (a user name) and how.
    pub started_by: Option<String>,
    pub trigger: String,
    /// The source revisions the execution runs, as (source action, revision id).
    pub revisions: Vec<(String, String)>,
    /// The execution's variables, as (name, value).
    pub variables: Vec<(String, String)>,
}

/// How many executions the picker offers.
#[cfg(feature = "ssr")]
const RECENT: i64 = 10;

/// The IAM action of the CodePipeline `operation` and the resource the API checks it on: the
/// pipeline, or its `path` inside it (`Stage` or `Stage/Action`). The one place both the checks
/// of the calls (`allowed`) and the controls a page offers (`load_run`) name them.
#[cfg(feature = "ssr")]
fn operation_on(engine: &engine::Engine, operation: &str, pipeline: &str, path: &[&str]) -> (String, String) {
    let resource = std::iter::once(engine.pipeline_arn(pipeline)).chain(path.iter().map(|p| p.to_string()));
    (format!("codepipeline:{operation}"), resource.collect::<Vec<_>>().join("/"))
}

/// Checks the signed-in user may perform `operation` on the pipeline, or on its `path` inside it,
/// the way the API checks the same operation; returns their ARN.
#[cfg(feature = "ssr")]
pub(super) fn allowed(
    engine: &engine::Engine,
    operation: &str,
    pipeline: &str,
    path: &[&str],
) -> Result<String, AppError> {
    let (action, resource) = operation_on(engine, operation, pipeline, path);
    Ok(crate::auth::authorize(&action, &resource)?.arn)
}

/// The execution `execution_id`, or the newest one.
#[server(output = crate::api::codec::Json)]
pub async fn load_run(pipeline: String, execution_id: Option<String>) -> Result<RunView, AppError> {
    use super::ssr::*;
    let engine = engine()?;
    allowed(&engine, "GetPipelineState", &pipeline, &[])?;
    let permissions = crate::auth::permissions()?;
    // What the page offers: the controls the user's policies allow, checked as the calls will be.
    let may = |operation: &str, path: &[&str]| {
        let (action, resource) = operation_on(&engine, operation, &pipeline, path);
        permissions.allow(&action, &resource)
    };
    let (can_start, can_stop) = (may("StartPipelineExecution", &[]), may("StopPipelineExecution", &[]));
    let chosen = execution_id.filter(|id| !id.is_empty());
    let view = engine.run_view(&pipeline, chosen.as_deref(), RECENT).await.map_err(engine_error)?;
    let declaration = &view.pipeline.declaration;
    // Offered where RollbackStage would accept it and the user may roll the stage back.
    let may_roll_back =
        |stage: &str| view.rollback_targets.iter().any(|s| s == stage) && may("RollbackStage", &[stage]);
    let mut stages = declaration
        .stages
        .iter()
        .map(|stage| {
            let transition = view.transitions.iter().find(|t| t.stage_name == stage.name);
            let actions = stage
                .actions
                .iter()
                .map(|action| ActionRun {
                    runs_locally: crate::components::provider::runs_locally(&action.action_type_id),
                    can_answer: may("PutApprovalResult", &[&stage.name, &action.name]),
                    name: action.name.clone(),
                    category: action.action_type_id.category.as_str().to_owned(),
                    provider: action.action_type_id.provider.clone(),
                    attempt: view
                        .actions
                        .iter()
                        .filter(|r| r.stage_name == stage.name && r.action_name == action.name)
                        .max_by_key(|r| (r.stage_attempt, r.state.started_ms))
                        .map(|row| attempt(row, &view.decisions)),
                })
                .collect();
            let flip = if transition.is_none_or(|t| t.enabled) { "Disable" } else { "Enable" };
            StageRun {
                can_retry: may("RetryStageExecution", &[&stage.name]),
                can_set_transition: may(&format!("{flip}StageTransition"), &[&stage.name]),
                name: stage.name.clone(),
                status: view.stages.iter().find(|s| s.stage_name == stage.name).map(|s| s.status.as_str().to_owned()),
                transition_enabled: transition.is_none_or(|t| t.enabled),
                disabled_reason: transition.and_then(|t| t.disabled_reason.clone()),
                can_roll_back: may_roll_back(&stage.name),
                actions,
            }
        })
        .collect::<Vec<StageRun>>();
    link_builds(&engine, &mut stages).await?;
    let failure = super::failure::failure(&engine, &stages).await?;
    Ok(RunView {
        now_ms: now_ms(),
        pipeline,
        execution: view.execution.as_ref().map(summary),
        stages,
        recent: view.recent.iter().map(summary).collect(),
        revisions: engine::run_views::source_revisions(&view.actions),
        can_start,
        can_stop,
        failure,
    })
}

/// Starts an execution; `variables` holds `name=value` lines. Returns the new execution's id.
#[server(output = crate::api::codec::Json)]
pub async fn start_run(pipeline: String, variables: String) -> Result<String, AppError> {
    use super::ssr::*;
    let engine = engine()?;
    allowed(&engine, "StartPipelineExecution", &pipeline, &[])?;
    let mut request = engine::StartRequest::by_user(&crate::auth::principal()?);
    for line in variables.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once('=').ok_or_else(|| {
            AppError::Refused(format!("\u{201c}{line}\u{201d} is not a variable: write name=value, one per line."))
        })?;
        request.variables.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    engine.start_execution(&pipeline, request).await.map_err(engine_error)
}

#[server(output = crate::api::codec::Json)]
pub async fn stop_run(pipeline: String, execution_id: String, abandon: bool, reason: String) -> Result<(), AppError> {
    use super::ssr::*;
    let engine = engine()?;
    allowed(&engine, "StopPipelineExecution", &pipeline, &[])?;
    let reason = (!reason.trim().is_empty()).then(|| reason.trim().to_owned());
    engine.stop_execution(&pipeline, &execution_id, abandon, reason).await.map_err(engine_error)
}

/// Retries a failed or stopped stage: its failed actions, or all of them.
#[server(output = crate::api::codec::Json)]
pub async fn retry_run_stage(
    pipeline: String,
    stage: String,
    execution_id: String,
    all_actions: bool,
) -> Result<(), AppError> {
    use super::ssr::*;
    let engine = engine()?;
    allowed(&engine, "RetryStageExecution", &pipeline, &[&stage])?;
    let by = crate::auth::principal()?;
    let mode = if all_actions { engine::RetryMode::AllActions } else { engine::RetryMode::FailedActions };
    engine.retry_stage(&pipeline, &stage, &execution_id, mode, &by).await.map_err(engine_error)
}

/// Enables or disables the transition into `stage`.
#[server(output = crate::api::codec::Json)]
pub async fn set_transition(pipeline: String, stage: String, enabled: bool, reason: String) -> Result<(), AppError> {
    use super::ssr::*;
    if !enabled && reason.trim().is_empty() {
        return Err(AppError::Refused("Say why the transition is disabled.".into()));
    }
    let engine = engine()?;
    let operation = if enabled { "EnableStageTransition" } else { "DisableStageTransition" };
    let user = allowed(&engine, operation, &pipeline, &[&stage])?;
    let reason = (!enabled).then(|| reason.trim().to_owned());
    engine.set_stage_transition(&pipeline, &stage, enabled, reason, &user).await.map_err(engine_error)
}

#[server(output = crate::api::codec::Json)]
pub async fn answer_approval(
    pipeline: String,
    stage: String,
    action: String,
    token: String,
    approve: bool,
    comment: String,
) -> Result<(), AppError> {
    use super::ssr::*;
    let engine = engine()?;
    let user = allowed(&engine, "PutApprovalResult", &pipeline, &[&stage, &action])?;
    let status = if approve { engine::ApprovalStatus::Approved } else { engine::ApprovalStatus::Rejected };
    engine
        .put_approval(
            &pipeline,
            engine::ApprovalReply { stage: &stage, action: &action, token: &token, status, summary: comment.trim() },
            &user,
        )
        .await
        .map_err(engine_error)?;
    Ok(())
}

#[server(output = crate::api::codec::Json)]
pub async fn approval_inbox() -> Result<Inbox, AppError> {
    use super::ssr::*;
    let engine = engine()?;
    // Who asks is read before the await: the request's context may be gone after it.
    let user = crate::auth::current_user()?.arn;
    let permissions = crate::auth::permissions()?;
    let pending = engine.pending_approvals().await.map_err(engine_error)?;
    // The inbox lists what this user may answer.
    let answerable: Vec<_> = pending
        .into_iter()
        .filter(|p| {
            let path = [p.stage_name.as_str(), &p.action_name];
            let (action, resource) = operation_on(&engine, "PutApprovalResult", &p.pipeline_name, &path);
            permissions.allow(&action, &resource)
        })
        .collect();
    let mut approvals = Vec::new();
    for p in answerable {
        let execution = engine.execution(&p.pipeline_name, &p.execution_id).await.map_err(engine_error)?;
        let actions = engine.action_runs(&p.pipeline_name, &p.execution_id).await.map_err(engine_error)?;
        let cannot_approve = if p.approvers.contains(&user) {
            Some("You approved this already; another user must approve it too.")
        } else if !p.may_approve(&user) {
            Some("You started this execution and this approval needs someone else.")
        } else {
            None
        };
        approvals.push(InboxItem {
            progress: (p.required_approvals > 1).then(|| engine::approvals::tally(&p.approvers, p.required_approvals)),
            cannot_approve: cannot_approve.map(str::to_owned),
            started_by: execution.started_by.as_deref().map(|arn| engine::approvals::user_name(arn).to_owned()),
            trigger: execution.trigger_type.as_str().to_owned(),
            revisions: engine::run_views::source_revisions(&actions),
            variables: execution.variable_pairs(),
            pipeline: p.pipeline_name,
            execution_id: p.execution_id,
            stage: p.stage_name,
            action: p.action_name,
            token: p.token,
            custom_data: p.custom_data,
            external_link: p.external_entity_link,
            requested_ms: p.requested_ms,
            expires_ms: p.expires_ms,
        });
    }
    Ok(Inbox { now_ms: now_ms(), approvals })
}

#[cfg(feature = "ssr")]
fn summary(exec: &engine::runs::ExecutionRow) -> RunSummary {
    RunSummary {
        id: exec.execution_id.clone(),
        status: exec.status.as_str().to_owned(),
        trigger: exec.trigger_type.as_str().to_owned(),
        trigger_detail: exec.trigger_detail.clone(),
        pipeline_version: exec.pipeline_version,
        started_ms: exec.created_ms,
        updated_ms: exec.updated_ms,
        stop_reason: exec.stop_reason.clone(),
        variables: exec.variable_pairs(),
    }
}

#[cfg(feature = "ssr")]
fn attempt(row: &engine::runs::ActionRow, decisions: &[engine::approvals::DecisionRow]) -> ActionAttempt {
    fn pairs<'a>(map: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<(String, String)> {
        map.into_iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
    // Only an approval's token is for people; a job's id is for the worker that polled it.
    let waiting = row.state.status == model::ActionExecutionStatus::InProgress && !engine::jobs::is_job(row);
    ActionAttempt {
        id: row.action_execution_id.clone(),
        status: row.state.status.as_str().to_owned(),
        started_ms: row.state.started_ms,
        updated_ms: row.state.updated_ms,
        summary: row.state.summary.clone(),
        error: row.state.error_message.clone(),
        configuration: pairs(row.input.resolved()),
        output_variables: pairs(&row.output.output_variables),
        output_artifacts: row.output.output_artifacts.iter().map(|a| a.name.clone()).collect(),
        external_url: row.external_execution_url.clone(),
        build_id: None,
        approval_token: row.token.clone().filter(|_| waiting),
        // The history lists newest first; an action's answers read oldest first.
        decisions: decisions
            .iter()
            .rev()
            .filter(|d| d.action_execution_id == row.action_execution_id)
            .cloned()
            .map(Into::into)
            .collect(),
    }
}

/// Names the build each CodeBuild action's attempt ran, for the link to the build's page.
#[cfg(feature = "ssr")]
async fn link_builds(engine: &engine::Engine, stages: &mut [StageRun]) -> Result<(), AppError> {
    let codebuild = stages.iter_mut().flat_map(|s| s.actions.iter_mut()).filter(|a| a.provider == "CodeBuild");
    for action in codebuild {
        if let Some(attempt) = action.attempt.as_mut() {
            let build = engine.build_of_action(&attempt.id).await.map_err(super::ssr::engine_error)?;
            attempt.build_id = build.map(|b| b.id);
        }
    }
    Ok(())
}

/// Runs as the page receives them, for the tests of the components that draw them.
#[cfg(test)]
pub mod fixtures {
    use super::{ActionAttempt, ActionRun, StageRun};

    pub fn attempt(id: &str, status: &str, started_ms: i64, updated_ms: i64) -> ActionAttempt {
        ActionAttempt {
            id: id.into(),
            status: status.into(),
            started_ms,
            updated_ms,
            summary: None,
            error: None,
            configuration: Vec::new(),
            output_variables: Vec::new(),
            output_artifacts: Vec::new(),
            external_url: None,
            build_id: None,
            approval_token: None,
            decisions: Vec::new(),
        }
    }

    pub fn action(name: &str, category: &str, attempt: Option<ActionAttempt>) -> ActionRun {
        ActionRun {
            name: name.into(),
            category: category.into(),
            provider: "Commands".into(),
            can_answer: false,
            runs_locally: true,
            attempt,
        }
    }

    pub fn stage(name: &str, status: Option<&str>, actions: Vec<ActionRun>) -> StageRun {
        StageRun {
            name: name.into(),
            status: status.map(str::to_owned),
            transition_enabled: true,
            disabled_reason: None,
            can_roll_back: false,
            can_retry: false,
            can_set_transition: false,
            actions,
        }
    }
}
