//! The dispatcher: the outbox after the cursor, matched against the enabled rules, becomes
//! delivery rows; then the due deliveries are started.
use super::Courier;
use crate::event_rules::RuleTarget;
use crate::events::StoredEvent;
use crate::store::deliveries::NewDelivery;
use crate::{now_ms, Engine, Result};
use model::event_input::{InputTransformer, JsonPath};
use model::event_pattern::EventPattern;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::TryRecvError;

/// Outbox entries matched per transaction.
const BATCH: i64 = 500;
/// How long a hole in the outbox ids is waited for: on PostgreSQL an id is taken when the row is
/// inserted and seen when its transaction commits, so a later id can be seen first; a hole
/// that lasts is a rolled-back transaction.
const GAP_GRACE: Duration = Duration::from_secs(5);

/// The dispatcher's loop: woken by live events, finished deliveries and a timer.
pub(super) async fn run(engine: Engine, courier: Arc<dyn Courier>) {
    let mut live = engine.subscribe();
    let mut interval = tokio::time::interval(engine.notify_config().poll_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let slots = Arc::new(tokio::sync::Semaphore::new(engine.notify_config().concurrency.max(1)));
    let mut gap: Option<(i64, Instant)> = None;
    let wake = engine.runtime.delivery_wake.clone();
    loop {
        tokio::select! {
            _ = engine.runtime.shutdown.cancelled() => break,
            _ = interval.tick() => {}
            _ = live.recv() => {}
            _ = wake.notified() => {}
        }
        // One pass covers every event that arrived meanwhile.
        while !matches!(live.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
        if let Err(err) = engine.match_outbox(&mut gap).await {
            tracing::error!(error = %err, "matching events to rules failed");
        }
        if let Err(err) = engine.start_due_deliveries(&courier, &slots).await {
            tracing::error!(error = %err, "starting deliveries failed");
        }
    }
}

/// An enabled rule with its parsed pattern and its targets.
struct LiveRule {
    name: String,
    pattern: EventPattern,
    targets: Vec<RuleTarget>,
}

impl Engine {
    /// Matches the outbox after the cursor against the enabled rules, batch by batch.
    async fn match_outbox(&self, gap: &mut Option<(i64, Instant)>) -> Result<()> {
        let mut rules = None;
        loop {
            let cursor = self.store.delivery_cursor().await?;
            let events = self.store.events_after(cursor, BATCH).await?;
            let ready = ready_prefix(cursor, &events, gap);
            let Some(last) = events[..ready].last() else {
                return Ok(());
            };
            // Read once per pass, and only when there is something to match.
            let rules = match &mut rules {
                Some(rules) => rules,
                None => rules.insert(self.live_rules().await?),
            };
            let mut new = Vec::new();
            for event in &events[..ready] {
                let body = with_id(event);
                new.extend(self.approval_notification(event, &body).await?);
                for rule in rules.iter().filter(|rule| rule.pattern.matches(&body)) {
                    for target in &rule.targets {
                        new.push(NewDelivery {
                            event_id: event.id,
                            rule_name: rule.name.clone(),
                            target_id: target.id.clone(),
                            target_arn: target.arn.clone(),
                            payload: self.payload(target, &rule.name, &body),
                        });
                    }
                }
            }
            if !self.store.record_deliveries(cursor, last.id, &new, now_ms()).await? {
                continue; // Another process matched this batch first.
            }
            if (events.len() as i64) < BATCH || ready < events.len() {
                return Ok(());
            }
        }
    }

    async fn live_rules(&self) -> Result<Vec<LiveRule>> {
        let mut rules: Vec<LiveRule> = Vec::new();
        for (rule, target) in self.store.enabled_rule_targets().await? {
            match rules.last_mut() {
                Some(last) if last.name == rule.name => last.targets.push(target),
                _ => match EventPattern::parse(&rule.event_pattern) {
                    Ok(pattern) => rules.push(LiveRule { name: rule.name, pattern, targets: vec![target] }),
                    Err(err) => tracing::warn!(rule = %rule.name, error = %err, "a stored pattern no longer parses"),
                },
            }
        }
        Ok(rules)
    }

    /// What `target` is sent for `event`: its constant Input, the part its InputPath selects, its
    /// InputTransformer's template filled in, or else the whole event.
    fn payload(&self, target: &RuleTarget, rule: &str, event: &Value) -> String {
        if let Some(input) = &target.input {
            return input.clone();
        }
        if let Some(path) = &target.input_path {
            let selected = JsonPath::parse(path).ok().and_then(|path| path.select(event).cloned());
            return selected.unwrap_or(Value::Null).to_string();
        }
        let transformer = target.input_transformer.as_deref().and_then(|text| serde_json::from_str(text).ok());
        match transformer.as_ref().map(InputTransformer::parse) {
            Some(Ok(transformer)) => {
                let predefined = [
                    ("aws.events.rule-arn", json!(self.event_rule_arn(rule))),
                    ("aws.events.rule-name", json!(rule)),
                    ("aws.events.event.ingestion-time", event["time"].clone()),
                    ("aws.events.event", event.clone()),
                    ("aws.events.event.json", event.clone()),
                ];
                transformer.render(event, &predefined)
            }
            Some(Err(_)) | None => event.to_string(),
        }
    }
}

/// The event as rules see it and targets get it: with its `id`.
fn with_id(event: &StoredEvent) -> Value {
    let mut body = event.body.clone();
    body["id"] = Value::String(event.id.to_string());
    body
}

/// How many of `events` (ids after `cursor`) can be matched now: all up to the first hole in the
/// ids, or past a hole that has lasted `GAP_GRACE`.
fn ready_prefix(cursor: i64, events: &[StoredEvent], gap: &mut Option<(i64, Instant)>) -> usize {
    let mut expected = cursor + 1;
    for (index, event) in events.iter().enumerate() {
        if event.id != expected && cursor > 0 {
            match gap {
                Some((at, since)) if *at == expected && since.elapsed() >= GAP_GRACE => {}
                Some((at, _)) if *at == expected => return index,
                _ => {
                    *gap = Some((expected, Instant::now()));
                    return index;
                }
            }
        }
        expected = event.id + 1;
    }
    events.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(ids: &[i64]) -> Vec<StoredEvent> {
        ids.iter().map(|id| StoredEvent::new(*id, "p".into(), None, "t".into(), json!({}))).collect()
    }

    #[test]
    fn a_hole_in_the_ids_is_waited_for_then_passed() {
        let mut gap = None;
        assert_eq!(ready_prefix(3, &events(&[4, 5, 6]), &mut gap), 3);
        assert_eq!(ready_prefix(3, &events(&[4, 6, 7]), &mut gap), 1);
        assert_eq!(ready_prefix(4, &events(&[6, 7]), &mut gap), 0);
        gap = Some((5, Instant::now() - GAP_GRACE));
        assert_eq!(ready_prefix(4, &events(&[6, 7]), &mut gap), 2);
    }
}
