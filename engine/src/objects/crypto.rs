//! Encryption at rest: AES-256-GCM over fixed-size chunks, so an object of any size streams through
//! a small buffer and every chunk is authenticated on its own.
//!
//! File layout (all integers big-endian):
//! ```text
//! header  = magic "SLUICEE1" (8) | chunk size u32 (4) | random nonce prefix (8)      -- 20 bytes
//! chunk i = AES-256-GCM(plaintext[i*chunk .. (i+1)*chunk]) | tag (16)
//!           nonce = prefix (8) | i as u32 (4);  AAD = header (20) | final flag (1)
//! ```
//! Every chunk but the last holds exactly `chunk size` plaintext bytes; the last holds 0..=chunk
//! bytes and is sealed with final flag 1. So reordering (nonce counter), truncation at a chunk
//! boundary (the new last chunk was sealed as non-final), appended bytes, a header edit (AAD) and
//! splicing chunks between files (random prefix) all fail authentication.
use aes_gcm::aead::{rand_core::RngCore, Aead, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use std::io::{self, Read, Write};

const MAGIC: &[u8; 8] = b"SLUICEE1";
const HEADER_LEN: usize = 20;
const TAG_LEN: usize = 16;
/// Plaintext bytes per chunk when writing.
pub const CHUNK_LEN: usize = 64 * 1024;
/// The largest chunk a reader accepts, so a damaged header cannot make it allocate gigabytes.
const MAX_CHUNK_LEN: usize = 16 * 1024 * 1024;

/// Why a stored ciphertext could not be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("{0}")]
    Corrupt(&'static str),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A writer that encrypts everything written to it into `out`; call `finish` at the end, or the
/// result has no final chunk and will not decrypt.
pub struct Encryptor<W: Write> {
    cipher: Aes256Gcm,
    out: W,
    header: [u8; HEADER_LEN],
    counter: u32,
    pending: Vec<u8>,
}

impl<W: Write> Encryptor<W> {
    pub fn new(key: &[u8; 32], mut out: W) -> io::Result<Self> {
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(MAGIC);
        header[8..12].copy_from_slice(&(CHUNK_LEN as u32).to_be_bytes());
        OsRng.fill_bytes(&mut header[12..]);
        out.write_all(&header)?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
        Ok(Encryptor { cipher, out, header, counter: 0, pending: Vec::with_capacity(CHUNK_LEN) })
    }

    fn seal(&mut self, len: usize, last: bool) -> io::Result<()> {
        let sealed = seal_chunk(&self.cipher, &self.header, self.counter, last, &self.pending[..len])?;
        self.out.write_all(&sealed)?;
        self.pending.drain(..len);
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| io::Error::other("object too large to encrypt (chunk counter overflow)"))?;
        Ok(())
    }

    /// Seals the last chunk and hands back the underlying writer (not yet synced).
    pub fn finish(mut self) -> io::Result<W> {
        self.seal(self.pending.len(), true)?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Encryptor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        // Keep at least one byte back: only `finish` knows which chunk is the last one.
        while self.pending.len() > CHUNK_LEN {
            self.seal(CHUNK_LEN, false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn nonce_for(header: &[u8; HEADER_LEN], counter: u32) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&header[12..]);
    nonce[8..].copy_from_slice(&counter.to_be_bytes());
    nonce
}

fn aad_for(header: &[u8; HEADER_LEN], last: bool) -> [u8; HEADER_LEN + 1] {
    let mut aad = [0u8; HEADER_LEN + 1];
    aad[..HEADER_LEN].copy_from_slice(header);
    aad[HEADER_LEN] = u8::from(last);
    aad
}

fn seal_chunk(
    cipher: &Aes256Gcm,
    header: &[u8; HEADER_LEN],
    counter: u32,
    last: bool,
    plain: &[u8],
) -> io::Result<Vec<u8>> {
    let nonce = nonce_for(header, counter);
    let aad = aad_for(header, last);
    cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad: &aad })
        .map_err(|_| io::Error::other("AES-GCM encryption failed"))
}

/// Decrypts a whole stream written by `Encryptor` into `out`, returning the plaintext length.
/// Nothing unauthenticated is ever written: each chunk is verified before it is passed on.
pub fn decrypt_stream<R: Read, W: Write>(key: &[u8; 32], mut input: R, mut out: W) -> Result<u64, CryptoError> {
    let mut header = [0u8; HEADER_LEN];
    if read_full(&mut input, &mut header)? != HEADER_LEN || &header[..8] != MAGIC {
        return Err(CryptoError::Corrupt("the encrypted object has no valid header"));
    }
    let chunk_len = u32::from_be_bytes([header[8], header[9], header[10], header[11]]) as usize;
    if chunk_len == 0 || chunk_len > MAX_CHUNK_LEN {
        return Err(CryptoError::Corrupt("the encrypted object's header names an impossible chunk size"));
    }
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let sealed_len = chunk_len + TAG_LEN;
    let mut current = vec![0u8; sealed_len];
    let mut next = vec![0u8; sealed_len];
    let mut current_len = read_full(&mut input, &mut current)?;
    let mut counter: u32 = 0;
    let mut total = 0u64;
    loop {
        // Reading one chunk ahead is how we learn whether this one must be the sealed-as-last one.
        let next_len = if current_len == sealed_len { read_full(&mut input, &mut next)? } else { 0 };
        let last = next_len == 0;
        if current_len < TAG_LEN {
            return Err(CryptoError::Corrupt("the encrypted object is truncated"));
        }
        let nonce = nonce_for(&header, counter);
        let aad = aad_for(&header, last);
        let plain = cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &current[..current_len], aad: &aad })
            .map_err(|_| {
                CryptoError::Corrupt("the encrypted object failed authentication (tampered, truncated or wrong key)")
            })?;
        out.write_all(&plain)?;
        total += plain.len() as u64;
        if last {
            return Ok(total);
        }
        std::mem::swap(&mut current, &mut next);
        current_len = next_len;
        counter = counter.checked_add(1).ok_or(CryptoError::Corrupt("the encrypted object has too many chunks"))?;
    }
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// Seals one small value (a secret, not a stream): random nonce (12) | AES-256-GCM ciphertext and
/// tag. `aad` binds the value to where it belongs, so a sealed value copied elsewhere fails to open.
pub fn seal_value(key: &[u8; 32], aad: &[u8], plain: &[u8]) -> io::Result<Vec<u8>> {
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut nonce);
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
        .map_err(|_| io::Error::other("AES-GCM encryption failed"))?;
    Ok([nonce.as_slice(), &sealed].concat())
}

/// Opens a value made by `seal_value` with the same key and `aad`.
pub fn open_value(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < 12 + TAG_LEN {
        return Err(CryptoError::Corrupt("the sealed value is truncated"));
    }
    let (nonce, body) = sealed.split_at(12);
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
        .map_err(|_| CryptoError::Corrupt("the sealed value failed authentication (tampered, moved or wrong key)"))
}

/// 32 bytes from the operating system's CSPRNG, for a new data key.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encrypt(key: &[u8; 32], plain: &[u8]) -> Vec<u8> {
        let mut enc = Encryptor::new(key, Vec::new()).unwrap();
        // Uneven writes exercise the buffering.
        for part in plain.chunks(1000) {
            enc.write_all(part).unwrap();
        }
        enc.finish().unwrap()
    }

    fn decrypt(key: &[u8; 32], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::new();
        decrypt_stream(key, sealed, &mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trips_at_every_chunk_boundary() {
        let key = random_key();
        for len in [0, 1, CHUNK_LEN - 1, CHUNK_LEN, CHUNK_LEN + 1, 3 * CHUNK_LEN, 3 * CHUNK_LEN + 7] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = encrypt(&key, &plain);
            assert_eq!(decrypt(&key, &sealed).unwrap(), plain, "length {len}");
        }
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let key = random_key();
        let sealed = seal_value(&key, b"secret:db", b"hunter2").unwrap();
        assert_eq!(open_value(&key, b"secret:db", &sealed).unwrap(), b"hunter2");
        assert_ne!(seal_value(&key, b"secret:db", b"hunter2").unwrap(), sealed, "every seal has its own nonce");
        assert!(open_value(&key, b"secret:other", &sealed).is_err());
        assert!(open_value(&random_key(), b"secret:db", &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped[14] ^= 1;
        assert!(open_value(&key, b"secret:db", &flipped).is_err());
        assert!(open_value(&key, b"secret:db", &sealed[..20]).is_err());
    }

    #[test]
    fn truncation_reordering_appending_and_wrong_keys_are_detected() {
        let key = random_key();
        let plain = vec![7u8; 2 * CHUNK_LEN + 10];
        let sealed = encrypt(&key, &plain);
        let chunk = CHUNK_LEN + TAG_LEN;
        // Cut at a chunk boundary: the remaining last chunk was sealed as non-final.
        assert!(decrypt(&key, &sealed[..HEADER_LEN + 2 * chunk]).is_err());
        assert!(decrypt(&key, &sealed[..sealed.len() - 1]).is_err());
        let mut swapped = sealed.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + chunk);
        let first = sealed[a..b].to_vec();
        swapped.copy_within(b..b + chunk, a);
        swapped[b..b + chunk].copy_from_slice(&first);
        assert!(decrypt(&key, &swapped).is_err());
        let mut appended = sealed.clone();
        appended.extend_from_slice(&[0u8; 40]);
        assert!(decrypt(&key, &appended).is_err());
        assert!(decrypt(&random_key(), &sealed).is_err());
    }
}
