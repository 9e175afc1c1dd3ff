//! Each connection's webhook: the URL (`/connections/<id>/webhook`) its git host posts push and
//! pull-request events to, signed with the connection's webhook secret (`verify`). A delivery's
//! events (`parse`) start the pipelines whose V2 triggers on a source action of this
//! connection and repository fire (`runs`), with trigger `WebhookV2` and the event's commit
//! pinned. Every delivery is recorded, refused ones too; an authenticated delivery whose id
//! (the host's, else the body's digest) was seen before starts nothing again.
mod parse;
mod runs;
mod verify;

pub use parse::{parse, Parsed};

use super::{Connection, ProviderType};
use crate::{now_ms, Engine, EngineError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A delivery as the server received it: the body and its headers (names in lower case).
#[derive(Debug, Clone, Copy)]
pub struct HostDelivery<'a> {
    pub body: &'a [u8],
    pub headers: &'a HashMap<String, String>,
}

/// One execution a delivery started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedRun {
    pub pipeline_name: String,
    pub pipeline_execution_id: String,
}

/// A delivery as recorded (`connection_delivery`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: String,
    pub connection_id: String,
    /// The host's id of the delivery, when it sent one.
    pub host_delivery_id: Option<String>,
    /// The host's name for the event (`push`, `Merge Request Hook`, ...).
    pub event: String,
    pub received_ms: i64,
    /// What came of it, in words: what started, or why nothing did.
    pub outcome: String,
    pub executions: Vec<StartedRun>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Executions started; `outcome` also says which triggers did not fire.
    Started { executions: Vec<StartedRun>, outcome: String },
    /// Authentic, but nothing to do: an event Sluice does not act on, or no trigger fired.
    Ignored(String),
    /// Delivered before: what that delivery came to.
    Duplicate(DeliveryRecord),
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{0}")]
    ConnectionNotFound(String),
    /// The signature or token is missing or wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// The connection has no webhook secret to check deliveries with.
    #[error("{0}")]
    NoSecret(String),
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<crate::StoreError> for DeliveryError {
    fn from(err: crate::StoreError) -> Self {
        DeliveryError::Engine(err.into())
    }
}

/// The headers a host names its event and its delivery with.
fn header_names(provider: ProviderType) -> (&'static str, &'static str) {
    match provider {
        ProviderType::GitHub | ProviderType::GitHubEnterpriseServer => ("x-github-event", "x-github-delivery"),
        ProviderType::GitLab | ProviderType::GitLabSelfManaged => ("x-gitlab-event", "x-gitlab-event-uuid"),
        ProviderType::Bitbucket => ("x-event-key", "x-request-uuid"),
    }
}

/// A header's value cut to a length fit to keep (hosts send short ones; others may not).
fn bounded(value: Option<&String>) -> Option<String> {
    value.map(|v| v.chars().take(100).collect::<String>()).filter(|v| !v.is_empty())
}

impl Engine {
    /// Where a connection's host posts: `<public URL>/connections/<id>/webhook`.
    pub fn connection_webhook_url(&self, connection_id: &str) -> String {
        connection_webhook_url(&self.notify_config().public_url, connection_id)
    }

    /// Handles a delivery to the webhook of the connection `connection_id`.
    pub async fn deliver_to_connection(
        &self,
        connection_id: &str,
        delivery: HostDelivery<'_>,
    ) -> Result<DeliveryOutcome, DeliveryError> {
        let not_found = || DeliveryError::ConnectionNotFound(format!("No connection has the id {connection_id:?}"));
        if uuid::Uuid::parse_str(connection_id).is_err() {
            return Err(not_found());
        }
        let connection = self.store.connection(connection_id).await?.ok_or_else(not_found)?;
        let (event_header, id_header) = header_names(connection.provider_type);
        let mut record = DeliveryRecord {
            id: uuid::Uuid::new_v4().to_string(),
            connection_id: connection.id.clone(),
            host_delivery_id: bounded(delivery.headers.get(id_header)),
            event: bounded(delivery.headers.get(event_header)).unwrap_or_default(),
            received_ms: now_ms(),
            outcome: String::new(),
            executions: Vec::new(),
        };
        let parsed = match self.authenticate(&connection, delivery).await {
            Ok(()) => parse(connection.provider_type, Some(record.event.as_str()), delivery.body)
                .map_err(DeliveryError::Malformed),
            Err(err) => Err(err),
        };
        let (repository, events) = match parsed {
            Ok(Parsed::Events { repository, events }) => (repository, events),
            Ok(Parsed::Ignored(why)) => {
                record.outcome = format!("ignored: {why}");
                self.store.insert_connection_delivery(&record, None).await?;
                return Ok(DeliveryOutcome::Ignored(why));
            }
            Err(err) => {
                record.outcome = format!("refused: {err}");
                self.store.insert_connection_delivery(&record, None).await?;
                return Err(err);
            }
        };
        let key = record.host_delivery_id.clone().unwrap_or_else(|| hex::encode(Sha256::digest(delivery.body)));
        let key = format!("{}:{key}", connection.id);
        record.outcome = "received: starting the pipelines it triggers".into();
        if let Some(earlier) = self.store.insert_connection_delivery(&record, Some(&key)).await? {
            return Ok(DeliveryOutcome::Duplicate(earlier));
        }
        let starts = self.start_triggered(&connection, &repository, &events, &key).await;
        let (outcome, answer) = match starts {
            Ok(starts) if starts.started.is_empty() => {
                let why = starts.summary(&repository);
                (format!("ignored: {why}"), DeliveryOutcome::Ignored(why))
            }
            Ok(starts) => {
                let outcome = format!("started: {}", starts.summary(&repository));
                (outcome.clone(), DeliveryOutcome::Started { executions: starts.started, outcome })
            }
            Err(err) => {
                self.store.finish_connection_delivery(&record.id, &format!("failed: {err}"), &[]).await?;
                return Err(err.into());
            }
        };
        let executions = match &answer {
            DeliveryOutcome::Started { executions, .. } => executions.as_slice(),
            _ => &[],
        };
        self.store.finish_connection_delivery(&record.id, &outcome, executions).await?;
        Ok(answer)
    }

    async fn authenticate(&self, connection: &Connection, delivery: HostDelivery<'_>) -> Result<(), DeliveryError> {
        let Some(secret) = self.store.connection_webhook_secret(&connection.id).await? else {
            return Err(DeliveryError::NoSecret(format!(
                "The connection {} has no webhook secret yet; `sluice connection webhook {}` makes one",
                connection.name, connection.name
            )));
        };
        let header = |name: &str| delivery.headers.get(name).cloned();
        match verify::refusal(connection.provider_type, &secret, header, delivery.body) {
            Some(why) => Err(DeliveryError::Unauthenticated(why)),
            None => Ok(()),
        }
    }
}

/// The URL of a connection's webhook under the server's public URL.
pub fn connection_webhook_url(public_url: &str, connection_id: &str) -> String {
    format!("{}/connections/{connection_id}/webhook", public_url.trim_end_matches('/'))
}

impl super::Connections {
    /// The connection's webhook secret, made (random, sealed) on first use.
    pub async fn webhook_secret(&self, name_or_arn: &str) -> crate::Result<(Connection, String)> {
        let connection = self.find(name_or_arn).await?;
        let fresh = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let secret = self.store.ensure_connection_webhook_secret(&connection.id, &fresh).await?;
        let secret = secret.ok_or_else(|| super::connection_not_found(name_or_arn))?;
        Ok((connection, secret))
    }

    /// The connection's recorded deliveries, newest first.
    pub async fn deliveries(&self, name_or_arn: &str) -> crate::Result<(Connection, Vec<DeliveryRecord>)> {
        let connection = self.find(name_or_arn).await?;
        let deliveries = self.store.connection_deliveries(&connection.id).await?;
        Ok((connection, deliveries))
    }
}
