//! Random credentials and password hashes. Argon2 is slow and memory-hungry on purpose, so every
//! hash and check runs on a few threads of its own (see `ARGON2_QUEUE`).
use super::IdentityError;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use std::cell::RefCell;
use std::sync::{mpsc, Arc, LazyLock, Mutex};
use tokio::sync::oneshot;

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

/// A browser session's token, or any other bearer secret: 32 random bytes, URL-safe.
pub fn new_random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// An argon2id hash in PHC string form (algorithm, parameters and salt travel with it).
pub fn hash_password(password: &str) -> Result<String, IdentityError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|err| IdentityError::Hashing(err.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|err| IdentityError::Hashing(err.to_string()))?;
    Ok(hash.to_string())
}

/// `hash_password` for async code, in an argon2 slot.
pub async fn hash_password_in_slot(password: String) -> Result<String, IdentityError> {
    on_argon2_slot(move || hash_password(&password))
        .await
        .unwrap_or_else(|| Err(IdentityError::Hashing("no password-hashing thread answered".into())))
}

thread_local! {
    /// This thread's argon2 working memory, kept from one check to the next: allocating 19 MiB
    /// per check left glibc holding freed blocks (peak RSS +240 MB for 150 sign-ins, measured).
    static ARGON2_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// True if `password` matches the stored hash (in PHC string form, its parameters and salt with
/// it), as `PasswordVerifier` would answer, but in this thread's kept memory. A corrupt hash
/// matches nothing.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored_hash) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(hash.algorithm), Params::try_from(&hash)) else {
        return false;
    };
    let Ok(version) = hash.version.map(Version::try_from).transpose() else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params.clone());
    let mut computed = vec![0u8; expected.len()];
    let hashed = ARGON2_MEMORY.with_borrow_mut(|memory| {
        memory.resize(params.block_count(), Block::default());
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, &mut memory[..])
    });
    // `Output` compares in constant time.
    hashed.is_ok() && Output::new(&computed).is_ok_and(|computed| computed == expected)
}

type Job = Box<dyn FnOnce() + Send>;

/// Argon2 runs on one thread of its own per core, one computation each at a time. Each holds
/// 19 MiB and a core for tens of milliseconds, so 150 simultaneous sign-ins queue here instead of
/// taking gigabytes. Its own threads, not tokio's blocking pool: glibc keeps a freed 19 MiB block
/// in the malloc arena of each thread that used one, and a flood spread the work over enough pool
/// threads to keep +470 MB (measured); a fixed set of threads keeps a fixed set of arenas.
static ARGON2_QUEUE: LazyLock<mpsc::Sender<Job>> = LazyLock::new(|| {
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    for n in 0..std::thread::available_parallelism().map_or(2, usize::from) {
        let receiver = receiver.clone();
        let worker = move || loop {
            let Ok(Ok(job)) = receiver.lock().map(|queue| queue.recv()) else { return };
            // A panicking job loses its answer (the caller sees None), not the thread.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        };
        if let Err(err) = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(worker) {
            tracing::error!(error = %err, "could not start a password-hashing thread");
        }
    }
    sender
});

/// Runs `work` (an argon2 hash or check) on the argon2 threads once one is free; `None` if it
/// panicked or no thread could be started.
pub async fn on_argon2_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (answer, answered) = oneshot::channel();
    ARGON2_QUEUE.send(Box::new(move || drop(answer.send(work())))).ok()?;
    answered.await.ok()
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
        assert!(!verify_password("correct horse", &hash.replace("t=2", "t=1")), "the parameters are the hash's");
        // Other parameters and algorithms, as hashes made elsewhere carry them.
        let salt = SaltString::encode_b64(b"sixteen byte sal").unwrap();
        for (algorithm, params) in [
            (Algorithm::Argon2i, Params::new(8192, 3, 2, Some(32))),
            (Algorithm::Argon2id, Params::new(4096, 1, 1, Some(16))),
        ] {
            let other = Argon2::new(algorithm, Version::V0x13, params.unwrap())
                .hash_password(b"pw-123456", &salt)
                .unwrap()
                .to_string();
            assert!(verify_password("pw-123456", &other), "{other}");
            assert!(!verify_password("pw-1234567", &other), "{other}");
        }
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
