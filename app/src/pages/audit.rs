//! `/audit`: who did what, newest first, with filters; the trail itself is in the store.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::api::AppError;
use crate::time;

/// One call in the trail, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub event_ms: i64,
    pub user_arn: String,
    pub operation: String,
    /// The pipeline (or other resource) the call named, when it named one.
    pub target: String,
    pub outcome: String,
    pub error_code: String,
    pub source_ip: String,
}

/// Matching records, newest first (at most 500). Needs `sluice:ListAuditRecords`.
#[server]
pub async fn list_audit(user: String, operation: String, outcome: String) -> Result<Vec<AuditRow>, AppError> {
    use engine::audit::AuditFilter;
    crate::auth::authorize("sluice:ListAuditRecords", "*")?;
    let engine =
        use_context::<engine::Engine>().ok_or_else(|| AppError::Server("the Sluice engine is not available".into()))?;
    let given = |text: String| (!text.trim().is_empty()).then(|| text.trim().to_owned());
    let filter = AuditFilter {
        user_arn: given(user),
        event_name: given(operation),
        outcome: given(outcome),
        limit: Some(500),
        ..Default::default()
    };
    let records = engine.audit().list(&filter).await.map_err(|err| {
        leptos::logging::error!("store error: {err}");
        AppError::Server("The database could not complete the request; see the server log.".into())
    })?;
    Ok(records
        .into_iter()
        .map(|record| {
            let event: serde_json::Value = serde_json::from_str(&record.record).unwrap_or_default();
            let parameters = &event["requestParameters"];
            let target = ["name", "pipelineName", "resourceArn"]
                .iter()
                .find_map(|key| parameters[key].as_str())
                .or_else(|| parameters["pipeline"]["name"].as_str())
                .unwrap_or_default();
            AuditRow {
                event_ms: record.event_ms,
                user_arn: record.user_arn,
                operation: record.event_name,
                target: target.to_owned(),
                outcome: record.outcome,
                error_code: event["errorCode"].as_str().unwrap_or_default().to_owned(),
                source_ip: event["sourceIPAddress"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect())
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |name: &'static str| query.with(|q| q.get(name).unwrap_or_default());
    let rows =
        Resource::new(move || (field("user"), field("operation"), field("outcome")), |(u, o, r)| list_audit(u, o, r));
    view! {
        <Title text="Audit trail"/>
        <div class="page-head">
            <div>
                <h1>"Audit trail"</h1>
                <p class="muted">"Every API call and change, newest first. The records are hash-chained: "<code>"sluice audit verify"</code>" checks them."</p>
            </div>
            <a class="button" href="/audit/export" rel="external" data-testid="audit-export">"Export JSON lines"</a>
        </div>
        <form class="card audit-filters" method="get" action="/audit">
            <input name="user" placeholder="User ARN" value=move || field("user") aria-label="User ARN"/>
            <input name="operation" placeholder="Operation" value=move || field("operation") aria-label="Operation"/>
            <select name="outcome" aria-label="Outcome">
                <option value="" selected=move || field("outcome").is_empty()>"Any outcome"</option>
                <option value="Success" selected=move || field("outcome") == "Success">"Success"</option>
                <option value="Failure" selected=move || field("outcome") == "Failure">"Failure"</option>
            </select>
            <button type="submit" class="button">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <div class="card loading">"Loading the trail\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(rows) => view! { <AuditTable rows/> }.into_any(),
                    Err(err) => view! {
                        <div class="card notice bad" data-testid="audit-error"><p>{err.to_string()}</p></div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditTable(rows: Vec<AuditRow>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|row| {
            let outcome =
                if row.error_code.is_empty() { row.outcome } else { format!("{} ({})", row.outcome, row.error_code) };
            view! {
                <tr data-testid="audit-row">
                    <td title=time::utc(row.event_ms)>{time::utc(row.event_ms)}</td>
                    <td data-testid="audit-user">{row.user_arn}</td>
                    <td data-testid="audit-operation">{row.operation}</td>
                    <td>{row.target}</td>
                    <td>{outcome}</td>
                    <td>{row.source_ip}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-card">
            <table class="table" data-testid="audit-table">
                <thead><tr><th>"Time"</th><th>"User"</th><th>"Operation"</th><th>"Resource"</th><th>"Outcome"</th><th>"Source IP"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
