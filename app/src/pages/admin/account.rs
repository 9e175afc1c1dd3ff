//! `/account`: the signed-in user's own access keys, password and notification address (every
//! role may manage its own).
use leptos::prelude::*;
use leptos_meta::Title;

use super::panels::KeysPanel;
use super::Changes;
use crate::api::admin::change_password;
use crate::api::notifications::{my_email, set_my_email};
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
        <EmailForm/>
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

/// The address the user's notifications go to ("Notify me on failure" on a pipeline's page).
#[component]
fn EmailForm() -> impl IntoView {
    let changes = Changes::new();
    let saved = Resource::new(move || changes.done.get(), |_| my_email());
    let email = RwSignal::new(String::new());
    let note = RwSignal::new(None::<&'static str>);
    // The field starts with the saved address, once it has loaded.
    Effect::new(move || {
        if let Some(Ok(address)) = saved.get() {
            email.set(address.unwrap_or_default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        changes.run(set_my_email(email.get_untracked()), move |saved| {
            note.set(Some(match saved {
                Some(_) => {
                    "Saved. Pipelines you watch e-mail this address once you confirm it from the message sent there."
                }
                None => "Removed: you will get no notification e-mails.",
            }));
        });
    };
    view! {
        <form class="card audit-filters" on:submit=submit>
            <h2>"E-mail for notifications"</h2>
            {changes.view()}
            {move || note.get().map(|text| view! { <p data-testid="email-saved">{text}</p> })}
            <input type="email" placeholder="you@example.com" aria-label="E-mail address" data-testid="email"
                prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
            <button type="submit" class="button primary" data-testid="save-email">"Save"</button>
        </form>
    }
}
