//! The reporter comes back, and a caseworker answers: the two-way thread end to end on the embedded backend and on
//! the AWS adapters (moto), the notice that waits for the reporter's hours, canaries in messages kept out of every
//! table and the log, one answer (and about one time) for a wrong pair, the limits on guessing, and the pages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::adapters::{LocalKeys, Outbox, SqliteTables};
use shared::http::admin::{AdminDeps, StaffAuth};
use shared::ports::{Clock, FixedClock, KeyService, Table, Tables};
use shared::ratelimit::{ClientAddr, Limiter, Rule, Secret};
use shared::staff::Role;
use shared::usecases::Deps;
use shared::usecases::deliver::DeliverDeps;
use shared::usecases::submit_report::SubmitDeps;
use shared::usecases::subscriptions::Vetting;
use shared::usecases::thread::send_due_reporter_notices;

use crate::aws_privacy::raw_bytes;

/// Monday 30 November 2026, 09:00 GMT.
fn monday_morning() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z").unwrap().with_timezone(&Utc)
}

const CASEWORKER_CANARY: &str = "CANARYCASEWORKERqz71";
const REPORTER_CANARY: &str = "CANARYREPLYqz72";

pub(crate) enum Store {
    Embedded { tables: Arc<SqliteTables>, dir: tempfile::TempDir },
    Aws { dynamo: aws_sdk_dynamodb::Client, names: Vec<String> },
}

pub(crate) struct Rig {
    store: Store,
    pub(crate) deps: Deps,
    submit: SubmitDeps,
    admin: AdminDeps,
    notices: DeliverDeps,
    limiter: Limiter,
    pub(crate) clock: Arc<FixedClock>,
}

fn rig_with(store: Store, tables: Arc<dyn Tables>, keys: Arc<dyn KeyService>, email: DeliverSenders) -> Rig {
    let clock = Arc::new(FixedClock::at(monday_morning()));
    let c: Arc<dyn Clock> = clock.clone();
    Rig {
        deps: Deps { tables: tables.clone(), keys: keys.clone(), clock: c.clone() },
        submit: SubmitDeps { tables: shared::ports::tables::insert_only(tables.clone()), keys: keys.clone(), clock: c.clone() },
        admin: AdminDeps {
            tables: tables.clone(),
            keys: keys.clone(),
            clock: c.clone(),
            auth: StaffAuth::Authorizer,
            limiter: Arc::new(Limiter::default()),
        },
        notices: DeliverDeps { tables, keys, email: email.0, sms: email.1, clock: c, site_url: "https://report.example.org".into() },
        limiter: Limiter::default(),
        clock,
        store,
    }
}

type DeliverSenders = (Arc<dyn shared::ports::messaging::EmailSender>, Arc<dyn shared::ports::messaging::SmsSender>);

pub(crate) fn embedded() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let tables = Arc::new(SqliteTables::in_memory().unwrap());
    let keys: Arc<dyn KeyService> = Arc::new(LocalKeys::open_or_create(dir.path()).unwrap());
    let outbox = Arc::new(Outbox::new(dir.path()));
    let senders: DeliverSenders = (outbox.clone(), outbox);
    rig_with(Store::Embedded { tables: tables.clone(), dir }, tables, keys, senders)
}

pub(crate) async fn aws() -> Rig {
    let b = num_tests::aws::aws_backend().await;
    let names = Table::ALL.iter().map(|t| b.table_name(*t).to_owned()).collect();
    let store = Store::Aws { dynamo: b.dynamo.clone(), names };
    let senders: DeliverSenders = (Arc::new(b.email), Arc::new(b.sms));
    rig_with(store, Arc::new(b.tables), Arc::new(b.keys), senders)
}

pub(crate) fn post(path: &str, body: &Value) -> http::Request<Bytes> {
    http::Request::post(path).header("content-type", "application/json").body(Bytes::from(serde_json::to_vec(body).unwrap())).unwrap()
}

pub(crate) fn json_of(res: &http::Response<Bytes>) -> Value {
    serde_json::from_slice(res.body()).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(res.body())))
}

impl Rig {
    pub(crate) async fn submit(&self, report: &Value) -> (String, String) {
        let res = shared::http::submit::handle(&self.submit, post("/reports", report)).await;
        assert_eq!(res.status(), 201, "{}", String::from_utf8_lossy(res.body()));
        let body = json_of(&res);
        (body["reference"].as_str().unwrap().to_owned(), body["passphrase"].as_str().unwrap().to_owned())
    }

    pub(crate) async fn staff(&self, role: Role, method: &str, path: &str, body: Option<&Value>) -> http::Response<Bytes> {
        num_tests::as_staff(&self.admin, &format!("{}@example.org", role.as_str()), role, method, path, body).await
    }

    pub(crate) async fn public(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        shared::http::public::handle(&self.deps, &self.limiter, Vetting::Off, req).await
    }

    /// (to, body) of every notice sent to `to`.
    async fn sent_to(&self, to: &str) -> Vec<String> {
        match &self.store {
            Store::Embedded { dir, .. } => {
                Outbox::read(dir.path()).unwrap().into_iter().filter(|e| e.to.eq_ignore_ascii_case(to)).map(|e| e.body).collect()
            }
            Store::Aws { .. } => {
                let data = num_tests::aws::moto_data().await;
                let mut out = Vec::new();
                for m in data["ses"]["Message"].as_array().cloned().unwrap_or_default() {
                    let to_list = m["destinations"]["ToAddresses"].as_array().cloned().unwrap_or_default();
                    if to_list.iter().any(|t| t.as_str().is_some_and(|t| t.eq_ignore_ascii_case(to))) {
                        out.push(m["body"].as_str().unwrap_or_default().to_owned());
                    }
                }
                out
            }
        }
    }

    /// Every table's every item, as raw bytes.
    pub(crate) async fn all_bytes(&self) -> (usize, Vec<u8>) {
        match &self.store {
            Store::Embedded { tables, .. } => {
                let rows = tables.raw_dump().await.unwrap();
                (rows.len(), rows.join("\n").into_bytes())
            }
            Store::Aws { dynamo, names } => {
                let (mut n, mut out) = (0, Vec::new());
                for name in names {
                    let mut start = None;
                    loop {
                        let page = dynamo.scan().table_name(name).set_exclusive_start_key(start).send().await.expect("scan");
                        for item in page.items.unwrap_or_default() {
                            n += 1;
                            for (k, v) in &item {
                                out.extend_from_slice(k.as_bytes());
                                raw_bytes(v, &mut out);
                            }
                        }
                        start = page.last_evaluated_key;
                        if start.is_none() {
                            break;
                        }
                    }
                }
                (n, out)
            }
        }
    }
}

/// A report whose reporter left an email, chose email for notices on weekday evenings 18:00 to 21:00, and allows a
/// caseworker to contact her.
fn report_with_contact(email: &str) -> Value {
    let mut r = num_tests::sample_report();
    r["reporter"]["email"] = json!(email);
    r["reporter"]["safe_contact"] = json!({
        "channel": "email",
        "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from_hour": 18, "to_hour": 21}],
        "may_leave_message": false,
        "safe_word": "bluebell"
    });
    r["consent"]["caseworker_contact"] = json!(true);
    r
}

async fn audit_actions(rig: &Rig) -> Vec<(String, String, String)> {
    shared::usecases::audit::read(rig.deps.tables.as_ref(), 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.role, e.action, e.target))
        .collect()
}

/// The whole loop on one backend: caseworker writes, the notice waits for the evening, the reporter reads and answers,
/// the caseworker reads the answer; staff steps audited; consent withdrawn stops notices; canaries nowhere.
async fn the_loop(rig: Rig, backend: &str) {
    let logs = num_tests::logs::capture(tracing::Level::TRACE);
    let email = format!("reporter-{}@example.org", shared::domain::ids::random_base32(8).to_lowercase());
    let (reference, passphrase) = rig.submit(&report_with_contact(&email)).await;

    // A caseworker writes at 09:00 on Monday: outside the reporter's hours.
    let path = format!("/admin/reports/{reference}/messages");
    let text = format!("Hello, this is Sam from the scheme. {CASEWORKER_CANARY} Are you safe to talk?");
    let res = rig.staff(Role::Caseworker, "POST", &path, Some(&json!({"text": text}))).await;
    assert_eq!(res.status(), 201, "{}", String::from_utf8_lossy(res.body()));
    let answer = json_of(&res);
    assert_eq!(answer["notice"]["status"], "waiting");
    assert_eq!(answer["notice"]["not_before"], "2026-11-30T18:00:00Z", "the window opens at 18:00 GMT");

    // Not yet: the notice waits.
    let run = send_due_reporter_notices(&rig.notices, rig.clock.now()).await.unwrap();
    assert_eq!(run.sent, 0, "{run:?}");
    assert!(rig.sent_to(&email).await.is_empty(), "a notice went outside the reporter's hours");
    rig.clock.advance(chrono::Duration::hours(8) + chrono::Duration::minutes(59));
    assert_eq!(send_due_reporter_notices(&rig.notices, rig.clock.now()).await.unwrap().sent, 0, "17:59 is still outside");

    // 18:00: the window opens and one content-free notice goes.
    rig.clock.advance(chrono::Duration::minutes(1));
    let run = send_due_reporter_notices(&rig.notices, rig.clock.now()).await.unwrap();
    assert_eq!(run.sent, 1, "{run:?}");
    let sent = rig.sent_to(&email).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("https://report.example.org/follow-up"), "{}", sent[0]);
    for secret in [reference.as_str(), CASEWORKER_CANARY, "Sam", "bluebell", "Whitfield"] {
        assert!(!sent[0].contains(secret), "the notice holds '{secret}': {}", sent[0]);
    }
    assert_eq!(send_due_reporter_notices(&rig.notices, rig.clock.now()).await.unwrap().sent, 0, "sent once only");

    // The reporter reads it with reference and passphrase.
    let res = rig.public(post("/follow-up", &json!({"reference": reference, "passphrase": passphrase}))).await;
    assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
    let view = json_of(&res);
    assert_eq!(view["status"], "received", "{view}");
    assert_eq!(view["messages"][0]["from"], "caseworker");
    assert_eq!(view["messages"][0]["text"], text);
    assert_eq!(
        view["consent"],
        json!({"publish_alert": true, "share_with_police": true, "caseworker_contact": true, "share_identity_with_police": false})
    );

    // ... and answers.
    let reply = format!("Yes, after six is fine. {REPORTER_CANARY}");
    let res = rig.public(post("/follow-up/messages", &json!({"reference": reference, "passphrase": passphrase, "text": reply}))).await;
    assert_eq!(res.status(), 201, "{}", String::from_utf8_lossy(res.body()));

    // The caseworker reads the answer.
    let res = rig.staff(Role::Caseworker, "GET", &path, None).await;
    assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
    let thread = json_of(&res);
    let messages = thread["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{thread}");
    assert_eq!(messages[1]["from"], "reporter");
    assert_eq!(messages[1]["text"], reply);

    // A reviewer or an office manager does not read the thread (and the refusal is audited too).
    assert_eq!(rig.staff(Role::Reviewer, "GET", &path, None).await.status(), 403);
    assert_eq!(rig.staff(Role::OfficeManager, "POST", &path, Some(&json!({"text": "hi"}))).await.status(), 403);

    // Every staff step left an audit entry naming the report.
    let audit = audit_actions(&rig).await;
    let has = |role: &str, action: &str| audit.iter().any(|(r, a, t)| r == role && a == action && t == &reference);
    assert!(has("caseworker", "send_message"), "{audit:?}");
    assert!(has("caseworker", "read_messages"), "{audit:?}");
    assert!(has("reviewer", "denied:read_messages"), "{audit:?}");
    assert!(has("office_manager", "denied:send_message"), "{audit:?}");

    // The reporter withdraws caseworker contact: the answer is computed from the dated history, and no notice is
    // planned for a later message.
    let res = rig
        .public(post(
            "/follow-up/consent",
            &json!({"reference": reference, "passphrase": passphrase, "consent": {"caseworker_contact": false}}),
        ))
        .await;
    assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
    assert_eq!(
        json_of(&res)["consent"],
        json!({"publish_alert": true, "share_with_police": true, "caseworker_contact": false, "share_identity_with_police": false})
    );
    let id = shared::domain::ReportId::parse(&reference).unwrap();
    let history = shared::usecases::follow_up::consent_history(&rig.deps, &id).await.unwrap();
    assert_eq!(history.len(), 2, "the form's answer and the change");
    assert_eq!((history[0].how.as_str(), history[1].who.as_str(), history[1].how.as_str()), ("report_form", "reporter", "online"));
    let res = rig.staff(Role::Caseworker, "POST", &path, Some(&json!({"text": "One more thing."}))).await;
    assert_eq!(res.status(), 201);
    assert_eq!(json_of(&res)["notice"]["status"], "none");

    // A wrong passphrase and an unknown reference: one status, one body.
    let wrong = rig.public(post("/follow-up", &json!({"reference": reference, "passphrase": "AAAA-AAAA-AAAA-AAAA-AAAA"}))).await;
    let unknown = rig.public(post("/follow-up", &json!({"reference": "R-ZZZZ-ZZZZ-ZZZZ", "passphrase": passphrase}))).await;
    assert_eq!((wrong.status(), unknown.status()), (http::StatusCode::UNAUTHORIZED, http::StatusCode::UNAUTHORIZED));
    assert_eq!(wrong.body(), unknown.body());

    // Canaries: in no table in the clear, in no log line.
    let (items, stored) = rig.all_bytes().await;
    assert!(items > 5, "{items} items scanned");
    for canary in [CASEWORKER_CANARY, REPORTER_CANARY] {
        assert!(!num_tests::contains_bytes(&stored, canary.as_bytes()), "{canary} is stored in the clear on {backend}");
        assert!(!num_tests::contains_bytes(&logs.bytes(), canary.as_bytes()), "{canary} reached the log on {backend}");
    }
    println!("{backend}: {items} items scanned, {} bytes of log checked", logs.bytes().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caseworker_and_reporter_write_to_each_other_embedded() {
    the_loop(embedded(), "embedded").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caseworker_and_reporter_write_to_each_other_on_aws() {
    the_loop(aws().await, "aws").await;
}

/// A limiter that never refuses, so the timing runs measure the checks and not the limits.
fn unlimited() -> Limiter {
    let rule = Rule { max_failures: 1_000_000, window: Duration::from_secs(3600) };
    let secrets = [
        Secret::StaffToken,
        Secret::VerificationCode,
        Secret::UnsubscribeToken,
        Secret::CodeRequest,
        Secret::FollowUp,
        Secret::FollowUpReference,
    ];
    Limiter::with_rules(secrets.into_iter().map(|s| (s, rule)).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_passphrase_and_an_unknown_reference_get_one_answer_in_about_one_time() {
    let mut rig = embedded();
    rig.limiter = unlimited();
    let (reference, _) = rig.submit(&num_tests::sample_report()).await;
    let unknown = shared::domain::ReportId::new().to_string();
    let wrong = "AAAA-AAAA-AAAA-AAAA-AAAA";
    // One of each first, so both paths are warm (the dummy hash is made once).
    let first = rig.public(post("/follow-up", &json!({"reference": reference, "passphrase": wrong}))).await;
    let other = rig.public(post("/follow-up", &json!({"reference": unknown, "passphrase": wrong}))).await;
    assert_eq!(first.status(), 401);
    assert_eq!(first.status(), other.status());
    assert_eq!(first.body(), other.body(), "the same body whether or not the reference exists");
    assert_eq!(first.headers().get("content-type"), other.headers().get("content-type"));

    const ROUNDS: usize = 20;
    let (mut known_t, mut unknown_t) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for (r, out) in [(&reference, &mut known_t), (&unknown, &mut unknown_t)] {
            let start = Instant::now();
            let res = rig.public(post("/follow-up", &json!({"reference": r, "passphrase": wrong}))).await;
            out.push(start.elapsed());
            assert_eq!(res.body(), first.body());
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (k, u) = (median(&mut known_t), median(&mut unknown_t));
    let diff = k.abs_diff(u);
    println!(
        "wrong pair timing over {ROUNDS} rounds: known reference, wrong passphrase median {:.2} ms; unknown reference median {:.2} ms; difference {:.2} ms ({:.1}%)",
        k.as_secs_f64() * 1e3,
        u.as_secs_f64() * 1e3,
        diff.as_secs_f64() * 1e3,
        diff.as_secs_f64() / k.max(u).as_secs_f64() * 100.0
    );
    // Both do one argon2id check: an unknown reference that skipped it would take a small fraction of the time (under
    // other tests' load the two medians wander by a fifth or so; alone they are within a few per cent).
    assert!(k.min(u) * 2 > k.max(u), "the two take visibly different times: {k:?} and {u:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pairs_are_limited_per_reference_and_per_client() {
    let rig = embedded();
    let (reference, passphrase) = rig.submit(&num_tests::sample_report()).await;
    let from = |ip: &str, body: &Value| {
        let mut req = post("/follow-up", body);
        req.extensions_mut().insert(ClientAddr(ip.parse().unwrap()));
        req
    };
    // Ten wrong passphrases for one reference, each from another client: the reference is then closed for a while,
    // even to the right passphrase from a fresh client.
    for n in 0..10 {
        let res =
            rig.public(from(&format!("192.0.2.{n}"), &json!({"reference": reference, "passphrase": "AAAA-AAAA-AAAA-AAAA-AAAA"}))).await;
        assert_eq!(res.status(), 401);
    }
    let res = rig.public(from("192.0.2.200", &json!({"reference": reference, "passphrase": passphrase}))).await;
    assert_eq!(res.status(), 429, "{}", String::from_utf8_lossy(res.body()));

    // One client trying ten unknown references is then refused, whatever it tries next.
    let (other, other_pass) = rig.submit(&num_tests::sample_report()).await;
    for _ in 0..10 {
        let unknown = shared::domain::ReportId::new().to_string();
        let res = rig.public(from("198.51.100.9", &json!({"reference": unknown, "passphrase": other_pass}))).await;
        assert_eq!(res.status(), 401);
    }
    let res = rig.public(from("198.51.100.9", &json!({"reference": other, "passphrase": other_pass}))).await;
    assert_eq!(res.status(), 429);
    // Another client is not held up by that one.
    let res = rig.public(from("198.51.100.10", &json!({"reference": other, "passphrase": other_pass}))).await;
    assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follow_up_pages_work_as_plain_forms_in_every_language() {
    let app = num_tests::spawn_app();
    let page = app.get("/follow-up").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(r#"id="quick-exit""#) && html.contains(r#"id="reference""#) && html.contains(r#"id="passphrase""#));
    assert!(page.headers.get("set-cookie").is_none(), "the page sets no cookie");
    for (lang, word) in [
        ("es", "Vuelve a tu denuncia"),
        ("pl", "Wróć do swojego zgłoszenia"),
        ("pt-BR", "Volte à sua denúncia"),
        ("ro", "Revino la raportul tău"),
    ] {
        let page = app.get(&format!("/follow-up?lang={lang}")).await;
        assert!(page.text().contains(word), "{lang}");
    }

    // The receipt of a form post says a lost passphrase cannot be recovered, links here, and is not stored.
    let form = "incident.date=2025-03-14&incident.town=Leeds&incident.categories=theft&account=He+took+my+phone.\
                &reporter.email=r%40example.org&reporter.safe_contact.channel=email&reporter.safe_contact.days=mon\
                &reporter.safe_contact.from_hour=18&reporter.safe_contact.to_hour=21&consent.caseworker_contact=yes";
    let receipt = app.post("/reports", "application/x-www-form-urlencoded", form).await;
    assert_eq!(receipt.status, 201, "{}", receipt.text());
    assert_eq!(receipt.headers.get("cache-control").unwrap(), "no-store");
    let text = receipt.text();
    assert!(text.contains("cannot be recovered") && text.contains("/follow-up") && text.contains(r#"id="print-hint""#), "{text}");
    let grab = |n: usize| text.split("class=\"secret\">").nth(n).and_then(|s| s.split('<').next()).unwrap().to_owned();
    let (reference, passphrase) = (grab(1), grab(2));

    // A caseworker writes; the reporter opens the page by the form, answers and changes a choice, all without script.
    let id = &reference;
    let res =
        app.staff("POST", &format!("/admin/reports/{id}/messages"), "caseworker", Some(&json!({"text": "Hello from the scheme."}))).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let pair = format!("reference={reference}&passphrase={passphrase}");
    let opened = app.post("/follow-up", "application/x-www-form-urlencoded", pair.clone()).await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    assert!(opened.text().contains("Hello from the scheme.") && opened.text().contains(r#"id="status""#));
    assert_eq!(opened.headers.get("cache-control").unwrap(), "no-store");
    let sent = app.post("/follow-up/messages", "application/x-www-form-urlencoded", format!("{pair}&text=Thank+you")).await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    assert!(sent.text().contains("Your message was sent.") && sent.text().contains("Thank you"));
    let saved =
        app.post("/follow-up/consent", "application/x-www-form-urlencoded", format!("{pair}&consent_form=1&caseworker_contact=true")).await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert!(saved.text().contains("Your choices were saved."));
    let json = app.post_json("/follow-up", &json!({"reference": reference, "passphrase": passphrase})).await.json();
    assert_eq!(
        json["consent"],
        json!({"publish_alert": false, "share_with_police": false, "caseworker_contact": true, "share_identity_with_police": false})
    );
    // All four consents are on the page, with the one exception stated; each box changes its own.
    for name in ["publish_alert", "caseworker_contact", "share_with_police", "share_identity_with_police"] {
        assert!(saved.text().contains(&format!(r#"name="{name}""#)), "{name} is not on the page");
    }
    assert!(saved.text().contains(r#"id="consent-exception""#) && saved.text().contains("serious harm"));
    let all = format!("{pair}&consent_form=1&caseworker_contact=true&share_with_police=true&share_identity_with_police=true");
    assert_eq!(app.post("/follow-up/consent", "application/x-www-form-urlencoded", all).await.status, 200);
    let json = app.post_json("/follow-up", &json!({"reference": reference, "passphrase": passphrase})).await.json();
    assert_eq!(
        json["consent"],
        json!({"publish_alert": false, "share_with_police": true, "caseworker_contact": true, "share_identity_with_police": true})
    );

    // A wrong pair by the form: the form again, 401, the reference kept and the passphrase not.
    let wrong = app.post("/follow-up", "application/x-www-form-urlencoded", format!("reference={reference}&passphrase=nope")).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains(&reference) && !wrong.text().contains(&passphrase));
}

#[test]
fn a_support_project_that_reports_on_someones_behalf_is_never_in_the_alert() {
    let mut r = num_tests::sample_report();
    r["reporter"] = json!({"email": "outreach@example.org", "on_behalf": {"project": "Red Lantern Outreach"}});
    r["account"] = json!("Red Lantern Outreach staff met her after. Booked by phone, called himself Gaz. He took £80 at the Red Lantern.");
    let report = shared::domain::Report::from_value(r, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap();
    assert!(!report.is_anonymous(), "a report made through a project has a contact route");
    let alert = serde_json::to_string(&shared::sanitiser::sanitise(&report)).unwrap();
    assert!(!alert.to_lowercase().contains("lantern"), "{alert}");
    assert!(alert.contains("Gaz"), "{alert}");
}

#[test]
fn safe_contact_is_structured_and_checked_and_the_old_fields_still_pass() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    // The old free-text fields alone: still a valid report.
    assert!(shared::domain::Report::from_value(num_tests::sample_report(), today).is_ok());
    let ok = report_with_contact("r@example.org");
    let report = shared::domain::Report::from_value(ok.clone(), today).unwrap();
    let safe = report.reporter.as_ref().unwrap().safe_contact.clone().unwrap();
    assert_eq!((safe.windows.len(), safe.may_leave_message, safe.safe_word.as_deref()), (1, false, Some("bluebell")));
    for (path, value, field) in [
        ("/reporter/safe_contact/windows/0/from_hour", json!(21), "reporter.safe_contact.windows[0]"),
        ("/reporter/safe_contact/windows/0/to_hour", json!(25), "reporter.safe_contact.windows[0]"),
        ("/reporter/safe_contact/windows/0/days", json!(["someday"]), "reporter.safe_contact.windows[0].days"),
        ("/reporter/safe_contact/channel", json!("pigeon"), "reporter.safe_contact.channel"),
    ] {
        let mut bad = ok.clone();
        *bad.pointer_mut(path).unwrap() = value;
        let err = shared::domain::Report::from_value(bad, today).unwrap_err();
        assert_eq!(err.field.as_deref(), Some(field), "{path}: {err:?}");
    }
}
