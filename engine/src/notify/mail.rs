//! E-mails for topic subscribers, in plain text and HTML: a confirmation request with its link,
//! and notifications. A notification that carries one of Sluice's state-change events or a
//! manual approval's message is written for people (what failed, where, why, a link to the
//! run); any other message is sent as it is. `email-json` subscribers get the notification JSON.
use super::topics::{Protocol, Subscription};
use super::Mail;
use serde_json::Value;

/// What the run an event is about says about its failure: the stage, the action, the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RunFacts {
    pub stage: Option<String>,
    pub action: Option<String>,
    pub summary: Option<String>,
}

/// The e-mail for `subscription` carrying `notification` (SNS's JSON: Type, Message, ...).
pub(super) fn compose(subscription: &Subscription, notification: &Value, facts: &RunFacts, public_url: &str) -> Mail {
    let given_subject = notification["Subject"].as_str().map(str::to_owned);
    let to = subscription.endpoint.clone();
    if subscription.protocol == Protocol::EmailJson {
        let subject = given_subject.unwrap_or_else(|| "Sluice Notification Message".into());
        return Mail { to, subject, text: notification.to_string(), html: None };
    }
    if notification["Type"] == "SubscriptionConfirmation" {
        let topic = notification["TopicArn"].as_str().unwrap_or_default();
        let link = notification["SubscribeURL"].as_str().unwrap_or_default();
        let text = format!(
            "You have chosen to subscribe to the topic:\n{topic}\n\nTo confirm this subscription, click or visit \
             the link below (if this was in error no action is necessary):\n{link}\n"
        );
        let html = format!(
            "<p>You have chosen to subscribe to the topic:<br><b>{}</b></p><p>To confirm this subscription, \
             <a href=\"{}\">click here</a> (if this was in error no action is necessary).</p>",
            escape(topic),
            escape(link)
        );
        return Mail { to, subject: "Sluice Notification - Subscription Confirmation".into(), text, html: Some(html) };
    }
    let message = notification["Message"].as_str().unwrap_or_default();
    let parsed: Value = serde_json::from_str(message).unwrap_or(Value::Null);
    let readable = if parsed["source"] == "aws.codepipeline" {
        Some(event_mail(&parsed, facts, public_url))
    } else if parsed["approval"].is_object() {
        Some(approval_mail(&parsed["approval"]))
    } else {
        None
    };
    match readable {
        Some((subject, lines, link)) => {
            let subject = given_subject.unwrap_or(subject);
            let mut text = lines.join("\n");
            let mut html = lines.iter().map(|line| format!("<p>{}</p>", escape(line))).collect::<String>();
            if let Some((label, url)) = link {
                text.push_str(&format!("\n\n{label}: {url}\n"));
                html.push_str(&format!("<p><a href=\"{}\">{}</a></p>", escape(&url), escape(&label)));
            }
            Mail { to, subject, text, html: Some(html) }
        }
        None => {
            let subject = given_subject.unwrap_or_else(|| "Sluice Notification Message".into());
            Mail { to, subject, text: message.to_owned(), html: None }
        }
    }
}

type Readable = (String, Vec<String>, Option<(String, String)>);

/// A state-change event: what changed, where, why, and the run's page.
fn event_mail(event: &Value, facts: &RunFacts, public_url: &str) -> Readable {
    let detail = &event["detail"];
    let text = |key: &str| detail[key].as_str().map(str::to_owned);
    let pipeline = text("pipeline").unwrap_or_default();
    let state = text("state").unwrap_or_default();
    let stage = text("stage").or_else(|| facts.stage.clone());
    let action = text("action").or_else(|| facts.action.clone());
    let summary = detail["execution-result"]["external-execution-summary"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| facts.summary.clone());
    let place = match (&stage, &action) {
        (Some(stage), Some(action)) => format!(" in stage {stage}, action {action}"),
        (Some(stage), None) => format!(" in stage {stage}"),
        _ => String::new(),
    };
    let mut lines = vec![format!("Pipeline {pipeline}: {state}{place}.")];
    if let Some(summary) = summary {
        lines.push(format!("Error: {summary}"));
    }
    let execution = text("execution-id").unwrap_or_default();
    lines.push(format!("Execution: {execution}"));
    if let Some(time) = event["time"].as_str() {
        lines.push(format!("Time: {time}"));
    }
    let subject = format!("Sluice: pipeline {pipeline} {state}{place}");
    let url = format!("{}/pipelines/{pipeline}?execution={execution}", public_url.trim_end_matches('/'));
    (subject, lines, Some(("Open the run".into(), url)))
}

/// A manual approval's message (AWS's shape): what waits, until when, and where to answer.
fn approval_mail(approval: &Value) -> Readable {
    let field = |key: &str| approval[key].as_str().unwrap_or_default().to_owned();
    let (pipeline, action) = (field("pipelineName"), field("actionName"));
    let mut lines = vec![
        format!("Approval needed: pipeline {pipeline}, stage {}, action {action}.", field("stageName")),
        format!("It expires at {}.", field("expires")),
    ];
    if !field("customData").is_empty() {
        lines.push(format!("Comments: {}", field("customData")));
    }
    if !field("externalEntityLink").is_empty() {
        lines.push(format!("Review: {}", field("externalEntityLink")));
    }
    let subject = format!("APPROVAL NEEDED: Sluice pipeline {pipeline} for action {action}");
    (subject, lines, Some(("Approve or reject".into(), field("approvalReviewLink"))))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subscriber(protocol: Protocol) -> Subscription {
        Subscription {
            id: "s".into(),
            topic: "t".into(),
            protocol,
            endpoint: "ops@example.com".into(),
            confirmed: true,
            token: "x".into(),
            created_ms: 0,
        }
    }

    #[test]
    fn a_failure_names_the_pipeline_stage_action_error_and_links_to_the_run() {
        let event = json!({ "source": "aws.codepipeline", "time": "2026-12-03T08:00:00Z",
            "detail": { "pipeline": "web", "execution-id": "e-1", "state": "FAILED" } });
        let notification = json!({ "Type": "Notification", "Message": event.to_string() });
        let facts =
            RunFacts { stage: Some("Deploy".into()), action: Some("Push".into()), summary: Some("exit 2 <x>".into()) };
        let mail = compose(&subscriber(Protocol::Email), &notification, &facts, "https://ci.example.com/");
        assert_eq!(mail.subject, "Sluice: pipeline web FAILED in stage Deploy, action Push");
        assert!(mail.text.contains("Error: exit 2 <x>"), "{}", mail.text);
        assert!(mail.text.contains("https://ci.example.com/pipelines/web?execution=e-1"), "{}", mail.text);
        let html = mail.html.unwrap();
        assert!(html.contains("exit 2 &lt;x&gt;") && html.contains("href=\"https://ci.example.com/pipelines/web"));
    }

    #[test]
    fn other_messages_go_as_they_are_and_email_json_gets_the_notification() {
        let notification = json!({ "Type": "Notification", "Subject": "Hi", "Message": "plain words" });
        let mail = compose(&subscriber(Protocol::Email), &notification, &RunFacts::default(), "http://x");
        assert_eq!((mail.subject.as_str(), mail.text.as_str(), mail.html), ("Hi", "plain words", None));
        let mail = compose(&subscriber(Protocol::EmailJson), &notification, &RunFacts::default(), "http://x");
        assert_eq!(serde_json::from_str::<Value>(&mail.text).unwrap(), notification);
    }
}
