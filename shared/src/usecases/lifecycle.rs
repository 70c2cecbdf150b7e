//! The life of a published alert after publication: withdrawn (with a reason, kept sealed), corrected (a new version,
//! checked as an edit is; every earlier version kept sealed), and ended (`ALERT_LIFETIME_DAYS` after publication it
//! leaves the members' list and the checker).
//!
//! Telling the members who got it is the deliverer's, from the alerts stream, like the alert itself: a withdrawal (the
//! status moving from `published` to `withdrawn`) or a correction (the version moving on) makes one notice item per
//! delivery that was sent (`deliver::notices`), each sent once.

use serde::{Deserialize, Serialize};

use crate::domain::AlertId;
use crate::domain::alert::{Alert, AlertOffender};
use crate::ports::tables::{AttributeValue, from_item, s, to_attr, to_item};
use crate::ports::{Condition, EncryptionContext, Key, StoreError, Table, Update};
use crate::seal::{self, Sealed, Sealer};
use crate::usecases::submit_report::ReportRecord;

use super::Deps;
use super::alerts::{AlertRecord, AlertStatus, StatusMove, edit_findings, get_alert, move_with_reason};

/// The kind an earlier version of an alert's content is sealed under (its id is `<alert id>#v<n>`).
pub const ALERT_VERSION_KIND: &str = "alert_version";
/// The kind a withdrawal's reason is sealed under.
pub const WITHDRAWAL_KIND: &str = "alert_withdrawal";

/// An earlier version of a published alert, as it went out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertVersion {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub alert_id: AlertId,
    pub version: u32,
    /// When this version stopped being the current one, and who replaced it.
    pub replaced_at: String,
    pub replaced_by: String,
    pub sealed: Sealed<Alert>,
}

impl AlertVersion {
    pub fn key(id: &AlertId, version: u32) -> Key {
        Key::new(format!("ALERT#{id}"), format!("VERSION#{version:04}"))
    }

    pub fn context(id: &AlertId, version: u32) -> EncryptionContext {
        EncryptionContext::new(Table::Alerts.as_str(), ALERT_VERSION_KIND, &format!("{id}#v{version}"))
    }
}

/// A reviewer's correction: the fields to change, checked as an edit at publication is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub offender: Option<AlertOffender>,
}

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("there is no alert with this id")]
    NotFound,
    #[error("the alert is {0:?}, not published")]
    NotPublished(AlertStatus),
    #[error("the reason is empty or too long")]
    InvalidReason,
    #[error("the correction changes nothing, or its summary is empty or too long")]
    InvalidCorrection,
    #[error("the report behind the alert is gone, so a correction cannot be checked")]
    ReportMissing,
    #[error("the correction would identify someone other than the offender")]
    IdentifiesSomeone { kinds: Vec<String>, fields: Vec<String> },
    #[error("the alert changed meanwhile")]
    Changed,
    #[error("the alerts or reports table failed")]
    Store(#[from] StoreError),
    #[error("sealing or opening failed")]
    Seal(#[from] seal::SealError),
}

impl From<super::alerts::AlertError> for LifecycleError {
    fn from(e: super::alerts::AlertError) -> Self {
        match e {
            super::alerts::AlertError::NotFound => LifecycleError::NotFound,
            super::alerts::AlertError::Store(s) => LifecycleError::Store(s),
        }
    }
}

fn now_text(deps: &Deps) -> String {
    deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Withdraws a published alert: it leaves the members' list and the checker, its page says it was withdrawn, and the
/// deliverer tells each member who was sent it. The reason is kept sealed (it may quote the report).
pub async fn withdraw(deps: &Deps, id: &AlertId, reason: &str, by: &str) -> Result<(), LifecycleError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(LifecycleError::InvalidReason);
    }
    let rec = get_alert(deps, id).await?;
    if rec.status != AlertStatus::Published {
        return Err(LifecycleError::NotPublished(rec.status));
    }
    let how = StatusMove {
        from: AlertStatus::Published,
        to: AlertStatus::Withdrawn,
        reason_kind: WITHDRAWAL_KIND,
        reason_attr: "withdrawal_sealed",
        at_attr: "withdrawn_at",
        by_attr: "withdrawn_by",
    };
    match move_with_reason(deps, id, &how, reason, by).await? {
        None => {
            tracing::info!(alert_id = %id, "alert withdrawn");
            Ok(())
        }
        Some(now) => Err(LifecycleError::NotPublished(now)),
    }
}

impl From<super::alerts::MoveError> for LifecycleError {
    fn from(e: super::alerts::MoveError) -> Self {
        match e {
            super::alerts::MoveError::Store(s) => LifecycleError::Store(s),
            super::alerts::MoveError::Seal(s) => LifecycleError::Seal(s),
        }
    }
}

/// Corrects a published alert: the current content is kept as a version of its own, the corrected content becomes
/// the next version, and the deliverer sends it, marked as a correction, to each member who was sent the alert.
/// Returns the new version's number.
pub async fn correct(deps: &Deps, id: &AlertId, c: Correction, by: &str) -> Result<u32, LifecycleError> {
    if c.summary.is_none() && c.offender.is_none() {
        return Err(LifecycleError::InvalidCorrection);
    }
    if c.summary.as_ref().is_some_and(|s| s.trim().is_empty() || s.chars().count() > 10_000) {
        return Err(LifecycleError::InvalidCorrection);
    }
    let rec = get_alert(deps, id).await?;
    if rec.status != AlertStatus::Published {
        return Err(LifecycleError::NotPublished(rec.status));
    }
    let before = rec.open(deps.keys.as_ref()).await?;
    let mut alert = before.clone();
    if let Some(summary) = c.summary {
        alert.summary = summary;
    }
    if let Some(o) = c.offender {
        alert.offender = o;
    }
    let report = match deps.tables.get(Table::Reports, &ReportRecord::key(&rec.report_id)).await? {
        Some(item) => from_item::<ReportRecord>(item)?.open(deps.tables.as_ref(), deps.keys.as_ref()).await?,
        None => return Err(LifecycleError::ReportMissing),
    };
    if let Some((kinds, fields)) = edit_findings(&report, &alert) {
        tracing::info!(alert_id = %id, fields = fields.len(), "correction refused");
        return Err(LifecycleError::IdentifiesSomeone { kinds, fields });
    }
    drop(report);

    // The version going out of use, sealed under its own key and kind. Written once: a retry finds it.
    let now = now_text(deps);
    let kept = AlertVersion {
        pk: AlertVersion::key(id, rec.version).pk,
        sk: AlertVersion::key(id, rec.version).sk,
        kind: ALERT_VERSION_KIND.into(),
        alert_id: id.clone(),
        version: rec.version,
        replaced_at: now.clone(),
        replaced_by: by.to_owned(),
        sealed: Sealed::seal(&Sealer::for_record(deps.keys.as_ref(), AlertVersion::context(id, rec.version)).await?, &before),
    };
    match deps.tables.put(Table::Alerts, to_item(&kept)?, Condition::NotExists).await {
        Ok(()) | Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e.into()),
    }
    // The offender index follows the corrected identifiers, as at publication.
    let offender_keys = super::offenders::keys_of(deps.keys.as_ref(), &alert.offender).await.map_err(seal::SealError::from)?;
    super::offenders::index(deps, id, &offender_keys).await?;
    let dropped: Vec<String> = rec.offender_keys.iter().filter(|k| !offender_keys.contains(k)).cloned().collect();

    let version = rec.version + 1;
    let sealer = Sealer::for_record(deps.keys.as_ref(), AlertRecord::context(id, AlertStatus::Published)).await?;
    let update = Update::default()
        .set("sealed", AttributeValue::B(sealer.seal_json(&alert)))
        .set("version", AttributeValue::N(version.to_string()))
        .set("corrected_at", s(now))
        .set("offender_keys", to_attr(&offender_keys)?);
    // An alert published before versions were counted holds no `version` (it reads as 1): give it its number first.
    let number = Update::default().set("version", AttributeValue::N("1".into()));
    match deps.tables.update(Table::Alerts, &AlertRecord::key(id), number, Condition::AttrNotExists("version".into())).await {
        Ok(_) | Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e.into()),
    }
    let cond = Condition::And(vec![
        Condition::Equals("status".into(), AlertStatus::Published.into()),
        Condition::Equals("version".into(), AttributeValue::N(rec.version.to_string())),
    ]);
    match deps.tables.update(Table::Alerts, &AlertRecord::key(id), update, cond).await {
        Ok(_) => {
            super::offenders::unindex(deps, id, &dropped).await?;
            tracing::info!(alert_id = %id, version, "alert corrected");
            Ok(version)
        }
        Err(StoreError::ConditionFailed) => Err(LifecycleError::Changed),
        Err(e) => Err(e.into()),
    }
}
