//! The casework paths of the staff API: the case queue and what caseworkers do in a case, the local services list and
//! the duty rotas. Routing, permissions and the audit entry written before each request are `admin.rs`'s, as for
//! every staff path; this file says which paths exist and what each does.
//!
//! | method, path | action |
//! | --- | --- |
//! | `GET /admin/cases?status=open\|assigned\|closed[&mine=true]` | the queue (with `mine=true` and no status: my assigned cases) |
//! | `POST /admin/cases/{report_id}` | open a case for a report (201; 200 when it has one) |
//! | `GET /admin/cases/{report_id}` | the case with its entries (notes opened) |
//! | `POST /admin/cases/{report_id}/assign` | `{"to"?}`: to a colleague by name, or to the one asking |
//! | `POST /admin/cases/{report_id}/notes` | `{"text"}` → 201, sealed |
//! | `POST /admin/cases/{report_id}/contacts` | `{"channel", "outcome", "note"?}` → 201 |
//! | `POST /admin/cases/{report_id}/referrals` | `{"service_id", "note"?}` → 201 |
//! | `POST /admin/cases/{report_id}/close` | `{"outcome", "note"?}` → 200 |
//! | `GET /admin/services[?region=]`, `POST /admin/services`, `PUT`/`DELETE /admin/services/{service_id}` | services |
//! | `GET`/`PUT /admin/rota/{caseworker\|reviewer}` | a role's duty rota |

use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::admin::{AdminDeps, parse_json, query_param};
use super::{Request, Response, json};
use crate::domain::{Region, ReportId};
use crate::error::ApiError;
use crate::staff::{Action, Staff};
use crate::usecases::Deps;
use crate::usecases::casework::{
    self, CaseError, CaseOutcome, CaseStatus, ContactChannel, ContactOutcome, NewEntry, ServiceInput, is_service_id,
};
use crate::usecases::duty::{self, DutyRole, Rota, RotaError};

/// The casework paths: the action and the id each acts on.
pub fn resolve<'a>(method: &Method, segments: &[&'a str]) -> Option<(Action, &'a str)> {
    match (method, segments) {
        (&Method::GET, ["admin", "cases"]) => Some((Action::ListCases, "")),
        (&Method::POST, ["admin", "cases", id]) => Some((Action::OpenCase, *id)),
        (&Method::GET, ["admin", "cases", id]) => Some((Action::ReadCase, *id)),
        (&Method::POST, ["admin", "cases", id, "assign"]) => Some((Action::AssignCase, *id)),
        (&Method::POST, ["admin", "cases", id, "notes"]) => Some((Action::AddCaseNote, *id)),
        (&Method::POST, ["admin", "cases", id, "contacts"]) => Some((Action::LogCaseContact, *id)),
        (&Method::POST, ["admin", "cases", id, "referrals"]) => Some((Action::ReferCase, *id)),
        (&Method::POST, ["admin", "cases", id, "close"]) => Some((Action::CloseCase, *id)),
        (&Method::GET, ["admin", "services"]) => Some((Action::ListServices, "")),
        (&Method::POST, ["admin", "services"]) => Some((Action::CreateService, "")),
        (&Method::PUT, ["admin", "services", id]) => Some((Action::UpdateService, *id)),
        (&Method::DELETE, ["admin", "services", id]) => Some((Action::DeleteService, *id)),
        (&Method::GET, ["admin", "rota", role]) => Some((Action::ReadRota, *role)),
        (&Method::PUT, ["admin", "rota", role]) => Some((Action::EditRota, *role)),
        _ => None,
    }
}

/// Whether a path is one of these (so another method on it is 405, not 404).
pub fn known(segments: &[&str]) -> bool {
    matches!(
        segments,
        ["admin", "cases"]
            | ["admin", "cases", _]
            | ["admin", "cases", _, "assign" | "notes" | "contacts" | "referrals" | "close"]
            | ["admin", "services"]
            | ["admin", "services", _]
            | ["admin", "rota", _]
    )
}

/// Whether an action is one of these.
pub fn handles(action: Action) -> bool {
    use Action::*;
    matches!(
        action,
        ListCases
            | OpenCase
            | ReadCase
            | AssignCase
            | AddCaseNote
            | LogCaseContact
            | ReferCase
            | CloseCase
            | ListServices
            | CreateService
            | UpdateService
            | DeleteService
            | ReadRota
            | EditRota
    )
}

/// The audit log's target: the id in its one written form, or "invalid" (never free text from a URL).
pub fn audit_target(action: Action, raw: &str) -> String {
    use Action::*;
    let ok = match action {
        OpenCase | ReadCase | AssignCase | AddCaseNote | LogCaseContact | ReferCase | CloseCase => {
            return ReportId::parse(raw).map(|id| id.to_string()).unwrap_or_else(|_| "invalid".into());
        }
        UpdateService | DeleteService => is_service_id(raw),
        ReadRota | EditRota => DutyRole::parse(raw).is_some(),
        _ => raw.is_empty(),
    };
    if ok { raw.to_owned() } else { "invalid".into() }
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::NoReport => ApiError::not_found("There is no report with this id."),
            CaseError::NoCase => {
                ApiError::not_found("This report has no case yet. Open one with POST /admin/cases/{report_id}, then try again.")
            }
            CaseError::Closed => ApiError::conflict("case_closed", "This case is closed: nothing more can be added to it or changed."),
            CaseError::NoService => ApiError::not_found("There is no service with this id. GET /admin/services lists them."),
            CaseError::Invalid { field, message } => ApiError::bad_request("invalid_body", message).with_field(field),
            CaseError::Store(e) => e.into(),
            CaseError::Seal(e) => e.into(),
        }
    }
}

impl From<RotaError> for ApiError {
    fn from(e: RotaError) -> Self {
        match e {
            RotaError::Invalid { field, message } => {
                ApiError::bad_request("invalid_rota", format!("{field}: {message}. Correct it and send the whole rota again."))
                    .with_field(field)
            }
            RotaError::Store(e) => e.into(),
            RotaError::Seal(e) => e.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    #[serde(default)]
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactBody {
    channel: String,
    outcome: String,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferralBody {
    service_id: String,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    outcome: String,
    #[serde(default)]
    note: Option<String>,
}

fn report_id(raw: &str) -> Result<ReportId, ApiError> {
    ReportId::parse(raw).map_err(|_| ApiError::not_found("There is no report with this id."))
}

fn word<T>(field: &'static str, raw: &str, parse: fn(&str) -> Option<T>, listed: String) -> Result<T, ApiError> {
    parse(raw.trim()).ok_or_else(|| ApiError::bad_request("invalid_body", format!("{field} is one of {listed}.")).with_field(field))
}

fn rota_role(raw: &str) -> Result<DutyRole, ApiError> {
    DutyRole::parse(raw).ok_or_else(|| ApiError::not_found("There is a rota for caseworker and for reviewer, and no other."))
}

/// Runs one casework request; the caller has checked the role and written the audit entry.
pub async fn handle(deps: &AdminDeps, req: &Request, staff: &Staff, action: Action, target: &str) -> Result<Response, ApiError> {
    let core = Deps { tables: deps.tables.clone(), keys: deps.keys.clone(), clock: deps.clock.clone() };
    let me = staff.subject.as_str();
    match action {
        Action::ListCases => {
            let mine = match query_param(req, "mine").as_deref() {
                None | Some("false") => None,
                Some("true") => Some(me),
                Some(_) => return Err(ApiError::bad_request("invalid_mine", "mine is true or false.").with_field("mine")),
            };
            // "My cases" are the ones assigned to me, unless another status is asked for.
            let status = match query_param(req, "status") {
                None if mine.is_some() => CaseStatus::Assigned,
                None => CaseStatus::Open,
                Some(s) => word("status", &s, CaseStatus::parse, CaseStatus::listed())?,
            };
            Ok(json(StatusCode::OK, &json!({"cases": casework::list_cases(&core, status, mine).await?})))
        }
        Action::OpenCase => {
            let (case, created) = casework::open_case(&core, &report_id(target)?, me).await?;
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            Ok(json(status, &json!({"report_id": case.report_id, "status": case.case_status, "assigned_to": case.assigned_to})))
        }
        Action::ReadCase => {
            let id = report_id(target)?;
            let case = casework::get_case(&core, &id).await?;
            // Other reports naming the same offender (by a shared phone, email, handle or registration).
            let linked = crate::usecases::offenders::links_of_report(&core, &id).await?;
            let mut view = serde_json::to_value(&case).map_err(|e| ApiError::internal(&e))?;
            view["linked"] = serde_json::to_value(&linked).map_err(|e| ApiError::internal(&e))?;
            Ok(json(StatusCode::OK, &view))
        }
        Action::AssignCase => {
            let body: AssignBody = if req.body().is_empty() { AssignBody { to: None } } else { parse_json(req)? };
            let to = body.to.as_deref().filter(|t| !t.trim().is_empty()).unwrap_or(me);
            let case = casework::assign(&core, &report_id(target)?, to).await?;
            Ok(json(StatusCode::OK, &json!({"status": case.case_status, "assigned_to": case.assigned_to})))
        }
        Action::AddCaseNote => {
            let body: NoteBody = parse_json(req)?;
            let id = casework::add_entry(&core, &report_id(target)?, me, NewEntry::Note { text: body.text }).await?;
            Ok(json(StatusCode::CREATED, &json!({"entry_id": id})))
        }
        Action::LogCaseContact => {
            let body: ContactBody = parse_json(req)?;
            let entry = NewEntry::Contact {
                channel: word("channel", &body.channel, ContactChannel::parse, ContactChannel::listed())?,
                outcome: word("outcome", &body.outcome, ContactOutcome::parse, ContactOutcome::listed())?,
                note: body.note,
            };
            let id = casework::add_entry(&core, &report_id(target)?, me, entry).await?;
            Ok(json(StatusCode::CREATED, &json!({"entry_id": id})))
        }
        Action::ReferCase => {
            let body: ReferralBody = parse_json(req)?;
            let entry = NewEntry::Referral { service_id: body.service_id, note: body.note };
            let id = casework::add_entry(&core, &report_id(target)?, me, entry).await?;
            Ok(json(StatusCode::CREATED, &json!({"entry_id": id})))
        }
        Action::CloseCase => {
            let body: CloseBody = parse_json(req)?;
            let outcome = word("outcome", &body.outcome, CaseOutcome::parse, CaseOutcome::listed())?;
            let case = casework::close(&core, &report_id(target)?, me, outcome, body.note.as_deref()).await?;
            Ok(json(StatusCode::OK, &json!({"status": case.case_status, "outcome": case.outcome})))
        }
        Action::ListServices => {
            let region = match query_param(req, "region") {
                None => None,
                Some(r) => Some(Region::parse(r.trim()).ok_or_else(|| {
                    ApiError::bad_request("invalid_region", "region is one of the regions members choose, such as london.")
                        .with_field("region")
                })?),
            };
            Ok(json(StatusCode::OK, &json!({"services": casework::list_services(&core, region).await?})))
        }
        Action::CreateService => {
            let body: ServiceInput = parse_json(req)?;
            Ok(json(StatusCode::CREATED, &casework::create_service(&core, &body).await?))
        }
        Action::UpdateService => {
            let body: ServiceInput = parse_json(req)?;
            Ok(json(StatusCode::OK, &casework::update_service(&core, target, &body).await?))
        }
        Action::DeleteService => {
            casework::delete_service(&core, target).await?;
            Ok(json(StatusCode::OK, &json!({"status": "deleted"})))
        }
        Action::ReadRota => {
            let rota = duty::get_rota(deps.tables.as_ref(), deps.keys.as_ref(), rota_role(target)?).await?;
            Ok(json(StatusCode::OK, &rota))
        }
        Action::EditRota => {
            let role = rota_role(target)?;
            let body: Rota = parse_json(req)?;
            Ok(json(StatusCode::OK, &duty::set_rota(&core, role, body, me).await?))
        }
        _ => Err(ApiError::not_found("There is no staff path here. See the API document.")),
    }
}
