//! The bar at the top of every page, with the number of approvals waiting (kept live). On a
//! narrow screen the links and the user fold behind a menu button.
use leptos::prelude::*;
use leptos_router::components::A;

use super::icons::Logo;
use crate::api::runs::approval_inbox;
use crate::auth::get_current_user;
use crate::components::client_only::ClientOnly;
use crate::live::{live_ticks, APPROVAL_EVENTS};

#[component]
pub fn Header() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    let open = RwSignal::new(false);
    view! {
        <header class="topbar" class:open=open>
            <div class="topbar-inner">
                <a class="brand" href="/">
                    <Logo/>
                    <span>"Sluice"</span>
                </a>
                <button type="button" class="menu-button" data-testid="menu-button" aria-controls="main-nav"
                    aria-expanded=move || open.get().to_string() aria-label="Menu"
                    on:click=move |_| open.update(|o| *o = !*o)>
                    <span class="menu-bars" aria-hidden="true"></span>
                </button>
                // Choosing a page closes the menu.
                <nav class="nav" id="main-nav" aria-label="Main" on:click=move |_| open.set(false)>
                    <A href="/" exact=true>"Pipelines"</A>
                    <Transition fallback=|| ()>
                        {move || user.get().and_then(Result::ok).filter(|u| u.can_create_pipelines).map(|_| view! { <A href="/new">"New pipeline"</A> })}
                    </Transition>
                    <Transition fallback=|| ()>
                        {move || user.get().and_then(Result::ok).filter(|u| u.can_read_audit).map(|_| view! { <A href="/audit">"Audit"</A> })}
                    </Transition>
                    <Transition fallback=|| ()>
                        {move || user.get().and_then(Result::ok).filter(|u| u.can_manage_users).map(|_| view! { <A href="/admin/users"><span data-testid="admin-link">"Users"</span></A> })}
                    </Transition>
                    <A href="/approvals">"Approvals"<ApprovalCount/></A>
                    <A href="/notifications">"Notifications"</A>
                </nav>
                <Transition fallback=|| ()>
                    {move || user.get().and_then(Result::ok).map(|u| view! {
                        <form class="signed-in" method="post" action="/signout">
                            <a class="muted" href="/account" data-testid="signed-in-user" title=u.arn.clone()>{u.name.clone()}</a>
                            <button type="submit" class="button small ghost" data-testid="sign-out">"Sign out"</button>
                        </form>
                    })}
                </Transition>
            </div>
        </header>
    }
}

/// A badge with the number of pending approvals; nothing when there are none.
#[component]
fn ApprovalCount() -> impl IntoView {
    let ticks = live_ticks(APPROVAL_EVENTS.to_owned());
    // Fetched and drawn by the browser only (`ClientOnly`): the count changes while the page loads.
    let inbox = LocalResource::new(move || {
        ticks.track();
        approval_inbox()
    });
    view! {
        <ClientOnly fallback=|| ()>
            <Transition>
                {move || Suspend::new(async move {
                    let count = inbox.await.map(|i| i.approvals.len()).unwrap_or(0);
                    (count > 0).then(|| view! { <span class="count-badge" data-testid="approval-count">{count}</span> })
                })}
            </Transition>
        </ClientOnly>
    }
}

/// Every page says so when pipeline code runs unconfined, or cannot run at all.
#[component]
pub fn SandboxBanner() -> impl IntoView {
    let warning = Resource::new(|| (), |_| sandbox_warning());
    view! {
        <Transition fallback=|| ()>
            {move || warning.get().and_then(Result::ok).flatten().map(|text| view! {
                <div class="notice bad sandbox-banner" role="alert" data-testid="sandbox-banner">{text}</div>
            })}
        </Transition>
    }
}

/// What the sandbox banner says, if anything.
#[server(output = crate::api::codec::Json)]
pub async fn sandbox_warning() -> Result<Option<String>, crate::api::AppError> {
    use engine::sandbox::SandboxStatus;
    crate::auth::current_user()?;
    let engine = crate::api::ssr::engine()?;
    Ok(match engine.sandbox().status().await {
        SandboxStatus::Isolated { .. } => None,
        SandboxStatus::Off => Some(
            "The sandbox is off (--sandbox off): pipeline code runs as the server's own user and can reach its keys and database."
                .to_owned(),
        ),
        SandboxStatus::Unavailable(why) => {
            Some(format!("Actions that run code will fail: no sandbox can be made on this server ({why})."))
        }
    })
}
