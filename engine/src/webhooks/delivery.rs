//! A POST to a webhook's URL: authenticated as the webhook says, then checked against its
//! filters, it starts the target pipeline (trigger `Webhook`, detail the webhook's ARN). A host
//! that delivers the same event twice (GitHub redelivers on a timeout) starts one execution:
//! the delivery's id, or the body's digest, is the execution's client request token.
use super::json_path::JsonPath;
use super::{fill_placeholders, Authentication, Webhook};
use crate::executions::StartRequest;
use crate::{Engine, EngineError, Refusal, Result};
use model::ip_range::IpRange;
use model::TriggerType;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// What the server was sent.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub body: &'a [u8],
    /// GitHub's `X-Hub-Signature-256` header.
    pub signature: Option<&'a str>,
    /// The address the request came from.
    pub remote_ip: Option<IpAddr>,
    /// The host's id of the delivery (`X-GitHub-Delivery`), the same when it is redelivered.
    pub delivery_id: Option<&'a str>,
    /// GitHub's `X-GitHub-Event`: `push`, `pull_request`, `ping` (sent when the webhook is added).
    pub event: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The pipeline started (or, for a redelivery, had started) this execution.
    Started { execution_id: String },
    /// Authenticated, but a filter did not hold: nothing started, and this is why.
    Ignored { reason: String },
}

impl Engine {
    /// Handles a delivery to the webhook listening at `token`. Refusals (no such webhook, a bad
    /// signature, an address out of range, a body that is not JSON) are errors, and each is
    /// recorded on the webhook as its last error.
    pub async fn deliver_webhook(&self, token: &str, delivery: Delivery<'_>) -> Result<(String, Outcome)> {
        let webhook = self
            .store
            .webhook_by_token(token)
            .await?
            .ok_or_else(|| EngineError::refused(Refusal::WebhookNotFound, "No webhook listens at this address."))?;
        let name = webhook.definition.name.clone();
        match self.start_from(&webhook, delivery).await {
            Ok(outcome) => {
                let started = matches!(outcome, Outcome::Started { .. });
                self.store.record_webhook_delivery(&name, started.then(crate::now_ms), None).await?;
                Ok((name, outcome))
            }
            Err(err) => {
                let error = (refusal_name(&err).to_owned(), err.to_string());
                self.store.record_webhook_delivery(&name, None, Some(error)).await?;
                Err(err)
            }
        }
    }

    async fn start_from(&self, webhook: &Webhook, delivery: Delivery<'_>) -> Result<Outcome> {
        authenticate(webhook, &delivery)?;
        if delivery.event == Some("ping") {
            return Ok(Outcome::Ignored { reason: "GitHub's ping: the webhook is reachable".into() });
        }
        let payload: Value = serde_json::from_slice(delivery.body).map_err(|err| {
            EngineError::refused(Refusal::InvalidRequest, format!("The delivery's body is not JSON: {err}"))
        })?;
        let definition = &webhook.definition;
        let pipeline = self.pipeline(&definition.target_pipeline, None).await?;
        let configuration = super::source_action_configuration(&pipeline.declaration, definition)?;
        for filter in &definition.filters {
            // Checked by PutWebhook; a path that no longer parses selects nothing.
            let selected = JsonPath::parse(&filter.json_path).ok().and_then(|path| path.select(&payload).cloned());
            let Some(selected) = selected else {
                return Ok(Outcome::Ignored { reason: format!("{} is not in the delivery", filter.json_path) });
            };
            let Some(expected) = &filter.match_equals else { continue };
            let expected = fill_placeholders(expected, &configuration).map_err(|key| {
                EngineError::refused(
                    Refusal::InvalidWebhookFilterPattern,
                    format!("matchEquals names {{{key}}}, which the target action's configuration no longer has"),
                )
            })?;
            let found = match &selected {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            if found != expected {
                return Ok(Outcome::Ignored { reason: format!("{} is {found:?}, not {expected:?}", filter.json_path) });
            }
        }
        let delivery_key = match delivery.delivery_id {
            Some(id) if !id.is_empty() && id.len() <= 100 => id.to_owned(),
            _ => hex::encode(Sha256::digest(delivery.body)),
        };
        let request = StartRequest {
            trigger_detail: self.webhook_arn(&definition.name),
            client_request_token: Some(format!("webhook:{}:{delivery_key}", definition.name)),
            ..StartRequest::new(TriggerType::Webhook)
        };
        let execution_id = self.start_execution(&definition.target_pipeline, request).await?;
        Ok(Outcome::Started { execution_id })
    }
}

fn authenticate(webhook: &Webhook, delivery: &Delivery<'_>) -> Result<()> {
    let configuration = &webhook.definition.authentication_configuration;
    let refused = |message: &str| Err(EngineError::refused(Refusal::NotAuthorized, message.to_owned()));
    match webhook.definition.authentication {
        Authentication::Unauthenticated => Ok(()),
        Authentication::GithubHmac => {
            let secret = configuration.secret_token.as_deref().unwrap_or_default();
            let expected = crate::notify::targets::signature(secret, delivery.body);
            match delivery.signature {
                Some(given) if same_secret(given.trim(), &expected) => Ok(()),
                Some(_) => {
                    refused("The X-Hub-Signature-256 header is not the body's HMAC-SHA256 under the webhook's secret.")
                }
                None => {
                    refused("The delivery has no X-Hub-Signature-256 header; this webhook needs GitHub's signature.")
                }
            }
        }
        Authentication::Ip => {
            let range = configuration.allowed_ip_range.as_deref().and_then(IpRange::parse);
            match (range, delivery.remote_ip) {
                (Some(range), Some(ip)) if range.contains(ip) => Ok(()),
                _ => refused("The delivery comes from an address outside the webhook's AllowedIPRange."),
            }
        }
    }
}

/// Whether a secret (or signature) given by a caller is the expected one. Digests are compared,
/// so the time taken says nothing of how much of it was right.
pub(crate) fn same_secret(given: &str, expected: &str) -> bool {
    Sha256::digest(given) == Sha256::digest(expected)
}

/// A short name for why a delivery failed, as ListWebhooks' `errorCode`.
fn refusal_name(err: &EngineError) -> &'static str {
    match err {
        EngineError::Refused { why: Refusal::NotAuthorized, .. } => "AuthenticationFailed",
        EngineError::Refused { why: Refusal::InvalidRequest, .. } => "InvalidPayload",
        EngineError::Refused { why: Refusal::InvalidWebhookFilterPattern, .. } => "InvalidFilter",
        EngineError::Refused { why: Refusal::WebhookNotFound, .. } => "WebhookNotFound",
        EngineError::PipelineNotFound(_) => "PipelineNotFound",
        _ => "StartFailed",
    }
}
