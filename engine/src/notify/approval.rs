//! Manual approvals' `NotificationArn`: when an approval starts waiting, its topic is sent AWS's
//! approval message (`{region, consoleLink, approval{pipelineName, stageName, actionName, token,
//! expires, externalEntityLink, approvalReviewLink, customData}}`), made from the outbox like
//! every other delivery so a crash loses none.
use crate::events::{StoredEvent, APPROVAL_PENDING_DETAIL};
use crate::store::deliveries::NewDelivery;
use crate::{Engine, Result};
use serde_json::{json, Value};

/// The rule name approval notifications are delivered under (no rule can have a '/').
const APPROVAL_RULE: &str = "approval/NotificationArn";

impl Engine {
    /// The delivery of the approval message, when `event` is an approval starting to wait and its
    /// action names a topic.
    pub(super) async fn approval_notification(&self, event: &StoredEvent, body: &Value) -> Result<Option<NewDelivery>> {
        if event.detail_type != APPROVAL_PENDING_DETAIL || !event.is_pipeline_event() {
            return Ok(None);
        }
        let detail = &body["detail"];
        let text = |key: &str| detail[key].as_str().unwrap_or_default().to_owned();
        let (pipeline, stage, action) = (text("pipeline"), text("stage"), text("action"));
        let runs = self.action_runs(&pipeline, &text("execution-id")).await?;
        let waiting = runs.iter().rev().find(|r| r.stage_name == stage && r.action_name == action && r.token.is_some());
        let Some(run) = waiting else {
            return Ok(None);
        };
        let configuration = match run.input.resolved().is_empty() {
            true => &run.input.configuration,
            false => run.input.resolved(),
        };
        let Some(topic_arn) = configuration.get("NotificationArn") else {
            return Ok(None);
        };
        let setting = |key: &str| configuration.get(key).cloned().unwrap_or_default();
        let public = self.notify_config().public_url.trim_end_matches('/');
        let message = json!({
            "region": self.account().region,
            "consoleLink": format!("{public}/pipelines/{pipeline}"),
            "approval": {
                "pipelineName": pipeline,
                "stageName": stage,
                "actionName": action,
                "token": run.token,
                "expires": text("expires"),
                "externalEntityLink": setting("ExternalEntityLink"),
                "approvalReviewLink": format!("{public}/approvals"),
                "customData": setting("CustomData"),
            },
        });
        Ok(Some(NewDelivery {
            event_id: event.id,
            rule_name: APPROVAL_RULE.into(),
            target_id: run.action_execution_id.clone(),
            target_arn: topic_arn.clone(),
            payload: message.to_string(),
        }))
    }
}
