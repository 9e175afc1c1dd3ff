//! What stage and action cards share: their problems printed on them, and telling a click on a
//! card's own tools from a click on the card.
use leptos::prelude::*;

use crate::api::Problem;

/// Whether a click started inside an element matching `selector`. Tools and cards act on their
/// own, and the click must not also select the stage around them. Asked of the target rather
/// than stopped with stopPropagation: a tool's command redraws the canvas before the event
/// reaches the stage, and the redrawn elements no longer carry their handlers.
pub fn clicked_inside(ev: &leptos::ev::MouseEvent, selector: &str) -> bool {
    event_target::<leptos::web_sys::Element>(ev).closest(selector).ok().flatten().is_some()
}

/// Problems of one node, printed on it.
#[component]
pub fn NodeProblems(problems: Vec<Problem>) -> impl IntoView {
    (!problems.is_empty()).then(|| {
        view! {
            <ul class="node-problems">
                {problems
                    .into_iter()
                    .map(|p| {
                        let field = p.field.clone().unwrap_or_default();
                        view! { <li data-testid="node-problem" data-code=p.code data-field=field>{p.message}</li> }
                    })
                    .collect_view()}
            </ul>
        }
    })
}
