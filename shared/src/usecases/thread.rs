//! The anonymous two-way thread between a caseworker and the reporter, and the content-free notice that tells the
//! reporter a message waits.
//!
//! Each message is sealed on its own, under a data key of its own, with an encryption context naming the report and
//! the message (`table=reports, kind=message, id=<report id>/<message id>`): a sealed message copied onto another
//! report or message does not open. No message text is ever logged, emailed or texted.
//!
//! Where the reporter left a contact and allows caseworker contact, a caseworker's message leaves one pending notice
//! for the report (several messages, one notice), with a not-before time: now when the reporter's chosen hours
//! (`reporter.safe_contact.windows`, UK time) include now, else when they next open. [`send_due_reporter_notices`]
//! sends the notices that are due; `num serve` runs it every minute and in the cloud a scheduled function calls it.
//! The notice says only that there is a new message and where to sign in: no reference, no text, no name.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::Deps;
use super::deliver::DeliverDeps;
use super::follow_up::{FollowUpError, current_consent};
use crate::domain::report::{ContactWindow, PreferredContact, Report, WEEKDAYS};
use crate::domain::{Email, PhoneNumber, ReportId};
use crate::ports::messaging::{EmailMessage, SendError, SmsMessage};
use crate::ports::tables::{from_item, query_all, to_item};
use crate::ports::{Condition, EncryptionContext, Index, Key, Query, SortCondition, StoreError, Table};
use crate::seal::Sealed;
use crate::usecases::submit_report::ReportRecord;

pub const MESSAGE_KIND: &str = "message";
pub const NOTICE_KIND: &str = "reporter_notice";
/// The index partition of pending notices, sorted by not-before time.
pub const NOTICES_PARTITION: &str = "REPORTER_NOTICES";
/// The longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 5000;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Caseworker,
    Reporter,
}

/// The stored form of a message: the text is inside `sealed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub report_id: ReportId,
    pub message_id: String,
    pub from: Author,
    pub at: String,
    pub sealed: Sealed<String>,
}

impl MessageRecord {
    pub fn context(report: &ReportId, message_id: &str) -> EncryptionContext {
        EncryptionContext::new(Table::Reports.as_str(), MESSAGE_KIND, &format!("{report}/{message_id}"))
    }
}

/// A message as it is shown: who, what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub from: Author,
    pub text: String,
    pub at: String,
}

/// Checks a message's text: not blank, at most [`MAX_MESSAGE_CHARS`].
pub fn check_text(text: &str) -> Result<(), FollowUpError> {
    if text.trim().is_empty() || text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(FollowUpError::BadText);
    }
    Ok(())
}

/// Seals and stores one message on a report. Returns the message's id.
pub async fn add_message(deps: &Deps, report: &ReportId, from: Author, text: &str) -> Result<String, FollowUpError> {
    check_text(text)?;
    let message_id = crate::domain::ids::random_base32(16);
    let sealer = super::report_keys::sealer(
        deps.tables.as_ref(),
        deps.keys.as_ref(),
        report,
        MESSAGE_KIND,
        MessageRecord::context(report, &message_id),
    )
    .await?;
    let at = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let rec = MessageRecord {
        pk: ReportRecord::key(report).pk,
        sk: format!("MSG#{at}#{message_id}"),
        kind: MESSAGE_KIND.into(),
        report_id: report.clone(),
        message_id: message_id.clone(),
        from,
        at,
        sealed: Sealed::seal(&sealer, &text.to_owned()),
    };
    deps.tables.put(Table::Reports, to_item(&rec)?, Condition::NotExists).await?;
    tracing::info!(report_id = %report, from = ?from, "message added to a report's thread");
    Ok(message_id)
}

/// The thread of a report, oldest first, opened.
pub async fn messages(deps: &Deps, report: &ReportId) -> Result<Vec<Message>, FollowUpError> {
    let mut q = Query::partition(Index::Primary, ReportRecord::key(report).pk);
    q.sort = SortCondition::BeginsWith("MSG#".into());
    let mut out = Vec::new();
    let key = super::report_keys::load(deps.tables.as_ref(), deps.keys.as_ref(), report, MESSAGE_KIND).await?;
    for item in query_all(deps.tables.as_ref(), Table::Reports, q).await? {
        let rec: MessageRecord = from_item(item)?;
        let text = rec.sealed.open_in(deps.keys.as_ref(), key.as_ref(), &MessageRecord::context(report, &rec.message_id)).await?;
        out.push(Message { from: rec.from, text, at: rec.at });
    }
    Ok(out)
}

/// What a caseworker's message did about telling the reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticePlan {
    /// A notice waits to go at this time (now or when the reporter's hours next open).
    Pending(DateTime<Utc>),
    /// A notice was already waiting: one notice says there are new messages.
    AlreadyPending,
    /// No notice: no contact left, caseworker contact not allowed, or a channel nothing can send to (a call).
    None,
}

/// A caseworker writes to the reporter: the message is stored, and where the reporter allows it a notice is planned.
pub async fn caseworker_message(deps: &Deps, report: &ReportId, text: &str) -> Result<NoticePlan, FollowUpError> {
    let item = deps.tables.get(Table::Reports, &ReportRecord::key(report)).await?.ok_or(FollowUpError::WrongPair)?;
    let record: ReportRecord = from_item(item)?;
    add_message(deps, report, Author::Caseworker, text).await?;
    plan_notice(deps, &record).await
}

/// The channel and address a notice may use, where the reporter left one and chose a channel a message can go by.
enum Route {
    Email(Email),
    Sms(PhoneNumber),
}

fn route_of(report: &Report) -> Option<Route> {
    let r = report.reporter.as_ref()?;
    let chosen = r.safe_contact.as_ref().and_then(|s| s.channel).or(r.preferred_contact);
    let email = || r.email.as_deref().and_then(|e| Email::parse(e).ok()).map(Route::Email);
    let sms = || r.phone.as_deref().and_then(|p| PhoneNumber::parse(p).ok()).filter(PhoneNumber::is_mobile).map(Route::Sms);
    match chosen {
        Some(PreferredContact::Email) => email(),
        Some(PreferredContact::Sms) => sms(),
        // A call is made by a person, not by this system; "none" means no contact.
        Some(PreferredContact::Phone | PreferredContact::None) => None,
        None => email().or_else(sms),
    }
}

fn windows_of(report: &Report) -> Vec<ContactWindow> {
    report.reporter.as_ref().and_then(|r| r.safe_contact.as_ref()).map(|s| s.windows.clone()).unwrap_or_default()
}

/// The UK's offset from UTC at `t`: an hour in summer time (from 01:00 UTC on the last Sunday of March to 01:00 UTC
/// on the last Sunday of October), none otherwise.
pub fn uk_offset(t: DateTime<Utc>) -> Duration {
    let last_sunday = |month: u32| {
        let mut d = chrono::NaiveDate::from_ymd_opt(t.year(), month, 31).expect("March and October have 31 days");
        while d.weekday() != chrono::Weekday::Sun {
            d = d.pred_opt().expect("a day before the 31st exists");
        }
        Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).expect("01:00 exists"))
    };
    if t >= last_sunday(3) && t < last_sunday(10) { Duration::hours(1) } else { Duration::zero() }
}

fn inside(windows: &[ContactWindow], t: DateTime<Utc>) -> bool {
    let local = t + uk_offset(t);
    let day = WEEKDAYS[local.weekday().num_days_from_monday() as usize];
    let hour = local.hour() as u8;
    windows.iter().any(|w| w.days.iter().any(|d| d == day) && w.from_hour <= hour && hour < w.to_hour)
}

/// The first moment at or after `now` inside the reporter's hours (`now` itself when none were given), looking a week
/// and a day ahead; `None` where no hour of that week is allowed.
pub fn next_window(windows: &[ContactWindow], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if windows.is_empty() || inside(windows, now) {
        return Some(now);
    }
    // UK hours start on UTC hours, so the next opening is on a whole UTC hour.
    let mut t = now.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
    for _ in 0..(8 * 24) {
        t += Duration::hours(1);
        if inside(windows, t) {
            return Some(t);
        }
    }
    None
}

/// A pending notice for one report. It holds no contact and no text: the contact is read from the sealed report when
/// the notice goes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticeRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub report_id: ReportId,
    pub not_before: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

impl NoticeRecord {
    pub fn key(report: &ReportId) -> Key {
        Key::new(format!("REPORTER_NOTICE#{report}"), "NOTICE")
    }

    fn new(report: &ReportId, not_before: DateTime<Utc>) -> Self {
        let at = not_before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let k = Self::key(report);
        Self {
            pk: k.pk,
            sk: k.sk,
            kind: NOTICE_KIND.into(),
            report_id: report.clone(),
            not_before: at.clone(),
            gsi1pk: NOTICES_PARTITION.into(),
            gsi1sk: format!("{at}#{report}"),
        }
    }
}

async fn plan_notice(deps: &Deps, record: &ReportRecord) -> Result<NoticePlan, FollowUpError> {
    if !current_consent(deps, record).await?.caseworker_contact {
        return Ok(NoticePlan::None);
    }
    let report = record.open(deps.tables.as_ref(), deps.keys.as_ref()).await?;
    if route_of(&report).is_none() {
        return Ok(NoticePlan::None);
    }
    let Some(at) = next_window(&windows_of(&report), deps.clock.now()) else { return Ok(NoticePlan::None) };
    drop(report);
    match deps.tables.put(Table::Reports, to_item(&NoticeRecord::new(&record.report_id, at))?, Condition::NotExists).await {
        Ok(()) => Ok(NoticePlan::Pending(at)),
        Err(StoreError::ConditionFailed) => Ok(NoticePlan::AlreadyPending),
        Err(e) => Err(e.into()),
    }
}

/// The pending notices (report ids and not-before times), soonest first.
pub async fn pending_notices(deps: &Deps) -> Result<Vec<NoticeRecord>, StoreError> {
    let q = Query::partition(Index::Gsi1, NOTICES_PARTITION);
    query_all(deps.tables.as_ref(), Table::Reports, q).await?.into_iter().map(from_item).collect()
}

/// What one run of [`send_due_reporter_notices`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct NoticeRun {
    pub sent: usize,
    /// Moved on to the reporter's next window (the hours changed, or a send was not taken and is tried again).
    pub deferred: usize,
    /// Dropped: consent withdrawn, no contact, or the provider refused (or may have taken it: never sent twice).
    pub dropped: usize,
}

/// The words of a notice: that a message waits, and where to sign in. No reference, no text, no name.
pub fn notice_text(site_url: &str) -> String {
    format!("There is a new message about your report. Sign in at {site_url}/follow-up to read it.")
}

/// Sends every pending notice whose time has come (not-before at or before `now`), each only inside the reporter's
/// hours as they are at sending, only while caseworker contact is allowed, by the one channel chosen. A notice is
/// claimed before it is sent, so two runs at once never send it twice; one the provider may have taken is not sent
/// again. The scheduled function and `num serve`'s poller call this.
pub async fn send_due_reporter_notices(deps: &DeliverDeps, now: DateTime<Utc>) -> Result<NoticeRun, FollowUpError> {
    let base = Deps { tables: deps.tables.clone(), keys: deps.keys.clone(), clock: deps.clock.clone() };
    let mut q = Query::partition(Index::Gsi1, NOTICES_PARTITION);
    let high = format!("{}~", now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    q.sort = SortCondition::Between("0".into(), high);
    let due: Vec<NoticeRecord> =
        query_all(deps.tables.as_ref(), Table::Reports, q).await?.into_iter().map(from_item).collect::<Result<_, _>>()?;
    let mut run = NoticeRun::default();
    for n in due {
        let key = NoticeRecord::key(&n.report_id);
        // The claim: whoever deletes the notice as it was sends it.
        let claimed = deps
            .tables
            .delete(Table::Reports, &key, Condition::Equals("not_before".into(), crate::ports::tables::s(n.not_before.clone())))
            .await;
        match claimed {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => continue,
            Err(e) => return Err(e.into()),
        }
        let Some(item) = deps.tables.get(Table::Reports, &ReportRecord::key(&n.report_id)).await? else {
            run.dropped += 1;
            continue;
        };
        let record: ReportRecord = from_item(item)?;
        if !current_consent(&base, &record).await?.caseworker_contact {
            run.dropped += 1;
            continue;
        }
        let report = record.open(deps.tables.as_ref(), deps.keys.as_ref()).await?;
        let windows = windows_of(&report);
        let Some(route) = route_of(&report) else {
            run.dropped += 1;
            continue;
        };
        drop(report);
        match next_window(&windows, now) {
            Some(t) if t <= now => {}
            Some(t) => {
                requeue(&base, &n.report_id, t).await?;
                run.deferred += 1;
                continue;
            }
            None => {
                run.dropped += 1;
                continue;
            }
        }
        let text = notice_text(&deps.site_url);
        // Not the reference: the key may reach a provider's tags and logs.
        let idem = format!("reporter-notice-{}", crate::domain::ids::random_base32(16));
        let sent = match &route {
            Route::Email(to) => {
                let m = EmailMessage { to: to.clone(), subject: "A new message".into(), text, unsubscribe_url: None };
                deps.email.send_email(&m, &idem).await
            }
            Route::Sms(to) => {
                let m = SmsMessage { to: to.clone(), text };
                deps.sms.send_sms(&m, &idem).await
            }
        };
        match sent {
            Ok(_) => run.sent += 1,
            Err(e @ SendError::NotTaken(_)) => {
                tracing::warn!(kind = e.kind(), "a reporter notice was not taken; it is tried again in five minutes");
                let again = next_window(&windows, now + Duration::minutes(5)).unwrap_or(now + Duration::minutes(5));
                requeue(&base, &n.report_id, again).await?;
                run.deferred += 1;
            }
            Err(e) => {
                tracing::warn!(kind = e.kind(), "a reporter notice was refused or may have gone; it is not sent again");
                run.dropped += 1;
            }
        }
    }
    if run != NoticeRun::default() {
        tracing::info!(sent = run.sent, deferred = run.deferred, dropped = run.dropped, "reporter notices");
    }
    Ok(run)
}

async fn requeue(deps: &Deps, report: &ReportId, at: DateTime<Utc>) -> Result<(), StoreError> {
    match deps.tables.put(Table::Reports, to_item(&NoticeRecord::new(report, at))?, Condition::NotExists).await {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(days: &[&str], from: u8, to: u8) -> ContactWindow {
        ContactWindow { days: days.iter().map(|d| d.to_string()).collect(), from_hour: from, to_hour: to }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_next_window_is_in_uk_time_across_summer_time() {
        // Monday 1 December 2025, 09:30 UTC = 09:30 GMT; weekdays 18 to 21.
        let ws = [w(&["mon", "tue", "wed", "thu", "fri"], 18, 21)];
        assert_eq!(next_window(&ws, utc("2025-12-01T09:30:00Z")), Some(utc("2025-12-01T18:00:00Z")));
        // In summer, 18:00 BST is 17:00 UTC.
        assert_eq!(next_window(&ws, utc("2025-06-02T09:30:00Z")), Some(utc("2025-06-02T17:00:00Z")));
        // Inside the window: now.
        assert_eq!(next_window(&ws, utc("2025-12-01T19:10:00Z")), Some(utc("2025-12-01T19:10:00Z")));
        // Friday night after the window: Monday.
        assert_eq!(next_window(&ws, utc("2025-12-05T22:00:00Z")), Some(utc("2025-12-08T18:00:00Z")));
        assert_eq!(next_window(&[], utc("2025-12-05T22:00:00Z")), Some(utc("2025-12-05T22:00:00Z")));
        assert_eq!(uk_offset(utc("2025-03-30T00:59:00Z")), Duration::zero());
        assert_eq!(uk_offset(utc("2025-03-30T01:00:00Z")), Duration::hours(1));
        assert_eq!(uk_offset(utc("2025-10-26T01:00:00Z")), Duration::zero());
    }

    #[test]
    fn a_notice_names_nothing() {
        let t = notice_text("https://example.org");
        assert!(t.contains("https://example.org/follow-up"));
        assert!(!t.contains("R-"));
    }
}
