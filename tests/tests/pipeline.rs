//! The path that warns people, end to end on the embedded backends: report → draft → review → publish → delivery.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use num_tests::faults::{CountingSms, CrashBeforeMarkingSent, FlakyEmail};
use num_tests::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use shared::adapters::faults::{Fault, Faulty};
use shared::adapters::stream_poller::StreamPoller;
use shared::adapters::{Outbox, RetryPolicy, Retrying};
use shared::ports::Table;
use shared::usecases::deliver::{AlertStreamHandler, DeliverDeps};

const A_EMAIL: &str = "member.a@example.org";
const A_PHONE: &str = "07700 900555";
const B_EMAIL: &str = "member.b@example.org";

/// A parlour report from Leeds: the offender is Dazza, in a van YG67 QHX; the reporter works as Destiny at the Silver
/// Slipper.
fn leeds_case() -> Value {
    num_tests::labelled_case("28-leeds-parlour-maid-and-van")
}

async fn subscribe_a_and_b(app: &TestApp) {
    app.subscribe_verified(json!({"email": A_EMAIL, "phone": A_PHONE, "regions": ["yorkshire-humber"], "channels": ["email", "sms"]}))
        .await;
    app.subscribe_verified(json!({"email": B_EMAIL, "regions": ["london"], "channels": ["email"]})).await;
}

/// Submits a report and returns the id of the draft it became.
async fn draft_from(app: &TestApp, report: &Value) -> Value {
    let res = app.post_json("/reports", report).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let report_id = res.json()["reference"].as_str().unwrap().to_owned();
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await;
    assert_eq!(list.status, 200, "{}", list.text());
    let drafts = list.json()["alerts"].as_array().unwrap().clone();
    drafts.into_iter().find(|a| a["report_id"] == report_id.as_str()).expect("the report became a draft")
}

async fn publish(app: &TestApp, alert_id: &str, body: Value) -> num_tests::TestResponse {
    app.staff("POST", &format!("/admin/alerts/{alert_id}/publish"), "reviewer", Some(&body)).await
}

async fn counts(app: &TestApp, alert_id: &str) -> Value {
    let res = app.staff("GET", &format!("/admin/alerts/{alert_id}/deliveries"), "reviewer", None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

#[tokio::test]
async fn a_leeds_report_reaches_the_yorkshire_member_once_by_email_and_sms_and_the_london_member_not_at_all() {
    let app = spawn_app();
    subscribe_a_and_b(&app).await;
    let case = leeds_case();
    let draft = draft_from(&app, &case["report"]).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["suggested_regions"], json!(["yorkshire-humber"]));
    let alert_id = draft["alert_id"].as_str().unwrap();

    // Nothing goes out before a staff decision.
    app.drain().await;
    assert!(app.alerts_sent_to(A_EMAIL).is_empty());

    let res = publish(&app, alert_id, json!({"regions": draft["suggested_regions"]})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "published");
    app.drain().await;

    let a_mail = app.alerts_sent_to(A_EMAIL);
    let a_text = app.alerts_sent_to(A_PHONE);
    assert_eq!(a_mail.len(), 1, "A gets exactly one email");
    assert_eq!(a_text.len(), 1, "A gets exactly one text");
    assert_eq!(a_mail[0].channel, "email");
    assert_eq!(a_text[0].channel, "sms");
    assert!(app.alerts_sent_to(B_EMAIL).is_empty(), "B subscribed to London only");

    // The messages warn: they carry the offender's details…
    // (the registration as it is written on the plate, one way on every page and message)
    for needle in ["Dazza", "YG67 QHX", "Leeds"] {
        assert!(a_mail[0].body.contains(needle), "the email names {needle}");
    }
    assert!(a_text[0].body.contains("/alerts/"), "the text links to the members' page");
    assert!(a_mail[0].body.contains("/unsubscribe?token="), "the email carries its own unsubscribe link");
    // …and nothing that identifies anyone else.
    let private: Vec<String> = case["must_not_appear"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_lowercase()).collect();
    for m in a_mail.iter().chain(&a_text) {
        let body = format!("{} {}", m.subject.clone().unwrap_or_default(), m.body).to_lowercase();
        for p in &private {
            assert!(!body.contains(p.as_str()), "a {} message holds the private string {p:?}", m.channel);
        }
        assert!(!body.contains("900101"), "the reporter's number is not in the message");
    }
    // A text stays within two segments.
    assert!(a_text[0].body.chars().count() <= 306, "{} characters", a_text[0].body.chars().count());

    assert_eq!(counts(&app, alert_id).await, json!({"pending": 0, "sent": 2, "failed": 0, "unconfirmed": 0}));

    // The text's link opens the members' page of the alert, with nothing private on it.
    let link = a_text[0].body.split_whitespace().find(|w| w.contains("/alerts/")).unwrap();
    let page = app.get(&link[link.find("/alerts/").unwrap()..]).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("Dazza") && text.contains("YG67 QHX"));
    for p in &private {
        assert!(!text.to_lowercase().contains(p.as_str()), "the members' page holds {p:?}");
    }
}

#[tokio::test]
async fn a_draft_has_no_members_page() {
    let app = spawn_app();
    let draft = draft_from(&app, &leeds_case()["report"]).await;
    let res = app.get(&format!("/alerts/{}", draft["alert_id"].as_str().unwrap())).await;
    assert_eq!(res.status, 404);
    assert!(!res.text().contains("Dazza"));
}

#[tokio::test]
async fn publishing_twice_or_publishing_a_rejected_alert_is_409_and_sends_nothing_more() {
    let app = spawn_app();
    subscribe_a_and_b(&app).await;
    let case = leeds_case();
    let first = draft_from(&app, &case["report"]).await;
    let id = first["alert_id"].as_str().unwrap();
    assert_eq!(publish(&app, id, json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    let sent = app.outbox().len();
    let again = publish(&app, id, json!({"regions": ["yorkshire-humber", "london"]})).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["error"]["code"], "alert_not_draft");
    app.drain().await;
    assert_eq!(app.outbox().len(), sent, "a second publish sent nothing");

    let second = draft_from(&app, &case["report"]).await;
    let id2 = second["alert_id"].as_str().unwrap();
    let res = app
        .staff("POST", &format!("/admin/alerts/{id2}/reject"), "reviewer", Some(&json!({"reason": "duplicate of an earlier report"})))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "rejected");
    let res = publish(&app, id2, json!({"regions": ["yorkshire-humber"]})).await;
    assert_eq!(res.status, 409);
    app.drain().await;
    assert_eq!(app.outbox().len(), sent, "a rejected alert sent nothing");
    let rejected = app.staff("GET", "/admin/alerts?status=rejected", "reviewer", None).await.json();
    assert_eq!(rejected["alerts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unverified_and_unsubscribed_members_get_nothing() {
    let app = spawn_app();
    // Unverified: subscribes, never enters the code.
    let res = app
        .post_json(
            "/subscriptions",
            &json!({"email": "never.verified@example.org", "regions": ["yorkshire-humber"], "channels": ["email"]}),
        )
        .await;
    assert_eq!(res.status, 202);
    assert_eq!(res.json()["status"], "pending_verification");
    // Unsubscribed: verifies, then follows the link in an alert-style token path.
    app.subscribe_verified(json!({"email": "gone@example.org", "regions": ["yorkshire-humber"], "channels": ["email"]})).await;
    app.subscribe_verified(json!({"email": A_EMAIL, "regions": ["yorkshire-humber"], "channels": ["email"]})).await;

    // The first alert reaches both verified members; "gone" unsubscribes through its link.
    let d1 = draft_from(&app, &leeds_case()["report"]).await;
    assert_eq!(publish(&app, d1["alert_id"].as_str().unwrap(), json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    let mail = app.alerts_sent_to("gone@example.org");
    assert_eq!(mail.len(), 1);
    let link = mail[0].body.lines().find(|l| l.contains("/unsubscribe?token=")).unwrap();
    let path = &link[link.find("/unsubscribe").unwrap()..];
    // Following the link (as a mail system's link scanner does) shows a button and changes nothing.
    for _ in 0..3 {
        let res = app.get(path.trim()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(res.text().contains("method=\"post\""), "{}", res.text());
    }
    let d0 = draft_from(&app, &leeds_case()["report"]).await;
    assert_eq!(publish(&app, d0["alert_id"].as_str().unwrap(), json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert_eq!(app.alerts_sent_to("gone@example.org").len(), 2, "opening the link ended nothing");
    // A mail client's one-click post (RFC 8058) ends it: the token is in the link, the body says one-click.
    let one_click = http::Request::post(path.trim())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("List-Unsubscribe=One-Click"))
        .unwrap();
    let res = app.request(one_click).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let token = path.trim().split("token=").nth(1).unwrap();
    assert_eq!(app.post_json("/unsubscribe", &json!({"token": token})).await.status, 200, "unsubscribing twice is fine");

    let d2 = draft_from(&app, &leeds_case()["report"]).await;
    assert_eq!(publish(&app, d2["alert_id"].as_str().unwrap(), json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert_eq!(app.alerts_sent_to("gone@example.org").len(), 2, "nothing after unsubscribing");
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 3, "the verified member got all three");
    assert!(app.alerts_sent_to("never.verified@example.org").is_empty(), "the unverified member got nothing");
}

#[tokio::test]
async fn a_report_without_consent_to_publish_makes_no_alert() {
    let app = spawn_app();
    let mut report = leeds_case()["report"].clone();
    report["consent"]["publish_alert"] = json!(false);
    assert_eq!(app.post_json("/reports", &report).await.status, 201);
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await.json();
    assert!(list["alerts"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_edit_that_names_the_reporter_is_refused_with_409_and_nothing_changes() {
    let app = spawn_app();
    let draft = draft_from(&app, &leeds_case()["report"]).await;
    let id = draft["alert_id"].as_str().unwrap();
    let res =
        publish(&app, id, json!({"regions": ["yorkshire-humber"], "summary": "Destiny was hurt by Dazza at the Silver Slipper."})).await;
    assert_eq!(res.status, 409, "{}", res.text());
    let err = res.json()["error"].clone();
    assert_eq!(err["code"], "edit_identifies_someone");
    assert!(!err["message"].as_str().unwrap().contains("Destiny"), "the refusal does not repeat the name");
    let still = app.staff("GET", &format!("/admin/alerts/{id}"), "reviewer", None).await.json();
    assert_eq!(still["status"], "draft");
    assert!(!still["summary"].as_str().unwrap().contains("Destiny"));
    // A clean edit goes through.
    let res = publish(
        &app,
        id,
        json!({"regions": ["yorkshire-humber"], "summary": "A man calling himself Dazza assaulted a worker and refused to pay."}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

fn outbox_of(dir: &std::path::Path) -> Arc<Outbox> {
    Arc::new(Outbox::new(dir))
}

#[tokio::test]
async fn a_transient_failure_is_retried_and_ends_sent_and_a_permanent_one_ends_failed() {
    let flaky: Arc<std::sync::OnceLock<Arc<FlakyEmail>>> = Arc::new(std::sync::OnceLock::new());
    let f2 = flaky.clone();
    let app = spawn_app_with(move |dir| {
        let email = Arc::new(FlakyEmail::new(outbox_of(dir), 0, Some("refused@example.org")));
        f2.set(email.clone()).ok();
        num_cli::serve::Options { email: Some(email), ..Default::default() }
    });
    let flaky = flaky.get().unwrap().clone();
    app.subscribe_verified(json!({"email": A_EMAIL, "regions": ["yorkshire-humber"], "channels": ["email"]})).await;
    app.subscribe_verified(json!({"phone": "07700 900666", "regions": ["yorkshire-humber"], "channels": ["sms"]})).await;
    // The refused address subscribes by text code, so its verification needs no email.
    let res = app
        .post_json("/subscriptions", &json!({"email": "refused@example.org", "regions": ["yorkshire-humber"], "channels": ["email"]}))
        .await;
    assert_eq!(res.status, 202);

    let draft = draft_from(&app, &leeds_case()["report"]).await;
    let id = draft["alert_id"].as_str().unwrap();
    // The next three sends are throttled: A's email is retried until it goes.
    flaky.transient.store(3, Ordering::SeqCst);
    assert_eq!(publish(&app, id, json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 1, "sent once, after the retries");
    assert_eq!(flaky.transient.load(Ordering::SeqCst), 0, "every injected failure was met");
    assert_eq!(counts(&app, id).await, json!({"pending": 0, "sent": 2, "failed": 0, "unconfirmed": 0}));
}

#[tokio::test]
async fn a_permanent_failure_ends_failed_and_the_counts_show_it() {
    let refused = "refused@example.org";
    let app = spawn_app_with(move |dir| num_cli::serve::Options {
        email: Some(Arc::new(FlakyEmail::new(outbox_of(dir), 0, Some(refused)))),
        ..Default::default()
    });
    app.subscribe_verified(json!({"email": A_EMAIL, "regions": ["yorkshire-humber"], "channels": ["email"]})).await;
    // The refused address never gets its own code (the provider refuses it), so it can only be a member that was
    // verified before the provider began refusing it: imported, with a number beside it.
    let req = serde_json::from_value(
        json!({"email": refused, "phone": "07700 900777", "regions": ["yorkshire-humber"], "channels": ["email", "sms"]}),
    )
    .unwrap();
    shared::usecases::subscriptions::import_verified(&app.local.subscriptions, req).await.unwrap();

    let draft = draft_from(&app, &leeds_case()["report"]).await;
    let id = draft["alert_id"].as_str().unwrap();
    assert_eq!(publish(&app, id, json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert!(app.alerts_sent_to(refused).is_empty());
    assert_eq!(counts(&app, id).await, json!({"pending": 0, "sent": 2, "failed": 1, "unconfirmed": 0}));
}

#[tokio::test]
async fn a_handler_stopped_after_sending_but_before_marking_sent_sends_nothing_twice_when_run_again() {
    let sms_calls = Arc::new(AtomicU32::new(0));
    let app = spawn_app();
    app.subscribe_verified(json!({"email": A_EMAIL, "phone": A_PHONE, "regions": ["yorkshire-humber"], "channels": ["email", "sms"]}))
        .await;
    let draft = draft_from(&app, &leeds_case()["report"]).await;
    let id = draft["alert_id"].as_str().unwrap();
    assert_eq!(publish(&app, id, json!({"regions": ["yorkshire-humber"]})).await.status, 200);

    // The alerts stream is read by a deliverer whose table writes "crash" twice, right after a message went out.
    let outbox = outbox_of(app.data_dir());
    let sms = Arc::new(CountingSms { inner: outbox.clone(), calls: AtomicU32::new(0) });
    let tables = Arc::new(CrashBeforeMarkingSent { inner: app.local.tables.clone(), crashes: AtomicU32::new(2) });
    let deps = DeliverDeps {
        tables: tables.clone(),
        keys: app.local.cached_keys.clone(),
        email: outbox.clone(),
        sms: sms.clone(),
        clock: Arc::new(shared::ports::SystemClock),
        site_url: "http://127.0.0.1:8080".into(),
    };
    let mut poller =
        StreamPoller::new(app.local.tables.clone(), Table::Alerts, "deliver-alert/alerts", Arc::new(AlertStreamHandler::new(deps)));
    poller.backoff = std::time::Duration::from_millis(5);
    poller.drain().await.unwrap();
    app.drain().await;

    assert_eq!(tables.crashes.load(Ordering::SeqCst), 0, "both crashes happened");
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 1, "the email went once");
    assert_eq!(app.alerts_sent_to(A_PHONE).len(), 1, "the text went once");
    sms_calls.store(sms.calls.load(Ordering::SeqCst), Ordering::SeqCst);
    assert_eq!(sms_calls.load(Ordering::SeqCst), 1, "the SMS provider was called once");
    // Both interrupted sends are reported as unconfirmed, never resent.
    assert_eq!(counts(&app, id).await, json!({"pending": 0, "sent": 0, "failed": 0, "unconfirmed": 2}));
}

#[tokio::test]
async fn subscribing_checks_every_field_and_stores_nothing_when_wrong() {
    let app = spawn_app();
    let cases = [
        (json!({"regions": ["london"], "channels": ["email"]}), "email"),
        (json!({"email": "not-an-email", "regions": ["london"], "channels": ["email"]}), "email"),
        (json!({"phone": "01134960000", "regions": ["london"], "channels": ["sms"]}), "phone"),
        (json!({"email": "a@example.org", "regions": [], "channels": ["email"]}), "regions"),
        (json!({"email": "a@example.org", "regions": ["atlantis"], "channels": ["email"]}), "regions[0]"),
        (json!({"email": "a@example.org", "regions": ["london"], "channels": ["pigeon"]}), "channels[0]"),
        (json!({"email": "a@example.org", "regions": ["london"], "channels": ["sms"]}), "phone"),
        (json!({"email": "a@example.org", "regions": ["london"], "channels": ["email"], "extra": 1}), "extra"),
    ];
    for (body, field) in cases {
        let res = app.post_json("/subscriptions", &body).await;
        assert_eq!(res.status, 400, "{body}: {}", res.text());
        assert_eq!(res.json()["error"]["field"], field, "{body}");
    }
    assert!(app.raw_rows().await.is_empty(), "nothing stored");
    assert!(app.outbox().is_empty(), "nothing sent");
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_five_wrong_tries_lock_the_subscription() {
    let app = spawn_app();
    let res = app.post_json("/subscriptions", &json!({"email": A_EMAIL, "regions": ["london"], "channels": ["email"]})).await;
    let id = res.json()["subscription_id"].as_str().unwrap().to_owned();
    app.drain().await;
    let code = app.latest_code_for(A_EMAIL).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let res = app.post_json("/subscriptions/verify", &json!({"subscription_id": id, "code": wrong})).await;
        assert_eq!(res.status, 400);
        assert_eq!(res.json()["error"]["code"], "wrong_code");
    }
    let res = app.post_json("/subscriptions/verify", &json!({"subscription_id": id, "code": code})).await;
    assert_eq!(res.status, 429, "even the right code is refused after five wrong ones");
}

#[tokio::test]
async fn the_same_email_subscribing_twice_leaves_one_active_subscription() {
    let app = spawn_app();
    app.subscribe_verified(json!({"email": A_EMAIL, "regions": ["london"], "channels": ["email"]})).await;
    app.subscribe_verified(json!({"email": "Member.A@EXAMPLE.org", "regions": ["london"], "channels": ["email"]})).await;
    let mut report = leeds_case()["report"].clone();
    report["incident"]["town"] = json!("Camden");
    let draft = draft_from(&app, &report).await;
    assert_eq!(publish(&app, draft["alert_id"].as_str().unwrap(), json!({"regions": ["london"]})).await.status, 200);
    app.drain().await;
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 1, "one member, one message");
}

#[tokio::test]
async fn a_stop_reply_ends_text_alerts_to_that_number() {
    let app = spawn_app();
    app.subscribe_verified(json!({"email": A_EMAIL, "phone": A_PHONE, "regions": ["yorkshire-humber"], "channels": ["email", "sms"]}))
        .await;
    use shared::usecases::sms_replies::{ReplyOutcome, on_inbound_sms};
    // As the two-way channel publishes a reply to its SNS topic. A reply that is not a stop word changes nothing.
    let reply =
        |body: &str| json!({"originationNumber": "+447700900555", "destinationNumber": "+447700900000", "messageBody": body}).to_string();
    let subs = &app.local.subscriptions;
    assert_eq!(on_inbound_sms(subs, &reply("Who is this?")).await.unwrap(), ReplyOutcome::Ignored);
    assert_eq!(on_inbound_sms(subs, "not json").await.unwrap(), ReplyOutcome::Unreadable);
    assert_eq!(on_inbound_sms(subs, &reply("Stop")).await.unwrap(), ReplyOutcome::Stopped);
    assert_eq!(on_inbound_sms(subs, &reply("STOP")).await.unwrap(), ReplyOutcome::NotSubscribed, "a second STOP finds nothing");
    let draft = draft_from(&app, &leeds_case()["report"]).await;
    assert_eq!(publish(&app, draft["alert_id"].as_str().unwrap(), json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert!(app.alerts_sent_to(A_PHONE).is_empty(), "no text after STOP");
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 1, "email alerts go on");
}

#[tokio::test]
async fn a_verification_code_that_fails_for_now_is_sent_again_and_arrives_once() {
    let app = spawn_app_with(|dir| num_cli::serve::Options {
        email: Some(Arc::new(FlakyEmail::new(outbox_of(dir), 2, None))),
        ..Default::default()
    });
    let res = app.post_json("/subscriptions", &json!({"email": A_EMAIL, "regions": ["wales"], "channels": ["email"]})).await;
    assert_eq!(res.status, 202);
    app.drain().await;
    let codes: Vec<_> = app.outbox().into_iter().filter(|e| e.to == A_EMAIL).collect();
    assert_eq!(codes.len(), 1, "the code went once, after two throttled tries");
    assert!(app.latest_code_for(A_EMAIL).is_some());
}

/// An app whose email goes through the retry wrapper around the fault injector around the outbox, as a Lambda's SES
/// sender sits in the retry wrapper.
fn app_with_faulty_email() -> (TestApp, Arc<Retrying<Faulty<Outbox>>>) {
    let slot: Arc<std::sync::OnceLock<Arc<Retrying<Faulty<Outbox>>>>> = Arc::new(std::sync::OnceLock::new());
    let s2 = slot.clone();
    let app = spawn_app_with(move |dir| {
        let policy = RetryPolicy { max_attempts: 4, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(5) };
        let email = Arc::new(Retrying::new(Faulty::new(Outbox::new(dir)), policy));
        s2.set(email.clone()).ok();
        num_cli::serve::Options { email: Some(email), stream_backoff: Duration::from_millis(5), ..Default::default() }
    });
    let email = slot.get().unwrap().clone();
    (app, email)
}

#[tokio::test]
async fn a_send_the_provider_took_but_whose_answer_was_lost_goes_once_and_is_unconfirmed_not_retried() {
    let (app, email) = app_with_faulty_email();
    app.subscribe_verified(json!({"email": A_EMAIL, "regions": ["yorkshire-humber"], "channels": ["email"]})).await;
    let draft = draft_from(&app, &num_tests::sample_report()).await;
    let id = draft["alert_id"].as_str().unwrap();
    let calls_before = email.inner().calls();

    // The outbox takes the alert email, then the answer is lost (a timeout, a reset connection).
    email.inner().fail_next(1, Fault::LostAnswer);
    assert_eq!(publish(&app, id, json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;

    assert_eq!(email.inner().calls() - calls_before, 1, "neither the wrapper nor the stream sent it again");
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 1, "the member has exactly one message");
    assert_eq!(counts(&app, id).await, json!({"pending": 0, "sent": 0, "failed": 0, "unconfirmed": 1}));
}

#[tokio::test]
async fn a_send_whose_connection_was_refused_is_retried_and_goes_once() {
    let (app, email) = app_with_faulty_email();
    app.subscribe_verified(json!({"email": A_EMAIL, "regions": ["yorkshire-humber"], "channels": ["email"]})).await;
    let draft = draft_from(&app, &num_tests::sample_report()).await;
    let id = draft["alert_id"].as_str().unwrap();
    let calls_before = email.inner().calls();

    // The provider cannot be reached twice: the message certainly did not go, so the wrapper tries again.
    email.inner().fail_next(2, Fault::Refused);
    assert_eq!(publish(&app, id, json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;

    assert_eq!(email.inner().calls() - calls_before, 3, "two refused attempts, then the one that went");
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 1, "the member has exactly one message");
    assert_eq!(counts(&app, id).await, json!({"pending": 0, "sent": 1, "failed": 0, "unconfirmed": 0}));
}

#[tokio::test]
async fn a_verified_subscription_answers_any_later_code_as_a_wrong_code() {
    let app = spawn_app();
    let id = app.subscribe_verified(json!({"email": "member@example.org", "regions": ["yorkshire-humber"], "channels": ["email"]})).await;
    for code in ["000000", "123456", "999999"] {
        let res = app.post_json("/subscriptions/verify", &json!({"subscription_id": id, "code": code})).await;
        assert_eq!(res.status, 400, "{code}: {}", res.text());
        assert_eq!(res.json()["error"]["code"], "wrong_code", "{code}");
    }
}

/// Records of `table`'s change log not yet pruned.
async fn logged(app: &TestApp, table: Table) -> usize {
    use shared::ports::stream::ChangeStream;
    app.local.tables.read(table, None, 100_000).await.unwrap().len()
}

#[tokio::test]
async fn the_change_log_keeps_nothing_every_reader_has_finished_with_and_nothing_a_reader_still_needs() {
    let app = spawn_app();
    subscribe_a_and_b(&app).await;
    let draft = draft_from(&app, &leeds_case()["report"]).await;
    // A report nobody has read yet stays in the log, however often it is pruned.
    let res = app.post_json("/reports", &leeds_case()["report"]).await;
    assert_eq!(res.status, 201);
    app.local.prune().await.unwrap();
    // Two changes: the report's key item, then the report.
    assert_eq!(logged(&app, Table::Reports).await, 2, "an unread change was pruned");

    assert_eq!(publish(&app, draft["alert_id"].as_str().unwrap(), json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 1, "the alert went out before the log was pruned");
    for table in Table::ALL {
        assert_eq!(logged(&app, table).await, 0, "the {} log keeps records every reader has finished with", table.as_str());
    }
}

#[tokio::test]
async fn a_number_on_the_providers_opt_out_list_gets_no_text_and_the_delivery_says_so() {
    let app = spawn_app();
    subscribe_a_and_b(&app).await;
    shared::adapters::Outbox::opt_out(app.data_dir(), &shared::domain::PhoneNumber::parse(A_PHONE).unwrap()).unwrap();
    let draft = draft_from(&app, &leeds_case()["report"]).await;
    let id = draft["alert_id"].as_str().unwrap();
    assert_eq!(publish(&app, id, json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 1, "the email still goes");
    assert!(app.alerts_sent_to(A_PHONE).is_empty(), "a text went to an opted-out number");
    assert_eq!(counts(&app, id).await, json!({"pending": 0, "sent": 1, "failed": 1, "unconfirmed": 0}));
}

#[tokio::test]
async fn every_text_ends_with_a_stop_link_whose_page_changes_nothing_and_whose_button_stops_texts_only() {
    let app = spawn_app();
    subscribe_a_and_b(&app).await;
    let first = draft_from(&app, &leeds_case()["report"]).await;
    assert_eq!(publish(&app, first["alert_id"].as_str().unwrap(), json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    let text = app.alerts_sent_to(A_PHONE).pop().expect("a text").body;
    let stop = text.split_whitespace().last().unwrap().to_owned();
    assert!(text.contains(" Stop texts: ") && stop.contains("/stop/"), "{text}");
    let path = &stop[stop.find("/stop/").unwrap()..];
    assert!(stop.len() < 80, "a short link: {stop}");

    // Opening the link (as a phone's link preview does) changes nothing.
    let page = app.get(path).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Stop text alerts") && page.text().contains(&format!("action=\"{path}\"")), "{}", page.text());
    // A made-up token is refused and changes nothing.
    let made_up = app.post("/stop/AAAAAAAAAAAA", "application/x-www-form-urlencoded", "").await;
    assert_eq!(made_up.status, 404);
    assert!(made_up.text().contains("This stop link is not valid") && made_up.text().contains("<h1>"), "a page: {}", made_up.text());
    let second = draft_from(&app, &leeds_case()["report"]).await;
    assert_eq!(publish(&app, second["alert_id"].as_str().unwrap(), json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert_eq!(app.alerts_sent_to(A_PHONE).len(), 2, "texts go on until the button is pressed");

    // The button stops texts; email alerts go on.
    let done = app.post(path, "application/x-www-form-urlencoded", "").await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(done.text().contains("No more alerts by text"));
    let third = draft_from(&app, &leeds_case()["report"]).await;
    assert_eq!(publish(&app, third["alert_id"].as_str().unwrap(), json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert_eq!(app.alerts_sent_to(A_PHONE).len(), 2, "no text after the stop link");
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 3, "email alerts go on");
    // Pressing it again is harmless.
    let again = app.post_json(path, &json!({})).await;
    assert_eq!((again.status, again.json()["status"].clone()), (http::StatusCode::OK, json!("texts_stopped")));
}

/// Every message `to` received for `alert_id` and the members' page, lower case, for looking for what must not be there.
async fn everything_members_see(app: &TestApp, alert_id: &str, to: &[&str]) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for t in to {
        for m in app.alerts_sent_to(t) {
            seen.push((format!("{} subject", m.channel), m.subject.clone().unwrap_or_default()));
            seen.push((format!("{} body", m.channel), m.body.clone()));
        }
    }
    let page = app.get(&format!("/alerts/{alert_id}")).await;
    assert_eq!(page.status, 200);
    seen.push(("members' page".into(), page.text()));
    seen
}

#[tokio::test]
async fn an_address_typed_as_the_town_reaches_no_draft_message_or_page() {
    let app = spawn_app();
    app.subscribe_verified(json!({"email": A_EMAIL, "phone": A_PHONE, "regions": ["yorkshire-humber"], "channels": ["email", "sms"]}))
        .await;
    let case = num_tests::labelled_case("42-leeds-address-typed-in-town");
    assert_eq!(case["report"]["incident"]["town"], "12 Acacia Avenue, Leeds LS6 2AB");
    let draft = draft_from(&app, &case["report"]).await;
    assert_eq!(draft["town"], "Leeds");
    assert_eq!(draft["suggested_regions"], json!(["yorkshire-humber"]));
    let id = draft["alert_id"].as_str().unwrap();
    let view = app.staff("GET", &format!("/admin/alerts/{id}"), "reviewer", None).await;
    assert_eq!(view.status, 200);
    let view_text = view.text();
    assert_eq!(view.json()["flags"][0]["code"], "town_coarsened", "{view_text}");

    assert_eq!(publish(&app, id, json!({"regions": ["yorkshire-humber"]})).await.status, 200);
    app.drain().await;
    assert_eq!(app.alerts_sent_to(A_EMAIL).len(), 1);
    assert_eq!(app.alerts_sent_to(A_PHONE).len(), 1);
    let mut seen = everything_members_see(&app, id, &[A_EMAIL, A_PHONE]).await;
    seen.push(("draft".into(), view_text));
    for (where_, text) in &seen {
        let low = text.to_lowercase();
        for s in ["acacia", "ls6", "2ab", "12 acacia"] {
            assert!(!low.contains(s), "the {where_} holds '{s}': {text}");
        }
    }
    let subject = app.alerts_sent_to(A_EMAIL)[0].subject.clone().unwrap();
    assert!(subject.ends_with(" in Leeds"), "{subject}");
    assert!(app.alerts_sent_to(A_PHONE)[0].body.starts_with("ALERT Leeds 14 Jun"), "{}", app.alerts_sent_to(A_PHONE)[0].body);
    let published = app.staff("GET", &format!("/admin/alerts/{id}"), "reviewer", None).await.json();
    assert!(published.get("flags").is_none(), "the reviewer's flag is not published: {published}");
}

#[tokio::test]
async fn a_town_naming_the_reporter_or_an_address_set_at_publish_is_refused_unechoed_and_nothing_changes() {
    let app = spawn_app();
    app.subscribe_verified(json!({"email": A_EMAIL, "regions": ["south-west"], "channels": ["email"]})).await;
    let draft = draft_from(&app, &num_tests::labelled_case("43-bristol-reporters-name-typed-in-town")["report"]).await;
    assert_eq!(draft["town"], "Bristol");
    let id = draft["alert_id"].as_str().unwrap();
    for (town, reason) in [
        ("Kayleigh Brooks", "the reporter's name"),
        ("Bristol, kb.work@example.org", "the reporter's contact details"),
        ("12 Acacia Avenue, Bristol BS1 4DJ", "an address"),
    ] {
        let res = publish(&app, id, json!({"regions": ["south-west"], "town": town})).await;
        assert_eq!(res.status, 409, "{town}: {}", res.text());
        let err = res.json()["error"].clone();
        assert_eq!(err["code"], "town_not_publishable", "{town}");
        assert_eq!(err["field"], "town");
        let message = err["message"].as_str().unwrap().to_owned();
        assert!(message.contains(reason), "{town}: {message}");
        for part in ["Kayleigh", "Brooks", "kb.work", "Acacia", "BS1"] {
            assert!(!res.text().contains(part), "the refusal repeats '{part}': {}", res.text());
        }
    }
    let res = publish(&app, id, json!({"regions": ["south-west"], "town": "   "})).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["field"], "town");
    let res = publish(&app, id, json!({"regions": ["south-west"], "date_precision": "year"})).await;
    assert_eq!(res.status, 400, "{}", res.text());
    app.drain().await;
    let still = app.staff("GET", &format!("/admin/alerts/{id}"), "reviewer", None).await.json();
    assert_eq!(still["status"], "draft");
    assert_eq!(still["town"], "Bristol");
    assert!(app.alerts_sent_to(A_EMAIL).is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_reviewer_sets_the_town_and_coarsens_the_date_to_the_month_and_members_see_only_that() {
    let app = spawn_app();
    app.subscribe_verified(json!({"email": A_EMAIL, "phone": A_PHONE, "regions": ["yorkshire-humber"], "channels": ["email", "sms"]}))
        .await;
    let draft = draft_from(&app, &num_tests::labelled_case("44-sheffield-reporters-email-typed-in-town")["report"]).await;
    assert_eq!(draft["town"], "Town withheld");
    assert_eq!(draft["suggested_regions"], json!([]));
    assert_eq!(draft["incident_date"], "2025-07-19");
    let id = draft["alert_id"].as_str().unwrap();
    let res = publish(&app, id, json!({"regions": ["yorkshire-humber"], "town": "Sheffield", "date_precision": "month"})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.drain().await;

    let mail = app.alerts_sent_to(A_EMAIL);
    let text = app.alerts_sent_to(A_PHONE);
    assert_eq!((mail.len(), text.len()), (1, 1));
    assert_eq!(mail[0].subject.as_deref(), Some("Safety alert: Robbery in Sheffield"));
    assert!(mail[0].body.starts_with("SAFETY ALERT: Sheffield, July 2025 (Afternoon)\n"), "{}", mail[0].body);
    assert!(text[0].body.starts_with("ALERT Sheffield Jul 2025: Robbery"), "{}", text[0].body);
    for (where_, body) in everything_members_see(&app, id, &[A_EMAIL, A_PHONE]).await {
        assert!(!body.contains("19 Jul") && !body.contains("2025-07-19"), "the {where_} gives the day: {body}");
        assert!(!body.contains("jade.w.sheff"), "the {where_} holds the email typed as the town");
    }
    let page = app.get(&format!("/alerts/{id}")).await.text();
    assert!(page.contains("Sheffield") && page.contains("July 2025"), "{page}");

    let view = app.staff("GET", &format!("/admin/alerts/{id}"), "reviewer", None).await.json();
    assert_eq!(
        (view["town"].as_str(), view["date"].as_str(), view["date_precision"].as_str()),
        (Some("Sheffield"), Some("2025-07-01"), Some("month"))
    );
    let list = app.staff("GET", "/admin/alerts?status=published", "reviewer", None).await.json();
    let listed = list["alerts"].as_array().unwrap().iter().find(|a| a["alert_id"] == id).unwrap().clone();
    assert_eq!((listed["town"].as_str(), listed["incident_date"].as_str()), (Some("Sheffield"), Some("2025-07-01")));
}
