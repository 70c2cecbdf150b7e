//! Signing in to the console through Cognito's managed login: the OAuth 2.0 authorization-code grant with PKCE
//! (RFC 7636, S256) and OpenID Connect.
//!
//! `/staff/sign-in` stores a pending login on the server (the PKCE verifier and the nonce, under the state's hash, for
//! ten minutes), sets a cookie holding the state (HttpOnly, Secure, `SameSite=Lax` so that it comes back on Cognito's
//! redirect, `Path=/staff/callback`), and redirects to the managed login with the state, the S256 challenge and the
//! nonce. `/staff/callback` takes the code only where the state matches the cookie and a pending login (used once),
//! exchanges it at the token endpoint with the verifier, and checks the ID token: issuer, audience, `token_use`,
//! expiry, nonce, and exactly one role group. The ID token comes straight from Cognito's token endpoint over TLS, so
//! its signature is not checked again (OpenID Connect Core 1.0, 3.1.3.7, item 6). The tokens never reach the
//! browser: the session record keeps the refresh token (sealed) and the ID token's end; a session whose ID token has
//! ended is refreshed with it, and ends when Cognito refuses. Signing out revokes the refresh token and goes through
//! Cognito's logout, so the managed login's own session ends too.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::session::{self, SessionRecord};
use super::{ConsoleDeps, SignIn, set_cookie};
use crate::domain::ids::random_base32;
use crate::error::ApiError;
use crate::http::{Request, Response, cookie, query_param, see_other};
use crate::ports::tables::{from_item, to_item};
use crate::ports::{Condition, Key, StoreError, Table, Update};
use crate::seal::{Sealed, Sealer};
use crate::staff::{Role, Staff};
use crate::usecases::Deps;

/// The cookie that binds a login to the browser that started it.
pub const LOGIN_COOKIE: &str = "num_staff_login";
/// How long a started login may take.
pub const LOGIN_MINUTES: i64 = 10;
const PENDING_KIND: &str = "console_login";

/// The one outside call the console makes: a form post to Cognito (token and revocation endpoints).
#[async_trait]
pub trait FormPost: Send + Sync {
    /// Posts `form` to `url`; the status and the body.
    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> anyhow::Result<(u16, Vec<u8>)>;
}

/// The user pool, its console client and the site.
pub struct Cognito {
    /// The managed login's address: `https://<prefix>.auth.<region>.amazoncognito.com`.
    pub login: String,
    pub client_id: String,
    /// The pool's issuer: `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
    pub issuer: String,
    /// The site's own address (`https://alerts.example.org`): the callback and sign-out pages are under it.
    pub site: String,
    pub http: Arc<dyn FormPost>,
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Cognito {
    pub fn redirect_uri(&self) -> String {
        format!("{}/staff/callback", self.site.trim_end_matches('/'))
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.login.trim_end_matches('/'))
    }

    /// Cognito's logout, which comes back to the console's signed-out page.
    pub fn logout_url(&self) -> String {
        let back = format!("{}/staff/signed-out", self.site.trim_end_matches('/'));
        format!("{}?client_id={}&logout_uri={}", self.endpoint("/logout"), enc(&self.client_id), enc(&back))
    }

    pub fn authorize_url(&self, state: &str, challenge: &str, nonce: &str) -> String {
        format!(
            "{}?response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&code_challenge={}&code_challenge_method=S256&nonce={}",
            self.endpoint("/oauth2/authorize"),
            enc(&self.client_id),
            enc(&self.redirect_uri()),
            enc("openid email"),
            enc(state),
            enc(challenge),
            enc(nonce)
        )
    }
}

/// The S256 code challenge of a verifier (RFC 7636, 4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingLogin {
    pk: String,
    sk: String,
    kind: String,
    verifier: String,
    nonce: String,
    expires_at: i64,
}

fn pending_key(state: &str) -> Key {
    Key::new(format!("LOGIN#{}", hex::encode(Sha256::digest(state.as_bytes()))), "LOGIN")
}

fn login_cookie(state: Option<&str>) -> String {
    match state {
        Some(s) => format!("{LOGIN_COOKIE}={s}; Path=/staff/callback; Max-Age={}; HttpOnly; Secure; SameSite=Lax", LOGIN_MINUTES * 60),
        None => format!("{LOGIN_COOKIE}=; Path=/staff/callback; Max-Age=0; HttpOnly; Secure; SameSite=Lax"),
    }
}

/// `/staff/sign-in`: a pending login, and the redirect to the managed login.
pub async fn start(c: &Cognito, deps: &Deps) -> Result<Response, ApiError> {
    let state = random_base32(32);
    // 64 characters of [0-9A-Z]: within RFC 7636's 43 to 128 unreserved characters, 320 bits.
    let verifier = random_base32(64);
    let nonce = random_base32(32);
    let key = pending_key(&state);
    let pending = PendingLogin {
        pk: key.pk,
        sk: key.sk,
        kind: PENDING_KIND.into(),
        verifier: verifier.clone(),
        nonce: nonce.clone(),
        expires_at: deps.clock.now().timestamp() + LOGIN_MINUTES * 60,
    };
    deps.tables.put(Table::Audit, to_item(&pending)?, Condition::NotExists).await?;
    let mut res = see_other(&c.authorize_url(&state, &pkce_challenge(&verifier), &nonce));
    set_cookie(&mut res, &login_cookie(Some(&state)));
    Ok(res)
}

fn refused() -> ApiError {
    ApiError::unauthorized(
        "This sign-in could not be completed: it was started in another browser, took more than 10 minutes, or was already used. Open /staff/ to sign in again.",
    )
}

/// The tokens the token endpoint answers.
#[derive(Deserialize)]
struct Tokens {
    id_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
}

async fn token_request(c: &Cognito, form: &[(&str, &str)]) -> Result<Option<Tokens>, ApiError> {
    let (status, body) = c.http.post_form(&c.endpoint("/oauth2/token"), form).await.map_err(|e| {
        tracing::warn!(error.kind = %crate::error::Chain(e.as_ref()), "the token endpoint could not be reached");
        ApiError::new(
            http::StatusCode::SERVICE_UNAVAILABLE,
            "sign_in_unavailable",
            "The sign-in service cannot be reached. Wait a minute and try again.",
        )
    })?;
    if status != 200 {
        tracing::info!(status, "the token endpoint refused");
        return Ok(None);
    }
    serde_json::from_slice(&body).map(Some).map_err(|_| refused())
}

/// The claims of an ID token that come from Cognito's token endpoint: the member of staff and when the token ends,
/// or `None` where any check fails.
pub fn staff_of_id_token(c: &Cognito, jwt: &str, nonce: Option<&str>, now: i64) -> Option<(Staff, i64)> {
    let mut parts = jwt.split('.');
    let (header, payload) = (parts.next()?, parts.next()?);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if header["alg"] != "RS256" {
        return None;
    }
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let exp = claims["exp"].as_i64()?;
    let fresh = exp > now && claims["iat"].as_i64().is_some_and(|iat| iat <= now + 300);
    let ours = claims["iss"] == c.issuer.as_str() && claims["aud"] == c.client_id.as_str() && claims["token_use"] == "id";
    let nonce_ok = match nonce {
        Some(n) => claims["nonce"].as_str().is_some_and(|got| bool::from(got.as_bytes().ct_eq(n.as_bytes()))),
        None => true,
    };
    if !(fresh && ours && nonce_ok) {
        return None;
    }
    let roles: Vec<Role> = claims["cognito:groups"].as_array()?.iter().filter_map(|g| g.as_str().and_then(Role::parse)).collect();
    let [role] = roles.as_slice() else { return None };
    let subject = claims["cognito:username"].as_str().or_else(|| claims["sub"].as_str())?;
    Some((Staff { subject: subject.to_owned(), role: *role }, exp))
}

/// `/staff/callback?code=...&state=...`: the code for tokens, and a session.
pub async fn callback(deps: &ConsoleDeps, req: &Request) -> Result<Response, ApiError> {
    let SignIn::Cognito(c) = &deps.sign_in else {
        return Err(ApiError::not_found("There is no console page at this address. Start again from the console's start page."));
    };
    let core = deps.core();
    if query_param(req, "error").is_some() {
        return Err(ApiError::unauthorized("The sign-in page did not sign you in. Open /staff/ to try again."));
    }
    let state = query_param(req, "state").unwrap_or_default();
    let code = query_param(req, "code").unwrap_or_default();
    let bound = cookie(req, LOGIN_COOKIE).unwrap_or("");
    if state.is_empty() || code.is_empty() || !bool::from(state.as_bytes().ct_eq(bound.as_bytes())) {
        return Err(refused());
    }
    let key = pending_key(&state);
    let Some(item) = core.tables.get(Table::Audit, &key).await? else { return Err(refused()) };
    let pending: PendingLogin = from_item(item)?;
    // Used once: whoever marks it used goes on (an update, not a delete: the function never deletes from the audit
    // table; the TTL removes the record).
    let used = Update::default().set("used", crate::ports::tables::AttributeValue::N("1".into()));
    let once = Condition::And(vec![Condition::Exists, Condition::AttrNotExists("used".into())]);
    match core.tables.update(Table::Audit, &key, used, once).await {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => return Err(refused()),
        Err(e) => return Err(e.into()),
    }
    let now = core.clock.now().timestamp();
    if now > pending.expires_at {
        return Err(refused());
    }
    let redirect = c.redirect_uri();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", c.client_id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("code_verifier", pending.verifier.as_str()),
    ];
    let tokens = token_request(c, &form).await?.ok_or_else(refused)?;
    let Some((staff, id_expires_at)) = staff_of_id_token(c, &tokens.id_token, Some(&pending.nonce), now) else {
        tracing::warn!("an ID token from the token endpoint failed its checks");
        return Err(ApiError::unauthorized(
            "Your account is not set up for the console (it needs exactly one staff role), or the sign-in was not valid. Ask an admin, then open /staff/ again.",
        ));
    };
    let token = session::new_token();
    let refresh = match &tokens.refresh_token {
        Some(r) => Sealed::seal(&Sealer::for_record(core.keys.as_ref(), session::context(&token)).await?, r),
        None => Sealed::default(),
    };
    session::start_with(&core, &token, &staff, refresh, id_expires_at).await?;
    crate::usecases::audit::record(&core, &staff, "console_sign_in", "", None).await?;
    let mut res = see_other("/staff/");
    set_cookie(&mut res, &session::cookie(Some(&token), false));
    set_cookie(&mut res, &login_cookie(None));
    Ok(res)
}

/// Keeps a Cognito session's ID token fresh: a minute before it ends, the refresh token gets a new one. `false`: the
/// session cannot go on (no refresh token, Cognito refused it, or the person's role changed).
pub async fn keep_fresh(c: &Cognito, deps: &Deps, token: &str, rec: &SessionRecord) -> Result<bool, ApiError> {
    let now = deps.clock.now().timestamp();
    if rec.id_expires_at - 60 > now {
        return Ok(true);
    }
    if rec.refresh_sealed.is_empty() {
        return Ok(false);
    }
    let refresh = rec.refresh_sealed.open(deps.keys.as_ref(), &session::context(token)).await?;
    let form = [("grant_type", "refresh_token"), ("client_id", c.client_id.as_str()), ("refresh_token", refresh.as_str())];
    let Some(tokens) = token_request(c, &form).await? else { return Ok(false) };
    let Some((staff, id_expires_at)) = staff_of_id_token(c, &tokens.id_token, None, now) else { return Ok(false) };
    if staff != rec.staff() {
        return Ok(false);
    }
    let resealed = match &tokens.refresh_token {
        Some(r) => Some(Sealed::seal(&Sealer::for_record(deps.keys.as_ref(), session::context(token)).await?, r)),
        None => None,
    };
    session::refreshed(deps, token, id_expires_at, resealed).await?;
    Ok(true)
}

/// Revokes a session's refresh token at Cognito (best effort: the session is gone here either way).
pub async fn revoke(c: &Cognito, deps: &Deps, token: &str, rec: &SessionRecord) {
    if rec.refresh_sealed.is_empty() {
        return;
    }
    let Ok(refresh) = rec.refresh_sealed.open(deps.keys.as_ref(), &session::context(token)).await else { return };
    let form = [("token", refresh.as_str()), ("client_id", c.client_id.as_str())];
    match c.http.post_form(&c.endpoint("/oauth2/revoke"), &form).await {
        Ok((200, _)) => {}
        Ok((status, _)) => tracing::info!(status, "revoking a refresh token was refused"),
        Err(e) => tracing::warn!(error.kind = %crate::error::Chain(e.as_ref()), "revoking a refresh token failed"),
    }
}

#[cfg(test)]
mod tests;
