//! When police link a report to other crimes and ask for the reporter: the request, the reporter's answer, the release.
//!
//! A caseworker records the request (force, police reference, what is asked, deadline); the reporter is asked at once
//! through the follow-up thread, which leaves the usual content-free notice on the channel and in the hours they chose.
//! Their answer is the `share_identity_with_police` consent, an entry of the ledger like any other. The identity is
//! released only while that consent holds (read at each step), after one person asks for the release and a second,
//! different person approves it; the release writes a disclosure log entry (`what: identity`). A request still open
//! after its deadline is flagged to the caseworkers on duty by the scheduled step, once.
//!
//! A request lives beside its report (`REPORT#{id}` / `LINK#{request_id}`); force, reference and what is asked are
//! sealed together under kind `link_request`. Open requests are listed by deadline through `gsi1` (`LINK_REQUESTS#open`).

use serde::{Deserialize, Serialize};

use super::Deps;
use super::follow_up::consent_of;
use super::police::{Basis, DisclosureRecord, log_disclosure};
use crate::domain::ReportId;
use crate::domain::ids::random_base32;
use crate::domain::status::stored_enum;
use crate::ports::tables::{attr_str, from_item, query_all, s, to_item};
use crate::ports::{Condition, EncryptionContext, Index, Key, Query, SortCondition, StoreError, Table, Update};
use crate::seal::{SealError, Sealed};
use crate::usecases::submit_report::{REPORT_KIND, ReportRecord};

pub const LINK_KIND: &str = "link_request";
pub const OPEN_PARTITION: &str = "LINK_REQUESTS#open";

/// What the reporter is told in the thread when police ask.
pub const ASK_TEXT: &str = "Police have linked your report to other crimes and ask whether they may have your name and how to \
reach you. Nothing about you goes to them unless you say yes. Your answer is the last choice on this page (\"Police may have \
my name...\"): tick it and save for yes, or leave it unticked for no. You can reply here with any question.";

stored_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum LinkStatus { AskingReporter => "asking_reporter", ReleaseRequested => "release_requested", Released => "released" }
}

/// What police asked, sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDetails {
    pub force: String,
    pub reference: String,
    pub asks: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub request_id: String,
    pub report_id: ReportId,
    pub status: LinkStatus,
    /// The last day police gave, `YYYY-MM-DD`.
    pub deadline: String,
    pub created_by: String,
    pub created_at: String,
    pub details_sealed: Sealed<LinkDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_requested_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
}

impl LinkRecord {
    pub fn key(report: &ReportId, id: &str) -> Key {
        Key::new(format!("REPORT#{report}"), format!("LINK#{id}"))
    }

    pub fn context(report: &ReportId, id: &str) -> EncryptionContext {
        EncryptionContext::new(Table::Reports.as_str(), LINK_KIND, &format!("{report}/{id}"))
    }
}

/// A request as staff read it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub request_id: String,
    pub report_id: ReportId,
    pub status: LinkStatus,
    pub deadline: String,
    pub overdue: bool,
    pub created_by: String,
    pub created_at: String,
    #[serde(flatten)]
    pub details: LinkDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_requested_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub released_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disclosure_number: Option<String>,
    /// The reporter's answer now: whether the identity may go.
    pub identity_consent: bool,
}

/// What is released: the reporter's name and contact as the report holds them.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub name: Option<String>,
    pub working_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("there is no report with this id")]
    NoReport,
    #[error("there is no such request on this report")]
    NoRequest,
    #[error("the reporter has not consented to their identity going to police")]
    NoConsent,
    #[error("the approver asked for the release")]
    SamePerson,
    #[error("the request is {0}")]
    WrongState(&'static str),
    #[error("invalid input")]
    Invalid { field: &'static str, message: String },
    #[error("the reports table failed")]
    Store(#[from] StoreError),
    #[error("sealing or opening failed")]
    Seal(#[from] SealError),
    #[error("asking the reporter failed")]
    Ask(#[source] Box<crate::usecases::follow_up::FollowUpError>),
    #[error("the disclosure log failed")]
    Log(#[source] Box<crate::usecases::police::PoliceError>),
}

fn invalid(field: &'static str, message: impl Into<String>) -> LinkError {
    LinkError::Invalid { field, message: message.into() }
}

fn now(deps: &Deps) -> String {
    deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn text(field: &'static str, raw: &str, min: usize, max: usize) -> Result<String, LinkError> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid(field, format!("{field} is {min} to {max} characters.")));
    }
    Ok(t.to_owned())
}

/// What a caseworker records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    pub force: String,
    pub reference: String,
    pub asks: String,
    pub deadline: String,
}

async fn report(deps: &Deps, id: &ReportId) -> Result<ReportRecord, LinkError> {
    let item = deps.tables.get(Table::Reports, &ReportRecord::key(id)).await?.ok_or(LinkError::NoReport)?;
    if attr_str(&item, "kind") != Some(REPORT_KIND) {
        return Err(LinkError::NoReport);
    }
    Ok(from_item(item)?)
}

fn open_sort(deadline: &str, id: &str) -> String {
    format!("{deadline}T23:59:59.999Z#{id}")
}

/// Records a police request and asks the reporter (a message in the thread; a notice where they allow contact).
pub async fn record(deps: &Deps, report_id: &ReportId, by: &str, new: NewLink) -> Result<LinkRecord, LinkError> {
    report(deps, report_id).await?;
    let details = LinkDetails {
        force: text("force", &new.force, 2, 120)?,
        reference: text("reference", &new.reference, 1, 80)?,
        asks: text("asks", &new.asks, 5, crate::usecases::casework::MAX_NOTE_CHARS)?,
    };
    let deadline = chrono::NaiveDate::parse_from_str(new.deadline.trim(), "%Y-%m-%d")
        .map_err(|_| invalid("deadline", "deadline is the last day police gave, as YYYY-MM-DD."))?
        .format("%Y-%m-%d")
        .to_string();
    let id = format!("LR-{}", random_base32(13));
    let sealer =
        super::report_keys::sealer(deps.tables.as_ref(), deps.keys.as_ref(), report_id, LINK_KIND, LinkRecord::context(report_id, &id))
            .await?;
    let key = LinkRecord::key(report_id, &id);
    let rec = LinkRecord {
        pk: key.pk,
        sk: key.sk,
        kind: LINK_KIND.into(),
        request_id: id.clone(),
        report_id: report_id.clone(),
        status: LinkStatus::AskingReporter,
        deadline: deadline.clone(),
        created_by: by.to_owned(),
        created_at: now(deps),
        details_sealed: Sealed::seal(&sealer, &details),
        release_requested_by: None,
        released_by: None,
        released_at: None,
        disclosure_number: None,
        gsi1pk: Some(OPEN_PARTITION.into()),
        gsi1sk: Some(open_sort(&deadline, &id)),
    };
    deps.tables.put(Table::Reports, to_item(&rec)?, Condition::NotExists).await?;
    crate::usecases::thread::caseworker_message(deps, report_id, ASK_TEXT).await.map_err(|e| LinkError::Ask(Box::new(e)))?;
    tracing::info!(report_id = %report_id, request_id = %id, "police link request recorded; the reporter is asked");
    Ok(rec)
}

pub fn is_request_id(s: &str) -> bool {
    s.len() == 16 && s.starts_with("LR-") && s[3..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

async fn get(deps: &Deps, report_id: &ReportId, id: &str) -> Result<LinkRecord, LinkError> {
    if !is_request_id(id) {
        return Err(LinkError::NoRequest);
    }
    let item = deps.tables.get(Table::Reports, &LinkRecord::key(report_id, id)).await?.ok_or(LinkError::NoRequest)?;
    Ok(from_item(item)?)
}

fn overdue(deps: &Deps, deadline: &str, status: LinkStatus) -> bool {
    status != LinkStatus::Released && open_sort(deadline, "") < now(deps)
}

/// The requests of a report, each with its details and the reporter's answer now.
pub async fn list(deps: &Deps, report_id: &ReportId) -> Result<Vec<LinkView>, LinkError> {
    let consent = consent_of(deps, report_id).await?.ok_or(LinkError::NoReport)?;
    let mut q = Query::partition(Index::Primary, format!("REPORT#{report_id}"));
    q.sort = SortCondition::BeginsWith("LINK#".into());
    let mut out = Vec::new();
    let key = super::report_keys::load(deps.tables.as_ref(), deps.keys.as_ref(), report_id, LINK_KIND).await?;
    for item in query_all(deps.tables.as_ref(), Table::Reports, q).await? {
        let r: LinkRecord = from_item(item)?;
        let details = r.details_sealed.open_in(deps.keys.as_ref(), key.as_ref(), &LinkRecord::context(report_id, &r.request_id)).await?;
        out.push(LinkView {
            overdue: overdue(deps, &r.deadline, r.status),
            request_id: r.request_id,
            report_id: r.report_id,
            status: r.status,
            deadline: r.deadline,
            created_by: r.created_by,
            created_at: r.created_at,
            details,
            release_requested_by: r.release_requested_by,
            released_by: r.released_by,
            released_at: r.released_at,
            disclosure_number: r.disclosure_number,
            identity_consent: consent.identity_to_police(),
        });
    }
    Ok(out)
}

/// The open requests of a report, for the reporter's page: deadlines only, never what police asked.
pub async fn open_deadlines(deps: &Deps, report_id: &ReportId) -> Result<Vec<String>, StoreError> {
    let mut q = Query::partition(Index::Primary, format!("REPORT#{report_id}"));
    q.sort = SortCondition::BeginsWith("LINK#".into());
    let mut out = Vec::new();
    for item in query_all(deps.tables.as_ref(), Table::Reports, q).await? {
        if LinkStatus::of(&item, "status") != Some(LinkStatus::Released)
            && let Some(d) = attr_str(&item, "deadline")
        {
            out.push(d.to_owned());
        }
    }
    Ok(out)
}

async fn identity_consent(deps: &Deps, report_id: &ReportId) -> Result<(), LinkError> {
    let c = consent_of(deps, report_id).await?.ok_or(LinkError::NoReport)?;
    if c.identity_to_police() { Ok(()) } else { Err(LinkError::NoConsent) }
}

/// The first person asks for the release, while the reporter's consent holds.
pub async fn request_release(deps: &Deps, report_id: &ReportId, id: &str, by: &str) -> Result<LinkRecord, LinkError> {
    let r = get(deps, report_id, id).await?;
    if r.status != LinkStatus::AskingReporter {
        return Err(LinkError::WrongState(r.status.as_str()));
    }
    identity_consent(deps, report_id).await?;
    let update = Update::default().set("status", LinkStatus::ReleaseRequested).set("release_requested_by", s(by));
    let cond = Condition::Equals("status".into(), LinkStatus::AskingReporter.as_attr());
    match deps.tables.update(Table::Reports, &LinkRecord::key(report_id, id), update, cond).await {
        Ok(item) => Ok(from_item(item)?),
        Err(StoreError::ConditionFailed) => Err(LinkError::WrongState("changed by someone else")),
        Err(e) => Err(e.into()),
    }
}

/// A second, different person approves the release, while the reporter's consent still holds: the identity is
/// returned once, and the disclosure log records it.
pub async fn approve_release(deps: &Deps, report_id: &ReportId, id: &str, by: &str) -> Result<(LinkRecord, Identity), LinkError> {
    let r = get(deps, report_id, id).await?;
    if r.release_requested_by.as_deref() == Some(by) {
        return Err(LinkError::SamePerson);
    }
    if r.status != LinkStatus::ReleaseRequested {
        return Err(LinkError::WrongState(r.status.as_str()));
    }
    identity_consent(deps, report_id).await?;
    let details = super::report_keys::open(
        deps.tables.as_ref(),
        deps.keys.as_ref(),
        report_id,
        LINK_KIND,
        &r.details_sealed,
        &LinkRecord::context(report_id, id),
    )
    .await?;
    let rep = report(deps, report_id).await?.open(deps.tables.as_ref(), deps.keys.as_ref()).await?;
    let who = rep.reporter.clone().unwrap_or_default();
    drop(rep);
    let update = Update::default()
        .set("status", LinkStatus::Released)
        .set("released_by", s(by))
        .set("released_at", s(now(deps)))
        .remove("gsi1pk")
        .remove("gsi1sk");
    let cond = Condition::Equals("status".into(), LinkStatus::ReleaseRequested.as_attr());
    let rec: LinkRecord = match deps.tables.update(Table::Reports, &LinkRecord::key(report_id, id), update, cond).await {
        Ok(item) => from_item(item)?,
        Err(StoreError::ConditionFailed) => return Err(LinkError::WrongState("changed by someone else")),
        Err(e) => return Err(e.into()),
    };
    let entry = DisclosureRecord {
        pk: String::new(),
        sk: String::new(),
        kind: String::new(),
        disclosure_number: String::new(),
        what: "identity".into(),
        package_id: id.to_owned(),
        report_id: report_id.clone(),
        recipient: details.force,
        basis: Basis::Consent,
        override_id: None,
        at: String::new(),
        by: by.to_owned(),
        approved_by: rec.release_requested_by.clone().unwrap_or_default(),
    };
    let entry = log_disclosure(deps, entry).await.map_err(|e| LinkError::Log(Box::new(e)))?;
    let update = Update::default().set("disclosure_number", s(entry.disclosure_number.clone()));
    let rec: LinkRecord = from_item(deps.tables.update(Table::Reports, &LinkRecord::key(report_id, id), update, Condition::Exists).await?)?;
    tracing::info!(report_id = %report_id, request_id = %id, disclosure = %entry.disclosure_number, "identity released to police");
    Ok((
        rec,
        Identity { name: who.name.clone(), working_name: who.working_name.clone(), email: who.email.clone(), phone: who.phone.clone() },
    ))
}

/// The open requests whose deadline has passed (report id, request id), for the scheduled step.
pub async fn overdue_requests(deps: &Deps) -> Result<Vec<(ReportId, String)>, StoreError> {
    let mut q = Query::partition(Index::Gsi1, OPEN_PARTITION);
    q.sort = SortCondition::Between("0".into(), format!("{}#", now(deps)));
    let mut out = Vec::new();
    for item in query_all(deps.tables.as_ref(), Table::Reports, q).await? {
        let r: LinkRecord = from_item(item)?;
        // The index is eventually consistent in DynamoDB: trust the item's own status.
        if r.status != LinkStatus::Released {
            out.push((r.report_id, r.request_id));
        }
    }
    Ok(out)
}
