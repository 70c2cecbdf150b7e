use serde::{Deserialize, Serialize};

/// A phone number in E.164 form (`+447700900123`). Parsing accepts international forms (`+44 7700 900123`,
/// `0044 7700 900123`, `+44 (0)7700 900123`) and UK and Irish national forms: an 11-digit number starting with 0 is
/// British, a 10-digit Irish mobile (083, 085, 086, 087, 089) is Irish, and other 10-digit national numbers are taken
/// as British. Anyone else writes the number with its country code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let err =
            || format!("'{}' is not a phone number we can read. Write it with its country code, for example +44 7700 900123.", clip(raw));
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.len() > 32 {
            return Err(err());
        }
        let plus = trimmed.starts_with('+');
        let mut digits = String::with_capacity(16);
        for c in trimmed.chars().skip(usize::from(plus)) {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(err()),
            }
        }
        // "+44 (0)7700 900123": the trunk zero written after the country code.
        let international = if plus { Some(digits.clone()) } else { digits.strip_prefix("00").map(str::to_owned) };
        let e164 = match international {
            Some(mut d) => {
                for cc in ["44", "353"] {
                    if d.starts_with(cc) && d[cc.len()..].starts_with('0') {
                        d.remove(cc.len());
                    }
                }
                d
            }
            None => {
                let national = digits.strip_prefix('0').ok_or_else(err)?;
                match digits.len() {
                    11 => format!("44{national}"),
                    10 if ["83", "85", "86", "87", "89"].iter().any(|p| national.starts_with(p)) => format!("353{national}"),
                    10 => format!("44{national}"),
                    9 => format!("353{national}"),
                    _ => return Err(err()),
                }
            }
        };
        if !(8..=15).contains(&e164.len()) || e164.starts_with('0') {
            return Err(err());
        }
        Ok(Self(format!("+{e164}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits only, without the plus.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// The national significant number: what stays the same however a person writes the number.
    pub fn national_digits(&self) -> &str {
        let d = self.digits();
        d.strip_prefix("44").or_else(|| d.strip_prefix("353")).unwrap_or(d)
    }

    /// A British or Irish mobile, the numbers that can receive our texts.
    pub fn is_mobile(&self) -> bool {
        self.0.starts_with("+447") || self.0.starts_with("+3538")
    }
}

fn clip(s: &str) -> String {
    s.chars().take(32).collect()
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(mut p: PhoneNumber) -> String {
        std::mem::take(&mut p.0)
    }
}

/// The text is wiped when the value is dropped: a contact does not linger in freed memory.
impl Drop for PhoneNumber {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::PhoneNumber;

    #[test]
    fn british_and_irish_national_forms_become_e164() {
        for (raw, want) in [
            ("07700 900123", "+447700900123"),
            ("07700-900-123", "+447700900123"),
            ("+44 7700 900123", "+447700900123"),
            ("+44 (0)7700 900123", "+447700900123"),
            ("0044 7700 900123", "+447700900123"),
            ("0113 496 0123", "+441134960123"),
            ("(020) 7946 0123", "+442079460123"),
            ("087 123 4567", "+353871234567"),
            ("+353 87 123 4567", "+353871234567"),
            ("01 234 5678", "+35312345678"),
        ] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), want, "{raw}");
        }
    }

    #[test]
    fn text_and_short_numbers_are_refused() {
        for raw in ["", "call me", "12345", "07700 9001x3", "+0 7700 900123", "0770090012345678"] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn mobiles_are_told_from_landlines() {
        assert!(PhoneNumber::parse("07700 900123").unwrap().is_mobile());
        assert!(PhoneNumber::parse("087 123 4567").unwrap().is_mobile());
        assert!(!PhoneNumber::parse("0113 496 0123").unwrap().is_mobile());
    }
}
