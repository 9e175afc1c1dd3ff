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

use crate::store::{now_ms, StoreError};
use crate::Store;
use md5::Md5;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

pub use artifacts::{pack_dir, unpack, unpack_within, PackSummary, UnpackLimits};
pub use keys::KeyStore;

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

/// S3's bucket naming rules, minus the IP-address and reserved-prefix ones.
pub fn validate_bucket(bucket: &str) -> Result<()> {
    let bytes = bucket.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let reason = if !(3..=63).contains(&bytes.len()) {
        "bucket names are 3 to 63 characters long"
    } else if !bytes.iter().all(|b| alnum(b) || *b == b'.' || *b == b'-') {
        "bucket names use only lowercase letters, digits, dots and hyphens"
    } else if !alnum(&bytes[0]) || !alnum(&bytes[bytes.len() - 1]) {
        "bucket names begin and end with a letter or a digit"
    } else if bucket.contains("..") {
        "bucket names cannot contain two adjacent dots"
    } else {
        return Ok(());
    };
    Err(ObjectError::InvalidBucket { bucket: bucket.chars().take(100).collect(), reason })
}

/// Any UTF-8 of 1 to 1024 bytes, except NUL (PostgreSQL text cannot hold it).
pub fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(ObjectError::InvalidKey { reason: "object keys are 1 to 1024 bytes long" });
    }
    if key.contains('\0') {
        return Err(ObjectError::InvalidKey { reason: "object keys cannot contain NUL characters" });
    }
    Ok(())
}

fn validate_version_id(version_id: &str) -> Result<()> {
    let well_formed =
        version_id.len() == 32 && version_id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if well_formed {
        Ok(())
    } else {
        Err(ObjectError::InvalidVersionId(version_id.chars().take(100).collect()))
    }
}

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

    /// Writes the plaintext of `version` to `dest`, replacing it. The bytes go to a temporary file
    /// beside `dest` first, which is renamed only once the SHA-256 matches: `dest` never holds
    /// corrupt or partial data.
    pub async fn read_to_file(&self, version: &ObjectVersion, dest: &Path) -> Result<()> {
        let this = self.clone();
        let version = version.clone();
        let dest = dest.to_owned();
        blocking(move || {
            let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let temp = ScratchFile(dest.with_file_name(format!(".{name}.{}.partial", uuid::Uuid::new_v4().simple())));
            let out = File::create(temp.path())
                .map_err(|err| ObjectError::io(format!("creating {}", temp.path().display()), err))?;
            let mut out = BufWriter::new(out);
            this.copy_out(&version, &mut out)?;
            out.flush().map_err(|err| ObjectError::io(format!("writing {}", dest.display()), err))?;
            fs::rename(temp.path(), &dest).map_err(|err| ObjectError::io(format!("writing {}", dest.display()), err))
        })
        .await
    }

    /// Extracts the zip `version` holds into `dest` (as `artifacts::unpack` does), verified
    /// against its SHA-256 first. An unencrypted version is read in place, not copied; an
    /// encrypted one is decrypted into a scratch file, because a zip is read from its end.
    pub async fn unpack_to(&self, version: &ObjectVersion, dest: &Path) -> Result<u64> {
        let this = self.clone();
        let version = version.clone();
        let dest = dest.to_owned();
        blocking(move || {
            let name = format!("s3://{}/{} version {}", version.bucket, version.key, version.version_id);
            if version.encryption_key_id.is_some() {
                let plain = this.scratch_file()?;
                let out = File::create(plain.path())
                    .map_err(|err| ObjectError::io(format!("creating {}", plain.path().display()), err))?;
                let mut out = BufWriter::new(out);
                this.copy_out(&version, &mut out)?;
                out.flush().map_err(|err| ObjectError::io(format!("writing {}", plain.path().display()), err))?;
                let file = File::open(plain.path())
                    .map_err(|err| ObjectError::io(format!("opening {}", plain.path().display()), err))?;
                return artifacts::unpack_file(file, &name, &dest, &UnpackLimits::default());
            }
            let (mut file, path) = this.open_file(&version)?;
            this.copy_out_of(&version, &mut file, &path, io::sink())?;
            file.seek(io::SeekFrom::Start(0))
                .map_err(|err| ObjectError::io(format!("reading {}", path.display()), err))?;
            artifacts::unpack_file(file, &name, &dest, &UnpackLimits::default())
        })
        .await
    }

    /// The whole plaintext of `version` in memory, verified. Meant for small objects.
    pub async fn open_bytes(&self, version: &ObjectVersion) -> Result<Vec<u8>> {
        let this = self.clone();
        let version = version.clone();
        blocking(move || {
            let mut out = Vec::with_capacity(usize::try_from(version.size).unwrap_or(0).min(64 << 20));
            this.copy_out(&version, &mut out)?;
            Ok(out)
        })
        .await
    }

    /// A fresh path in the store's scratch folder (same file system as the objects, so a rename
    /// from it is atomic), deleted when the returned guard drops. For callers staging uploads.
    pub fn scratch_file(&self) -> Result<ScratchFile> {
        let dir = self.root.join(".tmp");
        fs::create_dir_all(&dir).map_err(|err| ObjectError::io(format!("creating {}", dir.display()), err))?;
        Ok(ScratchFile(dir.join(uuid::Uuid::new_v4().simple().to_string())))
    }

    /// Streams the verified plaintext of `version` into `out`.
    fn copy_out<W: Write>(&self, version: &ObjectVersion, out: W) -> Result<()> {
        let (mut file, path) = self.open_file(version)?;
        self.copy_out_of(version, &mut file, &path, out)
    }

    /// The open file of `version`, and its path; `Corrupt` if the file is missing.
    fn open_file(&self, version: &ObjectVersion) -> Result<(File, PathBuf)> {
        let path = self.path_of(version)?;
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Err(ObjectError::Corrupt(format!(
                    "the file of s3://{}/{} version {} is missing ({})",
                    version.bucket,
                    version.key,
                    version.version_id,
                    path.display()
                )))
            }
            Err(err) => return Err(ObjectError::io(format!("opening {}", path.display()), err)),
        };
        Ok((file, path))
    }

    /// Streams the verified plaintext of `version`, read from `file` at `path`, into `out`.
    fn copy_out_of<W: Write>(&self, version: &ObjectVersion, file: &mut File, path: &Path, out: W) -> Result<()> {
        let mut hashing = HashingWriter::new(out);
        let mut input = BufReader::with_capacity(crypto::CHUNK_LEN, file);
        match version.encryption_key_id.as_deref() {
            Some(id) => {
                let key = self.keys.load(id)?;
                crypto::decrypt_stream(&key, input, &mut hashing).map_err(|err| match err {
                    crypto::CryptoError::Corrupt(why) => corrupt(version, why),
                    crypto::CryptoError::Io(err) => ObjectError::io(format!("reading {}", path.display()), err),
                })?;
            }
            None => {
                io::copy(&mut input, &mut hashing)
                    .map_err(|err| ObjectError::io(format!("reading {}", path.display()), err))?;
            }
        }
        let (_, digests) = hashing.into_parts();
        if digests.size != version.size || digests.sha256 != version.sha256 {
            return Err(corrupt(version, "its content no longer matches the SHA-256 recorded when it was stored"));
        }
        Ok(())
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

fn corrupt(version: &ObjectVersion, why: &str) -> ObjectError {
    ObjectError::Corrupt(format!("s3://{}/{} version {}: {why}", version.bucket, version.key, version.version_id))
}

/// The plaintext's digests, computed while it streams past.
struct Digests {
    sha256: String,
    md5: String,
    size: u64,
}

/// Copies `source` into a new file at `path`, encrypted when `key` is given, and fsyncs it.
fn write_sealed<R: Read>(mut source: R, path: &Path, key: Option<&[u8; 32]>) -> Result<Digests> {
    let io_err = |err: io::Error| ObjectError::io(format!("storing an object in {}", path.display()), err);
    let file = fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(io_err)?;
    let buffered = BufWriter::with_capacity(crypto::CHUNK_LEN, file);
    // The digests are of the plaintext, so the hashing sits in front of the encryptor.
    let (buffered, digests) = match key {
        Some(key) => {
            let mut hashing = HashingWriter::new(crypto::Encryptor::new(key, buffered).map_err(io_err)?);
            io::copy(&mut source, &mut hashing).map_err(io_err)?;
            let (encryptor, digests) = hashing.into_parts();
            (encryptor.finish().map_err(io_err)?, digests)
        }
        None => {
            let mut hashing = HashingWriter::new(buffered);
            io::copy(&mut source, &mut hashing).map_err(io_err)?;
            hashing.into_parts()
        }
    };
    let file = buffered.into_inner().map_err(|err| io_err(err.into_error()))?;
    file.sync_all().map_err(io_err)?;
    Ok(digests)
}

/// Passes bytes through while computing their SHA-256, MD5 and length.
struct HashingWriter<W> {
    inner: W,
    sha256: Sha256,
    md5: Md5,
    size: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter { inner, sha256: Sha256::new(), md5: Md5::new(), size: 0 }
    }

    fn into_parts(self) -> (W, Digests) {
        let digests = Digests {
            sha256: hex::encode(self.sha256.finalize()),
            md5: hex::encode(self.md5.finalize()),
            size: self.size,
        };
        (self.inner, digests)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.sha256.update(&buf[..written]);
        self.md5.update(&buf[..written]);
        self.size += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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
