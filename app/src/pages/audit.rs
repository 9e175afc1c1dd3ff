//! `/audit`: who did what, newest first, a page at a time, with filters (a user by name or ARN,
//! an operation, an outcome); reads (`Get*`, `List*`) are left out unless asked for. The filters
//! and pages are a plain GET form and links, so they work without JavaScript and can be shared.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::api::AppError;
use crate::time;

/// Records per page.
#[cfg(feature = "ssr")]
const PAGE: i64 = 100;

/// What the page's form and links ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// A user name, or a full user ARN.
    pub user: String,
    pub operation: String,
    pub outcome: String,
    /// Include reads.
    pub reads: bool,
    /// Records older than this one (the "Older" link).
    pub before: Option<i64>,
}

/// A page of the trail, and where the next (older) one starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub older: Option<i64>,
}

/// One call in the trail, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub event_ms: i64,
    pub user_arn: String,
    pub operation: String,
    /// The pipeline (or other resource) the call named, when it named one.
    pub target: String,
    pub outcome: String,
    pub error_code: String,
    pub source_ip: String,
}

/// A page of matching records, newest first. Needs `sluice:ListAuditRecords`.
#[server(output = crate::api::codec::Json)]
pub async fn list_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    use crate::api::ssr::{engine, store_error, user_arn};
    use engine::audit::AuditFilter;
    crate::auth::authorize("sluice:ListAuditRecords", "*")?;
    let engine = engine()?;
    let given = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
    let filter = AuditFilter {
        user_arn: given(&query.user).map(|who| user_arn(&engine, who)),
        event_name: given(&query.operation),
        outcome: given(&query.outcome),
        limit: Some(PAGE + 1),
        before_seq: query.before,
        writes_only: !query.reads,
        ..Default::default()
    };
    let mut records = engine.audit().list(&filter).await.map_err(store_error)?;
    let older = (records.len() as i64 > PAGE).then(|| {
        records.truncate(PAGE as usize);
        records.last().map(|r| r.seq)
    });
    let rows = records
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
                seq: record.seq,
                event_ms: record.event_ms,
                user_arn: record.user_arn,
                operation: record.event_name,
                target: target.to_owned(),
                outcome: record.outcome,
                error_code: event["errorCode"].as_str().unwrap_or_default().to_owned(),
                source_ip: event["sourceIPAddress"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect();
    Ok(AuditPage { rows, older: older.flatten() })
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        query.with(|q| {
            let get = |key: &str| q.get(key).unwrap_or_default();
            AuditQuery {
                user: get("user"),
                operation: get("operation"),
                outcome: get("outcome"),
                reads: !get("reads").is_empty(),
                before: q.get("before").and_then(|b| b.parse().ok()),
            }
        })
    };
    let page = Resource::new(asked, list_audit);
    let q = asked();
    view! {
        <Title text="Audit trail"/>
        <div class="page-head">
            <div>
                <h1>"Audit trail"</h1>
                <p class="muted">"Every API call and change, newest first. The records are hash-chained: "<code>"sluice audit verify"</code>" checks them."</p>
            </div>
            <a class="button" href="/audit/export" rel="external" data-testid="audit-export">"Export JSON lines"</a>
        </div>
        <form class="card audit-filters" method="get" action="/audit" data-testid="audit-filters">
            <input name="user" placeholder="User name or ARN" value=q.user.clone() aria-label="User" data-testid="audit-user-filter"/>
            <input name="operation" placeholder="Operation" value=q.operation.clone() aria-label="Operation"/>
            <select name="outcome" aria-label="Outcome">
                <option value="" selected=q.outcome.is_empty()>"Any outcome"</option>
                <option value="Success" selected=q.outcome == "Success">"Success"</option>
                <option value="Failure" selected=q.outcome == "Failure">"Failure"</option>
            </select>
            <label class="check"><input type="checkbox" name="reads" value="1" checked=q.reads data-testid="audit-reads"/>"Show reads (Get, List)"</label>
            <button type="submit" class="button" data-testid="audit-apply">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <div class="card loading">"Loading the trail\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let older = page.older.map(|seq| older_href(&asked(), seq));
                        view! {
                            <AuditTable rows=page.rows/>
                            {older.map(|href| view! { <a class="button" href=href data-testid="audit-older">"Older records"</a> })}
                        }.into_any()
                    }
                    Err(err) => view! {
                        <div class="card notice bad" data-testid="audit-error"><p>{err.to_string()}</p></div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The same filters, one page further back.
fn older_href(query: &AuditQuery, before: i64) -> String {
    let before = before.to_string();
    let pairs = [
        ("user", query.user.as_str()),
        ("operation", &query.operation),
        ("outcome", &query.outcome),
        ("reads", if query.reads { "1" } else { "" }),
        ("before", &before),
    ];
    format!("/audit?{}", crate::api::query_string(&pairs))
}

/// On a phone each row stacks into a card, its cells labelled from `data-label` (the header
/// row is hidden there), so the trail reads without scrolling sideways.
#[component]
fn AuditTable(rows: Vec<AuditRow>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|row| {
            let outcome =
                if row.error_code.is_empty() { row.outcome } else { format!("{} ({})", row.outcome, row.error_code) };
            view! {
                <tr data-testid="audit-row" data-seq=row.seq>
                    <td data-label="Time" title=time::utc(row.event_ms)>{time::utc(row.event_ms)}</td>
                    <td data-label="User" data-testid="audit-user">{row.user_arn}</td>
                    <td data-label="Operation" data-testid="audit-operation">{row.operation}</td>
                    <td data-label="Resource">{row.target}</td>
                    <td data-label="Outcome">{outcome}</td>
                    <td data-label="Source IP">{row.source_ip}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-card">
            <table class="table stack-on-phone" data-testid="audit-table">
                <thead><tr><th>"Time"</th><th>"User"</th><th>"Operation"</th><th>"Resource"</th><th>"Outcome"</th><th>"Source IP"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
