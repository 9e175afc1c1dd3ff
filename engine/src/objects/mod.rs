//! Sluice's versioned object store: S3-style buckets and keys, every put a new immutable version, as
//! local files under the data dir. Artifacts and S3 source objects both live here.
//!
//! On disk, under `<data_dir>/objects/`:
//! ```text
//! <bucket>/<h[0..2]>/<h>/<version id>   one file per version; h = hex SHA-256 of the object key
//! .tmp/                                 files being written (never a bucket: buckets start with [a-z0-9])
//! ```
//! Keys are hashed rather than used as paths, so no key (`../../etc/passwd`, 1024 bytes of dots,
//! anything) can name a file outside the store. A plaintext object's file is its exact bytes; an
//! encrypted one is in the chunked AES-256-GCM format of [`crypto`]. The database row
//! (`object_version`) holds the metadata and is written only after the file is fsynced and renamed
//! into place, so a crash can leave an orphan file but never a row without its file.
//!
//! `etag` is S3's ETag for single-part uploads: the hex MD5 of the plaintext, stored and returned
//! in JSON *without* quotes; HTTP `ETag` headers quote it, as S3 does. `sha256` (hex, plaintext) is
//! what reads verify: a read that does not reproduce it fails with `Corrupt`.
pub mod artifacts;
pub(crate) mod crypto;
mod keys;
mod listing;
mod names;
mod reads;
mod sealed;

use crate::now_ms;
use crate::store::StoreError;
use crate::Store;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub use artifacts::{artifact_files, pack_dir, unpack, unpack_within, PackSummary, UnpackLimits};
pub use keys::{key_id_of, KeyStore};
use names::validate_version_id;
pub use names::{validate_bucket, validate_key};
use sealed::{write_sealed, Digests, HashingWriter};

/// S3's limit on key length, in bytes of UTF-8.
pub const MAX_KEY_LEN: usize = 1024;

/// One stored version of an object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectVersion {
    pub bucket: String,
    pub key: String,
    /// 32 lowercase hex digits (a UUIDv7): unique, URL-safe and ordered by creation time.
    pub version_id: String,
    /// Hex MD5 of the plaintext, unquoted.
    pub etag: String,
    /// Hex SHA-256 of the plaintext.
    pub sha256: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// The key the stored file is encrypted under, if any.
    pub encryption_key_id: Option<String>,
    pub created_ms: i64,
    /// Who wrote it: the uploader's user ARN, or for an artifact the ARN of the pipeline whose
    /// action wrote it; `None` when not known (written before this was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("invalid bucket name {bucket:?}: {reason}")]
    InvalidBucket { bucket: String, reason: &'static str },
    #[error("invalid object key: {reason}")]
    InvalidKey { reason: &'static str },
    #[error("invalid version id {0:?}: version ids are 32 lowercase hex digits")]
    InvalidVersionId(String),
    #[error("invalid encryption key id {id:?}: key ids are 1 to 2048 printable characters")]
    InvalidKeyId { id: String },
    #[error("no object s3://{bucket}/{key}{}", version_id.as_ref().map(|v| format!(" with version id {v}")).unwrap_or_default())]
    NotFound { bucket: String, key: String, version_id: Option<String> },
    #[error("no encryption key {id:?} in Sluice's key store; create it with `sluice kms create-key {id}`")]
    UnknownKey { id: String },
    #[error("encryption key {id:?} already exists")]
    KeyExists { id: String },
    /// Stored data does not match what was stored: a flipped bit, a truncated file, a wrong key.
    #[error("corrupt object data: {0}")]
    Corrupt(String),
    /// An archive entry that would land outside the destination (zip-slip) or is a symlink.
    #[error("unsafe archive entry: {0}")]
    UnsafeArchive(String),
    /// Not a readable zip file.
    #[error("invalid archive: {0}")]
    Archive(String),
    /// An archive over one of the `UnpackLimits` (a zip bomb, or simply too big).
    #[error("archive refused: {0}")]
    ArchiveLimit(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ObjectError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        ObjectError::Io { context: context.into(), source }
    }
}

pub type Result<T, E = ObjectError> = std::result::Result<T, E>;

#[derive(Debug, Clone)]
pub struct ObjectStore {
    store: Store,
    root: PathBuf,
    keys: KeyStore,
}

impl ObjectStore {
    /// Objects under `<data_dir>/objects`, keys under `<data_dir>/keys`. Touches nothing yet.
    pub fn new(store: Store, data_dir: &Path) -> Self {
        ObjectStore { store, root: data_dir.join("objects"), keys: KeyStore::new(data_dir) }
    }

    /// The key store objects are encrypted with.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Stores the contents of `src` as a new version of `bucket`/`key`.
    pub async fn put_file(
        &self,
        bucket: &str,
        key: &str,
        src: &Path,
        encryption_key_id: Option<&str>,
    ) -> Result<ObjectVersion> {
        self.put_file_by(bucket, key, src, encryption_key_id, None).await
    }

    /// `put_file`, recording who wrote the version (`ObjectVersion::created_by`).
    pub async fn put_file_by(
        &self,
        bucket: &str,
        key: &str,
        src: &Path,
        encryption_key_id: Option<&str>,
        created_by: Option<&str>,
    ) -> Result<ObjectVersion> {
        let src = src.to_owned();
        let open = move || File::open(&src).map_err(|err| ObjectError::io(format!("opening {}", src.display()), err));
        self.put_from(bucket, key, encryption_key_id, created_by, open).await
    }

    /// Stores `bytes` as a new version of `bucket`/`key`.
    pub async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        bytes: impl AsRef<[u8]> + Send + 'static,
        encryption_key_id: Option<&str>,
    ) -> Result<ObjectVersion> {
        self.put_from(bucket, key, encryption_key_id, None, move || Ok(io::Cursor::new(bytes))).await
    }

    async fn put_from<R, F>(
        &self,
        bucket: &str,
        key: &str,
        encryption_key_id: Option<&str>,
        created_by: Option<&str>,
        open: F,
    ) -> Result<ObjectVersion>
    where
        R: Read,
        F: FnOnce() -> Result<R> + Send + 'static,
    {
        self.put_with(bucket, key, encryption_key_id, created_by, move |this, version| {
            this.write_version_file(version, open)
        })
        .await
    }

    /// Zips `dir` (as `artifacts::pack_dir` does) straight into a new version of `bucket`/`key`:
    /// an unencrypted zip is written once, in the store's scratch folder, and renamed into place;
    /// only an encrypted one needs a second, sealed copy. `created_by` as in `put_file_by`.
    pub async fn put_dir(
        &self,
        bucket: &str,
        key: &str,
        dir: &Path,
        encryption_key_id: Option<&str>,
        created_by: Option<&str>,
    ) -> Result<ObjectVersion> {
        let dir = dir.to_owned();
        self.put_with(bucket, key, encryption_key_id, created_by, move |this, version| {
            this.write_packed_dir(version, &dir)
        })
        .await
    }

    /// Stores a new version whose file `write` produces (durably, at `path_of(version)`), then its row.
    async fn put_with<F>(
        &self,
        bucket: &str,
        key: &str,
        encryption_key_id: Option<&str>,
        created_by: Option<&str>,
        write: F,
    ) -> Result<ObjectVersion>
    where
        F: FnOnce(&ObjectStore, &ObjectVersion) -> Result<Digests> + Send + 'static,
    {
        validate_bucket(bucket)?;
        validate_key(key)?;
        let mut version = ObjectVersion {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id: uuid::Uuid::now_v7().simple().to_string(),
            etag: String::new(),
            sha256: String::new(),
            size: 0,
            encryption_key_id: encryption_key_id.map(str::to_owned),
            created_ms: now_ms(),
            created_by: created_by.map(str::to_owned),
        };
        let this = self.clone();
        let file_version = version.clone();
        let digests = blocking(move || write(&this, &file_version)).await?;
        version.sha256 = digests.sha256;
        version.etag = digests.md5;
        version.size = digests.size;
        if let Err(err) = self.store.insert_object_version(&version).await {
            // Without its row the file is unreachable; don't leave it behind.
            if let Ok(path) = self.path_of(&version) {
                let _ = fs::remove_file(path);
            }
            return Err(err.into());
        }
        Ok(version)
    }

    /// Writes the file of a new version durably: temp file, fsync, rename, fsync the folder.
    fn write_version_file<R: Read>(
        &self,
        version: &ObjectVersion,
        open: impl FnOnce() -> Result<R>,
    ) -> Result<Digests> {
        // Load the key first so an unknown key fails before any byte is written.
        let key = version.encryption_key_id.as_deref().map(|id| self.keys.load(id)).transpose()?;
        let source = open()?;
        let temp = self.scratch_file()?;
        let digests = write_sealed(source, temp.path(), key.as_ref())?;
        self.install(version, &temp)?;
        Ok(digests)
    }

    /// `write_version_file` for a directory zipped on the way in. Unencrypted, the zip written
    /// (and fsynced) in the scratch folder is the version's file; its digests are read back from
    /// the page cache. Encrypted, the plaintext zip is a scratch file that is sealed into another.
    fn write_packed_dir(&self, version: &ObjectVersion, dir: &Path) -> Result<Digests> {
        let key = version.encryption_key_id.as_deref().map(|id| self.keys.load(id)).transpose()?;
        let zip = self.scratch_file()?;
        artifacts::pack_blocking(dir, zip.path())?;
        let io_err = |err: io::Error| ObjectError::io(format!("storing an object from {}", zip.path().display()), err);
        let (file, digests) = match key {
            None => {
                let mut hashing = HashingWriter::new(io::sink());
                let mut input = File::open(zip.path()).map_err(io_err)?;
                io::copy(&mut input, &mut hashing).map_err(io_err)?;
                (zip, hashing.into_parts().1)
            }
            Some(key) => {
                let sealed = self.scratch_file()?;
                let digests = write_sealed(File::open(zip.path()).map_err(io_err)?, sealed.path(), Some(&key))?;
                (sealed, digests)
            }
        };
        self.install(version, &file)?;
        Ok(digests)
    }

    /// Moves a fully written and fsynced scratch file into place as `version`'s file, durably.
    fn install(&self, version: &ObjectVersion, temp: &ScratchFile) -> Result<()> {
        let dest = self.path_of(version)?;
        let folder = dest.parent().unwrap_or(&self.root);
        fs::create_dir_all(folder).map_err(|err| ObjectError::io(format!("creating {}", folder.display()), err))?;
        fs::rename(temp.path(), &dest).map_err(|err| ObjectError::io(format!("storing {}", dest.display()), err))?;
        keys::sync_dir(folder).map_err(|err| ObjectError::io(format!("syncing {}", folder.display()), err))
    }

    /// The newest version of `bucket`/`key`, if it has any.
    pub async fn latest(&self, bucket: &str, key: &str) -> Result<Option<ObjectVersion>> {
        validate_bucket(bucket)?;
        validate_key(key)?;
        Ok(self.store.latest_object_version(bucket, key).await?)
    }

    /// One version of `bucket`/`key`; `InvalidVersionId` if the id cannot be one of ours.
    pub async fn version(&self, bucket: &str, key: &str, version_id: &str) -> Result<Option<ObjectVersion>> {
        validate_bucket(bucket)?;
        validate_key(key)?;
        validate_version_id(version_id)?;
        Ok(self.store.object_version(bucket, key, version_id).await?)
    }

    /// The given version, or the latest when `version_id` is `None`; `NotFound` if there is none.
    pub async fn get(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<ObjectVersion> {
        let found = match version_id {
            Some(id) => self.version(bucket, key, id).await?,
            None => self.latest(bucket, key).await?,
        };
        found.ok_or_else(|| ObjectError::NotFound {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id: version_id.map(str::to_owned),
        })
    }

    /// Up to `limit` versions of `bucket`/`key`, newest first.
    pub async fn versions(&self, bucket: &str, key: &str, limit: u32) -> Result<Vec<ObjectVersion>> {
        validate_bucket(bucket)?;
        validate_key(key)?;
        Ok(self.store.object_versions(bucket, key, limit).await?)
    }

    /// A fresh path in the store's scratch folder (same file system as the objects, so a rename
    /// from it is atomic), deleted when the returned guard drops. For callers staging uploads.
    pub fn scratch_file(&self) -> Result<ScratchFile> {
        let dir = self.root.join(".tmp");
        fs::create_dir_all(&dir).map_err(|err| ObjectError::io(format!("creating {}", dir.display()), err))?;
        Ok(ScratchFile(dir.join(uuid::Uuid::new_v4().simple().to_string())))
    }

    /// Where a version's file lives. Every part is validated again: rows come from the database,
    /// and a hand-edited row must not be able to point outside the store either.
    fn path_of(&self, version: &ObjectVersion) -> Result<PathBuf> {
        validate_bucket(&version.bucket)?;
        validate_version_id(&version.version_id)?;
        let key_hash = hex::encode(Sha256::digest(version.key.as_bytes()));
        Ok(self.root.join(&version.bucket).join(&key_hash[..2]).join(&key_hash).join(&version.version_id))
    }
}

/// A path that is deleted (if it exists) when this guard drops.
#[derive(Debug)]
pub struct ScratchFile(PathBuf);

impl ScratchFile {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|err| Err(ObjectError::io("object store task", io::Error::other(err.to_string()))))
}
