//! `/approvals`: every manual approval waiting for an answer, across all pipelines, live; approve
//! or reject each with a comment. `?order=newest` lists the newest requests first. An action that
//! needs several approvers shows how many it has; Approve is hidden from whoever may not approve.
//! Each item shows its execution (who started it, its revisions and variables) and has an address
//! of its own (`approval_href`): opening it scrolls to the item and marks it.
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
    // The item the address names is scrolled to once, not at every refetch.
    let focused = StoredValue::new(false);

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
                            .map(|item| view! { <ApprovalCard item now_ms answered error drafts focused/> })
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
    focused: StoredValue<bool>,
) -> impl IntoView {
    let anchor = approval_anchor(&item.execution_id, &item.stage, &item.action);
    let named = focus_if_named(anchor.clone(), focused);
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
    let started = match &item.started_by {
        Some(user) => format!("started by {user}"),
        None => format!("started by {}", item.trigger),
    };
    let short_id = item.execution_id[..8.min(item.execution_id.len())].to_owned();
    view! {
        <article class="card approval-item" class:named=named id=anchor.clone() data-named=move || named.get().to_string() data-testid="approval-item" data-pipeline=item.pipeline.clone() data-action=item.action.clone() data-execution=item.execution_id.clone()>
            <h2>
                <a href=run_href.clone()>{item.pipeline.clone()}</a>" / "{item.stage.clone()}" / "{item.action.clone()}
                <a class="permalink" href=format!("/approvals#{anchor}") data-testid="approval-permalink" title="A link to this approval">"#"</a>
            </h2>
            <p class="approval-execution" data-testid="approval-execution">
                "Execution "<a href=run_href><code>{short_id}</code></a>" \u{b7} "
                <span data-testid="approval-started-by">{started}</span>
            </p>
            <Pairs label="Revisions" testid="approval-revisions" pairs=item.revisions/>
            <Pairs label="Variables" testid="approval-variables" pairs=item.variables/>
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

/// The id of an approval's card in the inbox; `/approvals#<id>` opens the inbox at it.
pub fn approval_anchor(execution_id: &str, stage: &str, action: &str) -> String {
    format!("approval-{execution_id}-{stage}-{action}")
}

/// Whether the address names the card `anchor`; scrolls to it, once per page. The inbox is drawn
/// by the browser after the page loads: too late for the browser's own jump to the fragment and
/// its `:target`.
fn focus_if_named(anchor: String, done: StoredValue<bool>) -> RwSignal<bool> {
    let marked = RwSignal::new(false);
    Effect::new(move |_| {
        let named = window().location().hash().is_ok_and(|hash| hash.strip_prefix('#') == Some(anchor.as_str()));
        marked.set(named);
        if named && !done.get_value() {
            done.set_value(true);
            if let Some(card) = document().get_element_by_id(&anchor) {
                card.scroll_into_view();
            }
        }
    });
    marked
}

/// Name=value pairs on one line, or nothing when there are none.
#[component]
fn Pairs(label: &'static str, testid: &'static str, pairs: Vec<(String, String)>) -> impl IntoView {
    (!pairs.is_empty()).then(|| {
        let items = pairs
            .into_iter()
            .map(|(name, value)| view! { <span class="pair"><span class="muted">{format!("{name}=")}</span><code>{value}</code></span> })
            .collect_view();
        view! { <p class="approval-pairs" data-testid=testid><span class="muted">{format!("{label}: ")}</span>{items}</p> }
    })
}
