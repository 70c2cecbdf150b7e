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
        if let Some(ip) = ctx.http.source_ip.as_deref().and_then(|s| s.parse().ok()) {
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

pub fn from_shared(res: crate::http::Response) -> Response<Body> {
    let (parts, body) = res.into_parts();
    let body = match String::from_utf8(body.to_vec()) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    Response::from_parts(parts, body)
}

/// JSON logs. Our crates log at `NUM_LOG` (info unless set; trace is refused), everything else at info at most: the
/// Lambda runtime logs whole events at trace, and an event here is a report or a contact.
pub fn init_logging(crate_name: &str) {
    let level = match std::env::var("NUM_LOG").as_deref() {
        Ok("error") => "error",
        Ok("warn") => "warn",
        Ok("debug") => "debug",
        _ => "info",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("info,shared={level},{}={level}", crate_name.replace('-', "_")));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

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
