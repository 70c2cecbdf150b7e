//! What every Lambda of this project shares: converting lambda_http's request and response to and from the `http`
//! types the shared handlers speak, reading the staff identity the JWT authorizer checked, and the JSON logger.

use bytes::Bytes;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::config::{ConfigError, Source, required};
use crate::http::MAX_BODY;
use crate::http::admin::AuthorizerClaims;
use crate::ratelimit::ClientAddr;
use crate::staff::{Role, Staff};

/// The body as bytes, the client address for the rate limiter (never logged), and the staff identity when the
/// authorizer vouched for one. API Gateway already caps the body; an over-long one is cut at `MAX_BODY + 1` bytes,
/// which the handler then refuses as too large without reading further.
pub fn to_shared(req: Request, staff: Option<&StaffIdentityConfig>, now: i64) -> crate::http::Request {
    let context = req.request_context_ref().cloned();
    let (mut parts, body) = req.into_parts();
    let mut bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    if bytes.len() > MAX_BODY + 1 {
        bytes.truncate(MAX_BODY + 1);
    }
    if let Some(RequestContext::ApiGatewayV2(ctx)) = &context {
        let source = ctx.http.source_ip.as_deref().and_then(|s| s.parse().ok());
        if let Some(ip) = client_address(&parts.headers, source, origin_secret()) {
            parts.extensions.insert(ClientAddr(ip));
        }
        if let (Some(cfg), Some(jwt)) = (staff, ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref())) {
            let claim = |name: &str| jwt.claims.get(name).map(String::as_str);
            if let Some(s) = staff_from_claims(cfg, claim, now) {
                parts.extensions.insert(AuthorizerClaims(s));
            }
        }
    }
    http::Request::from_parts(parts, bytes)
}

/// The header CloudFront adds to every request it sends to the API, holding a secret only the distribution and the
/// functions know (`ORIGIN_VERIFY_SECRET`). A request without it came to the API's own address, not through the site.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";
/// The viewer's address and port as CloudFront saw them: `198.51.100.7:46532`, `2001:db8::8:46532`.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

fn origin_secret() -> Option<&'static str> {
    static SECRET: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SECRET.get_or_init(|| std::env::var("ORIGIN_VERIFY_SECRET").ok().filter(|s| s.len() >= 16)).as_deref()
}

/// Who the rate limiter counts a request against. Behind CloudFront, API Gateway's source address is one of
/// CloudFront's edge servers, shared by thousands of people: the viewer's own address is in `CloudFront-Viewer-Address`.
/// That header is believed only when the request also carries the origin secret, since anyone calling the API's own
/// address could write it; otherwise the source address counts. The address is only ever hashed by the limiter.
pub fn client_address(headers: &http::HeaderMap, source: Option<std::net::IpAddr>, secret: Option<&str>) -> Option<std::net::IpAddr> {
    use subtle::ConstantTimeEq;
    let through_cloudfront = match (secret, headers.get(ORIGIN_VERIFY_HEADER)) {
        (Some(secret), Some(given)) => bool::from(given.as_bytes().ct_eq(secret.as_bytes())),
        _ => false,
    };
    if through_cloudfront {
        let viewer = headers
            .get(VIEWER_ADDRESS_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit_once(':'))
            .and_then(|(ip, _port)| ip.trim_matches(|c| c == '[' || c == ']').parse().ok());
        if viewer.is_some() {
            return viewer;
        }
    }
    source
}

/// The issuer and audience of the staff user pool: a token of any other (a local `num staff token` among them) is
/// never taken, even if an authorizer were misconfigured to pass it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffIdentityConfig {
    pub issuer: String,
    pub audience: String,
}

impl StaffIdentityConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&crate::config::Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self { issuer: required(src, "STAFF_ISSUER")?, audience: required(src, "STAFF_AUDIENCE")? })
    }
}

/// Reads Cognito's claims as API Gateway hands them over: every value a string, `cognito:groups` written as
/// `[admin reviewer]`. Exactly one role group, the right issuer and audience (`aud` on ID tokens, `client_id` on access
/// tokens), and an expiry in the future, or no identity at all.
pub fn staff_from_claims<'a>(cfg: &StaffIdentityConfig, claim: impl Fn(&str) -> Option<&'a str>, now: i64) -> Option<Staff> {
    if claim("iss")? != cfg.issuer {
        return None;
    }
    if claim("aud").or_else(|| claim("client_id"))? != cfg.audience {
        return None;
    }
    if claim("exp")?.parse::<i64>().ok()? <= now {
        return None;
    }
    let groups = claim("cognito:groups")?;
    let roles: Vec<Role> = groups
        .trim_matches(|c| c == '[' || c == ']')
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter_map(|g| Role::parse(g.trim_matches('"')))
        .collect();
    let [role] = roles.as_slice() else { return None };
    let subject = claim("cognito:username").or_else(|| claim("username")).or_else(|| claim("sub"))?;
    Some(Staff { subject: subject.to_owned(), role: *role })
}

/// The shared handler's answer for API Gateway: a UTF-8 body as text, any other as binary (sent base64).
pub fn from_shared(res: crate::http::Response) -> Reply {
    let (parts, body) = res.into_parts();
    let body = match String::from_utf8(body.to_vec()) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    Reply(Response::from_parts(parts, body))
}

/// A response whose body is already text or binary, handed to lambda_http as it is. lambda_http's own conversion of
/// a `Response<B>` reads the body again and decodes text by its declared charset through encoding_rs, 150 KB of code
/// and tables in each HTTP function for a decoding our bodies never need: `from_shared` has already told UTF-8 from
/// binary.
#[derive(Debug)]
pub struct Reply(pub Response<Body>);

impl lambda_http::IntoResponse for Reply {
    fn into_response(self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response<Body>> + Send>> {
        Box::pin(std::future::ready(self.0))
    }
}

/// JSON logs. Our crates log at `NUM_LOG` (info unless set; trace is refused), everything else at info at most: the
/// Lambda runtime logs whole events at trace, and an event here is a report or a contact.
pub fn init_logging(crate_name: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::fmt()
        .json()
        .with_current_span(false)
        .without_time()
        .with_writer(std::io::stderr)
        .finish()
        .with(log_filter(crate_name, std::env::var("NUM_LOG").ok().as_deref()))
        .try_init();
}

/// Which events `init_logging` keeps: by target prefix and level only. A plain target filter, not `EnvFilter`, whose
/// directive language (and the regex engine behind it) a function does not need: that is about 150 KB of code out of
/// every function that does not sanitise.
fn log_filter(crate_name: &str, num_log: Option<&str>) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::LevelFilter;
    let ours = match num_log {
        Some("error") => LevelFilter::ERROR,
        Some("warn") => LevelFilter::WARN,
        Some("debug") => LevelFilter::DEBUG,
        _ => LevelFilter::INFO,
    };
    tracing_subscriber::filter::Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("shared", ours)
        .with_target(crate_name.replace('-', "_"), ours)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[tokio::test]
    async fn a_reply_reaches_lambda_http_as_built_text_or_binary() {
        use lambda_http::IntoResponse;
        let html = http::Response::builder()
            .status(403)
            .header("content-type", "text/html; charset=utf-8")
            .header("set-cookie", "num_lang=pl; Path=/; Secure; HttpOnly")
            .body(Bytes::from("<p>Zaloguj się</p>"))
            .unwrap();
        let out = from_shared(html).into_response().await;
        assert_eq!(out.status(), 403);
        assert_eq!(out.headers()["set-cookie"], "num_lang=pl; Path=/; Secure; HttpOnly");
        assert!(matches!(out.body(), Body::Text(t) if t == "<p>Zaloguj się</p>"));
        let bytes = http::Response::builder().header("content-type", "image/png").body(Bytes::from_static(&[0x89, b'P', 0xff])).unwrap();
        assert!(matches!(from_shared(bytes).into_response().await.body(), Body::Binary(b) if b == &[0x89, b'P', 0xff]));
        let empty = http::Response::builder().status(204).body(Bytes::new()).unwrap();
        assert!(matches!(from_shared(empty).into_response().await.body(), Body::Empty));
    }

    #[test]
    fn logs_keep_our_crates_at_num_log_everything_else_at_info_and_never_trace() {
        use tracing::Level;
        let on = |f: &tracing_subscriber::filter::Targets, target: &str, level: Level| f.would_enable(target, &level);
        let default = log_filter("deliver-alert", None);
        assert!(on(&default, "deliver_alert", Level::INFO) && on(&default, "shared::usecases::delivery", Level::INFO));
        assert!(!on(&default, "deliver_alert", Level::DEBUG) && !on(&default, "shared", Level::DEBUG));
        assert!(on(&default, "hyper_util::client", Level::INFO) && !on(&default, "hyper_util::client", Level::DEBUG));
        // The runtime logs whole events at trace: never kept, whatever NUM_LOG says.
        for num_log in [None, Some("debug"), Some("trace")] {
            let f = log_filter("deliver-alert", num_log);
            assert!(!on(&f, "lambda_runtime", Level::TRACE) && !on(&f, "lambda_runtime::layers::api_client", Level::DEBUG));
            assert!(!on(&f, "shared", Level::TRACE) && !on(&f, "deliver_alert", Level::TRACE), "{num_log:?}");
        }
        let debug = log_filter("deliver-alert", Some("debug"));
        assert!(on(&debug, "shared::adapters::aws", Level::DEBUG) && on(&debug, "deliver_alert", Level::DEBUG));
        let quiet = log_filter("deliver-alert", Some("warn"));
        assert!(!on(&quiet, "deliver_alert", Level::INFO) && on(&quiet, "deliver_alert", Level::WARN));
        assert!(on(&quiet, "hyper_util", Level::INFO), "other crates keep info");
    }

    fn cfg() -> StaffIdentityConfig {
        StaffIdentityConfig { issuer: "https://cognito-idp.eu-west-2.amazonaws.com/pool".into(), audience: "client".into() }
    }

    fn claims(extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = [
            ("iss", "https://cognito-idp.eu-west-2.amazonaws.com/pool"),
            ("aud", "client"),
            ("exp", "2000000000"),
            ("cognito:groups", "[reviewer]"),
            ("cognito:username", "sam"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in extra {
            m.insert((*k).to_owned(), (*v).to_owned());
        }
        m
    }

    fn read(m: &HashMap<String, String>, now: i64) -> Option<Staff> {
        staff_from_claims(&cfg(), |n| m.get(n).map(String::as_str), now)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn behind_cloudfront_the_viewer_address_counts_not_the_edge_server() {
        let edge: std::net::IpAddr = "130.176.1.1".parse().unwrap();
        let secret = Some("a-long-origin-secret-0123456789");
        let via_cf = headers(&[(ORIGIN_VERIFY_HEADER, "a-long-origin-secret-0123456789"), (VIEWER_ADDRESS_HEADER, "198.51.100.7:46532")]);
        assert_eq!(client_address(&via_cf, Some(edge), secret), Some("198.51.100.7".parse().unwrap()));
        let v6 = headers(&[(ORIGIN_VERIFY_HEADER, "a-long-origin-secret-0123456789"), (VIEWER_ADDRESS_HEADER, "2001:db8::8:46532")]);
        assert_eq!(client_address(&v6, Some(edge), secret), Some("2001:db8::8".parse().unwrap()));
        // Two viewers behind one edge server are two clients.
        let other = headers(&[(ORIGIN_VERIFY_HEADER, "a-long-origin-secret-0123456789"), (VIEWER_ADDRESS_HEADER, "203.0.113.9:1234")]);
        assert_ne!(client_address(&via_cf, Some(edge), secret), client_address(&other, Some(edge), secret));
    }

    #[test]
    fn a_viewer_address_without_the_origin_secret_is_not_believed() {
        let source: std::net::IpAddr = "192.0.2.44".parse().unwrap();
        let forged = headers(&[(VIEWER_ADDRESS_HEADER, "198.51.100.7:46532")]);
        assert_eq!(client_address(&forged, Some(source), Some("a-long-origin-secret-0123456789")), Some(source));
        let wrong = headers(&[(ORIGIN_VERIFY_HEADER, "guess"), (VIEWER_ADDRESS_HEADER, "198.51.100.7:46532")]);
        assert_eq!(client_address(&wrong, Some(source), Some("a-long-origin-secret-0123456789")), Some(source));
        // A deployment with no secret set believes no header at all.
        let any = headers(&[(ORIGIN_VERIFY_HEADER, ""), (VIEWER_ADDRESS_HEADER, "198.51.100.7:46532")]);
        assert_eq!(client_address(&any, Some(source), None), Some(source));
        // A garbled header falls back to the source address.
        let garbled = headers(&[(ORIGIN_VERIFY_HEADER, "a-long-origin-secret-0123456789"), (VIEWER_ADDRESS_HEADER, "not an address")]);
        assert_eq!(client_address(&garbled, Some(source), Some("a-long-origin-secret-0123456789")), Some(source));
    }

    #[test]
    fn cognito_claims_with_one_role_name_the_staff_member() {
        assert_eq!(read(&claims(&[]), 1_900_000_000), Some(Staff { subject: "sam".into(), role: Role::Reviewer }));
    }

    #[test]
    fn a_local_token_another_pool_two_roles_or_an_expired_token_name_nobody() {
        let now = 1_900_000_000;
        assert_eq!(read(&claims(&[("iss", "num-local")]), now), None);
        assert_eq!(read(&claims(&[("aud", "num-local-staff")]), now), None);
        assert_eq!(read(&claims(&[("cognito:groups", "[reviewer admin]")]), now), None);
        assert_eq!(read(&claims(&[("cognito:groups", "[]")]), now), None);
        assert_eq!(read(&claims(&[]), 2_000_000_001), None);
    }
}
