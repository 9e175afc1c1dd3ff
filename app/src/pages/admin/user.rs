//! `/admin/users/:name`: one user's role, status, keys and inline policies; delete.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::panels::{KeysPanel, PoliciesPanel, PolicyOwner};
use super::{admin_tabs, role_select, Changes};
use crate::api::admin::{delete_user, list_users, update_user};
use crate::components::confirm::ConfirmButton;

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let changes = Changes::new();
    let directory = Resource::new(move || changes.done.get(), |_| list_users());
    view! {
        <Title text=name/>
        <div class="page-head">
            <div>
                <h1>{name}</h1>
                <p class="muted"><a href="/admin/users">"All users"</a></p>
            </div>
            {admin_tabs()}
        </div>
        {changes.view()}
        <Transition fallback=|| view! { <div class="card loading">"Loading\u{2026}"</div> }>
            {move || Suspend::new(async move {
                let directory = match directory.await {
                    Ok(directory) => directory,
                    Err(err) => return view! { <div class="card notice bad" data-testid="admin-error">{err.to_string()}</div> }.into_any(),
                };
                let Some(user) = directory.users.into_iter().find(|user| user.name == name()) else {
                    return view! { <div class="card empty" data-testid="not-found"><p>"There is no such user."</p></div> }.into_any();
                };
                let is_me = user.name == directory.me;
                let role = RwSignal::new(user.role.clone());
                let active = RwSignal::new(user.active);
                let user_name = StoredValue::new(user.name.clone());
                let save = move |_| changes.run(update_user(user_name.get_value(), role.get_untracked(), active.get_untracked()), |_| ());
                let remove = Callback::new(move |()| {
                    changes.run(delete_user(user_name.get_value()), |_| use_navigate()("/admin/users", Default::default()));
                });
                let question = format!("Delete the user {}? Their sessions end and their keys stop working.", user.name);
                view! {
                    <section class="card" data-testid="user-settings">
                        <h2>"Role and status"</h2>
                        <p class="muted">"Groups: " {if user.groups.is_empty() { "none".to_owned() } else { user.groups.join(", ") }}</p>
                        <div class="audit-filters">
                            {role_select(role, None, "user-role")}
                            <label><input type="checkbox" data-testid="user-active" prop:checked=move || active.get()
                                on:change=move |ev| active.set(event_target_checked(&ev))/>" May sign in"</label>
                            <button class="button primary" data-testid="save-user" on:click=save>"Save"</button>
                            {(!is_me).then(|| view! { <ConfirmButton label="Delete user" question confirm="Delete" testid="delete-user" on_confirm=remove/> })}
                        </div>
                    </section>
                    <KeysPanel user=user.name.clone()/>
                    <PoliciesPanel owner=PolicyOwner::User(user.name.clone())/>
                }.into_any()
            })}
        </Transition>
    }
}
