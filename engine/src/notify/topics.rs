//! SNS-style topics: subscriptions by e-mail (plain or JSON) and HTTP(S), confirmed with a token
//! sent to the endpoint, as SNS does; a message published to a topic becomes one delivery per
//! confirmed subscription, sent and retried like every other delivery.
use super::targets::check_url;
use crate::store::deliveries::NewDelivery;
use crate::{now_ms, Engine, EngineError, Refusal, Result};
use serde_json::json;

/// SNS's limit on a message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// How a subscription is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The message as the body of an e-mail (readable text and HTML for Sluice's own events).
    Email,
    /// The whole notification JSON as the body of an e-mail.
    EmailJson,
    Http,
    Https,
}

impl Protocol {
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Email => "email",
            Protocol::EmailJson => "email-json",
            Protocol::Http => "http",
            Protocol::Https => "https",
        }
    }

    pub fn from_wire(text: &str) -> Option<Protocol> {
        [Protocol::Email, Protocol::EmailJson, Protocol::Http, Protocol::Https]
            .into_iter()
            .find(|protocol| protocol.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub name: String,
    pub created_ms: i64,
    pub confirmed: i64,
    pub pending: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub topic: String,
    pub protocol: Protocol,
    pub endpoint: String,
    pub confirmed: bool,
    /// What the endpoint must send back to confirm (never shown by the API).
    pub token: String,
    pub created_ms: i64,
}

/// The rule name deliveries of a topic's messages carry (rule names cannot hold a '/').
pub(crate) fn topic_rule(topic: &str) -> String {
    format!("topic/{topic}")
}

impl Engine {
    pub fn topic_arn(&self, name: &str) -> String {
        format!("arn:aws:sns:{}:{}:{name}", self.account.region, self.account.id)
    }

    /// A subscription's ARN; SNS says `PendingConfirmation` for one not yet confirmed.
    pub fn subscription_arn(&self, subscription: &Subscription) -> String {
        match subscription.confirmed {
            true => format!("{}:{}", self.topic_arn(&subscription.topic), subscription.id),
            false => "PendingConfirmation".into(),
        }
    }

    /// The topic an ARN of this account names, or a refusal saying why not.
    pub fn topic_of_arn(&self, arn: &str) -> Result<String> {
        let prefix = self.topic_arn("");
        match arn.strip_prefix(&prefix) {
            Some(name) if !name.is_empty() && !name.contains(':') => Ok(name.to_owned()),
            _ => Err(invalid(format!("{arn:?} is not the ARN of a topic of this account ({prefix}NAME)."))),
        }
    }

    /// Creates a topic (CreateTopic on an existing name returns it, as on SNS); returns its ARN.
    pub async fn create_topic(&self, name: &str) -> Result<String> {
        let valid = (1..=256).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if !valid {
            return Err(invalid("Topic names are 1 to 256 letters, digits, hyphens and underscores.".into()));
        }
        self.store.create_topic(name, now_ms()).await?;
        Ok(self.topic_arn(name))
    }

    /// Deletes a topic with its subscriptions; deleting one that is not there succeeds, as on SNS.
    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        Ok(self.store.delete_topic(name).await?)
    }

    pub async fn topics(&self) -> Result<Vec<Topic>> {
        Ok(self.store.topics().await?)
    }

    pub async fn topic(&self, name: &str) -> Result<Topic> {
        self.store.topics().await?.into_iter().find(|t| t.name == name).ok_or_else(|| topic_not_found(name))
    }

    pub async fn subscriptions(&self, topic: &str) -> Result<Vec<Subscription>> {
        self.topic(topic).await?;
        Ok(self.store.subscriptions(topic).await?)
    }

    /// Subscribes an endpoint, pending until it confirms: the confirmation request is sent to it
    /// as a delivery. Subscribing the same endpoint again returns the existing subscription.
    pub async fn subscribe_to_topic(&self, topic: &str, protocol: &str, endpoint: &str) -> Result<Subscription> {
        self.topic(topic).await?;
        let protocol = Protocol::from_wire(protocol).ok_or_else(|| {
            invalid(format!("Protocol {protocol:?} is not supported: use email, email-json, http or https."))
        })?;
        check_endpoint(protocol, endpoint).map_err(invalid)?;
        let token = {
            let mut bytes = [0u8; 32];
            getrandom::getrandom(&mut bytes).map_err(|err| EngineError::Io(err.to_string()))?;
            hex::encode(bytes)
        };
        let new = Subscription {
            id: uuid::Uuid::new_v4().to_string(),
            topic: topic.to_owned(),
            protocol,
            endpoint: endpoint.to_owned(),
            confirmed: false,
            token,
            created_ms: now_ms(),
        };
        let confirmation = NewDelivery {
            event_id: 0,
            rule_name: topic_rule(topic),
            target_id: new.id.clone(),
            target_arn: format!("{}:{}", self.topic_arn(topic), new.id),
            payload: self.confirmation_message(&new).to_string(),
        };
        let subscription = self.store.subscribe(&new, &confirmation).await?;
        self.runtime.delivery_wake.notify_one();
        Ok(subscription)
    }

    /// Confirms the subscription the token was sent to.
    pub async fn confirm_subscription(&self, topic: &str, token: &str) -> Result<Subscription> {
        self.topic(topic).await?;
        self.store
            .confirm_subscription(topic, token)
            .await?
            .ok_or_else(|| invalid("Invalid token: it does not belong to a subscription of this topic.".into()))
    }

    /// Removes a subscription by its ARN; one that is not there succeeds, as on SNS.
    pub async fn unsubscribe(&self, arn: &str) -> Result<()> {
        let (topic_arn, id) =
            arn.rsplit_once(':').ok_or_else(|| invalid(format!("{arn:?} is not a subscription ARN.")))?;
        let topic = self.topic_of_arn(topic_arn)?;
        Ok(self.store.unsubscribe(&topic, id).await?)
    }

    /// Publishes a message: one delivery per confirmed subscription. Returns the message id.
    pub async fn publish(&self, topic: &str, subject: Option<&str>, message: &str) -> Result<String> {
        self.topic(topic).await?;
        if message.is_empty() || message.len() > MAX_MESSAGE_BYTES {
            return Err(invalid(format!("A message is 1 byte to {MAX_MESSAGE_BYTES} bytes long.")));
        }
        if let Some(subject) = subject {
            if subject.is_empty() || subject.chars().count() > 100 || subject.chars().any(char::is_control) {
                return Err(invalid("A subject is 1 to 100 characters on one line.".into()));
            }
        }
        let message_id = uuid::Uuid::new_v4().to_string();
        let topic_arn = self.topic_arn(topic);
        let mut body = json!({
            "Type": "Notification", "MessageId": message_id, "TopicArn": topic_arn, "Message": message,
            "Timestamp": model::time::rfc3339(now_ms()), "SignatureVersion": "1",
        });
        if let Some(subject) = subject {
            body["Subject"] = json!(subject);
        }
        let payload = body.to_string();
        let deliveries = |number: i64, subscriptions: &[Subscription]| -> Vec<NewDelivery> {
            let subscribed = subscriptions.iter().filter(|s| s.confirmed);
            subscribed
                .map(|s| NewDelivery {
                    event_id: number,
                    rule_name: topic_rule(topic),
                    target_id: s.id.clone(),
                    target_arn: format!("{topic_arn}:{}", s.id),
                    payload: payload.clone(),
                })
                .collect()
        };
        self.store.publish(topic, now_ms(), deliveries).await?;
        self.runtime.delivery_wake.notify_one();
        Ok(message_id)
    }

    /// Where a confirmation link points: Sluice's public URL (SNS's SubscribeURL).
    pub fn confirmation_url(&self, subscription: &Subscription) -> String {
        format!(
            "{}/sns/confirm?TopicArn={}&Token={}",
            self.notify_config().public_url.trim_end_matches('/'),
            self.topic_arn(&subscription.topic),
            subscription.token
        )
    }

    fn confirmation_message(&self, subscription: &Subscription) -> serde_json::Value {
        let topic_arn = self.topic_arn(&subscription.topic);
        json!({
            "Type": "SubscriptionConfirmation",
            "MessageId": uuid::Uuid::new_v4().to_string(),
            "Token": subscription.token,
            "TopicArn": topic_arn,
            "Message": format!("You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message."),
            "SubscribeURL": self.confirmation_url(subscription),
            "Timestamp": model::time::rfc3339(now_ms()),
            "SignatureVersion": "1",
        })
    }
}

fn check_endpoint(protocol: Protocol, endpoint: &str) -> std::result::Result<(), String> {
    match protocol {
        Protocol::Email | Protocol::EmailJson => match is_email_address(endpoint) {
            true => Ok(()),
            false => Err(format!("{endpoint:?} is not an e-mail address.")),
        },
        Protocol::Http | Protocol::Https => {
            let scheme = format!("{}://", protocol.as_str());
            match endpoint.starts_with(&scheme) {
                true => check_url(endpoint),
                false => Err(format!("An {} endpoint starts with {scheme}.", protocol.as_str())),
            }
        }
    }
}

/// One plain address, `local@domain.tld`, with nothing a mail header could be split on.
pub fn is_email_address(text: &str) -> bool {
    let (local, domain) = text.split_once('@').unwrap_or_default();
    let plain = !text.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c));
    !local.is_empty() && domain.contains('.') && !domain.contains('@') && text.len() <= 254 && plain
}

fn invalid(message: String) -> EngineError {
    EngineError::refused(Refusal::InvalidRequest, message)
}

fn topic_not_found(name: &str) -> EngineError {
    EngineError::refused(Refusal::ResourceNotFound, format!("Topic does not exist: {name}"))
}
