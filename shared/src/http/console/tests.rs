use std::sync::Arc;

use super::view::Frame;
use super::*;
use crate::adapters::{LocalKeys, SqliteTables};
use crate::http::admin::StaffAuth;
use crate::ports::{Clock, FixedClock};
use crate::ratelimit::Limiter;
use crate::staff::Role;

struct World {
    deps: ConsoleDeps,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(LocalKeys::open_or_create(dir.path()).unwrap());
    let tables = Arc::new(SqliteTables::in_memory().unwrap());
    let clock = Arc::new(FixedClock::at(chrono::DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z").unwrap().into()));
    let admin =
        AdminDeps { tables, keys: keys.clone(), clock: clock.clone(), auth: StaffAuth::Local(keys), limiter: Arc::new(Limiter::default()) };
    World { deps: ConsoleDeps { admin, sign_in: SignIn::Local, origin: None }, clock, _dir: dir }
}

const HOST: &str = "127.0.0.1:8080";

fn request(method: &str, path: &str, cookie: Option<&str>, body: &str) -> Request {
    let mut b = http::Request::builder().method(method).uri(path).header(header::HOST, HOST);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, format!("{}={c}", session::COOKIE));
    }
    if method == "POST" {
        b = b
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            // What a browser sends from a page whose referrer policy is no-referrer.
            .header(header::ORIGIN, "null")
            .header("sec-fetch-site", "same-origin");
    }
    b.body(Bytes::from(body.to_owned())).unwrap()
}

fn text(res: &Response) -> String {
    String::from_utf8(res.body().to_vec()).unwrap()
}

struct Account {
    name: String,
    password: String,
    secret: Vec<u8>,
}

async fn account(w: &World, name: &str, role: Role) -> Account {
    let made = accounts::add(&w.deps.core(), name, role, None).await.unwrap();
    Account {
        name: name.into(),
        password: made.generated_password.unwrap().to_string(),
        secret: totp::from_base32(&made.totp_secret).unwrap(),
    }
}

fn code(w: &World, a: &Account) -> String {
    totp::code_at(&a.secret, w.clock.now().timestamp() / totp::STEP)
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// Signs in; the session token and the CSRF token of its pages.
async fn sign_in_as(w: &World, a: &Account) -> (String, String) {
    let body = form_body(&[("name", &a.name), ("password", &a.password), ("code", &code(w, a))]);
    let res = handle(&w.deps, request("POST", "/staff/sign-in", None, &body)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", text(&res));
    let set = res.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    let token = set.split(';').next().unwrap().split_once('=').unwrap().1.to_owned();
    let home = handle(&w.deps, request("GET", "/staff/", Some(&token), "")).await;
    let page = text(&home);
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    w.clock.advance(chrono::Duration::seconds(31));
    (token, csrf)
}

#[tokio::test]
async fn a_password_and_a_fresh_code_sign_in_and_the_cookie_is_the_sessions_only() {
    let w = world();
    let a = account(&w, "rita", Role::Reviewer).await;
    let body = form_body(&[("name", "rita"), ("password", &a.password), ("code", &code(&w, &a))]);
    let res = handle(&w.deps, request("POST", "/staff/sign-in", None, &body)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set.starts_with("num_staff="), "{set}");
    assert!(set.contains("; Path=/staff;") && set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    assert!(!set.contains("Secure"), "plain HTTP on this machine only: {set}");
    assert!(session::cookie(Some("x"), false).ends_with("; Secure"));
    // The same code again is refused, even with the right password: each code is good once.
    let again = handle(&w.deps, request("POST", "/staff/sign-in", None, &body)).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_unknown_name_and_a_wrong_password_get_the_same_answer_and_five_wrong_tries_lock_the_account() {
    let w = world();
    let a = account(&w, "rita", Role::Reviewer).await;
    let wrong = handle(
        &w.deps,
        request("POST", "/staff/sign-in", None, &form_body(&[("name", "rita"), ("password", "wrong-password"), ("code", &code(&w, &a))])),
    )
    .await;
    let unknown = handle(
        &w.deps,
        request("POST", "/staff/sign-in", None, &form_body(&[("name", "nobody"), ("password", "wrong-password"), ("code", &code(&w, &a))])),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let strip = |s: String, name: &str| s.replace(&format!("value=\"{name}\""), "value=\"\"");
    assert_eq!(strip(text(&wrong), "rita"), strip(text(&unknown), "nobody"));
    for _ in 0..4 {
        handle(&w.deps, request("POST", "/staff/sign-in", None, &form_body(&[("name", "rita"), ("password", "x"), ("code", "000000")])))
            .await;
    }
    let right = form_body(&[("name", "rita"), ("password", &a.password), ("code", &code(&w, &a))]);
    assert_eq!(handle(&w.deps, request("POST", "/staff/sign-in", None, &right)).await.status(), StatusCode::UNAUTHORIZED, "locked");
    w.clock.advance(chrono::Duration::minutes(accounts::LOCK_MINUTES + 1));
    let right = form_body(&[("name", "rita"), ("password", &a.password), ("code", &code(&w, &a))]);
    assert_eq!(handle(&w.deps, request("POST", "/staff/sign-in", None, &right)).await.status(), StatusCode::SEE_OTHER, "after the wait");
}

#[tokio::test]
async fn a_form_without_the_sessions_token_or_from_another_site_changes_nothing() {
    let w = world();
    let a = account(&w, "ada", Role::Admin).await;
    let (token, csrf) = sign_in_as(&w, &a).await;
    let no_token = handle(&w.deps, request("POST", "/staff/sign-out", Some(&token), "")).await;
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let mut other = request("POST", "/staff/sign-out", Some(&token), &form_body(&[("csrf", &csrf)]));
    other.headers_mut().insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
    other.headers_mut().insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
    assert_eq!(handle(&w.deps, other).await.status(), StatusCode::FORBIDDEN);
    // Another site, seen only by its Origin (no Sec-Fetch-Site), even with the right token.
    let mut other = request("POST", "/staff/sign-out", Some(&token), &form_body(&[("csrf", &csrf)]));
    other.headers_mut().remove("sec-fetch-site");
    other.headers_mut().insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
    assert_eq!(handle(&w.deps, other).await.status(), StatusCode::FORBIDDEN);
    let mut null = request("POST", "/staff/sign-out", Some(&token), &form_body(&[("csrf", &csrf)]));
    null.headers_mut().remove("sec-fetch-site");
    null.headers_mut().insert(header::ORIGIN, HeaderValue::from_static("null"));
    assert_eq!(handle(&w.deps, null).await.status(), StatusCode::FORBIDDEN, "null without Sec-Fetch-Site");
    // Still signed in: then signing out ends the session on the server.
    assert_eq!(handle(&w.deps, request("GET", "/staff/", Some(&token), "")).await.status(), StatusCode::OK);
    let out = handle(&w.deps, request("POST", "/staff/sign-out", Some(&token), &form_body(&[("csrf", &csrf)]))).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = handle(&w.deps, request("GET", "/staff/", Some(&token), "")).await;
    assert_eq!(after.headers().get(header::LOCATION).unwrap(), "/staff/sign-in");
}

#[tokio::test]
async fn a_session_ends_when_idle_and_at_its_latest_end() {
    let w = world();
    let a = account(&w, "ada", Role::Admin).await;
    let (token, _) = sign_in_as(&w, &a).await;
    w.clock.advance(chrono::Duration::minutes(session::IDLE_MINUTES + 1));
    assert_eq!(handle(&w.deps, request("GET", "/staff/", Some(&token), "")).await.status(), StatusCode::SEE_OTHER);
    let (token, _) = sign_in_as(&w, &a).await;
    for _ in 0..(session::MAX_HOURS * 3) {
        w.clock.advance(chrono::Duration::minutes(20));
        let res = handle(&w.deps, request("GET", "/staff/", Some(&token), "")).await;
        if res.status() != StatusCode::OK {
            return;
        }
    }
    panic!("a session used every 20 minutes still lives after {} hours", session::MAX_HOURS);
}

#[tokio::test]
async fn each_role_sees_its_sections_and_the_server_refuses_the_rest() {
    let w = world();
    let m = account(&w, "olive", Role::OfficeManager).await;
    let (token, _) = sign_in_as(&w, &m).await;
    let home = text(&handle(&w.deps, request("GET", "/staff/", Some(&token), "")).await);
    assert!(home.contains("href=\"/staff/members\"") && home.contains("href=\"/staff/helpdesk\""), "{home}");
    assert!(!home.contains("/staff/review") && !home.contains("/staff/cases") && !home.contains("/staff/audit"), "{home}");
    for path in ["/staff/cases/R-7KQF-3MZP-9XWD", "/staff/review", "/staff/audit", "/staff/cases?view=open"] {
        let res = handle(&w.deps, request("GET", path, Some(&token), "")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(text(&res).contains("may not"), "{path}: {}", text(&res));
    }
    // The refusal is in the audit log, as the API's is.
    let admin = account(&w, "ada", Role::Admin).await;
    let (admin_token, _) = sign_in_as(&w, &admin).await;
    let log = text(&handle(&w.deps, request("GET", "/staff/audit?person=olive&action=denied:read_case", Some(&admin_token), "")).await);
    assert!(log.contains("Shown: 1 of "), "{log}");
}

#[tokio::test]
async fn every_console_answer_is_never_cached_and_has_the_pages_headers() {
    let w = world();
    let a = account(&w, "ada", Role::Admin).await;
    let (token, _) = sign_in_as(&w, &a).await;
    for (path, cookie) in [
        ("/staff/sign-in", None),
        ("/staff/", Some(token.as_str())),
        ("/staff/review", Some(&token)),
        ("/staff/nothing", Some(&token)),
        ("/staff/", None),
    ] {
        let res = handle(&w.deps, request("GET", path, cookie, "")).await;
        assert_eq!(res.headers().get(header::CACHE_CONTROL).unwrap(), "no-store", "{path}");
        if res.status() != StatusCode::SEE_OTHER {
            let csp = res.headers().get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
            assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}");
            let page = text(&res);
            assert!(!page.contains("<script"), "{path}: the console needs no script");
        }
    }
}

#[test]
fn the_draft_page_marks_the_unsure_words_and_puts_a_refused_edit_beside_its_field() {
    let alert = serde_json::json!({
        "alert_id": "A-1", "status": "draft", "town": "York", "date": "2025-06-07", "categories": ["threats"],
        "suggested_regions": ["yorkshire-humber"], "redactions": [{"kind": "third_party_name", "count": 1}],
        "offender": {"description": "Tall, met someone at a place"},
        "summary": "He said someone <b>would</b> pay.",
        "review": [
            {"field": "summary", "start": 8, "end": 15, "kind": "withheld_name"},
            {"field": "offender.description", "start": 23, "end": 28, "kind": "withheld_place"},
        ],
        "flags": [{"field": "town", "code": "town_coarsened", "reasons": ["venue"], "message": "The town as typed held more."}],
    });
    let frame = Frame { staff: None, csrf: "t0ken", section: "/staff/review" };
    let draft = Draft::of(&alert);
    let page = draft_body(&frame, "A-1", &alert, &draft, None).into_string();
    assert!(
        page.contains("He said <mark title=\"withheld as a name: check it reads right and was not the offender's\">someone</mark>"),
        "{page}"
    );
    assert!(page.contains("&lt;b&gt;would&lt;/b&gt;") && !page.contains("<b>would"), "escaped: {page}");
    assert!(page.contains(">place</mark>"), "{page}");
    assert!(page.contains("The town as typed held more."));
    assert!(
        page.contains("<input type=\"checkbox\" id=\"r-yorkshire-humber\" name=\"regions\" value=\"yorkshire-humber\" checked>"),
        "{page}"
    );
    assert!(page.contains("<input type=\"hidden\" name=\"csrf\" value=\"t0ken\">"));
    // The re-check's refusal, beside the words that caused it, the edit kept as sent.
    let mut sent = draft.clone();
    sent.summary = "He said Jade Whitfield would pay.".into();
    let err = ApiError::conflict(
        "edit_identifies_someone",
        "The edit would identify someone other than the offender (third_party_name). Remove it from: summary.",
    )
    .with_field("summary");
    let page = draft_body(&frame, "A-1", &alert, &sent, Some(&err)).into_string();
    let field = page.find("id=\"summary\"").unwrap();
    let beside = page.find("<p class=\"error\" id=\"summary-error\">The edit would identify").unwrap();
    assert!(beside > field && beside - field < 400, "{page}");
    assert!(page.contains("aria-describedby=\"summary-error\">He said Jade Whitfield would pay.</textarea>"), "{page}");
    assert!(page.contains("<a href=\"#summary\">The edit would identify"), "the summary at the top links to it");
}

#[test]
fn the_draft_page_lists_the_other_reports_about_him_with_what_they_share() {
    let frame = Frame { staff: None, csrf: "t0ken", section: "/staff/review" };
    let mut alert = serde_json::json!({
        "alert_id": "A-2", "status": "draft", "town": "York", "date": "2025-06-07", "categories": ["threats"],
        "suggested_regions": ["yorkshire-humber"], "summary": "He shouted.", "linked": [],
    });
    let page = draft_body(&frame, "A-2", &alert, &Draft::of(&alert), None).into_string();
    assert!(page.contains("None: no other report shares his phone"), "{page}");
    alert["linked"] = serde_json::json!([{
        "alert_id": "A-1", "report_id": "R-1", "status": "published", "town": "Leeds", "incident_date": "2025-03-14",
        "created_at": "2026-03-15T10:00:00Z", "shared": ["phone", "registration"],
    }]);
    let page = draft_body(&frame, "A-2", &alert, &Draft::of(&alert), None).into_string();
    assert!(page.contains("<a href=\"/staff/review/A-1\">Leeds, 2025-03-14</a>"), "{page}");
    assert!(page.contains("alert published): shares his phone, registration"), "{page}");
}
