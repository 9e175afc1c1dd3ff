//! The bar at the top of every page.
use leptos::prelude::*;
use leptos_router::components::A;

use super::icons::Logo;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="topbar">
            <div class="topbar-inner">
                <a class="brand" href="/">
                    <Logo/>
                    <span>"Sluice"</span>
                </a>
                <nav class="nav" aria-label="Main">
                    <A href="/" exact=true>"Pipelines"</A>
                    <A href="/new">"New pipeline"</A>
                </nav>
            </div>
        </header>
    }
}
