//! The EventBridge API (`X-Amz-Target: AWSEvents.<Operation>`, signed for `events`, IAM actions
//! `events:<Operation>` on the rule's ARN), so `aws events ... --endpoint-url` and boto3 work:
//! rules on the default event bus, their targets, TestEventPattern, and PutEvents for custom
//! events. Deliveries to targets are the notifier's (engine/src/notify).
use super::error::{ApiError, ApiResult};
use super::wire::offset_page;
use crate::AppState;
use engine::custom_events::{CustomEvent, EntryRefusal, EntryResult, MAX_BYTES, MAX_ENTRIES};
use engine::event_rules::{check_pattern, EventRule, RetryPolicy, RuleRequest, RuleState, RuleTarget};
use serde::Deserialize;
use serde_json::{json, Value};

pub const SIGNING_NAME: &str = "events";
pub const EVENT_SOURCE: &str = "events.amazonaws.com";

/// The fields EventBridge requires of an event given to TestEventPattern.
const EVENT_FIELDS: [&str; 7] = ["id", "account", "source", "time", "region", "resources", "detail-type"];

service_operations!("events";
    PutRule,
    DescribeRule,
    ListRules,
    DeleteRule,
    EnableRule,
    DisableRule,
    PutTargets,
    ListTargetsByRule,
    RemoveTargets,
    TestEventPattern,
    PutEvents,
);

impl Operation {
    /// The rule's ARN; `*` for the operations IAM knows only on `*`.
    pub fn resource_arn(self, input: &Value, account: &engine::Account) -> String {
        let rule = match self {
            Operation::ListRules | Operation::TestEventPattern => return "*".to_owned(),
            Operation::PutEvents => return account.default_event_bus_arn(),
            Operation::PutTargets | Operation::ListTargetsByRule | Operation::RemoveTargets => input.get("Rule"),
            _ => input.get("Name"),
        };
        account.event_rule_arn(rule.and_then(Value::as_str).unwrap_or_default())
    }
}

pub async fn dispatch(state: &AppState, operation: Operation, body: &[u8]) -> ApiResult<Value> {
    use super::parse;
    let engine = &state.engine;
    match operation {
        Operation::PutRule => put_rule(state, parse(body)?).await,
        Operation::DescribeRule => {
            let input: NameInput = parse(body)?;
            default_bus(input.event_bus_name.as_deref())?;
            Ok(describe(state, &engine.event_rule(&input.name).await?))
        }
        Operation::ListRules => list_rules(state, parse(body)?).await,
        Operation::DeleteRule => {
            let input: NameInput = parse(body)?;
            default_bus(input.event_bus_name.as_deref())?;
            engine.delete_event_rule(&input.name).await?;
            Ok(json!({}))
        }
        Operation::EnableRule | Operation::DisableRule => {
            let input: NameInput = parse(body)?;
            default_bus(input.event_bus_name.as_deref())?;
            let state = if operation == Operation::EnableRule { RuleState::Enabled } else { RuleState::Disabled };
            engine.set_event_rule_state(&input.name, state).await?;
            Ok(json!({}))
        }
        Operation::PutTargets => {
            let input: PutTargetsInput = parse(body)?;
            default_bus(input.event_bus_name.as_deref())?;
            let targets = input.targets.into_iter().map(WireTarget::into_target).collect::<ApiResult<_>>()?;
            engine.put_rule_targets(&input.rule, targets).await?;
            Ok(json!({ "FailedEntryCount": 0, "FailedEntries": [] }))
        }
        Operation::ListTargetsByRule => {
            let input: RuleInput = parse(body)?;
            default_bus(input.event_bus_name.as_deref())?;
            let targets: Vec<Value> = engine.rule_targets(&input.rule).await?.iter().map(target_json).collect();
            Ok(json!({ "Targets": targets }))
        }
        Operation::RemoveTargets => {
            let input: RemoveTargetsInput = parse(body)?;
            default_bus(input.event_bus_name.as_deref())?;
            // Ids that were not there are not failures on AWS either: removing is idempotent.
            engine.remove_rule_targets(&input.rule, &input.ids).await?;
            Ok(json!({ "FailedEntryCount": 0, "FailedEntries": [] }))
        }
        Operation::TestEventPattern => test_event_pattern(parse(body)?),
        Operation::PutEvents => put_events(state, parse(body)?).await,
    }
}

/// Sluice has the default event bus only.
fn default_bus(name: Option<&str>) -> ApiResult<()> {
    match name {
        None | Some("default") => Ok(()),
        Some(arn) if arn.starts_with("arn:aws:events:") && arn.ends_with(":event-bus/default") => Ok(()),
        Some(other) => Err(ApiError::new("ResourceNotFoundException", format!("Event bus {other} does not exist."))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NameInput {
    name: String,
    event_bus_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRuleInput {
    name: String,
    event_pattern: Option<String>,
    schedule_expression: Option<String>,
    state: Option<String>,
    description: Option<String>,
    role_arn: Option<String>,
    event_bus_name: Option<String>,
}

async fn put_rule(state: &AppState, input: PutRuleInput) -> ApiResult<Value> {
    default_bus(input.event_bus_name.as_deref())?;
    if input.schedule_expression.is_some() {
        return Err(ApiError::validation(
            "ScheduleExpression is not supported by Sluice: rules match events; pipelines run on a schedule through their triggers.",
        ));
    }
    let Some(event_pattern) = input.event_pattern else {
        return Err(ApiError::validation("Parameter(s) EventPattern or ScheduleExpression must be specified."));
    };
    let rule_state = match input.state.as_deref() {
        None => RuleState::Enabled,
        Some(text) => RuleState::from_wire(text)
            .ok_or_else(|| ApiError::validation(format!("State '{text}' is not valid: use ENABLED or DISABLED.")))?,
    };
    let request = RuleRequest {
        name: input.name,
        description: input.description,
        event_pattern,
        state: rule_state,
        role_arn: input.role_arn,
    };
    let arn = state.engine.put_event_rule(request).await?;
    Ok(json!({ "RuleArn": arn }))
}

fn describe(state: &AppState, rule: &EventRule) -> Value {
    let mut out = json!({
        "Name": rule.name,
        "Arn": state.engine.event_rule_arn(&rule.name),
        "EventPattern": rule.event_pattern,
        "State": rule.state.as_str(),
        "EventBusName": "default",
        "CreatedBy": state.engine.account().id,
    });
    if let Some(description) = &rule.description {
        out["Description"] = json!(description);
    }
    if let Some(role) = &rule.role_arn {
        out["RoleArn"] = json!(role);
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRulesInput {
    name_prefix: Option<String>,
    event_bus_name: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

async fn list_rules(state: &AppState, input: ListRulesInput) -> ApiResult<Value> {
    default_bus(input.event_bus_name.as_deref())?;
    let limit = match input.limit {
        None => 100,
        Some(n) if (1..=100).contains(&n) => n as usize,
        Some(n) => return Err(ApiError::validation(format!("Limit {n} is not between 1 and 100."))),
    };
    let rules = state.engine.event_rules(input.name_prefix.as_deref().unwrap_or_default()).await?;
    let all = rules.iter().map(|rule| describe(state, rule)).collect();
    let (page, next) = offset_page(all, input.next_token.as_deref(), limit)?;
    let mut out = json!({ "Rules": page });
    if let Some(token) = next {
        out["NextToken"] = json!(token);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RuleInput {
    rule: String,
    event_bus_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutTargetsInput {
    rule: String,
    event_bus_name: Option<String>,
    targets: Vec<WireTarget>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireTarget {
    id: String,
    arn: String,
    input: Option<String>,
    input_path: Option<String>,
    input_transformer: Option<Value>,
    http_parameters: Option<Value>,
    retry_policy: Option<WireRetryPolicy>,
    dead_letter_config: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireRetryPolicy {
    maximum_retry_attempts: Option<u32>,
    maximum_event_age_in_seconds: Option<u32>,
}

impl WireTarget {
    fn into_target(self) -> ApiResult<RuleTarget> {
        if self.dead_letter_config.is_some() {
            return Err(ApiError::validation(format!(
                "Target {}: DeadLetterConfig is not supported: Sluice keeps deliveries that run out of tries in its own dead-letter list (the Notifications page, `sluice delivery list --status dead`), where they can be replayed.",
                self.id
            )));
        }
        let retry = self.retry_policy;
        Ok(RuleTarget {
            id: self.id,
            arn: self.arn,
            input: self.input,
            input_path: self.input_path,
            input_transformer: self.input_transformer.map(|t| t.to_string()),
            http_parameters: self.http_parameters.map(|p| p.to_string()),
            retry_policy: RetryPolicy {
                maximum_retry_attempts: retry.as_ref().and_then(|r| r.maximum_retry_attempts),
                maximum_event_age_seconds: retry.as_ref().and_then(|r| r.maximum_event_age_in_seconds),
            },
        })
    }
}

fn target_json(target: &RuleTarget) -> Value {
    let mut out = json!({ "Id": target.id, "Arn": target.arn });
    if let Some(input) = &target.input {
        out["Input"] = json!(input);
    }
    if let Some(path) = &target.input_path {
        out["InputPath"] = json!(path);
    }
    if target.retry_policy != RetryPolicy::default() {
        let mut retry = json!({});
        if let Some(attempts) = target.retry_policy.maximum_retry_attempts {
            retry["MaximumRetryAttempts"] = json!(attempts);
        }
        if let Some(age) = target.retry_policy.maximum_event_age_seconds {
            retry["MaximumEventAgeInSeconds"] = json!(age);
        }
        out["RetryPolicy"] = retry;
    }
    for (field, text) in [("InputTransformer", &target.input_transformer), ("HttpParameters", &target.http_parameters)]
    {
        if let Some(value) = text.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok()) {
            out[field] = value;
        }
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RemoveTargetsInput {
    rule: String,
    event_bus_name: Option<String>,
    ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TestInput {
    event_pattern: String,
    event: String,
}

fn test_event_pattern(input: TestInput) -> ApiResult<Value> {
    let pattern = check_pattern(&input.event_pattern)?;
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

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutEventsInput {
    entries: Vec<WireEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireEntry {
    source: Option<String>,
    detail_type: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    resources: Vec<String>,
    /// Seconds since the epoch, as the AWS clients send timestamps in JSON 1.1.
    time: Option<f64>,
    event_bus_name: Option<String>,
    trace_header: Option<String>,
}

async fn put_events(state: &AppState, input: PutEventsInput) -> ApiResult<Value> {
    if !(1..=MAX_ENTRIES).contains(&input.entries.len()) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and {MAX_ENTRIES}, inclusive"
        )));
    }
    let mut events = Vec::with_capacity(input.entries.len());
    for entry in input.entries {
        default_bus(entry.event_bus_name.as_deref())?;
        let _ = entry.trace_header; // X-Ray is not Sluice's; accepted and dropped.
        events.push(CustomEvent {
            source: entry.source,
            detail_type: entry.detail_type,
            detail: entry.detail,
            resources: entry.resources,
            time_ms: entry.time.map(|seconds| (seconds * 1000.0) as i64),
        });
    }
    if events.iter().map(CustomEvent::size).sum::<usize>() > MAX_BYTES {
        return Err(ApiError::validation(format!(
            "Total size of the entries in the request is over the limit of {MAX_BYTES} bytes."
        )));
    }
    let results = state.engine.put_events(&events).await?;
    let failed = results.iter().filter(|r| matches!(r, EntryResult::Refused { .. })).count();
    let entries: Vec<Value> = results
        .into_iter()
        .map(|result| match result {
            EntryResult::Accepted(id) => json!({ "EventId": id }),
            EntryResult::Refused { why, message } => {
                json!({ "ErrorCode": entry_error_code(why), "ErrorMessage": message })
            }
        })
        .collect();
    Ok(json!({ "FailedEntryCount": failed, "Entries": entries }))
}

/// PutEvents' per-entry error codes.
fn entry_error_code(why: EntryRefusal) -> &'static str {
    match why {
        EntryRefusal::MissingField => "InvalidArgument",
        EntryRefusal::ReservedSource => "NotAuthorizedForSourceException",
        EntryRefusal::MalformedDetail => "MalformedDetail",
    }
}
