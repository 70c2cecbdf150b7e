//! HTTP handlers shared by the Lambda functions (through lambda_http) and `num serve` (through axum).
//!
//! Handlers take an `http::Request<Bytes>` and give an `http::Response<Bytes>`, so both hosts serve the very same
//! code; each host only converts its own body type.

pub mod admin;
pub mod casework;
pub mod console;
pub mod errors;
pub mod follow_up;
pub mod form;
pub mod pages;
pub mod police;
pub mod public;
pub mod submit;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::error::ApiError;

pub type Request = http::Request<Bytes>;
pub type Response = http::Response<Bytes>;

/// The largest body any endpoint takes.
pub const MAX_BODY: usize = 64 * 1024;

/// What a request body claims to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Form,
}

/// Reads the content type; anything but JSON or a form post is refused with 415.
pub fn body_kind(req: &Request, accept_form: bool) -> Result<BodyKind, ApiError> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => Ok(BodyKind::Json),
        "application/x-www-form-urlencoded" if accept_form => Ok(BodyKind::Form),
        _ if accept_form => Err(ApiError::unsupported_type("JSON (application/json) or a form post (application/x-www-form-urlencoded)")),
        _ => Err(ApiError::unsupported_type("JSON (application/json)")),
    }
}

/// Zeroes a request body once it has been read, where this process holds the only copy (a body API Gateway handed
/// over as text, or one axum gathered into one buffer). A shared buffer is left alone: it is not ours to write.
pub fn scrub(body: Bytes) {
    drop(scrubbed(body));
}

/// The zeroed buffer, or `None` where the buffer is shared and left alone.
fn scrubbed(body: Bytes) -> Option<bytes::BytesMut> {
    use zeroize::Zeroize;
    let mut b = body.try_into_mut().ok()?;
    b.as_mut().zeroize();
    Some(b)
}

/// Refuses a body over the limit before anything reads it.
pub fn check_size(req: &Request) -> Result<(), ApiError> {
    if req.body().len() > MAX_BODY { Err(ApiError::too_large(MAX_BODY)) } else { Ok(()) }
}

fn base(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut res = http::Response::new(Bytes::from(body));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    base(status, "application/json; charset=utf-8", serde_json::to_vec(body).expect("response bodies always serialise"))
}

pub fn html(status: StatusCode, body: String) -> Response {
    let mut res = base(status, "text/html; charset=utf-8", body.into_bytes());
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// The JSON answer for an error; its internal cause, if any, is logged here, where it is answered.
pub fn error_json(err: &ApiError) -> Response {
    err.log();
    let mut res = base(err.status, "application/json; charset=utf-8", err.to_json());
    if let Some(secs) = err.retry_after {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// The page for a refused report form post.
pub fn error_html(ctx: &pages::Ctx, err: &ApiError) -> Response {
    err.log();
    html(err.status, pages::error_page(ctx, err))
}

/// The name of a member's session cookie.
pub const SESSION_COOKIE: &str = "num_session";

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A query parameter's value.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.uri().query().and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
}

/// What a page needs from its request: the language (`?lang=`, the `lang` cookie, `Accept-Language`, English), the
/// light the person chose, the page's path, and whether a member is signed in.
pub fn page_ctx(req: &Request) -> pages::Ctx {
    let query_lang = query_param(req, "lang");
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let (lang, lang_in_query) = crate::i18n::negotiate(query_lang.as_deref(), cookie(req, "lang"), accept);
    let theme = cookie(req, "theme").and_then(pages::Theme::parse).unwrap_or_default();
    pages::Ctx { lang, lang_in_query, theme, path: req.uri().path().to_owned(), member: cookie(req, SESSION_COOKIE).is_some() }
}

/// Whether cookies may go without `Secure`: only on this machine (`num serve` over plain HTTP).
pub fn is_local(req: &Request) -> bool {
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).or_else(|| req.uri().host()).unwrap_or("");
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

/// A `303 See Other` to a path of this site.
pub fn see_other(location: &str) -> Response {
    let mut res = base(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", Vec::new());
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// `GET /prefs?lang=pl&back=/join` (or `theme=dark`): the switches. Keeps the choice in a cookie the person asked
/// for, then goes back to the page they were on (a path of this site only).
pub fn prefs(req: &Request) -> Response {
    let back = query_param(req, "back").filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'));
    let mut res = see_other(back.as_deref().unwrap_or("/"));
    let secure = if is_local(req) { "" } else { "; Secure" };
    let mut set = |name: &str, value: &str, keep: bool| {
        let age = if keep { 31_536_000 } else { 0 };
        let c = format!("{name}={value}; Path=/; Max-Age={age}; HttpOnly; SameSite=Lax{secure}");
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    };
    if let Some(l) = query_param(req, "lang").as_deref().and_then(crate::i18n::Lang::parse) {
        set("lang", l.code(), true);
    }
    match query_param(req, "theme").as_deref().and_then(pages::Theme::parse) {
        Some(pages::Theme::Auto) => set("theme", "auto", false),
        Some(pages::Theme::Light) => set("theme", "light", true),
        Some(pages::Theme::Dark) => set("theme", "dark", true),
        None => {}
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_held_only_here_is_zeroed_and_a_shared_one_is_left_alone() {
        let body = Bytes::from(br#"{"account":"Jade Whitfield, 07700 900123"}"#.to_vec());
        let zeroed = scrubbed(body).expect("a body held only here is zeroed");
        assert!(!zeroed.is_empty() && zeroed.iter().all(|b| *b == 0));
        let shared = Bytes::from(b"shared".to_vec());
        let other = shared.clone();
        assert!(scrubbed(shared).is_none());
        assert_eq!(&other[..], b"shared");
    }
}
