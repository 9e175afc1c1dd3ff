//! Content the browser renders after hydration, for live views: what they show changes while the
//! page loads, so a server-rendered copy can differ from the browser's first fetch, and hydrating
//! it fails ("expected a marker node": the page freezes). The server renders `fallback`, the
//! browser hydrates that same fallback and then renders the content itself.
use leptos::prelude::*;

#[component]
pub fn ClientOnly(#[prop(into)] fallback: ViewFn, children: ChildrenFn) -> impl IntoView {
    let mounted = RwSignal::new(false);
    // Effects run in the browser only, once hydration is done.
    Effect::new(move |_| mounted.set(true));
    move || if mounted.get() { children().into_any() } else { fallback.run() }
}
