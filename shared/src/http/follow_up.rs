//! The reporter's follow-up paths: `GET /follow-up` (the page), `POST /follow-up`, `POST /follow-up/messages` and
//! `POST /follow-up/consent`. Each takes JSON (answered with JSON) or the page's form post (answered with a page).
//!
//! Every post carries the reference and passphrase; nothing is kept between requests (no cookie, no session). Failed
//! pairs are counted per client and per reference; a wrong pair is one answer (`401 wrong_pair`) whether or not the
//! reference exists. Nothing here logs a reference, a passphrase or a message.

use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::{BodyKind, Request, Response, body_kind, check_size, error_json, html, json, pages};
use crate::error::ApiError;
use crate::ratelimit::{Limiter, Secret, client_of};
use crate::usecases::Deps;
use crate::usecases::follow_up::{self, ConsentChange, ConsentNow, FollowUpError, FollowUpStatus};
use crate::usecases::submit_report::ReportRecord;
use crate::usecases::thread::{self, Author, Message};

impl From<FollowUpError> for ApiError {
    fn from(e: FollowUpError) -> Self {
        match e {
            FollowUpError::WrongPair => wrong_pair(),
            FollowUpError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Many people are signing in at this moment. Nothing was changed: try again in a few seconds.",
            ),
            FollowUpError::Hashing(_) => ApiError::internal(&e),
            FollowUpError::Store(s) => s.into(),
            FollowUpError::Key(k) => k.into(),
            FollowUpError::Seal(s) => s.into(),
            FollowUpError::BadText => ApiError::bad_request("invalid_text", "Write a message of 1 to 5,000 characters.").with_field("text"),
            FollowUpError::NoChange => ApiError::bad_request(
                "no_change",
                "Give at least one of share_with_police, share_identity_with_police, caseworker_contact, publish_alert, as true or false.",
            )
            .with_field("consent"),
            FollowUpError::NoteNeeded => ApiError::bad_request(
                "note_needed",
                "Say in the note how the reporter gave this answer (when, by which call, in whose words); nothing was recorded.",
            )
            .with_field("note"),
        }
    }
}

/// The one answer to a wrong pair: the same whether the reference is unknown or the passphrase is wrong.
pub fn wrong_pair() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "wrong_pair",
        "The reference and passphrase do not match a report. Check both and try again; a lost passphrase cannot be recovered.",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PairBody {
    reference: String,
    passphrase: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    consent: Option<ConsentChange>,
}

/// The passphrase and the message are zeroed when the request is done with them.
impl Drop for PairBody {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.passphrase.zeroize();
        if let Some(t) = self.text.as_mut() {
            t.zeroize();
        }
    }
}

fn form_pair(req: &Request, path: &str) -> PairBody {
    let mut b = PairBody { reference: String::new(), passphrase: String::new(), text: None, consent: None };
    let mut consent = ConsentChange::default();
    let mut consent_form = false;
    for (k, v) in form_urlencoded::parse(req.body()) {
        match k.as_ref() {
            "reference" => b.reference = v.trim().chars().take(40).collect(),
            "passphrase" => b.passphrase = v.trim().chars().take(60).collect(),
            "text" => b.text = Some(v.replace("\r\n", "\n")),
            "consent_form" => consent_form = true,
            "publish_alert" => consent.publish_alert = Some(true),
            "caseworker_contact" => consent.caseworker_contact = Some(true),
            "share_with_police" => consent.share_with_police = Some(true),
            "share_identity_with_police" => consent.share_identity_with_police = Some(true),
            _ => {}
        }
    }
    // A box left unticked is not sent: on the consent form, not sent means no.
    if consent_form && path == "/follow-up/consent" {
        consent.publish_alert.get_or_insert(false);
        consent.caseworker_contact.get_or_insert(false);
        consent.share_with_police.get_or_insert(false);
        consent.share_identity_with_police.get_or_insert(false);
        b.consent = Some(consent);
    }
    b
}

fn parse_json(req: &Request) -> Result<PairBody, ApiError> {
    serde_json::from_slice(req.body()).map_err(|e| {
        let msg = e.to_string();
        let detail = msg.split(" at line").next().unwrap_or("malformed JSON");
        ApiError::bad_request("invalid_body", format!("The body is not what this path takes: {detail}."))
    })
}

/// The reference as the limiter counts it: its canonical form, so "r-abcd…" and "R-ABCD…" are one reference.
fn reference_key(reference: &str) -> String {
    crate::domain::ids::normalise_base32(reference)
}

/// Checks the pair under the limits: refused with 429 once the client or the reference has failed too often.
async fn open(deps: &Deps, limiter: &Limiter, req: &Request, body: &PairBody) -> Result<(ReportRecord, crate::ports::Item), ApiError> {
    let client = client_of(req);
    let reference = reference_key(&body.reference);
    limiter.check(Secret::FollowUp, client)?;
    limiter.check_for(Secret::FollowUpReference, &reference)?;
    match follow_up::sign_in(deps, &body.reference, &body.passphrase).await {
        Ok(found) => Ok(found),
        Err(FollowUpError::WrongPair) => {
            limiter.fail(Secret::FollowUp, client);
            limiter.fail_for(Secret::FollowUpReference, &reference);
            Err(wrong_pair())
        }
        Err(e) => Err(e.into()),
    }
}

struct Opened {
    status: FollowUpStatus,
    messages: Vec<Message>,
    consent: ConsentNow,
    police_deadlines: Vec<String>,
}

async fn view(deps: &Deps, rec: &ReportRecord, item: &crate::ports::Item) -> Result<Opened, ApiError> {
    Ok(Opened {
        status: follow_up::status_of(deps, rec, item).await?,
        messages: thread::messages(deps, &rec.report_id).await?,
        consent: follow_up::current_consent(deps, rec).await?,
        police_deadlines: crate::usecases::link_requests::open_deadlines(deps, &rec.report_id).await?,
    })
}

fn page(ctx: &pages::Ctx, status: StatusCode, body: &PairBody, o: &Opened, done: Option<String>, errors: &pages::FieldErrors) -> Response {
    let v = pages::FollowUpView {
        reference: &body.reference,
        passphrase: &body.passphrase,
        status: o.status,
        messages: &o.messages,
        consent: o.consent,
        police_deadlines: &o.police_deadlines,
        done,
    };
    html(status, pages::follow_up_report(ctx, &v, errors))
}

/// `GET /follow-up` and the three posts.
pub async fn handle(deps: &Deps, limiter: &Limiter, req: Request) -> Response {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let ctx = super::page_ctx(&req);
    let wants_page = req.method() == Method::GET || matches!(body_kind(&req, true), Ok(BodyKind::Form));
    let mut reference = String::new();
    let result = async {
        if req.method() == Method::GET && path == "/follow-up" {
            return Ok(html(StatusCode::OK, pages::follow_up_page(&ctx, "", &Default::default())));
        }
        if req.method() != Method::POST || !["/follow-up", "/follow-up/messages", "/follow-up/consent"].contains(&path.as_str()) {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This path does not take that method. See the API document.",
            ));
        }
        check_size(&req)?;
        let form = body_kind(&req, true)? == BodyKind::Form;
        let body = if form { form_pair(&req, &path) } else { parse_json(&req)? };
        reference = body.reference.clone();
        let (rec, item) = open(deps, limiter, &req, &body).await?;
        match path.as_str() {
            "/follow-up" => {
                let o = view(deps, &rec, &item).await?;
                if form {
                    Ok(page(&ctx, StatusCode::OK, &body, &o, None, &Default::default()))
                } else {
                    Ok(json(StatusCode::OK, &json!({"status": o.status, "messages": o.messages, "consent": o.consent,
                        "police_requests": o.police_deadlines.iter().map(|d| json!({"deadline": d, "asks": "share_identity_with_police"})).collect::<Vec<_>>()})))
                }
            }
            "/follow-up/messages" => {
                let text = body.text.as_deref().unwrap_or("");
                let added = thread::add_message(deps, &rec.report_id, Author::Reporter, text).await.map_err(ApiError::from);
                match (added, form) {
                    (Ok(_), false) => Ok(json(StatusCode::CREATED, &json!({"status": "sent"}))),
                    (Ok(_), true) => {
                        let o = view(deps, &rec, &item).await?;
                        Ok(page(&ctx, StatusCode::CREATED, &body, &o, Some(ctx.t("follow-up-sent")), &Default::default()))
                    }
                    (Err(e), true) => {
                        e.log();
                        let o = view(deps, &rec, &item).await?;
                        let errors = pages::FieldErrors(vec![("text".into(), pages::error_message(&ctx, &e))]);
                        Ok(page(&ctx, e.status, &body, &o, None, &errors))
                    }
                    (Err(e), false) => Err(e),
                }
            }
            _ => {
                let change = body.consent.unwrap_or_default();
                let consent = follow_up::change_consent(deps, &rec, change).await?;
                if form {
                    let o = view(deps, &rec, &item).await?;
                    Ok(page(&ctx, StatusCode::OK, &body, &o, Some(ctx.t("follow-up-saved")), &Default::default()))
                } else {
                    Ok(json(StatusCode::OK, &json!({"consent": consent})))
                }
            }
        }
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) if wants_page => {
            e.log();
            // A wrong pair (or too many) is the sign-in form again, the reference kept, the passphrase not.
            if matches!(e.status, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS) {
                let errors = pages::FieldErrors(vec![("reference".into(), pages::error_message(&ctx, &e))]);
                let keep: String = reference.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
                let mut res = html(e.status, pages::follow_up_page(&ctx, &keep, &errors));
                if let Some(secs) = e.retry_after {
                    res.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
                }
                res
            } else {
                html(e.status, pages::problem_page(&ctx, &e))
            }
        }
        Err(e) => error_json(&e),
    }
}

/// A caseworker's message: `{"text"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffText {
    text: String,
}

impl Drop for StaffText {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.text.zeroize();
    }
}

/// `GET /admin/reports/{report_id}/messages` (no body) and `POST` (a body): the staff side of the thread. The admin
/// router has already checked the role and written the audit entry.
pub async fn staff_messages(deps: &Deps, target: &str, send: Option<StaffText>) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("There is no report with this id.");
    let id = crate::domain::ReportId::parse(target).map_err(|_| not_found())?;
    deps.tables.get(crate::ports::Table::Reports, &ReportRecord::key(&id)).await?.ok_or_else(not_found)?;
    match send {
        None => Ok(json(StatusCode::OK, &json!({"messages": thread::messages(deps, &id).await?}))),
        Some(body) => {
            let notice = match thread::caseworker_message(deps, &id, &body.text).await? {
                thread::NoticePlan::Pending(at) => {
                    json!({"status": "waiting", "not_before": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)})
                }
                thread::NoticePlan::AlreadyPending => json!({"status": "waiting"}),
                thread::NoticePlan::None => json!({"status": "none"}),
            };
            Ok(json(StatusCode::CREATED, &json!({"status": "sent", "notice": notice})))
        }
    }
}
