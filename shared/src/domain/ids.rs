//! Identifiers. Each is random (not a counter: an id must not say how many reports came before it) and written in
//! Crockford's base32, which has no I, L, O or U, so it survives being read aloud or copied by hand.

use rand::RngCore;
use serde::{Deserialize, Serialize};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `n` random base32 characters (5 bits each) from the operating system's generator.
pub fn random_base32(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| CROCKFORD[usize::from(b & 31)] as char).collect()
}

/// Base32 of each byte's low five bits (as `random_base32` draws them), for tokens derived from a digest.
pub fn base32_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| CROCKFORD[usize::from(b & 31)] as char).collect()
}

/// Splits `s` into dash-separated groups of four, for reading aloud and writing down.
pub fn grouped(s: &str) -> String {
    s.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect::<Vec<_>>().join("-")
}

/// Reads a base32 string as a person may have typed it: any case, dashes and spaces anywhere, and the letters
/// that Crockford's alphabet folds (O→0, I and L→1).
pub fn normalise_base32(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $prefix:literal, $len:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn new() -> Self {
                Self(format!("{}-{}", $prefix, grouped(&random_base32($len))))
            }

            /// An id derived from a digest (its first bits), for ids that must be the same on every retry.
            pub fn from_digest(digest: &[u8]) -> Self {
                let body: String = digest.iter().take($len).map(|b| CROCKFORD[usize::from(b & 31)] as char).collect();
                Self(format!("{}-{}", $prefix, grouped(&body)))
            }

            /// Reads an id as a person may have typed it (any case, with or without the dashes).
            pub fn parse(s: &str) -> Result<Self, String> {
                let n = normalise_base32(s);
                let body = n.strip_prefix($prefix).filter(|b| b.len() == $len && b.bytes().all(|c| CROCKFORD.contains(&c)));
                match body {
                    Some(b) => Ok(Self(format!("{}-{}", $prefix, grouped(b)))),
                    None => Err(format!("'{}' is not a valid {} id.", s.chars().take(40).collect::<String>(), stringify!($name))),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A report, and the reference its reporter keeps: `R-7KQF-3MZP-9XWD` (60 random bits).
    ReportId, "R", 12
);
id_type!(
    /// An alert drafted from a report.
    AlertId, "A", 12
);
id_type!(
    /// A member's subscription to alerts.
    SubscriptionId, "S", 12
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_typed_by_hand_reads_back_as_the_same_id() {
        let id = ReportId::new();
        let typed = id.as_str().to_lowercase().replace('-', " ");
        assert_eq!(ReportId::parse(&typed).unwrap(), id);
    }

    #[test]
    fn an_id_of_another_kind_or_length_is_refused() {
        let a = AlertId::new();
        assert!(ReportId::parse(a.as_str()).is_err());
        assert!(ReportId::parse("R-1234").is_err());
    }
}
