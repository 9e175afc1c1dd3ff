//! Access keys: what SigV4-signed requests are signed with.
use super::error::or_missing;
use super::{credentials, Identity, IdentityError, Result};
use crate::store::identity::AccessKeyRecord;

/// A key as listed; its secret is never shown again after creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub user_name: String,
    /// False once the key is revoked.
    pub active: bool,
    pub created_ms: i64,
}

/// A new key; the secret is in this answer only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// What checking a request's signature takes: an active key's secret and its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub access_key_id: String,
    pub user_name: String,
    pub secret_access_key: String,
}

impl From<AccessKeyRecord> for AccessKey {
    fn from(record: AccessKeyRecord) -> Self {
        AccessKey {
            access_key_id: record.access_key_id,
            user_name: record.user_name,
            active: record.active,
            created_ms: record.created_ms,
        }
    }
}

impl Identity {
    /// A new access key for an existing user.
    pub async fn create_access_key(&self, user_name: &str) -> Result<NewAccessKey> {
        let key = NewAccessKey {
            access_key_id: credentials::new_access_key_id(),
            secret_access_key: credentials::new_secret_access_key(),
        };
        self.store
            .create_access_key(user_name, &key.access_key_id, &key.secret_access_key)
            .await
            .map_err(or_missing(IdentityError::UserNotFound(user_name.to_owned())))?;
        Ok(key)
    }

    pub async fn access_key(&self, access_key_id: &str) -> Result<AccessKey> {
        let missing = IdentityError::AccessKeyNotFound(access_key_id.to_owned());
        Ok(self.store.access_key(access_key_id).await.map_err(or_missing(missing))?.into())
    }

    /// The key's secret while the key is active; `None` for an unknown or revoked key.
    pub async fn signing_key(&self, access_key_id: &str) -> Result<Option<SigningKey>> {
        match self.store.access_key(access_key_id).await {
            Ok(key) if key.active => Ok(Some(SigningKey {
                access_key_id: key.access_key_id,
                user_name: key.user_name,
                secret_access_key: key.secret_access_key,
            })),
            Ok(_) | Err(crate::StoreError::NotFound) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// A user's keys, oldest first.
    pub async fn list_access_keys(&self, user_name: &str) -> Result<Vec<AccessKey>> {
        Ok(self.store.list_access_keys(user_name).await?.into_iter().map(AccessKey::from).collect())
    }

    /// Revokes a key for good; requests signed with it are refused from then on.
    pub async fn revoke_access_key(&self, access_key_id: &str) -> Result<()> {
        let missing = IdentityError::AccessKeyNotFound(access_key_id.to_owned());
        self.store.revoke_access_key(access_key_id).await.map_err(or_missing(missing))
    }
}
