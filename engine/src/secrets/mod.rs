//! Sluice's own secrets: values sealed at rest under the data dir's master key (`envelope`), the
//! named secrets that `SECRETS_MANAGER` environment variables refer to (`references`), and the
//! masking that keeps every resolved secret out of logs, summaries and variables (`masking`).
mod envelope;
mod masking;
mod references;

pub use crate::store::SecretSummary;
pub use envelope::{is_sealed, Sealer, PREFIX};
pub use masking::{mask_sealed, Masker};
pub use references::{pick, validate_name, SecretReference};

/// Why a secret could not be sealed, opened or found.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("this store was opened without a data dir, so there is no master key to seal secrets with")]
    NoMasterKey,
    #[error("the master key could not be read or created: {0}")]
    MasterKey(String),
    #[error("a sealed value could not be opened: {0}")]
    Corrupt(String),
    #[error("{0}")]
    InvalidName(String),
}

/// Where a sealed value belongs; sealed under one context it does not open under another.
pub mod context {
    /// A secret configuration property of a pipeline action.
    pub const CONFIGURATION: &str = "configuration";

    /// An access key's secret.
    pub fn access_key(id: &str) -> String {
        format!("access-key:{id}")
    }

    /// A named secret of the secret store.
    pub fn secret(name: &str) -> String {
        format!("secret:{name}")
    }

    /// The SecretToken of a webhook.
    pub fn webhook(name: &str) -> String {
        format!("webhook:{name}")
    }
}

/// The named secrets, put, listed and deleted by `sluice secret ...` with no server running; the
/// engine reads them only to resolve `SECRETS_MANAGER` environment variables.
pub struct NamedSecrets(crate::Store);

impl NamedSecrets {
    pub fn new(store: crate::Store) -> Self {
        NamedSecrets(store)
    }

    /// Seals and stores a secret; true when it is new, false when it replaced a value.
    pub async fn put(&self, name: &str, value: &str) -> Result<bool, crate::StoreError> {
        self.0.put_secret(name, value).await
    }

    /// Every secret's name and dates, never its value.
    pub async fn list(&self) -> Result<Vec<SecretSummary>, crate::StoreError> {
        self.0.list_secrets().await
    }

    /// A secret's value, opened: only tests read it here (`sluice secret` never shows one).
    #[cfg(feature = "testing")]
    pub async fn value(&self, name: &str) -> Result<Option<String>, crate::StoreError> {
        self.0.secret_value(name).await
    }

    /// `NotFound` when there is no such secret.
    pub async fn delete(&self, name: &str) -> Result<(), crate::StoreError> {
        self.0.delete_secret(name).await
    }
}

/// Whether a secret (a token, a signature) given by a caller is the expected one. Digests are
/// compared, so the time taken says nothing of how much of it was right.
pub fn same_secret(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(given) == Sha256::digest(expected)
}
