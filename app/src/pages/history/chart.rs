//! The history's duration chart: one bar per run (oldest left), as tall as the run took, coloured
//! by outcome, on a time axis with round ticks; a bar links to its run. Drawn with HTML boxes
//! placed in percent, so the bars share any width while the labels keep their size (an SVG scaled
//! to a phone's width shrank its text to 4 px).
use leptos::prelude::*;

use crate::api::history::HistoryRow;
use crate::api::pipeline_href;
use crate::time;

/// At most this many runs get a label under their bar, so labels never overlap.
const X_LABELS: usize = 8;

/// Tick spacings a reader counts in, shortest first.
const STEPS_MS: [i64; 20] = [
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
    3_600_000, 7_200_000, 14_400_000, 43_200_000, 86_400_000,
];

/// The round tick spacing that covers `longest` in at most five steps, and the axis's top.
fn scale(longest_ms: i64) -> (i64, i64) {
    let longest = longest_ms.max(1);
    let step = STEPS_MS.iter().copied().find(|step| longest <= step * 5).unwrap_or_else(|| {
        let day = STEPS_MS[STEPS_MS.len() - 1];
        day * ((longest + 5 * day - 1) / (5 * day))
    });
    (step, step * ((longest + step - 1) / step))
}

#[component]
pub fn DurationChart(pipeline: String, rows: Vec<HistoryRow>) -> impl IntoView {
    let (step, top) = scale(rows.iter().map(|r| r.duration_ms).max().unwrap_or(0));
    let percent = move |ms: i64| ms as f64 * 100.0 / top as f64;
    let ticks = (0..=top / step)
        .map(|i| {
            let at = format!("bottom: {:.2}%", percent(i * step));
            view! { <span class="axis-label" data-testid="chart-y-tick" style=at>{time::compact(i * step)}</span> }
        })
        .collect_view();
    let grid = (1..=top / step)
        .map(|i| view! { <span class="grid" style=format!("bottom: {:.2}%", percent(i * step))></span> })
        .collect_view();
    let slot = 100.0 / rows.len().max(1) as f64;
    let every = rows.len().div_ceil(X_LABELS).max(1);
    let base = pipeline_href(&pipeline);
    let oldest_first = || rows.iter().rev().enumerate();
    let bars = oldest_first()
        .map(|(i, row)| {
            let short = &row.id[..8.min(row.id.len())];
            let label = format!("{short} \u{b7} {} \u{b7} {}", row.outcome(), time::seconds(row.duration_ms));
            let style = format!(
                "left: {:.2}%; width: {:.2}%; height: {:.2}%",
                slot * (i as f64 + 0.2),
                slot * 0.6,
                percent(row.duration_ms)
            );
            let outcome = row.outcome().to_owned();
            view! {
                <a class=format!("bar status-{}", outcome.to_lowercase()) href=format!("{base}?execution={}", row.id)
                    style=style title=label.clone() aria-label=label data-testid="chart-bar" data-outcome=outcome></a>
            }
        })
        .collect_view();
    let runs = oldest_first()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, row)| {
            let style = format!("left: {:.2}%; width: {slot:.2}%", slot * i as f64);
            view! { <span class="axis-label" style=style>{row.id[..5.min(row.id.len())].to_owned()}</span> }
        })
        .collect_view();
    let mut outcomes: Vec<String> = rows.iter().map(|r| r.outcome().to_owned()).collect();
    outcomes.sort();
    outcomes.dedup();
    let legend = outcomes
        .into_iter()
        .map(|o| view! { <span class="legend-item"><span class=format!("swatch status-{}", o.to_lowercase())></span>{o}</span> })
        .collect_view();
    view! {
        <section class="card" aria-label="Duration and outcome">
            <h2>"Duration and outcome"</h2>
            <div class="history-chart" data-testid="history-chart">
                <div class="chart-y">{ticks}</div>
                <div class="chart-plot">{grid}{bars}</div>
                <div class="chart-x">{runs}</div>
                <p class="chart-caption muted small">"Runs, oldest to newest"</p>
            </div>
            <p class="legend" data-testid="chart-legend">{legend}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::scale;

    #[test]
    fn ticks_are_round_and_cover_the_longest_run() {
        assert_eq!(scale(0), (100, 100));
        assert_eq!(scale(4_200), (1_000, 5_000));
        assert_eq!(scale(11_000), (5_000, 15_000));
        assert_eq!(scale(95_000), (30_000, 120_000));
        assert_eq!(scale(10 * 86_400_000), (2 * 86_400_000, 10 * 86_400_000));
    }
}
