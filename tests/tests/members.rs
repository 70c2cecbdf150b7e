//! Members on the web: join and verify by the pages' forms, vetting by an office manager, signing in by a code, the
//! members' area, settings and signing out; languages and the safety of the pages themselves.

use axum::body::Body;
use http::Request;
use num_tests::{TestApp, TestResponse, spawn_app, spawn_app_with};
use serde_json::json;

const LEEDS: &str = "yorkshire-humber";

pub(crate) async fn form(app: &TestApp, path: &str, body: &str, cookie: Option<&str>) -> TestResponse {
    let mut req = Request::post(path).header("content-type", "application/x-www-form-urlencoded").header("host", "127.0.0.1:8080");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    app.request(req.body(Body::from(body.to_owned())).unwrap()).await
}

pub(crate) async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut req = Request::get(path).header("host", "127.0.0.1:8080");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.request(req.body(Body::empty()).unwrap()).await
}

pub(crate) fn header(res: &TestResponse, name: &str) -> String {
    res.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

/// Joins by the join page's form and verifies by the verify page's form; returns the subscription id and the page the
/// last code answered with.
pub(crate) async fn join_by_pages(app: &TestApp, email: &str, language: &str) -> (String, String) {
    let res = form(
        app,
        "/subscriptions",
        &format!("email={}&regions={LEEDS}&channels=email&language={language}", email.replace('@', "%40")),
        None,
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let location = header(&res, "location");
    assert!(location.starts_with("/verify?subscription_id="), "{location}");
    let id = location["/verify?subscription_id=".len()..].split('&').next().unwrap().to_owned();
    app.drain().await;
    let page = get_with(app, &location, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("name=\"code\""), "{}", page.text());
    let code = app.latest_code_for(email).expect("a code");
    let res = form(app, "/subscriptions/verify", &format!("subscription_id={id}&code={code}"), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    (id, res.text())
}

/// A report from Leeds, drafted and published to Yorkshire; returns the alert id.
pub(crate) async fn publish_leeds_alert(app: &TestApp) -> String {
    let res = app.post_json("/reports", &num_tests::sample_report()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await;
    let id = list.json()["alerts"][0]["alert_id"].as_str().unwrap().to_owned();
    let res = app.staff("POST", &format!("/admin/alerts/{id}/publish"), "reviewer", Some(&json!({"regions": [LEEDS]}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.drain().await;
    id
}

#[tokio::test]
async fn a_verified_request_that_is_not_approved_gets_no_alert_and_an_approved_one_does() {
    let app = spawn_app();
    let (waiting, page) = join_by_pages(&app, "waiting@example.org", "en").await;
    assert!(page.contains("waiting for approval"), "{page}");
    let (approved, _) = join_by_pages(&app, "approved@example.org", "en").await;

    // The queue shows both, without a contact; only an office manager or an admin sees it.
    let queue = app.staff("GET", "/admin/members?status=pending_approval", "office_manager", None).await;
    assert_eq!(queue.status, 200, "{}", queue.text());
    let ids: Vec<String> =
        queue.json()["members"].as_array().unwrap().iter().map(|m| m["subscription_id"].as_str().unwrap().to_owned()).collect();
    assert!(ids.contains(&waiting) && ids.contains(&approved), "{ids:?}");
    assert!(!queue.text().contains("example.org"), "never a contact: {}", queue.text());
    assert_eq!(app.staff("GET", "/admin/members", "reviewer", None).await.status, 403);
    assert_eq!(app.staff("POST", &format!("/admin/members/{approved}/approve"), "caseworker", None).await.status, 403);

    app.approve(&approved).await;
    let told = app.outbox().into_iter().filter(|e| e.to == "approved@example.org" && e.idempotency_key.starts_with("approved:")).count();
    assert_eq!(told, 1, "the approved member is told once on their channel");
    // Approving twice is a conflict, and the audit log has the decision.
    assert_eq!(app.staff("POST", &format!("/admin/members/{approved}/approve"), "office_manager", None).await.status, 409);
    let audit = app.staff("GET", "/admin/audit", "admin", None).await;
    assert!(audit.text().contains("approve_member") && audit.text().contains(&approved), "{}", audit.text());

    publish_leeds_alert(&app).await;
    assert_eq!(app.alerts_sent_to("approved@example.org").len(), 1, "the approved member gets the alert");
    assert!(app.alerts_sent_to("waiting@example.org").is_empty(), "the request nobody approved gets nothing");
    // The email's unsubscribe link shows what would stop, and changes nothing.
    let mail = &app.alerts_sent_to("approved@example.org")[0].body;
    let link = mail.split_whitespace().find(|w| w.contains("/unsubscribe?token=")).unwrap();
    let page = app.get(&link[link.find("/unsubscribe").unwrap()..]).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("You now get alerts for Yorkshire and the Humber, by Email."), "{}", page.text());

    // A waiting request that unsubscribes leaves the queue.
    let (gone, _) = join_by_pages(&app, "gone@example.org", "en").await;
    let token_mail = app.outbox().into_iter().find(|e| e.to == "gone@example.org").unwrap();
    assert!(token_mail.body.contains("code"), "the code email");
    let queue = app.staff("GET", "/admin/members", "office_manager", None).await;
    assert!(queue.text().contains(&gone));
    let rec = shared::usecases::subscriptions::get_subscription(
        app.local.tables.as_ref(),
        &shared::domain::SubscriptionId::parse(&gone).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    shared::usecases::subscriptions::end_subscription(app.local.tables.as_ref(), &rec.subscription_id).await.unwrap();
    let queue = app.staff("GET", "/admin/members", "office_manager", None).await;
    assert!(!queue.text().contains(&gone), "{}", queue.text());

    // Declined: out for good.
    let res = app.staff("POST", &format!("/admin/members/{waiting}/decline"), "office_manager", None).await;
    assert_eq!((res.status, res.json()["status"].clone()), (http::StatusCode::OK, json!("declined")));
    publish_leeds_alert(&app).await;
    assert!(app.alerts_sent_to("waiting@example.org").is_empty());
}

#[tokio::test]
async fn without_vetting_a_verified_member_is_active_at_once() {
    let app = spawn_app_with(|_| num_cli::serve::Options { vetting: shared::usecases::subscriptions::Vetting::Off, ..Default::default() });
    let res = app.post_json("/subscriptions", &json!({"email": "quick@example.org", "regions": [LEEDS], "channels": ["email"]})).await;
    let id = res.json()["subscription_id"].as_str().unwrap().to_owned();
    app.drain().await;
    let code = app.latest_code_for("quick@example.org").unwrap();
    let res = app.post_json("/subscriptions/verify", &json!({"subscription_id": id, "code": code})).await;
    assert_eq!(res.json()["status"], "active");
}

#[tokio::test]
async fn with_vetting_the_json_answer_says_pending_approval() {
    let app = spawn_app();
    let res = app.post_json("/subscriptions", &json!({"email": "json@example.org", "regions": [LEEDS], "channels": ["email"]})).await;
    let id = res.json()["subscription_id"].as_str().unwrap().to_owned();
    app.drain().await;
    let code = app.latest_code_for("json@example.org").unwrap();
    let res = app.post_json("/subscriptions/verify", &json!({"subscription_id": id, "code": code})).await;
    assert_eq!(res.json(), json!({"status": "pending_approval"}));
}

/// Signs in by the pages; returns the session cookie (`num_session=...`).
pub(crate) async fn sign_in(app: &TestApp, email: &str) -> String {
    let res = form(app, "/members/sign-in", &format!("email={}", email.replace('@', "%40")), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.text().contains("name=\"code\""));
    app.drain().await;
    let code = app.latest_code_for(email).expect("a sign-in code");
    let res = form(app, "/members/sign-in/verify", &format!("email={}&code={code}", email.replace('@', "%40")), None).await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(header(&res, "location"), "/members");
    let cookie = header(&res, "set-cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP on this machine: {cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_approved_member_signs_in_sees_the_alerts_for_her_regions_and_signing_out_ends_the_session() {
    let app = spawn_app();
    let (id, _) = join_by_pages(&app, "member@example.org", "en").await;
    app.approve(&id).await;
    let alert_id = publish_leeds_alert(&app).await;
    let cookie = sign_in(&app, "member@example.org").await;

    let page = get_with(&app, "/members", &[("cookie", &cookie)]).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains(&format!("href=\"/alerts/{alert_id}\"")), "{}", page.text());
    let alert = get_with(&app, &format!("/alerts/{alert_id}"), &[("cookie", &cookie)]).await;
    assert!(alert.text().contains("Yorkshire and the Humber"), "the region's name, not its id");

    // The JSON path takes the same session as a bearer token.
    let token = cookie.split_once('=').unwrap().1;
    let list = get_with(&app, "/members/alerts", &[("authorization", &format!("Bearer {token}"))]).await;
    assert_eq!(list.json()["alerts"][0]["alert_id"], alert_id.as_str());

    // The session is stored only as a hash.
    assert!(!app.raw_rows().await.iter().any(|r| r.contains(token)), "the token is not stored");

    let out = form(&app, "/members/sign-out", "", Some(&cookie)).await;
    assert_eq!(out.status, 200);
    assert!(header(&out, "set-cookie").contains("Max-Age=0"));
    let after = get_with(&app, "/members", &[("cookie", &cookie)]).await;
    assert_eq!((after.status, header(&after, "location")), (http::StatusCode::SEE_OTHER, "/members/sign-in".to_owned()));
    assert_eq!(get_with(&app, "/members/alerts", &[("authorization", &format!("Bearer {token}"))]).await.status, 401);
}

#[tokio::test]
async fn a_sign_in_code_goes_only_to_an_active_members_contact_and_the_answer_is_the_same() {
    let app = spawn_app();
    let (id, _) = join_by_pages(&app, "pending@example.org", "en").await;
    let before = app.outbox().len();
    let a = app.post_json("/members/sign-in", &json!({"email": "pending@example.org"})).await;
    let b = app.post_json("/members/sign-in", &json!({"email": "nobody@example.org"})).await;
    app.drain().await;
    assert_eq!((a.status, a.body.clone()), (b.status, b.body.clone()));
    assert_eq!(a.status, 202);
    assert_eq!(app.outbox().len(), before, "no code for a request not yet approved, nor for a stranger");
    app.approve(&id).await;
    let res = app.post_json("/members/sign-in", &json!({"email": "pending@example.org"})).await;
    assert_eq!(res.status, 202);
    app.drain().await;
    let code = app.latest_code_for("pending@example.org").unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = app.post_json("/members/sign-in/verify", &json!({"email": "pending@example.org", "code": wrong})).await;
    assert_eq!(res.status, 401);
    let res = app.post_json("/members/sign-in/verify", &json!({"email": "pending@example.org", "code": code})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.json()["token"].as_str().is_some() && res.json()["expires_at"].as_str().is_some());
    // Used once.
    let again = app.post_json("/members/sign-in/verify", &json!({"email": "pending@example.org", "code": code})).await;
    assert_eq!(again.status, 401);
}

#[tokio::test]
async fn a_member_changes_regions_and_language_and_can_leave() {
    let app = spawn_app();
    let (id, _) = join_by_pages(&app, "mover@example.org", "en").await;
    app.approve(&id).await;
    let cookie = sign_in(&app, "mover@example.org").await;
    let page = get_with(&app, "/members/settings", &[("cookie", &cookie)]).await;
    assert!(page.text().contains("id=\"r-yorkshire-humber\" name=\"regions\" value=\"yorkshire-humber\" checked"), "{}", page.text());
    let res = form(&app, "/members/settings", "regions=london&channels=email&language=pl", Some(&cookie)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    publish_leeds_alert(&app).await;
    assert!(app.alerts_sent_to("mover@example.org").is_empty(), "no longer in Yorkshire's list");
    let none = form(&app, "/members/settings", "channels=email", Some(&cookie)).await;
    assert_eq!(none.status, 400);
    assert!(none.text().contains("id=\"regions-error\""), "the error beside the field: {}", none.text());
    let left = form(&app, "/members/leave", "", Some(&cookie)).await;
    assert_eq!(left.status, 200);
    assert_eq!(get_with(&app, "/members", &[("cookie", &cookie)]).await.status, 303);
}

#[tokio::test]
async fn a_polish_speaking_members_alert_email_has_polish_fixed_words() {
    let app = spawn_app();
    let (id, page) = join_by_pages(&app, "ola@example.org", "pl").await;
    assert!(page.contains("<html lang=\"pl\""), "the pages follow the chosen language: {page}");
    assert!(page.contains("czeka na zatwierdzenie"), "{page}");
    app.approve(&id).await;
    let approved = app.outbox().into_iter().rev().find(|e| e.to == "ola@example.org").unwrap();
    assert!(approved.subject.as_deref().unwrap_or("").contains("Alertów bezpieczeństwa"), "{:?}", approved.subject);
    publish_leeds_alert(&app).await;
    let sent = app.alerts_sent_to("ola@example.org");
    assert_eq!(sent.len(), 1);
    let subject = sent[0].subject.clone().unwrap_or_default();
    assert!(subject.starts_with("Alert bezpieczeństwa: "), "{subject}");
    assert!(sent[0].body.contains("ALERT BEZPIECZEŃSTWA: Leeds") && sent[0].body.contains("Zatrzymaj te alerty:"), "{}", sent[0].body);
    assert!(sent[0].body.contains("Co się stało"), "{}", sent[0].body);
}

#[tokio::test]
async fn every_page_switches_language_by_query_cookie_or_browser_and_stores_nothing() {
    let app = spawn_app();
    for path in ["/", "/report", "/join", "/verify?subscription_id=x", "/members/sign-in", "/unsubscribe?token=x", "/subscriptions"] {
        let en = get_with(&app, path, &[]).await;
        assert_eq!(en.status, 200, "{path}");
        assert!(en.text().contains("<html lang=\"en-GB\""), "{path}");
        assert_eq!(header(&en, "cache-control"), "no-store", "{path}");
        assert!(en.headers.get("set-cookie").is_none(), "{path}: no cookie unless asked");
        assert!(header(&en, "content-security-policy").contains("script-src 'self'"), "{path}");
        let sep = if path.contains('?') { '&' } else { '?' };
        let pl = get_with(&app, &format!("{path}{sep}lang=pl"), &[]).await;
        assert!(pl.text().contains("<html lang=\"pl\""), "{path}");
        assert!(pl.text().contains("Szybkie wyjście"), "{path}");
        let ro = get_with(&app, path, &[("cookie", "lang=ro")]).await;
        assert!(ro.text().contains("<html lang=\"ro\""), "{path}");
        let es = get_with(&app, path, &[("accept-language", "es-ES,es;q=0.9,en;q=0.5")]).await;
        assert!(es.text().contains("<html lang=\"es\""), "{path}");
    }
    // The switch keeps the choice in a cookie the person asked for, and goes back.
    let res = get_with(&app, "/prefs?lang=pt-BR&back=/join", &[]).await;
    assert_eq!((res.status, header(&res, "location")), (http::StatusCode::SEE_OTHER, "/join".to_owned()));
    assert!(header(&res, "set-cookie").starts_with("lang=pt-BR;"));
    let away = get_with(&app, "/prefs?theme=dark&back=//evil.example", &[]).await;
    assert_eq!(header(&away, "location"), "/", "only a path of this site");
    let dark = get_with(&app, "/join", &[("cookie", "theme=dark")]).await;
    assert!(dark.text().contains("<html lang=\"en-GB\" class=\"dark\""));
    let js = app.get("/quick-exit.js").await;
    assert_eq!(js.status, 200);
    assert!(js.text().contains("Escape"));
}

#[tokio::test]
async fn a_join_form_with_a_mistake_comes_back_with_the_error_beside_the_field() {
    let app = spawn_app();
    let res = form(&app, "/subscriptions", "email=not-an-address&regions=london&channels=email", None).await;
    assert_eq!(res.status, 400);
    let page = res.text();
    assert!(page.contains("id=\"email-error\"") && page.contains("href=\"#email\""), "{page}");
    assert!(page.contains("value=\"not-an-address\""), "what was typed stays: {page}");
    assert!(page.contains("id=\"r-london\" name=\"regions\" value=\"london\" checked"), "{page}");
}
