//! The bar at the top of every page.
use leptos::prelude::*;
use leptos_router::components::A;

use super::icons::Logo;
use crate::auth::get_current_user;

#[component]
pub fn Header() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
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
                    <Transition fallback=|| ()>
                        {move || user.get().and_then(Result::ok).filter(|u| u.can_read_audit).map(|_| view! { <A href="/audit">"Audit"</A> })}
                    </Transition>
                </nav>
                <Transition fallback=|| ()>
                    {move || user.get().and_then(Result::ok).map(|u| view! {
                        <form class="signed-in" method="post" action="/signout">
                            <span class="muted" data-testid="signed-in-user" title=u.arn.clone()>{u.name.clone()}</span>
                            <button type="submit" class="button small ghost" data-testid="sign-out">"Sign out"</button>
                        </form>
                    })}
                </Transition>
            </div>
        </header>
    }
}
