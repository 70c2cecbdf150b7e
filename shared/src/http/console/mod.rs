//! The staff console at `/staff/`: server-rendered forms, no framework and no script, served by the same handler
//! under `num serve` and in the admin function.
//!
//! Signing in starts a session (see [`session`]): locally with a staff account made by `num staff add` (password and
//! TOTP code, see [`accounts`]), in the cloud through Cognito's managed login (see [`oidc`]). Every page then acts
//! through [`crate::http::admin::act`], the very function behind the bearer-token staff API: the same `may`, the
//! same audit entry, the same use cases. The console only hides what a role may not do; the server still refuses.
//!
//! Every state-changing request is a POST that must carry the session's CSRF token and come from this site (the
//! `Sec-Fetch-Site` and `Origin` headers, where the browser sends them). Every answer is `Cache-Control: no-store`
//! with the public pages' security headers.

pub mod accounts;
pub mod oidc;
pub mod session;
pub mod totp;
pub mod view;

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use maud::{Markup, html};
use serde_json::{Value, json};

use super::admin::{AdminDeps, act};
use super::{Request, Response, cookie, see_other};
use crate::domain::Region;
use crate::error::ApiError;
use crate::ratelimit::{Secret, client_of};
use crate::staff::{Action, Staff, may};
use crate::usecases::Deps;
use crate::usecases::casework::{CaseOutcome, ContactChannel, ContactOutcome};
use session::SessionRecord;
use view::{Frame, described, field_error, fields, highlighted, layout, linked_reports, when, words};

/// How staff sign in to the console.
#[derive(Clone)]
pub enum SignIn {
    /// Staff accounts of this machine (`num staff add`): a password and a TOTP code.
    Local,
    /// Cognito's managed login (authorization code with PKCE).
    Cognito(std::sync::Arc<oidc::Cognito>),
}

#[derive(Clone)]
pub struct ConsoleDeps {
    pub admin: AdminDeps,
    pub sign_in: SignIn,
    /// The site's own origin (`https://example.org`) where the host a request names is not it (behind a CDN);
    /// `None`: the request's `Host`.
    pub origin: Option<String>,
}

impl ConsoleDeps {
    fn core(&self) -> Deps {
        Deps { tables: self.admin.tables.clone(), keys: self.admin.keys.clone(), clock: self.admin.clock.clone() }
    }
}

/// One request under `/staff`.
pub async fn handle(deps: &ConsoleDeps, req: Request) -> Response {
    match route(deps, req).await {
        Ok(res) => res,
        Err(e) => {
            e.log();
            page(e.status, &Frame { staff: None, csrf: "", section: "" }, refusal_title(&e), refusal(&e))
        }
    }
}

/// The answer under `/staff` where the deployment has no console sign-in (the cloud without the site's own domain).
pub fn unavailable() -> Response {
    page(
        StatusCode::NOT_FOUND,
        &anonymous(),
        "The staff console is not set up here",
        html! {
            p { "Staff sign in to the console through Cognito's managed login, which returns only to the site's own domain. Deploy with the SiteDomain parameter (and its certificate) to open the console; until then staff use the API with a token." }
        },
    )
}

fn page(status: StatusCode, frame: &Frame<'_>, title: &str, body: Markup) -> Response {
    super::html(status, layout(frame, title, body))
}

fn refusal_title(e: &ApiError) -> &'static str {
    match e.status {
        StatusCode::FORBIDDEN => "Your role may not open this",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::UNAUTHORIZED => "Sign in again",
        StatusCode::CONFLICT => "That could not be done",
        StatusCode::TOO_MANY_REQUESTS => "Too many tries",
        s if s.is_client_error() => "That could not be done",
        _ => "Something went wrong",
    }
}

fn refusal(e: &ApiError) -> Markup {
    html! {
        p class="bad" { (e.message) }
        p { a href="/staff/" { "Back to the console's start" } }
    }
}

/// A signed-in request.
struct Signed {
    token: String,
    rec: SessionRecord,
}

impl Signed {
    fn staff(&self) -> Staff {
        self.rec.staff()
    }
}

fn path_segments(req: &Request) -> Vec<String> {
    let path = req.uri().path();
    let rest = path.strip_prefix("/staff").unwrap_or(path);
    rest.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Whether a state-changing request comes from a page of this site: `Sec-Fetch-Site: same-origin` where the browser
/// sends it (every current one does); else an `Origin` naming this site. The pages' referrer policy (`no-referrer`)
/// makes a browser send `Origin: null` on a form post, so `null` passes only beside `Sec-Fetch-Site: same-origin`.
/// A request with neither header is not a browser's: the session's CSRF token is what holds then.
pub fn same_origin(req: &Request, site: Option<&str>) -> bool {
    let h = req.headers();
    if let Some(fetch_site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return fetch_site == "same-origin";
    }
    let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    match site {
        Some(site) => origin.eq_ignore_ascii_case(site.trim_end_matches('/')),
        None => {
            let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).or_else(|| req.uri().host()).unwrap_or("");
            let authority = origin.split_once("://").map_or("", |(_, a)| a);
            !host.is_empty() && authority.eq_ignore_ascii_case(host)
        }
    }
}

/// The fields of a form post (anything else is refused).
fn form(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    super::check_size(req)?;
    if super::body_kind(req, true)? != super::BodyKind::Form {
        return Err(ApiError::unsupported_type("a form post (application/x-www-form-urlencoded)"));
    }
    Ok(form_urlencoded::parse(req.body()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn all<'a>(fields: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One staff request through the staff API's own path: `may`, the audit entry, the use case.
async fn call(deps: &ConsoleDeps, staff: &Staff, method: Method, uri: &str, body: Option<Value>) -> Result<Value, ApiError> {
    let mut b = http::Request::builder().method(method).uri(uri);
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    let bytes = body.map(|v| Bytes::from(serde_json::to_vec(&v).unwrap_or_default())).unwrap_or_default();
    let req = b.body(bytes).map_err(|e| ApiError::internal(&e))?;
    let res = act(&deps.admin, staff, req).await?;
    Ok(serde_json::from_slice(res.body()).unwrap_or(Value::Null))
}

async fn signed_in(deps: &ConsoleDeps, req: &Request) -> Result<Option<Signed>, ApiError> {
    let Some(token) = cookie(req, session::COOKIE) else { return Ok(None) };
    let token = token.to_owned();
    let Some(rec) = session::current(&deps.core(), &token).await? else { return Ok(None) };
    if let SignIn::Cognito(c) = &deps.sign_in
        && !oidc::keep_fresh(c, &deps.core(), &token, &rec).await?
    {
        session::end(&deps.core(), &token).await?;
        return Ok(None);
    }
    Ok(Some(Signed { token, rec }))
}

async fn route(deps: &ConsoleDeps, req: Request) -> Result<Response, ApiError> {
    let segs = path_segments(&req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = req.method().clone();
    match (&method, segs.as_slice()) {
        (&Method::GET, ["console.css"]) => return Ok(stylesheet()),
        (&Method::GET, ["sign-in"]) => return sign_in_page(deps).await,
        (&Method::GET, ["callback"]) => return oidc::callback(deps, &req).await,
        (&Method::POST, ["sign-in"]) => return sign_in(deps, &req).await,
        (&Method::GET, ["signed-out"]) => return Ok(signed_out()),
        _ => {}
    }
    let Some(signed) = signed_in(deps, &req).await? else {
        if method == Method::GET {
            return Ok(see_other("/staff/sign-in"));
        }
        return Err(ApiError::unauthorized("Your session has ended. Sign in again, then do it once more."));
    };
    let staff = signed.staff();
    let fields = if method == Method::POST {
        let fields = form(&req)?;
        if !same_origin(&req, deps.origin.as_deref()) || !signed.rec.csrf_ok(get(&fields, "csrf")) {
            tracing::info!(role = staff.role.as_str(), "console form refused: not from this site's page");
            return Err(ApiError::forbidden("This form did not come from the console's own page. Go back, reload the page and try again."));
        }
        fields
    } else {
        Vec::new()
    };
    let cx = Cx { deps, staff: &staff, csrf: &signed.rec.csrf, req: &req, fields: &fields };
    match (&method, segs.as_slice()) {
        (&Method::GET, []) => Ok(cx.home()),
        (&Method::POST, ["sign-out"]) => sign_out(deps, &req, &signed).await,
        (&Method::GET, ["review"]) => cx.review_queue().await,
        (&Method::GET, ["review", id]) => cx.draft(id, None, None).await,
        (&Method::POST, ["review", id, "publish"]) => cx.publish(id).await,
        (&Method::POST, ["review", id, "reject"]) => cx.reject(id).await,
        (&Method::GET, ["review", id, "sent"]) => cx.sent(id).await,
        (&Method::GET, ["cases"]) => cx.cases().await,
        (&Method::GET, ["cases", "go"]) => cx.go_to_case(),
        (&Method::GET, ["cases", id]) => cx.case(id).await,
        (&Method::POST, ["cases", id, what]) => cx.case_post(id, what).await,
        (&Method::GET, ["members"]) => cx.members().await,
        (&Method::POST, ["members", id, what @ ("approve" | "decline")]) => cx.decide_member(id, what).await,
        (&Method::GET, ["helpdesk"]) => cx.helpdesk(None),
        (&Method::POST, ["helpdesk"]) => cx.helpdesk_find().await,
        (&Method::POST, ["helpdesk", id, what @ ("resend" | "end")]) => cx.helpdesk_act(id, what).await,
        (&Method::GET, ["audit"]) => cx.audit().await,
        (&Method::POST, ["audit", "verify"]) => cx.verify().await,
        _ => Err(ApiError::not_found("There is no console page at this address. Start again from the console's start page.")),
    }
}

fn stylesheet() -> Response {
    let mut res = http::Response::new(Bytes::from_static(view::CSS.as_bytes()));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn set_cookie(res: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn anonymous() -> Frame<'static> {
    Frame { staff: None, csrf: "", section: "" }
}

// -- signing in and out ------------------------------------------------------------------------------------------

async fn sign_in_page(deps: &ConsoleDeps) -> Result<Response, ApiError> {
    if let SignIn::Cognito(c) = &deps.sign_in {
        return oidc::start(c, &deps.core()).await;
    }
    Ok(page(StatusCode::OK, &anonymous(), "Sign in", sign_in_form("", None)))
}

fn sign_in_form(name: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            div class="summary" id="errors" role="alert" {
                h2 { "Not signed in" }
                p { a href="#name" { (e) } }
            }
        }
        p { "Sign in with your staff name, your password and the six-digit code your authenticator app shows now." }
        form method="post" action="/staff/sign-in" {
            label for="name" { "Staff name" }
            input id="name" name="name" type="text" autocomplete="username" required value=(name) aria-describedby=[described("name", error)];
            (field_error("name", error))
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            label for="code" { "Code from your authenticator app" }
            input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required;
            button type="submit" { "Sign in" }
        }
    }
}

async fn sign_in(deps: &ConsoleDeps, req: &Request) -> Result<Response, ApiError> {
    if matches!(deps.sign_in, SignIn::Cognito(_)) {
        return Err(ApiError::not_found("Staff sign in through the scheme's sign-in page: open /staff/ to go there."));
    }
    let fields = form(req)?;
    if !same_origin(req, deps.origin.as_deref()) {
        return Err(ApiError::forbidden("This form did not come from the console's own page. Open /staff/sign-in and try again."));
    }
    let client = client_of(req);
    deps.admin.limiter.check(Secret::StaffToken, client)?;
    let name = get(&fields, "name").trim().to_owned();
    match accounts::sign_in(&deps.core(), &name, get(&fields, "password"), get(&fields, "code")).await {
        Ok(staff) => {
            let (token, _) = session::start(&deps.core(), &staff, Default::default(), 0).await?;
            crate::usecases::audit::record(&deps.core(), &staff, "console_sign_in", "", None).await?;
            let mut res = see_other("/staff/");
            set_cookie(&mut res, &session::cookie(Some(&token), super::is_local(req)));
            Ok(res)
        }
        Err(accounts::SignInError::Refused) => {
            deps.admin.limiter.fail(Secret::StaffToken, client);
            let msg = "The name, password or code is wrong, or there have been too many tries. Check them and try again; after five wrong tries, wait 15 minutes.";
            Ok(page(StatusCode::UNAUTHORIZED, &anonymous(), "Sign in", sign_in_form(&name, Some(msg))))
        }
        Err(accounts::SignInError::Store(e)) => Err(e.into()),
        Err(accounts::SignInError::Seal(e)) => Err(e.into()),
        Err(accounts::SignInError::Hash(_)) => {
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "The server is busy. Wait a moment and try again."))
        }
    }
}

async fn sign_out(deps: &ConsoleDeps, req: &Request, signed: &Signed) -> Result<Response, ApiError> {
    session::end(&deps.core(), &signed.token).await?;
    crate::usecases::audit::record(&deps.core(), &signed.staff(), "console_sign_out", "", None).await?;
    let mut res = match &deps.sign_in {
        SignIn::Local => see_other("/staff/signed-out"),
        SignIn::Cognito(c) => {
            oidc::revoke(c, &deps.core(), &signed.token, &signed.rec).await;
            see_other(&c.logout_url())
        }
    };
    set_cookie(&mut res, &session::cookie(None, super::is_local(req)));
    Ok(res)
}

fn signed_out() -> Response {
    page(
        StatusCode::OK,
        &anonymous(),
        "You are signed out",
        html! {
            p { "Your session has ended on the server. Close the browser if this is a shared computer." }
            p { a href="/staff/sign-in" { "Sign in again" } }
        },
    )
}

// -- the pages of a signed-in member of staff ---------------------------------------------------------------------

struct Cx<'a> {
    deps: &'a ConsoleDeps,
    staff: &'a Staff,
    csrf: &'a str,
    req: &'a Request,
    fields: &'a [(String, String)],
}

const DESCRIPTIONS: [(&str, &str); 5] = [
    ("/staff/review", "Drafts waiting for review, oldest first: check, edit, publish or reject."),
    ("/staff/cases", "Your cases and the open ones: the thread with the reporter, notes, contacts, referrals, consent."),
    ("/staff/members", "Membership requests waiting for approval."),
    ("/staff/helpdesk", "Find one member by their exact email or phone, resend a code, end a subscription."),
    ("/staff/audit", "The audit log by person, action and date, and the check of its chain."),
];

impl Cx<'_> {
    fn frame(&self, section: &'static str) -> Frame<'_> {
        Frame { staff: Some(self.staff), csrf: self.csrf, section }
    }

    fn ok(&self, section: &'static str, title: &str, body: Markup) -> Result<Response, ApiError> {
        Ok(page(StatusCode::OK, &self.frame(section), title, body))
    }

    async fn call(&self, method: Method, uri: &str, body: Option<Value>) -> Result<Value, ApiError> {
        call(self.deps, self.staff, method, uri, body).await
    }

    fn home(&self) -> Response {
        let body = html! {
            p { "What your role (" (view::role_name(self.staff.role)) ") may do here:" }
            ul {
                @for (name, path) in view::sections(self.staff.role) {
                    li { a href=(path) { (name) } ": " (DESCRIPTIONS.iter().find(|(p, _)| *p == path).map_or("", |(_, d)| *d)) }
                }
            }
        };
        page(StatusCode::OK, &self.frame(""), "Staff console", body)
    }

    // -- review ----------------------------------------------------------------------------------------------------

    async fn review_queue(&self) -> Result<Response, ApiError> {
        let list = self.call(Method::GET, "/admin/alerts?status=draft&limit=200", None).await?;
        let now = self.deps.admin.clock.now();
        let alerts = list["alerts"].as_array().cloned().unwrap_or_default();
        let body = html! {
            @if alerts.is_empty() {
                p { "No draft is waiting." }
            } @else {
                p { (alerts.len()) " drafts waiting, the oldest first." }
                @for a in &alerts {
                    @let id = a["alert_id"].as_str().unwrap_or("");
                    div class="item" {
                        h2 { a href=(format!("/staff/review/{id}")) { (a["town"].as_str().unwrap_or("")) ", " (a["incident_date"].as_str().unwrap_or("")) } }
                        p { "Waiting " strong { (view::waited(a["created_at"].as_str().unwrap_or(""), now)) } " (since " (when(a["created_at"].as_str().unwrap_or(""))) ")" }
                        p { "What he did: " (words(&a["categories"])) }
                    }
                }
            }
        };
        self.ok("/staff/review", "Drafts to review", body)
    }

    async fn draft(&self, id: &str, sent: Option<&Draft>, err: Option<&ApiError>) -> Result<Response, ApiError> {
        let alert = self.call(Method::GET, &format!("/admin/alerts/{}", enc(id)), None).await?;
        let status = err.map_or(StatusCode::OK, |e| e.status);
        let draft = sent.cloned().unwrap_or_else(|| Draft::of(&alert));
        let body = draft_body(&self.frame("/staff/review"), id, &alert, &draft, err);
        let title = if alert["status"] == "draft" { "Review a draft" } else { "An alert already decided" };
        Ok(page(status, &self.frame("/staff/review"), title, body))
    }

    async fn publish(&self, id: &str) -> Result<Response, ApiError> {
        let alert = self.call(Method::GET, &format!("/admin/alerts/{}", enc(id)), None).await?;
        let sent = Draft::from_form(self.fields);
        let mut body = json!({"regions": sent.regions});
        if sent.summary.trim() != alert["summary"].as_str().unwrap_or("").trim() {
            body["summary"] = json!(sent.summary.trim());
        }
        let mut offender = alert["offender"].clone();
        if !offender.is_object() {
            offender = json!({});
        }
        let description = sent.description.trim();
        if description.is_empty() {
            offender.as_object_mut().map(|o| o.remove("description"));
        } else {
            offender["description"] = json!(description);
        }
        let names: Vec<&str> = sent.names.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
        if names.is_empty() {
            offender.as_object_mut().map(|o| o.remove("names_used"));
        } else {
            offender["names_used"] = json!(names);
        }
        if offender != alert["offender"] {
            body["offender"] = offender;
        }
        if sent.town.trim() != alert["town"].as_str().unwrap_or("") {
            body["town"] = json!(sent.town.trim());
        }
        if sent.precision != "day" {
            body["date_precision"] = json!(sent.precision);
        }
        match self.call(Method::POST, &format!("/admin/alerts/{}/publish", enc(id)), Some(body)).await {
            Ok(_) => Ok(see_other(&format!("/staff/review/{}/sent", enc(id)))),
            Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN && e.status != StatusCode::NOT_FOUND => {
                e.log();
                self.draft(id, Some(&sent), Some(&e)).await
            }
            Err(e) => Err(e),
        }
    }

    async fn reject(&self, id: &str) -> Result<Response, ApiError> {
        let reason = get(self.fields, "reason").trim().to_owned();
        match self.call(Method::POST, &format!("/admin/alerts/{}/reject", enc(id)), Some(json!({"reason": reason}))).await {
            Ok(_) => self.ok(
                "/staff/review",
                "The draft is rejected",
                html! { p { "Nothing was sent. The reason is kept with the alert." } p { a href="/staff/review" { "Back to the drafts" } } },
            ),
            Err(e) if e.status == StatusCode::BAD_REQUEST || e.status == StatusCode::CONFLICT => {
                let mut e = e;
                e.field = Some("reason".into());
                self.draft(id, None, Some(&e)).await
            }
            Err(e) => Err(e),
        }
    }

    async fn sent(&self, id: &str) -> Result<Response, ApiError> {
        let c = self.call(Method::GET, &format!("/admin/alerts/{}/deliveries", enc(id)), None).await?;
        let n = |k: &str| c[k].as_u64().unwrap_or(0);
        let (pending, sent, failed) = (n("pending"), n("sent"), n("failed"));
        let moving = pending > 0 || sent + failed == 0;
        let body = html! {
            p class="counts" id="counts" { (sent) " sent · " (pending) " waiting · " (failed) " failed" }
            @if moving {
                p { "Sending goes on. " a href=(format!("/staff/review/{}/sent", enc(id))) { "Reload the counts" } }
            } @else {
                p { "Every delivery is done." }
            }
            p { a href="/staff/review" { "Back to the drafts" } }
        };
        // No automatic reload (a page that reloads itself on a timer fails WCAG 2.2.1): a link the reviewer follows.
        Ok(page(StatusCode::OK, &self.frame("/staff/review"), "Published: deliveries", body))
    }

    // -- casework --------------------------------------------------------------------------------------------------

    async fn cases(&self) -> Result<Response, ApiError> {
        let view = super::query_param(self.req, "view").unwrap_or_else(|| "mine".into());
        let (uri, title) = match view.as_str() {
            "open" => ("/admin/cases?status=open", "Open cases, nobody has them yet"),
            "closed" => ("/admin/cases?status=closed", "Closed cases"),
            _ => ("/admin/cases?mine=true", "My cases"),
        };
        let list = self.call(Method::GET, uri, None).await?;
        let cases = list["cases"].as_array().cloned().unwrap_or_default();
        let body = html! {
            nav aria-label="Case lists" class="row" {
                a href="/staff/cases?view=mine" aria-current=[(view != "open" && view != "closed").then_some("page")] { "My cases" }
                a href="/staff/cases?view=open" aria-current=[(view == "open").then_some("page")] { "Open cases" }
                a href="/staff/cases?view=closed" aria-current=[(view == "closed").then_some("page")] { "Closed cases" }
            }
            form method="get" action="/staff/cases/go" {
                label for="reference" { "Go to a report by its reference" }
                input id="reference" name="reference" type="text" autocomplete="off" required;
                button type="submit" { "Go to the report" }
            }
            h2 { (title) }
            @if cases.is_empty() { p { "None." } }
            @for c in &cases {
                @let id = c["report_id"].as_str().unwrap_or("");
                div class="item" {
                    h3 { a href=(format!("/staff/cases/{id}")) { (c["reference"].as_str().unwrap_or(id)) } }
                    p { "Status: " (words(&c["status"])) @if let Some(a) = c["assigned_to"].as_str() { ", with " (a) } }
                    p { "Received " (when(c["received_at"].as_str().unwrap_or(""))) }
                }
            }
        };
        self.ok("/staff/cases", "Cases", body)
    }

    fn go_to_case(&self) -> Result<Response, ApiError> {
        let r = super::query_param(self.req, "reference").unwrap_or_default();
        let r: String = r.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        Ok(see_other(&format!("/staff/cases/{}", r.to_ascii_uppercase())))
    }

    async fn case(&self, id: &str) -> Result<Response, ApiError> {
        let path = enc(id);
        let case = match self.call(Method::GET, &format!("/admin/cases/{path}"), None).await {
            Ok(c) => c,
            Err(e) if e.status == StatusCode::NOT_FOUND && e.message.contains("no case yet") => {
                let f = self.frame("/staff/cases");
                let body = html! {
                    p { "Report " strong class="mono" { (id) } " has no case yet. Opening one makes you its caseworker." }
                    (f.button(&format!("/staff/cases/{path}/open"), "Open a case", None))
                };
                return self.ok("/staff/cases", "No case yet", body);
            }
            Err(e) => return Err(e),
        };
        let messages = self.call(Method::GET, &format!("/admin/reports/{path}/messages"), None).await?;
        let services = if may(self.staff.role, Action::ListServices) {
            self.call(Method::GET, "/admin/services", None).await.ok().and_then(|s| s["services"].as_array().cloned()).unwrap_or_default()
        } else {
            Vec::new()
        };
        let f = self.frame("/staff/cases");
        let closed = case["status"] == "closed";
        let mine = case["assigned_to"].as_str() == Some(self.staff.subject.as_str());
        let post = |what: &str| format!("/staff/cases/{path}/{what}");
        let body = html! {
            dl {
                dt { "Reference" } dd class="mono" { (case["reference"].as_str().unwrap_or(id)) }
                dt { "Status" } dd id="case-status" { (words(&case["status"])) }
                dt { "Caseworker" } dd { (case["assigned_to"].as_str().unwrap_or("nobody yet")) }
                dt { "Received" } dd { (when(case["received_at"].as_str().unwrap_or(""))) }
                dt { "Opened" } dd { (when(case["opened_at"].as_str().unwrap_or(""))) " by " (case["opened_by"].as_str().unwrap_or("")) }
                @if let Some(o) = case["outcome"].as_str() { dt { "Outcome" } dd { (o.replace('_', " ")) } }
            }
            @if !closed && !mine {
                (f.button(&post("assign"), "Take this case", None))
            }
            h2 id="consent" { "Consent" }
            p { "Now:" }
            (fields(&case["consent"]))
            @let history = case["consent_history"].as_array().cloned().unwrap_or_default();
            @if !history.is_empty() {
                h3 { "How it changed" }
                ol id="consent-history" {
                    @for h in &history {
                        li {
                            (when(h["at"].as_str().unwrap_or(""))) ", " (words(&h["who"])) " (" (words(&h["how"])) "): "
                            @for (i, (k, v)) in h["change"].as_object().into_iter().flatten().enumerate() {
                                @if i > 0 { "; " }
                                (k.replace('_', " ")) " " (if v == true { "yes" } else { "no" })
                            }
                        }
                    }
                }
            }
            (linked_reports(&case["linked"], |l| l["report_id"].as_str().map(|r| format!("/staff/cases/{}", enc(r)))))
            h2 id="details" { "The reporter's details" }
            p { "The report's private parts (who reported, how to reach them, the account as written) open only with a reason, and the opening is written to the audit log." }
            form method="post" action=(post("details")) {
                (f.csrf_field())
                label for="details-reason" { "Why you need them now" }
                textarea id="details-reason" name="reason" rows="2" required maxlength="500" {}
                button type="submit" { "Open the reporter's details" }
            }
            h2 id="thread" { "Messages with the reporter" }
            @let msgs = messages["messages"].as_array().cloned().unwrap_or_default();
            @if msgs.is_empty() { p id="no-messages" { "No message yet." } }
            @else {
                ol class="thread" id="messages" {
                    @for m in &msgs {
                        li { strong { (if m["from"] == "reporter" { "Reporter" } else { "Caseworker" }) } ", " (when(m["at"].as_str().unwrap_or(""))) ": " (m["text"].as_str().unwrap_or("")) }
                    }
                }
            }
            form method="post" action=(post("messages")) {
                (f.csrf_field())
                label for="reply" { "Write to the reporter" }
                p class="hint" id="reply-hint" { "They read it when they come back with their reference and passphrase. If they gave a safe channel and hours, they get a notice without its content in those hours; nothing else is sent." }
                textarea id="reply" name="text" rows="4" required maxlength="4000" aria-describedby="reply-hint" {}
                button type="submit" { "Send to the reporter" }
            }
            h2 id="log" { "Case log" }
            @let entries = case["entries"].as_array().cloned().unwrap_or_default();
            @if entries.is_empty() { p { "Nothing yet." } }
            @for e in &entries {
                div class="item" {
                    p { strong { (words(&e["entry"])) } ", " (when(e["at"].as_str().unwrap_or(""))) ", " (e["by"].as_str().unwrap_or("")) }
                    @if let Some(c) = e["channel"].as_str() { p { "By " (c.replace('_', " ")) ": " (words(&e["outcome"])) } }
                    @if let Some(s) = e["service_name"].as_str() { p { "Referred to " (s) } }
                    @if let Some(t) = e["text"].as_str() { p { (t) } }
                }
            }
            @if !closed {
                form method="post" action=(post("notes")) {
                    (f.csrf_field())
                    label for="note" { "Add a note" }
                    textarea id="note" name="text" rows="3" required maxlength="4000" {}
                    button type="submit" { "Add the note" }
                }
                form method="post" action=(post("contacts")) {
                    (f.csrf_field())
                    fieldset {
                        legend { "Log a contact" }
                        label for="contact-channel" { "How" }
                        select id="contact-channel" name="channel" { @for c in ContactChannel::ALL { option value=(c.as_str()) { (c.as_str().replace('_', " ")) } } }
                        label for="contact-outcome" { "What came of it" }
                        select id="contact-outcome" name="outcome" { @for o in ContactOutcome::ALL { option value=(o.as_str()) { (o.as_str().replace('_', " ")) } } }
                        label for="contact-note" { "Note (optional)" }
                        textarea id="contact-note" name="note" rows="2" maxlength="4000" {}
                        button type="submit" { "Log the contact" }
                    }
                }
                @if !services.is_empty() {
                    form method="post" action=(post("referrals")) {
                        (f.csrf_field())
                        fieldset {
                            legend { "Refer to a service" }
                            label for="service" { "Service" }
                            select id="service" name="service_id" {
                                @for s in &services { option value=(s["service_id"].as_str().unwrap_or("")) { (s["name"].as_str().unwrap_or("")) } }
                            }
                            label for="referral-note" { "Note (optional)" }
                            textarea id="referral-note" name="note" rows="2" maxlength="4000" {}
                            button type="submit" { "Refer" }
                        }
                    }
                }
                form method="post" action=(post("close")) {
                    (f.csrf_field())
                    fieldset {
                        legend { "Close the case" }
                        label for="close-outcome" { "Outcome" }
                        select id="close-outcome" name="outcome" { @for o in CaseOutcome::ALL { option value=(o.as_str()) { (o.as_str().replace('_', " ")) } } }
                        label for="close-note" { "Note (optional)" }
                        textarea id="close-note" name="note" rows="2" maxlength="4000" {}
                        button type="submit" { "Close the case" }
                    }
                }
            }
        };
        self.ok("/staff/cases", &format!("Case {}", case["reference"].as_str().unwrap_or(id)), body)
    }

    async fn case_post(&self, id: &str, what: &str) -> Result<Response, ApiError> {
        let path = enc(id);
        let text = |name: &str| {
            let t = get(self.fields, name).trim();
            if t.is_empty() { Value::Null } else { json!(t) }
        };
        let back = |anchor: &str| Ok(see_other(&format!("/staff/cases/{path}#{anchor}")));
        match what {
            "open" => {
                self.call(Method::POST, &format!("/admin/cases/{path}"), None).await?;
                back("log")
            }
            "assign" => {
                self.call(Method::POST, &format!("/admin/cases/{path}/assign"), Some(json!({}))).await?;
                back("log")
            }
            "notes" => {
                self.call(Method::POST, &format!("/admin/cases/{path}/notes"), Some(json!({"text": text("text")}))).await?;
                back("log")
            }
            "contacts" => {
                let mut body = json!({"channel": get(self.fields, "channel"), "outcome": get(self.fields, "outcome")});
                if !text("note").is_null() {
                    body["note"] = text("note");
                }
                self.call(Method::POST, &format!("/admin/cases/{path}/contacts"), Some(body)).await?;
                back("log")
            }
            "referrals" => {
                let mut body = json!({"service_id": get(self.fields, "service_id")});
                if !text("note").is_null() {
                    body["note"] = text("note");
                }
                self.call(Method::POST, &format!("/admin/cases/{path}/referrals"), Some(body)).await?;
                back("log")
            }
            "close" => {
                let mut body = json!({"outcome": get(self.fields, "outcome")});
                if !text("note").is_null() {
                    body["note"] = text("note");
                }
                self.call(Method::POST, &format!("/admin/cases/{path}/close"), Some(body)).await?;
                back("log")
            }
            "messages" => {
                self.call(Method::POST, &format!("/admin/reports/{path}/messages"), Some(json!({"text": text("text")}))).await?;
                back("thread")
            }
            "details" => {
                let reason = get(self.fields, "reason").trim();
                if reason.is_empty() {
                    return Err(ApiError::bad_request(
                        "missing_reason",
                        "Say why you need the reporter's details: the reason goes to the audit log. Go back and write one.",
                    ));
                }
                let report = self.call(Method::GET, &format!("/admin/reports/{path}?reason={}", enc(reason)), None).await?;
                let body = html! {
                    p class="flag" { "Opened for the reason you gave; this opening is in the audit log. Nothing of it is kept in your browser: leaving this page closes it." }
                    (fields(&report["report"]))
                    p { a href=(format!("/staff/cases/{path}")) { "Back to the case" } }
                };
                self.ok("/staff/cases", "The reporter's details", body)
            }
            _ => Err(ApiError::not_found("There is no console page at this address. Start again from the console's start page.")),
        }
    }

    // -- members and help desk -------------------------------------------------------------------------------------

    async fn members(&self) -> Result<Response, ApiError> {
        let list = self.call(Method::GET, "/admin/members?status=pending_approval", None).await?;
        let members = list["members"].as_array().cloned().unwrap_or_default();
        let f = self.frame("/staff/members");
        let body = html! {
            p { "Each request has a verified contact. Contacts are never shown here: to help one person, use the help desk." }
            @if members.is_empty() { p { "No request is waiting." } }
            @for m in &members {
                @let id = m["subscription_id"].as_str().unwrap_or("");
                div class="item" {
                    h2 class="mono" { (id) }
                    p { "Regions: " (words(&m["regions"])) }
                    p { "Channels: " (words(&m["channels"])) }
                    p { "Asked " (when(m["requested_at"].as_str().unwrap_or(""))) }
                    div class="row" {
                        (f.button(&format!("/staff/members/{}/approve", enc(id)), "Approve", None))
                        (f.button(&format!("/staff/members/{}/decline", enc(id)), "Decline", Some("plain")))
                    }
                }
            }
        };
        self.ok("/staff/members", "Membership requests", body)
    }

    async fn decide_member(&self, id: &str, what: &str) -> Result<Response, ApiError> {
        self.call(Method::POST, &format!("/admin/members/{}/{what}", enc(id)), Some(json!({}))).await?;
        Ok(see_other("/staff/members"))
    }

    fn helpdesk(&self, result: Option<Markup>) -> Result<Response, ApiError> {
        let f = self.frame("/staff/helpdesk");
        let body = html! {
            @if let Some(r) = result { (r) }
            p { "Find one member by the exact email address or mobile number they give you. Each lookup needs a reason and goes to the audit log; there is a limit per hour." }
            form method="post" action="/staff/helpdesk" {
                (f.csrf_field())
                label for="email" { "Email address" }
                input id="email" name="email" type="email" autocomplete="off";
                label for="phone" { "or mobile number" }
                input id="phone" name="phone" type="tel" autocomplete="off";
                label for="find-reason" { "Reason (their call, the ticket)" }
                input id="find-reason" name="reason" type="text" required maxlength="500" autocomplete="off";
                button type="submit" { "Find the member" }
            }
        };
        self.ok("/staff/helpdesk", "Help desk", body)
    }

    async fn helpdesk_find(&self) -> Result<Response, ApiError> {
        let mut body = json!({"reason": get(self.fields, "reason").trim()});
        for k in ["email", "phone"] {
            let v = get(self.fields, k).trim();
            if !v.is_empty() {
                body[k] = json!(v);
            }
        }
        let found = self.call(Method::POST, "/admin/helpdesk/find", Some(body)).await?;
        let f = self.frame("/staff/helpdesk");
        let s = &found["subscription"];
        let result = html! {
            h2 { "What the lookup found" }
            @if s.is_null() {
                p class="item" id="found" { "No member has that contact." }
            } @else {
                @let id = s["subscription_id"].as_str().unwrap_or("");
                div class="item" id="found" {
                    (fields(s))
                    div class="row" {
                        (f.button(&format!("/staff/helpdesk/{}/resend", enc(id)), "Resend a code", None))
                        (f.button(&format!("/staff/helpdesk/{}/end", enc(id)), "End the subscription", Some("plain")))
                    }
                }
            }
        };
        self.helpdesk(Some(result))
    }

    async fn helpdesk_act(&self, id: &str, what: &str) -> Result<Response, ApiError> {
        let (path, said) = match what {
            "resend" => ("resend-code", "A new code is on its way to the member."),
            _ => ("deactivate", "The subscription has ended: no more alerts go to it."),
        };
        self.call(Method::POST, &format!("/admin/helpdesk/subscriptions/{}/{path}", enc(id)), Some(json!({}))).await?;
        self.helpdesk(Some(html! { p class="ok" role="status" { (said) } }))
    }

    // -- audit -----------------------------------------------------------------------------------------------------

    async fn audit(&self) -> Result<Response, ApiError> {
        let q = |k: &str| super::query_param(self.req, k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let (person, action, from, to) = (q("person"), q("action"), q("from"), q("to"));
        let mut entries = Vec::new();
        let mut after = 0u64;
        for _ in 0..20 {
            let page = self.call(Method::GET, &format!("/admin/audit?after={after}&limit=1000"), None).await?;
            let got = page["entries"].as_array().cloned().unwrap_or_default();
            let n = got.len();
            entries.extend(got);
            match page["next_after"].as_u64() {
                Some(next) if n == 1000 => after = next,
                _ => break,
            }
        }
        let mut actions: Vec<String> = entries.iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect();
        actions.sort();
        actions.dedup();
        let day = |e: &Value| e["at"].as_str().map(|a| a.chars().take(10).collect::<String>()).unwrap_or_default();
        let shown: Vec<&Value> = entries
            .iter()
            .rev()
            .filter(|e| person.as_deref().is_none_or(|p| e["actor"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(p))))
            .filter(|e| action.as_deref().is_none_or(|a| e["action"] == a))
            .filter(|e| from.as_deref().is_none_or(|f| day(e).as_str() >= f))
            .filter(|e| to.as_deref().is_none_or(|t| day(e).as_str() <= t))
            .take(200)
            .collect();
        let f = self.frame("/staff/audit");
        let body = html! {
            form method="post" action="/staff/audit/verify" {
                (f.csrf_field())
                p { "The chain check reads every entry and checks each link: a changed or missing entry shows." }
                button type="submit" { "Check the chain" }
            }
            h2 { "The log" }
            form method="get" action="/staff/audit" {
                label for="person" { "Person" }
                input id="person" name="person" type="text" value=(person.clone().unwrap_or_default()) autocomplete="off";
                label for="action" { "Action" }
                select id="action" name="action" {
                    option value="" { "Any action" }
                    @for a in &actions { option value=(a) selected[action.as_deref() == Some(a.as_str())] { (a.replace('_', " ")) } }
                }
                label for="from" { "From (date)" }
                input id="from" name="from" type="date" value=(from.clone().unwrap_or_default());
                label for="to" { "To (date)" }
                input id="to" name="to" type="date" value=(to.clone().unwrap_or_default());
                button type="submit" { "Show" }
            }
            p id="shown" { "Shown: " (shown.len()) " of " (entries.len()) " entries (newest first, at most 200)." }
            @for e in &shown {
                div class="item" {
                    p { strong { "#" (e["seq"]) " " (e["action"].as_str().unwrap_or("").replace('_', " ")) } " by " (e["actor"].as_str().unwrap_or("")) " (" (e["role"].as_str().unwrap_or("")) "), " (when(e["at"].as_str().unwrap_or(""))) }
                    @if let Some(t) = e["target"].as_str().filter(|t| !t.is_empty()) { p class="mono" { "On " (t) } }
                    @if let Some(r) = e["reason"].as_str() { p { "Reason: " (r) } }
                }
            }
        };
        self.ok("/staff/audit", "Audit log", body)
    }

    async fn verify(&self) -> Result<Response, ApiError> {
        let v = self.call(Method::GET, "/admin/audit/verify", None).await?;
        let intact = v["result"] == "intact";
        let sentence = match v["result"].as_str() {
            Some("intact") => format!("The audit log is intact: {} entries, every link holds.", v["entries"]),
            Some("altered") => format!("Entry {} was changed after it was written.", v["seq"]),
            Some("missing") => format!("Entry {} is missing.", v["seq"]),
            Some("disagrees") => {
                format!("Entry {} is not the entry recorded outside the table: the chain was rewritten from there on.", v["seq"])
            }
            _ => "The check gave no result.".into(),
        };
        let body = html! {
            p class=(if intact { "ok" } else { "bad" }) id="verdict" role="status" { (sentence) }
            @if !intact { p { "Tell the scheme's data protection lead at once, and keep the server's logs: they hold the chain's anchors." } }
            p { a href="/staff/audit" { "Back to the log" } }
        };
        self.ok("/staff/audit", "Chain check", body)
    }
}

/// A draft as the reviewer's form holds it.
#[derive(Debug, Clone, Default)]
struct Draft {
    summary: String,
    description: String,
    names: String,
    town: String,
    precision: String,
    regions: Vec<String>,
}

impl Draft {
    fn of(alert: &Value) -> Self {
        let suggested: Vec<String> =
            alert["suggested_regions"].as_array().into_iter().flatten().filter_map(|r| r.as_str().map(str::to_owned)).collect();
        Self {
            summary: alert["summary"].as_str().unwrap_or("").to_owned(),
            description: alert["offender"]["description"].as_str().unwrap_or("").to_owned(),
            names: alert["offender"]["names_used"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            town: alert["town"].as_str().unwrap_or("").to_owned(),
            precision: alert["date_precision"].as_str().unwrap_or("day").to_owned(),
            regions: suggested,
        }
    }

    fn from_form(fields: &[(String, String)]) -> Self {
        let precision = match get(fields, "date_precision") {
            p @ ("week" | "month") => p.to_owned(),
            _ => "day".to_owned(),
        };
        // A browser sends a textarea's line breaks as CRLF; the draft has LF.
        let text = |name: &str| get(fields, name).replace("\r\n", "\n");
        Self {
            summary: text("summary"),
            description: text("description"),
            names: get(fields, "names").to_owned(),
            town: get(fields, "town").to_owned(),
            precision,
            regions: all(fields, "regions").into_iter().map(str::to_owned).collect(),
        }
    }
}

fn span_label(kind: &Value) -> &'static str {
    match kind.as_str() {
        Some("withheld_name") => "withheld as a name: check it reads right and was not the offender's",
        Some("withheld_place") => "withheld as a place",
        _ => "withheld as a number or code",
    }
}

/// The spans of one field of the draft, as character ranges with their labels.
fn spans_of(alert: &Value, field: &str) -> Vec<(usize, usize, &'static str)> {
    alert["review"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["field"] == field)
        .filter_map(|s| Some((s["start"].as_u64()? as usize, s["end"].as_u64()? as usize, span_label(&s["kind"]))))
        .collect()
}

/// Where an error of the publish or reject path belongs on the page.
fn error_place(e: &ApiError) -> &'static str {
    match e.field.as_deref().unwrap_or("") {
        "summary" => "summary",
        f if f.starts_with("offender.names") => "names",
        f if f.starts_with("offender") => "description",
        "town" => "town",
        f if f.starts_with("regions") => "regions",
        "date_precision" => "precision",
        "reason" => "reason",
        _ => "top",
    }
}

fn draft_body(f: &Frame<'_>, id: &str, alert: &Value, d: &Draft, err: Option<&ApiError>) -> Markup {
    let place = err.map(error_place);
    let at = |p: &str| err.filter(|_| place == Some(p)).map(|e| e.message.as_str());
    let path = enc(id);
    let is_draft = alert["status"] == "draft";
    html! {
        @if let Some(e) = err {
            div class="summary" id="errors" role="alert" {
                h2 { "Not done" }
                p { a href=(format!("#{}", if place == Some("top") { "summary" } else { place.unwrap_or("summary") })) { (e.message) } }
            }
        }
        @if !is_draft {
            p class="flag" { "This alert is " (words(&alert["status"])) "; it can no longer be edited here." }
            @if alert["status"] == "published" { p { a href=(format!("/staff/review/{path}/sent")) { "See its deliveries" } } }
        }
        dl {
            dt { "Town" } dd { (alert["town"].as_str().unwrap_or("")) }
            dt { "Date" } dd { (alert["date"].as_str().unwrap_or("")) @if let Some(t) = alert["time_of_day"].as_str() { " (" (t.replace('_', " ")) ")" } }
            dt { "What he did" } dd { (words(&alert["categories"])) }
            @if !alert["first_contact"].is_null() { dt { "First contact" } dd { (words(&alert["first_contact"])) } }
            dt { "Taken out" } dd {
                @let r = alert["redactions"].as_array().cloned().unwrap_or_default();
                @if r.is_empty() { "nothing" }
                @for (i, x) in r.iter().enumerate() { @if i > 0 { ", " } (x["count"]) " × " (words(&x["kind"])) }
            }
        }
        @for flag in alert["flags"].as_array().into_iter().flatten() {
            p class="flag" { strong { "Check the " (flag["field"].as_str().unwrap_or("")) ": " } (flag["message"].as_str().unwrap_or("")) }
        }
        @if let Some(n) = alert["reported_times"].as_u64() {
            p class="flag" { strong { "Reported " (n) " times" } " since " (alert["reported_since"].as_str().unwrap_or("")) ": the alert's page says so." }
        }
        (linked_reports(&alert["linked"], |l| l["alert_id"].as_str().map(|a| format!("/staff/review/{}", enc(a)))))
        h2 { "Where the sanitiser was unsure" }
        @let ss = spans_of(alert, "summary");
        @let ds = spans_of(alert, "offender.description");
        @if ss.is_empty() && ds.is_empty() {
            p { "Nowhere: no word was withheld as unknown." }
        } @else {
            p class="hint" { "Marked words were withheld because the sanitiser did not know them. Read each sentence: it must still warn, and name nobody but the offender." }
            @if !ss.is_empty() { p id="unsure-summary" { strong { "Summary: " } (highlighted(alert["summary"].as_str().unwrap_or(""), &ss)) } }
            @if !ds.is_empty() { p id="unsure-description" { strong { "Description: " } (highlighted(alert["offender"]["description"].as_str().unwrap_or(""), &ds)) } }
        }
        @if is_draft {
            form method="post" action=(format!("/staff/review/{path}/publish")) {
                (f.csrf_field())
                h2 { "Publish" }
                label for="summary" { "Summary" }
                textarea id="summary" name="summary" rows="8" required maxlength="2000" aria-describedby=[described("summary", at("summary"))] { (d.summary) }
                (field_error("summary", at("summary")))
                label for="description" { "What he looks like (offender)" }
                textarea id="description" name="description" rows="3" maxlength="1000" aria-describedby=[described("description", at("description"))] { (d.description) }
                (field_error("description", at("description")))
                label for="names" { "Names he uses (commas between)" }
                input id="names" name="names" type="text" value=(d.names) autocomplete="off" aria-describedby=[described("names", at("names"))];
                (field_error("names", at("names")))
                label for="town" { "Town" }
                input id="town" name="town" type="text" value=(d.town) required maxlength="80" autocomplete="off" aria-describedby=[described("town", at("town"))];
                (field_error("town", at("town")))
                fieldset id="precision" {
                    legend { "How much of the date to publish" }
                    @for (v, l) in [("day", "The day"), ("week", "Only the week"), ("month", "Only the month")] {
                        div class="check" {
                            input type="radio" id=(format!("p-{v}")) name="date_precision" value=(v) checked[d.precision == v];
                            label for=(format!("p-{v}")) { (l) }
                        }
                    }
                    (field_error("precision", at("precision")))
                }
                fieldset id="regions" aria-describedby=[described("regions", at("regions"))] {
                    legend { "Regions to send it to (the suggestion is ticked)" }
                    (field_error("regions", at("regions")))
                    @let suggested = alert["suggested_regions"].as_array().cloned().unwrap_or_default();
                    @for r in Region::ALL {
                        div class="check" {
                            input type="checkbox" id=(format!("r-{}", r.as_str())) name="regions" value=(r.as_str()) checked[d.regions.iter().any(|x| x == r.as_str())];
                            label for=(format!("r-{}", r.as_str())) {
                                (crate::i18n::Lang::En.t(&format!("region-{}", r.as_str())))
                                @if suggested.iter().any(|s| s == r.as_str()) { " (suggested)" }
                            }
                        }
                    }
                }
                button type="submit" { "Publish the alert" }
            }
            form method="post" action=(format!("/staff/review/{path}/reject")) {
                (f.csrf_field())
                h2 { "Or reject it" }
                label for="reason" { "Reason (kept with the alert, never sent)" }
                textarea id="reason" name="reason" rows="2" required maxlength="500" aria-describedby=[described("reason", at("reason"))] {}
                (field_error("reason", at("reason")))
                button type="submit" class="plain" { "Reject the draft" }
            }
        }
    }
}

#[cfg(test)]
mod tests;
