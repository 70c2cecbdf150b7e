//! The consent, disclosure and safeguarding paths of the staff API. Routing, permissions and the audit entry written
//! before each request are `admin.rs`'s, as for every staff path; this file says which paths exist and what each does.
//!
//! | method, path | action |
//! | --- | --- |
//! | `GET /admin/reports/{report_id}/consent` | the consent now and its ledger (caseworkers' notes opened) |
//! | `POST /admin/reports/{report_id}/consent` | `{"consent": {...}, "how": "phone"\|"in_person", "note"}`: the reporter's word, recorded by staff |
//! | `POST /admin/reports/{report_id}/police-package` | `{"override_id"?}` → 201 `{"package_id", "status": "awaiting_approval"}`; 409 `no_consent` |
//! | `GET /admin/police-packages/{package_id}` | `{"package_id", "status", "content": {...}}` |
//! | `POST /admin/police-packages/{package_id}/approve` | 200 `{"status": "approved"}`; 409 `same_person`, `no_consent` |
//! | `POST /admin/police-packages/{package_id}/export` | `{"recipient"}` → 200 `{"status": "exported", "disclosure_number", "document", "signature"}` |
//! | `GET /admin/police-packages/{package_id}/print` | the printable page of an exported package |
//! | `GET /admin/disclosures` | the disclosure log |
//! | `POST /admin/reports/{report_id}/safeguarding-overrides` | `{"reason", "tell_reporter", "not_told_reason"?}` → 201 |
//! | `GET /admin/safeguarding-overrides/{override_id}` | the override, reasons opened |
//! | `POST /admin/safeguarding-overrides/{override_id}/approve` | a senior second person: 200 `{"status": "approved"}` |
//! | `GET`/`POST /admin/reports/{report_id}/link-requests` | police link requests: list; record `{"force", "reference", "asks", "deadline"}` |
//! | `POST /admin/reports/{report_id}/link-requests/{request_id}/release` | one person asks for the identity's release |
//! | `POST /admin/reports/{report_id}/link-requests/{request_id}/approve-release` | a second person releases it |

use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::admin::{AdminDeps, parse_json};
use super::{Request, Response, html, json};
use crate::domain::ReportId;
use crate::error::ApiError;
use crate::staff::{Action, Staff};
use crate::usecases::Deps;
use crate::usecases::follow_up::{self, ConsentChange, ConsentHow};
use crate::usecases::link_requests::{self, LinkError, NewLink};
use crate::usecases::police::{self, PoliceError, is_package_id};
use crate::usecases::safeguarding::{self, OverrideError, is_override_id};
use crate::usecases::submit_report::ReportRecord;

pub fn resolve<'a>(method: &Method, segments: &[&'a str]) -> Option<(Action, &'a str)> {
    match (method, segments) {
        (&Method::GET, ["admin", "reports", id, "consent"]) => Some((Action::ReadConsent, *id)),
        (&Method::POST, ["admin", "reports", id, "consent"]) => Some((Action::RecordConsent, *id)),
        (&Method::POST, ["admin", "reports", id, "police-package"]) => Some((Action::BuildPolicePackage, *id)),
        (&Method::GET, ["admin", "police-packages", id]) => Some((Action::ReadPolicePackage, *id)),
        (&Method::POST, ["admin", "police-packages", id, "approve"]) => Some((Action::ApprovePolicePackage, *id)),
        (&Method::POST, ["admin", "police-packages", id, "export"]) => Some((Action::ExportPolicePackage, *id)),
        (&Method::GET, ["admin", "police-packages", id, "print"]) => Some((Action::PrintPolicePackage, *id)),
        (&Method::GET, ["admin", "disclosures"]) => Some((Action::ListDisclosures, "")),
        (&Method::POST, ["admin", "reports", id, "safeguarding-overrides"]) => Some((Action::RequestOverride, *id)),
        (&Method::GET, ["admin", "safeguarding-overrides", id]) => Some((Action::ReadOverride, *id)),
        (&Method::POST, ["admin", "safeguarding-overrides", id, "approve"]) => Some((Action::ApproveOverride, *id)),
        (&Method::GET, ["admin", "reports", id, "link-requests"]) => Some((Action::ListLinkRequests, *id)),
        (&Method::POST, ["admin", "reports", id, "link-requests"]) => Some((Action::RecordLinkRequest, *id)),
        // The report's id is the audit target; the request's id is read from the path again by the handler.
        (&Method::POST, ["admin", "reports", id, "link-requests", _, "release"]) => Some((Action::RequestIdentityRelease, *id)),
        (&Method::POST, ["admin", "reports", id, "link-requests", _, "approve-release"]) => Some((Action::ApproveIdentityRelease, *id)),
        _ => None,
    }
}

pub fn known(segments: &[&str]) -> bool {
    matches!(
        segments,
        ["admin", "reports", _, "consent" | "police-package" | "safeguarding-overrides" | "link-requests"]
            | ["admin", "reports", _, "link-requests", _, "release" | "approve-release"]
            | ["admin", "police-packages", _]
            | ["admin", "police-packages", _, "approve" | "export" | "print"]
            | ["admin", "disclosures"]
            | ["admin", "safeguarding-overrides", _]
            | ["admin", "safeguarding-overrides", _, "approve"]
    )
}

pub fn handles(action: Action) -> bool {
    use Action::*;
    matches!(
        action,
        ReadConsent
            | RecordConsent
            | BuildPolicePackage
            | ReadPolicePackage
            | ApprovePolicePackage
            | ExportPolicePackage
            | PrintPolicePackage
            | ListDisclosures
            | RequestOverride
            | ReadOverride
            | ApproveOverride
            | RecordLinkRequest
            | ListLinkRequests
            | RequestIdentityRelease
            | ApproveIdentityRelease
    )
}

pub fn audit_target(action: Action, raw: &str) -> String {
    use Action::*;
    let ok = match action {
        ReadConsent
        | RecordConsent
        | BuildPolicePackage
        | RequestOverride
        | RecordLinkRequest
        | ListLinkRequests
        | RequestIdentityRelease
        | ApproveIdentityRelease => {
            return ReportId::parse(raw).map(|id| id.to_string()).unwrap_or_else(|_| "invalid".into());
        }
        ReadPolicePackage | ApprovePolicePackage | ExportPolicePackage | PrintPolicePackage => is_package_id(raw),
        ReadOverride | ApproveOverride => is_override_id(raw),
        _ => raw.is_empty(),
    };
    if ok { raw.to_owned() } else { "invalid".into() }
}

impl From<OverrideError> for ApiError {
    fn from(e: OverrideError) -> Self {
        match e {
            OverrideError::NoReport => ApiError::not_found("There is no report with this id."),
            OverrideError::NoOverride => ApiError::not_found("There is no safeguarding override with this id."),
            OverrideError::NotApproved => ApiError::conflict(
                "override_not_approved",
                "This safeguarding override has not had its second approval by a senior member of staff, so it allows nothing yet. Nothing was done.",
            ),
            OverrideError::OtherReport => {
                ApiError::conflict("override_other_report", "This safeguarding override was approved for another report. Nothing was done.")
            }
            OverrideError::SamePerson => ApiError::conflict(
                "same_person",
                "You asked for this override; a different senior member of staff must approve it. Nothing was changed.",
            ),
            OverrideError::AlreadyApproved => ApiError::conflict("already_approved", "This override is already approved."),
            OverrideError::Invalid { field, message } => ApiError::bad_request("invalid_body", message).with_field(field),
            OverrideError::Store(e) => e.into(),
            OverrideError::Seal(e) => e.into(),
            OverrideError::Tell(e) => (*e).into(),
        }
    }
}

impl From<LinkError> for ApiError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::NoReport => ApiError::not_found("There is no report with this id."),
            LinkError::NoRequest => ApiError::not_found("This report has no police request with this id."),
            LinkError::NoConsent => ApiError::conflict(
                "no_consent",
                "The reporter has not agreed (now) that police may have their name and contact. Nothing was released; the request waits for their answer.",
            ),
            LinkError::SamePerson => ApiError::conflict(
                "same_person",
                "You asked for this release; a different member of staff must approve it. Nothing was released.",
            ),
            LinkError::WrongState(state) => {
                ApiError::conflict("wrong_state", format!("This request is {}: that step is not possible now.", state.replace('_', " ")))
            }
            LinkError::Invalid { field, message } => ApiError::bad_request("invalid_body", message).with_field(field),
            LinkError::Store(e) => e.into(),
            LinkError::Seal(e) => e.into(),
            LinkError::Ask(e) => (*e).into(),
            LinkError::Log(e) => (*e).into(),
        }
    }
}

impl From<PoliceError> for ApiError {
    fn from(e: PoliceError) -> Self {
        match e {
            PoliceError::NoReport => ApiError::not_found("There is no report with this id."),
            PoliceError::NoPackage => ApiError::not_found("There is no police package with this id."),
            PoliceError::NoConsent => ApiError::conflict(
                "no_consent",
                "The reporter does not consent (now) to sharing this report with police, and no approved safeguarding override covers it. Nothing was shared; ask the reporter through the follow-up thread.",
            ),
            PoliceError::SamePerson => ApiError::conflict(
                "same_person",
                "You built this package; a different member of staff must approve it. Nothing was changed.",
            ),
            PoliceError::WrongState(state) => {
                ApiError::conflict("wrong_state", format!("This package is {}: that step is not possible now.", state.replace('_', " ")))
            }
            PoliceError::Invalid { field, message } => ApiError::bad_request("invalid_body", message).with_field(field),
            PoliceError::Override(e) => e.into(),
            PoliceError::Store(e) => e.into(),
            PoliceError::Seal(e) => e.into(),
            PoliceError::Key(e) => e.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffConsentBody {
    consent: ConsentChange,
    how: String,
    #[serde(default)]
    note: Option<String>,
}

impl Drop for StaffConsentBody {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        if let Some(n) = self.note.as_mut() {
            n.zeroize();
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct BuildBody {
    #[serde(default)]
    override_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportBody {
    recipient: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverrideBody {
    reason: String,
    tell_reporter: bool,
    #[serde(default)]
    not_told_reason: Option<String>,
}

fn report_id(raw: &str) -> Result<ReportId, ApiError> {
    ReportId::parse(raw).map_err(|_| ApiError::not_found("There is no report with this id."))
}

async fn report(deps: &Deps, id: &ReportId) -> Result<ReportRecord, ApiError> {
    let not_found = || ApiError::not_found("There is no report with this id.");
    let item = deps.tables.get(crate::ports::Table::Reports, &ReportRecord::key(id)).await?.ok_or_else(not_found)?;
    if crate::ports::tables::attr_str(&item, "kind") != Some(crate::usecases::submit_report::REPORT_KIND) {
        return Err(not_found());
    }
    Ok(crate::ports::tables::from_item(item)?)
}

/// Runs one of these requests; the caller has checked the role and written the audit entry.
pub async fn handle(deps: &AdminDeps, req: &Request, staff: &Staff, action: Action, target: &str) -> Result<Response, ApiError> {
    let core = Deps { tables: deps.tables.clone(), keys: deps.keys.clone(), clock: deps.clock.clone() };
    let me = staff.subject.as_str();
    match action {
        Action::ReadConsent => {
            let id = report_id(target)?;
            let rec = report(&core, &id).await?;
            let mut history = Vec::new();
            let note_key =
                crate::usecases::report_keys::load(core.tables.as_ref(), core.keys.as_ref(), &id, follow_up::CONSENT_NOTE_KIND).await?;
            for e in follow_up::consent_history(&core, &id).await? {
                let note = if e.note_sealed.is_empty() {
                    None
                } else {
                    Some(
                        e.note_sealed
                            .open_in(core.keys.as_ref(), note_key.as_ref(), &follow_up::ConsentEntry::note_context(&id, &e.entry_id))
                            .await?,
                    )
                };
                history.push(json!({"at": e.at, "who": e.who, "how": e.how, "change": e.change, "note": note}));
            }
            let now = follow_up::current_consent(&core, &rec).await?;
            Ok(json(StatusCode::OK, &json!({"consent": now, "history": history})))
        }
        Action::RecordConsent => {
            let id = report_id(target)?;
            let body: StaffConsentBody = parse_json(req)?;
            let how = match body.how.trim() {
                "phone" => ConsentHow::Phone,
                "in_person" => ConsentHow::InPerson,
                _ => {
                    return Err(ApiError::bad_request(
                        "invalid_body",
                        "how is phone or in_person: how the reporter gave this answer to you. (The reporter changes it online at the follow-up page.)",
                    )
                    .with_field("how"));
                }
            };
            let rec = report(&core, &id).await?;
            let now = follow_up::record_consent(&core, &rec, body.consent, me, how, body.note.as_deref()).await?;
            Ok(json(StatusCode::OK, &json!({"consent": now})))
        }
        Action::BuildPolicePackage => {
            let id = report_id(target)?;
            let body: BuildBody = if req.body().is_empty() { BuildBody::default() } else { parse_json(req)? };
            let p = police::build(&core, &id, me, body.override_id.as_deref()).await?;
            Ok(json(StatusCode::CREATED, &json!({"package_id": p.package_id, "status": p.status, "basis": p.basis})))
        }
        Action::ReadPolicePackage => Ok(json(StatusCode::OK, &police::view(&core, target).await?)),
        Action::ApprovePolicePackage => {
            let p = police::approve(&core, target, me).await?;
            Ok(json(StatusCode::OK, &json!({"status": p.status, "approved_by": p.approved_by})))
        }
        Action::ExportPolicePackage => {
            let body: ExportBody = parse_json(req)?;
            let (p, export) = police::export(&core, target, me, &body.recipient).await?;
            Ok(json(
                StatusCode::OK,
                &json!({"status": p.status, "disclosure_number": p.disclosure_number, "document": export.document, "signature": export.signature}),
            ))
        }
        Action::PrintPolicePackage => {
            let p = police::get(&core, target).await?;
            let Some(recipient) = p.recipient.clone() else {
                return Err(PoliceError::WrongState(p.status.as_str()).into());
            };
            // Printing is exporting again: the basis is checked again, and the document is the one issued.
            let (p, export) = police::export(&core, target, me, &recipient).await?;
            Ok(html(StatusCode::OK, police::printable(&p, &export)))
        }
        Action::ListDisclosures => Ok(json(StatusCode::OK, &json!({"disclosures": police::disclosures(&core).await?}))),
        Action::RequestOverride => {
            let id = report_id(target)?;
            let body: OverrideBody = parse_json(req)?;
            let o = safeguarding::request(&core, &id, me, Some(&body.reason), body.tell_reporter, body.not_told_reason.as_deref()).await?;
            Ok(json(StatusCode::CREATED, &json!({"override_id": o.override_id, "status": o.status})))
        }
        Action::ReadOverride => Ok(json(StatusCode::OK, &safeguarding::view(&core, target).await?)),
        Action::ApproveOverride => {
            let o = safeguarding::approve(&core, target, me).await?;
            Ok(json(StatusCode::OK, &json!({"status": o.status, "approved_by": o.approved_by})))
        }
        Action::ListLinkRequests => {
            Ok(json(StatusCode::OK, &json!({"link_requests": link_requests::list(&core, &report_id(target)?).await?})))
        }
        Action::RecordLinkRequest => {
            let body: NewLink = parse_json(req)?;
            let r = link_requests::record(&core, &report_id(target)?, me, body).await?;
            Ok(json(StatusCode::CREATED, &json!({"request_id": r.request_id, "status": r.status, "deadline": r.deadline})))
        }
        Action::RequestIdentityRelease | Action::ApproveIdentityRelease => {
            let path = req.uri().path().trim_end_matches('/');
            let request_id = path.rsplit('/').nth(1).unwrap_or("");
            let id = report_id(target)?;
            if action == Action::RequestIdentityRelease {
                let r = link_requests::request_release(&core, &id, request_id, me).await?;
                Ok(json(StatusCode::OK, &json!({"status": r.status, "release_requested_by": r.release_requested_by})))
            } else {
                let (r, identity) = link_requests::approve_release(&core, &id, request_id, me).await?;
                Ok(json(StatusCode::OK, &json!({"status": r.status, "disclosure_number": r.disclosure_number, "identity": identity})))
            }
        }
        _ => Err(ApiError::not_found("There is no staff path here. See the API document.")),
    }
}
