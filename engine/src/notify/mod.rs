//! Notifications: the outbox's events delivered to the targets of the rules they match.
//!
//! `dispatch` reads the outbox after a cursor kept in the database and, in one transaction per
//! batch, records a delivery per matched target (the payload already shaped by the target's
//! Input, InputPath or InputTransformer) and moves the cursor, so a crash neither loses nor
//! repeats a match. `deliver` claims due deliveries under a lease and sends them off the
//! scheduler's path, a bounded number at a time, each with a timeout; failures are retried with
//! exponential backoff and, after the last try, the delivery is dead: listed for an admin, who
//! may replay it. The engine speaks no HTTP itself: the server hands it a `Courier`.
mod approval;
mod aws;
mod deliver;
mod dispatch;
mod mail;
mod sending;
pub mod targets;
pub mod topics;
pub mod watch;

use crate::providers::BoxFuture;
use crate::{now_ms, Engine, EngineError, Refusal, Result};
use std::sync::Arc;
use std::time::Duration;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next try (or being tried now, under a lease).
    Pending,
    /// The target accepted it.
    Delivered,
    /// Its last try failed, or the target refused it for good: the dead-letter list.
    Dead,
}

impl DeliveryStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Dead => "DEAD",
        }
    }

    pub fn from_wire(text: &str) -> Option<DeliveryStatus> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Dead]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// One event on its way to one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    /// The outbox id of the event.
    pub event_id: i64,
    pub rule_name: String,
    pub target_id: String,
    pub target_arn: String,
    /// What the target is sent: the event shaped by the target's input settings.
    pub payload: String,
    pub status: DeliveryStatus,
    /// Tries so far, the one under way included.
    pub attempts: i64,
    pub next_try_ms: i64,
    /// The target's answer to the last try (status and the start of the body), or the error.
    pub last_response: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// How deliveries are retried and how many run at once; tests shorten the timings.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// Tries before a delivery is dead.
    pub max_attempts: u32,
    /// The wait before the second try; it doubles after each failure, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long one request may take before it counts as failed.
    pub request_timeout: Duration,
    /// Deliveries in flight at once; more wait for a free slot.
    pub concurrency: usize,
    /// How often the outbox and due retries are looked at when nothing wakes the dispatcher.
    pub poll_interval: Duration,
    /// Sluice's address as people reach it, for links in e-mails and confirmation requests.
    pub public_url: String,
    /// Whether the courier can call AWS (an endpoint and credentials are configured): SNS topics
    /// and event buses of other accounts are then targets too.
    pub aws_forwarding: bool,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            max_attempts: 16,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(600),
            request_timeout: Duration::from_secs(10),
            concurrency: 8,
            poll_interval: Duration::from_millis(500),
            public_url: "http://localhost:8080".into(),
            aws_forwarding: false,
        }
    }
}

impl NotifyConfig {
    /// The wait after the `attempts`-th failed try.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(u32::MAX).min(30);
        self.first_backoff.saturating_mul(1 << doublings).min(self.max_backoff)
    }
}

/// An HTTP request the engine wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub timeout: Duration,
}

/// What the other end answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    /// The start of the body, for the delivery log.
    pub body: String,
}

/// A call to an AWS API the engine wants made, signed by the courier with the server's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCall {
    pub service: targets::AwsService,
    pub region: String,
    /// `X-Amz-Target` for JSON 1.1 APIs; none for Query APIs, whose body is a form.
    pub target: Option<String>,
    pub body: String,
    pub timeout: Duration,
}

/// An e-mail the engine wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// An HTML alternative to the text, when there is one.
    pub html: Option<String>,
}

/// Sends what the engine delivers over the network; the server provides one (HTTP and SMTP).
pub trait Courier: Send + Sync {
    /// Sends the request; `Err` when no answer came (refused, timed out, bad TLS), with why.
    fn send<'a>(&'a self, request: &'a HttpRequest) -> BoxFuture<'a, std::result::Result<HttpAnswer, String>>;

    /// Hands the e-mail to the mail server; `Ok` with its answer once it accepted it.
    fn mail<'a>(&'a self, mail: &'a Mail) -> BoxFuture<'a, std::result::Result<String, String>>;

    /// Makes the AWS call; `Err` when no answer came or no AWS endpoint is configured.
    fn aws<'a>(&'a self, call: &'a AwsCall) -> BoxFuture<'a, std::result::Result<HttpAnswer, String>> {
        let _ = call;
        Box::pin(async { Err("no AWS endpoint and credentials are configured".to_owned()) })
    }
}

impl Engine {
    /// Starts delivering: the dispatcher that matches the outbox against enabled rules and the
    /// deliveries it makes. Call once per process, after `start_background`.
    pub async fn start_notifications(&self, courier: Arc<dyn Courier>) -> Result<()> {
        if self.store.backend() == crate::store::Backend::Sqlite {
            // As for actions: on an embedded database nobody else can be delivering now.
            self.store.release_delivery_leases().await?;
        }
        let engine = self.clone();
        tokio::spawn(async move { dispatch::run(engine, courier).await });
        Ok(())
    }

    /// The newest deliveries first, of one status or all (at most `limit`).
    pub async fn deliveries(&self, status: Option<DeliveryStatus>, limit: i64) -> Result<Vec<Delivery>> {
        DeliveryLog::new(self.store.clone()).list(status, limit).await
    }

    /// Sends a dead delivery again, with a fresh count of tries.
    pub async fn replay_delivery(&self, id: i64) -> Result<()> {
        DeliveryLog::new(self.store.clone()).replay(id).await?;
        self.runtime.delivery_wake.notify_one();
        Ok(())
    }

    pub(crate) fn notify_config(&self) -> &NotifyConfig {
        &self.runtime.config.notify
    }
}

/// The delivery log on its own, for `sluice delivery ...` with or without a server running (a
/// running server picks a replayed delivery up at its next poll).
pub struct DeliveryLog(crate::Store);

impl DeliveryLog {
    pub fn new(store: crate::Store) -> Self {
        DeliveryLog(store)
    }

    /// The newest deliveries first, of one status or all (at most `limit`, up to 1000).
    pub async fn list(&self, status: Option<DeliveryStatus>, limit: i64) -> Result<Vec<Delivery>> {
        Ok(self.0.deliveries(status, limit.clamp(1, 1000)).await?)
    }

    /// Puts a dead delivery back in the queue with a fresh count of tries.
    pub async fn replay(&self, id: i64) -> Result<()> {
        match self.0.replay_delivery(id, now_ms()).await? {
            true => Ok(()),
            false => Err(EngineError::refused(
                Refusal::ResourceNotFound,
                format!("There is no dead delivery {id} to replay."),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let config = NotifyConfig { first_backoff: Duration::from_secs(1), ..NotifyConfig::default() };
        let waits: Vec<u64> = (1..=5).map(|n| config.backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16]);
        assert_eq!(config.backoff(40), config.max_backoff);
        assert_eq!(config.backoff(i64::MAX), config.max_backoff);
    }
}
