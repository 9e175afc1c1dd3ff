//! `/admin/users`, `/admin/users/:name` and `/admin/groups` (Admins), and `/account` (everyone's
//! own keys and password). The pages call the server functions of `api::admin`, which check the
//! policies; the header shows the admin link only to users who may list users.
mod account;
mod groups;
mod panels;
mod user;

pub use account::AccountPage;
pub use groups::GroupsPage;
pub use user::UserPage;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin::{create_user, list_users, UserRow};
use crate::api::AppError;
use crate::auth::ROLES;

/// The outcome of the last click: an error to show, and a counter that makes the page reload.
#[derive(Clone, Copy)]
pub(crate) struct Changes {
    pub error: RwSignal<Option<String>>,
    pub done: RwSignal<u32>,
}

impl Changes {
    pub fn new() -> Self {
        Changes { error: RwSignal::new(None), done: RwSignal::new(0) }
    }

    /// Runs a server call; on success `then` gets its answer and the page reloads.
    pub fn run<T: 'static>(
        self,
        call: impl std::future::Future<Output = Result<T, AppError>> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(answer) => {
                    self.error.set(None);
                    then(answer);
                    self.done.update(|n| *n += 1);
                }
                Err(err) => self.error.set(Some(err.to_string())),
            }
        });
    }

    pub fn view(self) -> impl IntoView {
        move || {
            self.error.get().map(|message| view! { <div class="notice bad" data-testid="admin-error">{message}</div> })
        }
    }
}

/// A `<select>` of the built-in roles; `none` adds a "no role" choice (groups).
pub(crate) fn role_select(
    selected: RwSignal<String>,
    none: Option<&'static str>,
    testid: &'static str,
) -> impl IntoView {
    let options = none.map(|label| ("", label)).into_iter().chain(ROLES.iter().map(|role| (*role, *role)));
    view! {
        <select data-testid=testid aria-label="Role" prop:value=move || selected.get() on:change=move |ev| selected.set(event_target_value(&ev))>
            {options.map(|(value, label)| view! { <option value=value selected=move || selected.get() == value>{label}</option> }).collect_view()}
        </select>
    }
}

pub(crate) fn text_input(value: RwSignal<String>, placeholder: &'static str, testid: &'static str) -> impl IntoView {
    view! {
        <input placeholder=placeholder aria-label=placeholder data-testid=testid prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
    }
}

pub(crate) fn admin_tabs() -> impl IntoView {
    view! {
        <nav class="tabs">
            <a href="/admin/users">"Users"</a>
            <a href="/admin/groups">"Groups"</a>
        </nav>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let changes = Changes::new();
    let directory = Resource::new(move || changes.done.get(), |_| list_users());
    let (name, role, password) =
        (RwSignal::new(String::new()), RwSignal::new("Viewer".to_owned()), RwSignal::new(String::new()));
    let shown_password = RwSignal::new(None::<(String, String)>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user = name.get_untracked();
        changes.run(create_user(user.clone(), role.get_untracked(), password.get_untracked()), move |generated| {
            shown_password.set((!generated.is_empty()).then_some((user, generated)));
            name.set(String::new());
            password.set(String::new());
        });
    };
    view! {
        <Title text="Users"/>
        <div class="page-head">
            <div>
                <h1>"Users"</h1>
                <p class="muted">"Who may sign in, their role, groups and access keys."</p>
            </div>
            {admin_tabs()}
        </div>
        {changes.view()}
        {move || shown_password.get().map(|(user, password)| view! {
            <div class="card notice" data-testid="new-password">
                <p>"Password of "<strong>{user}</strong>" (shown once): "<code data-testid="new-password-value">{password}</code></p>
            </div>
        })}
        <form class="card audit-filters" on:submit=add>
            {text_input(name, "User name", "new-user-name")}
            {role_select(role, None, "new-user-role")}
            <input type="password" placeholder="Password (empty: generate one)" aria-label="Password" data-testid="new-user-password"
                prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
            <button type="submit" class="button primary" data-testid="add-user">"Add user"</button>
        </form>
        <Transition fallback=|| view! { <div class="card loading">"Loading users\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match directory.await {
                    Ok(directory) => view! { <UserTable users=directory.users/> }.into_any(),
                    Err(err) => view! { <div class="card notice bad" data-testid="admin-error">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserTable(users: Vec<UserRow>) -> impl IntoView {
    let rows = users
        .into_iter()
        .map(|user| {
            let href = format!("/admin/users/{}", user.name);
            view! {
                <tr data-testid="user-row" data-user=user.name.clone()>
                    <td><a href=href>{user.name.clone()}</a></td>
                    <td data-testid="user-role">{user.role}</td>
                    <td>{user.groups.join(", ")}</td>
                    <td data-testid="user-keys">{user.active_keys}</td>
                    <td>{if user.active { "Active" } else { "Disabled" }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-card">
            <table class="table" data-testid="users-table">
                <thead><tr><th>"User"</th><th>"Role"</th><th>"Groups"</th><th>"Active keys"</th><th>"Status"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
