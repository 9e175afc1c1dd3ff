//! The signed-in user as pages see them. The server checks the session before any page or
//! server function runs and provides the user (and their permissions) as context.
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
}

/// The policy check of the signed-in user: `(IAM action, resource ARN) -> allowed`.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct Permissions(pub std::sync::Arc<dyn Fn(&str, &str) -> bool + Send + Sync>);

#[cfg(feature = "ssr")]
impl Permissions {
    pub fn allow(&self, action: &str, resource: &str) -> bool {
        (self.0)(action, resource)
    }
}

/// The signed-in user's policy check, for decisions a server function makes after an await:
/// take it before the first one, as the request's context is not always there afterwards.
#[cfg(feature = "ssr")]
pub fn permissions() -> Result<Permissions, AppError> {
    use_context::<Permissions>().ok_or_else(|| AppError::Server("Sign in first.".into()))
}

#[server]
pub async fn get_current_user() -> Result<CurrentUser, AppError> {
    use_context::<CurrentUser>().ok_or_else(|| AppError::Server("Sign in first.".into()))
}

/// Refuses unless the signed-in user's policies allow `action` on `resource`.
#[cfg(feature = "ssr")]
pub fn authorize(action: &str, resource: &str) -> Result<CurrentUser, AppError> {
    let user = use_context::<CurrentUser>().ok_or_else(|| AppError::Server("Sign in first.".into()))?;
    if permissions()?.allow(action, resource) {
        Ok(user)
    } else {
        Err(AppError::Server(format!("{} is not allowed to perform {action} on {resource}.", user.arn)))
    }
}
