//! The passphrase a reporter is given with their reference, so they can come back without an account.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::ids::{grouped, normalise_base32, random_base32};

/// 20 characters of Crockford base32: 100 random bits, written as five groups of four (`7KQF-3MZP-9XWD-2HTR-B4NE`).
/// No word list to ship, no ambiguous letters, any case accepted when typed back.
const CHARS: usize = 20;

/// A freshly generated passphrase. It is shown to the reporter once and never stored: only its argon2id hash is.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Passphrase(String);

impl Passphrase {
    pub fn generate() -> Self {
        Self(grouped(&random_base32(CHARS)))
    }

    /// The text to show the reporter, once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Bits of entropy in a generated passphrase.
    pub const ENTROPY_BITS: usize = CHARS * 5;

    /// An argon2id hash in PHC string form (salt and parameters included).
    pub fn hash(&self) -> String {
        hash_secret(&self.hash_input())
    }

    /// The canonical form that is hashed (upper case, no dashes), zeroed on drop.
    pub fn hash_input(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(normalise_base32(&self.0))
    }

    /// Checks a passphrase as the reporter typed it against a stored hash.
    pub fn verify(typed: &str, phc: &str) -> bool {
        verify_secret(&normalise_base32(typed), phc)
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// argon2id with OWASP's second recommended setting (19 MiB, 2 passes, 1 lane): slow enough to make guessing dear,
/// quick enough for a Lambda with 256 MB.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid"))
}

/// Hashes any secret (passphrase, verification code) with argon2id, salted.
pub fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2().hash_password(secret.as_bytes(), &salt).expect("argon2 hashing with valid parameters cannot fail").to_string()
}

/// Checks a secret against an argon2 PHC string; a malformed stored hash never verifies.
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(secret.as_bytes(), &h).is_ok())
}

/// How many argon2 hashes one process computes at once. Each holds 19 MiB while it runs, so 4 is 76 MiB at most,
/// whatever the number of requests; without a bound, tokio's blocking pool (512 threads) would let a burst of
/// requests ask for 9.5 GiB.
pub const MAX_HASHES_AT_ONCE: usize = 4;
/// How long a request waits for a free slot before it is answered "busy, try again" (503).
pub const HASH_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every slot stayed taken for the whole wait: the caller answers 503 and nothing is stored.
    #[error("every hashing slot stayed busy")]
    Busy,
    #[error("the hashing task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// A bound on argon2 work in flight. The slot is held by the hashing thread itself, so a request that gives up
/// (a client that disconnects) cannot free a slot while its hash still runs.
pub struct HashSlots {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
}

impl HashSlots {
    pub fn new(slots: usize, wait: std::time::Duration) -> Self {
        Self { permits: std::sync::Arc::new(tokio::sync::Semaphore::new(slots)), wait }
    }

    /// The process's own slots, shared by every use case that hashes.
    pub fn global() -> &'static HashSlots {
        static SLOTS: std::sync::OnceLock<HashSlots> = std::sync::OnceLock::new();
        SLOTS.get_or_init(|| HashSlots::new(MAX_HASHES_AT_ONCE, HASH_QUEUE_WAIT))
    }

    /// Runs `work` on the blocking pool once a slot is free, or answers `Busy` after the wait.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Busy)?;
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(HashError::Task)
    }

    /// Hashes a secret (zeroed when done) in a slot.
    pub async fn hash(&self, secret: zeroize::Zeroizing<String>) -> Result<String, HashError> {
        self.run(move || hash_secret(&secret)).await
    }

    /// Checks a secret against a stored hash in a slot.
    pub async fn verify(&self, secret: zeroize::Zeroizing<String>, phc: String) -> Result<bool, HashError> {
        self.run(move || verify_secret(&secret, &phc)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_hashes_run_at_once_than_there_are_slots_and_a_full_house_answers_busy() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let slots = std::sync::Arc::new(HashSlots::new(2, std::time::Duration::from_millis(200)));
        let running = std::sync::Arc::new(AtomicUsize::new(0));
        let most = std::sync::Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (slots, running, most) = (slots.clone(), running.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                slots
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(150));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            }));
        }
        let mut busy = 0;
        for t in tasks {
            if matches!(t.await.unwrap(), Err(HashError::Busy)) {
                busy += 1;
            }
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "more hashes ran at once than there are slots");
        // Six jobs of 150 ms through two slots with a 200 ms wait: the first four get a slot, the last two give up.
        assert!(busy >= 1, "a full house never answered busy");
        assert!(busy <= 4, "{busy} of 6 answered busy");
    }

    #[tokio::test]
    async fn a_slot_hashes_and_verifies_as_the_plain_functions_do() {
        let slots = HashSlots::new(1, std::time::Duration::from_secs(5));
        let h = slots.hash(zeroize::Zeroizing::new("0123ABCD".to_owned())).await.unwrap();
        assert!(slots.verify(zeroize::Zeroizing::new("0123ABCD".to_owned()), h.clone()).await.unwrap());
        assert!(!slots.verify(zeroize::Zeroizing::new("0123ABCE".to_owned()), h).await.unwrap());
    }

    #[test]
    fn a_passphrase_has_at_least_80_bits_and_verifies_as_typed() {
        const { assert!(Passphrase::ENTROPY_BITS >= 80) };
        let p = Passphrase::generate();
        assert_eq!(p.expose().len(), 24);
        let h = p.hash();
        assert!(h.starts_with("$argon2id$"));
        assert!(Passphrase::verify(&p.expose().to_lowercase().replace('-', ""), &h));
        assert!(!Passphrase::verify("0000-0000-0000-0000-0000", &h));
    }
}
