//! The execution's timeline (a Gantt chart): one bar per action from its start to its end (to
//! now while it runs), grouped by stage and coloured by status. Plain CSS: bars are positioned
//! in percent of the execution's span, so the page re-renders them as the run advances.
use leptos::prelude::*;

use crate::api::runs::StageRun;
use crate::time;

/// One action's bar, in percent of the span from the first start to the last end.
#[derive(Debug, Clone, PartialEq)]
struct Bar {
    stage: String,
    action: String,
    status: String,
    left: f64,
    width: f64,
    duration_ms: i64,
}

/// Bars never get thinner than this, so an instant action still shows.
const MIN_WIDTH: f64 = 0.5;

fn bars(stages: &[StageRun], now_ms: i64) -> Vec<Bar> {
    let spans: Vec<(&str, &str, &str, i64, i64)> = stages
        .iter()
        .flat_map(|stage| {
            stage.actions.iter().filter_map(move |action| {
                let attempt = action.attempt.as_ref()?;
                let end =
                    if attempt.status == "InProgress" { now_ms.max(attempt.started_ms) } else { attempt.updated_ms };
                Some((stage.name.as_str(), action.name.as_str(), attempt.status.as_str(), attempt.started_ms, end))
            })
        })
        .collect();
    let (Some(first), Some(last)) = (spans.iter().map(|s| s.3).min(), spans.iter().map(|s| s.4).max()) else {
        return Vec::new();
    };
    let total = (last - first).max(1) as f64;
    spans
        .into_iter()
        .map(|(stage, action, status, start, end)| {
            let width = ((end - start) as f64 * 100.0 / total).max(MIN_WIDTH);
            let left = ((start - first) as f64 * 100.0 / total).min(100.0 - width);
            Bar {
                stage: stage.into(),
                action: action.into(),
                status: status.into(),
                left,
                width,
                duration_ms: end - start,
            }
        })
        .collect()
}

#[component]
pub fn Timeline(stages: Vec<StageRun>, now_ms: i64) -> impl IntoView {
    let bars = bars(&stages, now_ms);
    if bars.is_empty() {
        return ().into_any();
    }
    let rows = stages
        .iter()
        .filter(|stage| bars.iter().any(|b| b.stage == stage.name))
        .map(|stage| {
            let actions = bars
                .iter()
                .filter(|b| b.stage == stage.name)
                .map(|bar| {
                    let style = format!("left: {:.2}%; width: {:.2}%", bar.left, bar.width);
                    let label = format!("{} \u{b7} {} \u{b7} {}", bar.action, bar.status, time::seconds(bar.duration_ms));
                    view! {
                        <div class="gantt-label">{bar.action.clone()}</div>
                        <div class="gantt-track">
                            <div class=format!("gantt-bar status-{}", bar.status.to_lowercase()) style=style title=label
                                data-testid="gantt-bar" data-action=bar.action.clone() data-status=bar.status.clone()></div>
                        </div>
                    }
                })
                .collect_view();
            view! {
                <div class="gantt-stage" data-testid="gantt-stage" data-stage=stage.name.clone()>{stage.name.clone()}</div>
                {actions}
            }
        })
        .collect_view();
    view! {
        <details class="gantt" data-testid="timeline" open>
            <summary>"Timeline"</summary>
            <div class="gantt-grid">{rows}</div>
        </details>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::runs::fixtures::{attempt, stage as staged};
    use crate::api::runs::ActionRun;

    fn action(name: &str, status: &str, started_ms: i64, updated_ms: i64) -> ActionRun {
        crate::api::runs::fixtures::action(name, "Build", Some(attempt(name, status, started_ms, updated_ms)))
    }

    fn stage(name: &str, actions: Vec<ActionRun>) -> StageRun {
        staged(name, None, actions)
    }

    #[test]
    fn bars_span_the_execution_and_running_ones_end_now() {
        let stages = vec![
            stage("Source", vec![action("Fetch", "Succeeded", 1_000, 2_000)]),
            stage(
                "Build",
                vec![action("Compile", "Succeeded", 2_000, 6_000), action("Test", "InProgress", 6_000, 6_000)],
            ),
            stage("Deploy", vec![ActionRun { attempt: None, ..action("Ship", "", 0, 0) }]),
        ];
        let bars = bars(&stages, 11_000);
        let shown: Vec<(&str, f64, f64, i64)> =
            bars.iter().map(|b| (b.action.as_str(), b.left, b.width, b.duration_ms)).collect();
        assert_eq!(shown, [("Fetch", 0.0, 10.0, 1_000), ("Compile", 10.0, 40.0, 4_000), ("Test", 50.0, 50.0, 5_000)]);
    }

    #[test]
    fn an_instant_action_still_shows_and_nothing_ran_shows_nothing() {
        let stages = vec![stage("Source", vec![action("Fetch", "Failed", 5_000, 5_000)])];
        let bars = bars(&stages, 9_000);
        assert_eq!((bars[0].left, bars[0].width), (0.0, MIN_WIDTH));
        assert!(super::bars(&[stage("Source", vec![])], 9_000).is_empty());
    }
}
