//! `/admin/groups`: groups with their role, members and inline policies.
use leptos::prelude::*;
use leptos_meta::Title;

use super::panels::{PoliciesPanel, PolicyOwner};
use super::{admin_tabs, role_select, text_input, Changes};
use crate::api::admin::{
    add_user_to_group, create_group, delete_group, list_users, remove_user_from_group, update_group, GroupRow,
};
use crate::components::confirm::ConfirmButton;

#[component]
pub fn GroupsPage() -> impl IntoView {
    let changes = Changes::new();
    let directory = Resource::new(move || changes.done.get(), |_| list_users());
    let (name, role) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        changes.run(create_group(name.get_untracked(), role.get_untracked()), move |_| name.set(String::new()));
    };
    view! {
        <Title text="Groups"/>
        <div class="page-head">
            <div>
                <h1>"Groups"</h1>
                <p class="muted">"Members get the group's role and inline policies on top of their own; an explicit Deny anywhere wins."</p>
            </div>
            {admin_tabs()}
        </div>
        {changes.view()}
        <form class="card audit-filters" on:submit=add>
            {text_input(name, "Group name", "new-group-name")}
            {role_select(role, Some("No role"), "new-group-role")}
            <button type="submit" class="button primary" data-testid="add-group">"Create group"</button>
        </form>
        <Transition fallback=|| view! { <div class="card loading">"Loading groups\u{2026}"</div> }>
            {move || Suspend::new(async move {
                match directory.await {
                    Ok(directory) => {
                        let users: Vec<String> = directory.users.into_iter().map(|user| user.name).collect();
                        directory.groups.into_iter().map(|group| view! { <GroupCard group users=users.clone() changes/> }).collect_view().into_any()
                    }
                    Err(err) => view! { <div class="card notice bad" data-testid="admin-error">{err.to_string()}</div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn GroupCard(group: GroupRow, users: Vec<String>, changes: Changes) -> impl IntoView {
    let group_name = StoredValue::new(group.name.clone());
    let role = RwSignal::new(group.role.clone());
    let newcomer = RwSignal::new(String::new());
    let save_role = move |_| changes.run(update_group(group_name.get_value(), role.get_untracked()), |_| ());
    let remove_group = Callback::new(move |()| changes.run(delete_group(group_name.get_value()), |_| ()));
    let question = format!("Delete the group {}? Its members lose what it grants.", group.name);
    let add_member = move |_| changes.run(add_user_to_group(group_name.get_value(), newcomer.get_untracked()), |_| ());
    let outsiders: Vec<String> = users.into_iter().filter(|user| !group.members.contains(user)).collect();
    let members = group
        .members
        .iter()
        .map(|member| {
            let gone = member.clone();
            let remove = move |_| changes.run(remove_user_from_group(group_name.get_value(), gone.clone()), |_| ());
            view! { <li data-testid="member">{member.clone()}" " <button class="button small ghost" on:click=remove>"Remove"</button></li> }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="group-card" data-group=group.name.clone()>
            <h2>{group.name.clone()}</h2>
            <div class="audit-filters">
                {role_select(role, Some("No role"), "group-role")}
                <button class="button" data-testid="save-group" on:click=save_role>"Save role"</button>
                <ConfirmButton label="Delete group" question confirm="Delete" testid="delete-group" on_confirm=remove_group/>
            </div>
            <h3>"Members"</h3>
            <ul>{members}</ul>
            <div class="audit-filters">
                <select aria-label="User to add" data-testid="member-to-add" on:change=move |ev| newcomer.set(event_target_value(&ev))>
                    <option value="">"Choose a user"</option>
                    {outsiders.into_iter().map(|user| view! { <option value=user.clone()>{user.clone()}</option> }).collect_view()}
                </select>
                <button class="button" data-testid="add-member" on:click=add_member>"Add member"</button>
            </div>
            <PoliciesPanel owner=PolicyOwner::Group(group.name.clone())/>
        </section>
    }
}
