//! lambda_http's request and response, to and from the `http` types the shared handler speaks.

use bytes::Bytes;
use lambda_http::{Body, Request, Response};
use shared::http::MAX_BODY;
use shared::usecases::submit_report::SubmitDeps;

/// One `POST /reports`. Every outcome, errors included, is an HTTP answer from the shared handler; the function itself
/// never fails an invocation (that would make API Gateway answer 502 and tempt the client to resend).
pub async fn function_handler(deps: &SubmitDeps, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    let res = shared::http::submit::handle(deps, to_shared(req)).await;
    Ok(from_shared(res))
}

/// The body as bytes. API Gateway already caps it; an over-long body is cut at `MAX_BODY + 1` bytes, which the
/// handler then refuses as too large without reading further.
pub fn to_shared(req: Request) -> shared::http::Request {
    let (parts, body) = req.into_parts();
    let mut bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    if bytes.len() > MAX_BODY + 1 {
        bytes.truncate(MAX_BODY + 1);
    }
    http::Request::from_parts(parts, bytes)
}

pub fn from_shared(res: shared::http::Response) -> Response<Body> {
    let (parts, body) = res.into_parts();
    let body = match String::from_utf8(body.to_vec()) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_body_arrives_as_bytes_with_its_headers() {
        let req = http::Request::post("/reports").header("content-type", "application/json").body(Body::Text("{\"a\":1}".into())).unwrap();
        let out = to_shared(req);
        assert_eq!(out.body().as_ref(), b"{\"a\":1}");
        assert_eq!(out.headers()["content-type"], "application/json");
    }

    #[test]
    fn an_over_long_body_is_cut_just_past_the_limit() {
        let req = http::Request::post("/reports").body(Body::Binary(vec![b'x'; MAX_BODY * 3])).unwrap();
        assert_eq!(to_shared(req).body().len(), MAX_BODY + 1);
    }

    #[test]
    fn a_response_keeps_status_headers_and_text() {
        let res = shared::http::json(http::StatusCode::CREATED, &serde_json_value());
        let out = from_shared(res);
        assert_eq!(out.status(), 201);
        assert_eq!(out.headers()["cache-control"], "no-store");
        assert!(matches!(out.body(), Body::Text(t) if t.contains("reference")));
    }

    fn serde_json_value() -> std::collections::BTreeMap<&'static str, &'static str> {
        [("reference", "R1")].into_iter().collect()
    }
}
