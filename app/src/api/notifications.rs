//! Server functions of the Notifications page, the pipeline page's "notify me on failure" switch
//! and the account page's e-mail address. Each section of the page is answered only to a user
//! whose policies allow its listing (`events:ListRules`, `sns:ListTopics`, Sluice's own
//! `sluice:ListDeliveries`); watching a pipeline needs only `codepipeline:GetPipeline` on it.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    pub name: String,
    pub enabled: bool,
    pub description: Option<String>,
    /// The pattern, pretty-printed.
    pub pattern: String,
    /// Each target's ARN.
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRow {
    pub name: String,
    pub arn: String,
    pub subscriptions: Vec<SubscriptionRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionRow {
    pub protocol: String,
    pub endpoint: String,
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub rule: String,
    pub target: String,
    /// PENDING, DELIVERED or DEAD.
    pub status: String,
    pub attempts: i64,
    pub last_response: Option<String>,
    pub updated_ms: i64,
}

/// The page's data; a section is `None` when the user may not list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub now_ms: i64,
    pub rules: Option<Vec<RuleRow>>,
    pub topics: Option<Vec<TopicRow>>,
    pub deliveries: Option<Vec<DeliveryRow>>,
    /// Whether the user may send a dead delivery again.
    pub can_replay: bool,
}

/// How many deliveries the page lists, newest first.
pub const DELIVERIES_SHOWN: i64 = 100;

/// Where the user stands on one pipeline's failures, and the address they gave, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchView {
    pub state: WatchState,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchState {
    Off,
    /// Subscribed; the confirmation link was e-mailed.
    Pending,
    On,
}

#[cfg(feature = "ssr")]
impl From<engine::notify::watch::Watch> for WatchState {
    fn from(watch: engine::notify::watch::Watch) -> Self {
        use engine::notify::watch::Watch;
        match watch {
            Watch::Off => WatchState::Off,
            Watch::Pending => WatchState::Pending,
            Watch::On => WatchState::On,
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::ssr::{engine, engine_error, now_ms};
    use crate::api::AppError;
    pub use crate::auth::{authorize, caller, permissions};

    /// The signed-in user's address, read fresh (it is not in the session).
    pub async fn my_email(user: &str) -> Result<Option<String>, AppError> {
        let user = engine()?.identity().user(user).await.map_err(super::super::admin::ssr::shown)?;
        Ok(user.email)
    }
}

#[server(endpoint = "notifications/overview", output = crate::api::codec::Json)]
pub async fn notifications_overview() -> Result<Overview, AppError> {
    use self::ssr::*;
    let (engine, allowed) = (engine()?, permissions()?);
    let rules_arn = engine.event_rule_arn("*");
    let may = |action: &str, resource: &str| allowed.allow(action, resource);
    let rules = match may("events:ListRules", "*") && may("events:ListTargetsByRule", &rules_arn) {
        false => None,
        true => {
            let mut rows = Vec::new();
            for rule in engine.event_rules("").await.map_err(engine_error)? {
                let targets = engine.rule_targets(&rule.name).await.map_err(engine_error)?;
                let pattern = serde_json::from_str::<serde_json::Value>(&rule.event_pattern)
                    .and_then(|value| serde_json::to_string_pretty(&value))
                    .unwrap_or(rule.event_pattern);
                rows.push(RuleRow {
                    enabled: rule.state == engine::event_rules::RuleState::Enabled,
                    description: rule.description,
                    targets: targets.into_iter().map(|t| t.arn).collect(),
                    name: rule.name,
                    pattern,
                });
            }
            Some(rows)
        }
    };
    let topics = match may("sns:ListTopics", "*") && may("sns:ListSubscriptionsByTopic", &engine.topic_arn("*")) {
        false => None,
        true => {
            let mut rows = Vec::new();
            for topic in engine.topics().await.map_err(engine_error)? {
                let subscriptions = engine.subscriptions(&topic.name).await.map_err(engine_error)?;
                rows.push(TopicRow {
                    arn: engine.topic_arn(&topic.name),
                    subscriptions: subscriptions
                        .into_iter()
                        .map(|s| SubscriptionRow {
                            protocol: s.protocol.as_str().to_owned(),
                            endpoint: s.endpoint,
                            confirmed: s.confirmed,
                        })
                        .collect(),
                    name: topic.name,
                });
            }
            Some(rows)
        }
    };
    let deliveries = match may("sluice:ListDeliveries", "*") {
        false => None,
        true => {
            let deliveries = engine.deliveries(None, DELIVERIES_SHOWN).await.map_err(engine_error)?;
            Some(
                deliveries
                    .into_iter()
                    .map(|d| DeliveryRow {
                        id: d.id,
                        rule: d.rule_name,
                        target: d.target_arn,
                        status: d.status.as_str().to_owned(),
                        attempts: d.attempts,
                        last_response: d.last_response,
                        updated_ms: d.updated_ms,
                    })
                    .collect(),
            )
        }
    };
    let can_replay = may("sluice:ReplayDelivery", "*");
    Ok(Overview { now_ms: now_ms(), rules, topics, deliveries, can_replay })
}

/// Sends a dead delivery again, with a fresh count of tries.
#[server(endpoint = "notifications/replay_delivery", output = crate::api::codec::Json)]
pub async fn replay_delivery(id: i64) -> Result<(), AppError> {
    use self::ssr::*;
    authorize("sluice:ReplayDelivery", "*")?;
    engine()?.replay_delivery(id).await.map_err(engine_error)
}

#[server(endpoint = "notifications/failure_watch", output = crate::api::codec::Json)]
pub async fn failure_watch(pipeline: String) -> Result<WatchView, AppError> {
    use self::ssr::*;
    let engine = engine()?;
    let me = authorize("codepipeline:GetPipeline", &engine.pipeline_arn(&pipeline))?;
    let email = my_email(&me.name).await?;
    let state = engine.failure_watch(&pipeline, email.as_deref()).await.map_err(engine_error)?;
    Ok(WatchView { state: state.into(), email })
}

/// Turns the signed-in user's failure e-mails for a pipeline on or off.
#[server(endpoint = "notifications/set_failure_watch", output = crate::api::codec::Json)]
pub async fn set_failure_watch(pipeline: String, on: bool) -> Result<WatchView, AppError> {
    use self::ssr::*;
    let engine = engine()?;
    let me = authorize("codepipeline:GetPipeline", &engine.pipeline_arn(&pipeline))?;
    engine.pipeline(&pipeline, None).await.map_err(engine_error)?;
    let Some(email) = my_email(&me.name).await? else {
        return Err(AppError::Refused("Add your e-mail address on your account page first.".into()));
    };
    let state = match on {
        true => engine.watch_failures(&pipeline, &email).await.map_err(engine_error)?,
        false => {
            engine.unwatch_failures(&pipeline, &email).await.map_err(engine_error)?;
            engine::notify::watch::Watch::Off
        }
    };
    Ok(WatchView { state: state.into(), email: Some(email) })
}

/// The signed-in user's notification address, if they gave one.
#[server(endpoint = "notifications/my_email", output = crate::api::codec::Json)]
pub async fn my_email() -> Result<Option<String>, AppError> {
    let me = crate::auth::current_user()?;
    self::ssr::my_email(&me.name).await
}

/// Sets (or, empty, clears) the signed-in user's address; the pipelines they watch follow it,
/// each to be confirmed again from the new address.
#[server(endpoint = "notifications/set_my_email", output = crate::api::codec::Json)]
pub async fn set_my_email(email: String) -> Result<Option<String>, AppError> {
    use self::ssr::*;
    let caller = caller()?;
    let me = authorize("sluice:UpdateOwnEmail", &caller.arn)?;
    let engine = engine()?;
    let old = my_email(&me.name).await?;
    engine.identity().set_user_email(&me.name, &email).await.map_err(super::admin::ssr::shown)?;
    let new = my_email(&me.name).await?;
    if let Some(old) = old.filter(|old| Some(old) != new.as_ref()) {
        engine.move_watches(&old, new.as_deref()).await.map_err(engine_error)?;
    }
    Ok(new)
}
