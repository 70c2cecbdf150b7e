//! The safeguarding override: the one exception to consent, where someone is at risk of serious harm.
//!
//! A member of staff asks for it with a written reason; alone it does nothing. A second person, of a senior role
//! (`staff::may(.., ApproveOverride)`: an admin) and not the one who asked, approves it; only then may a disclosure
//! rest on it, and every disclosure that does is logged with basis `safeguarding_override` and the override's id.
//! The reporter is told afterwards (a message in their thread, with the usual content-free notice), when the first
//! disclosure under it goes, unless the request recorded that telling them would itself endanger someone: then the
//! reason for not telling is recorded (sealed) and nothing is sent.
//!
//! An override lives in the reports table (`OVERRIDE#{id}` / `OVERRIDE`); its reasons are sealed under kind
//! `override_reason`, never logged.

use serde::{Deserialize, Serialize};

use super::Deps;
use crate::domain::ReportId;
use crate::domain::ids::random_base32;
use crate::domain::status::stored_enum;
use crate::ports::tables::{attr_str, from_item, s, to_item};
use crate::ports::{Condition, EncryptionContext, Key, StoreError, Table, Update};
use crate::seal::{SealError, Sealed};
use crate::usecases::follow_up::FollowUpError;
use crate::usecases::submit_report::{REPORT_KIND, ReportRecord};

pub const OVERRIDE_KIND: &str = "safeguarding_override";
pub const OVERRIDE_REASON_KIND: &str = "override_reason";
/// The shortest reason that says something.
pub const MIN_REASON_CHARS: usize = 20;

/// What the reporter is told, in their thread, when information went on under an override.
pub const TOLD_TEXT: &str = "We have passed on some information from your report without your agreement, because we believed \
someone was at risk of serious harm. This is the one exception we told you about when you reported. You can reply here, \
and a caseworker will explain what was shared and why.";

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum OverrideStatus { AwaitingApproval => "awaiting_approval", Approved => "approved" }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OverrideRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub override_id: String,
    pub report_id: ReportId,
    pub status: OverrideStatus,
    pub requested_by: String,
    pub requested_at: String,
    pub reason_sealed: Sealed<String>,
    /// Whether the reporter is told afterwards.
    pub tell_reporter: bool,
    /// Why not, where telling would endanger someone (sealed).
    #[serde(default, skip_serializing_if = "Sealed::is_empty")]
    pub not_told_reason_sealed: Sealed<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_told_at: Option<String>,
    /// The report's overrides, for the retention run ([`by_report_partition`]); absent on overrides made before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
}

/// The index partition of one report's safeguarding overrides.
pub fn by_report_partition(report: &ReportId) -> String {
    format!("OVERRIDES_OF#{report}")
}

impl OverrideRecord {
    pub fn key(id: &str) -> Key {
        Key::new(format!("OVERRIDE#{id}"), "OVERRIDE")
    }

    pub fn context(id: &str) -> EncryptionContext {
        EncryptionContext::new(Table::Reports.as_str(), OVERRIDE_REASON_KIND, id)
    }
}

/// An override as staff read it.
#[derive(Debug, Clone, Serialize)]
pub struct OverrideView {
    pub override_id: String,
    pub report_id: ReportId,
    pub status: OverrideStatus,
    pub requested_by: String,
    pub requested_at: String,
    pub reason: String,
    pub tell_reporter: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_told_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter_told_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("there is no report with this id")]
    NoReport,
    #[error("there is no override with this id")]
    NoOverride,
    /// It has not had its second approval: it allows nothing.
    #[error("the override is not approved")]
    NotApproved,
    /// It was approved for another report.
    #[error("the override is for another report")]
    OtherReport,
    #[error("the approver asked for the override")]
    SamePerson,
    #[error("the override is already approved")]
    AlreadyApproved,
    #[error("invalid input")]
    Invalid { field: &'static str, message: String },
    #[error("the reports table failed")]
    Store(#[from] StoreError),
    #[error("sealing or opening failed")]
    Seal(#[from] SealError),
    #[error("telling the reporter failed")]
    Tell(#[source] Box<FollowUpError>),
}

pub fn is_override_id(s: &str) -> bool {
    s.len() == 16 && s.starts_with("SO-") && s[3..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

fn now(deps: &Deps) -> String {
    deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn reason(field: &'static str, raw: Option<&str>) -> Result<String, OverrideError> {
    let r = raw.map(str::trim).unwrap_or("");
    let n = r.chars().count();
    if !(MIN_REASON_CHARS..=crate::usecases::casework::MAX_NOTE_CHARS).contains(&n) {
        return Err(OverrideError::Invalid {
            field,
            message: format!(
                "{field} is the written reason, {MIN_REASON_CHARS} to {} characters: who is at risk of what serious harm, and why now.",
                crate::usecases::casework::MAX_NOTE_CHARS
            ),
        });
    }
    Ok(r.to_owned())
}

/// Asks for an override. Nothing is allowed by it until a second, senior person approves it.
pub async fn request(
    deps: &Deps,
    report_id: &ReportId,
    by: &str,
    why: Option<&str>,
    tell_reporter: bool,
    not_told_reason: Option<&str>,
) -> Result<OverrideRecord, OverrideError> {
    let item = deps.tables.get(Table::Reports, &ReportRecord::key(report_id)).await?.ok_or(OverrideError::NoReport)?;
    if attr_str(&item, "kind") != Some(REPORT_KIND) {
        return Err(OverrideError::NoReport);
    }
    let why = reason("reason", why)?;
    let not_told = if tell_reporter { None } else { Some(reason("not_told_reason", not_told_reason)?) };
    let id = format!("SO-{}", random_base32(13));
    let sealer =
        super::report_keys::sealer(deps.tables.as_ref(), deps.keys.as_ref(), report_id, OVERRIDE_REASON_KIND, OverrideRecord::context(&id))
            .await?;
    let key = OverrideRecord::key(&id);
    let rec = OverrideRecord {
        pk: key.pk,
        sk: key.sk,
        kind: OVERRIDE_KIND.into(),
        override_id: id.clone(),
        report_id: report_id.clone(),
        status: OverrideStatus::AwaitingApproval,
        requested_by: by.to_owned(),
        requested_at: now(deps),
        reason_sealed: Sealed::seal(&sealer, &why),
        tell_reporter,
        not_told_reason_sealed: not_told.map(|r| Sealed::seal(&sealer, &r)).unwrap_or_default(),
        approved_by: None,
        approved_at: None,
        reporter_told_at: None,
        gsi1pk: Some(by_report_partition(report_id)),
        gsi1sk: Some(id.clone()),
    };
    deps.tables.put(Table::Reports, to_item(&rec)?, Condition::NotExists).await?;
    tracing::warn!(report_id = %report_id, override_id = %id, "safeguarding override requested");
    Ok(rec)
}

pub async fn get(deps: &Deps, id: &str) -> Result<OverrideRecord, OverrideError> {
    if !is_override_id(id) {
        return Err(OverrideError::NoOverride);
    }
    let item = deps.tables.get(Table::Reports, &OverrideRecord::key(id)).await?.ok_or(OverrideError::NoOverride)?;
    Ok(from_item(item)?)
}

pub async fn view(deps: &Deps, id: &str) -> Result<OverrideView, OverrideError> {
    let o = get(deps, id).await?;
    let ctx = OverrideRecord::context(id);
    let key = super::report_keys::load(deps.tables.as_ref(), deps.keys.as_ref(), &o.report_id, OVERRIDE_REASON_KIND).await?;
    let reason = o.reason_sealed.open_in(deps.keys.as_ref(), key.as_ref(), &ctx).await?;
    let not_told_reason = if o.not_told_reason_sealed.is_empty() {
        None
    } else {
        Some(o.not_told_reason_sealed.open_in(deps.keys.as_ref(), key.as_ref(), &ctx).await?)
    };
    Ok(OverrideView {
        override_id: o.override_id,
        report_id: o.report_id,
        status: o.status,
        requested_by: o.requested_by,
        requested_at: o.requested_at,
        reason,
        tell_reporter: o.tell_reporter,
        not_told_reason,
        approved_by: o.approved_by,
        approved_at: o.approved_at,
        reporter_told_at: o.reporter_told_at,
    })
}

/// The second approval. The caller has checked the approver's role (senior); here: not the person who asked.
pub async fn approve(deps: &Deps, id: &str, by: &str) -> Result<OverrideRecord, OverrideError> {
    let o = get(deps, id).await?;
    if o.requested_by == by {
        return Err(OverrideError::SamePerson);
    }
    let update = Update::default().set("status", OverrideStatus::Approved).set("approved_by", s(by)).set("approved_at", s(now(deps)));
    let cond = Condition::Equals("status".into(), OverrideStatus::AwaitingApproval.as_attr());
    match deps.tables.update(Table::Reports, &OverrideRecord::key(id), update, cond).await {
        Ok(item) => {
            tracing::warn!(override_id = %id, "safeguarding override approved");
            Ok(from_item(item)?)
        }
        Err(StoreError::ConditionFailed) => Err(OverrideError::AlreadyApproved),
        Err(e) => Err(e.into()),
    }
}

/// Fails unless the override is approved and for this report: what a disclosure under it checks, each time.
pub async fn require_approved(deps: &Deps, id: &str, report_id: &ReportId) -> Result<OverrideRecord, OverrideError> {
    let o = get(deps, id).await?;
    if &o.report_id != report_id {
        return Err(OverrideError::OtherReport);
    }
    if o.status != OverrideStatus::Approved {
        return Err(OverrideError::NotApproved);
    }
    Ok(o)
}

/// After a disclosure under the override: tells the reporter once (a message in their thread, and the notice where
/// they allow contact), unless the override recorded that telling would endanger someone. Returns whether a message
/// was written now.
pub async fn tell_reporter(deps: &Deps, id: &str) -> Result<bool, OverrideError> {
    let o = get(deps, id).await?;
    if !o.tell_reporter || o.reporter_told_at.is_some() {
        return Ok(false);
    }
    let update = Update::default().set("reporter_told_at", s(now(deps)));
    match deps.tables.update(Table::Reports, &OverrideRecord::key(id), update, Condition::AttrNotExists("reporter_told_at".into())).await {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    crate::usecases::thread::caseworker_message(deps, &o.report_id, TOLD_TEXT).await.map_err(|e| OverrideError::Tell(Box::new(e)))?;
    tracing::info!(override_id = %id, "reporter told of the safeguarding override");
    Ok(true)
}
