//! `/`: every pipeline, newest definition first in mind but listed by name (as ListPipelines does).
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_pipelines, pipeline_href, LatestRun, PipelineList};
use crate::time;

#[component]
pub fn PipelineListPage() -> impl IntoView {
    let pipelines = Resource::new(|| (), |_| list_pipelines());
    view! {
        <Title text="Pipelines"/>
        <div class="page-head">
            <div>
                <h1>"Pipelines"</h1>
                <p class="muted">"Every pipeline on this Sluice, in the shape CodePipeline uses."</p>
            </div>
            <Transition fallback=|| ()>
                {move || pipelines.get().and_then(Result::ok).filter(|list| list.can_create).map(|_| view! {
                    <a class="button primary" href="/new" data-testid="new-pipeline">"+ New pipeline"</a>
                })}
            </Transition>
        </div>
        <Suspense fallback=|| view! { <div class="card loading">"Loading pipelines\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match pipelines.await {
                    Ok(list) if list.pipelines.is_empty() => view! { <EmptyState can_create=list.can_create/> }.into_any(),
                    Ok(list) => view! { <PipelineTable list/> }.into_any(),
                    Err(err) => view! {
                        <div class="card notice bad" data-testid="load-error">
                            <h2>"Could not load the pipelines"</h2>
                            <p>{err.to_string()}</p>
                        </div>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EmptyState(can_create: bool) -> impl IntoView {
    view! {
        <div class="card empty" data-testid="empty-state">
            <div class="empty-art" aria-hidden="true">
                <span class="dot-stage"></span><span class="dot-line"></span>
                <span class="dot-stage"></span><span class="dot-line"></span>
                <span class="dot-stage"></span>
            </div>
            <h2>"No pipelines yet"</h2>
            <p class="muted">
                "Paste a pipeline definition (the JSON that "<code>"aws codepipeline get-pipeline"</code>
                " prints works as is) or create one with the AWS CLI pointed at this server."
            </p>
            {can_create.then(|| view! { <a class="button primary" href="/new" data-testid="empty-create">"Create your first pipeline"</a> })}
        </div>
    }
}

#[component]
fn PipelineTable(list: PipelineList) -> impl IntoView {
    let now = list.now_ms;
    let rows = list
        .pipelines
        .into_iter()
        .map(|row| {
            let href = pipeline_href(&row.name);
            let latest = row.latest.map(|latest| view! { <LatestCells latest href=href.clone() now/> });
            let name = row.name;
            view! {
                <tr data-testid="pipeline-row" data-name=name>
                    <td class="name-cell"><a href=href.clone()>{name.clone()}</a></td>
                    {match latest {
                        Some(cells) => cells.into_any(),
                        None => view! { <td class="muted" data-testid="latest-none">"Never ran"</td><td></td> }.into_any(),
                    }}
                    <td><span class="pill">{row.pipeline_type}</span></td>
                    <td class="mode">{mode_label(&row.execution_mode)}</td>
                    <td class="num">{row.version}</td>
                    <td title=time::utc(row.updated_ms)>{time::ago(now, row.updated_ms)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-card">
            <table class="table" data-testid="pipeline-table">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Latest run"</th>
                        <th>"Source revision"</th>
                        <th>"Type"</th>
                        <th>"Execution mode"</th>
                        <th class="num">"Version"</th>
                        <th>"Last updated"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The newest run's status and start, and the source revision it ran with its message.
#[component]
fn LatestCells(latest: LatestRun, href: String, now: i64) -> impl IntoView {
    let LatestRun { execution_id, status, started_ms, revision, message } = latest;
    let class = format!("pill status status-{}", status.to_lowercase());
    view! {
        <td data-testid="latest-run" data-status=status.clone()>
            <a href=format!("{href}?execution={execution_id}") class=class>{status.clone()}</a>
            <span class="muted small" title=time::utc(started_ms)>{format!(" {}", time::ago(now, started_ms))}</span>
        </td>
        <td class="revision-cell" data-testid="latest-revision">
            {revision.map(|r| view! { <code class="revision" title=r.clone()>{r.clone()}</code> })}
            {message.map(|m| view! { <div class="revision-message" data-testid="latest-message" title=m.clone()>{m.clone()}</div> })}
        </td>
    }
}

/// "SUPERSEDED" reads as shouting in a table; the wire value stays in the JSON.
fn mode_label(mode: &str) -> String {
    let mut label = mode.to_ascii_lowercase();
    if let Some(first) = label.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    label
}
