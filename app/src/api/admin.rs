//! Server functions of the user, group and key pages. Each checks its IAM action on the user's or
//! group's ARN (`arn:aws:iam::ACCOUNT:user/NAME`, `:group/NAME`) with the same policy engine the
//! API uses; a user's own keys and password fall under every role's self-service rights. Their
//! endpoints are fixed (`/api/admin/create_user`), so the audit trail names them `CreateUser`.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub name: String,
    pub role: String,
    pub active: bool,
    pub groups: Vec<String>,
    pub active_keys: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRow {
    pub name: String,
    /// Empty when the group grants only its policies.
    pub role: String,
    pub members: Vec<String>,
}

/// Everything the users and groups pages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// The signed-in user, who may not disable or delete themselves.
    pub me: String,
    pub users: Vec<UserRow>,
    pub groups: Vec<GroupRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    pub access_key_id: String,
    pub active: bool,
    pub created_ms: i64,
}

/// A new key; the secret is in this answer only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKey {
    pub access_key_id: String,
    pub secret_access_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub name: String,
    pub document: String,
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::super::ssr::{engine, store_error};
    use crate::api::AppError;
    use crate::auth::{authorize, Accounts, AccountsHandle, CurrentUser};
    use engine::{Store, StoreError};
    use leptos::prelude::*;

    pub fn accounts() -> Result<std::sync::Arc<dyn Accounts>, AppError> {
        use_context::<AccountsHandle>()
            .map(|handle| handle.0)
            .ok_or_else(|| AppError::Server("user management is not available".into()))
    }

    pub fn store() -> Result<Store, AppError> {
        Ok(engine()?.store().clone())
    }

    fn arn(kind: &str, name: &str) -> Result<String, AppError> {
        Ok(format!("arn:aws:iam::{}:{kind}/{name}", engine()?.account().id))
    }

    /// `authorize` on `arn:aws:iam::ACCOUNT:user/NAME`.
    pub fn authorize_user(action: &str, user_name: &str) -> Result<CurrentUser, AppError> {
        authorize(action, &arn("user", user_name)?)
    }

    /// `authorize` on `arn:aws:iam::ACCOUNT:group/NAME`.
    pub fn authorize_group(action: &str, group_name: &str) -> Result<CurrentUser, AppError> {
        authorize(action, &arn("group", group_name)?)
    }

    /// A store error, with `NotFound` said in the page's words.
    pub fn missing(what: String) -> impl Fn(StoreError) -> AppError {
        move |err| match err {
            StoreError::NotFound => AppError::NotFound(format!("There is no {what}.")),
            other => store_error(other),
        }
    }

    /// Refuses a change that would leave no active Admin to undo it.
    pub async fn keep_an_admin(store: &Store, changing: &str) -> Result<(), AppError> {
        let users = store.list_users().await.map_err(store_error)?;
        let active_admin = |user: &engine::store::identity::UserRecord| user.active && user.role == "Admin";
        let changes_an_admin = users.iter().any(|user| user.name == changing && active_admin(user));
        if changes_an_admin && !users.iter().any(|user| user.name != changing && active_admin(user)) {
            return Err(AppError::Refused(format!(
                "{changing} is the last active Admin; make someone else Admin first."
            )));
        }
        Ok(())
    }

    pub fn not_me(me: &CurrentUser, user_name: &str, what: &str) -> Result<(), AppError> {
        if me.name == user_name {
            return Err(AppError::Refused(format!("You cannot {what} yourself.")));
        }
        Ok(())
    }

    pub fn shown(message: String) -> AppError {
        AppError::Refused(message)
    }
}

#[server(endpoint = "admin/list_users")]
pub async fn list_users() -> Result<Directory, AppError> {
    use self::ssr::*;
    let me = authorize_user("iam:ListUsers", "*")?;
    authorize_group("iam:ListGroups", "*")?;
    let store = store()?;
    let groups = store.list_groups().await.map_err(store_error)?;
    let mut users = Vec::new();
    for user in store.list_users().await.map_err(store_error)? {
        let keys = store.list_access_keys(&user.name).await.map_err(store_error)?;
        users.push(UserRow {
            groups: groups.iter().filter(|g| g.members.contains(&user.name)).map(|g| g.name.clone()).collect(),
            active_keys: keys.iter().filter(|key| key.active).count(),
            name: user.name,
            role: user.role,
            active: user.active,
        });
    }
    let groups = groups
        .into_iter()
        .map(|g| GroupRow { name: g.name, role: g.role.unwrap_or_default(), members: g.members })
        .collect();
    Ok(Directory { me: me.name, users, groups })
}

/// Adds a user; answers the password when it was generated (to be shown once), else nothing.
#[server(endpoint = "admin/create_user")]
pub async fn create_user(name: String, role: String, password: String) -> Result<String, AppError> {
    use self::ssr::*;
    authorize_user("iam:CreateUser", &name)?;
    let typed = (!password.is_empty()).then_some(password);
    let generated = typed.is_none();
    let password = accounts()?.create_user(&name, &role, typed).await.map_err(shown)?;
    Ok(if generated { password } else { String::new() })
}

/// Changes a user's role and whether they may sign in.
#[server(endpoint = "admin/update_user")]
pub async fn update_user(name: String, role: String, active: bool) -> Result<(), AppError> {
    use self::ssr::*;
    let me = authorize_user("iam:UpdateUser", &name)?;
    let role = accounts()?.role_name(&role).map_err(shown)?;
    let store = store()?;
    if !active {
        not_me(&me, &name, "disable")?;
    }
    if !active || role != "Admin" {
        keep_an_admin(&store, &name).await?;
    }
    let no_user = missing(format!("user named {name:?}"));
    store.set_user_role(&name, role).await.map_err(&no_user)?;
    store.set_user_active(&name, active).await.map_err(&no_user)
}

#[server(endpoint = "admin/delete_user")]
pub async fn delete_user(name: String) -> Result<(), AppError> {
    use self::ssr::*;
    let me = authorize_user("iam:DeleteUser", &name)?;
    not_me(&me, &name, "delete")?;
    let store = store()?;
    keep_an_admin(&store, &name).await?;
    store.delete_user(&name).await.map_err(missing(format!("user named {name:?}")))
}

/// A user's keys, oldest first; never their secrets.
#[server(endpoint = "admin/list_access_keys")]
pub async fn list_access_keys(user: String) -> Result<Vec<KeyRow>, AppError> {
    use self::ssr::*;
    authorize_user("iam:ListAccessKeys", &user)?;
    let keys = store()?.list_access_keys(&user).await.map_err(store_error)?;
    Ok(keys
        .into_iter()
        .map(|k| KeyRow { access_key_id: k.access_key_id, active: k.active, created_ms: k.created_ms })
        .collect())
}

#[server(endpoint = "admin/create_access_key")]
pub async fn create_access_key(user: String) -> Result<NewKey, AppError> {
    use self::ssr::*;
    authorize_user("iam:CreateAccessKey", &user)?;
    let (access_key_id, secret_access_key) = accounts()?.create_access_key(&user).await.map_err(shown)?;
    Ok(NewKey { access_key_id, secret_access_key })
}

/// Revokes a key for good (IAM's UpdateAccessKey to `Inactive`), checked on its owner's ARN.
#[server(endpoint = "admin/update_access_key")]
pub async fn update_access_key(access_key_id: String) -> Result<(), AppError> {
    use self::ssr::*;
    let store = store()?;
    let no_key = missing(format!("access key {access_key_id:?}"));
    let key = store.access_key(&access_key_id).await.map_err(&no_key)?;
    authorize_user("iam:UpdateAccessKey", &key.user_name)?;
    store.revoke_access_key(&access_key_id).await.map_err(&no_key)
}

/// The signed-in user's own password; the current one must be given.
#[server(endpoint = "admin/change_password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    use self::ssr::*;
    let me = crate::auth::current_user()?;
    let session = use_context::<crate::auth::CurrentSession>().map(|session| session.0);
    authorize_user("iam:ChangePassword", &me.name)?;
    accounts()?.change_password(&me.name, Some(current_password), new_password, session).await.map_err(shown)
}

#[server(endpoint = "admin/list_user_policies")]
pub async fn list_user_policies(user: String) -> Result<Vec<PolicyRow>, AppError> {
    use self::ssr::*;
    authorize_user("iam:ListUserPolicies", &user)?;
    let policies = store()?.user_policies(&user).await.map_err(store_error)?;
    Ok(policies.into_iter().map(|p| PolicyRow { name: p.name, document: p.document }).collect())
}

/// Adds or replaces an inline policy; a document IAM's grammar refuses is refused with the reason.
#[server(endpoint = "admin/put_user_policy")]
pub async fn put_user_policy(user: String, policy_name: String, document: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_user("iam:PutUserPolicy", &user)?;
    checked_policy(&policy_name, &document)?;
    store()?.put_user_policy(&user, &policy_name, &document).await.map_err(missing(format!("user named {user:?}")))
}

#[server(endpoint = "admin/delete_user_policy")]
pub async fn delete_user_policy(user: String, policy_name: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_user("iam:DeleteUserPolicy", &user)?;
    store()?
        .delete_user_policy(&user, &policy_name)
        .await
        .map_err(missing(format!("policy {policy_name:?} on {user:?}")))
}

/// Adds a group; `role` empty for a group that grants only its policies.
#[server(endpoint = "admin/create_group")]
pub async fn create_group(name: String, role: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:CreateGroup", &name)?;
    let role = (!role.is_empty()).then_some(role.as_str());
    accounts()?.create_group(&name, role).await.map_err(shown)
}

#[server(endpoint = "admin/update_group")]
pub async fn update_group(name: String, role: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:UpdateGroup", &name)?;
    let role = if role.is_empty() { None } else { Some(accounts()?.role_name(&role).map_err(shown)?) };
    store()?.set_group_role(&name, role).await.map_err(missing(format!("group named {name:?}")))
}

#[server(endpoint = "admin/delete_group")]
pub async fn delete_group(name: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:DeleteGroup", &name)?;
    store()?.delete_group(&name).await.map_err(missing(format!("group named {name:?}")))
}

#[server(endpoint = "admin/add_user_to_group")]
pub async fn add_user_to_group(group: String, user: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:AddUserToGroup", &group)?;
    store()?.add_user_to_group(&group, &user).await.map_err(missing(format!("group {group:?} or user {user:?}")))
}

#[server(endpoint = "admin/remove_user_from_group")]
pub async fn remove_user_from_group(group: String, user: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:RemoveUserFromGroup", &group)?;
    store()?.remove_user_from_group(&group, &user).await.map_err(missing(format!("member {user:?} in {group:?}")))
}

#[server(endpoint = "admin/list_group_policies")]
pub async fn list_group_policies(group: String) -> Result<Vec<PolicyRow>, AppError> {
    use self::ssr::*;
    authorize_group("iam:ListGroupPolicies", &group)?;
    let policies = store()?.group_policies(&group).await.map_err(store_error)?;
    Ok(policies.into_iter().map(|p| PolicyRow { name: p.name, document: p.document }).collect())
}

#[server(endpoint = "admin/put_group_policy")]
pub async fn put_group_policy(group: String, policy_name: String, document: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:PutGroupPolicy", &group)?;
    checked_policy(&policy_name, &document)?;
    store()?.put_group_policy(&group, &policy_name, &document).await.map_err(missing(format!("group named {group:?}")))
}

#[server(endpoint = "admin/delete_group_policy")]
pub async fn delete_group_policy(group: String, policy_name: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:DeleteGroupPolicy", &group)?;
    store()?
        .delete_group_policy(&group, &policy_name)
        .await
        .map_err(missing(format!("policy {policy_name:?} on {group:?}")))
}

/// A policy name by IAM's rules and a document the policy engine accepts.
#[cfg(feature = "ssr")]
fn checked_policy(policy_name: &str, document: &str) -> Result<(), AppError> {
    let name_ok = !policy_name.is_empty()
        && policy_name.len() <= 128
        && policy_name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if !name_ok {
        return Err(AppError::Refused(format!(
            "A policy name is 1 to 128 letters, digits and +=,.@_- characters; {policy_name:?} is not."
        )));
    }
    ssr::accounts()?.check_policy(document).map_err(AppError::Refused)
}
