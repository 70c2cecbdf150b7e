//! Alerts: drafted from a new report, reviewed by staff, published to regions or rejected.
//!
//! A draft's content is sealed like a report's: the sanitiser is good, but a draft is what a reviewer has not yet
//! checked, so it is treated as private until published. Plain attributes are what the staff list and the pipeline
//! need: ids, status, town, categories, regions, times.

use serde::{Deserialize, Serialize};

use crate::domain::Town;
use crate::domain::alert::{Alert, DatePrecision};
use crate::domain::gazetteer::suggest_regions;
pub use crate::domain::status::AlertStatus;
use crate::domain::{AlertId, Region, Report, ReportId};
use crate::ports::tables::{from_item, to_item};
use crate::ports::{Condition, EncryptionContext, Index, Key, KeyService, MacPurpose, Query, StoreError, Table, Update};
use crate::seal::{self, Sealed, Sealer};
use crate::usecases::submit_report::ReportRecord;

pub const ALERT_KIND: &str = "alert";
/// The encryption-context kind of a published alert's content. A draft (which may still hold what the sanitiser
/// missed) stays under `alert`; publishing seals the reviewed copy afresh under this kind, so the public functions
/// (the members' page, the deliverer) are granted this kind alone and can never open a draft.
pub const PUBLISHED_ALERT_KIND: &str = "published_alert";

/// The stored form of an alert.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub alert_id: AlertId,
    pub report_id: ReportId,
    pub status: AlertStatus,
    pub town: String,
    pub incident_date: String,
    pub categories: Vec<String>,
    pub suggested_regions: Vec<Region>,
    #[serde(default)]
    pub regions: Vec<Region>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// The alert content, sealed under the alert's own data key.
    pub sealed: Sealed<Alert>,
    /// The keyed hashes of the offender's identifiers the alert names (`offenders::keys_of`): how the checker and the
    /// links between reports find it. No identifier in the clear.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offender_keys: Vec<String>,
    /// At publication: how many reports (this one and the linked ones not rejected) name this offender, and the month
    /// (`YYYY-MM`) of the first. Absent when this is the only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_times: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_since: Option<String>,
    /// The version of the published content: 1 at publication, one more at each correction (the earlier ones are
    /// kept sealed, `AlertVersion`).
    #[serde(default = "first_version")]
    pub version: u32,
    /// When the alert leaves the members' list and the checker (RFC 3339): `ALERT_LIFETIME_DAYS` after publication.
    /// Not `expires_at`, which is the table's TTL attribute: the record itself stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<String>,
    pub gsi1pk: String,
    pub gsi1sk: String,
}

fn first_version() -> u32 {
    1
}

/// How long a published alert is shown to members and found by the checker.
pub const ALERT_LIFETIME_DAYS: i64 = 90;

impl AlertRecord {
    /// Whether members still see it: published and not past its end.
    pub fn live_at(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.status == AlertStatus::Published && !self.ended_at(now)
    }

    /// Whether its time is over (an alert published before alerts ended has none).
    pub fn ended_at(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.ends_at.as_deref().and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok()).is_some_and(|e| e <= now)
    }

    pub fn key(id: &AlertId) -> Key {
        Key::new(format!("ALERT#{id}"), "ALERT")
    }

    /// The context the content is sealed under: its own kind once published, the draft kind before (and after a
    /// rejection, which never reseals).
    pub fn context(id: &AlertId, status: AlertStatus) -> EncryptionContext {
        let kind = match status {
            AlertStatus::Published | AlertStatus::Withdrawn => PUBLISHED_ALERT_KIND,
            AlertStatus::Draft | AlertStatus::Rejected => ALERT_KIND,
        };
        EncryptionContext::new(Table::Alerts.as_str(), kind, id.as_str())
    }

    pub fn list_partition(status: AlertStatus) -> String {
        format!("ALERTS#{}", status.as_str())
    }

    pub async fn open(&self, keys: &dyn KeyService) -> Result<Alert, seal::SealError> {
        self.sealed.open(keys, &Self::context(&self.alert_id, self.status)).await
    }
}

pub type AlertDeps = super::Deps;

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("the alerts or reports table failed")]
    Store(#[from] StoreError),
    #[error("sealing or opening failed")]
    Seal(#[from] seal::SealError),
    #[error("the key service failed")]
    Key(#[from] crate::ports::KeyError),
}

/// Why an alert could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("there is no alert with this id")]
    NotFound,
    #[error("the alerts table failed")]
    Store(#[from] StoreError),
}

/// Why a draft was not published. Nothing changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("no region was chosen")]
    MissingRegions,
    #[error("region {index} is not a region")]
    InvalidRegion { index: usize, given: String },
    #[error("the summary is empty or too long")]
    InvalidSummary,
    /// The town a reviewer set is empty, too long or holds control characters: what is wrong, in words.
    #[error("the town is not valid")]
    InvalidTown(String),
    /// The town a reviewer set, or the draft's own, holds more than a place or names someone: the kinds found.
    #[error("the town cannot be published as it is")]
    TownNotPublishable { issues: Vec<crate::domain::alert::TownIssue> },
    #[error("there is no alert with this id")]
    NotFound,
    #[error("the alert is {0:?}, not a draft")]
    NotDraft(AlertStatus),
    #[error("the report behind the alert is gone, so an edit cannot be checked")]
    ReportMissing,
    /// The reviewer's edit would identify someone other than the offender: the kinds found and the fields they are in.
    #[error("the edit would identify someone other than the offender")]
    IdentifiesSomeone { kinds: Vec<String>, fields: Vec<String> },
    #[error("the alerts or reports table failed")]
    Store(#[from] StoreError),
    #[error("sealing or opening failed")]
    Seal(#[from] seal::SealError),
}

/// Why a draft was not rejected. Nothing changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum RejectError {
    #[error("the reason is empty or too long")]
    InvalidReason,
    #[error("there is no alert with this id")]
    NotFound,
    #[error("the alert is {0:?}, not a draft")]
    NotDraft(AlertStatus),
    #[error("the alerts table failed")]
    Store(#[from] StoreError),
    #[error("sealing failed")]
    Seal(#[from] seal::SealError),
}

impl From<AlertError> for PublishError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::NotFound => PublishError::NotFound,
            AlertError::Store(e) => PublishError::Store(e),
        }
    }
}

impl From<AlertError> for RejectError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::NotFound => RejectError::NotFound,
            AlertError::Store(e) => RejectError::Store(e),
        }
    }
}

/// What drafting did with a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drafted {
    Created(AlertId),
    AlreadyDrafted(AlertId),
    NoConsent,
}

/// Drafts the alert for a stored report. Idempotent: a second run for the same report changes nothing.
pub async fn draft_alert(deps: &AlertDeps, record: &ReportRecord) -> Result<Drafted, DraftError> {
    if !record.consent_publish_alert {
        return Ok(Drafted::NoConsent);
    }
    let report: Report = record.open(deps.tables.as_ref(), deps.keys.as_ref()).await?;
    let alert = crate::sanitiser::sanitise(&report);
    drop(report);
    // A keyed hash of the report id: drafting twice (a stream retry) lands on the same alert, yet nobody without the
    // key can tell an alert's report from its id.
    let mac = deps.keys.mac(MacPurpose::AlertId, record.report_id.as_str().as_bytes()).await?;
    let id = AlertId::from_digest(&mac);
    let sealer = Sealer::for_record(deps.keys.as_ref(), AlertRecord::context(&id, AlertStatus::Draft)).await?;
    let now = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let offender_keys = super::offenders::keys_of(deps.keys.as_ref(), &alert.offender).await?;
    let key = AlertRecord::key(&id);
    let rec = AlertRecord {
        pk: key.pk,
        sk: key.sk,
        kind: ALERT_KIND.into(),
        alert_id: id.clone(),
        report_id: record.report_id.clone(),
        status: AlertStatus::Draft,
        town: alert.town.clone(),
        incident_date: alert.date.to_string(),
        categories: alert.categories.iter().map(|c| c.as_str().to_owned()).collect(),
        suggested_regions: suggest_regions(&alert.town),
        regions: Vec::new(),
        created_at: now.clone(),
        decided_at: None,
        decided_by: None,
        sealed: Sealed::seal(&sealer, &alert),
        offender_keys,
        reported_times: None,
        reported_since: None,
        version: 1,
        ends_at: None,
        corrected_at: None,
        withdrawn_at: None,
        gsi1pk: AlertRecord::list_partition(AlertStatus::Draft),
        gsi1sk: format!("{now}#{id}"),
    };
    // The references first: a retry after a failure between the two writes finds them written (a reference that its
    // alert does not carry counts for nothing; see `offenders`).
    super::offenders::index(deps, &id, &rec.offender_keys).await?;
    match deps.tables.put(Table::Alerts, to_item(&rec)?, Condition::NotExists).await {
        Ok(()) => {
            // The alert id only: a line naming both would tie a published alert to its reporter's reference.
            tracing::info!(alert_id = %id, regions = rec.suggested_regions.len(), "alert drafted");
            Ok(Drafted::Created(id))
        }
        Err(StoreError::ConditionFailed) => Ok(Drafted::AlreadyDrafted(id)),
        Err(e) => Err(e.into()),
    }
}

/// One alert in the staff list.
#[derive(Debug, Clone, Serialize)]
pub struct AlertSummary {
    pub alert_id: AlertId,
    pub report_id: ReportId,
    pub status: AlertStatus,
    pub town: String,
    pub incident_date: String,
    pub categories: Vec<String>,
    pub suggested_regions: Vec<Region>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<Region>,
    pub created_at: String,
}

impl From<&AlertRecord> for AlertSummary {
    fn from(r: &AlertRecord) -> Self {
        Self {
            alert_id: r.alert_id.clone(),
            report_id: r.report_id.clone(),
            status: r.status,
            town: r.town.clone(),
            incident_date: r.incident_date.clone(),
            categories: r.categories.clone(),
            suggested_regions: r.suggested_regions.clone(),
            regions: r.regions.clone(),
            created_at: r.created_at.clone(),
        }
    }
}

/// One page of alerts with a status, oldest first (the review queue is worked in order).
pub async fn list_alerts(
    deps: &AlertDeps,
    status: AlertStatus,
    limit: u32,
    start: Option<crate::ports::Cursor>,
) -> Result<(Vec<AlertSummary>, Option<crate::ports::Cursor>), StoreError> {
    let mut q = Query::partition(Index::Gsi1, AlertRecord::list_partition(status));
    q.limit = limit.clamp(1, 200);
    q.start = start;
    let page = deps.tables.query(Table::Alerts, q).await?;
    let items = page.items.into_iter().map(from_item::<AlertRecord>).collect::<Result<Vec<_>, _>>()?;
    Ok((items.iter().map(AlertSummary::from).collect(), page.next))
}

/// The published alerts sent to any of `regions`, newest first, at most `limit` (from the newest 200 published).
pub async fn published_for(deps: &AlertDeps, regions: &[crate::domain::Region], limit: usize) -> Result<Vec<AlertRecord>, StoreError> {
    let mut q = Query::partition(Index::Gsi1, AlertRecord::list_partition(AlertStatus::Published));
    q.limit = 200;
    q.descending = true;
    let page = deps.tables.query(Table::Alerts, q).await?;
    let mut out = Vec::new();
    for item in page.items {
        let rec: AlertRecord = from_item(item)?;
        if rec.live_at(deps.clock.now()) && rec.regions.iter().any(|r| regions.contains(r)) {
            out.push(rec);
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(out)
}

pub async fn get_alert(deps: &AlertDeps, id: &AlertId) -> Result<AlertRecord, AlertError> {
    let item = deps.tables.get(Table::Alerts, &AlertRecord::key(id)).await?.ok_or(AlertError::NotFound)?;
    Ok(from_item(item)?)
}

/// What a reviewer sends to publish.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    pub regions: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub offender: Option<crate::domain::alert::AlertOffender>,
    /// The town to publish instead of the draft's: checked as the drafted town is, and refused where it is more than a
    /// known place or names someone in the report.
    #[serde(default)]
    pub town: Option<String>,
    /// How much of the date to publish: the day (the default), or only its week or month.
    #[serde(default)]
    pub date_precision: Option<DatePrecision>,
}

/// Publishes a draft to regions, with the reviewer's edits. An edit that names the reporter, a third party or the
/// venue is refused (409) and nothing changes. Publishing twice, or publishing a rejected alert, is 409.
pub async fn publish(deps: &AlertDeps, id: &AlertId, req: PublishRequest, by: &str) -> Result<AlertRecord, PublishError> {
    if req.regions.is_empty() {
        return Err(PublishError::MissingRegions);
    }
    let mut regions = Vec::new();
    for (index, r) in req.regions.iter().enumerate() {
        let region = Region::parse(r).ok_or_else(|| PublishError::InvalidRegion { index, given: r.chars().take(40).collect() })?;
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    if req.summary.as_ref().is_some_and(|s| s.trim().is_empty() || s.chars().count() > 10_000) {
        return Err(PublishError::InvalidSummary);
    }
    let town = match &req.town {
        Some(t) => Some(Town::parse(t).map_err(PublishError::InvalidTown)?),
        None => None,
    };
    let rec = get_alert(deps, id).await?;
    if rec.status != AlertStatus::Draft {
        return Err(PublishError::NotDraft(rec.status));
    }
    let mut alert = rec.open(deps.keys.as_ref()).await?;
    let edited = req.summary.is_some() || req.offender.is_some();
    if let Some(s) = req.summary {
        alert.summary = s;
    }
    if let Some(o) = req.offender {
        alert.offender = o;
    }
    let report = match deps.tables.get(Table::Reports, &ReportRecord::key(&rec.report_id)).await? {
        Some(item) => Some(from_item::<ReportRecord>(item)?.open(deps.tables.as_ref(), deps.keys.as_ref()).await?),
        None => None,
    };
    // The town goes out in the subject line, the text and the page: whether the reviewer set it or it is the draft's
    // (a draft made before towns were checked may hold one as typed), it is checked now. Without the report only the
    // gazetteer can check it.
    let town_given = town.is_some();
    let candidate = town.as_ref().map_or(alert.town.as_str(), Town::as_str);
    match crate::sanitiser::check_publish_town(report.as_ref(), candidate) {
        Ok(t) => alert.town = t,
        Err(issues) => {
            tracing::info!(alert_id = %id, issues = issues.len(), reviewer_town = town_given, "town refused");
            return Err(PublishError::TownNotPublishable { issues });
        }
    }
    let precision = req.date_precision.unwrap_or_default();
    alert.date = precision.coarsen(alert.date);
    alert.date_precision = precision;
    // The reviewer's notes are for the reviewer.
    alert.flags.clear();
    alert.review.clear();
    if edited {
        let report = report.ok_or(PublishError::ReportMissing)?;
        if let Some((kinds, fields)) = edit_findings(&report, &alert) {
            tracing::info!(alert_id = %id, fields = fields.len(), "edited alert refused");
            return Err(PublishError::IdentifiesSomeone { kinds, fields });
        }
    }
    // The offender index follows the published identifiers: new references before the alert carries their keys,
    // the ones a reviewer took out after. How often he has been reported is counted from the links now.
    let offender_keys = super::offenders::keys_of(deps.keys.as_ref(), &alert.offender).await.map_err(seal::SealError::from)?;
    super::offenders::index(deps, id, &offender_keys).await?;
    let dropped: Vec<String> = rec.offender_keys.iter().filter(|k| !offender_keys.contains(k)).cloned().collect();
    let published_view = AlertRecord { offender_keys: offender_keys.clone(), ..rec.clone() };
    let links = super::offenders::links(deps, &published_view).await?;
    let (times, since) = super::offenders::reported(&published_view, &links);
    let sealer = Sealer::for_record(deps.keys.as_ref(), AlertRecord::context(id, AlertStatus::Published)).await?;
    let now = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let regions_attr = crate::ports::tables::to_attr(&regions)?;
    let ends = (deps.clock.now() + chrono::Duration::days(ALERT_LIFETIME_DAYS)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut update = Update::default()
        .set("offender_keys", crate::ports::tables::to_attr(&offender_keys)?)
        .set("ends_at", crate::ports::tables::s(ends))
        .set("status", AlertStatus::Published)
        .set("regions", regions_attr)
        .set("decided_at", crate::ports::tables::s(now.clone()))
        .set("decided_by", crate::ports::tables::s(by))
        .set("town", crate::ports::tables::s(alert.town.clone()))
        .set("incident_date", crate::ports::tables::s(alert.date.to_string()))
        .set("sealed", serde_dynamo::AttributeValue::B(sealer.seal_json(&alert)))
        .set("gsi1pk", crate::ports::tables::s(AlertRecord::list_partition(AlertStatus::Published)))
        .set("gsi1sk", crate::ports::tables::s(format!("{now}#{id}")));
    if times > 1 {
        update = update
            .set("reported_times", serde_dynamo::AttributeValue::N(times.to_string()))
            .set("reported_since", crate::ports::tables::s(since));
    }
    let cond = Condition::Equals("status".into(), AlertStatus::Draft.into());
    match deps.tables.update(Table::Alerts, &AlertRecord::key(id), update, cond).await {
        Ok(item) => {
            super::offenders::unindex(deps, id, &dropped).await?;
            tracing::info!(alert_id = %id, regions = regions.len(), edited, linked = links.len(), "alert published");
            Ok(from_item(item)?)
        }
        Err(StoreError::ConditionFailed) => Err(PublishError::NotDraft(get_alert(deps, id).await?.status)),
        Err(e) => Err(e.into()),
    }
}

/// What in an edited alert the report says identifies someone other than the offender: the kinds and the fields, never
/// the text. `None` where nothing does.
pub(crate) fn edit_findings(report: &crate::domain::Report, alert: &Alert) -> Option<(Vec<String>, Vec<String>)> {
    let findings = crate::sanitiser::check_edit(report, alert);
    if findings.is_empty() {
        return None;
    }
    let mut fields: Vec<String> = findings.iter().map(|f| f.field.clone()).collect();
    fields.dedup();
    let kinds: Vec<String> = findings
        .iter()
        .map(|f| serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
        .collect();
    Some((dedup(kinds), fields))
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Rejects a draft. The reason is kept sealed (it may quote the report).
pub async fn reject(deps: &AlertDeps, id: &AlertId, reason: &str, by: &str) -> Result<(), RejectError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(RejectError::InvalidReason);
    }
    let rec = get_alert(deps, id).await?;
    if rec.status != AlertStatus::Draft {
        return Err(RejectError::NotDraft(rec.status));
    }
    let how = StatusMove {
        from: AlertStatus::Draft,
        to: AlertStatus::Rejected,
        reason_kind: "alert_rejection",
        reason_attr: "rejection_sealed",
        at_attr: "decided_at",
        by_attr: "decided_by",
    };
    match move_with_reason(deps, id, &how, reason, by).await? {
        None => {
            tracing::info!(alert_id = %id, "alert rejected");
            Ok(())
        }
        Some(now) => Err(RejectError::NotDraft(now)),
    }
}

/// A change of an alert's status that staff make with a reason: from and to, the kind the reason is sealed under, and
/// the attributes that keep it, when and who.
pub(crate) struct StatusMove<'a> {
    pub from: AlertStatus,
    pub to: AlertStatus,
    pub reason_kind: &'a str,
    pub reason_attr: &'a str,
    pub at_attr: &'a str,
    pub by_attr: &'a str,
}

/// Moves an alert's status with its reason sealed (a reason may quote the report), where it is still `from`. `None`
/// when done; else the status it is in, and nothing changed.
pub(crate) async fn move_with_reason(
    deps: &AlertDeps,
    id: &AlertId,
    how: &StatusMove<'_>,
    reason: &str,
    by: &str,
) -> Result<Option<AlertStatus>, MoveError> {
    let ctx = EncryptionContext::new(Table::Alerts.as_str(), how.reason_kind, id.as_str());
    let sealed_reason = Sealer::for_record(deps.keys.as_ref(), ctx).await?.seal_bytes(reason.as_bytes());
    let now = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let update = Update::default()
        .set("status", how.to)
        .set(how.at_attr, crate::ports::tables::s(now.clone()))
        .set(how.by_attr, crate::ports::tables::s(by))
        .set(how.reason_attr, serde_dynamo::AttributeValue::B(sealed_reason))
        .set("gsi1pk", crate::ports::tables::s(AlertRecord::list_partition(how.to)))
        .set("gsi1sk", crate::ports::tables::s(format!("{now}#{id}")));
    match deps.tables.update(Table::Alerts, &AlertRecord::key(id), update, Condition::Equals("status".into(), how.from.into())).await {
        Ok(_) => Ok(None),
        Err(StoreError::ConditionFailed) => match get_alert(deps, id).await {
            Ok(rec) => Ok(Some(rec.status)),
            Err(AlertError::NotFound) => Err(MoveError::Store(StoreError::ConditionFailed)),
            Err(AlertError::Store(e)) => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("the alerts table failed")]
    Store(#[from] StoreError),
    #[error("sealing failed")]
    Seal(#[from] seal::SealError),
}

impl From<MoveError> for RejectError {
    fn from(e: MoveError) -> Self {
        match e {
            MoveError::Store(s) => RejectError::Store(s),
            MoveError::Seal(s) => RejectError::Seal(s),
        }
    }
}
