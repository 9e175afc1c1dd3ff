//! `/pipelines/:name/executions/:execution/logs/:action`: one action attempt's whole log, the
//! width and height of the window, with line numbers (each a link, `#L12`), a search that keeps
//! only the matching lines, following while the action runs, and the raw text to read or download.
//! Everything here is live, so the browser draws it after hydration (`ClientOnly`).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::logs::{load_log_subject, raw_log_href, LogSubject};
use crate::api::pipeline_href;
use crate::components::client_only::ClientOnly;
use crate::live::{live_log, live_ticks};
use crate::pages::run::action_anchor;
use crate::time;

/// The scrolling box of lines (one per page).
const VIEW: &str = "[data-testid=\"log-view\"]";

#[component]
pub fn LogPage() -> impl IntoView {
    let params = use_params_map();
    let param = move |key: &str| params.read().get(key).unwrap_or_default();
    // Drawn anew when the address names another attempt: its stream is another one.
    move || {
        let (pipeline, execution, action) = (param("name"), param("execution"), param("action"));
        view! { <ClientOnly fallback=|| view! { <div class="card loading">"Loading the log\u{2026}"</div> }>
            <LogBody pipeline=pipeline.clone() execution=execution.clone() action=action.clone()/>
        </ClientOnly> }
    }
}

#[component]
fn LogBody(pipeline: String, execution: String, action: String) -> impl IntoView {
    let lines = live_log(format!("/api/v1/action-executions/{action}/log/events"));
    // The attempt's status changes with the pipeline's events; the lines stream on their own.
    let ticks = live_ticks(format!("/api/v1{}/events", pipeline_href(&pipeline)));
    let subject = {
        let (pipeline, execution, action) = (pipeline.clone(), execution.clone(), action.clone());
        LocalResource::new(move || {
            ticks.track();
            load_log_subject(pipeline.clone(), execution.clone(), action.clone())
        })
    };
    let raw = raw_log_href(&action);
    let head = move || {
        Suspend::new(async move {
            match subject.await {
                Ok(subject) => view! { <LogHead subject/> }.into_any(),
                Err(err) => {
                    view! { <div class="notice bad" data-testid="log-error">{err.to_string()}</div> }.into_any()
                }
            }
        })
    };
    view! {
        <section class="log-page" data-testid="log-page">
            <Transition fallback=|| view! { <div class="loading">"Loading\u{2026}"</div> }>{head}</Transition>
            <LogLines lines raw download=format!("{action}.log")/>
        </section>
    }
}

/// A log's lines with a search that keeps only the matching ones, following while lines come,
/// and links to the raw text (`raw`) to read or download (as `download`).
#[component]
pub fn LogLines(lines: ReadSignal<Vec<(i64, String)>>, raw: String, download: String) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let follow = RwSignal::new(true);
    let shown = Memo::new(move |_| {
        let wanted = search.get().to_lowercase();
        lines.with(|all| {
            all.iter().filter(|(_, text)| wanted.is_empty() || text.to_lowercase().contains(&wanted)).cloned().collect()
        })
    });
    Effect::new(move |_| {
        shown.track();
        if follow.get() {
            if let Some(view) = document().query_selector(VIEW).ok().flatten() {
                view.set_scroll_top(view.scroll_height());
            }
        }
    });
    // Scrolling up to read stops following; scrolling back to the end follows again.
    let on_scroll = move |_| {
        if let Some(view) = document().query_selector(VIEW).ok().flatten() {
            follow.set(view.scroll_top() + view.client_height() >= view.scroll_height() - 4);
        }
    };
    let count = move || {
        let (total, matching) = (lines.with(Vec::len), shown.with(Vec::len));
        if search.with(String::is_empty) {
            format!("{total} lines")
        } else {
            format!("{matching} of {total} lines match")
        }
    };
    view! {
            <div class="log-toolbar">
                <input type="search" placeholder="Search the log" aria-label="Search the log" data-testid="log-search" bind:value=search/>
                <span class="muted small" data-testid="log-count">{count}</span>
                <label class="log-follow"><input type="checkbox" data-testid="log-follow" bind:checked=follow/>"Follow"</label>
                <a class="button" href=raw.clone() download=download rel="external" data-testid="log-download">"Download"</a>
                <a class="button" href=raw rel="external" target="_blank" data-testid="log-raw">"Raw text"</a>
            </div>
            <div class="log-view" data-testid="log-view" on:scroll=on_scroll>
                <For
                    each=move || shown.get()
                    key=|(n, _)| *n
                    children=|(n, text)| {
                        // Sluice's own lines (which command runs, why it stopped) read apart from the output.
                        let own = text.starts_with("[Sluice]");
                        view! {
                        <div class="log-row" class:own=own id=format!("L{n}") data-testid="log-line" data-line=n>
                            <a class="log-n" href=format!("#L{n}") aria-label=format!("line {n}")>{n}</a>
                            <span class="log-text">{text}</span>
                        </div>
                        }
                    }
                />
            </div>
    }
}

/// Whose log it is and where the attempt stands.
#[component]
fn LogHead(subject: LogSubject) -> impl IntoView {
    let running = subject.running();
    let LogSubject { now_ms, pipeline, execution_id, stage, action, status, started_ms, updated_ms } = subject;
    let base = pipeline_href(&pipeline);
    let run_href = format!("{base}?execution={execution_id}");
    let back = format!("{run_href}#{}", action_anchor(&stage, &action));
    let title = format!("{stage} \u{203a} {action}");
    let timing = if running {
        format!("started {}", time::ago(now_ms, started_ms))
    } else {
        format!("{} \u{b7} took {}", time::utc(updated_ms), time::seconds(updated_ms - started_ms))
    };
    view! {
        <Title text=format!("Log of {title}")/>
        <div class="page-head">
            <div>
                <p class="crumbs">
                    <a href="/">"Pipelines"</a>" / "<a href=base>{pipeline}</a>" / "
                    <a href=run_href>{format!("Execution {}", &execution_id[..8.min(execution_id.len())])}</a>" /"
                </p>
                <h1 data-testid="log-title">{title}</h1>
            </div>
            <div class="head-actions">
                <span class=format!("pill status status-{}", status.to_lowercase()) data-testid="log-status">{status.clone()}</span>
                <span class="muted small" title=time::utc(started_ms)>{timing}</span>
                <a href=back data-testid="log-back">"Back to the run"</a>
            </div>
        </div>
    }
}
