//! The offender index: an offender's phone numbers, emails, handles and vehicle registrations, found again without
//! being stored.
//!
//! Each identifier is normalised (one written form for every way of writing it: `07700 900123`, `+44 7700 900123` and
//! `0770-090-0123` are one number) and kept only as a keyed hash (HMAC through the key port: KMS in the cloud) under
//! its own purpose. A reference item `OFFENDER#<kind>:<hash>` / `ALERT#<alert id>` in the alerts table ties the hash to
//! the alert that names it, and the alert carries the hashes of its own identifiers (`offender_keys`). So:
//! - the members' checker finds the published alerts naming a number or an address, by its hash alone;
//! - at drafting, a report is linked to earlier reports naming the same offender (staff see the links, and a
//!   published alert may say "reported 3 times since March 2026");
//! - a dump of the tables holds no offender's number or address in the clear, and cannot be searched for one without
//!   the key.
//!
//! A reference counts only while the alert still carries the hash (a reviewer may have taken an identifier out at
//! publication): a stale reference finds nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::AlertId;
use crate::domain::alert::AlertOffender;
use crate::domain::phone::PhoneNumber;
use crate::ports::tables::{AttributeValue, from_item, s, to_item};
use crate::ports::{Condition, Index, Key, KeyError, KeyService, MacPurpose, Query, StoreError, Table, Update};

use super::Deps;
use super::alerts::{AlertRecord, AlertStatus, get_alert};

pub const OFFENDER_REF_KIND: &str = "offender_ref";

/// Checks one member may make in one clock hour.
pub const MEMBER_CHECKS_PER_HOUR: u64 = 30;

/// How long the count of a member's checks on one day is kept (it holds no number, only how many).
pub const CHECK_COUNT_DAYS: i64 = 90;

/// Which kind of identifier a hash stands for. Part of what is hashed, so a number and a handle written alike are two
/// different keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    Phone,
    Email,
    Handle,
    Registration,
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Phone => "phone",
            IdKind::Email => "email",
            IdKind::Handle => "handle",
            IdKind::Registration => "registration",
        }
    }

    fn of_key(key: &str) -> Option<IdKind> {
        match key.split_once(':')?.0 {
            "phone" => Some(IdKind::Phone),
            "email" => Some(IdKind::Email),
            "handle" => Some(IdKind::Handle),
            "registration" => Some(IdKind::Registration),
            _ => None,
        }
    }
}

/// A phone number in one form: E.164 where it reads as one (`+447700900123`), else its digits where there are at least
/// seven of them (a number from abroad written without its country code).
pub fn normal_phone(raw: &str) -> Option<String> {
    if let Ok(p) = PhoneNumber::parse(raw) {
        return Some(p.as_str().to_owned());
    }
    let raw = raw.trim();
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '/' | '\u{a0}');
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (raw.chars().all(allowed) && (7..=15).contains(&digits.len())).then_some(digits)
}

/// An email address in one form: lower case, without spaces, `mailto:` or a spelt-out `at` and `dot`
/// ("name dot x at example dot org", "name (at) example (dot) com"). `None` where it is not an address.
pub fn normal_email(raw: &str) -> Option<String> {
    let mut t = format!(" {} ", raw.trim().to_lowercase());
    if let Some(rest) = t.trim().strip_prefix("mailto:") {
        t = format!(" {rest} ");
    }
    for (spelt, with) in
        [("(at)", "@"), ("[at]", "@"), ("{at}", "@"), (" at ", "@"), ("(dot)", "."), ("[dot]", "."), ("{dot}", "."), (" dot ", ".")]
    {
        // " at " needs its spaces: replace repeatedly, as neighbouring words share a space.
        while t.contains(spelt) {
            t = t.replace(spelt, with);
        }
    }
    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    let (local, domain) = t.split_once('@')?;
    let ok_local = !local.is_empty() && local.len() <= 64 && !local.contains('@');
    let ok_domain = domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    (ok_local && ok_domain).then_some(t)
}

/// A handle in one form: lower case, without '@' or the address of the profile it names.
pub fn normal_handle(raw: &str) -> Option<String> {
    let t = raw.trim().to_lowercase();
    let t = t.trim_end_matches('/');
    let t = t.rsplit('/').next().unwrap_or(t).trim_start_matches('@');
    (t.chars().count() >= 2 && !t.chars().any(char::is_whitespace)).then(|| t.to_owned())
}

/// A vehicle registration in one form: letters and digits only, in capitals.
pub fn normal_registration(raw: &str) -> Option<String> {
    let t: String = raw.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
    (t.len() >= 2).then_some(t)
}

/// The offender's identifiers an alert names, each in its one form, without repeats.
pub fn identifiers(o: &AlertOffender) -> Vec<(IdKind, String)> {
    let mut out: Vec<(IdKind, String)> = Vec::new();
    let found = o
        .phones
        .iter()
        .filter_map(|p| normal_phone(p).map(|n| (IdKind::Phone, n)))
        .chain(o.emails.iter().filter_map(|e| normal_email(e).map(|n| (IdKind::Email, n))))
        .chain(o.online_handles.iter().filter_map(|h| normal_handle(h).map(|n| (IdKind::Handle, n))))
        .chain(
            o.vehicles
                .iter()
                .filter_map(|v| v.registration.as_deref())
                .filter_map(|r| normal_registration(r).map(|n| (IdKind::Registration, n))),
        );
    for id in found {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The key of one identifier: its kind and the hex of its keyed hash.
pub async fn key_of(keys: &dyn KeyService, kind: IdKind, normal: &str) -> Result<String, KeyError> {
    let mac = keys.mac(MacPurpose::OffenderIdentifier, format!("{}:{normal}", kind.as_str()).as_bytes()).await?;
    Ok(format!("{}:{}", kind.as_str(), hex::encode(mac)))
}

/// The keys of every identifier of an offender block.
pub async fn keys_of(keys: &dyn KeyService, o: &AlertOffender) -> Result<Vec<String>, KeyError> {
    let mut out = Vec::new();
    for (kind, normal) in identifiers(o) {
        out.push(key_of(keys, kind, &normal).await?);
    }
    Ok(out)
}

#[derive(Debug, Serialize, Deserialize)]
struct OffenderRef {
    pk: String,
    sk: String,
    kind: String,
    alert_id: AlertId,
}

fn ref_key(offender_key: &str, alert_id: &AlertId) -> Key {
    Key::new(format!("OFFENDER#{offender_key}"), format!("ALERT#{alert_id}"))
}

/// Writes the references from each key to the alert. Idempotent.
pub async fn index(deps: &Deps, alert_id: &AlertId, keys: &[String]) -> Result<(), StoreError> {
    for k in keys {
        let key = ref_key(k, alert_id);
        let r = OffenderRef { pk: key.pk, sk: key.sk, kind: OFFENDER_REF_KIND.into(), alert_id: alert_id.clone() };
        deps.tables.put(Table::Alerts, to_item(&r)?, Condition::Always).await?;
    }
    Ok(())
}

/// Takes out the references of keys an alert no longer carries.
pub async fn unindex(deps: &Deps, alert_id: &AlertId, keys: &[String]) -> Result<(), StoreError> {
    for k in keys {
        deps.tables.delete(Table::Alerts, &ref_key(k, alert_id), Condition::Always).await?;
    }
    Ok(())
}

/// The alerts that hold `key` now, `alert_id` aside (at most 200: an offender reported more often is shown as such).
async fn holders(deps: &Deps, key: &str, except: Option<&AlertId>) -> Result<Vec<AlertRecord>, StoreError> {
    let mut q = Query::partition(Index::Primary, format!("OFFENDER#{key}"));
    q.limit = 200;
    let page = deps.tables.query(Table::Alerts, q).await?;
    let mut out = Vec::new();
    for item in page.items {
        let r: OffenderRef = from_item(item)?;
        if Some(&r.alert_id) == except {
            continue;
        }
        match get_alert(deps, &r.alert_id).await {
            Ok(rec) if rec.offender_keys.iter().any(|k| k == key) => out.push(rec),
            Ok(_) | Err(super::alerts::AlertError::NotFound) => {}
            Err(super::alerts::AlertError::Store(e)) => return Err(e),
        }
    }
    Ok(out)
}

/// Another report naming the same offender as this one: its alert, and which kinds of identifier they share.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub alert_id: AlertId,
    pub report_id: crate::domain::ReportId,
    pub status: AlertStatus,
    pub town: String,
    pub incident_date: String,
    pub created_at: String,
    pub shared: Vec<IdKind>,
}

/// The other reports that share an identifier with `alert`, oldest first.
pub async fn links(deps: &Deps, alert: &AlertRecord) -> Result<Vec<Link>, StoreError> {
    let mut found: BTreeMap<String, Link> = BTreeMap::new();
    for key in &alert.offender_keys {
        let Some(kind) = IdKind::of_key(key) else { continue };
        for rec in holders(deps, key, Some(&alert.alert_id)).await? {
            let link = found.entry(rec.alert_id.to_string()).or_insert_with(|| Link {
                alert_id: rec.alert_id.clone(),
                report_id: rec.report_id.clone(),
                status: rec.status,
                town: rec.town.clone(),
                incident_date: rec.incident_date.clone(),
                created_at: rec.created_at.clone(),
                shared: Vec::new(),
            });
            if !link.shared.contains(&kind) {
                link.shared.push(kind);
            }
        }
    }
    let mut out: Vec<Link> = found.into_values().collect();
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    Ok(out)
}

/// The links of a report (through its alert: a report drafted into none has no identifiers indexed).
pub async fn links_of_report(deps: &Deps, report_id: &crate::domain::ReportId) -> Result<Vec<Link>, LinkError> {
    let mac = deps.keys.mac(MacPurpose::AlertId, report_id.as_str().as_bytes()).await?;
    match get_alert(deps, &AlertId::from_digest(&mac)).await {
        Ok(rec) => Ok(links(deps, &rec).await?),
        Err(super::alerts::AlertError::NotFound) => Ok(Vec::new()),
        Err(super::alerts::AlertError::Store(e)) => Err(e.into()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the tables failed")]
    Store(#[from] StoreError),
    #[error("the key service failed")]
    Key(#[from] KeyError),
}

/// How often the offender of an alert has been reported: this report and every linked one not rejected, and the month
/// (`YYYY-MM`) of the first.
pub fn reported(alert: &AlertRecord, links: &[Link]) -> (u32, String) {
    let counted = links.iter().filter(|l| l.status != AlertStatus::Rejected);
    let first = counted.clone().map(|l| l.created_at.as_str()).chain([alert.created_at.as_str()]).min().unwrap_or(&alert.created_at);
    (1 + counted.count() as u32, first.chars().take(7).collect())
}

/// What a member asked the checker.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// A published alert whose offender has what the member checked.
#[derive(Debug, Clone, Serialize)]
pub struct CheckMatch {
    pub alert_id: AlertId,
    pub town: String,
    pub date: String,
    pub categories: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("nothing to check: give a phone number or an email address")]
    Nothing,
    #[error("the phone number cannot be read")]
    InvalidPhone,
    #[error("the email address cannot be read")]
    InvalidEmail,
    #[error("too many checks this hour")]
    TooMany { retry_after: u64 },
    #[error("the tables failed")]
    Store(#[from] StoreError),
    #[error("the key service failed")]
    Key(#[from] KeyError),
}

/// The members' checker: the published alerts whose offender has this number or address, newest first. Exact matches
/// of the normalised form only. Each check is counted for the member (how many a day, never what was checked), and a
/// member may make only `MEMBER_CHECKS_PER_HOUR` in an hour.
pub async fn check(deps: &Deps, member: &str, req: &CheckRequest) -> Result<Vec<CheckMatch>, CheckError> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let (phone, email) = (given(&req.phone), given(&req.email));
    let mut wanted = Vec::new();
    if let Some(p) = &phone {
        wanted.push((IdKind::Phone, normal_phone(p).ok_or(CheckError::InvalidPhone)?));
    }
    if let Some(e) = &email {
        wanted.push((IdKind::Email, normal_email(e).ok_or(CheckError::InvalidEmail)?));
    }
    if wanted.is_empty() {
        return Err(CheckError::Nothing);
    }
    if let Err(e) = super::staff_quota::take_in(deps, Table::Subscribers, "member-check", member, MEMBER_CHECKS_PER_HOUR).await? {
        return Err(CheckError::TooMany { retry_after: e.retry_after });
    }
    count_check(deps, member).await?;
    let mut out: Vec<CheckMatch> = Vec::new();
    let mut newest: Vec<String> = Vec::new();
    for (kind, normal) in wanted {
        let key = key_of(deps.keys.as_ref(), kind, &normal).await?;
        for rec in holders(deps, &key, None).await? {
            if !rec.live_at(deps.clock.now()) || out.iter().any(|m| m.alert_id == rec.alert_id) {
                continue;
            }
            newest.push(rec.decided_at.clone().unwrap_or_default());
            out.push(CheckMatch { alert_id: rec.alert_id, town: rec.town, date: rec.incident_date, categories: rec.categories });
        }
    }
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|a, b| newest[*b].cmp(&newest[*a]));
    let out = order.into_iter().map(|i| out[i].clone()).collect();
    Ok(out)
}

/// The audit of the checker: one count per member per day (`CHECKS#<member>` / the day), never the number. Kept beside
/// the member's subscription (the function that answers members writes no audit table).
async fn count_check(deps: &Deps, member: &str) -> Result<(), StoreError> {
    let now = deps.clock.now();
    let key = check_count_key(member, &now.format("%Y-%m-%d").to_string());
    let expires = (now + chrono::Duration::days(CHECK_COUNT_DAYS)).timestamp();
    let update =
        Update::default().add("count", 1).set("kind", s("member_checks")).set("expires_at", AttributeValue::N(expires.to_string()));
    deps.tables.update(Table::Subscribers, &key, update, Condition::Always).await?;
    Ok(())
}

pub fn check_count_key(member: &str, day: &str) -> Key {
    Key::new(format!("CHECKS#{member}"), day.to_owned())
}

/// How many checks a member made on a day (`YYYY-MM-DD`).
pub async fn checks_on(deps: &Deps, member: &str, day: &str) -> Result<u64, StoreError> {
    let item = deps.tables.get(Table::Subscribers, &check_count_key(member, day)).await?;
    Ok(match item.as_ref().and_then(|i| i.get("count")) {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_way_of_writing_a_number_is_one_number() {
        for raw in
            ["07700 900123", "+44 7700 900123", "07700900123", "0770-090-0123", "+44 (0)7700 900123", "0044 7700 900 123", "(07700) 900123"]
        {
            assert_eq!(normal_phone(raw).as_deref(), Some("+447700900123"), "{raw}");
        }
        assert_eq!(normal_phone("07700 900124").as_deref(), Some("+447700900124"));
        assert_eq!(normal_phone("call me"), None);
        assert_eq!(normal_phone("123"), None);
    }

    #[test]
    fn every_common_way_of_writing_an_address_is_one_address() {
        for raw in [
            "gaz.b@example.org",
            " Gaz.B@Example.ORG ",
            "mailto:gaz.b@example.org",
            "gaz dot b at example dot org",
            "gaz.b (at) example (dot) org",
            "gaz.b [at] example.org",
        ] {
            assert_eq!(normal_email(raw).as_deref(), Some("gaz.b@example.org"), "{raw}");
        }
        for bad in ["gaz", "gaz@", "@example.org", "gaz@example", "gaz@@example.org", "gaz@exa mple..org."] {
            assert_eq!(normal_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn handles_and_registrations_lose_only_their_dress() {
        assert_eq!(normal_handle("@Sasha.Lux.X").as_deref(), Some("sasha.lux.x"));
        assert_eq!(normal_handle("https://instagram.com/sasha.lux.x/").as_deref(), Some("sasha.lux.x"));
        assert_eq!(normal_registration("ab12 cde").as_deref(), Some("AB12CDE"));
        assert_eq!(normal_registration("08-WD-1Q2").as_deref(), Some("08WD1Q2"));
    }

    #[test]
    fn an_offender_block_gives_each_identifier_once() {
        let o = AlertOffender {
            phones: vec!["07700 900123".into(), "+44 7700 900123".into()],
            emails: vec!["Gaz@Example.org".into()],
            online_handles: vec!["@gaz".into()],
            vehicles: vec![crate::domain::report::Vehicle { registration: Some("AB12 CDE".into()), ..Default::default() }],
            ..Default::default()
        };
        let ids = identifiers(&o);
        assert_eq!(
            ids,
            vec![
                (IdKind::Phone, "+447700900123".to_owned()),
                (IdKind::Email, "gaz@example.org".to_owned()),
                (IdKind::Handle, "gaz".to_owned()),
                (IdKind::Registration, "AB12CDE".to_owned()),
            ]
        );
    }
}
