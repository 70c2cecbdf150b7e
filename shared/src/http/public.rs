//! The public subscription paths: subscribe, verify, unsubscribe.

use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::{BodyKind, Request, Response, body_kind, check_size, error_json, html, json, pages};
use crate::domain::AlertId;
use crate::error::ApiError;
use crate::ratelimit::{Limiter, Secret, client_of};
use crate::usecases::alerts::{AlertError, AlertStatus, get_alert};
use crate::usecases::subscriptions::{
    CodeLimits, StopLinkError, SubscribeRequest, SubscriptionDeps, VerifyError, stop_texts, subscribe_within, unsubscribe, verify,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    subscription_id: String,
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnsubscribeBody {
    token: String,
}

/// The token of a stop link's path (`/stop/{token}`), kept to the characters a token has, so the page never echoes
/// anything else.
fn stop_token_of(path: &str) -> String {
    path["/stop/".len()..].chars().filter(char::is_ascii_alphanumeric).take(40).collect()
}

/// The `token` of the query string, as an unsubscribe link carries it.
fn query_token(req: &Request) -> Option<String> {
    req.uri().query().and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()))
}

fn parse_json<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, ApiError> {
    check_size(req)?;
    body_kind(req, false)?;
    let value: serde_json::Value = serde_json::from_slice(req.body())
        .map_err(|_| ApiError::bad_request("invalid_json", "The body is not valid JSON. Send one JSON object."))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        let err = ApiError::bad_request(
            "invalid_body",
            format!("This field is missing or not what this path takes: {}.", inner.split(" at line").next().unwrap_or("")),
        );
        let field = inner.split('`').nth(1).filter(|_| inner.contains("field `")).map(str::to_owned).unwrap_or(path);
        if field == "." { err } else { err.with_field(field) }
    })
}

/// The code limits, with the daily budget from `CODE_BUDGET_PER_DAY` (read once; a value that is not a number is
/// refused at start-up by `CodeLimits::from_env`, and here falls back to the default).
fn code_limits() -> &'static CodeLimits {
    static LIMITS: std::sync::OnceLock<CodeLimits> = std::sync::OnceLock::new();
    LIMITS.get_or_init(|| CodeLimits::from_env().unwrap_or_default())
}

/// `POST /subscriptions`, `POST /subscriptions/verify`, `GET|POST /unsubscribe`, and the members' page of a published
/// alert, `GET /alerts/{id}`.
pub async fn handle(deps: &SubscriptionDeps, limiter: &Limiter, req: Request) -> Response {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let client = client_of(&req);
    // A browser (a link opened, a page's form posted) is answered with a page, errors included; JSON with JSON.
    let wants_page = req.method() == Method::GET || matches!(body_kind(&req, true), Ok(BodyKind::Form));
    let result = async {
        match (req.method().clone(), path.as_str()) {
            (Method::POST, "/subscriptions") => {
                let body: SubscribeRequest = parse_json(&req)?;
                // Codes cost money and can harass: a client gets a few requests an hour (in this process), a contact a
                // few codes an hour and a day, and the deployment a daily budget (both in the table).
                limiter.check(Secret::CodeRequest, client).map_err(|_| ApiError::too_many_code_requests())?;
                let id = subscribe_within(deps, body, code_limits()).await?;
                limiter.fail(Secret::CodeRequest, client);
                Ok(json(StatusCode::ACCEPTED, &json!({"subscription_id": id, "status": "pending_verification"})))
            }
            (Method::POST, "/subscriptions/verify") => {
                let body: VerifyBody = parse_json(&req)?;
                limiter.check(Secret::VerificationCode, client)?;
                verify(deps, &body.subscription_id, &body.code).await.inspect_err(|e| {
                    // A guess that missed counts against the client; an outage or an expired code does not.
                    if matches!(e, VerifyError::WrongCode | VerifyError::Unknown) {
                        limiter.fail(Secret::VerificationCode, client);
                    }
                })?;
                Ok(json(StatusCode::OK, &json!({"status": "active"})))
            }
            // Mail systems' link scanners follow links: the link only shows a button, and changes nothing.
            (Method::GET, "/unsubscribe") => {
                let token = query_token(&req).unwrap_or_default();
                Ok(html(StatusCode::OK, pages::confirm_unsubscribe(&token)))
            }
            // Ends it: JSON `{"token"}`, the page's form, or a mail client's one-click post (RFC 8058: the body is
            // `List-Unsubscribe=One-Click` and the token is in the link's query).
            (Method::POST, "/unsubscribe") => {
                check_size(&req)?;
                let (token, browser) = match body_kind(&req, true)? {
                    BodyKind::Json => (parse_json::<UnsubscribeBody>(&req)?.token, false),
                    BodyKind::Form => {
                        let from_body = form_urlencoded::parse(req.body()).find(|(k, _)| k == "token").map(|(_, v)| v.into_owned());
                        let token = from_body.or_else(|| query_token(&req)).ok_or_else(|| {
                            ApiError::bad_request("missing_token", "Open the link from your email again: it carries the token.")
                                .with_field("token")
                        })?;
                        (token, true)
                    }
                };
                limiter.check(Secret::UnsubscribeToken, client)?;
                unsubscribe(deps, &token).await.inspect_err(|_| limiter.fail(Secret::UnsubscribeToken, client))?;
                if browser {
                    Ok(html(StatusCode::OK, pages::unsubscribed()))
                } else {
                    Ok(json(StatusCode::OK, &json!({"status": "unsubscribed"})))
                }
            }
            // A text's stop link: the page changes nothing (link previews fetch it); its button, or a JSON post, stops
            // texts to that subscription.
            (Method::GET, p) if p.starts_with("/stop/") => Ok(html(StatusCode::OK, pages::confirm_stop_texts(&stop_token_of(p)))),
            (Method::POST, p) if p.starts_with("/stop/") => {
                check_size(&req)?;
                limiter.check(Secret::UnsubscribeToken, client)?;
                stop_texts(deps, &stop_token_of(p)).await.inspect_err(|e| {
                    if matches!(e, StopLinkError::InvalidToken) {
                        limiter.fail(Secret::UnsubscribeToken, client);
                    }
                })?;
                if wants_page {
                    Ok(html(StatusCode::OK, pages::texts_stopped()))
                } else {
                    Ok(json(StatusCode::OK, &json!({"status": "texts_stopped"})))
                }
            }
            (Method::GET, p) if p.starts_with("/alerts/") => {
                let not_found = || ApiError::not_found("There is no published alert at this address. It may have been withdrawn.");
                let id = AlertId::parse(&p["/alerts/".len()..]).map_err(|_| not_found())?;
                // Only an alert that is not there is "not found": a table that does not answer is an outage (503).
                let rec = get_alert(deps, &id).await.map_err(|e| match e {
                    AlertError::NotFound => not_found(),
                    e => ApiError::from(e),
                })?;
                // Only what staff published: a draft or a rejected alert is not shown, even to someone holding its id.
                if rec.status != AlertStatus::Published {
                    return Err(not_found());
                }
                let alert = rec.open(deps.keys.as_ref()).await?;
                Ok(html(StatusCode::OK, pages::alert_page(&alert, &rec.regions)))
            }
            _ => Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This path does not take that method. See the API document.",
            )),
        }
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) if wants_page => {
            e.log();
            html(e.status, pages::problem_page(&e))
        }
        Err(e) => error_json(&e),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use http::StatusCode;

    use super::handle;
    use crate::adapters::faults::{Fault, Faulty};
    use crate::adapters::{LocalKeys, SqliteTables};
    use crate::domain::AlertId;
    use crate::ports::SystemClock;
    use crate::ratelimit::Limiter;
    use crate::usecases::subscriptions::SubscriptionDeps;

    fn members_page(id: &AlertId) -> super::Request {
        http::Request::get(format!("/alerts/{id}")).body(Bytes::new()).expect("a valid request")
    }

    #[tokio::test]
    async fn the_members_page_answers_503_not_404_when_the_table_is_down() {
        let dir = tempfile::tempdir().unwrap();
        let tables = Arc::new(Faulty::new(SqliteTables::in_memory().unwrap()));
        let deps = SubscriptionDeps {
            tables: tables.clone(),
            keys: Arc::new(LocalKeys::open_or_create(dir.path()).unwrap()),
            clock: Arc::new(SystemClock),
        };
        let limiter = Limiter::default();
        let id = AlertId::from_digest(&[7u8; 32]);

        let res = handle(&deps, &limiter, members_page(&id)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "an alert that is not there is not found");

        tables.fail_always(Fault::Throttled);
        let res = handle(&deps, &limiter, members_page(&id)).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "an outage is not an answer about the alert");
        let body = String::from_utf8_lossy(res.body()).into_owned();
        assert!(!body.contains("withdrawn"), "the page does not claim the alert is gone: {body}");
        assert!(!body.contains("Throttling"), "the cause stays in the log: {body}");
    }
}
