//! The EventBridge API (`X-Amz-Target: AWSEvents.<Operation>`, signed for `events`, IAM actions
//! `events:<Operation>`), so `aws events ... --endpoint-url` and boto3 work. TestEventPattern
//! today, with the model's event patterns; rules and their targets build on it.
use super::error::{ApiError, ApiResult};
use model::event_pattern::EventPattern;
use serde::Deserialize;
use serde_json::{json, Value};

pub const SIGNING_NAME: &str = "events";
pub const EVENT_SOURCE: &str = "events.amazonaws.com";

/// EventBridge's limit on a pattern's length, in characters.
const MAX_PATTERN_CHARS: usize = 4096;

/// The fields EventBridge requires of an event given to TestEventPattern.
const EVENT_FIELDS: [&str; 7] = ["id", "account", "source", "time", "region", "resources", "detail-type"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    TestEventPattern,
}

impl Operation {
    const ALL: [Operation; 1] = [Operation::TestEventPattern];

    pub fn parse(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Operation::TestEventPattern => "TestEventPattern",
        }
    }

    pub fn iam_action(self) -> String {
        format!("events:{}", self.name())
    }

    /// TestEventPattern reads nothing stored: IAM knows it only on `*`.
    pub fn resource_arn(self, _input: &Value, _account: &engine::Account) -> String {
        match self {
            Operation::TestEventPattern => "*".to_owned(),
        }
    }
}

pub fn dispatch(operation: Operation, body: &[u8]) -> ApiResult<Value> {
    match operation {
        Operation::TestEventPattern => test_event_pattern(super::parse(body)?),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TestInput {
    event_pattern: String,
    event: String,
}

fn test_event_pattern(input: TestInput) -> ApiResult<Value> {
    let pattern = parse_pattern(&input.event_pattern)?;
    let event: Value = serde_json::from_str(&input.event)
        .map_err(|err| ApiError::validation(format!("Event is not valid JSON: {err}")))?;
    if let Some(missing) = EVENT_FIELDS.iter().find(|field| event.get(**field).is_none()) {
        return Err(ApiError::validation(format!(
            "Event is missing the field \"{missing}\"; an event has {}.",
            EVENT_FIELDS.join(", ")
        )));
    }
    Ok(json!({ "Result": pattern.matches(&event) }))
}

/// A pattern as PutRule and TestEventPattern take it.
fn parse_pattern(text: &str) -> ApiResult<EventPattern> {
    if text.chars().count() > MAX_PATTERN_CHARS {
        return Err(ApiError::validation(format!("EventPattern is longer than {MAX_PATTERN_CHARS} characters.")));
    }
    EventPattern::parse(text).map_err(|err| ApiError::new("InvalidEventPatternException", err.to_string()))
}
