//! Reading versions back: every read verifies the plaintext's SHA-256, so a damaged or
//! hand-edited file is `Corrupt`, never silently served.
use super::sealed::HashingWriter;
use super::{artifacts, blocking, crypto, ObjectError, ObjectStore, ObjectVersion, Result, ScratchFile, UnpackLimits};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

impl ObjectStore {
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
}

fn corrupt(version: &ObjectVersion, why: &str) -> ObjectError {
    ObjectError::Corrupt(format!("s3://{}/{} version {}: {why}", version.bucket, version.key, version.version_id))
}
