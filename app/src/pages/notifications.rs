//! `/notifications`: who is told what. Event rules with their patterns and targets, topics with
//! their subscriptions, and the delivery log (newest first) where a dead delivery can be sent
//! again. Each section shows only when the user's policies let them list it; the rules and
//! topics are changed through the APIs (`aws events`, `aws sns`) or, for a pipeline's failures,
//! with the switch on the pipeline's page.
use leptos::prelude::*;
use leptos_meta::Title;

use super::admin::Changes;
use crate::api::notifications::{notifications_overview, replay_delivery, DeliveryRow, Overview, RuleRow, TopicRow};
use crate::time;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let changes = Changes::new();
    let overview = Resource::new(move || changes.done.get(), |_| notifications_overview());
    view! {
        <Title text="Notifications"/>
        <div class="page-head">
            <div>
                <h1>"Notifications"</h1>
                <p class="muted">"Event rules, the topics they notify, and every delivery."</p>
            </div>
        </div>
        {changes.view()}
        <Transition fallback=|| view! { <div class="card loading">"Loading notifications\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <Sections overview changes/> }.into_any(),
                    Err(err) => view! { <div class="card notice bad" data-testid="load-error">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Sections(overview: Overview, changes: Changes) -> impl IntoView {
    let Overview { now_ms, rules, topics, deliveries, can_replay } = overview;
    view! {
        // Erased, so the page's view type stays shallow enough for the compiler.
        {rules.map(|rules| view! { <Rules rules/> }.into_any())}
        {topics.map(|topics| view! { <Topics topics/> }.into_any())}
        {deliveries.map(|deliveries| view! { <Deliveries deliveries now_ms can_replay changes/> }.into_any())}
    }
}

#[component]
fn Rules(rules: Vec<RuleRow>) -> impl IntoView {
    let empty = rules.is_empty().then(|| {
        view! {
            <p class="muted">
                "No rules yet. Turn on \u{201c}Notify me on failure\u{201d} on a pipeline's page, or use "
                <code>"aws events put-rule"</code>"."
            </p>
        }
    });
    let cards = rules
        .into_iter()
        .map(|rule| {
            let state = if rule.enabled { "Enabled" } else { "Disabled" };
            let targets =
                rule.targets.into_iter().map(|arn| view! { <li><code class="arn">{arn}</code></li> }).collect_view();
            view! {
                <article class="notify-item" data-testid="rule" data-rule=rule.name.clone()>
                    <header>
                        <strong class="ellipsis" title=rule.name.clone()>{rule.name.clone()}</strong>
                        <span class="pill" class:muted=!rule.enabled data-testid="rule-state">{state}</span>
                    </header>
                    {rule.description.map(|d| view! { <p class="muted">{d}</p> })}
                    <pre class="json"><code data-testid="rule-pattern">{rule.pattern}</code></pre>
                    <p class="muted">"Targets"</p>
                    <ul class="plain-list" data-testid="rule-targets">{targets}</ul>
                </article>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="rules-title">
            <h2 id="rules-title">"Rules"</h2>
            {empty}
            <div class="notify-grid">{cards}</div>
        </section>
    }
}

#[component]
fn Topics(topics: Vec<TopicRow>) -> impl IntoView {
    let empty = topics
        .is_empty()
        .then(|| view! { <p class="muted">"No topics yet: " <code>"aws sns create-topic"</code>" makes one."</p> });
    let cards = topics
        .into_iter()
        .map(|topic| {
            let none = topic.subscriptions.is_empty().then(|| view! { <li class="muted">"No subscriptions"</li> });
            let subscriptions = topic
                .subscriptions
                .into_iter()
                .map(|s| {
                    let state = if s.confirmed { "Confirmed" } else { "Pending confirmation" };
                    view! {
                        <li data-testid="subscription">
                            <span class="chip">{s.protocol}</span>" "
                            <span class="wrap">{s.endpoint}</span>" "
                            <span class="muted" data-testid="subscription-state">{state}</span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <article class="notify-item" data-testid="topic" data-topic=topic.name.clone()>
                    <header><strong class="ellipsis" title=topic.name.clone()>{topic.name.clone()}</strong></header>
                    <code class="arn">{topic.arn}</code>
                    <ul class="plain-list">{none}{subscriptions}</ul>
                </article>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="topics-title">
            <h2 id="topics-title">"Topics"</h2>
            {empty}
            <div class="notify-grid">{cards}</div>
        </section>
    }
}

#[component]
fn Deliveries(deliveries: Vec<DeliveryRow>, now_ms: i64, can_replay: bool, changes: Changes) -> impl IntoView {
    let empty = deliveries.is_empty().then(|| view! { <p class="muted">"Nothing delivered yet."</p> });
    let rows = deliveries
        .into_iter()
        .map(|d| {
            let status_class = format!("pill status-{}", d.status.to_lowercase());
            let replay = (can_replay && d.status == "DEAD").then(|| {
                let id = d.id;
                view! {
                    <button type="button" class="button small" data-testid="replay"
                        on:click=move |_| changes.run(replay_delivery(id), |_| ())>"Send again"</button>
                }
            });
            view! {
                <tr data-testid="delivery" data-status=d.status.clone()>
                    <td data-label="Status"><span class=status_class>{d.status.clone()}</span></td>
                    <td data-label="Rule" class="wrap">{d.rule}</td>
                    <td data-label="Target" class="wrap"><code class="arn">{d.target}</code></td>
                    <td data-label="Tries">{d.attempts}</td>
                    <td data-label="Answer" class="wrap response" data-testid="delivery-response">{d.last_response.unwrap_or_default()}</td>
                    <td data-label="When" title=time::utc(d.updated_ms)>{time::ago(now_ms, d.updated_ms)}</td>
                    <td data-label="">{replay}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card table-card" aria-labelledby="deliveries-title">
            <h2 id="deliveries-title" class="table-title">"Deliveries"</h2>
            {empty}
            <table class="table stack-on-phone" data-testid="deliveries">
                <thead><tr><th>"Status"</th><th>"Rule"</th><th>"Target"</th><th>"Tries"</th><th>"Last answer"</th><th>"When"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
