//! Random credentials and password hashes.
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use std::sync::LazyLock;
use tokio::sync::Semaphore;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).expect("the operating system supplies random bytes");
    bytes
}

/// An access key id shaped like AWS's: `AKIA` and 16 characters of base32.
pub fn new_access_key_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let body: String = random_bytes::<16>().iter().map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
    format!("AKIA{body}")
}

/// A 40-character secret access key, as AWS issues (30 random bytes in base64).
pub fn new_secret_access_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(random_bytes::<30>())
}

/// A password for the first admin or a user created without one: 24 URL-safe characters.
pub fn new_password() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<18>())
}

/// A browser session's token: 32 random bytes, URL-safe.
pub fn new_session_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// An argon2id hash in PHC string form (algorithm, parameters and salt travel with it).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|err| anyhow::anyhow!("salt: {err}"))?;
    let hash = Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|err| anyhow::anyhow!("hashing: {err}"))?;
    Ok(hash.to_string())
}

/// True if `password` matches the stored hash; a corrupt hash matches nothing.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// Each argon2 computation holds 19 MiB and a core for tens of milliseconds: at most one per
/// core runs at a time, so 150 simultaneous sign-ins queue here instead of taking gigabytes.
static ARGON2_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from)));

/// Runs `work` (an argon2 hash or check) on the blocking pool once a slot is free; `None` if it panicked.
pub async fn on_argon2_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _slot = ARGON2_SLOTS.acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// `verify_password` for async code, in an argon2 slot.
pub async fn check_password(password: String, stored_hash: String) -> bool {
    on_argon2_slot(move || verify_password(&password, &stored_hash)).await.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "each hash has its own salt");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn argon2_work_runs_at_most_one_per_core_at_a_time() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(on_argon2_slot(move || {
                    most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for task in tasks {
            task.await.unwrap().expect("the work ran");
        }
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        assert!(most.load(Ordering::SeqCst) <= cores, "{} at once on {cores} cores", most.load(Ordering::SeqCst));
    }

    #[test]
    fn keys_look_like_aws_keys() {
        let id = new_access_key_id();
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("AKIA") && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_eq!(new_secret_access_key().len(), 40);
        assert_ne!(new_secret_access_key(), new_secret_access_key());
    }
}
