//! The plain HTML report form, for browsers without JavaScript: its `application/x-www-form-urlencoded` body is turned
//! into the same JSON shape as the API takes, then parsed by the same rules.
//!
//! Field names are the JSON paths (`incident.town`); a list is a textarea with one entry a line (or a repeated field,
//! for categories); the one vehicle of the plain form is `offender.vehicle.make` and so on; a consent box is ticked
//! when present. Blank fields count as not given.

use serde_json::{Map, Value};

use crate::domain::ReportError;

const TEXT: &[&str] = &[
    "incident.date",
    "incident.time_of_day",
    "incident.town",
    "incident.location_detail",
    "incident.first_contact",
    "offender.description",
    "account",
    "reporter.name",
    "reporter.working_name",
    "reporter.email",
    "reporter.phone",
    "reporter.preferred_contact",
    "reporter.contact_notes",
    "reporter.on_behalf.project",
    "reporter.safe_contact.channel",
    "reporter.safe_contact.safe_word",
    "workplace.setting",
    "workplace.venue_name",
    "workplace.venue_address",
];
const LINES: &[&str] = &["offender.names_used", "offender.phones", "offender.emails", "offender.online_handles", "reporter.online_handles"];
const VEHICLE: &[&str] = &["make", "model", "colour", "registration"];
const CONSENT: &[&str] = &["publish_alert", "share_with_police", "caseworker_contact"];

fn unknown(name: &str) -> ReportError {
    ReportError {
        code: "unknown_field",
        message: format!("'{}' is not a field of the report form. Remove it.", name.chars().take(40).collect::<String>()),
        field: Some(name.chars().take(80).collect()),
    }
}

fn put(root: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut node = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_owned(), value);
            return;
        }
        node =
            node.entry(part.to_owned()).or_insert_with(|| Value::Object(Map::new())).as_object_mut().expect("form paths only nest objects");
    }
}

/// Turns a form body into report JSON. Unknown field names are refused, as unknown JSON fields are.
pub fn report_json_from_form(body: &[u8]) -> Result<Value, ReportError> {
    let mut root = Map::new();
    let mut categories = Vec::new();
    let mut vehicle = Map::new();
    let mut consent = Map::new();
    // The plain form's one contact window: days ticked, and the hours from and to (UK time).
    let (mut days, mut from_hour, mut to_hour, mut leave_message) = (Vec::new(), None, None, false);
    for c in CONSENT {
        consent.insert((*c).to_owned(), Value::Bool(false));
    }
    // The sections that must be objects even when every field in them is blank.
    root.insert("incident".into(), Value::Object(Map::new()));
    root.insert("offender".into(), Value::Object(Map::new()));
    for (name, value) in form_urlencoded::parse(body) {
        let name = name.as_ref();
        let value = value.replace("\r\n", "\n");
        if name == "incident.categories" {
            if !value.trim().is_empty() {
                categories.push(Value::String(value.trim().to_owned()));
            }
        } else if name == "reporter.safe_contact.days" {
            if crate::domain::report::WEEKDAYS.contains(&value.as_str()) {
                days.push(Value::String(value));
            } else {
                return Err(unknown(name));
            }
        } else if name == "reporter.safe_contact.from_hour" || name == "reporter.safe_contact.to_hour" {
            if !value.trim().is_empty() {
                let hour = value.trim().parse::<u8>().map_err(|_| ReportError {
                    code: "invalid_hours",
                    message: "Choose the hours from the lists.".into(),
                    field: Some("reporter.safe_contact.windows[0]".into()),
                })?;
                if name.ends_with("from_hour") { from_hour = Some(hour) } else { to_hour = Some(hour) }
            }
        } else if name == "reporter.safe_contact.may_leave_message" {
            leave_message = !value.is_empty() && value != "no" && value != "false";
        } else if let Some(c) = name.strip_prefix("consent.").filter(|c| CONSENT.contains(c)) {
            consent.insert(c.to_owned(), Value::Bool(!value.is_empty() && value != "no" && value != "false"));
        } else if let Some(v) = name.strip_prefix("offender.vehicle.").filter(|v| VEHICLE.contains(v)) {
            if !value.trim().is_empty() {
                vehicle.insert(v.to_owned(), Value::String(value.trim().to_owned()));
            }
        } else if LINES.contains(&name) {
            let items: Vec<Value> = value.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| Value::String(l.to_owned())).collect();
            if !items.is_empty() {
                put(&mut root, name, Value::Array(items));
            }
        } else if TEXT.contains(&name) {
            if !value.trim().is_empty() {
                put(&mut root, name, Value::String(value.trim().to_owned()));
            }
        } else {
            return Err(unknown(name));
        }
    }
    put(&mut root, "incident.categories", Value::Array(categories));
    if !vehicle.is_empty() {
        put(&mut root, "offender.vehicles", Value::Array(vec![Value::Object(vehicle)]));
    }
    if !days.is_empty() || from_hour.is_some() || to_hour.is_some() {
        if days.is_empty() {
            days = crate::domain::report::WEEKDAYS.iter().map(|d| Value::String((*d).to_owned())).collect();
        }
        let window = serde_json::json!({"days": days, "from_hour": from_hour.unwrap_or(0), "to_hour": to_hour.unwrap_or(24)});
        put(&mut root, "reporter.safe_contact.windows", Value::Array(vec![window]));
    }
    if leave_message {
        put(&mut root, "reporter.safe_contact.may_leave_message", Value::Bool(true));
    }
    root.insert("consent".into(), Value::Object(consent));
    if !root.contains_key("account") {
        root.insert("account".into(), Value::String(String::new()));
    }
    Ok(Value::Object(root))
}
