//! The signed-in user as pages see them. The server checks the session before any page or
//! server function runs and provides the user (and, on the server, the engine's `Caller`) as context.
use crate::api::error::AppError;
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

#[server(output = crate::api::codec::Json)]
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
        Err(AppError::Denied(refusal(action, resource)))
    }
}

/// Why a request was refused, in words: the IAM action (what an admin grants) and the resource
/// by its kind and name rather than its ARN.
pub fn refusal(action: &str, resource: &str) -> String {
    format!("Your permissions do not allow {action} on {}.", resource_words(resource))
}

/// "the pipeline “web”, stage “Build”" for `arn:aws:codepipeline:REGION:ACCOUNT:web/Build`, and
/// the like for IAM users and groups; other resources as they are.
fn resource_words(resource: &str) -> String {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let quoted = |kind: &str, name: &str| format!("{kind} \u{201c}{name}\u{201d}");
    match parts.as_slice() {
        ["*"] => "any resource".to_owned(),
        ["arn", _, "codepipeline", _, _, path] => {
            let mut names = path.split('/');
            let words: Vec<String> = ["the pipeline", "stage", "action"]
                .into_iter()
                .zip(names.by_ref())
                .map(|(kind, name)| if name == "*" { format!("{kind} of any name") } else { quoted(kind, name) })
                .collect();
            words.join(", ")
        }
        ["arn", _, "iam", _, _, path] => match path.split_once('/') {
            Some((kind, name)) => quoted(&format!("the {kind}"), name),
            None => resource.to_owned(),
        },
        _ => resource.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn refusals_name_the_resource_in_words() {
        assert_eq!(
            refusal("codepipeline:PutApprovalResult", "arn:aws:codepipeline:us-east-1:000000000000:web/Prod/Gate"),
            "Your permissions do not allow codepipeline:PutApprovalResult on the pipeline \u{201c}web\u{201d}, \
             stage \u{201c}Prod\u{201d}, action \u{201c}Gate\u{201d}."
        );
        assert_eq!(
            refusal("iam:DeleteUser", "arn:aws:iam::000000000000:user/alice"),
            "Your permissions do not allow iam:DeleteUser on the user \u{201c}alice\u{201d}."
        );
        assert_eq!(
            refusal("codepipeline:ListPipelines", "*"),
            "Your permissions do not allow codepipeline:ListPipelines on any resource."
        );
    }
}
