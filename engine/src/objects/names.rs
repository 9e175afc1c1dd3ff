//! What S3 accepts as a bucket name, a key and a version id.
use super::{ObjectError, Result, MAX_KEY_LEN};

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

pub(super) fn validate_version_id(version_id: &str) -> Result<()> {
    let well_formed =
        version_id.len() == 32 && version_id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if well_formed {
        Ok(())
    } else {
        Err(ObjectError::InvalidVersionId(version_id.chars().take(100).collect()))
    }
}
