//! What the benchmark reads from the engine: every event it broadcasts, stamped on arrival, and
//! the figures taken from them.
use engine::events::StoredEvent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A run of every workload may not take longer than this; the benchmark fails instead of hanging.
const WORKLOAD_TIMEOUT: Duration = Duration::from_secs(900);

/// An event and when it was received.
type Stamped = (Instant, Arc<StoredEvent>);

/// Every event the engine broadcasts, stamped when received, kept by execution id.
#[derive(Clone, Default)]
pub struct Recorder {
    events: Arc<Mutex<HashMap<String, Vec<Stamped>>>>,
    finished: Arc<tokio::sync::Notify>,
}

impl Recorder {
    pub fn start(engine: &engine::Engine) -> Self {
        let recorder = Recorder::default();
        let mut feed = engine.subscribe();
        let this = recorder.clone();
        tokio::spawn(async move {
            loop {
                match feed.recv().await {
                    Ok(event) => {
                        let at = Instant::now();
                        let Some(id) = event.body["detail"]["execution-id"].as_str().map(str::to_owned) else {
                            continue;
                        };
                        let is_final = event.detail_type == engine::events::PIPELINE_DETAIL
                            && matches!(
                                event.body["detail"]["state"].as_str(),
                                Some("SUCCEEDED" | "FAILED" | "STOPPED" | "SUPERSEDED")
                            );
                        this.events.lock().unwrap().entry(id).or_default().push((at, event));
                        if is_final {
                            this.finished.notify_waiters();
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        panic!("the benchmark's event feed lagged by {n} events")
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        recorder
    }

    /// The execution's final state and when it was broadcast, once it has one.
    fn final_state(&self, id: &str) -> Option<(String, Instant)> {
        let events = self.events.lock().unwrap();
        events.get(id)?.iter().find_map(|(at, e)| {
            let detail = &e.body["detail"];
            let state = detail["state"].as_str()?;
            (e.detail_type == engine::events::PIPELINE_DETAIL
                && matches!(state, "SUCCEEDED" | "FAILED" | "STOPPED" | "SUPERSEDED"))
            .then(|| (state.to_owned(), *at))
        })
    }

    /// Waits until every execution in `ids` has succeeded; returns when the last one did.
    pub async fn all_succeeded(&self, ids: &[String]) -> anyhow::Result<Instant> {
        let deadline = Instant::now() + WORKLOAD_TIMEOUT;
        loop {
            let notified = self.finished.notified();
            let mut last = None;
            let mut done = 0;
            for id in ids {
                if let Some((state, at)) = self.final_state(id) {
                    anyhow::ensure!(state == "SUCCEEDED", "execution {id} ended {state}");
                    done += 1;
                    last = last.max(Some(at));
                }
            }
            if done == ids.len() {
                return Ok(last.expect("at least one execution"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            anyhow::ensure!(
                !left.is_zero(),
                "{} of {} executions did not finish in {WORKLOAD_TIMEOUT:?}",
                ids.len() - done,
                ids.len()
            );
            let _ = tokio::time::timeout(left.min(Duration::from_secs(1)), notified).await;
        }
    }

    /// (stage, action, state) → when, for the execution's stage and action events.
    fn timeline(&self, id: &str) -> Vec<(String, Option<String>, String, Instant)> {
        let events = self.events.lock().unwrap();
        events
            .get(id)
            .map(|list| {
                list.iter()
                    .filter_map(|(at, e)| {
                        let d = &e.body["detail"];
                        Some((
                            d["stage"].as_str()?.to_owned(),
                            d["action"].as_str().map(str::to_owned),
                            d["state"].as_str()?.to_owned(),
                            *at,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Each Commands action's STARTED → SUCCEEDED, in ms.
    pub fn action_times(&self, id: &str) -> Vec<f64> {
        let timeline = self.timeline(id);
        let mut started = HashMap::new();
        let mut times = Vec::new();
        for (stage, action, state, at) in &timeline {
            let (Some(action), false) = (action, stage == "Source") else { continue };
            match state.as_str() {
                "STARTED" => {
                    started.insert((stage.clone(), action.clone()), *at);
                }
                "SUCCEEDED" => {
                    if let Some(from) = started.get(&(stage.clone(), action.clone())) {
                        times.push(ms(at.duration_since(*from)));
                    }
                }
                _ => {}
            }
        }
        times
    }

    /// First STARTED of a non-source stage → last SUCCEEDED of one, in ms: the Commands part.
    pub fn commands_span(&self, id: &str) -> f64 {
        let timeline = self.timeline(id);
        let stage_events = timeline.iter().filter(|(stage, action, _, _)| action.is_none() && stage != "Source");
        let first = stage_events.clone().filter(|e| e.2 == "STARTED").map(|e| e.3).min().expect("a stage started");
        let last = stage_events.filter(|e| e.2 == "SUCCEEDED").map(|e| e.3).max().expect("a stage succeeded");
        ms(last.duration_since(first))
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((p * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)]
}

pub fn median(mut values: Vec<f64>) -> f64 {
    percentile(&mut values, 0.5)
}
