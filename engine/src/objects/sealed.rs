//! Writing a version's file: the plaintext streams through its digests (SHA-256, MD5, length)
//! and, for an encrypted bucket, the encryptor, into a new file that is fsynced before the
//! store records it.
use super::{crypto, ObjectError, Result};
use md5::Md5;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

/// The plaintext's digests, computed while it streams past.
pub(super) struct Digests {
    pub sha256: String,
    pub md5: String,
    pub size: u64,
}

/// Copies `source` into a new file at `path`, encrypted when `key` is given, and fsyncs it.
pub(super) fn write_sealed<R: Read>(mut source: R, path: &Path, key: Option<&[u8; 32]>) -> Result<Digests> {
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
pub(super) struct HashingWriter<W> {
    inner: W,
    sha256: Sha256,
    md5: Md5,
    size: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(super) fn new(inner: W) -> Self {
        HashingWriter { inner, sha256: Sha256::new(), md5: Md5::new(), size: 0 }
    }

    pub(super) fn into_parts(self) -> (W, Digests) {
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
