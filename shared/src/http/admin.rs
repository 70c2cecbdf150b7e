//! The staff API (`/admin/...`). Every path authenticates first, then asks `staff::may` whether the role may take the
//! action: the one place where access is decided.

use std::sync::Arc;

use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Request, Response, body_kind, check_size, error_json, json};
use crate::domain::{AlertId, ReportId};
use crate::error::ApiError;
use crate::ports::tables::from_item;
use crate::ports::{Clock, Cursor, KeyService, Table, Tables};
use crate::staff::{Action, Staff, bearer, verify_local_token};
use crate::usecases::alerts::{AlertDeps, AlertStatus, PublishRequest, get_alert, list_alerts, publish, reject};
use crate::usecases::audit::{AuditDeps, record};
use crate::usecases::deliver::delivery_counts;
use crate::usecases::submit_report::ReportRecord;

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
}

impl AdminDeps {
    fn alerts(&self) -> AlertDeps {
        AlertDeps { tables: self.tables.clone(), keys: self.keys.clone(), clock: self.clock.clone() }
    }

    fn audit(&self) -> AuditDeps {
        AuditDeps { tables: self.tables.clone(), clock: self.clock.clone() }
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

fn parse_json<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, ApiError> {
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

fn query_param(req: &Request, name: &str) -> Option<String> {
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
    #[serde(flatten)]
    alert: crate::domain::alert::Alert,
}

/// Handles one request under `/admin`.
pub async fn handle(deps: &AdminDeps, req: Request) -> Response {
    match route(deps, req).await {
        Ok(res) => res,
        Err(e) => error_json(&e),
    }
}

async fn route(deps: &AdminDeps, req: Request) -> Result<Response, ApiError> {
    let staff = authenticate(deps, &req).await?;
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = req.method().clone();
    match (method, segments.as_slice()) {
        (Method::GET, ["admin", "alerts"]) => {
            staff.require(Action::ListAlerts)?;
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
        (Method::GET, ["admin", "alerts", id]) => {
            staff.require(Action::ReadAlert)?;
            let rec = get_alert(&deps.alerts(), &alert_id(id)?).await?;
            let alert = rec.open(deps.keys.as_ref()).await?;
            let view = AlertView {
                alert_id: rec.alert_id,
                report_id: rec.report_id,
                status: rec.status,
                suggested_regions: rec.suggested_regions,
                regions: rec.regions,
                alert,
            };
            Ok(json(StatusCode::OK, &view))
        }
        (Method::POST, ["admin", "alerts", id, "publish"]) => {
            staff.require(Action::PublishAlert)?;
            let id = alert_id(id)?;
            let body: PublishRequest = parse_json(&req)?;
            publish(&deps.alerts(), &id, body, &staff.subject).await?;
            record(&deps.audit(), &staff, "publish_alert", id.as_str(), None).await?;
            Ok(json(StatusCode::OK, &json!({"status": "published"})))
        }
        (Method::POST, ["admin", "alerts", id, "reject"]) => {
            staff.require(Action::RejectAlert)?;
            let id = alert_id(id)?;
            let body: RejectBody = parse_json(&req)?;
            reject(&deps.alerts(), &id, &body.reason, &staff.subject).await?;
            record(&deps.audit(), &staff, "reject_alert", id.as_str(), None).await?;
            Ok(json(StatusCode::OK, &json!({"status": "rejected"})))
        }
        (Method::GET, ["admin", "alerts", id, "deliveries"]) => {
            staff.require(Action::ReadDeliveries)?;
            let id = alert_id(id)?;
            get_alert(&deps.alerts(), &id).await?;
            let counts = delivery_counts(deps.tables.as_ref(), &id).await?;
            Ok(json(StatusCode::OK, &counts))
        }
        (Method::GET, ["admin", "reports", id]) => {
            staff.require(Action::ReadReport)?;
            let not_found = || ApiError::not_found("There is no report with this id.");
            let id = ReportId::parse(id).map_err(|_| not_found())?;
            let item = deps.tables.get(Table::Reports, &ReportRecord::key(&id)).await?.ok_or_else(not_found)?;
            let rec: ReportRecord = from_item(item)?;
            // The trace comes first: if it cannot be written, the report is not shown.
            record(&deps.audit(), &staff, "read_report", id.as_str(), query_param(&req, "reason").as_deref()).await?;
            let report = rec.open(deps.keys.as_ref()).await?;
            Ok(json(
                StatusCode::OK,
                &json!({"report_id": rec.report_id, "status": rec.status, "received_at": rec.received_at, "anonymous": rec.anonymous, "report": report}),
            ))
        }
        (
            _,
            ["admin", "alerts"]
            | ["admin", "alerts", _]
            | ["admin", "alerts", _, "publish" | "reject" | "deliveries"]
            | ["admin", "reports", _],
        ) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This path does not take that method. See the API document.",
        )),
        _ => Err(ApiError::not_found("There is no staff path here. See the API document.")),
    }
}
