//! Sluice's own secrets: values sealed at rest under the data dir's master key (`envelope`), the
//! named secrets that `SECRETS_MANAGER` environment variables refer to (`references`), and the
//! masking that keeps every resolved secret out of logs, summaries and variables (`masking`).
mod envelope;
mod masking;
mod references;

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
}
