//! Failed sign-ins, counted in memory per user name and per client address. After a few
//! failures, further attempts wait a delay that doubles with each new failure, so guessing a
//! password online takes years rather than hours. In-process on purpose: it needs no table, and
//! a restart (which takes longer than the first delays) forgets little.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Failures a user name may have before it must wait.
const USER_FREE_FAILURES: u32 = 5;
/// Failures one address may have before it must wait: more, as it may be a NAT or proxy of many.
const ADDRESS_FREE_FAILURES: u32 = 20;
/// The wait after the last free failure; each further failure doubles it, up to `MAX_WAIT`.
const FIRST_WAIT: Duration = Duration::from_secs(30);
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// A name or address that has not failed for this long starts afresh.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Beyond this many names and addresses, the ones not failing any more are forgotten.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

#[derive(Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
}

impl SignInThrottle {
    /// How long a sign-in as `user` from `address` must still wait, if it must.
    pub fn wait(&self, user: &str, address: Option<IpAddr>) -> Option<Duration> {
        self.wait_at(user, address, Instant::now())
    }

    /// Counts a failed sign-in against the user name and the address.
    pub fn failed(&self, user: &str, address: Option<IpAddr>) {
        self.failed_at(user, address, Instant::now());
    }

    /// A successful sign-in clears the user name's failures (not the address's: one account of
    /// the attacker's own must not reset the count of their guesses at others).
    pub fn succeeded(&self, user: &str) {
        self.lock().remove(&user_key(user));
    }

    /// The counts; a panic elsewhere while holding them leaves them usable.
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Failures>> {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wait_at(&self, user: &str, address: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let failures = self.lock();
        keys(user, address)
            .filter_map(|(key, free)| {
                let failures = failures.get(&key)?;
                let extra = failures.count.checked_sub(free)?;
                let delay = FIRST_WAIT.saturating_mul(2u32.saturating_pow(extra)).min(MAX_WAIT);
                (failures.last + delay).checked_duration_since(now).filter(|wait| !wait.is_zero())
            })
            .max()
    }

    fn failed_at(&self, user: &str, address: Option<IpAddr>, now: Instant) {
        let mut failures = self.lock();
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, failures| now.duration_since(failures.last) < FORGET_AFTER);
        }
        for (key, _) in keys(user, address) {
            let entry = failures.entry(key).or_insert(Failures { count: 0, last: now });
            if now.duration_since(entry.last) >= FORGET_AFTER {
                entry.count = 0;
            }
            *entry = Failures { count: entry.count + 1, last: now };
        }
    }
}

/// A user name as counted: at most IAM's 64 characters, so a flood of huge names stays small.
fn user_key(user: &str) -> Key {
    Key::User(user.chars().take(64).collect())
}

fn keys(user: &str, address: Option<IpAddr>) -> impl Iterator<Item = (Key, u32)> {
    std::iter::once((user_key(user), USER_FREE_FAILURES))
        .chain(address.map(|address| (Key::Address(address), ADDRESS_FREE_FAILURES)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn a_user_waits_after_five_failures_and_longer_after_each_more() {
        let throttle = SignInThrottle::default();
        let start = Instant::now();
        for _ in 0..USER_FREE_FAILURES - 1 {
            throttle.failed_at("alice", HOME, start);
        }
        assert_eq!(throttle.wait_at("alice", HOME, start), None, "four failures cost nothing");
        throttle.failed_at("alice", HOME, start);
        assert_eq!(throttle.wait_at("alice", HOME, start), Some(FIRST_WAIT));
        assert_eq!(throttle.wait_at("alice", HOME, start + FIRST_WAIT), None, "the wait ends");
        throttle.failed_at("alice", HOME, start + FIRST_WAIT);
        assert_eq!(throttle.wait_at("alice", HOME, start + FIRST_WAIT), Some(FIRST_WAIT * 2), "and doubles");
        assert_eq!(throttle.wait_at("bob", HOME, start), None, "other users are not held back");
        throttle.succeeded("alice");
        assert_eq!(throttle.wait_at("alice", HOME, start + FIRST_WAIT), None);
    }

    #[test]
    fn an_address_guessing_many_names_waits_too() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for n in 0..ADDRESS_FREE_FAILURES {
            throttle.failed_at(&format!("user{n}"), HOME, now);
        }
        assert_eq!(throttle.wait_at("someone-else", HOME, now), Some(FIRST_WAIT));
        assert_eq!(throttle.wait_at("someone-else", None, now), None);
        assert_eq!(throttle.wait_at("user1", HOME, now + FORGET_AFTER), None);
    }
}
