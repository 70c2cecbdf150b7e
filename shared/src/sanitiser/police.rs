//! The police package's content: the alert's allow-list and clean text, then a stricter pass.
//!
//! What goes to police analysts must name the offender and tell the facts, and nothing else: no reporter, no third
//! party, no venue or establishment, and no workplace setting that could point at one (in a small town "the sauna"
//! is an address). So the package starts from the sanitised alert (which already leaves out the reporter block, the
//! workplace and the location detail, and cleans the free text), then:
//!
//! - every workplace-setting word left in the text ("the parlour", "a sauna", "the agency") becomes "the premises";
//! - the alert's own neutral venue words ("a hotel", "a venue") become "the premises" too, so no kind of place is told;
//! - the result is checked again against the report's identifiers ([`check_edit`]); a text field with any finding is
//!   withheld whole (fail closed), an identifier with a finding is dropped. Both are counted, never shown.
//!
//! The offender's names, numbers, emails, handles and vehicles are kept, as in the alert. Nothing here logs.

use serde::{Deserialize, Serialize};

use super::{check_edit, sanitise};
use crate::domain::alert::{Alert, AlertOffender};
use crate::domain::category::{Category, FirstContact, TimeOfDay};
use crate::domain::report::Report;

/// The words that name a kind of workplace or establishment. Matched as whole words, any case, with an article or
/// possessive before them taken too ("my parlour", "the massage parlour").
const SETTING_WORDS: &[&str] = &[
    "massage parlour",
    "massage parlor",
    "escort agency",
    "working flat",
    "strip club",
    "lap dancing club",
    "parlour",
    "parlor",
    "sauna",
    "brothel",
    "agency",
    "club",
    "walk-up",
    "hotel",
    "motel",
    "guest house",
    "guesthouse",
    "b&b",
    "bnb",
    "airbnb",
    "venue",
    "premises",
];

const LEADING: &[&str] = &["a", "an", "the", "my", "our", "her", "his", "their", "this", "that"];

/// What the text says instead of a setting.
pub const PREMISES: &str = "the premises";
/// What a withheld text field says.
pub const WITHHELD: &str = "[withheld: the check found something that could identify someone other than the offender]";

/// The anonymised report that a police package carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoliceContent {
    pub town: String,
    pub date: chrono::NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_of_day: Option<TimeOfDay>,
    pub categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact: Option<FirstContact>,
    pub offender: AlertOffender,
    /// The account, cleaned.
    pub account: String,
    /// How many pieces the stricter pass took out (settings) or withheld (fields, identifiers), by kind: counts only.
    pub withheld: Withheld,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withheld {
    pub settings: u32,
    pub fields: u32,
    pub identifiers: u32,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '&' || c == '-' || c == '\''
}

/// Replaces every setting word (with an article before it) by [`PREMISES`]; returns the count.
fn strip_settings(text: &str) -> (String, u32) {
    let lower: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let chars: Vec<char> = text.chars().collect();
    // Lower-casing can change the length of a few characters; then match on the text as it is.
    let hay: &[char] = if lower.len() == chars.len() { &lower } else { &chars };
    let mut out = String::with_capacity(text.len());
    let mut n = 0;
    let mut i = 0;
    while i < chars.len() {
        let at_start = i == 0 || !is_word_char(chars[i - 1]);
        let found = at_start.then(|| SETTING_WORDS.iter().find_map(|w| matches_at(hay, i, w))).flatten();
        match found {
            Some(end) => {
                // Take the article or possessive just written before it.
                let trimmed = out.trim_end_matches(' ').len();
                let before = &out[..trimmed];
                let last = before.rsplit(|c: char| !is_word_char(c)).next().unwrap_or("");
                if !last.is_empty() && LEADING.contains(&last.to_lowercase().as_str()) {
                    out.truncate(trimmed - last.len());
                }
                // Plural forms ("saunas") and possessives ("club's") go with the word.
                let mut end = end;
                while end < chars.len() && (chars[end] == 's' || chars[end] == '\'') {
                    end += 1;
                }
                out.push_str(PREMISES);
                n += 1;
                i = end;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    (out, n)
}

/// Where the word `w` ends when it starts at `i` as a whole word (plural or possessive allowed after it).
fn matches_at(hay: &[char], i: usize, w: &str) -> Option<usize> {
    let mut j = i;
    for wc in w.chars() {
        if j >= hay.len() || hay[j] != wc {
            return None;
        }
        j += 1;
    }
    let mut k = j;
    while k < hay.len() && (hay[k] == 's' || hay[k] == '\'') {
        k += 1;
    }
    if k < hay.len() && is_word_char(hay[k]) { None } else { Some(j) }
}

/// Builds the package's content for a report. Deterministic.
pub fn police_content(report: &Report) -> PoliceContent {
    let alert = sanitise(report);
    let mut withheld = Withheld::default();
    let (account, n) = strip_settings(&alert.summary);
    withheld.settings += n;
    let mut offender = alert.offender.clone();
    if let Some(d) = offender.description.take() {
        let (d, n) = strip_settings(&d);
        withheld.settings += n;
        offender.description = Some(d);
    }
    let mut content = PoliceContent {
        town: alert.town.clone(),
        date: report.incident.date,
        time_of_day: alert.time_of_day,
        categories: alert.categories.clone(),
        first_contact: alert.first_contact,
        offender,
        account,
        withheld,
    };
    // The check, once more, on what would leave: any finding withholds its field.
    let as_alert = Alert {
        town: content.town.clone(),
        date: content.date,
        time_of_day: content.time_of_day,
        categories: content.categories.clone(),
        first_contact: content.first_contact,
        offender: content.offender.clone(),
        summary: content.account.clone(),
        redactions: Vec::new(),
        date_precision: Default::default(),
        flags: Vec::new(),
        review: Vec::new(),
    };
    let findings = check_edit(report, &as_alert);
    let mut drop_names = Vec::new();
    let mut drop_phones = Vec::new();
    let mut drop_emails = Vec::new();
    let mut drop_handles = Vec::new();
    for f in &findings {
        let index = |prefix: &str| f.field.strip_prefix(prefix).and_then(|r| r.trim_end_matches(']').parse::<usize>().ok());
        match f.field.as_str() {
            "summary" if content.account != WITHHELD => {
                content.account = WITHHELD.into();
                content.withheld.fields += 1;
            }
            "offender.description" if content.offender.description.as_deref() != Some(WITHHELD) => {
                content.offender.description = Some(WITHHELD.into());
                content.withheld.fields += 1;
            }
            "town" => {
                content.town = super::TOWN_WITHHELD.into();
                content.withheld.fields += 1;
            }
            _ => {
                if let Some(i) = index("offender.names_used[") {
                    drop_names.push(i);
                } else if let Some(i) = index("offender.phones[") {
                    drop_phones.push(i);
                } else if let Some(i) = index("offender.emails[") {
                    drop_emails.push(i);
                } else if let Some(i) = index("offender.online_handles[") {
                    drop_handles.push(i);
                }
            }
        }
    }
    let o = &mut content.offender;
    for (list, drops) in
        [(&mut o.names_used, drop_names), (&mut o.phones, drop_phones), (&mut o.emails, drop_emails), (&mut o.online_handles, drop_handles)]
    {
        let before = list.len();
        let mut i = 0;
        list.retain(|_| {
            let keep = !drops.contains(&i);
            i += 1;
            keep
        });
        content.withheld.identifiers += (before - list.len()) as u32;
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_become_the_premises_with_their_article() {
        let (t, n) = strip_settings("Met him at the Parlour, then a sauna and my working flat. Clubbing after.");
        assert_eq!(t, "Met him at the premises, then the premises and the premises. Clubbing after.");
        assert_eq!(n, 3);
        let (t, n) = strip_settings("Two saunas and the club's door");
        assert_eq!(t, "Two the premises and the premises door");
        assert_eq!(n, 2);
    }
}
