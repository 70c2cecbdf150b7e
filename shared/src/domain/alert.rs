//! A sanitised alert (`alert.v1`): what `num sanitise` prints and what staff review before an alert is published.
//! The shape follows `infra/schemas/alert.schema.json`; empty optional fields are left out on output.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::category::{Category, FirstContact, TimeOfDay};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub town: String,
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_of_day: Option<TimeOfDay>,
    pub categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact: Option<FirstContact>,
    pub offender: AlertOffender,
    pub summary: String,
    pub redactions: Vec<Redaction>,
    /// How much of `date` the alert says: the day, the week (then `date` is its Monday) or the month (then `date` is
    /// its first day). A reviewer coarsens it at publish; a draft says the day.
    #[serde(default, skip_serializing_if = "DatePrecision::is_day")]
    pub date_precision: DatePrecision,
    /// What the sanitiser changed that the reviewer should look at (the town it could not publish as typed). Never the
    /// text it left out. Cleared at publish: members never see it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<ReviewFlag>,
    /// Where in the draft's text the sanitiser was unsure, for the console to highlight. Positions and kinds only,
    /// never text of the report. Cleared at publish, as `flags` are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub review: Vec<ReviewSpan>,
}

impl Alert {
    /// The date as the alert says it, for the email and the members' page: "14 March 2025", "week of 10 March 2025",
    /// "March 2025".
    pub fn date_long(&self) -> String {
        match self.date_precision {
            DatePrecision::Day => self.date.format("%-d %B %Y").to_string(),
            DatePrecision::Week => format!("week of {}", self.date.format("%-d %B %Y")),
            DatePrecision::Month => self.date.format("%B %Y").to_string(),
        }
    }

    /// The date in few characters, for a text: "14 Mar", "wk of 10 Mar", "Mar 2025".
    pub fn date_short(&self) -> String {
        match self.date_precision {
            DatePrecision::Day => self.date.format("%-d %b").to_string(),
            DatePrecision::Week => format!("wk of {}", self.date.format("%-d %b")),
            DatePrecision::Month => self.date.format("%b %Y").to_string(),
        }
    }
}

/// How much of the incident's date an alert gives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    #[default]
    Day,
    Week,
    Month,
}

impl DatePrecision {
    pub fn is_day(&self) -> bool {
        *self == DatePrecision::Day
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            DatePrecision::Day => "day",
            DatePrecision::Week => "week",
            DatePrecision::Month => "month",
        }
    }

    /// The first day of the week (Monday) or month that holds `date`; the day itself for `Day`.
    pub fn coarsen(&self, date: NaiveDate) -> NaiveDate {
        use chrono::Datelike;
        match self {
            DatePrecision::Day => date,
            DatePrecision::Week => date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday())),
            DatePrecision::Month => date.with_day(1).unwrap_or(date),
        }
    }
}

/// A stretch of a draft's text that a reviewer should read with care: the field ("summary", "offender.description"),
/// where it stands in that field's text (`start..end`, in characters), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSpan {
    pub field: String,
    pub start: u32,
    pub end: u32,
    pub kind: ReviewKind,
}

/// Why a span of a draft is marked for the reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// A word the sanitiser did not know, read as a person's name and written "someone": check the sentence reads
    /// right, and that it was not the offender's.
    WithheldName,
    /// A word the sanitiser did not know, read as a place ("a place", "somewhere").
    WithheldPlace,
    /// A code or number the sanitiser did not know ("a number").
    WithheldOther,
}

/// Something the sanitiser changed that a reviewer should check: the field, what was done, why, and a sentence for
/// the console. Never the text it left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFlag {
    pub field: String,
    pub code: FlagCode,
    pub reasons: Vec<TownIssue>,
    pub message: String,
}

impl ReviewFlag {
    pub fn town(code: FlagCode, reasons: Vec<TownIssue>) -> Self {
        let why = reasons.iter().map(|r| r.words()).collect::<Vec<_>>().join(", ");
        let message = match code {
            FlagCode::TownCoarsened => format!(
                "The town as typed held more than a known place ({why}); the draft names only the place. Check it, or set the town when you publish."
            ),
            FlagCode::TownWidened => format!(
                "The town as typed is also a name in the report ({why}); the draft names only its region. Set the town when you publish if you need a narrower one that names nobody."
            ),
            FlagCode::TownWithheld => format!(
                "Nothing of the town as typed can be published ({why}); the draft says 'Town withheld'. Set the town when you publish."
            ),
        };
        Self { field: "town".into(), code, reasons, message }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    /// Only the known place in the town as typed is kept.
    TownCoarsened,
    /// The place is also a name in the report: only its region is given.
    TownWidened,
    /// Nothing of the town as typed is given.
    TownWithheld,
}

/// Why a town as typed is not published as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TownIssue {
    ReporterIdentity,
    ReporterContact,
    ThirdPartyName,
    /// An email, phone number, handle or link.
    Contact,
    Venue,
    Address,
    Postcode,
    NotAKnownPlace,
}

impl TownIssue {
    /// A person's name is in it (the reporter's, or one from the account).
    pub fn names_someone(&self) -> bool {
        matches!(self, TownIssue::ReporterIdentity | TownIssue::ThirdPartyName)
    }

    pub fn is_contact(&self) -> bool {
        matches!(self, TownIssue::ReporterContact | TownIssue::Contact)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            TownIssue::ReporterIdentity => "reporter_identity",
            TownIssue::ReporterContact => "reporter_contact",
            TownIssue::ThirdPartyName => "third_party_name",
            TownIssue::Contact => "contact",
            TownIssue::Venue => "venue",
            TownIssue::Address => "address",
            TownIssue::Postcode => "postcode",
            TownIssue::NotAKnownPlace => "not_a_known_place",
        }
    }

    /// Plain words for the reviewer.
    pub fn words(&self) -> &'static str {
        match self {
            TownIssue::ReporterIdentity => "the reporter's name",
            TownIssue::ReporterContact => "the reporter's contact details",
            TownIssue::ThirdPartyName => "a name from the account",
            TownIssue::Contact => "contact details",
            TownIssue::Venue => "a venue",
            TownIssue::Address => "an address",
            TownIssue::Postcode => "a postcode",
            TownIssue::NotAKnownPlace => "no place the gazetteer knows",
        }
    }
}

/// What the alert says about the offender: only what warns. The same fields as the report's offender block, after
/// sanitising: phones in E.164 where they could be read, registrations upper case without spaces.
pub type AlertOffender = super::report::Offender;

/// How many pieces of one kind the sanitiser took out. Never the text itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    pub kind: RedactionKind,
    pub count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedactionKind {
    ReporterIdentity,
    ReporterContact,
    ThirdPartyName,
    Venue,
    Address,
    Postcode,
    Email,
    Phone,
    Handle,
    Other,
}

impl RedactionKind {
    pub const ALL: [RedactionKind; 10] = [
        RedactionKind::ReporterIdentity,
        RedactionKind::ReporterContact,
        RedactionKind::ThirdPartyName,
        RedactionKind::Venue,
        RedactionKind::Address,
        RedactionKind::Postcode,
        RedactionKind::Email,
        RedactionKind::Phone,
        RedactionKind::Handle,
        RedactionKind::Other,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_round_trips_and_leaves_out_empty_fields() {
        let alert = Alert {
            town: "Leeds".into(),
            date: NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(),
            time_of_day: None,
            categories: vec![Category::Theft],
            first_contact: None,
            offender: AlertOffender { names_used: vec!["Gaz".into()], ..Default::default() },
            summary: "He took money.".into(),
            redactions: vec![Redaction { kind: RedactionKind::ThirdPartyName, count: 2 }],
            date_precision: DatePrecision::Day,
            flags: vec![],
            review: vec![],
        };
        let json = serde_json::to_string(&alert).unwrap();
        assert!(!json.contains("time_of_day") && !json.contains("phones") && !json.contains("description"));
        assert!(!json.contains("date_precision") && !json.contains("flags"));
        assert!(json.contains(r#""kind":"third_party_name""#));
        let back: Alert = serde_json::from_str(&json).unwrap();
        assert_eq!(back, alert);
    }

    #[test]
    fn a_coarsened_date_is_the_first_day_of_its_week_or_month() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(); // a Friday
        assert_eq!(DatePrecision::Day.coarsen(d), d);
        assert_eq!(DatePrecision::Week.coarsen(d), NaiveDate::from_ymd_opt(2025, 3, 10).unwrap());
        assert_eq!(DatePrecision::Month.coarsen(d), NaiveDate::from_ymd_opt(2025, 3, 1).unwrap());
        let monday = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
        assert_eq!(DatePrecision::Week.coarsen(monday), monday);
    }
}
