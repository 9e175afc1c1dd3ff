//! Topic deliveries: a rule's event published to a topic, and a topic's messages and
//! confirmation requests sent to each subscriber (HTTP(S) as SNS posts them, e-mail through the
//! courier's mail server).
use super::deliver::{Attempt, Failure};
use super::mail::{compose, RunFacts};
use super::topics::Protocol;
use super::{Courier, Delivery};
use crate::{Engine, EngineError};
use model::ActionExecutionStatus;
use serde_json::Value;

impl Engine {
    /// Publishes the delivery's payload to the topic; an approval's message gets AWS's subject.
    pub(super) async fn publish_delivery(&self, delivery: &Delivery, topic: &str) -> Attempt {
        let parsed: Value = serde_json::from_str(&delivery.payload).unwrap_or(Value::Null);
        let approval = &parsed["approval"];
        let subject = approval.is_object().then(|| {
            let name = |key: &str| approval[key].as_str().unwrap_or_default().to_owned();
            let subject =
                format!("APPROVAL NEEDED: Sluice pipeline {} for action {}", name("pipelineName"), name("actionName"));
            subject.chars().take(100).collect::<String>()
        });
        match self.publish(topic, subject.as_deref(), &delivery.payload).await {
            Ok(id) => Ok(format!("Published message {id} to topic {topic}.")),
            Err(err @ (EngineError::Store(_) | EngineError::Io(_))) => Err(Failure::retry(err.to_string())),
            Err(err) => Err(Failure::permanent(err.to_string())),
        }
    }

    /// Sends a topic's notification or confirmation request to one subscriber.
    pub(super) async fn send_to_subscriber(
        &self,
        delivery: &Delivery,
        topic: &str,
        id: &str,
        courier: &dyn Courier,
    ) -> Attempt {
        let subscription = match self.store.subscription(topic, id).await {
            Ok(Some(subscription)) => subscription,
            Ok(None) => return Err(Failure::permanent("The subscription was removed.")),
            Err(err) => return Err(Failure::retry(err.to_string())),
        };
        let notification: Value = serde_json::from_str(&delivery.payload).unwrap_or(Value::Null);
        let kind = notification["Type"].as_str().unwrap_or("Notification").to_owned();
        if kind == "Notification" && !subscription.confirmed {
            return Err(Failure::permanent("The subscription is not confirmed."));
        }
        match subscription.protocol {
            Protocol::Http | Protocol::Https => {
                let text = |key: &str| notification[key].as_str().unwrap_or_default().to_owned();
                let mut headers = vec![
                    ("content-type".to_owned(), "text/plain; charset=UTF-8".to_owned()),
                    ("user-agent".to_owned(), "Sluice-Notifications".to_owned()),
                    ("x-amz-sns-message-type".to_owned(), kind.clone()),
                    ("x-amz-sns-message-id".to_owned(), text("MessageId")),
                    ("x-amz-sns-topic-arn".to_owned(), text("TopicArn")),
                ];
                if kind == "Notification" {
                    headers.push(("x-amz-sns-subscription-arn".to_owned(), self.subscription_arn(&subscription)));
                }
                let (method, url) = ("POST".to_owned(), subscription.endpoint.clone());
                self.send_http(courier, method, url, headers, &delivery.payload).await
            }
            Protocol::Email | Protocol::EmailJson => {
                let facts = self.run_facts(&notification).await;
                let mail = compose(&subscription, &notification, &facts, &self.notify_config().public_url);
                let timeout = self.notify_config().request_timeout;
                match tokio::time::timeout(timeout * 2, courier.mail(&mail)).await {
                    Ok(Ok(answer)) => Ok(format!("SMTP: {answer}")),
                    Ok(Err(why)) => Err(Failure::retry(why)),
                    Err(_) => {
                        Err(Failure::retry(format!("the mail server did not answer within {} s", timeout.as_secs())))
                    }
                }
            }
        }
    }

    /// For a message that is a pipeline's failure event: the failed action of that run, so the
    /// e-mail can name it even when the event is about the whole pipeline.
    async fn run_facts(&self, notification: &Value) -> RunFacts {
        let message = notification["Message"].as_str().unwrap_or_default();
        let event: Value = serde_json::from_str(message).unwrap_or(Value::Null);
        let detail = &event["detail"];
        let (Some(pipeline), Some(execution)) = (detail["pipeline"].as_str(), detail["execution-id"].as_str()) else {
            return RunFacts::default();
        };
        if event["source"] != "aws.codepipeline" || detail["action"].is_string() {
            return RunFacts::default();
        }
        let runs = self.action_runs(pipeline, execution).await.unwrap_or_default();
        let failed = runs.iter().rev().find(|run| run.state.status == ActionExecutionStatus::Failed);
        match failed {
            Some(run) => RunFacts {
                stage: Some(run.stage_name.clone()),
                action: Some(run.action_name.clone()),
                summary: run.state.error_message.clone().or_else(|| run.state.summary.clone()),
            },
            None => RunFacts::default(),
        }
    }
}
