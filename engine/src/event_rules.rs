//! EventBridge-style rules on the default event bus: an event pattern over the events Sluice
//! writes to its outbox, enabled or not, and up to five targets. Checked here (names, patterns,
//! targets) so every edge gets the same answers.
use crate::notify::targets::{self, TargetKind};
use crate::store::event_rules::PutTargets;
use crate::{now_ms, Engine, EngineError, Refusal, Result};
use model::event_input::{InputTransformer, JsonPath};
use model::event_pattern::EventPattern;

/// AWS's limit on targets per rule.
pub const MAX_TARGETS: usize = 5;
/// AWS's limit on a pattern's length, in characters.
pub const MAX_PATTERN_CHARS: usize = 4096;

#[derive(Debug, Clone, PartialEq)]
pub struct EventRule {
    pub name: String,
    pub description: Option<String>,
    /// The pattern as it was given (JSON text), parsed when it is stored and when it is used.
    pub event_pattern: String,
    pub state: RuleState,
    pub role_arn: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleState {
    Enabled,
    Disabled,
}

impl RuleState {
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleState::Enabled => "ENABLED",
            RuleState::Disabled => "DISABLED",
        }
    }

    pub fn from_wire(text: &str) -> Option<RuleState> {
        [RuleState::Enabled, RuleState::Disabled].into_iter().find(|state| state.as_str() == text)
    }
}

/// Where a rule sends the events it matches, and how the event is shaped for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleTarget {
    pub id: String,
    pub arn: String,
    /// A constant JSON text sent instead of the event.
    pub input: Option<String>,
    /// A JSONPath of the part of the event to send.
    pub input_path: Option<String>,
    /// `{"InputPathsMap": {...}, "InputTemplate": "..."}` as JSON text.
    pub input_transformer: Option<String>,
    /// A webhook's `{"HeaderParameters": {...}}` as JSON text (its signing secret sealed once stored).
    pub http_parameters: Option<String>,
    pub retry_policy: RetryPolicy,
}

/// EventBridge's RetryPolicy of a target; what is not set keeps Sluice's defaults (16 tries,
/// no age limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries after the first, 0 to 185.
    pub maximum_retry_attempts: Option<u32>,
    /// How old the event may be when it is tried, 60 to 86,400 seconds.
    pub maximum_event_age_seconds: Option<u32>,
}

impl RetryPolicy {
    /// Whether a delivery that has been tried `attempts` times, of an event `age_ms` old, may be
    /// tried again; `default_attempts` is Sluice's own limit.
    pub fn allows_another(&self, attempts: i64, age_ms: i64, default_attempts: u32) -> bool {
        let most = self.maximum_retry_attempts.map_or(i64::from(default_attempts), |n| i64::from(n) + 1);
        let young = self.maximum_event_age_seconds.is_none_or(|max| age_ms < i64::from(max) * 1000);
        attempts < most && young
    }
}

/// What PutRule asks for.
#[derive(Debug, Clone)]
pub struct RuleRequest {
    pub name: String,
    pub description: Option<String>,
    pub event_pattern: String,
    pub state: RuleState,
    pub role_arn: Option<String>,
}

impl Engine {
    pub fn event_rule_arn(&self, name: &str) -> String {
        self.account().event_rule_arn(name)
    }

    /// Creates a rule or changes one (PutRule); returns its ARN.
    pub async fn put_event_rule(&self, request: RuleRequest) -> Result<String> {
        check_name("rule", &request.name)?;
        check_pattern(&request.event_pattern)?;
        let now = now_ms();
        let rule = EventRule {
            name: request.name,
            description: request.description,
            event_pattern: request.event_pattern,
            state: request.state,
            role_arn: request.role_arn,
            // Kept by the upsert when the rule exists already.
            created_ms: now,
            updated_ms: now,
        };
        self.store.put_event_rule(&rule).await?;
        Ok(self.event_rule_arn(&rule.name))
    }

    pub async fn event_rule(&self, name: &str) -> Result<EventRule> {
        self.store.event_rule(name).await?.ok_or_else(|| rule_not_found(name))
    }

    /// Rules whose names start with `prefix`, in name order.
    pub async fn event_rules(&self, prefix: &str) -> Result<Vec<EventRule>> {
        Ok(self.store.event_rules(prefix).await?)
    }

    /// Deletes a rule that has no targets left (AWS's rule: remove them first). Deleting a rule
    /// that is not there succeeds, as on AWS.
    pub async fn delete_event_rule(&self, name: &str) -> Result<()> {
        if self.store.event_rule(name).await?.is_none() || self.store.delete_event_rule(name).await? {
            return Ok(());
        }
        Err(EngineError::refused(Refusal::InvalidRequest, "Rule can't be deleted since it has targets."))
    }

    pub async fn set_event_rule_state(&self, name: &str, state: RuleState) -> Result<()> {
        match self.store.set_event_rule_state(name, state, now_ms()).await? {
            true => Ok(()),
            false => Err(rule_not_found(name)),
        }
    }

    /// The rule's targets, a webhook's signing secret shown as `****`.
    pub async fn rule_targets(&self, rule: &str) -> Result<Vec<RuleTarget>> {
        self.event_rule(rule).await?;
        let mut targets = self.store.rule_targets(rule).await?;
        for target in &mut targets {
            if let Some(stored) = &target.http_parameters {
                let headers = targets::stored_headers(stored, None).map_err(corrupt)?;
                let headers: serde_json::Map<_, _> =
                    headers.into_iter().map(|(name, value)| (name, value.into())).collect();
                target.http_parameters = Some(serde_json::json!({ "HeaderParameters": headers }).to_string());
            }
        }
        Ok(targets)
    }

    /// A webhook target's headers with its signing secret opened.
    pub(crate) fn webhook_headers(&self, rule: &str, target: &RuleTarget) -> Result<Vec<(String, String)>> {
        let Some(stored) = &target.http_parameters else {
            return Ok(Vec::new());
        };
        let sealer = self.store.sealer()?;
        let context = signing_context(rule, target);
        let open = |sealed: &str| sealer.open(&context, sealed).map_err(|err| err.to_string());
        targets::stored_headers(stored, Some(&open)).map_err(corrupt)
    }

    /// Adds or replaces targets by id; a rule has at most five.
    pub async fn put_rule_targets(&self, rule: &str, mut targets: Vec<RuleTarget>) -> Result<()> {
        for target in &mut targets {
            check_target(target, self.account(), self.notify_config().aws_forwarding)?;
            if let Some(given) = &target.http_parameters {
                let given: serde_json::Value = serde_json::from_str(given).unwrap_or_default();
                let sealer = self.store.sealer()?;
                let context = signing_context(rule, target);
                let seal = |plain: &str| sealer.seal(&context, plain).map_err(|err| err.to_string());
                let stored = targets::store_http_parameters(&given, seal).map_err(|why| invalid(target, why))?;
                target.http_parameters = Some(stored);
            }
        }
        match self.store.put_rule_targets(rule, &targets, MAX_TARGETS).await? {
            PutTargets::Done => Ok(()),
            PutTargets::NoSuchRule => Err(rule_not_found(rule)),
            PutTargets::TooMany(count) => Err(EngineError::refused(
                Refusal::LimitExceeded,
                format!("A rule has at most {MAX_TARGETS} targets; rule '{rule}' would have {count}."),
            )),
        }
    }

    /// Removes targets by id; returns the ids that were not there.
    pub async fn remove_rule_targets(&self, rule: &str, ids: &[String]) -> Result<()> {
        self.event_rule(rule).await?;
        Ok(self.store.remove_rule_targets(rule, ids).await?)
    }
}

fn rule_not_found(name: &str) -> EngineError {
    EngineError::refused(Refusal::ResourceNotFound, format!("Rule {name} does not exist on EventBus default."))
}

/// Rule names and target ids: 1 to 64 letters, digits, dots, hyphens and underscores.
fn check_name(what: &str, name: &str) -> Result<()> {
    let valid = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if valid {
        return Ok(());
    }
    Err(EngineError::refused(
        Refusal::InvalidRequest,
        format!("A {what} name is 1 to 64 letters, digits, '.', '-' and '_'; {name:?} is not."),
    ))
}

/// A pattern as PutRule and TestEventPattern take it, or why it is refused.
pub fn check_pattern(text: &str) -> Result<EventPattern> {
    if text.chars().count() > MAX_PATTERN_CHARS {
        return Err(EngineError::refused(
            Refusal::InvalidRequest,
            format!("An event pattern is at most {MAX_PATTERN_CHARS} characters."),
        ));
    }
    EventPattern::parse(text).map_err(|err| EngineError::refused(Refusal::InvalidEventPattern, err.to_string()))
}

fn invalid(target: &RuleTarget, why: String) -> EngineError {
    EngineError::refused(Refusal::InvalidRequest, format!("Target {}: {why}", target.id))
}

fn corrupt(why: String) -> EngineError {
    EngineError::Store(crate::StoreError::Corrupt(why))
}

/// What a webhook's signing secret is sealed for: it opens for this target only.
fn signing_context(rule: &str, target: &RuleTarget) -> String {
    format!("webhook-secret:{rule}/{}", target.id)
}

/// `aws_forwarding`: whether targets on AWS (other accounts' topics and buses) can be reached.
fn check_target(target: &RuleTarget, account: &crate::Account, aws_forwarding: bool) -> Result<()> {
    check_name("target", &target.id)?;
    let refuse = |why: String| Err(invalid(target, why));
    if target.arn.is_empty() || target.arn.len() > 1600 {
        return refuse("Arn is 1 to 1600 characters.".into());
    }
    let kind = TargetKind::of_arn(&target.arn, account).map_err(|why| invalid(target, why))?;
    if let TargetKind::Subscription { .. } = kind {
        return refuse("a subscription is not a target: name its topic (arn:aws:sns:REGION:ACCOUNT:TOPIC).".into());
    }
    if matches!(kind, TargetKind::Aws(_)) && !aws_forwarding {
        return refuse(format!(
            "{} is on AWS, and this server has no AWS endpoint and credentials to reach it (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, and AWS_ENDPOINT_URL for an AWS-compatible endpoint).",
            target.arn
        ));
    }
    if target.http_parameters.is_some() && !matches!(kind, TargetKind::Webhook { .. }) {
        return refuse("HttpParameters are for webhook (api-destination) targets only.".into());
    }
    let shaping = [&target.input, &target.input_path, &target.input_transformer];
    if shaping.iter().filter(|given| given.is_some()).count() > 1 {
        return refuse("give at most one of Input, InputPath and InputTransformer.".into());
    }
    if let Some(input) = &target.input {
        if serde_json::from_str::<serde_json::Value>(input).is_err() {
            return refuse("Input is not valid JSON.".into());
        }
    }
    if let Some(path) = &target.input_path {
        JsonPath::parse(path).map_err(|why| invalid(target, format!("InputPath {why}")))?;
    }
    if let Some(transformer) = &target.input_transformer {
        let parsed: serde_json::Value = serde_json::from_str(transformer).unwrap_or_default();
        InputTransformer::parse(&parsed).map_err(|why| invalid(target, why))?;
    }
    let RetryPolicy { maximum_retry_attempts: attempts, maximum_event_age_seconds: age } = target.retry_policy;
    if attempts.is_some_and(|n| n > 185) {
        return refuse("RetryPolicy.MaximumRetryAttempts is 0 to 185.".into());
    }
    if age.is_some_and(|s| !(60..=86_400).contains(&s)) {
        return refuse("RetryPolicy.MaximumEventAgeInSeconds is 60 to 86400.".into());
    }
    Ok(())
}
