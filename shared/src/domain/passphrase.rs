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
        hash_secret(&normalise_base32(&self.0))
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

#[cfg(test)]
mod tests {
    use super::*;

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
