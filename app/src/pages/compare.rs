//! `/pipelines/:name/compare?a=ID&b=ID`: two executions side by side: status, trigger, start,
//! duration, pipeline version, source revisions, variables, and each action's status and
//! duration; when they ran different versions of the pipeline, what changed between them.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::pipeline_href;
use crate::api::runs::{load_run, RunView};
use crate::components::editor::versions::{version_changes, ChangeList};
use crate::time;

#[component]
pub fn ComparePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let id = move |key: &str| query.read().get(key).unwrap_or_default();
    let runs = Resource::new(
        move || (name(), id("a"), id("b")),
        |(name, a, b)| async move {
            let first = load_run(name.clone(), Some(a)).await?;
            let second = load_run(name.clone(), Some(b)).await?;
            let version = |run: &RunView| run.execution.as_ref().map(|e| e.pipeline_version);
            let changes = match (version(&first), version(&second)) {
                (Some(a), Some(b)) if a != b => Some((a, b, version_changes(name, a, b).await?)),
                _ => None,
            };
            Ok::<_, crate::api::AppError>((first, second, changes))
        },
    );
    view! {
        <Title text="Compare executions"/>
        <div class="page-head">
            <div>
                <p class="crumbs"><a href="/">"Pipelines"</a>" / "<a href=move || pipeline_href(&name())>{name}</a>" / "
                    <a href=move || format!("{}/history", pipeline_href(&name()))>"History"</a>" /"</p>
                <h1>"Compare executions"</h1>
            </div>
        </div>
        <Suspense fallback=|| view! { <div class="card loading">"Loading\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Ok((a, b, changes)) => view! {
                        <Comparison a b/>
                        {changes.map(|(from, to, changes)| view! {
                            <section class="card" data-testid="compare-versions">
                                <h2>{format!("What changed from version {from} to {to}")}</h2>
                                <ChangeList changes/>
                            </section>
                        })}
                    }.into_any(),
                    Err(err) => view! { <div class="card notice bad" data-testid="compare-error">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One row per fact, one column per execution; rows that differ are marked.
#[component]
fn Comparison(a: RunView, b: RunView) -> impl IntoView {
    let facts = |run: &RunView| -> Vec<(String, String)> {
        let mut facts = Vec::new();
        if let Some(e) = &run.execution {
            facts.push(("Execution".to_owned(), e.id.clone()));
            facts.push(("Status".to_owned(), e.status.clone()));
            facts.push(("Trigger".to_owned(), e.trigger.clone()));
            facts.push(("Started".to_owned(), time::utc(e.started_ms)));
            facts.push(("Duration".to_owned(), time::seconds(e.updated_ms - e.started_ms)));
            facts.push(("Pipeline version".to_owned(), e.pipeline_version.to_string()));
            let pairs = |items: &[(String, String)]| {
                items.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
            };
            facts.push(("Source revisions".to_owned(), pairs(&run.revisions)));
            facts.push(("Variables".to_owned(), pairs(&e.variables)));
        }
        for stage in &run.stages {
            for action in &stage.actions {
                let shown = action
                    .attempt
                    .as_ref()
                    .map(|t| format!("{} \u{b7} {}", t.status, time::seconds(t.updated_ms - t.started_ms)))
                    .unwrap_or_else(|| "did not run".to_owned());
                facts.push((format!("{} / {}", stage.name, action.name), shown));
            }
        }
        facts
    };
    let (left, right) = (facts(&a), facts(&b));
    let mut labels: Vec<String> = left.iter().map(|(k, _)| k.clone()).collect();
    for (k, _) in &right {
        if !labels.contains(k) {
            labels.push(k.clone());
        }
    }
    let value = |facts: &[(String, String)], label: &str| {
        facts.iter().find(|(k, _)| k == label).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let rows = labels
        .into_iter()
        .map(|label| {
            let (l, r) = (value(&left, &label), value(&right, &label));
            let differs = l != r;
            view! {
                <tr class:differs=differs data-testid="compare-row" data-label=label.clone()>
                    <th>{label.clone()}</th><td>{l}</td><td>{r}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="card history compare" data-testid="compare-table">
            <thead><tr><th></th><th>"A"</th><th>"B"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
