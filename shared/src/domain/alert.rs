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
        };
        let json = serde_json::to_string(&alert).unwrap();
        assert!(!json.contains("time_of_day") && !json.contains("phones") && !json.contains("description"));
        assert!(json.contains(r#""kind":"third_party_name""#));
        let back: Alert = serde_json::from_str(&json).unwrap();
        assert_eq!(back, alert);
    }
}
