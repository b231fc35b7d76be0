//! Signing in: passwords hashed with argon2id (memory-hard, OWASP's parameters: 19 MiB, two
//! passes), session and CSRF tokens from the operating system's randomness, their
//! comparison in constant time, and the slowing down of failed sign-ins per account name.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::Digest;

/// A password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// The shortest password the console accepts.
pub const MIN_PASSWORD: usize = 10;

/// The argon2id hash (a PHC string) of `password`, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(|e| HashError(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// A hash no password matches, checked when the account does not exist: a sign-in takes
/// as long whether the name exists or not.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&new_token()).unwrap_or_default())
}

/// Whether `password` matches `hash` (none: the account does not exist).
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    let (hash, exists) = match hash {
        Some(h) => (h, true),
        None => (decoy(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let ok = argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    ok && exists
}

/// A fresh random token: 244 bits from the operating system, as 64 hex digits.
pub fn new_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// What the store keeps of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Whether two tokens are equal, compared in constant time.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Failed sign-ins per account name: after [`Throttle::FREE`] failures each further
/// attempt waits, twice as long each time, up to [`Throttle::LONGEST`]; a success or a
/// quiet [`Throttle::FORGET`] clears the count.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    pub const FREE: u32 = 5;
    pub const FIRST_WAIT: Duration = Duration::from_secs(30);
    pub const LONGEST: Duration = Duration::from_secs(15 * 60);
    pub const FORGET: Duration = Duration::from_secs(60 * 60);

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long `name` must still wait before its next attempt, if at all.
    pub fn wait(&self, name: &str) -> Option<Duration> {
        let mut failures = self.lock();
        let (n, last) = *failures.get(name)?;
        let since = last.elapsed();
        if since > Self::FORGET {
            failures.remove(name);
            return None;
        }
        if n < Self::FREE {
            return None;
        }
        let wait = (Self::FIRST_WAIT * 2u32.saturating_pow((n - Self::FREE).min(10))).min(Self::LONGEST);
        wait.checked_sub(since).filter(|w| !w.is_zero())
    }

    pub fn failed(&self, name: &str) {
        let mut failures = self.lock();
        // a bounded table: a flood of made-up names forgets the oldest
        if failures.len() > 10_000 {
            failures.retain(|_, (_, at)| at.elapsed() < Self::FIRST_WAIT);
        }
        let entry = failures.entry(name.to_string()).or_insert((0, Instant::now()));
        *entry = (entry.0 + 1, Instant::now());
    }

    pub fn succeeded(&self, name: &str) {
        self.lock().remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_kept_as_a_salted_argon2id_hash() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(!h.contains("correct horse"));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "a fresh salt each time");
        assert!(verify_password(Some(&h), "correct horse battery"));
        assert!(!verify_password(Some(&h), "correct horse battery!"));
        assert!(!verify_password(None, "correct horse battery"));
    }

    #[test]
    fn five_failures_then_each_attempt_waits() {
        let t = Throttle::default();
        for _ in 0..Throttle::FREE - 1 {
            t.failed("li");
        }
        assert_eq!(t.wait("li"), None, "four failures are free");
        t.failed("li");
        let w = t.wait("li").expect("the fifth failure slows the next attempt");
        assert!(w > Duration::from_secs(29) && w <= Throttle::FIRST_WAIT, "{w:?}");
        t.failed("li");
        assert!(t.wait("li").unwrap() > Duration::from_secs(59), "twice as long");
        assert_eq!(t.wait("wang"), None, "per name");
        t.succeeded("li");
        assert_eq!(t.wait("li"), None);
        assert_eq!(new_token().len(), 64);
        assert!(same("abc", "abc") && !same("abc", "abd"));
    }
}
