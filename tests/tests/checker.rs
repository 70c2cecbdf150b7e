//! The members' checker and the links between reports of one offender, on the embedded backend and on the AWS
//! adapters (moto): one number written two ways links two reports and is found by a member's check once published,
//! never as a draft; the tables hold no number in the clear; checks are counted per member and day and limited per
//! hour. Then the page and the JSON path through `num serve`'s handlers.

use serde_json::{Value, json};
use shared::domain::ReportId;
use shared::ports::tables::from_item;
use shared::ports::{Clock, Table};
use shared::staff::Role;
use shared::usecases::alerts::{Drafted, draft_alert};
use shared::usecases::offenders::{CheckError, CheckRequest, MEMBER_CHECKS_PER_HOUR, check, checks_on};
use shared::usecases::submit_report::ReportRecord;

use crate::follow_up::{Rig, aws, embedded, json_of};

const LEEDS: &str = "yorkshire-humber";

/// A report whose offender has only this phone number (and a name), no email, handle or vehicle.
fn report_with_phone(phone: &str) -> Value {
    let mut r = num_tests::sample_report();
    r["offender"] = json!({"names_used": ["Gaz"], "phones": [phone], "description": "White male, mid 40s, shaved head."});
    r
}

/// Submits and drafts a report (as the reports stream would); returns its id and its alert's id.
async fn drafted(rig: &Rig, report: &Value) -> (String, String) {
    let (reference, _) = rig.submit(report).await;
    let id = ReportId::parse(&reference).unwrap();
    let item = rig.deps.tables.get(Table::Reports, &ReportRecord::key(&id)).await.unwrap().expect("the report is stored");
    let record: ReportRecord = from_item(item).unwrap();
    match draft_alert(&rig.deps, &record).await.unwrap() {
        Drafted::Created(a) => (reference, a.to_string()),
        other => panic!("not drafted: {other:?}"),
    }
}

fn phone(p: &str) -> CheckRequest {
    CheckRequest { phone: Some(p.into()), email: None }
}

async fn ids_found(rig: &Rig, member: &str, req: &CheckRequest) -> Vec<String> {
    check(&rig.deps, member, req).await.unwrap().into_iter().map(|m| m.alert_id.to_string()).collect()
}

async fn one_number_two_ways_links_and_is_found_once_published(rig: Rig) {
    let (report1, a1) = drafted(&rig, &report_with_phone("07700 900123")).await;
    let (report2, a2) = drafted(&rig, &report_with_phone("+44 7700 900123")).await;
    let (_, a3) = drafted(&rig, &report_with_phone("07700 900999")).await;

    // Staff see the link on the draft and on the case, both ways.
    let view = json_of(&rig.staff(Role::Reviewer, "GET", &format!("/admin/alerts/{a2}"), None).await);
    assert_eq!(view["linked"].as_array().map(Vec::len), Some(1), "{view}");
    assert_eq!(view["linked"][0]["alert_id"], a1.as_str());
    assert_eq!(view["linked"][0]["report_id"], report1.as_str());
    assert_eq!(view["linked"][0]["shared"], json!(["phone"]));
    let view = json_of(&rig.staff(Role::Reviewer, "GET", &format!("/admin/alerts/{a1}"), None).await);
    assert_eq!(view["linked"][0]["alert_id"], a2.as_str(), "{view}");
    let view = json_of(&rig.staff(Role::Reviewer, "GET", &format!("/admin/alerts/{a3}"), None).await);
    assert_eq!(view["linked"], json!([]), "another number links nothing: {view}");
    let opened = rig.staff(Role::Caseworker, "POST", &format!("/admin/cases/{report2}"), None).await;
    assert!(opened.status().is_success(), "{}", String::from_utf8_lossy(opened.body()));
    let case = json_of(&rig.staff(Role::Caseworker, "GET", &format!("/admin/cases/{report2}"), None).await);
    assert_eq!(case["linked"][0]["report_id"], report1.as_str(), "{case}");

    // A draft is never found by a member.
    assert_eq!(ids_found(&rig, "sub-member-1", &phone("07700900123")).await, Vec::<String>::new());

    let publish = |id: String| {
        let rig = &rig;
        async move {
            let res = rig.staff(Role::Reviewer, "POST", &format!("/admin/alerts/{id}/publish"), Some(&json!({"regions": [LEEDS]}))).await;
            assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
        }
    };
    publish(a1.clone()).await;
    // Any common written form finds it.
    for written in ["07700900123", "07700 900 123", "+44 (0)7700 900123", "0044 7700-900-123"] {
        assert_eq!(ids_found(&rig, "sub-member-1", &phone(written)).await, vec![a1.clone()], "{written}");
    }
    assert_eq!(ids_found(&rig, "sub-member-1", &phone("07700 900999")).await, Vec::<String>::new(), "the third is a draft");

    // The second, published, says how often he was reported; both are found.
    publish(a2.clone()).await;
    let view = json_of(&rig.staff(Role::Reviewer, "GET", &format!("/admin/alerts/{a2}"), None).await);
    assert_eq!(view["reported_times"], 2, "{view}");
    assert_eq!(view["reported_since"], "2026-11", "{view}");
    let mut both = ids_found(&rig, "sub-member-1", &phone("+447700900123")).await;
    both.sort();
    let mut want = vec![a1.clone(), a2.clone()];
    want.sort();
    assert_eq!(both, want);

    // The tables hold the number in no written form.
    let (items, bytes) = rig.all_bytes().await;
    assert!(items > 10, "the tables were read ({items} items)");
    for form in ["07700900123", "7700900123", "7700 900123", "+447700900123", "07700900999", "7700900999"] {
        assert!(!num_tests::contains_bytes(&bytes, form.as_bytes()), "{form} is in the tables");
    }
    // Every check was counted for the member, and nothing else of it kept.
    let day = rig.clock.now().format("%Y-%m-%d").to_string();
    assert_eq!(checks_on(&rig.deps, "sub-member-1", &day).await.unwrap(), 7);
}

async fn checks_are_limited_per_member_and_hour(rig: Rig) {
    let day = rig.clock.now().format("%Y-%m-%d").to_string();
    for _ in 0..MEMBER_CHECKS_PER_HOUR {
        check(&rig.deps, "sub-busy", &phone("07700 900555")).await.unwrap();
    }
    match check(&rig.deps, "sub-busy", &phone("07700 900555")).await {
        Err(CheckError::TooMany { retry_after }) => assert!((1..=3600).contains(&retry_after), "{retry_after}"),
        other => panic!("the {}th check in an hour: {other:?}", MEMBER_CHECKS_PER_HOUR + 1),
    }
    // Another member is not held back; the refused check was not counted as made.
    check(&rig.deps, "sub-other", &phone("07700 900555")).await.unwrap();
    assert_eq!(checks_on(&rig.deps, "sub-busy", &day).await.unwrap(), MEMBER_CHECKS_PER_HOUR);
    assert_eq!(checks_on(&rig.deps, "sub-other", &day).await.unwrap(), 1);
    // The next hour the member may check again.
    rig.clock.advance(chrono::Duration::hours(1));
    check(&rig.deps, "sub-busy", &phone("07700 900555")).await.unwrap();
    // Input that is no number or address changes nothing and is said plainly.
    assert!(matches!(check(&rig.deps, "sub-other", &phone("ring me")).await, Err(CheckError::InvalidPhone)));
    let req = CheckRequest { phone: None, email: Some("gaz at example".into()) };
    assert!(matches!(check(&rig.deps, "sub-other", &req).await, Err(CheckError::InvalidEmail)));
    assert!(matches!(check(&rig.deps, "sub-other", &CheckRequest::default()).await, Err(CheckError::Nothing)));
    assert_eq!(checks_on(&rig.deps, "sub-other", &day).await.unwrap(), 1);
}

/// The public page of an alert: its status and text.
async fn page(rig: &Rig, alert: &str) -> (http::StatusCode, String) {
    let res = rig.public(http::Request::get(format!("/alerts/{alert}")).body(bytes::Bytes::new()).unwrap()).await;
    (res.status(), String::from_utf8_lossy(res.body()).to_string())
}

async fn an_ended_alert_leaves_the_checker_and_its_page_says_so(rig: Rig) {
    let (_, alert) = drafted(&rig, &report_with_phone("07700 900444")).await;
    let res = rig.staff(Role::Reviewer, "POST", &format!("/admin/alerts/{alert}/publish"), Some(&json!({"regions": [LEEDS]}))).await;
    assert_eq!(res.status(), 200);
    let (status, live) = page(&rig, &alert).await;
    assert_eq!(status, 200);
    assert!(live.contains("Members see this alert until"), "{live}");
    assert_eq!(ids_found(&rig, "sub-member-2", &phone("07700900444")).await, vec![alert.clone()]);

    rig.clock.advance(chrono::Duration::days(shared::usecases::alerts::ALERT_LIFETIME_DAYS) + chrono::Duration::hours(1));
    assert_eq!(ids_found(&rig, "sub-member-2", &phone("07700900444")).await, Vec::<String>::new(), "an ended alert is not found");
    let (status, ended) = page(&rig, &alert).await;
    assert_eq!(status, 200);
    assert!(ended.contains("This alert has ended"), "{ended}");
    assert!(!ended.contains("900444") && !ended.contains("Gaz"), "nothing of the alert once it has ended");
}

mod embedded_backend {
    use super::*;

    #[tokio::test]
    async fn an_ended_alert_leaves_the_checker_and_its_page_says_so() {
        super::an_ended_alert_leaves_the_checker_and_its_page_says_so(embedded()).await;
    }

    #[tokio::test]
    async fn one_number_two_ways_links_and_is_found_once_published() {
        super::one_number_two_ways_links_and_is_found_once_published(embedded()).await;
    }

    #[tokio::test]
    async fn checks_are_limited_per_member_and_hour() {
        super::checks_are_limited_per_member_and_hour(embedded()).await;
    }
}

mod aws_backend {
    use super::*;

    #[tokio::test]
    async fn an_ended_alert_leaves_the_checker_and_its_page_says_so() {
        super::an_ended_alert_leaves_the_checker_and_its_page_says_so(aws().await).await;
    }

    #[tokio::test]
    async fn one_number_two_ways_links_and_is_found_once_published() {
        super::one_number_two_ways_links_and_is_found_once_published(aws().await).await;
    }

    #[tokio::test]
    async fn checks_are_limited_per_member_and_hour() {
        super::checks_are_limited_per_member_and_hour(aws().await).await;
    }
}

/// The checker through `num serve`'s handlers: the page (JavaScript off: a form post), the JSON path with the
/// session as a bearer token, and what a person is told when there is nothing, or a mistake.
mod pages {
    use http::Request;
    use num_tests::spawn_app;

    use super::*;
    use crate::members::{form, get_with, header, join_by_pages, publish_leeds_alert, sign_in};

    #[tokio::test]
    async fn a_signed_in_member_checks_by_page_and_by_json() {
        let app = spawn_app();
        let (id, _) = join_by_pages(&app, "member@example.org", "en").await;
        app.approve(&id).await;
        // The sample report's offender rang from 07700 900201.
        let alert_id = publish_leeds_alert(&app).await;

        // Not signed in: the page sends to sign-in, the JSON path says so.
        let page = get_with(&app, "/members/check", &[]).await;
        assert_eq!((page.status, header(&page, "location")), (http::StatusCode::SEE_OTHER, "/members/sign-in".to_owned()));
        let res = app.post_json("/members/check", &json!({"phone": "07700900201"})).await;
        assert_eq!(res.status, 401, "{}", res.text());

        let cookie = sign_in(&app, "member@example.org").await;
        let members = get_with(&app, "/members", &[("cookie", &cookie)]).await;
        assert!(members.text().contains("href=\"/members/check\""), "the members' area links the checker");
        let page = get_with(&app, "/members/check", &[("cookie", &cookie)]).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("action=\"/members/check\""), "{}", page.text());

        // Found, as written on a phone keypad.
        let found = form(&app, "/members/check", "phone=%2B44+7700+900201&email=", Some(&cookie)).await;
        assert_eq!(found.status, 200, "{}", found.text());
        assert!(found.text().contains(&format!("href=\"/alerts/{alert_id}\"")), "{}", found.text());
        assert!(found.text().contains("Alerts that name this: 1"), "{}", found.text());
        assert!(found.text().contains("No alert is not a promise of safety"), "{}", found.text());

        // Nothing found: said plainly, with the same warning.
        let none = form(&app, "/members/check", "phone=&email=someone%40example.org", Some(&cookie)).await;
        assert_eq!(none.status, 200);
        assert!(none.text().contains("No alert names this number or address."), "{}", none.text());
        assert!(none.text().contains("No alert is not a promise of safety"));

        // A mistake comes back beside its field, with what was typed.
        let bad = form(&app, "/members/check", "phone=ring+me", Some(&cookie)).await;
        assert_eq!(bad.status, 400);
        assert!(bad.text().contains("This phone number does not look right"), "{}", bad.text());
        assert!(bad.text().contains("value=\"ring me\""), "{}", bad.text());

        // JSON, with the session as a bearer token: the contract's shape.
        let token = cookie.split_once('=').unwrap().1;
        let req = Request::post("/members/check")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::from(json!({"phone": "07700-900-201"}).to_string()))
            .unwrap();
        let res = app.request(req).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["matches"], 1);
        assert_eq!(body["alerts"][0]["alert_id"], alert_id.as_str());
        assert_eq!(body["alerts"][0]["town"], "Leeds");
        assert_eq!(body["alerts"][0]["categories"], json!(["physical_assault", "theft"]));
        assert!(body["alerts"][0]["date"].is_string());
    }
}
