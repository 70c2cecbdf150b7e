//! The public subscription and member paths: the join and verify pages, subscribe, verify, unsubscribe, member sign-in,
//! the members' area and settings, and the page of a published alert.

use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::{BodyKind, Request, Response, body_kind, check_size, error_json, html, json, pages};
use crate::domain::{AlertId, Region, SubscriptionId};
use crate::error::ApiError;
use crate::ratelimit::{Limiter, Secret, client_of};
use crate::usecases::alerts::{AlertError, AlertStatus, get_alert};
use crate::usecases::offenders::{CheckRequest, check};
use crate::usecases::subscriptions::{
    Channel, CodeLimits, SignInError, StopLinkError, SubscribeRequest, SubscriptionDeps, SubscriptionStatus, VerifyError, Vetting,
    get_subscription, leave, member_of_session, request_sign_in, sign_out, stop_texts, subscribe_within, subscription_of_token,
    unsubscribe, update_settings, verify, verify_sign_in,
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

/// A form body's fields, in order (a repeated field, such as a ticked region, appears once for each value).
fn form_fields(req: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(req.body()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

fn all(fields: &[(String, String)], name: &str) -> Vec<String> {
    fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
}

/// The join form as a subscription request; a field the form does not have is refused as JSON's unknown fields are.
fn join_values(req: &Request) -> Result<pages::JoinValues, ApiError> {
    let fields = form_fields(req);
    if let Some((k, _)) = fields.iter().find(|(k, _)| !["email", "phone", "regions", "channels", "language"].contains(&k.as_str())) {
        return Err(ApiError::bad_request("unknown_field", "This field is not one of the join form's. Remove it.")
            .with_field(k.chars().take(40).collect::<String>()));
    }
    Ok(pages::JoinValues {
        email: field(&fields, "email").unwrap_or_default().trim().to_owned(),
        phone: field(&fields, "phone").unwrap_or_default().trim().to_owned(),
        regions: all(&fields, "regions"),
        channels: all(&fields, "channels"),
        language: field(&fields, "language").as_deref().and_then(crate::i18n::Lang::parse),
    })
}

/// An error as the form shows it: beside the field it names (a list's item is the list), at the top in any case.
fn field_errors(ctx: &pages::Ctx, e: &ApiError) -> pages::FieldErrors {
    let field = e.field.as_deref().map(|f| f.split('[').next().unwrap_or(f).to_owned()).unwrap_or_else(|| "errors".into());
    pages::FieldErrors(vec![(field, pages::error_message(ctx, e))])
}

fn subscription_id_of(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(64).collect()
}

/// `POST /subscriptions`, `POST /subscriptions/verify`, `GET|POST /unsubscribe`, the join and verify pages, and the
/// members' page of a published alert, `GET /alerts/{id}`.
pub async fn handle(deps: &SubscriptionDeps, limiter: &Limiter, vetting: Vetting, req: Request) -> Response {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    // The reporter's way back (see `http::follow_up`).
    if path == "/follow-up" || path.starts_with("/follow-up/") {
        return super::follow_up::handle(deps, limiter, req).await;
    }
    let client = client_of(&req);
    let ctx = super::page_ctx(&req);
    // A browser (a link opened, a page's form posted) is answered with a page, errors included; JSON with JSON.
    let wants_page = req.method() == Method::GET || matches!(body_kind(&req, true), Ok(BodyKind::Form));
    let result = async {
        match (req.method().clone(), path.as_str()) {
            (Method::GET, "/prefs") => Ok(super::prefs(&req)),
            // The join page; `GET /subscriptions` is where a browser lands that opens the API's address.
            (Method::GET, "/join" | "/subscriptions") => {
                Ok(html(StatusCode::OK, pages::join_page(&ctx, &Default::default(), &Default::default())))
            }
            (Method::POST, "/subscriptions") => {
                check_size(&req)?;
                let form = body_kind(&req, true)? == BodyKind::Form;
                let (body, values) = if form {
                    let v = join_values(&req)?;
                    let body = SubscribeRequest {
                        email: Some(v.email.clone()),
                        phone: Some(v.phone.clone()),
                        regions: v.regions.clone(),
                        channels: v.channels.clone(),
                        language: Some(v.language.unwrap_or(ctx.lang).code().to_owned()),
                    };
                    (body, Some(v))
                } else {
                    (parse_json::<SubscribeRequest>(&req)?, None)
                };
                // Codes cost money and can harass: a client gets a few requests an hour (in this process), a contact a
                // few codes an hour and a day, and the deployment a daily budget (both in the table).
                let outcome = match limiter.check(Secret::CodeRequest, client).map_err(|_| ApiError::too_many_code_requests()) {
                    Ok(()) => subscribe_within(deps, body, code_limits()).await.map_err(ApiError::from),
                    Err(e) => Err(e),
                };
                match (outcome, values) {
                    (Ok(id), None) => {
                        limiter.fail(Secret::CodeRequest, client);
                        Ok(json(StatusCode::ACCEPTED, &json!({"subscription_id": id, "status": "pending_verification"})))
                    }
                    (Ok(id), Some(v)) => {
                        limiter.fail(Secret::CodeRequest, client);
                        let lang = v.language.unwrap_or(ctx.lang);
                        Ok(super::see_other(&format!("/verify?subscription_id={id}&lang={}", lang.code())))
                    }
                    // The form again, with what was typed and the error beside its field.
                    (Err(e), Some(v)) => {
                        e.log();
                        Ok(html(e.status, pages::join_page(&ctx, &v, &field_errors(&ctx, &e))))
                    }
                    (Err(e), None) => Err(e),
                }
            }
            (Method::GET, "/verify") => {
                let id = subscription_id_of(&super::query_param(&req, "subscription_id").unwrap_or_default());
                let (waiting, done, lang) = contact_state(deps, &id).await;
                let ctx = in_their_language(&ctx, lang);
                Ok(html(StatusCode::OK, pages::verify_page(&ctx, &id, &waiting, &done, &Default::default())))
            }
            (Method::POST, "/subscriptions/verify") => {
                check_size(&req)?;
                let form = body_kind(&req, true)? == BodyKind::Form;
                let body: VerifyBody = if form {
                    let fields = form_fields(&req);
                    VerifyBody {
                        subscription_id: subscription_id_of(&field(&fields, "subscription_id").unwrap_or_default()),
                        code: field(&fields, "code").unwrap_or_default(),
                    }
                } else {
                    parse_json(&req)?
                };
                let outcome = match limiter.check(Secret::VerificationCode, client) {
                    Ok(()) => verify(deps, &body.subscription_id, &body.code, vetting).await.map_err(|e| {
                        // A guess that missed counts against the client; an outage or an expired code does not.
                        if matches!(e, VerifyError::WrongCode | VerifyError::Unknown) {
                            limiter.fail(Secret::VerificationCode, client);
                        }
                        ApiError::from(e)
                    }),
                    Err(e) => Err(e),
                };
                match (outcome, form) {
                    (Ok(status), false) => Ok(json(StatusCode::OK, &json!({"status": status}))),
                    (Ok(status), true) => {
                        let (waiting, done, lang) = contact_state(deps, &body.subscription_id).await;
                        let ctx = in_their_language(&ctx, lang);
                        if waiting.is_empty() {
                            Ok(html(StatusCode::OK, pages::verified_page(&ctx, status == SubscriptionStatus::PendingApproval)))
                        } else {
                            Ok(html(StatusCode::OK, pages::verify_page(&ctx, &body.subscription_id, &waiting, &done, &Default::default())))
                        }
                    }
                    (Err(e), true) => {
                        e.log();
                        let (waiting, done, lang) = contact_state(deps, &body.subscription_id).await;
                        let ctx = in_their_language(&ctx, lang);
                        let errors = pages::FieldErrors(vec![("code".into(), pages::error_message(&ctx, &e))]);
                        Ok(html(e.status, pages::verify_page(&ctx, &body.subscription_id, &waiting, &done, &errors)))
                    }
                    (Err(e), false) => Err(e),
                }
            }
            (Method::GET, "/members/sign-in") => Ok(html(StatusCode::OK, pages::sign_in_page(&ctx, "", "", &Default::default()))),
            (Method::POST, "/members/sign-in") => {
                check_size(&req)?;
                let form = body_kind(&req, true)? == BodyKind::Form;
                let body: ContactBody = if form { contact_form(&req) } else { parse_json(&req)? };
                let outcome = match limiter.check(Secret::CodeRequest, client).map_err(|_| ApiError::too_many_code_requests()) {
                    Ok(()) => request_sign_in(deps, body.email.as_deref(), body.phone.as_deref()).await.map_err(ApiError::from),
                    Err(e) => Err(e),
                };
                let (email, phone) = (body.email.unwrap_or_default(), body.phone.unwrap_or_default());
                match (outcome, form) {
                    (Ok(()), false) => {
                        limiter.fail(Secret::CodeRequest, client);
                        Ok(json(StatusCode::ACCEPTED, &json!({"status": "code_sent_if_member"})))
                    }
                    (Ok(()), true) => {
                        limiter.fail(Secret::CodeRequest, client);
                        Ok(html(StatusCode::OK, pages::sign_in_code_page(&ctx, &email, &phone, &Default::default())))
                    }
                    (Err(e), true) => {
                        e.log();
                        Ok(html(e.status, pages::sign_in_page(&ctx, &email, &phone, &field_errors(&ctx, &e))))
                    }
                    (Err(e), false) => Err(e),
                }
            }
            (Method::POST, "/members/sign-in/verify") => {
                check_size(&req)?;
                let form = body_kind(&req, true)? == BodyKind::Form;
                let body: SignInBody = if form {
                    let c = contact_form(&req);
                    SignInBody { email: c.email, phone: c.phone, code: field(&form_fields(&req), "code").unwrap_or_default() }
                } else {
                    parse_json(&req)?
                };
                let outcome = match limiter.check(Secret::VerificationCode, client) {
                    Ok(()) => verify_sign_in(deps, body.email.as_deref(), body.phone.as_deref(), &body.code).await.map_err(|e| {
                        if matches!(e, SignInError::WrongCode) {
                            limiter.fail(Secret::VerificationCode, client);
                        }
                        ApiError::from(e)
                    }),
                    Err(e) => Err(e),
                };
                match (outcome, form) {
                    (Ok(session), false) => {
                        let mut res = json(StatusCode::OK, &json!({"token": session.token, "expires_at": session.expires_at}));
                        set_session_cookie(&mut res, &req, &session.token);
                        Ok(res)
                    }
                    (Ok(session), true) => {
                        let mut res = super::see_other(&ctx.href("/members"));
                        set_session_cookie(&mut res, &req, &session.token);
                        Ok(res)
                    }
                    (Err(e), true) => {
                        e.log();
                        let errors = pages::FieldErrors(vec![("code".into(), pages::error_message(&ctx, &e))]);
                        let (email, phone) = (body.email.unwrap_or_default(), body.phone.unwrap_or_default());
                        Ok(html(e.status, pages::sign_in_code_page(&ctx, &email, &phone, &errors)))
                    }
                    (Err(e), false) => Err(e),
                }
            }
            (Method::GET, "/members/alerts") => {
                let member = signed_in(deps, &req).await?.ok_or_else(not_signed_in)?;
                let alerts = member_alerts(deps, &member).await?;
                let list: Vec<serde_json::Value> = alerts
                    .iter()
                    .map(
                        |(id, a)| json!({"alert_id": id, "town": a.town, "date": a.date, "categories": a.categories, "summary": a.summary}),
                    )
                    .collect();
                Ok(json(StatusCode::OK, &json!({"alerts": list})))
            }
            (Method::GET, "/members" | "/members/settings") => {
                let Some(member) = signed_in(deps, &req).await? else { return Ok(super::see_other(&ctx.href("/members/sign-in"))) };
                let mut ctx = ctx.clone();
                ctx.member = true;
                if path == "/members" {
                    let alerts = member_alerts(deps, &member).await?;
                    let items: Vec<pages::AlertItem<'_>> =
                        alerts.iter().map(|(id, a)| pages::AlertItem { alert_id: id.as_str(), alert: a }).collect();
                    Ok(html(StatusCode::OK, pages::members_page(&ctx, &member.regions, &items)))
                } else {
                    Ok(html(StatusCode::OK, pages::settings_page(&ctx, &settings_of(&member), &Default::default(), false)))
                }
            }
            (Method::POST, "/members/settings") => {
                check_size(&req)?;
                let Some(member) = signed_in(deps, &req).await? else { return Ok(super::see_other(&ctx.href("/members/sign-in"))) };
                let mut ctx = ctx.clone();
                ctx.member = true;
                let fields = form_fields(&req);
                let regions: Vec<Region> = all(&fields, "regions").iter().filter_map(|r| Region::parse(r)).collect();
                let channels: Vec<Channel> = all(&fields, "channels").iter().filter_map(|c| Channel::parse(c)).collect();
                let language = field(&fields, "language").as_deref().and_then(crate::i18n::Lang::parse).unwrap_or(member.language);
                match update_settings(deps, &member, &regions, &channels, language).await {
                    Ok(now) => Ok(html(StatusCode::OK, pages::settings_page(&ctx, &settings_of(&now), &Default::default(), true))),
                    Err(e) => {
                        let e = ApiError::from(e);
                        e.log();
                        let mut v = settings_of(&member);
                        (v.regions, v.channels, v.language) = (regions, channels, language);
                        Ok(html(e.status, pages::settings_page(&ctx, &v, &field_errors(&ctx, &e), false)))
                    }
                }
            }
            (Method::GET, "/members/check") => {
                let Some(_member) = signed_in(deps, &req).await? else { return Ok(super::see_other(&ctx.href("/members/sign-in"))) };
                let mut ctx = ctx.clone();
                ctx.member = true;
                Ok(html(StatusCode::OK, pages::check_page(&ctx, "", "", None, &Default::default())))
            }
            (Method::POST, "/members/check") => {
                check_size(&req)?;
                let form = body_kind(&req, true)? == BodyKind::Form;
                let Some(member) = signed_in(deps, &req).await? else {
                    return if form { Ok(super::see_other(&ctx.href("/members/sign-in"))) } else { Err(not_signed_in()) };
                };
                let body: CheckRequest = if form {
                    let f = form_fields(&req);
                    CheckRequest { phone: field(&f, "phone"), email: field(&f, "email") }
                } else {
                    parse_json(&req)?
                };
                let outcome = check(deps, member.subscription_id.as_str(), &body).await.map_err(ApiError::from);
                if !form {
                    let found = outcome?;
                    return Ok(json(StatusCode::OK, &json!({"matches": found.len(), "alerts": found})));
                }
                let mut ctx = ctx.clone();
                ctx.member = true;
                let (phone, email) = (body.phone.unwrap_or_default(), body.email.unwrap_or_default());
                match outcome {
                    Ok(found) => {
                        let mut opened = Vec::new();
                        for m in &found {
                            let rec = get_alert(deps, &m.alert_id).await.map_err(ApiError::from)?;
                            opened.push((m.alert_id.to_string(), rec.open(deps.keys.as_ref()).await?));
                        }
                        let items: Vec<pages::AlertItem<'_>> =
                            opened.iter().map(|(id, a)| pages::AlertItem { alert_id: id.as_str(), alert: a }).collect();
                        let result = pages::CheckResult { alerts: &items };
                        Ok(html(StatusCode::OK, pages::check_page(&ctx, &phone, &email, Some(result), &Default::default())))
                    }
                    Err(e) => {
                        e.log();
                        let mut res = html(e.status, pages::check_page(&ctx, &phone, &email, None, &field_errors(&ctx, &e)));
                        if let Some(after) = e.retry_after.and_then(|s| http::HeaderValue::from_str(&s.to_string()).ok()) {
                            res.headers_mut().insert(http::header::RETRY_AFTER, after);
                        }
                        Ok(res)
                    }
                }
            }
            (Method::POST, "/members/sign-out") => {
                if let Some(token) = session_token(&req) {
                    sign_out(deps, &token).await?;
                }
                let mut res = html(StatusCode::OK, pages::signed_out_page(&ctx, false));
                clear_session_cookie(&mut res, &req);
                Ok(res)
            }
            (Method::POST, "/members/leave") => {
                let token = session_token(&req).unwrap_or_default();
                let Some(member) = signed_in(deps, &req).await? else { return Ok(super::see_other(&ctx.href("/members/sign-in"))) };
                leave(deps, &member, &token).await?;
                let mut res = html(StatusCode::OK, pages::signed_out_page(&ctx, true));
                clear_session_cookie(&mut res, &req);
                Ok(res)
            }
            // Mail systems' link scanners follow links: the link only shows a button, and changes nothing.
            (Method::GET, "/unsubscribe") => {
                let token = query_token(&req).unwrap_or_default();
                // What would stop, read only; an outage just leaves the details out.
                let what = subscription_of_token(deps, &token).await.ok().flatten();
                let ctx = in_their_language(&ctx, what.as_ref().map(|r| r.language));
                let what = what.as_ref().map(|r| (r.regions.as_slice(), r.verified_channels()));
                Ok(html(StatusCode::OK, pages::confirm_unsubscribe(&ctx, &token, what.as_ref().map(|(r, c)| (*r, c.as_slice())))))
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
                    Ok(html(StatusCode::OK, pages::unsubscribed(&ctx)))
                } else {
                    Ok(json(StatusCode::OK, &json!({"status": "unsubscribed"})))
                }
            }
            // A text's stop link: the page changes nothing (link previews fetch it); its button, or a JSON post, stops
            // texts to that subscription.
            (Method::GET, p) if p.starts_with("/stop/") => Ok(html(StatusCode::OK, pages::confirm_stop_texts(&ctx, &stop_token_of(p)))),
            (Method::POST, p) if p.starts_with("/stop/") => {
                check_size(&req)?;
                limiter.check(Secret::UnsubscribeToken, client)?;
                stop_texts(deps, &stop_token_of(p)).await.inspect_err(|e| {
                    if matches!(e, StopLinkError::InvalidToken) {
                        limiter.fail(Secret::UnsubscribeToken, client);
                    }
                })?;
                if wants_page {
                    Ok(html(StatusCode::OK, pages::texts_stopped(&ctx)))
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
                // A withdrawn or ended one says so, and shows nothing of what it said.
                match (rec.status, &rec.withdrawn_at, &rec.ends_at) {
                    (AlertStatus::Withdrawn, Some(at), _) => {
                        return Ok(html(StatusCode::OK, pages::alert_gone_page(&ctx, pages::Gone::Withdrawn(at))));
                    }
                    (AlertStatus::Published, _, Some(end)) if rec.ended_at(deps.clock.now()) => {
                        return Ok(html(StatusCode::OK, pages::alert_gone_page(&ctx, pages::Gone::Ended(end))));
                    }
                    (AlertStatus::Published, _, _) => {}
                    _ => return Err(not_found()),
                }
                let alert = rec.open(deps.keys.as_ref()).await?;
                let life = pages::AlertLife {
                    reported: rec.reported_times.zip(rec.reported_since.as_deref()),
                    corrected: rec.corrected_at.as_deref().map(|at| (at, rec.version)),
                    ends_at: rec.ends_at.as_deref(),
                };
                Ok(html(StatusCode::OK, pages::alert_page(&ctx, &alert, &rec.regions, life)))
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
            html(e.status, pages::problem_page(&ctx, &e))
        }
        Err(e) => error_json(&e),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ContactBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    code: String,
}

fn contact_form(req: &Request) -> ContactBody {
    let fields = form_fields(req);
    let nonblank = |n: &str| field(&fields, n).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    ContactBody { email: nonblank("email"), phone: nonblank("phone") }
}

/// The session token: the page's cookie, or a client's `Authorization: Bearer`.
fn session_token(req: &Request) -> Option<String> {
    if let Some(c) = super::cookie(req, super::SESSION_COOKIE) {
        return Some(c.to_owned());
    }
    let auth = req.headers().get(http::header::AUTHORIZATION)?.to_str().ok()?;
    auth.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

async fn signed_in(deps: &SubscriptionDeps, req: &Request) -> Result<Option<crate::usecases::subscriptions::SubscriptionRecord>, ApiError> {
    match session_token(req) {
        Some(token) => Ok(member_of_session(deps, &token).await?),
        None => Ok(None),
    }
}

fn not_signed_in() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "not_signed_in", "Sign in again: there is no session, or it has ended.")
}

/// The session cookie: HttpOnly, SameSite=Strict, Secure outside this machine, for the session's longest life.
fn set_session_cookie(res: &mut Response, req: &Request, token: &str) {
    let secure = if super::is_local(req) { "" } else { "; Secure" };
    let max = crate::usecases::subscriptions::SESSION_MAX_HOURS * 3600;
    let c = format!("{}={token}; Path=/; Max-Age={max}; HttpOnly; SameSite=Strict{secure}", super::SESSION_COOKIE);
    if let Ok(v) = http::HeaderValue::from_str(&c) {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
}

fn clear_session_cookie(res: &mut Response, req: &Request) {
    let secure = if super::is_local(req) { "" } else { "; Secure" };
    let c = format!("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}", super::SESSION_COOKIE);
    if let Ok(v) = http::HeaderValue::from_str(&c) {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
}

fn settings_of(m: &crate::usecases::subscriptions::SubscriptionRecord) -> pages::SettingsValues {
    pages::SettingsValues {
        regions: m.regions.clone(),
        channels: m.verified_channels(),
        available: [Channel::Email, Channel::Sms].into_iter().filter(|c| m.check(*c).is_some_and(|k| k.verified_at.is_some())).collect(),
        language: m.language,
    }
}

/// The published alerts for a member's regions, newest first (at most 50).
async fn member_alerts(
    deps: &SubscriptionDeps,
    member: &crate::usecases::subscriptions::SubscriptionRecord,
) -> Result<Vec<(String, crate::domain::alert::Alert)>, ApiError> {
    let mut out = Vec::new();
    for rec in crate::usecases::alerts::published_for(deps, &member.regions, 50).await? {
        let alert = rec.open(deps.keys.as_ref()).await?;
        out.push((rec.alert_id.to_string(), alert));
    }
    Ok(out)
}

/// Which contacts of a subscription still wait for their code, and which are verified (nothing where the id is
/// unknown or the table does not answer: the page then just asks for a code).
async fn contact_state(deps: &SubscriptionDeps, id: &str) -> (Vec<Channel>, Vec<Channel>, Option<crate::i18n::Lang>) {
    let Ok(id) = SubscriptionId::parse(id) else { return Default::default() };
    match get_subscription(deps.tables.as_ref(), &id).await {
        Ok(Some(rec)) => (rec.waiting_channels(), rec.verified_channels(), Some(rec.language)),
        _ => Default::default(),
    }
}

/// The verify pages speak the language the person chose on the join form, unless the address names another.
fn in_their_language(ctx: &pages::Ctx, lang: Option<crate::i18n::Lang>) -> pages::Ctx {
    let mut ctx = ctx.clone();
    if let Some(l) = lang.filter(|_| !ctx.lang_in_query) {
        ctx.lang = l;
    }
    ctx
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

        let res = handle(&deps, &limiter, Default::default(), members_page(&id)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "an alert that is not there is not found");

        tables.fail_always(Fault::Throttled);
        let res = handle(&deps, &limiter, Default::default(), members_page(&id)).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "an outage is not an answer about the alert");
        let body = String::from_utf8_lossy(res.body()).into_owned();
        assert!(!body.contains("withdrawn"), "the page does not claim the alert is gone: {body}");
        assert!(!body.contains("Throttling"), "the cause stays in the log: {body}");
    }
}
