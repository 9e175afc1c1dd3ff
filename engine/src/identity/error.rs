//! What can go wrong with users, keys, groups and sessions, worded for whoever asked (a page, the
//! CLI); the server names the IAM exception at its edge.
use crate::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("There is no user named {0:?}.")]
    UserNotFound(String),
    #[error("There is no group named {0:?}.")]
    GroupNotFound(String),
    #[error("There is no access key {0:?}.")]
    AccessKeyNotFound(String),
    /// `owner` names the user or the group.
    #[error("There is no policy {policy:?} on {owner:?}.")]
    PolicyNotFound { owner: String, policy: String },
    #[error("{user:?} is not a member of {group:?}.")]
    NotAMember { group: String, user: String },
    #[error("A user named {0:?} already exists.")]
    UserNameInUse(String),
    #[error("A group named {0:?} already exists.")]
    GroupNameInUse(String),
    /// `kind` is "user" or "group".
    #[error("A {kind} name is 1 to 64 letters, digits and +=,.@_- characters, as in IAM; {name:?} is not.")]
    InvalidName { kind: &'static str, name: String },
    #[error("A policy name is 1 to 128 letters, digits and +=,.@_- characters; {0:?} is not.")]
    InvalidPolicyName(String),
    /// The policy parser's reason.
    #[error("{0}")]
    InvalidPolicy(String),
    #[error("{0:?} is not a role: use Admin, Editor, Approver or Viewer.")]
    UnknownRole(String),
    /// Removing, demoting or disabling this user would leave nobody to undo it.
    #[error("{0} is the last active Admin; make someone else Admin first.")]
    LastAdmin(String),
    #[error("The current password is wrong.")]
    WrongPassword,
    #[error("A password has at least 8 characters.")]
    PasswordTooShort,
    #[error("The new password must differ from the current one.")]
    PasswordUnchanged,
    #[error("{0:?} is not an e-mail address.")]
    InvalidEmail(String),
    #[error("Could not hash the password: {0}")]
    Hashing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IdentityError {
    /// The named user, group, key, policy or membership does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            IdentityError::UserNotFound(_)
                | IdentityError::GroupNotFound(_)
                | IdentityError::AccessKeyNotFound(_)
                | IdentityError::PolicyNotFound { .. }
                | IdentityError::NotAMember { .. }
        )
    }
}

impl From<sqlx::Error> for IdentityError {
    fn from(err: sqlx::Error) -> Self {
        IdentityError::Store(err.into())
    }
}

/// A store error, its `NotFound` said as `instead`.
pub(super) fn or_missing(instead: IdentityError) -> impl FnOnce(StoreError) -> IdentityError {
    or_instead(StoreError::NotFound, instead)
}

/// A store error, its `Conflict` (a unique name taken) said as `instead`.
pub(super) fn or_taken(instead: IdentityError) -> impl FnOnce(StoreError) -> IdentityError {
    or_instead(StoreError::Conflict, instead)
}

fn or_instead(kind: StoreError, instead: IdentityError) -> impl FnOnce(StoreError) -> IdentityError {
    move |err| match (&err, &kind) {
        (StoreError::NotFound, StoreError::NotFound) | (StoreError::Conflict, StoreError::Conflict) => instead,
        _ => IdentityError::Store(err),
    }
}
