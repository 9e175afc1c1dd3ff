//! State-change events in EventBridge's shape (source `aws.codepipeline`), appended to the outbox in
//! the same transaction as the change and broadcast to live subscribers after the commit.
use crate::Account;
use serde_json::{json, Value};

pub const PIPELINE_DETAIL: &str = "CodePipeline Pipeline Execution State Change";
pub const STAGE_DETAIL: &str = "CodePipeline Stage Execution State Change";
pub const ACTION_DETAIL: &str = "CodePipeline Action Execution State Change";
/// Sluice's own detail-type for stage condition rules, shaped like the action events.
pub const RULE_DETAIL: &str = "CodePipeline Rule Execution State Change";
/// Sluice's own: a manual approval now has its token and waits for an answer. CodePipeline has
/// no such event; the approval inbox needs one, as the action's STARTED comes before the token.
pub const APPROVAL_PENDING_DETAIL: &str = "Sluice Manual Approval Pending";

/// The `state` of a state-change event, in EventBridge's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventState {
    Started,
    Succeeded,
    Failed,
    Canceled,
    Resumed,
    Superseded,
    Stopping,
    Stopped,
    Abandoned,
    Skipped,
    /// Sluice's own: a manual approval has its token.
    Waiting,
}

impl EventState {
    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Started => "STARTED",
            EventState::Succeeded => "SUCCEEDED",
            EventState::Failed => "FAILED",
            EventState::Canceled => "CANCELED",
            EventState::Resumed => "RESUMED",
            EventState::Superseded => "SUPERSEDED",
            EventState::Stopping => "STOPPING",
            EventState::Stopped => "STOPPED",
            EventState::Abandoned => "ABANDONED",
            EventState::Skipped => "SKIPPED",
            EventState::Waiting => "WAITING",
        }
    }
}

/// An event waiting for its transaction to commit.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub pipeline: String,
    pub execution_id: String,
    pub detail_type: &'static str,
    pub detail: Value,
}

impl PendingEvent {
    pub fn pipeline(pipeline: &str, execution_id: &str, version: u32, state: EventState, extra: Value) -> Self {
        let mut detail =
            json!({ "pipeline": pipeline, "execution-id": execution_id, "state": state.as_str(), "version": version });
        merge(&mut detail, extra);
        PendingEvent {
            pipeline: pipeline.into(),
            execution_id: execution_id.into(),
            detail_type: PIPELINE_DETAIL,
            detail,
        }
    }

    pub fn stage(pipeline: &str, execution_id: &str, version: u32, stage: &str, state: EventState) -> Self {
        let detail = json!({
            "pipeline": pipeline, "execution-id": execution_id, "stage": stage, "state": state.as_str(), "version": version,
        });
        PendingEvent { pipeline: pipeline.into(), execution_id: execution_id.into(), detail_type: STAGE_DETAIL, detail }
    }

    pub fn action(
        pipeline: &str,
        execution_id: &str,
        version: u32,
        stage: &str,
        action: &str,
        state: EventState,
        extra: Value,
    ) -> Self {
        let mut detail = json!({
            "pipeline": pipeline, "execution-id": execution_id, "stage": stage, "action": action,
            "state": state.as_str(), "version": version,
        });
        merge(&mut detail, extra);
        PendingEvent {
            pipeline: pipeline.into(),
            execution_id: execution_id.into(),
            detail_type: ACTION_DETAIL,
            detail,
        }
    }

    /// A rule of a stage condition; `condition` is BEFORE_ENTRY, ON_SUCCESS or ON_FAILURE.
    #[allow(clippy::too_many_arguments)]
    pub fn rule(
        pipeline: &str,
        execution_id: &str,
        version: u32,
        stage: &str,
        condition: &str,
        rule: &str,
        state: EventState,
        extra: Value,
    ) -> Self {
        let mut detail = json!({
            "pipeline": pipeline, "execution-id": execution_id, "stage": stage, "condition": condition, "rule": rule,
            "state": state.as_str(), "version": version,
        });
        merge(&mut detail, extra);
        PendingEvent { pipeline: pipeline.into(), execution_id: execution_id.into(), detail_type: RULE_DETAIL, detail }
    }

    /// A manual approval that waits for an answer until `expires_ms`.
    pub fn approval_pending(
        pipeline: &str,
        execution_id: &str,
        version: u32,
        stage: &str,
        action: &str,
        expires_ms: i64,
    ) -> Self {
        let mut event = PendingEvent::action(
            pipeline,
            execution_id,
            version,
            stage,
            action,
            EventState::Waiting,
            json!({ "expires": model::time::rfc3339(expires_ms) }),
        );
        event.detail_type = APPROVAL_PENDING_DETAIL;
        event
    }

    /// The full EventBridge envelope; `id` is filled with the outbox id's string form later.
    pub fn envelope(&self, account: &Account, pipeline_arn: &str, time_ms: i64) -> Value {
        json!({
            "version": "0",
            "detail-type": self.detail_type,
            "source": "aws.codepipeline",
            "account": account.id,
            "time": model::time::rfc3339(time_ms),
            "region": account.region,
            "resources": [pipeline_arn],
            "detail": self.detail,
        })
    }
}

fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        target.extend(extra);
    }
}

pub use crate::store::events::StoredEvent;

impl crate::Engine {
    /// The newest outbox id (0 when empty): where a new subscriber starts.
    pub async fn latest_event_id(&self) -> crate::Result<i64> {
        Ok(self.store.latest_event_id().await?)
    }

    /// Outbox entries after `after_id`, oldest first: what a reconnecting subscriber missed.
    pub async fn events_after(&self, after_id: i64, limit: i64) -> crate::Result<Vec<StoredEvent>> {
        Ok(self.store.events_after(after_id, limit).await?)
    }
}
