//! `/approvals/history`: every answer to a manual approval, newest first, filtered by pipeline,
//! approver and result. The filters are query parameters of a plain GET form.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::approvals::{approval_history, Decision, DecisionQuery};
use crate::api::pipeline_href;
use crate::time;

#[component]
pub fn ApprovalHistoryPage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        let q = query.read();
        let get = |key: &str| q.get(key).unwrap_or_default();
        DecisionQuery { pipeline: get("pipeline"), approver: get("approver"), result: get("result") }
    };
    let page = Resource::new(filters, approval_history);
    view! {
        <Title text="Approvals history"/>
        <div class="page-head">
            <div>
                <h1>"Approvals"</h1>
                <p class="muted">"Every answer to an approval, newest first."</p>
            </div>
            <nav class="tabs">
                <a href="/approvals" aria-selected="false">"Waiting"</a>
                <a href="/approvals/history" aria-selected="true">"History"</a>
            </nav>
        </div>
        <FilterForm current=filters()/>
        <Transition fallback=|| view! { <div class="card loading">"Loading the history\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <div class="card empty" data-testid="decisions-empty"><p>"No answer matches."</p></div>
                    }.into_any(),
                    Ok(page) => view! { <DecisionTable rows=page.rows now_ms=page.now_ms/> }.into_any(),
                    Err(err) => view! { <div class="card notice bad">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn FilterForm(current: DecisionQuery) -> impl IntoView {
    let result = current.result.clone();
    let option = move |value: &'static str, label: &'static str| view! { <option value=value selected=result == value>{label}</option> };
    view! {
        <form class="card history-filters" method="get" data-testid="decision-filters">
            <label>"Pipeline"<input type="search" name="pipeline" value=current.pipeline data-testid="filter-pipeline"/></label>
            <label>"Approver"<input type="search" name="approver" value=current.approver placeholder="user name" data-testid="filter-approver"/></label>
            <label>"Result"
                <select name="result" data-testid="filter-result">
                    {option("", "Any")}{option("Approved", "Approved")}{option("Rejected", "Rejected")}
                </select>
            </label>
            <button class="button primary" type="submit" data-testid="filter-apply">"Filter"</button>
        </form>
    }
}

#[component]
fn DecisionTable(rows: Vec<Decision>, now_ms: i64) -> impl IntoView {
    let body = rows
        .into_iter()
        .map(|d| {
            let run_href = format!("{}?execution={}", pipeline_href(&d.pipeline), d.execution_id);
            view! {
                <tr data-testid="decision-row" data-approver=d.approver.clone() data-result=d.result.clone()>
                    <td title=time::utc(d.decided_ms)>{time::ago(now_ms, d.decided_ms)}</td>
                    <td><a href=run_href>{d.pipeline.clone()}</a>" / "{d.stage.clone()}" / "{d.action.clone()}</td>
                    <td title=d.approver_arn.clone()>{d.approver.clone()}</td>
                    <td><span class=format!("pill status status-{}", d.result.to_lowercase())>{d.result.clone()}</span></td>
                    <td>{d.comment.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card">
            <table class="history" data-testid="decision-table">
                <thead><tr><th>"When"</th><th>"Approval"</th><th>"Approver"</th><th>"Result"</th><th>"Comment"</th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

/// An approval action's answers, for the execution view.
#[component]
pub fn DecisionList(decisions: Vec<Decision>, now_ms: i64) -> impl IntoView {
    let items = decisions
        .into_iter()
        .map(|d| {
            let comment = (!d.comment.is_empty()).then(|| format!(": \u{201c}{}\u{201d}", d.comment));
            view! {
                <li data-testid="approval-decision" data-approver=d.approver.clone()>
                    {format!("{} by {}", d.result, d.approver)}
                    <span class="muted" title=time::utc(d.decided_ms)>{format!(" {}", time::ago(now_ms, d.decided_ms))}</span>
                    {comment}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="approval-decisions" data-testid="approval-decisions">{items}</ul> }
}
