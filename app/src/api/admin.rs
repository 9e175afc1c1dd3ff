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
pub(super) mod ssr {
    pub use super::super::ssr::{engine, store_error};
    use crate::api::AppError;
    use crate::auth::{authorize, CurrentUser};
    pub use engine::identity::{parse_role, Identity, IdentityError};

    pub fn identity() -> Result<Identity, AppError> {
        Ok(engine()?.identity())
    }

    /// `authorize` on `arn:aws:iam::ACCOUNT:user/NAME`.
    pub fn authorize_user(action: &str, user_name: &str) -> Result<CurrentUser, AppError> {
        authorize(action, &engine()?.account().user_arn(user_name))
    }

    /// `authorize` on `arn:aws:iam::ACCOUNT:group/NAME`.
    pub fn authorize_group(action: &str, group_name: &str) -> Result<CurrentUser, AppError> {
        authorize(action, &engine()?.account().group_arn(group_name))
    }

    /// The engine's refusal in the page's words; database details go to the log.
    pub fn shown(err: IdentityError) -> AppError {
        match err {
            IdentityError::Store(err) => store_error(err),
            err if err.is_not_found() => AppError::NotFound(err.to_string()),
            // What the user asked for cannot be done (the last Admin, a bad name): a refusal.
            err => AppError::Refused(err.to_string()),
        }
    }

    pub fn not_me(me: &CurrentUser, user_name: &str, what: &str) -> Result<(), AppError> {
        if me.name == user_name {
            return Err(AppError::Refused(format!("You cannot {what} yourself.")));
        }
        Ok(())
    }
}

#[server(endpoint = "admin/list_users", output = crate::api::codec::Json)]
pub async fn list_users() -> Result<Directory, AppError> {
    use self::ssr::*;
    let me = authorize_user("iam:ListUsers", "*")?;
    authorize_group("iam:ListGroups", "*")?;
    let identity = identity()?;
    let groups = identity.list_groups().await.map_err(shown)?;
    let mut users = Vec::new();
    for user in identity.list_users().await.map_err(shown)? {
        let keys = identity.list_access_keys(&user.name).await.map_err(shown)?;
        users.push(UserRow {
            groups: groups.iter().filter(|g| g.members.contains(&user.name)).map(|g| g.name.clone()).collect(),
            active_keys: keys.iter().filter(|key| key.active).count(),
            name: user.name,
            role: user.role.name().to_owned(),
            active: user.active,
        });
    }
    let groups = groups
        .into_iter()
        .map(|g| GroupRow {
            name: g.name,
            role: g.role.map(|r| r.name().to_owned()).unwrap_or_default(),
            members: g.members,
        })
        .collect();
    Ok(Directory { me: me.name, users, groups })
}

/// Adds a user; answers the password when it was generated (to be shown once), else nothing.
#[server(endpoint = "admin/create_user", output = crate::api::codec::Json)]
pub async fn create_user(name: String, role: String, password: String) -> Result<String, AppError> {
    use self::ssr::*;
    authorize_user("iam:CreateUser", &name)?;
    let typed = (!password.is_empty()).then_some(password);
    let generated = typed.is_none();
    let role = parse_role(&role).map_err(shown)?;
    let password = identity()?.create_user(&name, role, typed).await.map_err(shown)?;
    Ok(if generated { password } else { String::new() })
}

/// Changes a user's role and whether they may sign in; the engine keeps the last active Admin one.
#[server(endpoint = "admin/update_user", output = crate::api::codec::Json)]
pub async fn update_user(name: String, role: String, active: bool) -> Result<(), AppError> {
    use self::ssr::*;
    let me = authorize_user("iam:UpdateUser", &name)?;
    let role = parse_role(&role).map_err(shown)?;
    if !active {
        not_me(&me, &name, "disable")?;
    }
    let identity = identity()?;
    identity.set_user_role(&name, role).await.map_err(shown)?;
    identity.set_user_active(&name, active).await.map_err(shown)
}

#[server(endpoint = "admin/delete_user", output = crate::api::codec::Json)]
pub async fn delete_user(name: String) -> Result<(), AppError> {
    use self::ssr::*;
    let me = authorize_user("iam:DeleteUser", &name)?;
    not_me(&me, &name, "delete")?;
    identity()?.delete_user(&name).await.map_err(shown)
}

/// A user's keys, oldest first; never their secrets.
#[server(endpoint = "admin/list_access_keys", output = crate::api::codec::Json)]
pub async fn list_access_keys(user: String) -> Result<Vec<KeyRow>, AppError> {
    use self::ssr::*;
    authorize_user("iam:ListAccessKeys", &user)?;
    let keys = identity()?.list_access_keys(&user).await.map_err(shown)?;
    Ok(keys
        .into_iter()
        .map(|k| KeyRow { access_key_id: k.access_key_id, active: k.active, created_ms: k.created_ms })
        .collect())
}

#[server(endpoint = "admin/create_access_key", output = crate::api::codec::Json)]
pub async fn create_access_key(user: String) -> Result<NewKey, AppError> {
    use self::ssr::*;
    authorize_user("iam:CreateAccessKey", &user)?;
    let key = identity()?.create_access_key(&user).await.map_err(shown)?;
    Ok(NewKey { access_key_id: key.access_key_id, secret_access_key: key.secret_access_key })
}

/// Revokes a key for good (IAM's UpdateAccessKey to `Inactive`), checked on its owner's ARN.
#[server(endpoint = "admin/update_access_key", output = crate::api::codec::Json)]
pub async fn update_access_key(access_key_id: String) -> Result<(), AppError> {
    use self::ssr::*;
    let identity = identity()?;
    let key = identity.access_key(&access_key_id).await.map_err(shown)?;
    authorize_user("iam:UpdateAccessKey", &key.user_name)?;
    identity.revoke_access_key(&access_key_id).await.map_err(shown)
}

/// The signed-in user's own password; the current one must be given. Their other sessions end.
#[server(endpoint = "admin/change_password", output = crate::api::codec::Json)]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    use self::ssr::*;
    let caller = crate::auth::caller()?;
    authorize_user("iam:ChangePassword", &caller.user_name)?;
    identity()?.change_own_password(&caller, current_password, new_password).await.map_err(shown)
}

#[server(endpoint = "admin/list_user_policies", output = crate::api::codec::Json)]
pub async fn list_user_policies(user: String) -> Result<Vec<PolicyRow>, AppError> {
    use self::ssr::*;
    authorize_user("iam:ListUserPolicies", &user)?;
    let policies = identity()?.user_policies(&user).await.map_err(shown)?;
    Ok(policies.into_iter().map(|p| PolicyRow { name: p.name, document: p.document }).collect())
}

/// Adds or replaces an inline policy; a document IAM's grammar refuses is refused with the reason.
#[server(endpoint = "admin/put_user_policy", output = crate::api::codec::Json)]
pub async fn put_user_policy(user: String, policy_name: String, document: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_user("iam:PutUserPolicy", &user)?;
    identity()?.put_user_policy(&user, &policy_name, &document).await.map_err(shown)
}

#[server(endpoint = "admin/delete_user_policy", output = crate::api::codec::Json)]
pub async fn delete_user_policy(user: String, policy_name: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_user("iam:DeleteUserPolicy", &user)?;
    identity()?.delete_user_policy(&user, &policy_name).await.map_err(shown)
}

/// Adds a group; `role` empty for a group that grants only its policies.
#[server(endpoint = "admin/create_group", output = crate::api::codec::Json)]
pub async fn create_group(name: String, role: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:CreateGroup", &name)?;
    let role = (!role.is_empty()).then(|| parse_role(&role)).transpose().map_err(shown)?;
    identity()?.create_group(&name, role).await.map_err(shown)
}

#[server(endpoint = "admin/update_group", output = crate::api::codec::Json)]
pub async fn update_group(name: String, role: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:UpdateGroup", &name)?;
    let role = (!role.is_empty()).then(|| parse_role(&role)).transpose().map_err(shown)?;
    identity()?.set_group_role(&name, role).await.map_err(shown)
}

#[server(endpoint = "admin/delete_group", output = crate::api::codec::Json)]
pub async fn delete_group(name: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:DeleteGroup", &name)?;
    identity()?.delete_group(&name).await.map_err(shown)
}

#[server(endpoint = "admin/add_user_to_group", output = crate::api::codec::Json)]
pub async fn add_user_to_group(group: String, user: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:AddUserToGroup", &group)?;
    identity()?.add_user_to_group(&group, &user).await.map_err(shown)
}

#[server(endpoint = "admin/remove_user_from_group", output = crate::api::codec::Json)]
pub async fn remove_user_from_group(group: String, user: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:RemoveUserFromGroup", &group)?;
    identity()?.remove_user_from_group(&group, &user).await.map_err(shown)
}

#[server(endpoint = "admin/list_group_policies", output = crate::api::codec::Json)]
pub async fn list_group_policies(group: String) -> Result<Vec<PolicyRow>, AppError> {
    use self::ssr::*;
    authorize_group("iam:ListGroupPolicies", &group)?;
    let policies = identity()?.group_policies(&group).await.map_err(shown)?;
    Ok(policies.into_iter().map(|p| PolicyRow { name: p.name, document: p.document }).collect())
}

#[server(endpoint = "admin/put_group_policy", output = crate::api::codec::Json)]
pub async fn put_group_policy(group: String, policy_name: String, document: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:PutGroupPolicy", &group)?;
    identity()?.put_group_policy(&group, &policy_name, &document).await.map_err(shown)
}

#[server(endpoint = "admin/delete_group_policy", output = crate::api::codec::Json)]
pub async fn delete_group_policy(group: String, policy_name: String) -> Result<(), AppError> {
    use self::ssr::*;
    authorize_group("iam:DeleteGroupPolicy", &group)?;
    identity()?.delete_group_policy(&group, &policy_name).await.map_err(shown)
}
