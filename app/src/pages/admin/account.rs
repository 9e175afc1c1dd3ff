//! `/account`: the signed-in user's own access keys and password (every role may manage its own).
use leptos::prelude::*;
use leptos_meta::Title;

use super::panels::KeysPanel;
use super::Changes;
use crate::api::admin::change_password;
use crate::auth::get_current_user;

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_current_user());
    let changes = Changes::new();
    let (current, new) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let changed = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        changes.run(change_password(current.get_untracked(), new.get_untracked()), move |_| {
            changed.set(true);
            current.set(String::new());
            new.set(String::new());
        });
    };
    let password = |value: RwSignal<String>, label: &'static str, testid: &'static str| {
        view! {
            <input type="password" placeholder=label aria-label=label data-testid=testid
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
        }
    };
    view! {
        <Title text="Your account"/>
        <div class="page-head"><div><h1>"Your account"</h1></div></div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                me.await.map(|me| view! {
                    <p class="muted" data-testid="account-arn">{me.arn.clone()}</p>
                    <KeysPanel user=me.name/>
                })
            })}
        </Transition>
        <form class="card audit-filters" on:submit=submit>
            <h2>"Change password"</h2>
            {changes.view()}
            {move || changed.get().then(|| view! { <p data-testid="password-changed">"Password changed."</p> })}
            {password(current, "Current password", "current-password")}
            {password(new, "New password (8 characters or more)", "new-password")}
            <button type="submit" class="button primary" data-testid="change-password">"Change password"</button>
        </form>
    }
}
