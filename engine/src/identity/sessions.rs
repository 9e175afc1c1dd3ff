//! Browser sign-in: password checks and sessions. The store keeps only a token's hash, so a
//! database dump signs nobody in.
use super::{credentials, Caller, Identity, Result, User};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// An argon2id hash of a random password, checked against when the user does not exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2x1aWNlZHVtbXlzYWx0$0xgqDdtAa9h3pS1DqB2f3s1bq4xgBwDtNHc1Bq1yfIo";

impl Identity {
    /// The active user of that name and password, or `None`. Takes as long for an unknown or
    /// disabled user as for a wrong password, so the answer's timing does not tell which names exist.
    pub async fn sign_in(&self, user_name: &str, password: String) -> Option<User> {
        let stored = match self.store.user(user_name).await {
            Ok(stored) if stored.active => Some(stored),
            Ok(_) | Err(crate::StoreError::NotFound) => None,
            Err(err) => {
                tracing::error!(error = %err, "could not read a user to sign them in");
                None
            }
        };
        let hash = stored.as_ref().map_or(DUMMY_HASH.to_owned(), |stored| stored.password_hash.clone());
        let valid = credentials::check_password(password, hash).await;
        stored.filter(|_| valid).and_then(|stored| User::try_from(stored).ok())
    }

    /// A new session for `user_name` lasting `lifetime`; returns its token (for a cookie).
    pub async fn start_session(&self, user_name: &str, lifetime: Duration) -> Result<String> {
        let token = credentials::new_random_token();
        let expires_ms = crate::now_ms() + lifetime.as_millis() as i64;
        self.store.create_session(&token_hash(&token), user_name, expires_ms).await?;
        Ok(token)
    }

    /// Ends the session of `token` (sign-out).
    pub async fn end_session(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }

    /// Whether what the caller authenticated with still holds: the browser session (not signed
    /// out, expired or ended by a password change) or the access key (not revoked), and the user
    /// (not disabled or deleted).
    pub async fn still_valid(&self, caller: &Caller) -> Result<bool> {
        if let Some(token_hash) = caller.session_hash() {
            if self.store.session_user(token_hash).await?.as_deref() != Some(caller.user_name.as_str()) {
                return Ok(false);
            }
        } else if let Some(key_id) = &caller.access_key_id {
            if self.signing_key(key_id).await?.is_none() {
                return Ok(false);
            }
        }
        match self.store.user(&caller.user_name).await {
            Ok(user) => Ok(user.active),
            Err(crate::StoreError::NotFound) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }
}

/// The SHA-256 of a bearer token in hex: what is stored instead of the token.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(argon2::password_hash::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }
}
