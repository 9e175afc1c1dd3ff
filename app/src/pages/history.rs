//! `/pipelines/:name/history`: the run history, newest first, with filters (status, trigger, date
//! range, text) and pages of 50, a duration/outcome chart of the rows shown, each run's stages as
//! coloured dots, and a form to compare two executions. Filters and pages are query parameters of a plain GET form, so they work
//! without JavaScript and can be shared.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::history::{load_history, HistoryQuery, HistoryRow};
use crate::api::{pipeline_href, query_string};
use crate::time;

mod chart;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let filters = move || {
        let q = query.read();
        let get = |key: &str| q.get(key).unwrap_or_default();
        HistoryQuery {
            status: get("status"),
            trigger: get("trigger"),
            from: get("from"),
            to: get("to"),
            text: get("text"),
            before: q.get("before").and_then(|b| b.parse().ok()),
        }
    };
    let page = Resource::new(move || (name(), filters()), |(name, filters)| load_history(name, filters));

    view! {
        <Title text=move || format!("History of {}", name())/>
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/">"Pipelines"</a>" / "<a href=move || pipeline_href(&name())>{name}</a>" /"</p>
                <h1>"Run history"</h1>
            </div>
        </div>
        <FilterForm current=Signal::derive(filters)/>
        <Transition fallback=|| view! { <div class="card loading">"Loading the history\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <div class="card empty" data-testid="history-empty"><p>"No execution matches."</p></div>
                    }.into_any(),
                    Ok(page) => {
                        let older = page.older.map(|seq| older_href(&filters(), seq));
                        view! {
                            <chart::DurationChart pipeline=name() rows=page.rows.clone()/>
                            <StageDurations rows=page.rows.clone()/>
                            <HistoryTable pipeline=name() rows=page.rows now_ms=page.now_ms/>
                            {older.map(|href| view! { <a class="button" href=href data-testid="history-older">"Older executions"</a> })}
                        }.into_any()
                    }
                    Err(err) => view! { <div class="card notice bad" data-testid="history-error">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The same filters, one page further back.
fn older_href(filters: &HistoryQuery, before: i64) -> String {
    let before = before.to_string();
    let pairs = [
        ("status", filters.status.as_str()),
        ("trigger", &filters.trigger),
        ("from", &filters.from),
        ("to", &filters.to),
        ("text", &filters.text),
        ("before", &before),
    ];
    format!("?{}", query_string(&pairs))
}

#[component]
fn FilterForm(current: Signal<HistoryQuery>) -> impl IntoView {
    let q = current.get_untracked();
    let options = |all: Vec<&'static str>, chosen: &str| {
        let chosen = chosen.to_owned();
        std::iter::once(view! { <option value="" selected=chosen.is_empty()>"Any"</option> })
            .chain(all.into_iter().map(|v| view! { <option value=v selected={v == chosen}>{v}</option> }))
            .collect_view()
    };
    let statuses = model::PipelineExecutionStatus::ALL.iter().map(|s| s.as_str()).collect();
    let triggers = model::TriggerType::ALL.iter().map(|t| t.as_str()).collect();
    view! {
        <form class="card history-filters" method="get" data-testid="history-filters">
            <label>"Status"<select name="status" data-testid="filter-status">{options(statuses, &q.status)}</select></label>
            <label>"Trigger"<select name="trigger" data-testid="filter-trigger">{options(triggers, &q.trigger)}</select></label>
            <label>"From"<input type="date" name="from" value=q.from.clone() data-testid="filter-from"/></label>
            <label>"To"<input type="date" name="to" value=q.to.clone() data-testid="filter-to"/></label>
            <label>"Text"<input type="search" name="text" value=q.text.clone() placeholder="id, revision, reason\u{2026}" data-testid="filter-text"/></label>
            <button class="button primary" type="submit" data-testid="filter-apply">"Filter"</button>
        </form>
    }
}

/// How long one stage took over the runs listed.
#[derive(Debug, Clone, PartialEq)]
struct StageTimes {
    stage: String,
    median_ms: i64,
    /// In the newest run that entered the stage.
    last_ms: i64,
    runs: usize,
}

/// Per stage (in the order the newest runs entered them), the median and the last duration.
fn stage_times(rows: &[HistoryRow]) -> Vec<StageTimes> {
    let mut names: Vec<&str> = Vec::new();
    for stage in rows.iter().flat_map(|row| &row.stages) {
        if !names.contains(&stage.name.as_str()) {
            names.push(&stage.name);
        }
    }
    names
        .into_iter()
        .map(|stage| {
            // Rows are newest first, so the first duration is the last run's.
            let durations: Vec<i64> = rows
                .iter()
                .flat_map(|row| row.stages.iter().filter(|s| s.name == stage).map(|s| s.duration_ms))
                .collect();
            let mut sorted = durations.clone();
            sorted.sort_unstable();
            let middle = sorted.len() / 2;
            let median_ms =
                if sorted.len().is_multiple_of(2) { (sorted[middle - 1] + sorted[middle]) / 2 } else { sorted[middle] };
            StageTimes { stage: stage.to_owned(), median_ms, last_ms: durations[0], runs: durations.len() }
        })
        .collect()
}

/// Median and last duration per stage, with bars on a common scale.
#[component]
fn StageDurations(rows: Vec<HistoryRow>) -> impl IntoView {
    let times = stage_times(&rows);
    let longest = times.iter().map(|t| t.median_ms.max(t.last_ms)).max().unwrap_or(1).max(1);
    let bar = move |ms: i64, class: &'static str| {
        view! { <span class=format!("stage-bar {class}") style=format!("width: {:.1}%", ms as f64 * 100.0 / longest as f64)></span> }
    };
    let body = times
        .into_iter()
        .map(|t| {
            view! {
                <tr data-testid="stage-times" data-stage=t.stage.clone()>
                    <th>{t.stage.clone()}</th>
                    <td data-testid="stage-median">{time::seconds(t.median_ms)}</td>
                    <td data-testid="stage-last">{time::seconds(t.last_ms)}</td>
                    <td>{t.runs}</td>
                    <td class="stage-bars">{bar(t.median_ms, "median")}{bar(t.last_ms, "last")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-label="Stage durations">
            <table class="history stage-durations" data-testid="stage-durations">
                <thead><tr><th>"Stage"</th><th>"Median"</th><th>"Last"</th><th>"Runs"</th><th></th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        </section>
    }
}

#[component]
fn HistoryTable(pipeline: String, rows: Vec<HistoryRow>, now_ms: i64) -> impl IntoView {
    let base = pipeline_href(&pipeline);
    let compare_action = format!("{base}/compare");
    let body = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let href = format!("{base}?execution={}", row.id);
            let outcome = row.outcome().to_owned();
            let class = format!("pill status status-{}", outcome.to_lowercase());
            let status_title = if row.rejected { "Failed: an approval was rejected" } else { "" };
            let dots = row
                .stages
                .iter()
                .map(|s| {
                    let title = format!("{}: {} \u{b7} {}", s.name, s.status, time::seconds(s.duration_ms));
                    view! { <span class=format!("stage-dot status-{}", s.status.to_lowercase()) title=title
                        data-testid="stage-dot" data-stage=s.name.clone() data-status=s.status.clone()></span> }
                })
                .collect_view();
            let revisions = row
                .revisions
                .iter()
                .map(|(action, revision)| view! { <div><span class="muted">{format!("{action}: ")}</span><code>{revision.clone()}</code></div> })
                .collect_view();
            view! {
                <tr data-testid="history-row" data-execution=row.id.clone() data-status=row.status.clone() data-outcome=outcome.clone()>
                    <td><input type="radio" name="a" value=row.id.clone() checked=i == 1 aria-label="Compare: first"/></td>
                    <td><input type="radio" name="b" value=row.id.clone() checked=i == 0 aria-label="Compare: second"/></td>
                    <td><a href=href><code>{row.id[..8.min(row.id.len())].to_owned()}</code></a></td>
                    <td><span class=class title=status_title>{outcome.clone()}</span></td>
                    <td class="stage-dots">{dots}</td>
                    <td title=row.trigger_detail.clone()>{row.trigger.clone()}</td>
                    <td class="revisions" data-testid="history-revisions">{revisions}</td>
                    <td title=time::utc(row.started_ms)>{time::ago(now_ms, row.started_ms)}</td>
                    <td data-testid="history-duration" data-ms=row.duration_ms>{time::seconds(row.duration_ms)}</td>
                    <td>{row.stop_reason.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <form class="card" method="get" action=compare_action>
            <table class="history" data-testid="history-table">
                <thead><tr><th>"A"</th><th>"B"</th><th>"Execution"</th><th>"Status"</th><th>"Stages"</th><th>"Trigger"</th><th>"Revisions"</th><th>"Started"</th><th>"Duration"</th><th>"Stop reason"</th></tr></thead>
                <tbody>{body}</tbody>
            </table>
            <button class="button" type="submit" data-testid="compare-button">"Compare A and B"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::history::StageDot;

    fn row(stages: &[(&str, i64)]) -> HistoryRow {
        let dot = |(name, duration_ms): &(&str, i64)| StageDot {
            name: name.to_string(),
            status: "Succeeded".into(),
            duration_ms: *duration_ms,
        };
        HistoryRow {
            id: "e".into(),
            seq: 1,
            status: "Succeeded".into(),
            trigger: "StartPipelineExecution".into(),
            trigger_detail: String::new(),
            revisions: Vec::new(),
            started_ms: 0,
            duration_ms: 0,
            stop_reason: None,
            stages: stages.iter().map(dot).collect(),
            rejected: false,
        }
    }

    #[test]
    fn stage_times_take_the_median_and_the_newest_run() {
        // Newest first; the oldest run never reached Deploy.
        let rows = [
            row(&[("Source", 100), ("Build", 4_000), ("Deploy", 900)]),
            row(&[("Source", 300), ("Build", 2_000), ("Deploy", 500)]),
            row(&[("Source", 200), ("Build", 9_000)]),
        ];
        let shown: Vec<(String, i64, i64, usize)> =
            stage_times(&rows).into_iter().map(|t| (t.stage, t.median_ms, t.last_ms, t.runs)).collect();
        assert_eq!(
            shown,
            [("Source".into(), 200, 100, 3), ("Build".into(), 4_000, 4_000, 3), ("Deploy".into(), 700, 900, 2)]
        );
    }
}
