//! The signed-in user of one request and what their policies allow.
use super::policy::{self, Decision, Policy};
use super::{Identity, IdentityError, InlinePolicy, Result, Role};
use crate::{Account, StoreError};
use std::sync::Arc;

/// What a user's policies together allow: their role's, their inline ones, their self-service
/// rights, and each of their groups' role and inline policies.
#[derive(Debug, Clone)]
pub struct Permissions {
    policies: Arc<[Policy]>,
}

impl Permissions {
    /// No policy at all: everything is refused.
    pub fn none() -> Self {
        Permissions { policies: Arc::from([]) }
    }

    /// The built-in policies of `role`, as a user with that role and nothing else has them.
    pub fn of_role(role: Role) -> Self {
        Permissions { policies: Arc::from([policy::of_role(role)]) }
    }

    /// Exactly these policies, for unit tests of the checks that read them.
    #[cfg(test)]
    pub(crate) fn of_policies(policies: Vec<Policy>) -> Self {
        Permissions { policies: Arc::from(policies) }
    }

    /// IAM's answer to `action` on `resource`: one explicit Deny anywhere wins over every Allow.
    pub fn decide(&self, action: &str, resource: &str) -> Decision {
        policy::decide_all(self.policies.iter(), action, resource)
    }

    pub fn allow(&self, action: &str, resource: &str) -> bool {
        self.decide(action, resource) == Decision::Allow
    }
}

/// The authenticated principal of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_name: String,
    /// `arn:aws:iam::<account>:user/<name>`: what `lastChangedBy` and the audit trail record.
    pub arn: String,
    /// The key that signed the request.
    pub access_key_id: Option<String>,
    /// For a browser, its session: the first 16 hex digits of the token's hash, which name the
    /// session in the audit trail without being able to sign anyone in.
    pub session_id: Option<String>,
    /// For a browser, the hash of its session token: long-lived answers (event streams) check
    /// that the session still holds. Never recorded: it names the session in the store.
    session_hash: Option<String>,
    /// The user's password was chosen for them: the web app allows nothing else until they change it.
    pub must_change_password: bool,
    permissions: Permissions,
}

impl Caller {
    /// Loads the user's policies. A stored policy that no longer parses is an error rather than
    /// silently granting less or more; a disabled user is `UserNotFound`.
    pub(super) async fn load(
        identity: &Identity,
        account: &Account,
        user_name: &str,
        access_key_id: Option<String>,
    ) -> Result<Caller> {
        let user = identity.user(user_name).await?;
        if !user.active {
            return Err(IdentityError::UserNotFound(user_name.to_owned()));
        }
        let arn = account.user_arn(user_name);
        let mut policies = vec![policy::of_role(user.role), policy::self_service(&arn)];
        policies.extend(parsed(identity.user_policies(user_name).await?, &format!("user {user_name}"))?);
        for group in identity.groups_of_user(user_name).await? {
            policies.extend(group.role.map(policy::of_role));
            let owner = format!("group {}", group.name);
            policies.extend(parsed(identity.group_policies(&group.name).await?, &owner)?);
        }
        Ok(Caller {
            arn,
            user_name: user_name.to_owned(),
            access_key_id,
            session_id: None,
            session_hash: None,
            must_change_password: user.must_change_password,
            permissions: Permissions { policies: policies.into() },
        })
    }

    /// The same caller, signed in by the browser session whose token hashes to `token_hash`.
    pub(super) fn with_session(self, token_hash: String) -> Caller {
        Caller { session_id: Some(token_hash[..16].to_owned()), session_hash: Some(token_hash), ..self }
    }

    pub(super) fn session_hash(&self) -> Option<&str> {
        self.session_hash.as_deref()
    }

    pub fn permissions(&self) -> &Permissions {
        &self.permissions
    }

    /// Whether the caller may do `action` on `resource`.
    pub fn may(&self, action: &str, resource: &str) -> bool {
        self.permissions.allow(action, resource)
    }

    /// The caller as the engine checks them: what a pipeline they save or start may read.
    pub fn principal(&self) -> crate::Principal {
        crate::Principal::new(self.arn.clone(), self.permissions.clone())
    }
}

/// Stored policies parsed; `owner` ("user alice", "group ops") names them in errors.
fn parsed(stored: Vec<InlinePolicy>, owner: &str) -> Result<Vec<Policy>> {
    let parse = |stored: InlinePolicy| {
        Policy::parse(&stored.document)
            .map_err(|err| StoreError::Corrupt(format!("policy {} of {owner}: {err}", stored.name)).into())
    };
    stored.into_iter().map(parse).collect()
}
