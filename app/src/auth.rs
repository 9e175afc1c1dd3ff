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
    /// May list users (Admins): the header shows the Users link.
    pub can_manage_users: bool,
}

/// The policy check of the signed-in user: `(IAM action, resource ARN) -> allowed`.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct Permissions(pub std::sync::Arc<dyn Fn(&str, &str) -> bool + Send + Sync>);

/// The browser session making the request (its token's hash, never the token): a password change
/// keeps it and ends the user's other sessions.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct CurrentSession(pub String);

/// A boxed future, so `Accounts` can be a trait object.
#[cfg(feature = "ssr")]
pub type Pending<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, String>> + Send + 'a>>;

/// What the admin and account pages need from the server's identity module (password hashing,
/// key generation, IAM's naming rules, the policy parser), provided as context as `Permissions`
/// is. Errors are messages fit to show.
#[cfg(feature = "ssr")]
pub trait Accounts: Send + Sync {
    /// Creates a user; returns the password (generated when `password` is `None`).
    fn create_user<'a>(&'a self, name: &'a str, role: &'a str, password: Option<String>) -> Pending<'a, String>;
    /// Replaces a user's password after checking `current`, when given, and ends their sessions
    /// but `keep_session` (a `CurrentSession`'s token hash).
    fn change_password<'a>(
        &'a self,
        name: &'a str,
        current: Option<String>,
        new: String,
        keep_session: Option<String>,
    ) -> Pending<'a, ()>;
    /// A new key for the user: `(access key id, secret)`.
    fn create_access_key<'a>(&'a self, user_name: &'a str) -> Pending<'a, (String, String)>;
    fn create_group<'a>(&'a self, name: &'a str, role: Option<&'a str>) -> Pending<'a, ()>;
    /// The built-in role's canonical name, or why `role` is none.
    fn role_name(&self, role: &str) -> Result<&'static str, String>;
    /// Why a policy document would be refused, if it would.
    fn check_policy(&self, document: &str) -> Result<(), String>;
}

#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct AccountsHandle(pub std::sync::Arc<dyn Accounts>);

/// The built-in role names, for the pages' pickers.
pub const ROLES: [&str; 4] = ["Admin", "Editor", "Approver", "Viewer"];

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

/// The signed-in user; like `permissions`, take it before a server function's first await.
#[cfg(feature = "ssr")]
pub fn current_user() -> Result<CurrentUser, AppError> {
    use_context::<CurrentUser>().ok_or_else(|| AppError::Server("Sign in first.".into()))
}

/// The signed-in user as the engine checks them (what a pipeline they save or start may read);
/// like `permissions`, take it before a server function's first await.
#[cfg(feature = "ssr")]
pub fn principal() -> Result<engine::Principal, AppError> {
    let (user, permissions) = (current_user()?, permissions()?);
    Ok(engine::Principal::new(user.arn, move |action, resource| permissions.allow(action, resource)))
}

#[server]
pub async fn get_current_user() -> Result<CurrentUser, AppError> {
    current_user()
}

/// Refuses unless the signed-in user's policies allow `action` on `resource`.
#[cfg(feature = "ssr")]
pub fn authorize(action: &str, resource: &str) -> Result<CurrentUser, AppError> {
    let user = current_user()?;
    if permissions()?.allow(action, resource) {
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
