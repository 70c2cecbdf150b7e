use serde::{Deserialize, Serialize};

/// A town, city or borough as the reporter named it: published in the alert, so it is trimmed, single-spaced and
/// free of control characters. 1 to 80 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, zeroize::Zeroize)]
#[serde(try_from = "String", into = "String")]
pub struct Town(String);

impl Town {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.chars().count() > 80 {
            return Err("The town is longer than 80 characters. Give just the town, city or borough.".into());
        }
        let clean = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if clean.is_empty() {
            return Err("Give the town, city or borough where it happened.".into());
        }
        if clean.chars().any(char::is_control) {
            return Err("The town holds control characters. Give just the town, city or borough.".into());
        }
        Ok(Self(clean))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Town {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Town> for String {
    fn from(t: Town) -> String {
        t.0
    }
}

impl std::fmt::Display for Town {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
