//! Who may do what: users, access keys, groups, inline policies and browser sessions, and the
//! policy evaluation that answers for a caller. The API, the web app and the CLI all go through
//! here, so a rule such as "never remove the last active Admin" holds whichever way a change is made.
mod caller;
mod credentials;
mod error;
mod groups;
mod keys;
pub mod policy;
mod sessions;
mod users;

pub use caller::{Caller, Permissions};
pub(crate) use credentials::new_random_token;
pub use error::IdentityError;
pub use groups::Group;
pub use keys::{AccessKey, NewAccessKey, SigningKey};
pub use policy::{Decision, Policy, Role};
pub(crate) use sessions::token_hash;
pub use users::{InlinePolicy, User};

use crate::{Account, Engine, Store};

pub type Result<T, E = IdentityError> = std::result::Result<T, E>;

/// Sluice's own IAM action for reading the audit trail (only Admin's `*` grants it).
pub const AUDIT_ACTION: &str = "sluice:ListAuditRecords";

/// Users, keys, groups, policies and sessions; `Engine::identity` hands one out. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Identity {
    store: Store,
}

impl Identity {
    /// For work on the database without a running engine: the CLI, and the first admin at start-up.
    pub fn new(store: Store) -> Self {
        Identity { store }
    }
}

/// The built-in role of that name (in any case), or why there is none.
pub fn parse_role(name: &str) -> Result<Role> {
    Role::parse(name).ok_or_else(|| IdentityError::UnknownRole(name.to_owned()))
}

impl Account {
    /// `arn:aws:iam::<account>:user/<name>`: what `lastChangedBy` and the audit trail record.
    pub fn user_arn(&self, user_name: &str) -> String {
        format!("arn:aws:iam::{}:user/{user_name}", self.id)
    }

    /// `arn:aws:events:<region>:<account>:rule/<name>`: an EventBridge rule on the default bus.
    pub fn event_rule_arn(&self, name: &str) -> String {
        format!("arn:aws:events:{}:{}:rule/{name}", self.region, self.id)
    }

    /// `arn:aws:events:<region>:<account>:event-bus/default`: what PutEvents is authorized on.
    pub fn default_event_bus_arn(&self) -> String {
        format!("arn:aws:events:{}:{}:event-bus/default", self.region, self.id)
    }

    pub fn group_arn(&self, group_name: &str) -> String {
        format!("arn:aws:iam::{}:group/{group_name}", self.id)
    }
}

impl Engine {
    pub fn identity(&self) -> Identity {
        Identity::new(self.store.clone())
    }

    /// The caller `user_name` is, with their policies, having signed with `access_key_id` (if a
    /// key). `UserNotFound` for a disabled user too: they may do nothing.
    pub async fn caller(&self, user_name: &str, access_key_id: Option<String>) -> Result<Caller> {
        Caller::load(&self.identity(), &self.account, user_name, access_key_id).await
    }

    /// The caller signed in by the browser session `token`, or `None` once it has ended, expired
    /// or its user was disabled.
    pub async fn session_caller(&self, token: &str) -> Result<Option<Caller>> {
        let token_hash = sessions::token_hash(token);
        let Some(user_name) = self.store.session_user(&token_hash).await? else { return Ok(None) };
        match self.caller(&user_name, None).await {
            Ok(caller) => Ok(Some(caller.with_session(token_hash))),
            Err(IdentityError::UserNotFound(_)) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// IAM's rule for user and group names.
fn check_name(kind: &'static str, name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(is_name_char) {
        return Err(IdentityError::InvalidName { kind, name: name.to_owned() });
    }
    Ok(())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}
