//! Who may do what, proven for every role on every staff path; the audit log and the help desk.

use num_tests::{TestApp, sample_report, spawn_app};
use serde_json::{Value, json};
use shared::ports::Table;
use shared::ports::Tables;
use shared::ports::tables::{from_item, to_item};
use shared::staff::{Claims, LOCAL_AUDIENCE, LOCAL_ISSUER, sign_local_token};
use shared::usecases::audit::{Anchors, AuditEntry, Verdict};

struct Fixture {
    alert_id: String,
    report_id: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let res = app.post_json("/reports", &sample_report()).await;
    let report_id = res.json()["reference"].as_str().unwrap().to_owned();
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "admin", None).await.json();
    Fixture { alert_id: list["alerts"][0]["alert_id"].as_str().unwrap().to_owned(), report_id }
}

/// Every staff path, with a request that changes nothing even when allowed (bodies that fail validation, ids
/// that do not exist), and the roles that may use it.
fn paths(f: &Fixture) -> Vec<(&'static str, String, Option<Value>, &'static [&'static str])> {
    let a = &f.alert_id;
    vec![
        ("GET", "/admin/alerts?status=draft".into(), None, &["reviewer", "admin"]),
        ("GET", format!("/admin/alerts/{a}"), None, &["reviewer", "admin"]),
        ("POST", format!("/admin/alerts/{a}/publish"), Some(json!({"regions": []})), &["reviewer", "admin"]),
        ("POST", format!("/admin/alerts/{a}/reject"), Some(json!({"reason": ""})), &["reviewer", "admin"]),
        ("GET", format!("/admin/alerts/{a}/deliveries"), None, &["reviewer", "admin", "caseworker"]),
        ("GET", format!("/admin/reports/{}", f.report_id), None, &["caseworker", "admin"]),
        ("GET", "/admin/audit".into(), None, &["admin"]),
        ("GET", "/admin/audit/verify".into(), None, &["admin"]),
        (
            "POST",
            "/admin/helpdesk/find".into(),
            Some(json!({"email": "nobody@example.org", "reason": "access check"})),
            &["office_manager", "admin"],
        ),
        ("POST", "/admin/helpdesk/subscriptions/S-0000-0000-0000/resend-code".into(), None, &["office_manager", "admin"]),
        ("POST", "/admin/helpdesk/subscriptions/S-0000-0000-0000/deactivate".into(), None, &["office_manager", "admin"]),
        ("GET", "/admin/cases?status=open".into(), None, &["caseworker", "admin"]),
        ("GET", "/admin/cases/R-0000-0000-0000".into(), None, &["caseworker", "admin"]),
        ("POST", "/admin/cases/R-0000-0000-0000/notes".into(), Some(json!({"text": ""})), &["caseworker", "admin"]),
        ("GET", "/admin/services".into(), None, &["caseworker", "admin"]),
        ("POST", "/admin/services".into(), Some(json!({"name": "", "region": "nowhere"})), &["admin"]),
        ("PUT", "/admin/rota/caseworker".into(), Some(json!({"slots": [{"day": "someday"}]})), &["admin"]),
        ("GET", "/admin/rota/reviewer".into(), None, &["admin"]),
    ]
}

const ROLES: [&str; 4] = ["caseworker", "reviewer", "office_manager", "admin"];

async fn call(app: &TestApp, method: &str, path: &str, auth: Option<&str>, body: Option<&Value>) -> num_tests::TestResponse {
    call_from(app, method, path, auth, body, rand_addr()).await
}

fn rand_addr() -> std::net::IpAddr {
    std::net::IpAddr::from(rand::random::<[u8; 16]>())
}

async fn call_from(
    app: &TestApp,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&Value>,
    from: std::net::IpAddr,
) -> num_tests::TestResponse {
    let mut req = http::Request::builder().method(method).uri(path).extension(shared::ratelimit::ClientAddr(from));
    if let Some(t) = auth {
        req = req.header("authorization", t);
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            axum::body::Body::from(serde_json::to_vec(b).unwrap())
        }
        None => axum::body::Body::empty(),
    };
    app.request(req.body(body).unwrap()).await
}

#[tokio::test]
async fn every_role_against_every_staff_path_is_allowed_or_refused_with_403() {
    let app = spawn_app();
    let f = fixture(&app).await;
    let mut checked = 0;
    for (method, path, body, allowed) in paths(&f) {
        for role in ROLES {
            let res = app.staff(method, &path, role, body.as_ref()).await;
            if allowed.contains(&role) {
                assert!(res.status != 401 && res.status != 403, "{role} {method} {path}: {} {}", res.status, res.text());
                assert!(res.status.as_u16() < 500, "{role} {method} {path}: {}", res.text());
            } else {
                assert_eq!(res.status, 403, "{role} {method} {path}: {}", res.text());
                assert_eq!(res.json()["error"]["code"], "forbidden");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 72);
}

#[tokio::test]
async fn every_staff_path_refuses_no_token_a_bad_token_and_an_expired_token_with_401() {
    let app = spawn_app();
    let f = fixture(&app).await;
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, iss: &str, groups: Vec<&str>| Claims {
        iss: iss.into(),
        aud: LOCAL_AUDIENCE.into(),
        sub: "someone".into(),
        groups: groups.into_iter().map(str::to_owned).collect(),
        iat: now - 7200,
        exp,
    };
    let keys = app.local.keys.as_ref();
    let expired = sign_local_token(keys, &claims(now - 1, LOCAL_ISSUER, vec!["admin"])).await.unwrap();
    let other_issuer =
        sign_local_token(keys, &claims(now + 600, "https://cognito-idp.eu-west-2.amazonaws.com/x", vec!["admin"])).await.unwrap();
    let two_roles = sign_local_token(keys, &claims(now + 600, LOCAL_ISSUER, vec!["admin", "reviewer"])).await.unwrap();
    // A token from another installation: same shape, another master key.
    let elsewhere = spawn_app();
    let foreign = elsewhere.token("admin").await;
    let good = app.token("admin").await;
    let tampered = {
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let claims: Value = serde_json::from_slice(&base64_decode(&parts[1])).unwrap();
        let mut c = claims.clone();
        c["sub"] = json!("mallory");
        parts[1] = base64_encode(&serde_json::to_vec(&c).unwrap());
        parts.join(".")
    };
    let bad: Vec<(&str, Option<String>)> = vec![
        ("none", None),
        ("garbage", Some("Bearer not-a-token".into())),
        ("basic", Some("Basic YWRtaW46YWRtaW4=".into())),
        ("empty bearer", Some("Bearer ".into())),
        ("expired", Some(format!("Bearer {expired}"))),
        ("other issuer", Some(format!("Bearer {other_issuer}"))),
        ("two roles", Some(format!("Bearer {two_roles}"))),
        ("foreign", Some(format!("Bearer {foreign}"))),
        ("tampered", Some(format!("Bearer {tampered}"))),
    ];
    for (method, path, body, _) in paths(&f) {
        for (what, auth) in &bad {
            let res = call(&app, method, &path, auth.as_deref(), body.as_ref()).await;
            assert_eq!(res.status, 401, "{what}: {method} {path}: {}", res.text());
            assert_eq!(res.json()["error"]["code"], "unauthorized");
        }
    }
    let res = call(&app, "GET", "/admin/audit", Some(&format!("Bearer {expired}")), None).await;
    assert!(res.json()["error"]["message"].as_str().unwrap().contains("expired"));
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[tokio::test]
async fn a_local_token_is_refused_where_the_cloud_authorizer_decides() {
    let app = spawn_app();
    let mut deps = app.local.admin.clone();
    deps.auth = shared::http::admin::StaffAuth::Authorizer;
    let token = app.token("admin").await;
    let req = http::Request::get("/admin/audit").header("authorization", format!("Bearer {token}")).body(bytes::Bytes::new()).unwrap();
    let res = shared::http::admin::handle(&deps, req).await;
    assert_eq!(res.status(), 401);
}

async fn audit_entries(app: &TestApp) -> Vec<Value> {
    let res = app.staff("GET", "/admin/audit?limit=1000", "admin", None).await;
    assert_eq!(res.status, 200);
    res.json()["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn each_read_of_a_report_writes_exactly_one_audit_entry() {
    let app = spawn_app();
    let f = fixture(&app).await;
    let reads = |entries: &[Value]| entries.iter().filter(|e| e["action"] == "read_report" && e["target"] == f.report_id.as_str()).count();
    let before = reads(&audit_entries(&app).await);
    for n in 1..=3 {
        let res = app.staff("GET", &format!("/admin/reports/{}?reason=follow-up%20call", f.report_id), "caseworker", None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["report"]["reporter"]["name"], "Jade Whitfield");
        let entries = audit_entries(&app).await;
        assert_eq!(reads(&entries), before + n, "read {n}");
        let last = entries.iter().rev().find(|e| e["action"] == "read_report").unwrap();
        assert_eq!(last["actor"], "test-caseworker");
        assert_eq!(last["role"], "caseworker");
        assert_eq!(last["reason"], "follow-up call");
    }
    // The reason is free text and may name someone: it is stored sealed, and shown only through the API.
    assert!(!app.raw_rows().await.join("\n").contains("follow-up call"));
    // A refused read leaves a trace too, and shows nothing.
    let res = app.staff("GET", &format!("/admin/reports/{}", f.report_id), "office_manager", None).await;
    assert_eq!(res.status, 403);
    assert!(!res.text().contains("Jade"));
    assert!(audit_entries(&app).await.iter().any(|e| e["action"] == "denied:read_report" && e["role"] == "office_manager"));
}

async fn verify(app: &TestApp) -> Verdict {
    shared::usecases::audit::verify(app.local.tables.as_ref(), app.local.keys.as_ref(), &Anchors::new()).await.unwrap()
}

async fn entry(app: &TestApp, seq: u64) -> AuditEntry {
    let key = shared::ports::Key::new("AUDIT", format!("E#{seq:012}"));
    from_item(app.local.tables.get(Table::Audit, &key).await.unwrap().unwrap()).unwrap()
}

#[tokio::test]
async fn an_altered_audit_entry_is_detected() {
    let app = spawn_app();
    let _f = fixture(&app).await;
    for _ in 0..3 {
        app.staff("GET", "/admin/alerts", "reviewer", None).await;
    }
    assert!(matches!(verify(&app).await, Verdict::Intact { entries, .. } if entries >= 4));
    // Someone with table access rewrites who did it.
    let mut e = entry(&app, 2).await;
    e.actor = "someone-else".into();
    app.local.tables.put(Table::Audit, to_item(&e).unwrap(), shared::ports::Condition::Exists).await.unwrap();
    assert_eq!(verify(&app).await, Verdict::Altered { seq: 2 });
    // …and recomputes the entry's own hash: the next entry's link still gives it away.
    e.hash = shared::usecases::audit::entry_hash(&e);
    app.local.tables.put(Table::Audit, to_item(&e).unwrap(), shared::ports::Condition::Exists).await.unwrap();
    assert_eq!(verify(&app).await, Verdict::Altered { seq: 2 });
    let res = app.staff("GET", "/admin/audit/verify", "admin", None).await.json();
    assert_eq!(res["result"], "altered");
}

#[tokio::test]
async fn a_removed_audit_entry_is_detected_in_the_middle_and_at_the_end() {
    let app = spawn_app();
    let _f = fixture(&app).await;
    for _ in 0..3 {
        app.staff("GET", "/admin/alerts", "reviewer", None).await;
    }
    let Verdict::Intact { entries, .. } = verify(&app).await else { panic!("intact first") };
    let last = shared::ports::Key::new("AUDIT", format!("E#{entries:012}"));
    app.local.tables.delete(Table::Audit, &last, shared::ports::Condition::Always).await.unwrap();
    assert_eq!(verify(&app).await, Verdict::Missing { seq: entries });
    let middle = shared::ports::Key::new("AUDIT", format!("E#{:012}", 2));
    app.local.tables.delete(Table::Audit, &middle, shared::ports::Condition::Always).await.unwrap();
    assert_eq!(verify(&app).await, Verdict::Missing { seq: 2 });
}

#[tokio::test]
async fn the_help_desk_finds_one_member_by_exact_contact_resends_a_code_and_deactivates() {
    let app = spawn_app();
    let email = "locked.out@example.org";
    let res = app.post_json("/subscriptions", &json!({"email": email, "regions": ["wales"], "channels": ["email"]})).await;
    let id = res.json()["subscription_id"].as_str().unwrap().to_owned();
    app.drain().await;
    let first_code = app.latest_code_for(email).unwrap();
    // Locked out: five wrong codes.
    for _ in 0..5 {
        app.post_json("/subscriptions/verify", &json!({"subscription_id": id, "code": "999999"})).await;
    }
    let found = app
        .staff(
            "POST",
            "/admin/helpdesk/find",
            "office_manager",
            Some(&json!({"email": "Locked.Out@example.org", "reason": "member called"})),
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.text());
    let sub = found.json()["subscription"].clone();
    assert_eq!(sub["subscription_id"], id.as_str());
    assert_eq!(sub["locked"], true);
    assert!(!found.text().contains(email), "the help desk is not shown the contact");
    let none = app
        .staff("POST", "/admin/helpdesk/find", "office_manager", Some(&json!({"email": "locked@example.org", "reason": "member called"})))
        .await;
    assert_eq!(none.json()["subscription"], Value::Null, "only an exact contact finds anyone");

    let res = app.staff("POST", &format!("/admin/helpdesk/subscriptions/{id}/resend-code"), "office_manager", None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.drain().await;
    let new_code = app.latest_code_for(email).unwrap();
    let outbox_codes = app.outbox().iter().filter(|e| e.to == email).count();
    assert_eq!(outbox_codes, 2, "one code at subscription, one from the help desk");
    if new_code != first_code {
        let res = app.post_json("/subscriptions/verify", &json!({"subscription_id": id, "code": first_code})).await;
        assert_eq!(res.status, 400, "the old code no longer works");
    }
    let res = app.post_json("/subscriptions/verify", &json!({"subscription_id": id, "code": new_code})).await;
    assert_eq!(res.status, 200, "{}", res.text());

    let res = app.staff("POST", &format!("/admin/helpdesk/subscriptions/{id}/deactivate"), "office_manager", None).await;
    assert_eq!(res.status, 200);
    let found = app.staff("POST", "/admin/helpdesk/find", "office_manager", Some(&json!({"email": email, "reason": "check"}))).await;
    assert_eq!(found.json()["subscription"], Value::Null);
    let actions: Vec<String> = audit_entries(&app).await.iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
    for a in ["find_subscription", "resend_code", "deactivate_subscription"] {
        assert!(actions.iter().any(|x| x == a), "{a} is in the audit log");
    }
}

#[tokio::test]
async fn a_client_that_keeps_presenting_bad_tokens_is_locked_out_even_with_a_good_one() {
    let app = spawn_app();
    let from: std::net::IpAddr = "192.0.2.10".parse().unwrap();
    for n in 0..20 {
        let res = call_from(&app, "GET", "/admin/alerts", Some("Bearer guess"), None, from).await;
        assert_eq!(res.status, 401, "try {n}");
    }
    let good = format!("Bearer {}", app.token("reviewer").await);
    let res = call_from(&app, "GET", "/admin/alerts", Some(&good), None, from).await;
    assert_eq!(res.status, 429, "locked out: {}", res.text());
    assert_eq!(res.json()["error"]["code"], "too_many_requests");
    let res = call_from(&app, "GET", "/admin/alerts", Some(&good), None, "192.0.2.11".parse().unwrap()).await;
    assert_eq!(res.status, 200, "another client is not");
}

#[tokio::test]
async fn a_client_guessing_codes_across_subscriptions_is_locked_out() {
    let app = spawn_app();
    let from: std::net::IpAddr = "192.0.2.20".parse().unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let res = app
            .post_json("/subscriptions", &json!({"email": format!("m{i}@example.org"), "regions": ["wales"], "channels": ["email"]}))
            .await;
        ids.push(res.json()["subscription_id"].as_str().unwrap().to_owned());
    }
    let mut statuses = Vec::new();
    for n in 0..21 {
        let body = json!({"subscription_id": ids[n % ids.len()], "code": format!("{:06}", 123_000 + n)});
        statuses.push(call_from(&app, "POST", "/subscriptions/verify", None, Some(&body), from).await.status.as_u16());
    }
    assert!(statuses[..20].iter().all(|s| *s == 400), "{statuses:?}");
    assert_eq!(statuses[20], 429, "the 21st guess from one client is refused");
}

#[tokio::test]
async fn a_made_up_or_empty_page_cursor_is_a_400_naming_the_cursor_not_a_server_error() {
    let app = spawn_app();
    for cursor in ["abc", "", "e30"] {
        let res = app.staff("GET", &format!("/admin/alerts?status=draft&cursor={cursor}"), "reviewer", None).await;
        assert_eq!(res.status, 400, "cursor {cursor:?}: {}", res.text());
        let body = res.json();
        assert_eq!(body["error"]["code"], "invalid_cursor", "{body}");
        assert_eq!(body["error"]["field"], "cursor", "{body}");
    }
}

#[tokio::test]
async fn free_text_in_a_staff_url_is_audited_as_invalid_never_as_written() {
    let app = spawn_app();
    let f = fixture(&app).await;
    for path in [
        "/admin/alerts/Jade%20Whitfield%20lives%20at%2014%20Canary%20Row".to_owned(),
        "/admin/reports/Jade-Whitfield-Canary-Row?reason=check".to_owned(),
        "/admin/helpdesk/subscriptions/jade.whitfield%40example.org/deactivate".to_owned(),
    ] {
        let method = if path.contains("helpdesk") { "POST" } else { "GET" };
        let body = json!({});
        let res = app.staff(method, &path, "admin", (method == "POST").then_some(&body)).await;
        assert!(res.status.as_u16() >= 400, "{path}: {}", res.status);
    }
    let entries = audit_entries(&app).await;
    let targets: Vec<&str> = entries.iter().filter_map(|e| e["target"].as_str()).collect();
    assert_eq!(targets.iter().filter(|t| **t == "invalid").count(), 3, "{targets:?}");
    let rows = app.raw_rows().await.join("\n");
    for needle in ["Whitfield", "Canary", "whitfield"] {
        assert!(!rows.contains(needle), "{needle} is in a table");
        assert!(!targets.iter().any(|t| t.contains(needle)), "{needle} is an audit target");
    }
    // A well-formed id is still recorded as the id it is.
    let res = app.staff("GET", &format!("/admin/alerts/{}", f.alert_id.to_lowercase()), "admin", None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let entries = audit_entries(&app).await;
    let last = entries.iter().rev().find(|e| e["action"] == "read_alert").unwrap();
    assert_eq!(last["target"], f.alert_id.as_str());
}

async fn find_as(app: &TestApp, name: &str, body: &Value) -> num_tests::TestResponse {
    app.staff_named("POST", "/admin/helpdesk/find", "office_manager", name, Some(body)).await
}

#[tokio::test]
async fn a_help_desk_lookup_records_the_contacts_blind_index_never_the_contact_or_nothing() {
    let app = spawn_app();
    let email = "asked.about@example.org";
    for spelling in ["Asked.About@example.org", email] {
        let res = find_as(&app, "om-ann", &json!({"email": spelling, "reason": "member rang about alerts"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    find_as(&app, "om-ann", &json!({"phone": "07700 900123", "reason": "member rang"})).await;
    let entries = audit_entries(&app).await;
    let finds: Vec<&Value> = entries.iter().filter(|e| e["action"] == "find_subscription").collect();
    assert_eq!(finds.len(), 3, "{entries:?}");
    let targets: Vec<&str> = finds.iter().map(|e| e["target"].as_str().unwrap()).collect();
    for t in &targets {
        assert!(t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()), "the target is a blind index: {t:?}");
    }
    assert_eq!(targets[0], targets[1], "one contact, however written, is one target");
    assert_ne!(targets[0], targets[2], "another contact is another target");
    assert_eq!(finds[0]["reason"], "member rang about alerts");
    let rows = app.raw_rows().await.join("\n");
    for needle in ["asked.about", "Asked.About", "900123", "member rang"] {
        assert!(!rows.contains(needle), "{needle} is in a table");
    }
}

#[tokio::test]
async fn a_help_desk_lookup_without_a_reason_is_a_400_naming_reason_and_looks_nothing_up() {
    let app = spawn_app();
    let email = "no.reason@example.org";
    app.post_json("/subscriptions", &json!({"email": email, "regions": ["wales"], "channels": ["email"]})).await;
    for body in [json!({"email": email}), json!({"email": email, "reason": "  "})] {
        let res = find_as(&app, "om-bob", &body).await;
        assert_eq!(res.status, 400, "{body}: {}", res.text());
        let err = res.json();
        assert_eq!(err["error"]["field"], "reason", "{err}");
        assert_eq!(err["error"]["code"], "missing_reason", "{err}");
        assert!(err.get("subscription").is_none(), "nothing is shown: {err}");
    }
    let entries = audit_entries(&app).await;
    assert!(!entries.iter().any(|e| e["action"] == "find_subscription"), "nothing was looked up: {entries:?}");
    let refused: Vec<&Value> = entries.iter().filter(|e| e["action"] == "refused:find_subscription").collect();
    assert_eq!(refused.len(), 2, "each refusal leaves a trace");
    assert!(refused.iter().all(|e| e["target"] == "invalid"));
    // The reason may also come as ?reason= (as for opening a report).
    let token = num_cli::staff::token(app.data_dir(), "office_manager", "om-bob").await.unwrap();
    let res =
        call(&app, "POST", "/admin/helpdesk/find?reason=ticket%2042", Some(&format!("Bearer {token}")), Some(&json!({"email": email})))
            .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[tokio::test]
async fn help_desk_lookups_are_limited_per_member_of_staff_with_a_429_saying_when_to_retry() {
    let app = spawn_app();
    let body = |i: u64| json!({"email": format!("probe{i}@example.org"), "reason": "member rang"});
    let limit = shared::usecases::staff_quota::HELPDESK_LOOKUPS_PER_HOUR;
    let mut statuses = Vec::new();
    for i in 0..limit + 2 {
        statuses.push(find_as(&app, "om-carol", &body(i)).await);
    }
    assert!(statuses[..limit as usize].iter().all(|r| r.status == 200), "{:?}", statuses.iter().map(|r| r.status).collect::<Vec<_>>());
    let refused = &statuses[limit as usize];
    assert_eq!(refused.status, 429, "lookup {} is refused: {}", limit + 1, refused.text());
    let err = refused.json();
    assert_eq!(err["error"]["code"], "too_many_lookups");
    let retry: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(err["error"]["retry_after"], retry);
    assert!(err["error"]["message"].as_str().unwrap().contains("Try again in "), "{err}");
    assert_eq!(statuses[limit as usize + 1].status, 429);
    // Every refused lookup is in the log, and none was run.
    let entries = audit_entries(&app).await;
    let runs = entries.iter().filter(|e| e["action"] == "find_subscription" && e["actor"] == "om-carol").count();
    assert_eq!(runs, limit as usize);
    assert_eq!(entries.iter().filter(|e| e["action"] == "refused:find_subscription").count(), 2);
    // The count is not the process's: another instance on the same tables refuses too.
    let mut other = app.local.admin.clone();
    other.limiter = std::sync::Arc::new(shared::ratelimit::Limiter::default());
    let token = num_cli::staff::token(app.data_dir(), "office_manager", "om-carol").await.unwrap();
    let req = http::Request::post("/admin/helpdesk/find")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(bytes::Bytes::from(serde_json::to_vec(&body(99)).unwrap()))
        .unwrap();
    assert_eq!(shared::http::admin::handle(&other, req).await.status(), 429);
    // Another member of staff is not held back.
    assert_eq!(find_as(&app, "om-dave", &body(0)).await.status, 200);
}
