//! The managed login's flow against a fake token endpoint.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{StatusCode, header};
use serde_json::json;

use super::*;
use crate::adapters::{LocalKeys, SqliteTables};
use crate::http::admin::{AdminDeps, StaffAuth};
use crate::http::console::{ConsoleDeps, SignIn, handle};
use crate::ports::{Clock, FixedClock};
use crate::ratelimit::Limiter;

const LOGIN: &str = "https://num-staff-123.auth.eu-west-2.amazoncognito.com";
const ISSUER: &str = "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_TEST";
const CLIENT: &str = "client123";
const SITE: &str = "https://alerts.example.org";
const HOST: &str = "alerts.example.org";

type Answer = Box<dyn Fn(&str, &[(String, String)]) -> (u16, Value) + Send + Sync>;
/// One post: the address and the form.
type Post = (String, Vec<(String, String)>);

/// Cognito's token and revocation endpoints, as far as the console sees them: every post is kept.
struct FakeCognito {
    posts: Mutex<Vec<Post>>,
    answer: Mutex<Answer>,
}

#[async_trait]
impl FormPost for FakeCognito {
    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> anyhow::Result<(u16, Vec<u8>)> {
        let form: Vec<(String, String)> = form.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.posts.lock().unwrap().push((url.to_owned(), form.clone()));
        let (status, body) = (self.answer.lock().unwrap())(url, &form);
        Ok((status, serde_json::to_vec(&body)?))
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

struct World {
    deps: ConsoleDeps,
    clock: Arc<FixedClock>,
    cognito: Arc<FakeCognito>,
    _dir: tempfile::TempDir,
}

fn jwt(claims: Value) -> String {
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!("{}.{}.c2lnbmF0dXJl", enc(&json!({"alg": "RS256", "kid": "k1"})), enc(&claims))
}

fn id_claims(now: i64, nonce: Option<&str>, groups: &[&str]) -> Value {
    let mut c = json!({
        "iss": ISSUER, "aud": CLIENT, "token_use": "id", "iat": now, "exp": now + 3600,
        "sub": "0b6c-uuid", "cognito:username": "rita@example.org", "cognito:groups": groups,
    });
    if let Some(n) = nonce {
        c["nonce"] = json!(n);
    }
    c
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(LocalKeys::open_or_create(dir.path()).unwrap());
    let clock = Arc::new(FixedClock::at(chrono::DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z").unwrap().into()));
    let cognito = Arc::new(FakeCognito { posts: Mutex::new(Vec::new()), answer: Mutex::new(Box::new(|_, _| (400, json!({})))) });
    let admin = AdminDeps {
        tables: Arc::new(SqliteTables::in_memory().unwrap()),
        keys: keys.clone(),
        clock: clock.clone(),
        auth: StaffAuth::Authorizer,
        limiter: Arc::new(Limiter::default()),
    };
    let c = Cognito { login: LOGIN.into(), client_id: CLIENT.into(), issuer: ISSUER.into(), site: SITE.into(), http: cognito.clone() };
    World { deps: ConsoleDeps { admin, sign_in: SignIn::Cognito(Arc::new(c)), origin: Some(SITE.into()) }, clock, cognito, _dir: dir }
}

fn get(path: &str, cookies: &[(&str, &str)]) -> Request {
    let mut b = http::Request::builder().method("GET").uri(path).header(header::HOST, HOST);
    if !cookies.is_empty() {
        b = b.header(header::COOKIE, cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "));
    }
    b.body(Bytes::new()).unwrap()
}

fn query(url: &str, name: &str) -> String {
    let q = url.split_once('?').unwrap().1;
    form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

fn set_cookies(res: &Response) -> Vec<String> {
    res.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

fn cookie_value(res: &Response, name: &str) -> String {
    set_cookies(res)
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// Starts a login: the authorize URL's state, challenge and nonce, and the state cookie.
async fn begin(w: &World) -> (String, String, String, String) {
    let res = handle(&w.deps, get("/staff/sign-in", &[])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let url = res.headers().get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    (query(&url, "state"), query(&url, "code_challenge"), query(&url, "nonce"), cookie_value(&res, LOGIN_COOKIE))
}

/// The token endpoint answers a code with an ID token for `groups` (and the nonce the login sent).
fn answer_codes(w: &World, groups: &'static [&'static str], nonce: String) {
    let now = w.clock.now().timestamp();
    *w.cognito.answer.lock().unwrap() = Box::new(move |_, form| match field(form, "grant_type") {
        Some("authorization_code") if field(form, "code") == Some("the-code") => (
            200,
            json!({"id_token": jwt(id_claims(now, Some(&nonce), groups)), "access_token": "a", "refresh_token": "r1", "expires_in": 3600}),
        ),
        _ => (400, json!({"error": "invalid_grant"})),
    });
}

#[tokio::test]
async fn sign_in_goes_to_the_managed_login_with_state_and_an_s256_challenge() {
    let w = world();
    let res = handle(&w.deps, get("/staff/", &[])).await;
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/staff/sign-in");
    let res = handle(&w.deps, get("/staff/sign-in", &[])).await;
    let url = res.headers().get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{LOGIN}/oauth2/authorize?response_type=code&client_id={CLIENT}&")), "{url}");
    assert_eq!(query(&url, "redirect_uri"), format!("{SITE}/staff/callback"));
    assert_eq!(query(&url, "code_challenge_method"), "S256");
    assert_eq!(query(&url, "scope"), "openid email");
    assert_eq!(query(&url, "code_challenge").len(), 43, "a SHA-256 in base64url");
    let state = query(&url, "state");
    let cookie = set_cookies(&res).into_iter().find(|c| c.starts_with(LOGIN_COOKIE)).unwrap();
    assert_eq!(cookie, format!("{LOGIN_COOKIE}={state}; Path=/staff/callback; Max-Age=600; HttpOnly; Secure; SameSite=Lax"));
    // Each start is its own: another state, another challenge.
    let (state2, challenge2, _, _) = begin(&w).await;
    assert_ne!(state, state2);
    assert_ne!(query(&url, "code_challenge"), challenge2);
    // RFC 7636, appendix B.
    assert_eq!(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

#[tokio::test]
async fn the_code_is_exchanged_with_the_verifier_and_a_session_starts_holding_the_tokens_on_the_server() {
    let w = world();
    let (state, challenge, nonce, bound) = begin(&w).await;
    answer_codes(&w, &["reviewer"], nonce);
    let res = handle(&w.deps, get(&format!("/staff/callback?code=the-code&state={state}"), &[(LOGIN_COOKIE, &bound)])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(res.body()));
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/staff/");
    let posts = w.cognito.posts.lock().unwrap().clone();
    let (url, form) = &posts[0];
    assert_eq!(url, &format!("{LOGIN}/oauth2/token"));
    assert_eq!(field(form, "redirect_uri"), Some(format!("{SITE}/staff/callback").as_str()));
    assert_eq!(field(form, "client_id"), Some(CLIENT));
    assert_eq!(pkce_challenge(field(form, "code_verifier").unwrap()), challenge, "the verifier behind the challenge");
    let cookies = set_cookies(&res);
    let session = cookies.iter().find(|c| c.starts_with("num_staff=")).unwrap();
    assert!(session.contains("HttpOnly") && session.contains("Secure") && session.contains("SameSite=Strict"), "{session}");
    assert!(cookies.iter().any(|c| c.starts_with(&format!("{LOGIN_COOKIE}=;")) && c.contains("Max-Age=0")), "the login cookie goes");
    for c in &cookies {
        assert!(!c.contains("r1") && !c.contains("eyJ"), "no token reaches the browser: {c}");
    }
    let token = cookie_value(&res, "num_staff");
    let home = handle(&w.deps, get("/staff/", &[("num_staff", &token)])).await;
    let page = String::from_utf8(home.body().to_vec()).unwrap();
    assert!(page.contains("rita@example.org") && page.contains("href=\"/staff/review\""), "{page}");
    // The state is used once: the same callback again is refused, and asks Cognito nothing.
    let again = handle(&w.deps, get(&format!("/staff/callback?code=the-code&state={state}"), &[(LOGIN_COOKIE, &bound)])).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(w.cognito.posts.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_callback_without_the_browsers_state_or_with_a_bad_id_token_starts_nothing() {
    let w = world();
    let (state, _, nonce, bound) = begin(&w).await;
    answer_codes(&w, &["reviewer"], nonce.clone());
    // Another browser's state (a forged link): refused before any exchange.
    let (_, _, _, other) = begin(&w).await;
    let res = handle(&w.deps, get(&format!("/staff/callback?code=the-code&state={state}"), &[(LOGIN_COOKIE, &other)])).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(w.cognito.posts.lock().unwrap().is_empty());
    // Too late.
    w.clock.advance(chrono::Duration::minutes(LOGIN_MINUTES + 1));
    let res = handle(&w.deps, get(&format!("/staff/callback?code=the-code&state={state}"), &[(LOGIN_COOKIE, &bound)])).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // ID tokens that fail a check.
    let c = match &w.deps.sign_in {
        SignIn::Cognito(c) => c.clone(),
        SignIn::Local => unreachable!(),
    };
    let now = w.clock.now().timestamp();
    let ok = id_claims(now, Some("n"), &["caseworker"]);
    assert!(staff_of_id_token(&c, &jwt(ok.clone()), Some("n"), now).is_some());
    for (what, change) in [
        ("another audience", json!({"aud": "other-client"})),
        ("another issuer", json!({"iss": "https://cognito-idp.eu-west-2.amazonaws.com/other"})),
        ("an access token", json!({"token_use": "access"})),
        ("expired", json!({"exp": now - 1})),
        ("issued in the future", json!({"iat": now + 3600})),
        ("another nonce", json!({"nonce": "m"})),
        ("no role", json!({"cognito:groups": ["visitors"]})),
        ("two roles", json!({"cognito:groups": ["admin", "reviewer"]})),
    ] {
        let mut claims = ok.clone();
        for (k, v) in change.as_object().unwrap() {
            claims[k] = v.clone();
        }
        assert!(staff_of_id_token(&c, &jwt(claims), Some("n"), now).is_none(), "{what}");
    }
    let unsigned =
        jwt(ok).replacen(&URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"k1"}"#), &URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), 1);
    assert!(staff_of_id_token(&c, &unsigned, Some("n"), now).is_none(), "alg none");
}

#[tokio::test]
async fn an_ended_id_token_is_refreshed_and_the_session_ends_when_cognito_refuses() {
    let w = world();
    let (state, _, nonce, bound) = begin(&w).await;
    answer_codes(&w, &["admin"], nonce);
    let res = handle(&w.deps, get(&format!("/staff/callback?code=the-code&state={state}"), &[(LOGIN_COOKIE, &bound)])).await;
    let token = cookie_value(&res, "num_staff");
    // An hour on (used every 20 minutes), the ID token has ended: the refresh token gets a new one.
    let clock = w.clock.clone();
    *w.cognito.answer.lock().unwrap() = Box::new(move |_, form| match (field(form, "grant_type"), field(form, "refresh_token")) {
        (Some("refresh_token"), Some("r1")) => (200, json!({"id_token": jwt(id_claims(clock.now().timestamp(), None, &["admin"]))})),
        _ => (400, json!({"error": "invalid_grant"})),
    });
    for _ in 0..3 {
        w.clock.advance(chrono::Duration::minutes(20));
        assert_eq!(handle(&w.deps, get("/staff/", &[("num_staff", &token)])).await.status(), StatusCode::OK);
    }
    let refreshes = w.cognito.posts.lock().unwrap().iter().filter(|(_, f)| field(f, "grant_type") == Some("refresh_token")).count();
    assert_eq!(refreshes, 1);
    // Cognito refuses the refresh token (revoked, or the account disabled): the session ends.
    *w.cognito.answer.lock().unwrap() = Box::new(|_, _| (400, json!({"error": "invalid_grant"})));
    w.clock.advance(chrono::Duration::minutes(50));
    let res = handle(&w.deps, get("/staff/", &[("num_staff", &token)])).await;
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/staff/sign-in");
}

#[tokio::test]
async fn signing_out_revokes_the_refresh_token_and_goes_through_cognitos_logout() {
    let w = world();
    let (state, _, nonce, bound) = begin(&w).await;
    answer_codes(&w, &["reviewer"], nonce);
    let res = handle(&w.deps, get(&format!("/staff/callback?code=the-code&state={state}"), &[(LOGIN_COOKIE, &bound)])).await;
    let token = cookie_value(&res, "num_staff");
    let home = String::from_utf8(handle(&w.deps, get("/staff/", &[("num_staff", &token)])).await.body().to_vec()).unwrap();
    let csrf = home.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let out = http::Request::builder()
        .method("POST")
        .uri("/staff/sign-out")
        .header(header::HOST, HOST)
        .header(header::COOKIE, format!("num_staff={token}"))
        .header(header::ORIGIN, SITE)
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Bytes::from(format!("csrf={csrf}")))
        .unwrap();
    let res = handle(&w.deps, out).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers().get(header::LOCATION).unwrap().to_str().unwrap();
    assert!(to.starts_with(&format!("{LOGIN}/logout?client_id={CLIENT}&")), "{to}");
    assert_eq!(query(to, "logout_uri"), format!("{SITE}/staff/signed-out"));
    let posts = w.cognito.posts.lock().unwrap().clone();
    let (url, form) = posts.last().unwrap();
    assert_eq!(url, &format!("{LOGIN}/oauth2/revoke"));
    assert_eq!(field(form, "token"), Some("r1"));
    assert_eq!(handle(&w.deps, get("/staff/", &[("num_staff", &token)])).await.headers().get(header::LOCATION).unwrap(), "/staff/sign-in");
}
