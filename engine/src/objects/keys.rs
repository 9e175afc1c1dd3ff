//! Sluice's key store: the AES-256 data keys that objects are encrypted under at rest, playing the
//! part of KMS for `artifactStore.encryptionKey.id`.
//!
//! One file per key in `<data_dir>/keys/` (directory 0700, files 0600), named by the SHA-256 of the
//! key id (ids are ARNs, aliases or plain names, full of `:` and `/`), holding one JSON object:
//! `{"id": "<key id>", "createdMs": <ms>, "key": "<64 hex digits>"}`. Keys are kept out of the
//! database on purpose: a database dump or replica then holds no key material. Back up this folder
//! with the objects, or the objects cannot be read again.
use super::{crypto, ObjectError, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Key ids longer than this are refused (a KMS key ARN is about 75 characters).
const MAX_KEY_ID_LEN: usize = 2048;
/// The file name (and recorded id) of the master key.
const MASTER_KEY_FILE: &str = "master";
/// The file name (and recorded id) of the audit trail's HMAC key.
const AUDIT_KEY_FILE: &str = "audit";

/// Handle to the key folder. Cheap to clone; holds no key material itself.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyFile {
    id: String,
    created_ms: i64,
    key: String,
}

/// The key id a KMS-style reference names: an ARN's part after `key/` or `alias/`
/// (`arn:aws:kms:REGION:ACCOUNT:key/ID`), or the reference itself.
pub fn key_id_of(reference: &str) -> &str {
    let resource = reference.strip_prefix("arn:").and_then(|_| reference.splitn(6, ':').nth(5));
    resource
        .and_then(|r| r.strip_prefix("key/").or_else(|| r.strip_prefix("alias/")))
        .filter(|id| !id.is_empty())
        .unwrap_or(reference)
}

impl KeyStore {
    /// The key store of a data dir: `<data_dir>/keys`. Nothing is touched until a key is created.
    pub fn new(data_dir: &Path) -> Self {
        KeyStore { dir: data_dir.join("keys") }
    }

    /// Creates key `id` from 32 random bytes. Fails with `KeyExists` if there already is one:
    /// replacing a key would make every object encrypted under it unreadable.
    pub fn create_key(&self, id: &str) -> Result<()> {
        validate_key_id(id)?;
        self.create_key_file(&self.path_of(id), id)
    }

    /// Writes a new random key to `path` without ever replacing an existing file.
    fn create_key_file(&self, path: &Path, id: &str) -> Result<()> {
        create_private_dir(&self.dir)?;
        let file = KeyFile { id: id.to_owned(), created_ms: crate::now_ms(), key: hex::encode(crypto::random_key()) };
        let json =
            serde_json::to_vec(&file).map_err(|err| ObjectError::io("encoding a key file", io::Error::other(err)))?;
        let temp = self.dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
        let written = write_private_file(&temp, &json);
        // A hard link never replaces an existing file, so two racing creators cannot both win.
        let linked = written.and_then(|()| fs::hard_link(&temp, path));
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => sync_dir(&self.dir).map_err(|err| ObjectError::io("syncing the key folder", err)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Err(ObjectError::KeyExists { id: id.to_owned() }),
            Err(err) => Err(ObjectError::io(format!("creating key {id:?}"), err)),
        }
    }

    /// The master key that seals Sluice's own secrets (the secret store, secret configuration
    /// values, access-key secrets), created on first use as `<data_dir>/keys/master`. It is not a
    /// `.key` file, so no pipeline can name it as an artifact key and `kms list-keys` does not show it.
    pub fn master_key(&self) -> Result<[u8; 32]> {
        let created = self.own_key(MASTER_KEY_FILE, true)?;
        created.map(|(key, _)| key).ok_or_else(|| ObjectError::Corrupt("the master key could not be created".into()))
    }

    /// The key the audit trail's records are chained under (HMAC-SHA256), with when it was
    /// created: `<data_dir>/keys/audit`, beside the master key, so whoever can edit the database
    /// still cannot re-chain the trail. Created on first use when `create`, else `None` if missing.
    pub fn audit_key(&self, create: bool) -> Result<Option<([u8; 32], i64)>> {
        self.own_key(AUDIT_KEY_FILE, create)
    }

    /// One of Sluice's own keys (not a `.key` file, so no pipeline can name it as an artifact key
    /// and `kms list-keys` does not show it), with its creation time.
    fn own_key(&self, file_name: &str, create: bool) -> Result<Option<([u8; 32], i64)>> {
        let path = self.dir.join(file_name);
        if !path.is_file() {
            if !create {
                return Ok(None);
            }
            match self.create_key_file(&path, file_name) {
                Ok(()) | Err(ObjectError::KeyExists { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        let file = read_key_file(&path)?;
        Ok(Some((key_of(&file, file_name, &path)?, file.created_ms)))
    }

    /// Whether key `id` exists.
    pub fn has_key(&self, id: &str) -> bool {
        validate_key_id(id).is_ok() && self.path_of(id).is_file()
    }

    /// Every key id, sorted.
    pub fn list_keys(&self) -> Result<Vec<String>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(ObjectError::io("listing the key folder", err)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let path = entry.map_err(|err| ObjectError::io("listing the key folder", err))?.path();
            if path.extension().is_some_and(|ext| ext == "key") {
                ids.push(read_key_file(&path)?.id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// The key material of `id`; `UnknownKey` if there is no such key.
    pub(crate) fn load(&self, id: &str) -> Result<[u8; 32]> {
        validate_key_id(id)?;
        let path = self.path_of(id);
        if !path.is_file() {
            return Err(ObjectError::UnknownKey { id: id.to_owned() });
        }
        key_of(&read_key_file(&path)?, id, &path)
    }

    fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{}.key", hex::encode(Sha256::digest(id.as_bytes()))))
    }
}

/// Key ids are opaque, but must be printable and bounded: they end up in messages and the database.
pub(crate) fn validate_key_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_KEY_ID_LEN || id.chars().any(char::is_control) {
        return Err(ObjectError::InvalidKeyId { id: id.chars().take(100).collect() });
    }
    Ok(())
}

/// The key material of a key file that must belong to `id`.
fn key_of(file: &KeyFile, id: &str, path: &Path) -> Result<[u8; 32]> {
    let mut key = [0u8; 32];
    if file.id != id || hex::decode_to_slice(&file.key, &mut key).is_err() {
        return Err(ObjectError::Corrupt(format!("the key file for {id:?} ({}) is damaged", path.display())));
    }
    Ok(key)
}

fn read_key_file(path: &Path) -> Result<KeyFile> {
    let bytes = fs::read(path).map_err(|err| ObjectError::io(format!("reading {}", path.display()), err))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| ObjectError::Corrupt(format!("the key file {} is damaged", path.display())))
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|err| ObjectError::io(format!("creating the key folder {}", dir.display()), err))
}

fn write_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Makes a rename or link in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
