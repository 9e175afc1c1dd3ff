//! "Notify me when this pipeline fails": the user's e-mail address subscribed to the pipeline's
//! failure topic, which a rule on the pipeline's FAILED events feeds. It is made of the rules,
//! topics and subscriptions the APIs manage, so the Notifications page, `aws events` and `aws sns`
//! all show it as it is, and the subscription is confirmed by e-mail as any other.
use super::topics::{Protocol, Subscription};
use crate::event_rules::{RuleRequest, RuleState, RuleTarget};
use crate::events::PIPELINE_DETAIL;
use crate::{Engine, EngineError, Refusal, Result};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The prefix of the rules and topics this module makes.
pub const WATCH_PREFIX: &str = "failures-";
/// The id of the rule's one target, the topic.
const TARGET_ID: &str = "watchers";

/// Whether a user hears of a pipeline's failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    Off,
    /// Subscribed; waiting for the user to follow the confirmation link sent to them.
    Pending,
    On,
}

/// The rule's and the topic's name: readable, and unique through a hash of the pipeline's name
/// (pipeline names may hold '.' and '@', and be longer than a rule name may).
pub fn watch_name(pipeline: &str) -> String {
    let readable: String =
        pipeline.chars().take(40).map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    let hash = hex::encode(&Sha256::digest(pipeline.as_bytes())[..4]);
    format!("{WATCH_PREFIX}{readable}-{hash}")
}

impl Engine {
    /// Whether the address hears of the pipeline's failures.
    pub async fn failure_watch(&self, pipeline: &str, email: Option<&str>) -> Result<Watch> {
        let Some(email) = email else { return Ok(Watch::Off) };
        let topic = watch_name(pipeline);
        let subscriptions = self.subscriptions_if_any(&topic).await?;
        Ok(match subscriptions.iter().find(|s| is_watcher(s, email)) {
            None => Watch::Off,
            Some(s) if s.confirmed => Watch::On,
            Some(_) => Watch::Pending,
        })
    }

    /// Subscribes the address to the pipeline's failures, making the topic and the rule when
    /// they are not there yet; the address confirms by the link e-mailed to it.
    pub async fn watch_failures(&self, pipeline: &str, email: &str) -> Result<Watch> {
        let name = watch_name(pipeline);
        let topic_arn = self.create_topic(&name).await?;
        let pattern = json!({
            "source": ["aws.codepipeline"],
            "detail-type": [PIPELINE_DETAIL],
            "detail": { "pipeline": [pipeline], "state": ["FAILED"] },
        });
        let rule = RuleRequest {
            name: name.clone(),
            description: Some(format!("Sluice: e-mails the watchers of pipeline {pipeline} when a run fails.")),
            event_pattern: pattern.to_string(),
            state: RuleState::Enabled,
            role_arn: None,
        };
        self.put_event_rule(rule).await?;
        let target = RuleTarget { id: TARGET_ID.into(), arn: topic_arn, ..RuleTarget::default() };
        self.put_rule_targets(&name, vec![target]).await?;
        let subscription = self.subscribe_to_topic(&name, Protocol::Email.as_str(), email).await?;
        Ok(if subscription.confirmed { Watch::On } else { Watch::Pending })
    }

    /// Unsubscribes the address; the rule and the topic stay for the pipeline's other watchers.
    pub async fn unwatch_failures(&self, pipeline: &str, email: &str) -> Result<()> {
        let topic = watch_name(pipeline);
        let subscriptions = self.subscriptions_if_any(&topic).await?;
        for subscription in subscriptions.iter().filter(|s| is_watcher(s, email)) {
            self.store.unsubscribe(&topic, &subscription.id).await?;
        }
        Ok(())
    }

    /// The topic's subscriptions; none when nobody has watched the pipeline yet.
    async fn subscriptions_if_any(&self, topic: &str) -> Result<Vec<Subscription>> {
        match self.subscriptions(topic).await {
            Err(EngineError::Refused { why: Refusal::ResourceNotFound, .. }) => Ok(Vec::new()),
            answer => answer,
        }
    }

    /// A user's new address takes over the pipelines the old one watched (to be confirmed again).
    pub async fn move_watches(&self, old: &str, new: Option<&str>) -> Result<()> {
        for topic in self.topics().await?.into_iter().filter(|t| t.name.starts_with(WATCH_PREFIX)) {
            let subscriptions = self.store.subscriptions(&topic.name).await?;
            for subscription in subscriptions.iter().filter(|s| is_watcher(s, old)) {
                self.store.unsubscribe(&topic.name, &subscription.id).await?;
                if let Some(new) = new {
                    self.subscribe_to_topic(&topic.name, Protocol::Email.as_str(), new).await?;
                }
            }
        }
        Ok(())
    }
}

fn is_watcher(subscription: &Subscription, email: &str) -> bool {
    subscription.protocol == Protocol::Email && subscription.endpoint.eq_ignore_ascii_case(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_names_are_valid_rule_and_topic_names_and_tell_pipelines_apart() {
        let long = "a".repeat(100);
        for pipeline in ["Deploy", "deploy.api@eu", &long] {
            let name = watch_name(pipeline);
            assert!(name.len() <= 64, "{name}");
            assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{name}");
        }
        assert_ne!(watch_name("a.b"), watch_name("a-b"));
        assert!(watch_name("Deploy").starts_with("failures-Deploy-"));
    }
}
