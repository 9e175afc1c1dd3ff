//! Pieces the user, group and account pages share: a user's access keys, and inline policies.
use leptos::prelude::*;

use super::{text_input, Changes};
use crate::api::admin::{
    create_access_key, delete_group_policy, delete_user_policy, list_access_keys, list_group_policies,
    list_user_policies, put_group_policy, put_user_policy, update_access_key, NewKey, PolicyRow,
};
use crate::api::AppError;
use crate::components::confirm::ConfirmButton;
use crate::time;

/// A user's keys: create one (its secret shown here once, with a copy button), revoke others.
#[component]
pub fn KeysPanel(user: String) -> impl IntoView {
    let changes = Changes::new();
    let owner = StoredValue::new(user);
    let keys = Resource::new(move || changes.done.get(), move |_| list_access_keys(owner.get_value()));
    let created = RwSignal::new(None::<NewKey>);
    let create = move |_| changes.run(create_access_key(owner.get_value()), move |key| created.set(Some(key)));
    view! {
        <section class="card" data-testid="keys-panel">
            <h2>"Access keys"</h2>
            <p class="muted">"Keys sign API calls (aws CLI, SDKs). A secret is shown once, when the key is created."</p>
            {changes.view()}
            {move || created.get().map(|key| view! { <SecretOnce key/> })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    keys.await.map(|keys| {
                        keys.into_iter()
                            .map(|key| {
                                let id = key.access_key_id.clone();
                                let question = format!("Revoke {id}? Requests signed with it fail from now on.");
                                let revoke = Callback::new(move |()| changes.run(update_access_key(id.clone()), |_| ()));
                                view! {
                                    <p data-testid="key-row" data-key=key.access_key_id.clone()>
                                        <code>{key.access_key_id.clone()}</code>
                                        " " {if key.active { "Active" } else { "Revoked" }}
                                        <span class="muted">" created " {time::utc(key.created_ms)}</span>
                                        {key.active.then(|| view! {
                                            " " <ConfirmButton label="Revoke" question confirm="Revoke" testid="revoke-key" class="button small danger" on_confirm=revoke/>
                                        })}
                                    </p>
                                }
                            })
                            .collect_view()
                    })
                })}
            </Transition>
            <button class="button" data-testid="create-key" on:click=create>"Create access key"</button>
        </section>
    }
}

/// A new key's secret, with a button that copies it; gone once the page is left or reloaded.
#[component]
fn SecretOnce(key: NewKey) -> impl IntoView {
    // None until copied; then whether the browser let the page write to the clipboard. (An inline
    // onclick did this before, and the Content-Security-Policy rightly blocked it.)
    let copied = RwSignal::new(None::<bool>);
    let secret = key.secret_access_key.clone();
    let label = move || match copied.get() {
        None => "Copy",
        Some(true) => "Copied",
        Some(false) => "Could not copy: select the secret instead",
    };
    view! {
        <div class="notice" data-testid="new-key">
            <p>"Access key id: "<code data-testid="new-key-id">{key.access_key_id}</code></p>
            <p>"Secret access key (shown once): "<code data-testid="new-key-secret">{key.secret_access_key}</code>
                " " <button class="button small" data-testid="copy-secret" on:click=move |_| copy_text(&secret, copied)>{label}</button>
            </p>
        </div>
    }
}

/// Writes `text` to the clipboard and says in `done` whether it worked.
fn copy_text(text: &str, done: RwSignal<Option<bool>>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{closure::Closure, JsValue};
        let worked = Closure::once(move |_: JsValue| done.set(Some(true)));
        let failed = Closure::once(move |_: JsValue| done.set(Some(false)));
        let _ = window().navigator().clipboard().write_text(text).then2(&worked, &failed);
        // The browser calls one of them later; each lives as long as the page (two per click).
        worked.forget();
        failed.forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, done);
}

/// Whose inline policies a panel edits; each kind has its own IAM actions.
#[derive(Clone, PartialEq, Eq)]
pub enum PolicyOwner {
    User(String),
    Group(String),
}

impl PolicyOwner {
    async fn list(self) -> Result<Vec<PolicyRow>, AppError> {
        match self {
            PolicyOwner::User(user) => list_user_policies(user).await,
            PolicyOwner::Group(group) => list_group_policies(group).await,
        }
    }

    async fn put(self, policy_name: String, document: String) -> Result<(), AppError> {
        match self {
            PolicyOwner::User(user) => put_user_policy(user, policy_name, document).await,
            PolicyOwner::Group(group) => put_group_policy(group, policy_name, document).await,
        }
    }

    async fn delete(self, policy_name: String) -> Result<(), AppError> {
        match self {
            PolicyOwner::User(user) => delete_user_policy(user, policy_name).await,
            PolicyOwner::Group(group) => delete_group_policy(group, policy_name).await,
        }
    }
}

const EXAMPLE_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{ "Effect": "Allow", "Action": "codepipeline:PutApprovalResult", "Resource": "arn:aws:codepipeline:*:*:web/Prod/*" }]
}"#;

/// Inline policies as JSON: edit one by name (a new name adds one), or delete it.
#[component]
pub fn PoliciesPanel(owner: PolicyOwner) -> impl IntoView {
    let changes = Changes::new();
    let owner = StoredValue::new(owner);
    let policies = Resource::new(move || changes.done.get(), move |_| owner.get_value().list());
    let (name, document) = (RwSignal::new(String::new()), RwSignal::new(EXAMPLE_POLICY.to_owned()));
    let save = move |_| changes.run(owner.get_value().put(name.get_untracked(), document.get_untracked()), |_| ());
    view! {
        <section class="card" data-testid="policies-panel">
            <h2>"Inline policies"</h2>
            {changes.view()}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    policies.await.map(|policies| {
                        policies.into_iter()
                            .map(|policy| {
                                let (edit_name, edit_document, gone) = (policy.name.clone(), policy.document.clone(), policy.name.clone());
                                let edit = move |_| {
                                    name.set(edit_name.clone());
                                    document.set(edit_document.clone());
                                };
                                let delete = move |_| changes.run(owner.get_value().delete(gone.clone()), |_| ());
                                view! {
                                    <div data-testid="policy-row" data-policy=policy.name.clone()>
                                        <strong>{policy.name.clone()}</strong>
                                        " " <button class="button small" on:click=edit>"Edit"</button>
                                        " " <button class="button small danger" on:click=delete>"Delete"</button>
                                        <pre class="json">{policy.document.clone()}</pre>
                                    </div>
                                }
                            })
                            .collect_view()
                    })
                })}
            </Transition>
            <div class="audit-filters">{text_input(name, "Policy name", "policy-name")}</div>
            <div>
                <textarea class="code-input policy-input" rows="8" aria-label="Policy JSON" data-testid="policy-document"
                    prop:value=move || document.get() on:input=move |ev| document.set(event_target_value(&ev))></textarea>
                <button class="button primary" data-testid="save-policy" on:click=save>"Save policy"</button>
            </div>
        </section>
    }
}
