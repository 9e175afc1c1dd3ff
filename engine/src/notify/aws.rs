//! Targets on AWS: a delivery to an SNS topic of another account or region is published there
//! (SNS's Query API, Publish), one to an event bus is put there (EventBridge's PutEvents). The
//! courier signs the call with the server's own AWS credentials.
//!
//! PutEvents refuses sources starting with `aws.`, so Sluice's own events travel with their
//! source prefixed: `aws.codepipeline` arrives as `sluice.aws.codepipeline`.
use super::deliver::{judged, Attempt, Failure};
use super::targets::{AwsService, AwsTarget};
use super::{AwsCall, Courier, Delivery};
use crate::Engine;
use serde_json::{json, Value};

impl Engine {
    pub(super) async fn forward_to_aws(
        &self,
        delivery: &Delivery,
        target: &AwsTarget,
        courier: &dyn Courier,
    ) -> Attempt {
        let (call_target, body) = match target.service {
            AwsService::Sns => (None, publish_form(&target.arn, &delivery.payload)),
            AwsService::Events => {
                (Some("AWSEvents.PutEvents".to_owned()), put_events_body(&target.arn, &delivery.payload))
            }
        };
        let timeout = self.notify_config().request_timeout;
        let call =
            AwsCall { service: target.service, region: target.region.clone(), target: call_target, body, timeout };
        let text = judged(tokio::time::timeout(timeout * 2, courier.aws(&call)).await, timeout)?;
        // PutEvents answers 200 with the entries it refused counted.
        let answer: Value =
            text.split_once(": ").and_then(|(_, body)| serde_json::from_str(body).ok()).unwrap_or_default();
        if target.service == AwsService::Events && answer["FailedEntryCount"] != 0 {
            return Err(Failure::permanent(format!("the event bus refused the event: {text}")));
        }
        Ok(text)
    }
}

/// SNS Publish as a form (`Action=Publish&TopicArn=...&Message=...`).
fn publish_form(topic_arn: &str, message: &str) -> String {
    let pairs = [("Action", "Publish"), ("Version", "2010-03-31"), ("TopicArn", topic_arn), ("Message", message)];
    pairs.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect::<Vec<_>>().join("&")
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One PutEvents entry: an event's own source, detail-type, detail and resources when the payload
/// is an event, otherwise the payload as the detail of a `Sluice Notification`.
fn put_events_body(bus_arn: &str, payload: &str) -> String {
    let event: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let entry = match (event["source"].as_str(), event["detail-type"].as_str(), event.get("detail")) {
        (Some(source), Some(detail_type), Some(detail)) => json!({
            "Source": forwarded_source(source),
            "DetailType": detail_type,
            "Detail": detail.to_string(),
            "Resources": event["resources"],
            "EventBusName": bus_arn,
        }),
        _ => {
            let detail = if event.is_object() { event.clone() } else { json!({ "message": payload }) };
            json!({ "Source": "sluice", "DetailType": "Sluice Notification", "Detail": detail.to_string(), "EventBusName": bus_arn })
        }
    };
    json!({ "Entries": [entry] }).to_string()
}

fn forwarded_source(source: &str) -> String {
    match source.starts_with("aws.") {
        true => format!("sluice.{source}"),
        false => source.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_keep_their_shape_and_aws_sources_are_prefixed() {
        let event = json!({ "source": "aws.codepipeline", "detail-type": "X", "detail": { "state": "FAILED" }, "resources": ["r"] });
        let body: Value = serde_json::from_str(&put_events_body("arn:bus", &event.to_string())).unwrap();
        let entry = &body["Entries"][0];
        assert_eq!(
            (&entry["Source"], &entry["DetailType"], &entry["EventBusName"]),
            (&json!("sluice.aws.codepipeline"), &json!("X"), &json!("arn:bus"))
        );
        assert_eq!(entry["Detail"], json!(r#"{"state":"FAILED"}"#));
        let plain: Value = serde_json::from_str(&put_events_body("arn:bus", "hello")).unwrap();
        assert_eq!(plain["Entries"][0]["Detail"], json!(r#"{"message":"hello"}"#));
        assert_eq!(
            publish_form("arn:t", "a b&c"),
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3At&Message=a%20b%26c"
        );
    }
}
