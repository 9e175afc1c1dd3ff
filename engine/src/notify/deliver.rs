//! Sending deliveries: claimed under a lease, a bounded number at once, each in a task of its
//! own with a timeout, so a slow or dead endpoint holds up only its own delivery.
use super::targets::{signature, TargetKind, SIGNATURE_HEADER, SIGNING_SECRET_HEADER};
use super::{Courier, Delivery, DeliveryStatus, HttpAnswer, HttpRequest};
use crate::{now_ms, Engine, EngineError, Result, StartRequest};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Why a try failed, and whether trying again may help.
pub(super) struct Failure {
    pub why: String,
    pub retry: bool,
}

impl Failure {
    pub fn retry(why: impl Into<String>) -> Self {
        Failure { why: why.into(), retry: true }
    }

    pub fn permanent(why: impl Into<String>) -> Self {
        Failure { why: why.into(), retry: false }
    }
}

pub(super) type Attempt = std::result::Result<String, Failure>;

/// The longest answer body kept in the delivery log.
const ANSWER_CHARS: usize = 500;

/// How an HTTP exchange went, bounded by `timeout` twice over (the courier has its own timeout;
/// this one bounds a courier that ignores it): a 2xx is delivered; the statuses EventBridge's API
/// destinations retry, and no answer at all, are tried again; any other refusal is final.
pub(super) fn judged(
    sent: std::result::Result<std::result::Result<HttpAnswer, String>, tokio::time::error::Elapsed>,
    timeout: std::time::Duration,
) -> Attempt {
    let answer = match sent {
        Ok(Ok(answer)) => answer,
        Ok(Err(why)) => return Err(Failure::retry(why)),
        Err(_) => return Err(Failure::retry(format!("no answer within {} s", timeout.as_secs()))),
    };
    let text = format!("HTTP {}: {}", answer.status, answer.body.chars().take(ANSWER_CHARS).collect::<String>());
    match answer.status {
        200..=299 => Ok(text),
        401 | 407 | 408 | 409 | 429 | 500..=599 => Err(Failure::retry(text)),
        _ => Err(Failure::permanent(text)),
    }
}

impl Engine {
    /// Claims as many due deliveries as there are free slots and starts each in its own task.
    pub(super) async fn start_due_deliveries(&self, courier: &Arc<dyn Courier>, slots: &Arc<Semaphore>) -> Result<()> {
        let free = slots.available_permits();
        if free == 0 {
            return Ok(());
        }
        let now = now_ms();
        let config = self.notify_config();
        // Long enough that only a dead process's claim runs out; the request times out first.
        let lease_until = now + 2 * config.request_timeout.as_millis() as i64 + 30_000;
        for delivery in self.store.claim_deliveries(now, lease_until, free as i64).await? {
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                break; // Unreachable: only this loop takes slots. The lease runs out if it happens.
            };
            let (engine, courier) = (self.clone(), courier.clone());
            tokio::spawn(async move {
                if let Err(err) = engine.deliver(&delivery, courier.as_ref()).await {
                    tracing::error!(delivery = delivery.id, error = %err, "recording a delivery failed");
                }
                drop(slot);
                engine.runtime.delivery_wake.notify_one();
            });
        }
        Ok(())
    }

    /// One try of one delivery, and its outcome recorded.
    async fn deliver(&self, delivery: &Delivery, courier: &dyn Courier) -> Result<()> {
        let attempt = match TargetKind::of_arn(&delivery.target_arn, self.account()) {
            Ok(TargetKind::Webhook { method, url }) => self.post_webhook(delivery, method, url, courier).await,
            Ok(TargetKind::Pipeline { name }) => self.start_target_pipeline(delivery, &name).await,
            Ok(TargetKind::Topic { name }) => self.publish_delivery(delivery, &name).await,
            Ok(TargetKind::Subscription { topic, id }) => self.send_to_subscriber(delivery, &topic, &id, courier).await,
            Ok(TargetKind::Aws(target)) => self.forward_to_aws(delivery, &target, courier).await,
            Err(why) => Err(Failure::permanent(why)),
        };
        let config = self.notify_config();
        let now = now_ms();
        let (status, next_try, response) = match attempt {
            Ok(answer) => (DeliveryStatus::Delivered, now, answer),
            Err(failure) if failure.retry && self.may_retry(delivery, now).await => {
                let wait = config.backoff(delivery.attempts).as_millis() as i64;
                (DeliveryStatus::Pending, now + wait, failure.why)
            }
            Err(failure) => {
                tracing::warn!(delivery = delivery.id, rule = %delivery.rule_name, target = %delivery.target_id,
                    why = %failure.why, "delivery dead-lettered");
                (DeliveryStatus::Dead, now, failure.why)
            }
        };
        self.store.finish_delivery(delivery.id, status, next_try, &response, now).await?;
        Ok(())
    }

    /// Whether a failed delivery is tried again: within its rule target's RetryPolicy, or within
    /// Sluice's own number of tries for a topic's message and a target without one.
    async fn may_retry(&self, delivery: &Delivery, now: i64) -> bool {
        // A target that cannot be read now keeps the defaults rather than losing the delivery.
        let target = self.store.rule_target(&delivery.rule_name, &delivery.target_id).await.ok().flatten();
        let policy = target.map(|t| t.retry_policy).unwrap_or_default();
        policy.allows_another(delivery.attempts, now - delivery.created_ms, self.notify_config().max_attempts)
    }

    async fn post_webhook(&self, delivery: &Delivery, method: String, url: String, courier: &dyn Courier) -> Attempt {
        let target = self.store.rule_target(&delivery.rule_name, &delivery.target_id).await;
        let target = match target {
            Ok(Some(target)) => target,
            Ok(None) => return Err(Failure::permanent("The target was removed from its rule.")),
            Err(err) => return Err(Failure::retry(err.to_string())),
        };
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("user-agent".to_owned(), "Sluice-Notifications".to_owned()),
            ("x-sluice-delivery-id".to_owned(), delivery.id.to_string()),
            ("x-sluice-event-id".to_owned(), delivery.event_id.to_string()),
        ];
        for (name, value) in
            self.webhook_headers(&delivery.rule_name, &target).map_err(|err| Failure::permanent(err.to_string()))?
        {
            match name.eq_ignore_ascii_case(SIGNING_SECRET_HEADER) {
                true => headers.push((SIGNATURE_HEADER.to_owned(), signature(&value, delivery.payload.as_bytes()))),
                false => headers.push((name, value)),
            }
        }
        self.send_http(courier, method, url, headers, &delivery.payload).await
    }

    /// Sends one HTTP request and says how it went (see `judged`).
    pub(super) async fn send_http(
        &self,
        courier: &dyn Courier,
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: &str,
    ) -> Attempt {
        let timeout = self.notify_config().request_timeout;
        let request = HttpRequest { method, url, headers, body: body.to_owned(), timeout };
        // The courier has its own timeout; this one bounds a courier that ignores it.
        judged(tokio::time::timeout(timeout * 2, courier.send(&request)).await, timeout)
    }

    /// Starts the pipeline; a payload with `variables` (StartPipelineExecution's shape) sets them.
    /// The delivery id is the client token, so a delivery tried twice starts one execution.
    async fn start_target_pipeline(&self, delivery: &Delivery, pipeline: &str) -> Attempt {
        let payload: Value = serde_json::from_str(&delivery.payload).unwrap_or(Value::Null);
        let mut variables = Vec::new();
        for variable in payload.get("variables").and_then(Value::as_array).into_iter().flatten() {
            match (variable["name"].as_str(), variable["value"].as_str()) {
                (Some(name), Some(value)) => variables.push((name.to_owned(), value.to_owned())),
                _ => return Err(Failure::permanent("Each of the payload's variables needs a name and a value.")),
            }
        }
        let request = StartRequest {
            trigger_detail: self.event_rule_arn(&delivery.rule_name),
            variables,
            client_request_token: Some(format!("sluice-delivery-{}", delivery.id)),
            ..StartRequest::new(model::TriggerType::CloudWatchEvent)
        };
        match self.start_execution(pipeline, request).await {
            Ok(id) => Ok(format!("Started execution {id} of {pipeline}.")),
            Err(err @ (EngineError::Store(_) | EngineError::Io(_))) => Err(Failure::retry(err.to_string())),
            Err(err @ EngineError::Refused { why: crate::Refusal::ConcurrentModification, .. }) => {
                Err(Failure::retry(err.to_string()))
            }
            Err(err) => Err(Failure::permanent(err.to_string())),
        }
    }
}
