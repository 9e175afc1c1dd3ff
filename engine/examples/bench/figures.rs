//! The figures of one execution, taken from its events and the provider's stamps.
use crate::{ActionKey, Kind, Seen, ACTIONS, STAGES, WIDTH};
use std::collections::HashMap;
use std::time::Instant;

fn stage_names() -> Vec<String> {
    std::iter::once("Source".to_owned()).chain((2..=STAGES).map(|s| format!("Stage{s}"))).collect()
}

/// Durations in ms of one execution, from its events and the provider's stamps.
#[derive(Default)]
pub struct Figures {
    pub transition_gap: Vec<f64>,
    pub transition_outbox: Vec<f64>,
    pub stage_events: Vec<f64>,
    pub action_overhead: Vec<f64>,
    pub dispatch: Vec<f64>,
    pub record: Vec<f64>,
    pub amortised: Vec<f64>,
    pub wall: Vec<f64>,
}

fn ms(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1000.0
}

impl Figures {
    pub fn add(
        &mut self,
        execution: &str,
        requested: Instant,
        events: &[Seen],
        calls: &HashMap<ActionKey, (Instant, Instant)>,
    ) {
        let find = |kind: Kind, stage: &str, action: &str, state: &str| {
            events
                .iter()
                .find(|e| {
                    e.execution == execution
                        && e.kind == kind
                        && e.stage == stage
                        && e.action == action
                        && e.state == state
                })
                .unwrap_or_else(|| panic!("no {state} event for {execution} {stage} {action}"))
                .at
        };
        let names = stage_names();
        let actions_of = |stage: &str| -> Vec<String> {
            if stage == "Source" {
                vec!["Src".into()]
            } else {
                (1..=WIDTH).map(|i| format!("A{i}")).collect()
            }
        };
        let mut critical = 0.0;
        for (index, stage) in names.iter().enumerate() {
            let mut longest = 0.0f64;
            for action in actions_of(stage) {
                let (called, returned) = calls[&(execution.to_owned(), stage.clone(), action.clone())];
                let started = find(Kind::Action, stage, &action, "STARTED");
                let succeeded = find(Kind::Action, stage, &action, "SUCCEEDED");
                self.dispatch.push(ms(started, called));
                self.record.push(ms(returned, succeeded));
                self.action_overhead.push(ms(started, succeeded) - ms(called, returned));
                longest = longest.max(ms(called, returned));
            }
            critical += longest;
            if let Some(next) = names.get(index + 1) {
                let last_return = actions_of(stage)
                    .iter()
                    .map(|a| calls[&(execution.to_owned(), stage.clone(), a.clone())].1)
                    .max()
                    .unwrap();
                let first_call = actions_of(next)
                    .iter()
                    .map(|a| calls[&(execution.to_owned(), next.clone(), a.clone())].0)
                    .min()
                    .unwrap();
                self.transition_gap.push(ms(last_return, first_call));
                let last_succeeded =
                    actions_of(stage).iter().map(|a| find(Kind::Action, stage, a, "SUCCEEDED")).max().unwrap();
                let next_started = find(Kind::Stage, next, "", "STARTED");
                self.transition_outbox.push(ms(last_succeeded, next_started));
                self.stage_events.push(ms(find(Kind::Stage, stage, "", "SUCCEEDED"), next_started));
            }
        }
        let ended = find(Kind::Pipeline, "", "", "SUCCEEDED");
        let wall = ms(requested, ended);
        self.wall.push(wall);
        self.amortised.push((wall - critical) / ACTIONS as f64);
    }
}

pub fn percentiles(values: &[f64]) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |p: f64| sorted[((p * (sorted.len() - 1) as f64).round() as usize).min(sorted.len() - 1)];
    format!(
        "p50 {:7.2}  p95 {:7.2}  p99 {:7.2}  max {:7.2} ms  (n={})",
        at(0.5),
        at(0.95),
        at(0.99),
        at(1.0),
        sorted.len()
    )
}

pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}
