//! The history's duration chart: one bar per run (oldest left), as tall as the run took, coloured
//! by outcome, on a time axis with round ticks; a bar links to its run. An SVG drawn in a fixed
//! coordinate space and scaled to the card's width by CSS.
use leptos::prelude::*;

use crate::api::history::HistoryRow;
use crate::api::pipeline_href;
use crate::time;

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 240.0;
/// Room for the duration labels on the left and the run labels below.
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 36.0;
const TOP: f64 = 12.0;
const RIGHT: f64 = 12.0;
/// At most this many runs get a label under their bar, so labels never overlap.
const X_LABELS: usize = 12;

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
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let y = move |ms: i64| TOP + plot_h - ms as f64 * plot_h / top as f64;
    let ticks = (0..=top / step)
        .map(|i| {
            let ms = i * step;
            view! {
                <line class="grid" x1=LEFT x2=WIDTH - RIGHT y1=y(ms) y2=y(ms)></line>
                <text class="axis-label" data-testid="chart-y-tick" x=LEFT - 6.0 y=y(ms) + 4.0 text-anchor="end">{time::compact(ms)}</text>
            }
        })
        .collect_view();
    let count = rows.len().max(1);
    let slot = plot_w / count as f64;
    let bar_w = (slot * 0.7).min(40.0);
    let every = count.div_ceil(X_LABELS);
    let base = pipeline_href(&pipeline);
    let bars = rows
        .iter()
        .rev()
        .enumerate()
        .map(|(i, row)| {
            let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            let h = (row.duration_ms as f64 * plot_h / top as f64).max(2.0);
            let short = row.id[..8.min(row.id.len())].to_owned();
            let label = format!("{short} \u{b7} {} \u{b7} {}", row.outcome(), time::seconds(row.duration_ms));
            let outcome = row.outcome().to_owned();
            view! {
                <a href=format!("{base}?execution={}", row.id)>
                    <rect x=x y=TOP + plot_h - h width=bar_w height=h class=format!("bar status-{}", outcome.to_lowercase())
                        data-testid="chart-bar" data-outcome=outcome>
                        <title>{label}</title>
                    </rect>
                </a>
                {(i % every == 0).then(|| view! {
                    <text class="axis-label" x=x + bar_w / 2.0 y=HEIGHT - BOTTOM + 16.0 text-anchor="middle">{short[..5.min(short.len())].to_owned()}</text>
                })}
            }
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
            <svg class="history-chart" data-testid="history-chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
                aria-label="How long each run took, oldest left">
                {ticks}
                <line class="axis" x1=LEFT x2=LEFT y1=TOP y2=TOP + plot_h></line>
                <line class="axis" x1=LEFT x2=WIDTH - RIGHT y1=TOP + plot_h y2=TOP + plot_h></line>
                {bars}
                <text class="axis-title" x=LEFT + plot_w / 2.0 y=HEIGHT - 4.0 text-anchor="middle">"Runs, oldest to newest"</text>
            </svg>
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
