//! The staff API (`/admin/...`). Every path authenticates first, then asks `staff::may` whether the role may take the
//! action: the one place where access is decided.

use std::sync::Arc;

use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Request, Response, body_kind, check_size, error_json, json};
use crate::domain::{AlertId, ReportId, SubscriptionId};
use crate::error::ApiError;
use crate::ports::tables::from_item;
use crate::ports::{Clock, Cursor, KeyService, Table, Tables};
use crate::ratelimit::{Limiter, Secret, client_of};
use crate::staff::{Action, Staff, bearer, verify_local_token};
use crate::usecases::alerts::{AlertDeps, AlertStatus, PublishRequest, get_alert, list_alerts, publish, reject};
use crate::usecases::audit::{self, Anchors, AuditDeps, record};
use crate::usecases::deliver::delivery_counts;
use crate::usecases::staff_quota::{self, HELPDESK_LOOKUPS_PER_HOUR};
use crate::usecases::submit_report::ReportRecord;
use crate::usecases::subscriptions::{
    FindRequest, SubscriptionDeps, approve, contact_index_of, decline, end_subscription, find_by_index, get_subscription,
    pending_approvals, resend_code,
};

/// How staff prove who they are.
#[derive(Clone)]
pub enum StaffAuth {
    /// Tokens minted by `num staff token`, checked with the local key.
    Local(Arc<dyn KeyService>),
    /// Claims already checked by the HTTP API's JWT authorizer (Cognito), read from the request context.
    Authorizer,
}

#[derive(Clone)]
pub struct AdminDeps {
    pub tables: Arc<dyn Tables>,
    pub keys: Arc<dyn KeyService>,
    pub clock: Arc<dyn Clock>,
    pub auth: StaffAuth,
    pub limiter: Arc<Limiter>,
}

impl AdminDeps {
    fn alerts(&self) -> AlertDeps {
        AlertDeps { tables: self.tables.clone(), keys: self.keys.clone(), clock: self.clock.clone() }
    }

    fn audit(&self) -> AuditDeps {
        AuditDeps { tables: self.tables.clone(), keys: self.keys.clone(), clock: self.clock.clone() }
    }

    fn subscriptions(&self) -> SubscriptionDeps {
        SubscriptionDeps { tables: self.tables.clone(), keys: self.keys.clone(), clock: self.clock.clone() }
    }
}

/// Claims the authorizer placed on the request (see the Lambda's http handler).
#[derive(Debug, Clone)]
pub struct AuthorizerClaims(pub Staff);

async fn authenticate(deps: &AdminDeps, req: &Request) -> Result<Staff, ApiError> {
    match &deps.auth {
        StaffAuth::Local(keys) => {
            let token = bearer(req)?;
            verify_local_token(keys.as_ref(), token, deps.clock.now().timestamp()).await
        }
        StaffAuth::Authorizer => req
            .extensions()
            .get::<AuthorizerClaims>()
            .map(|c| c.0.clone())
            .ok_or_else(|| ApiError::unauthorized("Sign in as staff: this path needs a valid staff token.")),
    }
}

pub(crate) fn parse_json<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, ApiError> {
    check_size(req)?;
    if body_kind(req, false)? != super::BodyKind::Json {
        return Err(ApiError::unsupported_type("JSON (application/json)"));
    }
    serde_json::from_slice(req.body()).map_err(|e| {
        let msg = e.to_string();
        let detail = msg.split(" at line").next().unwrap_or("malformed JSON");
        ApiError::bad_request("invalid_body", format!("The body is not what this path takes: {detail}."))
    })
}

pub(crate) fn query_param(req: &Request, name: &str) -> Option<String> {
    req.uri().query().and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
}

fn alert_id(s: &str) -> Result<AlertId, ApiError> {
    AlertId::parse(s).map_err(|_| ApiError::not_found("There is no alert with this id."))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

#[derive(Serialize)]
struct AlertView {
    alert_id: AlertId,
    report_id: ReportId,
    status: AlertStatus,
    suggested_regions: Vec<crate::domain::Region>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    regions: Vec<crate::domain::Region>,
    /// Other reports naming the same offender (a shared phone, email, handle or registration), oldest first.
    linked: Vec<crate::usecases::offenders::Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reported_times: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reported_since: Option<String>,
    #[serde(flatten)]
    alert: crate::domain::alert::Alert,
}

/// A leaked copy of an alert: its text or just its link.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceBody {
    text: String,
}

/// Handles one request under `/admin`.
pub async fn handle(deps: &AdminDeps, req: Request) -> Response {
    match route(deps, req).await {
        Ok(res) => res,
        Err(e) => error_json(&e),
    }
}

/// Every staff path: the action it takes and the id it acts on. The one table that routing, permissions and the
/// audit log all read.
fn resolve<'a>(method: &Method, segments: &[&'a str]) -> Result<(Action, &'a str), ApiError> {
    let found = match (method, segments) {
        (&Method::GET, ["admin", "alerts"]) => Some((Action::ListAlerts, "")),
        (&Method::GET, ["admin", "alerts", id]) => Some((Action::ReadAlert, *id)),
        (&Method::POST, ["admin", "alerts", id, "publish"]) => Some((Action::PublishAlert, *id)),
        (&Method::POST, ["admin", "alerts", id, "reject"]) => Some((Action::RejectAlert, *id)),
        (&Method::POST, ["admin", "alerts", id, "withdraw"]) => Some((Action::WithdrawAlert, *id)),
        (&Method::POST, ["admin", "alerts", id, "correct"]) => Some((Action::CorrectAlert, *id)),
        (&Method::POST, ["admin", "alerts", "trace"]) => Some((Action::TraceCopy, "")),
        (&Method::GET, ["admin", "alerts", id, "deliveries"]) => Some((Action::ReadDeliveries, *id)),
        (&Method::GET, ["admin", "reports", id]) => Some((Action::ReadReport, *id)),
        (&Method::GET, ["admin", "reports", id, "messages"]) => Some((Action::ReadMessages, *id)),
        (&Method::POST, ["admin", "reports", id, "messages"]) => Some((Action::SendMessage, *id)),
        (&Method::GET, ["admin", "audit"]) => Some((Action::ReadAudit, "")),
        (&Method::GET, ["admin", "audit", "verify"]) => Some((Action::ReadAudit, "verify")),
        (&Method::POST, ["admin", "helpdesk", "find"]) => Some((Action::HelpdeskFind, "")),
        (&Method::POST, ["admin", "helpdesk", "subscriptions", id, "resend-code"]) => Some((Action::HelpdeskResendCode, *id)),
        (&Method::POST, ["admin", "helpdesk", "subscriptions", id, "deactivate"]) => Some((Action::HelpdeskDeactivate, *id)),
        (&Method::GET, ["admin", "members"]) => Some((Action::ListMembers, "")),
        (&Method::POST, ["admin", "members", id, "approve"]) => Some((Action::ApproveMember, *id)),
        (&Method::POST, ["admin", "members", id, "decline"]) => Some((Action::DeclineMember, *id)),
        _ => super::casework::resolve(method, segments).or_else(|| super::police::resolve(method, segments)),
    };
    if let Some(f) = found {
        return Ok(f);
    }
    let known = matches!(
        segments,
        ["admin", "alerts"]
            | ["admin", "alerts", _]
            | ["admin", "alerts", _, "publish" | "reject" | "deliveries" | "withdraw" | "correct"]
            | ["admin", "reports", _]
            | ["admin", "reports", _, "messages"]
            | ["admin", "audit"]
            | ["admin", "audit", "verify"]
            | ["admin", "helpdesk", "find"]
            | ["admin", "helpdesk", "subscriptions", _, "resend-code" | "deactivate"]
            | ["admin", "members"]
            | ["admin", "members", _, "approve" | "decline"]
    ) || super::casework::known(segments)
        || super::police::known(segments);
    if known {
        Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This path does not take that method. See the API document.",
        ))
    } else {
        Err(ApiError::not_found("There is no staff path here. See the API document."))
    }
}

/// What the audit log records as a request's target: the id in its one written form, or "invalid" for anything that
/// is not an id of the path's kind. The log never keeps free text typed into a URL (it may name someone).
fn audit_target(action: Action, raw: &str) -> String {
    let parsed = match action {
        Action::ReadAlert
        | Action::PublishAlert
        | Action::RejectAlert
        | Action::ReadDeliveries
        | Action::WithdrawAlert
        | Action::CorrectAlert => AlertId::parse(raw).map(|id| id.to_string()),
        Action::ReadReport | Action::ReadMessages | Action::SendMessage => ReportId::parse(raw).map(|id| id.to_string()),
        Action::HelpdeskResendCode | Action::HelpdeskDeactivate | Action::ApproveMember | Action::DeclineMember => {
            SubscriptionId::parse(raw).map(|id| id.to_string())
        }
        a if super::casework::handles(a) => return super::casework::audit_target(action, raw),
        a if super::police::handles(a) => return super::police::audit_target(action, raw),
        _ => return raw.to_owned(),
    };
    parsed.unwrap_or_else(|_| "invalid".to_owned())
}

async fn route(deps: &AdminDeps, req: Request) -> Result<Response, ApiError> {
    let client = client_of(&req);
    deps.limiter.check(Secret::StaffToken, client)?;
    let staff = match authenticate(deps, &req).await {
        Ok(s) => s,
        Err(e) => {
            deps.limiter.fail(Secret::StaffToken, client);
            return Err(e);
        }
    };
    act(deps, &staff, req).await
}

/// One staff request from someone already authenticated: the path's action, `may`, the audit entry, then the use
/// case. The bearer-token API above and the console (`http::console`, signed in with a session) both come here, so
/// the two can never decide differently.
pub async fn act(deps: &AdminDeps, staff: &Staff, req: Request) -> Result<Response, ApiError> {
    let staff = staff.clone();
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (action, raw_target) = resolve(req.method(), &segments)?;
    let target = audit_target(action, raw_target);
    let target = target.as_str();
    let audit = deps.audit();
    if let Err(e) = staff.require(action) {
        record(&audit, &staff, &format!("denied:{}", action.as_str()), target, None).await?;
        return Err(e);
    }
    // The trace comes first: if it cannot be written, nothing is done and nothing is shown. A help-desk lookup writes
    // its own, naming the contact's blind index (see `helpdesk_find`).
    if action != Action::HelpdeskFind {
        record(&audit, &staff, action.as_str(), target, query_param(&req, "reason").as_deref()).await?;
    }
    match action {
        Action::ListAlerts => {
            let status = match query_param(&req, "status") {
                None => AlertStatus::Draft,
                Some(s) => AlertStatus::parse(&s).ok_or_else(|| {
                    ApiError::bad_request("invalid_status", "status is one of draft, published, rejected.").with_field("status")
                })?,
            };
            let limit = query_param(&req, "limit").and_then(|l| l.parse().ok()).unwrap_or(50);
            let (alerts, next) = list_alerts(&deps.alerts(), status, limit, query_param(&req, "cursor").map(Cursor)).await?;
            Ok(json(StatusCode::OK, &json!({"alerts": alerts, "next": next.map(|c| c.0)})))
        }
        Action::ReadAlert => {
            let rec = get_alert(&deps.alerts(), &alert_id(target)?).await?;
            let alert = rec.open(deps.keys.as_ref()).await?;
            let linked = crate::usecases::offenders::links(&deps.alerts(), &rec).await?;
            let view = AlertView {
                alert_id: rec.alert_id,
                report_id: rec.report_id,
                status: rec.status,
                suggested_regions: rec.suggested_regions,
                regions: rec.regions,
                linked,
                reported_times: rec.reported_times,
                reported_since: rec.reported_since,
                alert,
            };
            Ok(json(StatusCode::OK, &view))
        }
        Action::PublishAlert => {
            let body: PublishRequest = parse_json(&req)?;
            publish(&deps.alerts(), &alert_id(target)?, body, &staff.subject).await?;
            Ok(json(StatusCode::OK, &json!({"status": "published"})))
        }
        Action::RejectAlert => {
            let body: RejectBody = parse_json(&req)?;
            reject(&deps.alerts(), &alert_id(target)?, &body.reason, &staff.subject).await?;
            Ok(json(StatusCode::OK, &json!({"status": "rejected"})))
        }
        Action::WithdrawAlert => {
            let body: RejectBody = parse_json(&req)?;
            crate::usecases::lifecycle::withdraw(&deps.alerts(), &alert_id(target)?, &body.reason, &staff.subject).await?;
            Ok(json(StatusCode::OK, &json!({"status": "withdrawn"})))
        }
        Action::CorrectAlert => {
            let body: crate::usecases::lifecycle::Correction = parse_json(&req)?;
            let version = crate::usecases::lifecycle::correct(&deps.alerts(), &alert_id(target)?, body, &staff.subject).await?;
            Ok(json(StatusCode::OK, &json!({"version": version})))
        }
        Action::TraceCopy => {
            let body: TraceBody = parse_json(&req)?;
            match crate::usecases::deliver::trace_copy(deps.tables.as_ref(), &body.text).await? {
                Some(c) => Ok(json(StatusCode::OK, &c)),
                None => Err(ApiError::not_found(
                    "No copy matches: the text holds no alert link with a copy token, or its deliveries are no longer kept (30 days). Paste the whole link or message.",
                )),
            }
        }
        Action::ReadDeliveries => {
            let id = alert_id(target)?;
            get_alert(&deps.alerts(), &id).await?;
            Ok(json(StatusCode::OK, &delivery_counts(deps.tables.as_ref(), &id).await?))
        }
        Action::ReadReport => {
            let not_found = || ApiError::not_found("There is no report with this id.");
            let id = ReportId::parse(target).map_err(|_| not_found())?;
            let item = deps.tables.get(Table::Reports, &ReportRecord::key(&id)).await?.ok_or_else(not_found)?;
            let rec: ReportRecord = from_item(item)?;
            let report = rec.open(deps.tables.as_ref(), deps.keys.as_ref()).await?;
            Ok(json(
                StatusCode::OK,
                &json!({"report_id": rec.report_id, "status": rec.status, "received_at": rec.received_at, "anonymous": rec.anonymous, "report": report}),
            ))
        }
        Action::ReadMessages => super::follow_up::staff_messages(&deps.audit(), target, None).await,
        Action::SendMessage => super::follow_up::staff_messages(&deps.audit(), target, Some(parse_json(&req)?)).await,
        Action::ReadAudit if target == "verify" => {
            let mut anchors = Anchors::new();
            if let Some(head) = query_param(&req, "head") {
                let (seq, link) = Anchors::parse_head(&head).ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_head",
                        "head is <entry number>:<link>, the 64 hex digits logged as audit_mac with audit_seq.",
                    )
                    .with_field("head")
                })?;
                anchors.add(seq, &link).expect("one anchor never conflicts");
            }
            Ok(json(StatusCode::OK, &audit::verify(deps.tables.as_ref(), deps.keys.as_ref(), &anchors).await?))
        }
        Action::ReadAudit => {
            let after = query_param(&req, "after").and_then(|a| a.parse().ok()).unwrap_or(0);
            let limit = query_param(&req, "limit").and_then(|l| l.parse().ok()).unwrap_or(100);
            let mut entries = Vec::new();
            for e in audit::read(deps.tables.as_ref(), after, limit).await? {
                entries.push(e.open(deps.keys.as_ref()).await?);
            }
            let next = entries.last().map(|e| e.seq);
            Ok(json(StatusCode::OK, &json!({"entries": entries, "next_after": next})))
        }
        Action::HelpdeskFind => helpdesk_find(deps, &req, &staff).await,
        Action::HelpdeskResendCode => {
            resend_code(&deps.subscriptions(), &subscription_id(target)?).await?;
            Ok(json(StatusCode::OK, &json!({"status": "code_sent"})))
        }
        Action::HelpdeskDeactivate => {
            let id = subscription_id(target)?;
            get_subscription(deps.tables.as_ref(), &id)
                .await?
                .ok_or_else(|| ApiError::not_found("There is no subscription with this id."))?;
            end_subscription(deps.tables.as_ref(), &id).await?;
            Ok(json(StatusCode::OK, &json!({"status": "unsubscribed"})))
        }
        Action::ListMembers => {
            match query_param(&req, "status").as_deref() {
                None | Some("pending_approval") => {}
                Some(_) => {
                    return Err(ApiError::bad_request("invalid_status", "status is pending_approval: the queue of requests to vet.")
                        .with_field("status"));
                }
            }
            let members: Vec<serde_json::Value> = pending_approvals(deps.tables.as_ref())
                .await?
                .into_iter()
                .map(|m| {
                    json!({"subscription_id": m.subscription_id, "status": "pending_approval", "regions": m.regions,
                           "channels": m.channels, "requested_at": m.requested_at})
                })
                .collect();
            Ok(json(StatusCode::OK, &json!({"members": members})))
        }
        Action::ApproveMember => {
            let status = approve(&deps.subscriptions(), target).await?;
            Ok(json(StatusCode::OK, &json!({"status": status})))
        }
        Action::DeclineMember => {
            let status = decline(&deps.subscriptions(), target).await?;
            Ok(json(StatusCode::OK, &json!({"status": status})))
        }
        a if super::police::handles(a) => super::police::handle(deps, &req, &staff, a, target).await,
        a => super::casework::handle(deps, &req, &staff, a, target).await,
    }
}

/// A help-desk lookup. It tells whether a contact is a member, so: a reason is required, the audit log records the
/// contact's blind index (never the contact) with the reason, and each member of staff may make
/// `HELPDESK_LOOKUPS_PER_HOUR` in a clock hour. A lookup that is refused leaves a trace (`refused:find_subscription`)
/// and looks nothing up.
async fn helpdesk_find(deps: &AdminDeps, req: &Request, staff: &Staff) -> Result<Response, ApiError> {
    let audit = deps.audit();
    let action = Action::HelpdeskFind.as_str();
    let refused = format!("refused:{action}");
    let prepared = async {
        let mut body: FindRequest = parse_json(req)?;
        if body.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            body.reason = query_param(req, "reason");
        }
        let reason = body.reason()?.to_owned();
        let index = contact_index_of(&deps.subscriptions(), &body).await?;
        Ok::<_, ApiError>((index, reason))
    }
    .await;
    let (index, reason) = match prepared {
        Ok(p) => p,
        Err(e) => {
            record(&audit, staff, &refused, "invalid", None).await?;
            return Err(e);
        }
    };
    let quota = staff_quota::take(&audit, action, &staff.subject, HELPDESK_LOOKUPS_PER_HOUR).await?;
    if let Err(spent) = quota {
        record(&audit, staff, &refused, &index, Some(&reason)).await?;
        tracing::warn!(role = staff.role.as_str(), limit = HELPDESK_LOOKUPS_PER_HOUR, "help desk lookups limit reached");
        let minutes = spent.retry_after.div_ceil(60);
        let minutes = if minutes == 1 { "1 minute".to_owned() } else { format!("{minutes} minutes") };
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_lookups",
            format!(
                "You have made {HELPDESK_LOOKUPS_PER_HOUR} help desk lookups this hour, the most one person may. Try again in {minutes}; if a member needs help sooner, ask another office manager or an admin."
            ),
        )
        .with_retry_after(spent.retry_after));
    }
    // The trace comes first: if it cannot be written, nothing is looked up.
    record(&audit, staff, action, &index, Some(&reason)).await?;
    let found = find_by_index(&deps.subscriptions(), &index).await?;
    Ok(json(StatusCode::OK, &json!({"subscription": found})))
}

fn subscription_id(s: &str) -> Result<SubscriptionId, ApiError> {
    SubscriptionId::parse(s).map_err(|_| ApiError::not_found("There is no subscription with this id."))
}
