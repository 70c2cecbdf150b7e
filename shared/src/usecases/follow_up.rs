//! The reporter comes back: reference and passphrase open the report's status in plain words, the message thread and
//! the consent choices, which the reporter may change.
//!
//! A wrong pair is one answer whether or not the reference exists, and takes about one time: an unknown reference is
//! checked against a dummy argon2id hash made with the same parameters, so the work done is the same.
//!
//! Consent is a history, not a flag: each change is a dated entry (who, how, what changed) appended under the report,
//! and the current answer is computed from the entries in order over what the report form said. The report item's
//! consent attributes follow the computed answer, so drafting and disclosure read the reporter's latest word.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Deps;
use crate::domain::passphrase::{HashError, HashSlots, hash_secret};
use crate::domain::{AlertId, ReportId};
use crate::ports::tables::{AttributeValue, Item, attr_str, from_item, query_all, to_item};
use crate::ports::{Condition, Index, MacPurpose, Query, SortCondition, StoreError, Table, Update};
use crate::usecases::alerts::{AlertRecord, AlertStatus};
use crate::usecases::submit_report::ReportRecord;

/// What the reporter is told about where the report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpStatus {
    Received,
    BeingReviewed,
    AlertSent,
    CaseworkerAssigned,
    Closed,
}

impl FollowUpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpStatus::Received => "received",
            FollowUpStatus::BeingReviewed => "being_reviewed",
            FollowUpStatus::AlertSent => "alert_sent",
            FollowUpStatus::CaseworkerAssigned => "caseworker_assigned",
            FollowUpStatus::Closed => "closed",
        }
    }
}

/// The consent choices as they stand. Four consents: an alert may be published; a caseworker may make contact; an
/// anonymised package may go to police analysts; the reporter's identity may be passed to the police (asked for when
/// police link the report; never from the report form, so it starts as no).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentNow {
    pub publish_alert: bool,
    pub share_with_police: bool,
    pub caseworker_contact: bool,
    #[serde(default)]
    pub share_identity_with_police: bool,
}

impl ConsentNow {
    /// Whether the reporter's identity may go to police now: that consent, and sharing with police at all.
    pub fn identity_to_police(&self) -> bool {
        self.share_with_police && self.share_identity_with_police
    }
}

/// A change the reporter asks for: only the choices named change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_alert: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_with_police: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caseworker_contact: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_identity_with_police: Option<bool>,
}

impl ConsentChange {
    pub fn is_empty(&self) -> bool {
        self.publish_alert.is_none()
            && self.share_with_police.is_none()
            && self.caseworker_contact.is_none()
            && self.share_identity_with_police.is_none()
    }

    /// Whether the change withdraws any consent.
    pub fn withdraws(&self) -> bool {
        [self.publish_alert, self.share_with_police, self.caseworker_contact, self.share_identity_with_police].contains(&Some(false))
    }

    fn apply(&self, c: &mut ConsentNow) {
        if let Some(v) = self.publish_alert {
            c.publish_alert = v;
        }
        if let Some(v) = self.share_with_police {
            c.share_with_police = v;
        }
        if let Some(v) = self.caseworker_contact {
            c.caseworker_contact = v;
        }
        if let Some(v) = self.share_identity_with_police {
            c.share_identity_with_police = v;
        }
    }
}

pub const CONSENT_KIND: &str = "consent";
/// The encryption-context kind of a caseworker's note on a consent entry.
pub const CONSENT_NOTE_KIND: &str = "consent_note";

/// How a consent answer was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentHow {
    /// With the report, on the form.
    ReportForm,
    /// By the reporter, at the follow-up page or API.
    Online,
    /// Told to a caseworker on the phone, who recorded it with a note.
    Phone,
    /// Told to a caseworker in person, who recorded it with a note.
    InPerson,
}

impl ConsentHow {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentHow::ReportForm => "report_form",
            ConsentHow::Online => "online",
            ConsentHow::Phone => "phone",
            ConsentHow::InPerson => "in_person",
        }
    }
}

/// One dated entry of a report's consent history: who gave the answer, how, and what it changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsentEntry {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub report_id: ReportId,
    pub at: String,
    /// `reporter`, or the member of staff who recorded the reporter's word.
    pub who: String,
    /// `report_form` for the answer given with the report, `online` for the follow-up page or API, `phone` or
    /// `in_person` for an answer a caseworker recorded.
    pub how: String,
    pub change: ConsentChange,
    /// The entry's own id (the key's tail), which names its note's encryption context.
    #[serde(default)]
    pub entry_id: String,
    /// A caseworker's note on how the answer was given, sealed (kind `consent_note`).
    #[serde(default, skip_serializing_if = "crate::seal::Sealed::is_empty")]
    pub note_sealed: crate::seal::Sealed<String>,
}

impl ConsentEntry {
    pub fn note_context(id: &ReportId, entry_id: &str) -> crate::ports::EncryptionContext {
        crate::ports::EncryptionContext::new(Table::Reports.as_str(), CONSENT_NOTE_KIND, &format!("{id}/{entry_id}"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    /// The reference is unknown or the passphrase does not match it: the two are never told apart.
    #[error("the reference and passphrase do not match a report")]
    WrongPair,
    #[error("every hashing slot stayed busy")]
    Busy,
    #[error("the hashing task failed")]
    Hashing(#[source] HashError),
    #[error("the reports table failed")]
    Store(#[from] StoreError),
    #[error("the key service failed")]
    Key(#[from] crate::ports::KeyError),
    #[error("sealing failed")]
    Seal(#[from] crate::seal::SealError),
    #[error("the message is empty or too long")]
    BadText,
    #[error("no consent choice was given")]
    NoChange,
    /// A caseworker recorded an answer without saying how it was given.
    #[error("a consent answer recorded by staff needs a note")]
    NoteNeeded,
}

impl From<HashError> for FollowUpError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => FollowUpError::Busy,
            e => FollowUpError::Hashing(e),
        }
    }
}

/// A hash nobody's passphrase matches, with the very parameters of a real one: what an unknown reference is checked
/// against, so it costs the same time as a known one.
fn dummy_hash() -> String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY
        .get_or_init(|| {
            let secret = crate::domain::ids::random_base32(20);
            hash_secret(&secret)
        })
        .clone()
}

/// Opens the report a reference and passphrase name, or `WrongPair` (the same for an unknown reference, a malformed
/// one and a wrong passphrase, after the same argon2 work).
pub async fn sign_in(deps: &Deps, reference: &str, passphrase: &str) -> Result<(ReportRecord, Item), FollowUpError> {
    let typed = zeroize::Zeroizing::new(crate::domain::ids::normalise_base32(passphrase));
    let found = match ReportId::parse(reference) {
        Ok(id) => deps.tables.get(Table::Reports, &ReportRecord::key(&id)).await?,
        Err(_) => None,
    };
    let record = match &found {
        Some(item) if attr_str(item, "kind") == Some(crate::usecases::submit_report::REPORT_KIND) => {
            Some(from_item::<ReportRecord>(item.clone())?)
        }
        _ => None,
    };
    let phc = record.as_ref().map(|r| r.passphrase_hash.clone()).unwrap_or_else(dummy_hash);
    let ok = HashSlots::global().verify(typed, phc).await?;
    match (ok, record, found) {
        (true, Some(r), Some(item)) => Ok((r, item)),
        _ => Err(FollowUpError::WrongPair),
    }
}

/// The status in plain words, from what the records hold: a case's status on the report item (`case_status`:
/// `open`, `assigned`, `closed`, with `assigned_to`), else the alert's (draft or rejected: being reviewed; published:
/// sent), else received.
pub async fn status_of(deps: &Deps, record: &ReportRecord, item: &Item) -> Result<FollowUpStatus, FollowUpError> {
    match attr_str(item, "case_status") {
        Some("closed") => return Ok(FollowUpStatus::Closed),
        Some("assigned") => return Ok(FollowUpStatus::CaseworkerAssigned),
        _ if attr_str(item, "assigned_to").is_some_and(|a| !a.is_empty()) => return Ok(FollowUpStatus::CaseworkerAssigned),
        _ => {}
    }
    let mac = deps.keys.mac(MacPurpose::AlertId, record.report_id.as_str().as_bytes()).await?;
    let alert_id = AlertId::from_digest(&mac);
    Ok(match deps.tables.get(Table::Alerts, &AlertRecord::key(&alert_id)).await? {
        Some(a) => match AlertStatus::of(&a, "status") {
            Some(AlertStatus::Published) => FollowUpStatus::AlertSent,
            _ => FollowUpStatus::BeingReviewed,
        },
        None => FollowUpStatus::Received,
    })
}

fn consent_prefix() -> &'static str {
    "CONSENT#"
}

/// The consent history of a report, oldest first.
pub async fn consent_history(deps: &Deps, id: &ReportId) -> Result<Vec<ConsentEntry>, StoreError> {
    let mut q = Query::partition(Index::Primary, ReportRecord::key(id).pk);
    q.sort = SortCondition::BeginsWith(consent_prefix().into());
    query_all(deps.tables.as_ref(), Table::Reports, q).await?.into_iter().map(from_item).collect()
}

/// The consent as it stands, computed from the ledger: the report form's answer, then every change in order. Every
/// disclosure reads this at the moment it happens (never a flag copied elsewhere).
pub async fn current_consent(deps: &Deps, record: &ReportRecord) -> Result<ConsentNow, StoreError> {
    let history = consent_history(deps, &record.report_id).await?;
    Ok(fold_consent(record, &history))
}

/// The consent of a report by its id, from the ledger; `None` where there is no such report.
pub async fn consent_of(deps: &Deps, id: &ReportId) -> Result<Option<ConsentNow>, StoreError> {
    let Some(item) = deps.tables.get(Table::Reports, &ReportRecord::key(id)).await? else { return Ok(None) };
    if attr_str(&item, "kind") != Some(crate::usecases::submit_report::REPORT_KIND) {
        return Ok(None);
    }
    let record: ReportRecord = from_item(item)?;
    Ok(Some(current_consent(deps, &record).await?))
}

fn fold_consent(record: &ReportRecord, history: &[ConsentEntry]) -> ConsentNow {
    // No entry yet: the report form's answer, which the record holds as it was submitted. Identity: never asked yet.
    let mut c = ConsentNow {
        publish_alert: record.consent_publish_alert,
        share_with_police: record.consent_share_with_police,
        caseworker_contact: record.consent_caseworker_contact,
        share_identity_with_police: false,
    };
    // Once there are entries, the first is the report form's own answer and sets the three it answered; the record's
    // attributes only mirror the ledger and are not read for the answer.
    for e in history {
        e.change.apply(&mut c);
    }
    c
}

fn at_string(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn consent_entry(id: &ReportId, at: &str, tail: &str, how: &str, change: ConsentChange) -> ConsentEntry {
    // The report form's answer sorts first whatever the clock said; each later change by its time.
    let sk = if how == "report_form" { format!("{}0#report_form", consent_prefix()) } else { format!("{}{at}#{tail}", consent_prefix()) };
    ConsentEntry {
        pk: ReportRecord::key(id).pk,
        sk,
        kind: CONSENT_KIND.into(),
        report_id: id.clone(),
        at: at.to_owned(),
        who: "reporter".into(),
        how: how.into(),
        change,
        entry_id: tail.to_owned(),
        note_sealed: crate::seal::Sealed::default(),
    }
}

/// The reporter changes consent online: the report form's answer is written as the history's first entry (once), the
/// change is appended as a dated entry, and the report's consent attributes are set to the answer computed from the
/// whole history, before the call returns (so any later disclosure reads it).
pub async fn change_consent(deps: &Deps, record: &ReportRecord, change: ConsentChange) -> Result<ConsentNow, FollowUpError> {
    record_consent(deps, record, change, "reporter", ConsentHow::Online, None).await
}

/// Appends one answer to the ledger: by the reporter online, or by a member of staff (`who`) who took the reporter's
/// word on the phone or in person, with a note saying how (sealed, kind `consent_note`; required). Then the report's
/// consent attributes are set to the answer computed from the whole ledger, before the call returns.
pub async fn record_consent(
    deps: &Deps,
    record: &ReportRecord,
    change: ConsentChange,
    who: &str,
    how: ConsentHow,
    note: Option<&str>,
) -> Result<ConsentNow, FollowUpError> {
    if change.is_empty() {
        return Err(FollowUpError::NoChange);
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if matches!(how, ConsentHow::Phone | ConsentHow::InPerson) && note.is_none() {
        return Err(FollowUpError::NoteNeeded);
    }
    if note.is_some_and(|n| n.chars().count() > crate::usecases::casework::MAX_NOTE_CHARS) {
        return Err(FollowUpError::BadText);
    }
    let id = &record.report_id;
    let first = consent_entry(
        id,
        &record.received_at,
        "report_form",
        "report_form",
        ConsentChange {
            publish_alert: Some(record.consent_publish_alert),
            share_with_police: Some(record.consent_share_with_police),
            caseworker_contact: Some(record.consent_caseworker_contact),
            // Never asked on the form: it starts as no.
            share_identity_with_police: None,
        },
    );
    // Written once: a later change finds it there. (The record's attributes are changed only after this exists.)
    let history = consent_history(deps, id).await?;
    if history.is_empty() {
        match deps.tables.put(Table::Reports, to_item(&first)?, Condition::NotExists).await {
            Ok(()) | Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let tail = crate::domain::ids::random_base32(8);
    let mut entry = consent_entry(id, &at_string(deps.clock.now()), &tail, how.as_str(), change);
    entry.who = who.to_owned();
    if let Some(n) = note {
        let sealer = super::report_keys::sealer(
            deps.tables.as_ref(),
            deps.keys.as_ref(),
            id,
            CONSENT_NOTE_KIND,
            ConsentEntry::note_context(id, &tail),
        )
        .await?;
        entry.note_sealed = crate::seal::Sealed::seal(&sealer, &n.to_owned());
    }
    deps.tables.put(Table::Reports, to_item(&entry)?, Condition::NotExists).await?;
    let history = consent_history(deps, id).await?;
    // Fold over the form's own answer (the first entry), not over attributes an earlier change already moved.
    let mut now =
        ConsentNow { publish_alert: false, share_with_police: false, caseworker_contact: false, share_identity_with_police: false };
    for e in &history {
        e.change.apply(&mut now);
    }
    let update = Update::default()
        .set("consent_publish_alert", AttributeValue::Bool(now.publish_alert))
        .set("consent_share_with_police", AttributeValue::Bool(now.share_with_police))
        .set("consent_caseworker_contact", AttributeValue::Bool(now.caseworker_contact))
        .set("consent_share_identity_with_police", AttributeValue::Bool(now.share_identity_with_police))
        .add("consent_version", 1);
    deps.tables.update(Table::Reports, &ReportRecord::key(id), update, Condition::Exists).await?;
    tracing::info!(report_id = %id, how = how.as_str(), withdrawal = change.withdraws(), "consent entry recorded");
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_fold_in_order_over_the_form_answer() {
        let id = ReportId::new();
        let history = vec![
            consent_entry(&id, "1", "a", "online", ConsentChange { share_with_police: Some(true), ..Default::default() }),
            consent_entry(&id, "2", "b", "online", ConsentChange { publish_alert: Some(false), ..Default::default() }),
            consent_entry(&id, "3", "c", "online", ConsentChange { share_with_police: Some(false), ..Default::default() }),
        ];
        let mut now =
            ConsentNow { publish_alert: true, share_with_police: false, caseworker_contact: true, share_identity_with_police: false };
        for e in &history {
            e.change.apply(&mut now);
        }
        assert_eq!(
            now,
            ConsentNow { publish_alert: false, share_with_police: false, caseworker_contact: true, share_identity_with_police: false }
        );
    }
}
