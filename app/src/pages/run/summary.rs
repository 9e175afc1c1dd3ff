//! The top of a run that failed: where ("Failed at Build › UnitTests"), why, the last lines of
//! the failed action's log, and a link down to the action. Once per page, the view scrolls to
//! the action that needs attention: the failed one, else one waiting for an approval.
use leptos::prelude::*;

use crate::api::failure::Failure;
use crate::api::logs::log_href;

/// The id of an action's card on the run view (names are `[A-Za-z0-9.@_-]`, valid in ids).
pub fn action_anchor(stage: &str, action: &str) -> String {
    format!("action-{stage}-{action}")
}

#[component]
pub fn FailureSummary(failure: Failure, pipeline: String, execution_id: String) -> impl IntoView {
    let Failure { stage, action, attempt_id, error, log_tail } = failure;
    let full_log = log_href(&pipeline, &execution_id, &attempt_id);
    let anchor = format!("#{}", action_anchor(&stage, &action));
    let lines = log_tail
        .into_iter()
        .map(|(n, text)| view! { <span class="log-line" data-line=n>{text}"\n"</span> })
        .collect_view();
    view! {
        <section class="failure-summary notice bad" data-testid="failure-summary" aria-label="What failed">
            <h3>
                "Failed at "<a href=anchor data-testid="failure-link">{format!("{stage} \u{203a} {action}")}</a>
                ": "<span data-testid="failure-error">{error}</span>
            </h3>
            <pre class="log failure-log" data-testid="failure-log">{lines}</pre>
            <a href=full_log data-testid="failure-full-log">"The whole log"</a>
        </section>
    }
}

/// Scrolls, once per page, to the failed action or the approval waiting, when there first is
/// one; later live updates leave the page where the reader put it.
pub fn scroll_to_attention(done: StoredValue<bool>) {
    Effect::new(move |_| {
        if done.get_value() {
            return;
        }
        let target = [".run-action[data-status=\"Failed\"]", ".run-action:has([data-testid=\"approval-form\"])"]
            .iter()
            .find_map(|selector| document().query_selector(selector).ok().flatten());
        if let Some(target) = target {
            done.set_value(true);
            target.scroll_into_view();
        }
    });
}
