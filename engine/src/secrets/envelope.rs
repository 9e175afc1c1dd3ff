//! The text form of a sealed value, `sluice:enc:v1:<base64 of nonce | ciphertext | tag>`, as it
//! sits in database columns. Values without the prefix are rows written before encryption at
//! rest and open as themselves, so old databases keep working.
use super::SecretError;
use crate::objects::{crypto, KeyStore};
use base64::Engine as _;
use std::path::Path;
use std::sync::{Arc, OnceLock};

pub const PREFIX: &str = "sluice:enc:v1:";

/// Whether `text` is a sealed value (rather than a legacy plain one).
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(PREFIX)
}

/// Seals and opens values under the master key of one data dir (`<data_dir>/keys/master`),
/// loading it, or creating it, on first use; also hands out the audit trail's key from the same
/// folder. Cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    keys: KeyStore,
    master: Arc<OnceLock<[u8; 32]>>,
    audit: Arc<OnceLock<([u8; 32], i64)>>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer { .. }")
    }
}

impl Sealer {
    pub fn new(data_dir: &Path) -> Self {
        Sealer { keys: KeyStore::new(data_dir), master: Arc::new(OnceLock::new()), audit: Arc::new(OnceLock::new()) }
    }

    fn key(&self) -> Result<[u8; 32], SecretError> {
        if let Some(key) = self.master.get() {
            return Ok(*key);
        }
        let key = self.keys.master_key().map_err(|err| SecretError::MasterKey(err.to_string()))?;
        Ok(*self.master.get_or_init(|| key))
    }

    /// The audit trail's HMAC key and when it was created (`<data_dir>/keys/audit`), created on
    /// first use when `create`. It sits beside the master key and is backed up with it.
    pub fn audit_key(&self, create: bool) -> Result<Option<([u8; 32], i64)>, SecretError> {
        if let Some(key) = self.audit.get() {
            return Ok(Some(*key));
        }
        let loaded = self.keys.audit_key(create).map_err(|err| SecretError::MasterKey(err.to_string()))?;
        Ok(loaded.map(|key| *self.audit.get_or_init(|| key)))
    }

    /// `plain` sealed for `context`.
    pub fn seal(&self, context: &str, plain: &str) -> Result<String, SecretError> {
        let sealed = crypto::seal_value(&self.key()?, context.as_bytes(), plain.as_bytes())
            .map_err(|err| SecretError::MasterKey(err.to_string()))?;
        Ok(format!("{PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(sealed)))
    }

    /// The plain text of a value sealed for `context`; a value without the prefix is returned as is.
    pub fn open(&self, context: &str, text: &str) -> Result<String, SecretError> {
        let Some(encoded) = text.strip_prefix(PREFIX) else { return Ok(text.to_owned()) };
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::Corrupt("it is not valid base64".into()))?;
        let plain = crypto::open_value(&self.key()?, context.as_bytes(), &sealed)
            .map_err(|err| SecretError::Corrupt(err.to_string()))?;
        String::from_utf8(plain).map_err(|_| SecretError::Corrupt("it is not UTF-8 text".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_seal_under_a_master_key_created_once_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::new(dir.path());
        let sealed = sealer.seal("secret:db", "hunter2").unwrap();
        assert!(is_sealed(&sealed) && !sealed.contains("hunter2"), "{sealed}");
        // A second handle on the same data dir reads the same master key.
        assert_eq!(Sealer::new(dir.path()).open("secret:db", &sealed).unwrap(), "hunter2");
        assert!(Sealer::new(dir.path()).open("secret:other", &sealed).is_err());
        assert!(Sealer::new(tempfile::tempdir().unwrap().path()).open("secret:db", &sealed).is_err());
        assert!(KeyStore::new(dir.path()).list_keys().unwrap().is_empty(), "the master key is no artifact key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keys/master")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn plain_legacy_values_open_as_themselves_and_damage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::new(dir.path());
        assert_eq!(sealer.open("configuration", "written-before-encryption").unwrap(), "written-before-encryption");
        assert!(matches!(sealer.open("configuration", "sluice:enc:v1:not base64!"), Err(SecretError::Corrupt(_))));
        let sealed = sealer.seal("configuration", "token").unwrap();
        let cut = &sealed[..sealed.len() - 4];
        assert!(sealer.open("configuration", cut).is_err());
    }
}
