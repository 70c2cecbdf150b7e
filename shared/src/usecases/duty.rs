//! Who is told: the staff on duty, by a rota an admin keeps, learn that something waits for them, and nothing more.
//!
//! - When a report arrives (the reports stream's INSERT), the caseworkers on duty are sent "a new report has arrived;
//!   see the casework queue" and the console's address: no reference, no town, no category, nothing of the account.
//!   A report whose reporter allowed caseworker contact gets its case opened at the same moment.
//! - When a draft alert has waited longer than a threshold (`DRAFT_REMINDER_MINUTES`), the reviewers on duty are
//!   reminded, once per draft and threshold. This is the scheduled step (EventBridge Scheduler in the cloud, a timer in
//!   `num serve`).
//!
//! A rota per role: slots of weekday and hours (UK local time) naming a member of staff and how to reach them; when no
//! slot covers the hour, the on-call person is told. The rota holds staff contacts, so it is sealed whole (kind
//! `staff_rota`) and never logged.
//!
//! Every message is sent at most once per (event, person): a marker item is claimed with a conditional write before
//! the send, marked `sent` after it; a send the provider certainly did not take gives the claim back (so the stream
//! retry or the next run sends it), and one that may have gone is never repeated (`unconfirmed`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{Email, PhoneNumber};
use crate::ports::messaging::{EmailMessage, EmailSender, SendError, SmsMessage, SmsSender};
use crate::ports::stream::{Change, StreamRecord};
use crate::ports::tables::{AttributeValue, Item, attr_str, from_item, query_all, s, to_item};
use crate::ports::{Clock, Condition, EncryptionContext, Index, Key, KeyService, Query, SortCondition, StoreError, Table, Tables, Update};
use crate::seal::{SealError, Sealed, Sealer};
use crate::stream_batch::{RecordError, RecordHandler};
use crate::usecases::alerts::{AlertRecord, AlertStatus};
use crate::usecases::casework::{self, CaseError, OPENED_ON_ARRIVAL};
use crate::usecases::submit_report::{REPORT_KIND, ReportRecord};

pub const ROTA_KIND: &str = "staff_rota";
pub const NOTICE_KIND: &str = "staff_notice";
/// How long a draft waits before reviewers are reminded, where nothing else is configured (`num serve`).
pub const DEFAULT_DRAFT_REMINDER_MINUTES: u32 = 30;

/// Whose rota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyRole {
    Caseworker,
    Reviewer,
}

impl DutyRole {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "caseworker" => Some(Self::Caseworker),
            "reviewer" => Some(Self::Reviewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Caseworker => "caseworker",
            Self::Reviewer => "reviewer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeChannel {
    Email,
    Sms,
}

/// A member of staff and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnDuty {
    pub name: String,
    pub channel: NoticeChannel,
    /// An email address or a phone number, as the channel says.
    pub contact: String,
}

/// One slot: a weekday and the hours `from` (inclusive) to `to` (exclusive), UK local time, 0 to 24.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub day: String,
    pub from: u8,
    pub to: u8,
    pub name: String,
    pub channel: NoticeChannel,
    pub contact: String,
}

/// A role's rota: the slots, and who is told outside them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rota {
    #[serde(default)]
    pub slots: Vec<Slot>,
    #[serde(default)]
    pub on_call: Option<OnDuty>,
}

#[derive(Debug, thiserror::Error)]
pub enum RotaError {
    #[error("invalid rota")]
    Invalid { field: String, message: String },
    #[error("the reports table failed")]
    Store(#[from] StoreError),
    #[error("sealing or opening failed")]
    Seal(#[from] SealError),
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

fn check_person(field: &str, name: &str, channel: NoticeChannel, contact: &str) -> Result<(String, String), RotaError> {
    let bad = |f: &str, m: &str| RotaError::Invalid { field: format!("{field}.{f}"), message: m.to_owned() };
    let name = casework::check_name("name", name).map_err(|_| bad("name", "a name of 1 to 100 characters, without line breaks"))?;
    let contact = match channel {
        NoticeChannel::Email => Email::parse(contact).map(|e| e.as_str().to_owned()).map_err(|_| bad("contact", "not an email address"))?,
        NoticeChannel::Sms => {
            PhoneNumber::parse(contact).map(|p| p.as_str().to_owned()).map_err(|_| bad("contact", "not a mobile number"))?
        }
    };
    Ok((name, contact))
}

impl Rota {
    /// Checks every slot and contact, and writes contacts in one form. The error names the field and what is wrong.
    pub fn checked(mut self) -> Result<Self, RotaError> {
        if self.slots.len() > 500 {
            return Err(RotaError::Invalid { field: "slots".into(), message: "at most 500 slots".into() });
        }
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let field = format!("slots[{i}]");
            if !DAYS.iter().any(|(d, _)| *d == slot.day) {
                return Err(RotaError::Invalid {
                    field: format!("{field}.day"),
                    message: "one of mon, tue, wed, thu, fri, sat, sun".into(),
                });
            }
            if slot.from >= slot.to || slot.to > 24 {
                return Err(RotaError::Invalid {
                    field: format!("{field}.from"),
                    message: "from and to are hours from 0 to 24, from before to".into(),
                });
            }
            (slot.name, slot.contact) = check_person(&field, &slot.name, slot.channel, &slot.contact)?;
        }
        if let Some(p) = self.on_call.as_mut() {
            (p.name, p.contact) = check_person("on_call", &p.name, p.channel, &p.contact)?;
        }
        Ok(self)
    }

    /// Who is told at `now`: everyone whose slot covers the UK local hour, else the on-call person.
    pub fn on_duty(&self, now: DateTime<Utc>) -> Vec<OnDuty> {
        let local = uk_local(now);
        let day = DAYS.iter().find(|(_, w)| *w == local.weekday()).map(|(d, _)| *d).unwrap_or("mon");
        let hour = local.hour() as u8;
        let mut out: Vec<OnDuty> = self
            .slots
            .iter()
            .filter(|s| s.day == day && s.from <= hour && hour < s.to)
            .map(|s| OnDuty { name: s.name.clone(), channel: s.channel, contact: s.contact.clone() })
            .collect();
        out.dedup();
        if out.is_empty() {
            out.extend(self.on_call.clone());
        }
        out
    }
}

/// UK local time: British Summer Time (UTC+1) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
/// Sunday of October, GMT otherwise.
pub fn uk_local(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    let last_sunday = |month: u32| {
        let first_next =
            if month == 12 { NaiveDate::from_ymd_opt(t.year() + 1, 1, 1) } else { NaiveDate::from_ymd_opt(t.year(), month + 1, 1) }
                .expect("a valid date");
        let last = first_next.pred_opt().expect("a valid date");
        last - Duration::days(i64::from(last.weekday().num_days_from_sunday()))
    };
    let at_one = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).expect("a valid time"));
    let summer = t >= at_one(last_sunday(3)) && t < at_one(last_sunday(10));
    (t + Duration::hours(if summer { 1 } else { 0 })).naive_utc()
}

/// The stored rota of a role.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RotaRecord {
    pk: String,
    sk: String,
    kind: String,
    role: DutyRole,
    updated_at: String,
    updated_by: String,
    sealed: Sealed<Rota>,
}

fn rota_key(role: DutyRole) -> Key {
    Key::new("ROTA", role.as_str())
}

fn rota_context(role: DutyRole) -> EncryptionContext {
    EncryptionContext::new(Table::Reports.as_str(), ROTA_KIND, role.as_str())
}

/// Replaces a role's rota (checked first; nothing is stored if any part is wrong).
pub async fn set_rota(deps: &super::Deps, role: DutyRole, rota: Rota, by: &str) -> Result<Rota, RotaError> {
    let rota = rota.checked()?;
    let sealer = Sealer::for_record(deps.keys.as_ref(), rota_context(role)).await?;
    let key = rota_key(role);
    let rec = RotaRecord {
        pk: key.pk,
        sk: key.sk,
        kind: ROTA_KIND.into(),
        role,
        updated_at: deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        updated_by: by.to_owned(),
        sealed: Sealed::seal(&sealer, &rota),
    };
    deps.tables.put(Table::Reports, to_item(&rec)?, Condition::Always).await?;
    tracing::info!(role = role.as_str(), slots = rota.slots.len(), on_call = rota.on_call.is_some(), "rota replaced");
    Ok(rota)
}

/// A role's rota (empty when none was ever set).
pub async fn get_rota(tables: &dyn Tables, keys: &dyn KeyService, role: DutyRole) -> Result<Rota, RotaError> {
    match tables.get(Table::Reports, &rota_key(role)).await? {
        None => Ok(Rota::default()),
        Some(item) => {
            let rec: RotaRecord = from_item(item)?;
            Ok(rec.sealed.open(keys, &rota_context(role)).await?)
        }
    }
}

// ---- sending ----

/// What telling staff needs: the reports table (cases, rota, markers), the alerts table's draft list, the key
/// service (to open the rota), the senders, the clock, the console's address and the reminder thresholds.
#[derive(Clone)]
pub struct DutyDeps {
    pub tables: Arc<dyn Tables>,
    pub keys: Arc<dyn KeyService>,
    pub clock: Arc<dyn Clock>,
    pub email: Arc<dyn EmailSender>,
    pub sms: Arc<dyn SmsSender>,
    /// The site's address; the staff console is at `{site_url}/staff/`.
    pub site_url: String,
    /// Minutes a draft may wait before reviewers are reminded, once per threshold.
    pub draft_reminder_minutes: Vec<u32>,
}

impl DutyDeps {
    pub fn core(&self) -> super::Deps {
        super::Deps { tables: self.tables.clone(), keys: self.keys.clone(), clock: self.clock.clone() }
    }

    fn console(&self) -> String {
        format!("{}/staff/", self.site_url.trim_end_matches('/'))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("the table failed")]
    Store(#[from] StoreError),
    #[error("the rota could not be read")]
    Rota(#[from] RotaError),
    #[error("the case could not be opened")]
    Case(#[from] CaseError),
    /// The provider certainly did not take the message; the claim was given back, so a retry sends it.
    #[error("the message was not taken")]
    NotTaken(#[source] SendError),
    #[error("the reporters' notices could not be sent")]
    Reporter(#[from] crate::usecases::follow_up::FollowUpError),
}

/// The notice: a subject and a text with no content of any report or alert.
pub struct Notice {
    pub subject: String,
    pub text: String,
}

pub fn arrival_notice(console: &str) -> Notice {
    Notice { subject: "num: a new report has arrived".into(), text: format!("A new report has arrived. See the casework queue: {console}") }
}

pub fn reminder_notice(console: &str, minutes: u32) -> Notice {
    Notice {
        subject: "num: a draft alert is waiting for review".into(),
        text: format!("A draft alert has waited more than {minutes} minutes for review. See the review queue: {console}"),
    }
}

/// A short tag for a person in a marker's key: the same person gets one marker per event, whatever the rota's order.
fn person_tag(p: &OnDuty) -> String {
    let mut h = Sha256::new();
    h.update(p.name.as_bytes());
    h.update([0]);
    h.update(match p.channel {
        NoticeChannel::Email => b"email".as_slice(),
        NoticeChannel::Sms => b"sms".as_slice(),
    });
    hex::encode(&h.finalize()[..8])
}

/// Tells everyone on duty in `role` about `event` (a stable name: `arrival#R-...`, `draft#A-...#30m`), once each.
/// Returns how many messages went.
pub async fn tell_on_duty(deps: &DutyDeps, role: DutyRole, event: &str, notice: &Notice) -> Result<usize, NoticeError> {
    let rota = get_rota(deps.tables.as_ref(), deps.keys.as_ref(), role).await?;
    let people = rota.on_duty(deps.clock.now());
    if people.is_empty() {
        tracing::warn!(role = role.as_str(), "nobody is on duty or on call: set the rota (PUT /admin/rota/ROLE)");
        return Ok(0);
    }
    let mut sent = 0;
    for p in &people {
        let key = Key::new(format!("NOTICE#{event}"), person_tag(p));
        let mut claim = Item::default();
        claim.insert("pk".into(), s(key.pk.clone()));
        claim.insert("sk".into(), s(key.sk.clone()));
        claim.insert("kind".into(), s(NOTICE_KIND));
        claim.insert("status".into(), s("sending"));
        claim.insert("at".into(), s(deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
        match deps.tables.put(Table::Reports, claim, Condition::NotExists).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => continue,
            Err(e) => return Err(e.into()),
        }
        let idempotency = format!("N-{event}-{}", key.sk);
        let result = match p.channel {
            NoticeChannel::Email => match Email::parse(&p.contact) {
                Ok(to) => {
                    let m = EmailMessage { to, subject: notice.subject.clone(), text: notice.text.clone(), unsubscribe_url: None };
                    deps.email.send_email(&m, &idempotency).await.map(|_| ())
                }
                Err(_) => Err(SendError::Rejected(anyhow::anyhow!("the rota's email address does not parse"))),
            },
            NoticeChannel::Sms => match PhoneNumber::parse(&p.contact) {
                Ok(to) => deps.sms.send_sms(&SmsMessage { to, text: notice.text.clone() }, &idempotency).await.map(|_| ()),
                Err(_) => Err(SendError::Rejected(anyhow::anyhow!("the rota's number does not parse"))),
            },
        };
        let status = match result {
            Ok(()) => {
                sent += 1;
                "sent"
            }
            Err(e) if e.is_retryable() => {
                deps.tables.delete(Table::Reports, &key, Condition::Always).await?;
                return Err(NoticeError::NotTaken(e));
            }
            Err(e) => {
                tracing::warn!(role = role.as_str(), error.kind = e.kind(), "a staff notice did not certainly go");
                if matches!(e, SendError::Unknown(_)) { "unconfirmed" } else { "failed" }
            }
        };
        deps.tables.update(Table::Reports, &key, Update::default().set("status", s(status)), Condition::Exists).await?;
    }
    tracing::info!(role = role.as_str(), sent, "staff told");
    Ok(sent)
}

/// A report arrived: its case is opened where the reporter allowed contact, and the caseworkers on duty are told.
pub async fn report_arrived(deps: &DutyDeps, report: &ReportRecord) -> Result<usize, NoticeError> {
    if report.consent_caseworker_contact {
        casework::open_case_for(&deps.core(), report, OPENED_ON_ARRIVAL).await?;
    }
    let notice = arrival_notice(&deps.console());
    tell_on_duty(deps, DutyRole::Caseworker, &format!("arrival#{}", report.report_id), &notice).await
}

/// The reports stream's reader for staff notices. It reads the plain attributes of a new report (id, consent flags,
/// time) and never opens it.
pub struct ArrivalHandler {
    pub deps: DutyDeps,
}

#[async_trait]
impl RecordHandler for ArrivalHandler {
    fn concurrency(&self) -> usize {
        4
    }

    async fn handle_record(&self, rec: &StreamRecord) -> Result<(), RecordError> {
        if Change::of(rec) != Some(Change::Insert) || attr_str(&rec.change.new_image, "kind") != Some(REPORT_KIND) {
            return Ok(());
        }
        let record: ReportRecord = from_item(rec.change.new_image.clone())?;
        report_arrived(&self.deps, &record).await?;
        Ok(())
    }
}

/// What one scheduled run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    pub drafts_waiting: usize,
    pub reminders_sent: usize,
    /// The reporters' notices: sent, moved to the reporter's next hours, or dropped.
    pub reporter_notices: crate::usecases::thread::NoticeRun,
    /// Police link requests still open after their deadline, and the notices that flagged them (once each).
    pub link_requests_overdue: usize,
    pub link_notices_sent: usize,
}

pub fn link_overdue_notice(console: &str) -> Notice {
    Notice {
        subject: "num: a police request has passed its deadline".into(),
        text: format!("A police request about a report has passed its deadline. See the casework queue: {console}"),
    }
}

/// The scheduled step: reminds reviewers of drafts that waited past each threshold, once per draft and threshold, and
/// sends the reporters' notices whose hours have come.
pub async fn run_scheduled(deps: &DutyDeps) -> Result<Scheduled, NoticeError> {
    let now = deps.clock.now();
    let mut done = Scheduled::default();
    for &minutes in &deps.draft_reminder_minutes {
        let cutoff = (now - Duration::minutes(i64::from(minutes))).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut q = Query::partition(Index::Gsi1, AlertRecord::list_partition(AlertStatus::Draft));
        // gsi1sk is `{created_at}#{alert_id}`: every draft created at or before the cutoff.
        q.sort = SortCondition::Between("0".into(), format!("{cutoff}#~"));
        for item in query_all(deps.tables.as_ref(), Table::Alerts, q).await? {
            let (Some(alert_id), Some(AttributeValue::S(status))) = (attr_str(&item, "alert_id"), item.get("status")) else { continue };
            if status != AlertStatus::Draft.as_str() {
                continue;
            }
            done.drafts_waiting += 1;
            let notice = reminder_notice(&deps.console(), minutes);
            done.reminders_sent += tell_on_duty(deps, DutyRole::Reviewer, &format!("draft#{alert_id}#{minutes}m"), &notice).await?;
        }
    }

    // Notices to reporters that waited for the hours the reporter chose.
    let senders = crate::usecases::deliver::DeliverDeps {
        tables: deps.tables.clone(),
        keys: deps.keys.clone(),
        email: deps.email.clone(),
        sms: deps.sms.clone(),
        clock: deps.clock.clone(),
        site_url: deps.site_url.clone(),
    };
    done.reporter_notices = crate::usecases::thread::send_due_reporter_notices(&senders, now).await?;

    // Police link requests past their deadline: the caseworkers on duty are told, once per request.
    for (_, request_id) in crate::usecases::link_requests::overdue_requests(&deps.core()).await? {
        done.link_requests_overdue += 1;
        let notice = link_overdue_notice(&deps.console());
        done.link_notices_sent += tell_on_duty(deps, DutyRole::Caseworker, &format!("link_deadline#{request_id}"), &notice).await?;
    }
    Ok(done)
}

/// The reminder thresholds from configuration: `DRAFT_REMINDER_MINUTES`, minutes separated by commas (`30` or
/// `30,120`), each from 1 to 10080. In the cloud it must be set (the template does); `num serve` uses 30 without it.
pub fn reminder_minutes_from(src: &dyn crate::config::Source) -> Result<Vec<u32>, crate::config::ConfigError> {
    const NAME: &str = "DRAFT_REMINDER_MINUTES";
    let raw = crate::config::required(src, NAME)?;
    let mut out = Vec::new();
    for part in raw.split(',') {
        match part.trim().parse::<u32>() {
            Ok(m) if (1..=10080).contains(&m) => out.push(m),
            _ => {
                return Err(crate::config::ConfigError::Invalid {
                    name: NAME,
                    reason: "it must be minutes from 1 to 10080, separated by commas (such as 30 or 30,120)".into(),
                });
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_rota_reads_uk_local_time_and_falls_back_to_the_on_call_person() {
        let rota = Rota {
            slots: vec![Slot {
                day: "mon".into(),
                from: 9,
                to: 17,
                name: "Ana".into(),
                channel: NoticeChannel::Email,
                contact: "ana@example.org".into(),
            }],
            on_call: Some(OnDuty { name: "Bo".into(), channel: NoticeChannel::Sms, contact: "+447700900123".into() }),
        }
        .checked()
        .unwrap();
        // Winter: UTC is UK time.
        assert_eq!(rota.on_duty(at("2026-11-23T09:00:00Z"))[0].name, "Ana");
        assert_eq!(rota.on_duty(at("2026-11-23T17:00:00Z"))[0].name, "Bo");
        // Summer: 08:30 UTC is 09:30 in London.
        assert_eq!(rota.on_duty(at("2026-06-22T08:30:00Z"))[0].name, "Ana");
        assert_eq!(rota.on_duty(at("2026-06-22T16:00:00Z"))[0].name, "Bo");
        // The clocks go forward at 01:00 UTC on the last Sunday of March (29 March 2026).
        assert_eq!(uk_local(at("2026-03-29T00:59:00Z")).hour(), 0);
        assert_eq!(uk_local(at("2026-03-29T01:00:00Z")).hour(), 2);
        assert_eq!(uk_local(at("2026-10-25T00:59:00Z")).hour(), 1);
        assert_eq!(uk_local(at("2026-10-25T01:00:00Z")).hour(), 1);
    }

    #[test]
    fn a_rota_with_a_bad_slot_or_contact_is_refused_naming_the_field() {
        let slot = |day: &str, from, to, contact: &str| Slot {
            day: day.into(),
            from,
            to,
            name: "Ana".into(),
            channel: NoticeChannel::Email,
            contact: contact.into(),
        };
        for (bad, field) in [
            (slot("monday", 9, 17, "a@example.org"), "slots[0].day"),
            (slot("mon", 17, 9, "a@example.org"), "slots[0].from"),
            (slot("mon", 9, 25, "a@example.org"), "slots[0].from"),
            (slot("mon", 9, 17, "not an address"), "slots[0].contact"),
        ] {
            match (Rota { slots: vec![bad], on_call: None }).checked() {
                Err(RotaError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn reminder_thresholds_are_read_strictly() {
        let env = |v: &'static str| move |k: &str| (k == "DRAFT_REMINDER_MINUTES").then(|| v.to_owned());
        assert_eq!(reminder_minutes_from(&env("30")).unwrap(), vec![30]);
        assert_eq!(reminder_minutes_from(&env("120, 30")).unwrap(), vec![30, 120]);
        assert!(reminder_minutes_from(&env("0")).is_err());
        assert!(reminder_minutes_from(&env("half an hour")).is_err());
        assert!(reminder_minutes_from(&(|_: &str| None)).is_err(), "no silent default in the cloud");
    }

    #[test]
    fn the_notices_carry_no_content() {
        let n = arrival_notice("https://num.example.org/staff/");
        assert_eq!(n.text, "A new report has arrived. See the casework queue: https://num.example.org/staff/");
    }
}
