//! AWS Signature Version 4, for the few requests the adapters make: one host, a path without dots or escapes, no query
//! string, and a body hashed whole (DynamoDB, KMS and SNS take `POST /`, SES v2 `POST /v2/email/outbound-emails`).
//!
//! The steps are AWS's: a canonical request (method, path, query, the signed headers lower-cased and sorted, the
//! body's SHA-256), a string to sign naming the day, region and service, and an HMAC-SHA256 chain from the secret key
//! through the day, region, service and `aws4_request`. The unit tests hold it to AWS's own test suite; the tests crate
//! holds it to the SDK's signer (`aws-sigv4`) on every request the adapters build.

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// The credentials a request is signed with. The secret is wiped when dropped, and never printed.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    secret_access_key: Zeroizing<String>,
    pub session_token: Option<String>,
}

impl Credentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>, session_token: Option<String>) -> Self {
        Self { access_key_id: access_key_id.into(), secret_access_key: Zeroizing::new(secret_access_key.into()), session_token }
    }

    #[cfg(test)]
    pub(crate) fn secret(&self) -> &str {
        &self.secret_access_key
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// Where and as what a request is signed.
pub(crate) struct Scope<'a> {
    pub region: &'a str,
    /// The service's signing name: `dynamodb`, `kms`, `ses`, `sns`.
    pub service: &'a str,
}

/// `20150830T123600Z`.
pub(crate) fn amz_date(at: SystemTime) -> String {
    let at: chrono::DateTime<chrono::Utc> = at.into();
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The headers to add to a request: `x-amz-date`, `x-amz-security-token` when the credentials have one, and
/// `authorization`. `headers` are the request's own headers to sign (host, content-type, x-amz-target...), by
/// name and value; names are lower-cased here, values trimmed.
pub(crate) fn sign(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    scope: &Scope<'_>,
    credentials: &Credentials,
    at: SystemTime,
) -> Vec<(&'static str, String)> {
    let date_time = amz_date(at);
    let day = &date_time[..8];
    let mut signed: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned())).collect();
    signed.push(("x-amz-date".into(), date_time.clone()));
    if let Some(token) = &credentials.session_token {
        signed.push(("x-amz-security-token".into(), token.clone()));
    }
    signed.sort();
    let names: Vec<&str> = signed.iter().map(|(n, _)| n.as_str()).collect();
    let names = names.join(";");
    let mut canonical = format!("{method}\n{path}\n\n");
    for (n, v) in &signed {
        canonical.push_str(n);
        canonical.push(':');
        canonical.push_str(v);
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(&names);
    canonical.push('\n');
    canonical.push_str(&hex::encode(Sha256::digest(body)));

    let credential_scope = format!("{day}/{}/{}/aws4_request", scope.region, scope.service);
    let to_sign = format!("AWS4-HMAC-SHA256\n{date_time}\n{credential_scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));

    let mut secret = Zeroizing::new(String::with_capacity(4 + credentials.secret_access_key.len()));
    secret.push_str("AWS4");
    secret.push_str(&credentials.secret_access_key);
    let k_date = hmac(secret.as_bytes(), day.as_bytes());
    let k_region = hmac(&k_date[..], scope.region.as_bytes());
    let k_service = hmac(&k_region[..], scope.service.as_bytes());
    let k_signing = hmac(&k_service[..], b"aws4_request");
    let signature = hex::encode(&hmac(&k_signing[..], to_sign.as_bytes())[..]);

    let mut out = vec![("x-amz-date", date_time)];
    if let Some(token) = &credentials.session_token {
        out.push(("x-amz-security-token", token.clone()));
    }
    out.push((
        "authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{credential_scope}, SignedHeaders={names}, Signature={signature}",
            credentials.access_key_id
        ),
    ));
    out
}

fn hmac(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2015-08-30T12:36:00Z, the time of AWS's SigV4 test suite.
    fn suite_time() -> SystemTime {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160)
    }

    fn suite_credentials(token: Option<&str>) -> Credentials {
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token.map(str::to_owned))
    }

    const SUITE: Scope<'static> = Scope { region: "us-east-1", service: "service" };

    fn signature<'a>(headers: &'a [(&'static str, String)]) -> &'a str {
        let auth = &headers.iter().find(|(n, _)| *n == "authorization").unwrap().1;
        auth.rsplit("Signature=").next().unwrap()
    }

    #[test]
    fn the_date_is_in_the_basic_format() {
        assert_eq!(amz_date(suite_time()), "20150830T123600Z");
    }

    // The expected signatures are those of AWS's test suite (v4/get-vanilla, v4/post-vanilla,
    // v4/get-vanilla-with-session-token, v4/post-header-key-sort), as shipped with the aws-sigv4 crate.

    #[test]
    fn get_vanilla() {
        let out = sign("GET", "/", &[("Host", "example.amazonaws.com")], b"", &SUITE, &suite_credentials(None), suite_time());
        assert_eq!(signature(&out), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        assert_eq!(
            out.last().unwrap().1,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn post_vanilla() {
        let out = sign("POST", "/", &[("Host", "example.amazonaws.com")], b"", &SUITE, &suite_credentials(None), suite_time());
        assert_eq!(signature(&out), "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    }

    #[test]
    fn a_session_token_is_signed_and_sent() {
        let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
        let out = sign("GET", "/", &[("Host", "example.amazonaws.com")], b"", &SUITE, &suite_credentials(Some(token)), suite_time());
        assert_eq!(signature(&out), "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
        assert!(out.iter().any(|(n, v)| *n == "x-amz-security-token" && v == token));
    }

    #[test]
    fn headers_are_lower_cased_and_sorted() {
        let headers = [("My-Header1", "value1"), ("Host", "example.amazonaws.com")];
        let out = sign("POST", "/", &headers, b"", &SUITE, &suite_credentials(None), suite_time());
        assert_eq!(signature(&out), "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c");
    }

    #[test]
    fn the_body_and_the_secret_change_the_signature() {
        let host = [("Host", "example.amazonaws.com")];
        let base = sign("POST", "/", &host, b"{}", &SUITE, &suite_credentials(None), suite_time());
        let body = sign("POST", "/", &host, b"{ }", &SUITE, &suite_credentials(None), suite_time());
        let other = Credentials::new("AKIDEXAMPLE", "another secret", None);
        let secret = sign("POST", "/", &host, b"{}", &SUITE, &other, suite_time());
        assert_ne!(signature(&base), signature(&body));
        assert_ne!(signature(&base), signature(&secret));
        assert_eq!(other.secret(), "another secret");
        assert!(!format!("{other:?}").contains("another secret"), "the secret is never printed");
    }
}
