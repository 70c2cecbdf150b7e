use serde::{Deserialize, Serialize};

/// An email address that a message can be sent to: one `@`, a local part of 1 to 64 characters without spaces or
/// control characters, a domain of dot-separated letters, digits and hyphens with at least one dot. The domain is
/// lower-cased; the local part is kept as written. At most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        let err = || "That is not an email address we can send to. Check it reads like name@example.org.".to_owned();
        if s.len() > 254 {
            return Err(err());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(err)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_ascii_graphic() && !"()<>[]:;,\\\"".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if !local_ok || !domain_ok {
            return Err(err());
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to tell two addresses apart (blind index, duplicate checks): all lower case.
    pub fn canonical(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(mut e: Email) -> String {
        std::mem::take(&mut e.0)
    }
}

/// The text is wiped when the value is dropped: a contact does not linger in freed memory.
impl Drop for Email {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn addresses_that_can_receive_mail_parse() {
        assert_eq!(Email::parse(" Jo.Bloggs+alerts@Example.ORG ").unwrap().as_str(), "Jo.Bloggs+alerts@example.org");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for raw in [
            "",
            "no-at-sign",
            "a@b",
            "@example.org",
            "a@@example.org",
            "a b@example.org",
            "a@exa_mple.org",
            "a@example.c0m",
            "a..b@example.org",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw}");
        }
    }
}
