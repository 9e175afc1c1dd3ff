//! `/approvals`: every manual approval waiting for an answer, across all pipelines, live; approve
//! or reject each with a comment. `?order=newest` lists the newest requests first. An action that
//! needs several approvers shows how many it has; Approve is hidden from whoever may not approve.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::collections::HashMap;

use crate::api::pipeline_href;
use crate::api::runs::{answer_approval, approval_inbox, InboxItem};
use crate::components::client_only::ClientOnly;
use crate::components::confirm::ConfirmButton;
use crate::components::link::ExternalLink;
use crate::live::{live_ticks, APPROVAL_EVENTS};
use crate::time;

/// Asked before a rejection: it fails the stage, and so the execution.
pub const REJECT_QUESTION: &str = "Reject? The stage fails and the execution stops there.";

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let query = use_query_map();
    let newest_first = move || query.read().get("order").as_deref() == Some("newest");
    let ticks = live_ticks(APPROVAL_EVENTS.to_owned());
    let answered = RwSignal::new(0u64);
    // Fetched and drawn by the browser only (`ClientOnly`): the inbox changes while the page loads.
    let loading = || view! { <div class="card loading">"Loading approvals\u{2026}"</div> };
    let inbox = LocalResource::new(move || {
        ticks.track();
        answered.track();
        approval_inbox()
    });
    let error = RwSignal::new(None::<String>);
    // Comments typed so far, by approval token: the inbox is refetched (a stream event, a reconnect,
    // the fallback poll) and its cards drawn anew while someone may be typing.
    let drafts = StoredValue::new(HashMap::<String, String>::new());

    view! {
        <Title text="Approvals"/>
        <div class="page-head">
            <div>
                <h1>"Approvals"</h1>
                <p class="muted">"Every approval waiting for an answer, in every pipeline."</p>
            </div>
            <nav class="tabs">
                <a href="/approvals" aria-selected=move || (!newest_first()).to_string()>"Oldest first"</a>
                <a href="/approvals?order=newest" aria-selected=move || newest_first().to_string()>"Newest first"</a>
                <a href="/approvals/history" aria-selected="false" data-testid="approvals-history-tab">"History"</a>
            </nav>
        </div>
        {move || error.get().map(|message| view! { <div class="notice bad" data-testid="approval-error">{message}</div> })}
        <ClientOnly fallback=loading>
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match inbox.await {
                    Ok(inbox) if inbox.approvals.is_empty() => view! {
                        <div class="card empty" data-testid="no-approvals"><p>"Nothing is waiting for approval."</p></div>
                    }.into_any(),
                    Ok(inbox) => {
                        let mut items = inbox.approvals;
                        if newest_first() {
                            items.reverse();
                        }
                        let now_ms = inbox.now_ms;
                        items
                            .into_iter()
                            .map(|item| view! { <ApprovalCard item now_ms answered error drafts/> })
                            .collect_view()
                            .into_any()
                    }
                    Err(err) => view! { <div class="card notice bad">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
        </ClientOnly>
    }
}

#[component]
fn ApprovalCard(
    item: InboxItem,
    now_ms: i64,
    answered: RwSignal<u64>,
    error: RwSignal<Option<String>>,
    drafts: StoredValue<HashMap<String, String>>,
) -> impl IntoView {
    let comment = RwSignal::new(drafts.with_value(|d| d.get(&item.token).cloned().unwrap_or_default()));
    let draft_key = item.token.clone();
    let keep_draft = move |ev| {
        let text = event_target_value(&ev);
        drafts.update_value(|d| {
            d.insert(draft_key.clone(), text.clone());
        });
        comment.set(text);
    };
    let key = StoredValue::new((item.pipeline.clone(), item.stage.clone(), item.action.clone(), item.token.clone()));
    let answer = move |approve: bool| {
        let (pipeline, stage, action, token) = key.get_value();
        let comment = comment.get_untracked();
        leptos::task::spawn_local(async move {
            match answer_approval(pipeline, stage, action, token, approve, comment).await {
                Ok(()) => error.set(None),
                Err(err) => error.set(Some(err.to_string())),
            }
            answered.update(|n| *n += 1);
        });
    };
    let run_href = format!("{}?execution={}", pipeline_href(&item.pipeline), item.execution_id);
    let expires = item.expires_ms.map(|at| format!("expires {}", time::utc(at)));
    view! {
        <article class="card approval-item" data-testid="approval-item" data-pipeline=item.pipeline.clone() data-action=item.action.clone() data-execution=item.execution_id.clone()>
            <h2><a href=run_href>{item.pipeline.clone()}</a>" / "{item.stage.clone()}" / "{item.action.clone()}</h2>
            <p class="muted" title=time::utc(item.requested_ms)>
                {format!("requested {}", time::ago(now_ms, item.requested_ms))}
                {expires.map(|e| format!(" \u{b7} {e}"))}
            </p>
            {item.progress.map(|progress| view! { <p class="approval-progress" data-testid="approval-progress">{progress}</p> })}
            {item.custom_data.map(|data| view! { <p class="custom-data">{data}</p> })}
            {item.external_link.map(|link| view! { <ExternalLink url=link.clone() text=link/> })}
            <div class="approval-form">
                <input type="text" placeholder="Comment" data-testid="approval-comment" prop:value=comment on:input=keep_draft/>
                {match item.cannot_approve {
                    None => view! { <button class="button primary" data-testid="approve" on:click=move |_| answer(true)>"Approve"</button> }.into_any(),
                    Some(why) => view! { <span class="muted small" data-testid="cannot-approve">{why}</span> }.into_any(),
                }}
                <ConfirmButton label="Reject" question=REJECT_QUESTION confirm="Reject" testid="reject" on_confirm=Callback::new(move |()| answer(false))/>
            </div>
        </article>
    }
}
