//! The signed-in user as pages see them. The server checks the session before any page or
//! server function runs and provides the user (and, on the server, the engine's `Caller`) as context.
use crate::api::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Who is signed in, and what the pages may offer them. The pages hide what the user may not
/// do; the server refuses it anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub name: String,
    pub arn: String,
    pub can_create_pipelines: bool,
    pub can_read_audit: bool,
    /// May list users (Admins): the header shows the Users link.
    pub can_manage_users: bool,
}

/// The policy check of the signed-in user, as the engine evaluates it.
#[cfg(feature = "ssr")]
pub use engine::identity::Permissions;

/// The built-in role names, for the pages' pickers (the engine's roles, from `model`).
pub const ROLES: [&str; 4] = model::Role::NAMES;

/// The signed-in caller, as the server's guard loaded them; like `current_user`, take it before a
/// server function's first await, as the request's context is not always there afterwards.
#[cfg(feature = "ssr")]
pub fn caller() -> Result<engine::Caller, AppError> {
    use_context::<engine::Caller>().ok_or_else(|| AppError::Server("Sign in first.".into()))
}

/// The signed-in user's policy check, for decisions a server function makes after an await.
#[cfg(feature = "ssr")]
pub fn permissions() -> Result<Permissions, AppError> {
    Ok(caller()?.permissions().clone())
}

/// The signed-in user; like `permissions`, take it before a server function's first await.
#[cfg(feature = "ssr")]
pub fn current_user() -> Result<CurrentUser, AppError> {
    use_context::<CurrentUser>().ok_or_else(|| AppError::Server("Sign in first.".into()))
}

/// The signed-in user as the engine checks them (what a pipeline they save or start may read);
/// like `permissions`, take it before a server function's first await.
#[cfg(feature = "ssr")]
pub fn principal() -> Result<engine::Principal, AppError> {
    Ok(caller()?.principal())
}

#[server]
pub async fn get_current_user() -> Result<CurrentUser, AppError> {
    current_user()
}

/// Refuses unless the signed-in user's policies allow `action` on `resource`.
#[cfg(feature = "ssr")]
pub fn authorize(action: &str, resource: &str) -> Result<CurrentUser, AppError> {
    let user = current_user()?;
    if caller()?.may(action, resource) {
        Ok(user)
    } else {
        Err(AppError::Server(format!("{} is not allowed to perform {action} on {resource}.", user.arn)))
    }
}
