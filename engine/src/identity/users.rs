//! Users, their passwords and their inline policies, and the rule that someone always remains
//! who can undo a change: the last active Admin is never removed, demoted or disabled.
use super::error::{or_missing, or_taken};
use super::{check_name, credentials, is_name_char, parse_role, Caller, Identity, IdentityError, Policy, Result, Role};
use crate::store::identity::UserRecord;
use crate::StoreError;

/// A user; the password hash stays in the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// False once an admin disabled the user: no sign-in, no session, no signed request.
    pub active: bool,
    /// The password was chosen for the user (the first admin's generated one): the web app lets
    /// them do nothing else until they change it.
    pub must_change_password: bool,
    /// Where their notifications go, if they gave an address.
    pub email: Option<String>,
    pub created_ms: i64,
}

/// An inline policy of a user or a group, as its author wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicy {
    pub name: String,
    pub document: String,
}

impl TryFrom<UserRecord> for User {
    type Error = IdentityError;

    fn try_from(record: UserRecord) -> Result<User> {
        let role = parse_role(&record.role)
            .map_err(|_| StoreError::Corrupt(format!("user {} has unknown role {:?}", record.name, record.role)))?;
        Ok(User {
            name: record.name,
            role,
            active: record.active,
            must_change_password: record.must_change_password,
            email: record.email,
            created_ms: record.created_ms,
        })
    }
}

const MIN_PASSWORD_CHARS: usize = 8;

impl Identity {
    /// A new user with `password`, or a generated one; the password is returned so it can be
    /// shown once.
    pub async fn create_user(&self, name: &str, role: Role, password: Option<String>) -> Result<String> {
        check_name("user", name)?;
        let password = password.unwrap_or_else(credentials::new_password);
        let hash = credentials::hash_password_in_slot(password.clone()).await?;
        self.store
            .create_user(name, &hash, role.name())
            .await
            .map_err(or_taken(IdentityError::UserNameInUse(name.to_owned())))?;
        Ok(password)
    }

    pub async fn user(&self, name: &str) -> Result<User> {
        self.store.user(name).await.map_err(or_missing(IdentityError::UserNotFound(name.to_owned())))?.try_into()
    }

    /// Every user in name order.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        self.store.list_users().await?.into_iter().map(User::try_from).collect()
    }

    pub async fn set_user_role(&self, name: &str, role: Role) -> Result<()> {
        if role != Role::Admin {
            self.keep_an_admin(name).await?;
        }
        self.store.set_user_role(name, role.name()).await.map_err(or_missing(IdentityError::UserNotFound(name.into())))
    }

    /// Sets or clears (with an empty text) the address the user's notifications go to.
    pub async fn set_user_email(&self, name: &str, email: &str) -> Result<()> {
        let email = email.trim();
        if !email.is_empty() && !crate::notify::topics::is_email_address(email) {
            return Err(IdentityError::InvalidEmail(email.to_owned()));
        }
        let email = (!email.is_empty()).then_some(email);
        self.store.set_user_email(name, email).await.map_err(or_missing(IdentityError::UserNotFound(name.into())))
    }

    /// Enables or disables a user; a disabled user's sessions end with it.
    pub async fn set_user_active(&self, name: &str, active: bool) -> Result<()> {
        if !active {
            self.keep_an_admin(name).await?;
        }
        self.store.set_user_active(name, active).await.map_err(or_missing(IdentityError::UserNotFound(name.into())))
    }

    /// Removes a user with their keys, policies, sessions and group memberships.
    pub async fn delete_user(&self, name: &str) -> Result<()> {
        self.keep_an_admin(name).await?;
        self.store.delete_user(name).await.map_err(or_missing(IdentityError::UserNotFound(name.into())))
    }

    /// Refuses to take `changing` away as an active Admin when no other active Admin would remain.
    async fn keep_an_admin(&self, changing: &str) -> Result<()> {
        let users = self.list_users().await?;
        let active_admin = |user: &User| user.active && user.role == Role::Admin;
        let changes_an_admin = users.iter().any(|user| user.name == changing && active_admin(user));
        if changes_an_admin && !users.iter().any(|user| user.name != changing && active_admin(user)) {
            return Err(IdentityError::LastAdmin(changing.to_owned()));
        }
        Ok(())
    }

    /// The caller's own new password, after checking their current one. Ends their other sessions,
    /// keeping the one that made the change (if a browser did).
    pub async fn change_own_password(&self, caller: &Caller, current: String, new: String) -> Result<()> {
        if new.chars().count() < MIN_PASSWORD_CHARS {
            return Err(IdentityError::PasswordTooShort);
        }
        if current == new {
            return Err(IdentityError::PasswordUnchanged);
        }
        let name = &caller.user_name;
        let stored = self.store.user(name).await.map_err(or_missing(IdentityError::UserNotFound(name.clone())))?;
        if !credentials::check_password(current, stored.password_hash).await {
            return Err(IdentityError::WrongPassword);
        }
        let hash = credentials::hash_password_in_slot(new).await?;
        self.store
            .set_password_hash(name, &hash, caller.session_hash())
            .await
            .map_err(or_missing(IdentityError::UserNotFound(name.clone())))
    }

    /// Makes the user change their password at their next sign-in, before anything else.
    pub async fn require_password_change(&self, name: &str) -> Result<()> {
        self.store.require_password_change(name).await.map_err(or_missing(IdentityError::UserNotFound(name.into())))
    }

    /// On an empty store, creates the first admin so nothing is ever open; returns the password to
    /// print when it was generated (`None` when it came from the operator or users already exist).
    pub async fn ensure_admin(&self, given_password: Option<String>) -> Result<Option<String>> {
        if !self.store.list_users().await?.is_empty() {
            return Ok(None);
        }
        let generated = given_password.is_none();
        let password = self.create_user("admin", Role::Admin, given_password).await?;
        if generated {
            // Printed to a console or a log: whoever reads it later must not keep using it.
            self.require_password_change("admin").await?;
        }
        Ok(generated.then_some(password))
    }

    pub async fn user_policies(&self, user_name: &str) -> Result<Vec<InlinePolicy>> {
        Ok(self.store.user_policies(user_name).await?)
    }

    /// Adds or replaces one of a user's inline policies; a document IAM's grammar refuses is
    /// refused with the parser's reason.
    pub async fn put_user_policy(&self, user_name: &str, policy_name: &str, document: &str) -> Result<()> {
        check_policy(policy_name, document)?;
        self.store
            .put_user_policy(user_name, policy_name, document)
            .await
            .map_err(or_missing(IdentityError::UserNotFound(user_name.into())))
    }

    pub async fn delete_user_policy(&self, user_name: &str, policy_name: &str) -> Result<()> {
        let missing = IdentityError::PolicyNotFound { owner: user_name.into(), policy: policy_name.into() };
        self.store.delete_user_policy(user_name, policy_name).await.map_err(or_missing(missing))
    }
}

/// A policy name by IAM's rules and a document the policy parser accepts.
pub(super) fn check_policy(policy_name: &str, document: &str) -> Result<()> {
    if policy_name.is_empty() || policy_name.len() > 128 || !policy_name.chars().all(is_name_char) {
        return Err(IdentityError::InvalidPolicyName(policy_name.to_owned()));
    }
    Policy::parse(document).map(drop).map_err(IdentityError::InvalidPolicy)
}
