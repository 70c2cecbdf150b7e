//! An incident report as a member submits it (`report.v1`), parsed so that a `Report` that exists obeys every rule of
//! `infra/schemas/report.schema.json`.
//!
//! Parsing is two steps: serde reads the JSON into a loose transfer shape (unknown fields refused, field paths kept for
//! the error), then `Report::parse` checks each rule and names the field at fault.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::category::{Category, FirstContact, TimeOfDay};
use super::town::Town;

/// A rule of the report schema that the input broke. `field` is the dotted path of the field at fault
/// (`incident.date`, `offender.phones[2]`), empty where the body as a whole is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ReportError {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ReportError {
    fn new(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        Self { code, message: message.into(), field: (!field.is_empty()).then_some(field) }
    }
}

/// Zeroed when dropped, like every part of it that holds text: a report lives in memory only as long as it is sealed,
/// sanitised or shown, and its text is not left behind in freed memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct Report {
    pub incident: Incident,
    pub offender: Offender,
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<Reporter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workplace: Option<Workplace>,
    #[zeroize(skip)]
    pub consent: Consent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Zeroize)]
pub struct Incident {
    #[zeroize(skip)]
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[zeroize(skip)]
    pub time_of_day: Option<TimeOfDay>,
    pub town: Town,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_detail: Option<String>,
    #[zeroize(skip)]
    pub categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[zeroize(skip)]
    pub first_contact: Option<FirstContact>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Zeroize)]
pub struct Offender {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names_used: Vec<String>,
    /// As the reporter wrote them: the schema asks only for 3 to 32 characters, so a number that is not a valid
    /// E.164 number is kept as written. The sanitiser normalises the ones it can.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub online_handles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vehicles: Vec<Vehicle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
pub struct Vehicle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
pub struct Reporter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub online_handles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[zeroize(skip)]
    pub preferred_contact: Option<PreferredContact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_notes: Option<String>,
    /// How and when a caseworker's notice may reach the reporter (structured; `contact_notes` stays for free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_contact: Option<SafeContact>,
    /// A support project's worker reports on someone's behalf: the project is the contact route (the email and phone
    /// above are then the project's), and its name is withheld from the alert like a venue's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf: Option<OnBehalf>,
}

/// The reporter's safe-contact preferences: the one channel a notice may use, the hours it may arrive in (UK time;
/// none given means any time), whether a voicemail or message may be left, and a safe word a caseworker says first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
pub struct SafeContact {
    #[zeroize(skip)]
    pub channel: Option<PreferredContact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[zeroize(skip)]
    pub windows: Vec<ContactWindow>,
    #[serde(default)]
    #[zeroize(skip)]
    pub may_leave_message: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_word: Option<String>,
}

/// Days of the week (`mon` to `sun`) and the hours `from_hour` (0 to 23) up to `to_hour` (1 to 24), UK time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactWindow {
    pub days: Vec<String>,
    pub from_hour: u8,
    pub to_hour: u8,
}

/// A report made by a support project on someone's behalf.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
pub struct OnBehalf {
    /// The project's name: private, never in an alert.
    pub project: String,
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreferredContact {
    Email,
    Phone,
    Sms,
    None,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
pub struct Workplace {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[zeroize(skip)]
    pub setting: Option<Setting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    Independent,
    Parlour,
    Sauna,
    Massage,
    EscortAgency,
    Club,
    Street,
    Online,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub publish_alert: bool,
    pub share_with_police: bool,
    pub caseworker_contact: bool,
}

// ---- transfer shapes: what serde reads before the rules are checked ----
//
// Zeroed on drop too: what parsing moves into the `Report` is taken out (`take`), and whatever is left (the date as
// typed, a refused value) is zeroed with the shape.

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct ReportDto {
    incident: IncidentDto,
    offender: OffenderDto,
    account: String,
    #[serde(default)]
    reporter: Option<ReporterDto>,
    #[serde(default)]
    workplace: Option<WorkplaceDto>,
    consent: ConsentDto,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct IncidentDto {
    date: String,
    #[serde(default)]
    time_of_day: Option<String>,
    town: String,
    #[serde(default)]
    location_detail: Option<String>,
    categories: Vec<String>,
    #[serde(default)]
    first_contact: Option<String>,
}

#[derive(Deserialize, Default, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct OffenderDto {
    #[serde(default)]
    names_used: Option<Vec<String>>,
    #[serde(default)]
    phones: Option<Vec<String>>,
    #[serde(default)]
    emails: Option<Vec<String>>,
    #[serde(default)]
    online_handles: Option<Vec<String>>,
    #[serde(default)]
    vehicles: Option<Vec<VehicleDto>>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct VehicleDto {
    #[serde(default)]
    make: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    colour: Option<String>,
    #[serde(default)]
    registration: Option<String>,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct ReporterDto {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    working_name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    online_handles: Option<Vec<String>>,
    #[serde(default)]
    preferred_contact: Option<String>,
    #[serde(default)]
    contact_notes: Option<String>,
    #[serde(default)]
    safe_contact: Option<SafeContactDto>,
    #[serde(default)]
    on_behalf: Option<OnBehalfDto>,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct SafeContactDto {
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    #[zeroize(skip)]
    windows: Option<Vec<ContactWindow>>,
    #[serde(default)]
    may_leave_message: Option<bool>,
    #[serde(default)]
    safe_word: Option<String>,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct OnBehalfDto {
    project: String,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct WorkplaceDto {
    #[serde(default)]
    setting: Option<String>,
    #[serde(default)]
    venue_name: Option<String>,
    #[serde(default)]
    venue_address: Option<String>,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct ConsentDto {
    publish_alert: bool,
    share_with_police: bool,
    caseworker_contact: bool,
}

impl Report {
    /// Parses a report from JSON bytes. `today` is the latest incident date allowed (the reporter's today).
    pub fn from_json(bytes: &[u8], today: NaiveDate) -> Result<Self, ReportError> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            ReportError::new(
                "invalid_json",
                "",
                format!("The body is not valid JSON ({}). Send the report as one JSON object.", json_position(&e)),
            )
        })?;
        Self::from_value(value, today)
    }

    /// Parses a report from an already decoded JSON value.
    pub fn from_value(value: serde_json::Value, today: NaiveDate) -> Result<Self, ReportError> {
        if !value.is_object() {
            return Err(ReportError::new(
                "invalid_report",
                "",
                "The report must be a JSON object with incident, offender, account and consent.",
            ));
        }
        let dto: ReportDto = serde_path_to_error::deserialize(value).map_err(shape_error)?;
        Self::parse(dto, today)
    }

    fn parse(mut dto: ReportDto, today: NaiveDate) -> Result<Self, ReportError> {
        let i = &mut dto.incident;
        let date = NaiveDate::parse_from_str(&i.date, "%Y-%m-%d").ok().filter(|_| i.date.len() == 10).ok_or_else(|| {
            ReportError::new(
                "invalid_date",
                "incident.date",
                "The incident date must be a calendar date written YYYY-MM-DD, for example 2025-03-14.",
            )
        })?;
        if date > today {
            return Err(ReportError::new(
                "date_in_future",
                "incident.date",
                "The incident date is in the future. Give the day it happened.",
            ));
        }
        let time_of_day = i.time_of_day.as_deref().map(|s| parse_enum::<TimeOfDay>(s, "incident.time_of_day")).transpose()?;
        let town = Town::parse(&i.town).map_err(|m| ReportError::new("invalid_town", "incident.town", m))?;
        let location_detail = opt_text(i.location_detail.take(), "incident.location_detail", 0, 500)?;
        if i.categories.is_empty() {
            return Err(ReportError::new("missing_category", "incident.categories", "Choose at least one category for what happened."));
        }
        let mut categories = Vec::with_capacity(i.categories.len());
        for (n, c) in i.categories.iter().enumerate() {
            let field = format!("incident.categories[{n}]");
            let c = parse_enum::<Category>(c, &field)?;
            if categories.contains(&c) {
                return Err(ReportError::new("duplicate_category", field, "Each category may be given only once."));
            }
            categories.push(c);
        }
        let first_contact = i.first_contact.as_deref().map(|s| parse_enum::<FirstContact>(s, "incident.first_contact")).transpose()?;

        let o = &mut dto.offender;
        let vehicles = match o.vehicles.take() {
            None => Vec::new(),
            Some(v) if v.len() > 5 => return Err(too_many("offender.vehicles", 5)),
            Some(v) => v
                .into_iter()
                .enumerate()
                .map(|(n, mut v)| {
                    Ok(Vehicle {
                        make: opt_text(v.make.take(), &format!("offender.vehicles[{n}].make"), 0, 40)?,
                        model: opt_text(v.model.take(), &format!("offender.vehicles[{n}].model"), 0, 40)?,
                        colour: opt_text(v.colour.take(), &format!("offender.vehicles[{n}].colour"), 0, 40)?,
                        registration: opt_text(v.registration.take(), &format!("offender.vehicles[{n}].registration"), 0, 16)?,
                    })
                })
                .collect::<Result<_, ReportError>>()?,
        };
        let offender = Offender {
            names_used: list(o.names_used.take(), "offender.names_used", 10, 1, 80)?,
            phones: list(o.phones.take(), "offender.phones", 10, 3, 32)?,
            emails: list(o.emails.take(), "offender.emails", 10, 3, 254)?,
            online_handles: list(o.online_handles.take(), "offender.online_handles", 10, 1, 80)?,
            vehicles,
            description: opt_text(o.description.take(), "offender.description", 0, 2000)?,
        };

        let account = text(std::mem::take(&mut dto.account), "account", 1, 10_000)?;
        if account.trim().is_empty() {
            return Err(ReportError::new("empty_account", "account", "Say what happened in the account: it cannot be blank."));
        }

        let reporter = dto
            .reporter
            .as_mut()
            .map(|r| {
                Ok::<_, ReportError>(Reporter {
                    name: opt_text(r.name.take(), "reporter.name", 0, 80)?,
                    working_name: opt_text(r.working_name.take(), "reporter.working_name", 0, 80)?,
                    email: opt_text(r.email.take(), "reporter.email", 0, 254)?,
                    phone: opt_text(r.phone.take(), "reporter.phone", 0, 32)?,
                    online_handles: list(r.online_handles.take(), "reporter.online_handles", 10, 0, 80)?,
                    preferred_contact: r
                        .preferred_contact
                        .as_deref()
                        .map(|s| parse_enum::<PreferredContact>(s, "reporter.preferred_contact"))
                        .transpose()?,
                    contact_notes: opt_text(r.contact_notes.take(), "reporter.contact_notes", 0, 500)?,
                    safe_contact: r.safe_contact.as_mut().map(parse_safe_contact).transpose()?,
                    on_behalf: r
                        .on_behalf
                        .as_mut()
                        .map(|b| {
                            let project = text(std::mem::take(&mut b.project), "reporter.on_behalf.project", 1, 120)?;
                            if project.trim().is_empty() {
                                return Err(ReportError::new("too_short", "reporter.on_behalf.project", "Give the project's name."));
                            }
                            Ok(OnBehalf { project })
                        })
                        .transpose()?,
                })
            })
            .transpose()?;
        let workplace = dto
            .workplace
            .as_mut()
            .map(|w| {
                Ok::<_, ReportError>(Workplace {
                    setting: w.setting.as_deref().map(|s| parse_enum::<Setting>(s, "workplace.setting")).transpose()?,
                    venue_name: opt_text(w.venue_name.take(), "workplace.venue_name", 0, 120)?,
                    venue_address: opt_text(w.venue_address.take(), "workplace.venue_address", 0, 300)?,
                })
            })
            .transpose()?;
        let c = &dto.consent;
        Ok(Report {
            incident: Incident { date, time_of_day, town, location_detail, categories, first_contact },
            offender,
            account,
            reporter,
            workplace,
            consent: Consent {
                publish_alert: c.publish_alert,
                share_with_police: c.share_with_police,
                caseworker_contact: c.caseworker_contact,
            },
        })
    }

    /// Whether the reporter gave nothing that could reach them or name them.
    pub fn is_anonymous(&self) -> bool {
        self.reporter.as_ref().is_none_or(|r| {
            r.name.is_none()
                && r.working_name.is_none()
                && r.email.is_none()
                && r.phone.is_none()
                && r.online_handles.is_empty()
                && r.on_behalf.is_none()
        })
    }
}

fn parse_safe_contact(d: &mut SafeContactDto) -> Result<SafeContact, ReportError> {
    let channel = d.channel.as_deref().map(|s| parse_enum::<PreferredContact>(s, "reporter.safe_contact.channel")).transpose()?;
    let windows = d.windows.take().unwrap_or_default();
    if windows.len() > 14 {
        return Err(too_many("reporter.safe_contact.windows", 14));
    }
    for (n, w) in windows.iter().enumerate() {
        let field = format!("reporter.safe_contact.windows[{n}]");
        if w.days.is_empty() || w.days.len() > 7 || w.days.iter().any(|d| !WEEKDAYS.contains(&d.as_str())) {
            return Err(ReportError::new(
                "invalid_choice",
                format!("{field}.days"),
                format!("Give one or more days, each one of: {}.", WEEKDAYS.join(", ")),
            ));
        }
        if w.from_hour > 23 || w.to_hour > 24 || w.from_hour >= w.to_hour {
            return Err(ReportError::new(
                "invalid_hours",
                field,
                "Give the hours as from_hour (0 to 23) up to to_hour (1 to 24), the first before the second; for a window past midnight give two.",
            ));
        }
    }
    Ok(SafeContact {
        channel,
        windows,
        may_leave_message: d.may_leave_message.unwrap_or(false),
        safe_word: opt_text(d.safe_word.take(), "reporter.safe_contact.safe_word", 0, 80)?,
    })
}

/// Reads one of the schema's enum values through the type's serde names, so the list of allowed words lives in one place.
fn parse_enum<T: serde::de::DeserializeOwned + AllowedValues>(s: &str, field: &str) -> Result<T, ReportError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
        ReportError::new("invalid_choice", field, format!("'{}' is not one of the allowed values: {}.", clip(s), T::ALLOWED.join(", ")))
    })
}

/// The words a schema enum accepts, for error messages.
pub trait AllowedValues {
    const ALLOWED: &'static [&'static str];
}

impl AllowedValues for PreferredContact {
    const ALLOWED: &'static [&'static str] = &["email", "phone", "sms", "none"];
}

impl AllowedValues for Setting {
    const ALLOWED: &'static [&'static str] =
        &["independent", "parlour", "sauna", "massage", "escort_agency", "club", "street", "online", "other"];
}

fn text(s: String, field: &str, min: usize, max: usize) -> Result<String, ReportError> {
    let n = s.chars().count();
    if n < min {
        return Err(ReportError::new(
            "too_short",
            field,
            format!("This must have at least {min} character{}.", if min == 1 { "" } else { "s" }),
        ));
    }
    if n > max {
        return Err(ReportError::new("too_long", field, format!("This is {n} characters long; the most allowed is {max}. Shorten it.")));
    }
    Ok(s)
}

fn opt_text(s: Option<String>, field: &str, min: usize, max: usize) -> Result<Option<String>, ReportError> {
    s.map(|s| text(s, field, min, max)).transpose()
}

fn list(v: Option<Vec<String>>, field: &str, max_items: usize, min: usize, max: usize) -> Result<Vec<String>, ReportError> {
    let v = v.unwrap_or_default();
    if v.len() > max_items {
        return Err(too_many(field, max_items));
    }
    v.into_iter().enumerate().map(|(n, s)| text(s, &format!("{field}[{n}]"), min, max)).collect()
}

fn too_many(field: &str, max: usize) -> ReportError {
    ReportError::new("too_many_items", field, format!("Give at most {max} entries here."))
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn json_position(e: &serde_json::Error) -> String {
    format!("line {}, column {}", e.line(), e.column())
}

/// Turns a serde shape error (missing field, unknown field, wrong type) into a schema error that names the field.
fn shape_error(e: serde_path_to_error::Error<serde_json::Error>) -> ReportError {
    let path = e.path().to_string();
    let parent = if path == "." { String::new() } else { path.clone() };
    let inner = e.inner().to_string();
    let join = |name: &str| if parent.is_empty() { name.to_owned() } else { format!("{parent}.{name}") };
    if let Some(name) = between(&inner, "unknown field `", "`") {
        let field = if parent == name || parent.ends_with(&format!(".{name}")) { parent.clone() } else { join(name) };
        return ReportError::new("unknown_field", field, format!("'{}' is not a field of the report. Remove it.", clip(name)));
    }
    if let Some(name) = between(&inner, "missing field `", "`") {
        return ReportError::new("missing_field", join(name), format!("'{name}' is required."));
    }
    let expected = inner.split("expected ").nth(1).map(|s| s.split(" at line").next().unwrap_or(s)).unwrap_or("another type");
    ReportError::new("wrong_type", parent, format!("This field has the wrong type: expected {expected}."))
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_report() -> Report {
        let json = serde_json::json!({
            "incident": {"date": "2025-03-14", "town": "Leeds", "location_detail": "the flat over the chip shop", "categories": ["physical_assault"]},
            "offender": {"names_used": ["Dazza"], "phones": ["07700 900999"], "emails": ["dazza@example.com"],
                         "vehicles": [{"registration": "YG67 QHX"}], "description": "tall"},
            "account": "Jade Whitfield was hurt at the Silver Slipper.",
            "reporter": {"name": "Jade Whitfield", "email": "jade@example.org", "phone": "07700 900123", "online_handles": ["@jadew"],
                         "contact_notes": "after 6pm"},
            "workplace": {"setting": "parlour", "venue_name": "Silver Slipper", "venue_address": "12 Mill Lane"},
            "consent": {"publish_alert": true, "share_with_police": false, "caseworker_contact": true}
        });
        Report::from_value(json, NaiveDate::from_ymd_opt(2025, 3, 20).unwrap()).expect("a valid report")
    }

    #[test]
    fn a_report_is_zeroed_when_dropped_and_zeroing_wipes_every_text_that_could_name_someone() {
        fn zeroed_on_drop<T: ZeroizeOnDrop>() {}
        zeroed_on_drop::<Report>();
        let mut r = full_report();
        assert_eq!(r.reporter.as_ref().unwrap().name.as_deref(), Some("Jade Whitfield"));
        r.zeroize();
        assert!(r.account.is_empty());
        assert!(r.incident.town.as_str().is_empty());
        assert_eq!(r.incident.location_detail, None);
        assert!(r.offender.phones.is_empty() && r.offender.emails.is_empty() && r.offender.vehicles.is_empty());
        assert!(r.reporter.is_none() && r.workplace.is_none());
    }
}
