//! `POST /reports`: JSON from the API or a plain form post from the no-JavaScript page.

use http::{Method, StatusCode};
use serde::Serialize;

use super::{BodyKind, Request, Response, body_kind, check_size, error_html, error_json, html, json, pages};
use crate::domain::Report;
use crate::error::ApiError;
use crate::usecases::submit_report::{SubmitDeps, submit_report};

#[derive(Serialize)]
struct Created<'a> {
    reference: &'a str,
    passphrase: &'a str,
    status: &'static str,
}

/// `GET /` (on `num serve`) and `GET /report`: the report form in the reader's language, its date no later than today.
/// (The cloud's `/` is the static English copy of the same form; its language switch comes back here.)
pub fn form_page(deps: &SubmitDeps, req: &Request) -> Response {
    let mut ctx = super::page_ctx(req);
    ctx.path = "/report".into();
    html(StatusCode::OK, pages::report_form(&ctx, Some(deps.clock.today_local())))
}

/// Handles one `POST /reports` (and `GET /report`, the form). Bad input is answered before anything is stored.
pub async fn handle(deps: &SubmitDeps, req: Request) -> Response {
    if req.method() == Method::GET && req.uri().path() == "/report" {
        return form_page(deps, &req);
    }
    // A form post is answered with a page, whatever the outcome; everything else with JSON.
    let wants_html = matches!(body_kind(&req, true), Ok(BodyKind::Form));
    let ctx = super::page_ctx(&req);
    let result = async {
        if req.method() != Method::POST {
            return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Send a report with POST."));
        }
        check_size(&req)?;
        let kind = body_kind(&req, true)?;
        let today = deps.clock.today_local();
        let report = match kind {
            BodyKind::Json => Report::from_json(req.body(), today)?,
            BodyKind::Form => Report::from_value(super::form::report_json_from_form(req.body())?, today)?,
        };
        Ok(submit_report(deps, report).await?)
    }
    .await;
    // A refused form comes back filled in as it was sent (a copy for the page, wiped once it is written).
    let mut sent: Vec<(String, String)> = match (&result, wants_html) {
        (Err(e), true) if e.status != StatusCode::PAYLOAD_TOO_LARGE => {
            form_urlencoded::parse(req.body()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
        }
        _ => Vec::new(),
    };
    // The report is sealed (or refused): the text it came as is zeroed.
    super::scrub(req.into_body());
    match (result, wants_html) {
        (Ok(r), false) => {
            json(StatusCode::CREATED, &Created { reference: r.reference.as_str(), passphrase: r.passphrase.expose(), status: "received" })
        }
        (Ok(r), true) => html(StatusCode::CREATED, pages::receipt(&ctx, r.reference.as_str(), r.passphrase.expose())),
        (Err(e), false) => {
            tracing::info!(status = e.status.as_u16(), code = e.code, "report refused");
            error_json(&e)
        }
        (Err(e), true) if sent.is_empty() => {
            tracing::info!(status = e.status.as_u16(), code = e.code, "report refused");
            error_html(&ctx, &e)
        }
        (Err(e), true) => {
            tracing::info!(status = e.status.as_u16(), code = e.code, "report refused");
            e.log();
            let page = pages::report_form_again(&ctx, Some(deps.clock.today_local()), &sent, &e);
            for (k, v) in &mut sent {
                use zeroize::Zeroize;
                k.zeroize();
                v.zeroize();
            }
            html(e.status, page)
        }
    }
}
