//! Casework and who is told, on the embedded backends: a report that asks for contact tells the caseworker on duty
//! (and nothing of the report), becomes a case, and is worked to its close, every step audited; out of hours the
//! on-call person is told; a draft that waits too long reminds the reviewers once; what caseworkers write is sealed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use num_tests::{TestApp, contains_bytes, sample_report, spawn_app_with};
use serde_json::{Value, json};
use shared::ports::{FixedClock, Table, Tables};
use shared::usecases::casework::CaseRecord;

pub const CASEWORKER_EMAIL: &str = "ana.caseworker@example.org";
pub const ON_CALL_PHONE: &str = "07700 900444";
pub const ON_CALL_E164: &str = "+447700900444";
pub const REVIEWER_EMAIL: &str = "rob.reviewer@example.org";

/// Monday 23 November 2026, 10:00 in London (GMT): inside Ana's slot.
pub const MONDAY_MORNING: &str = "2026-11-23T10:00:00Z";
/// Tuesday 24 November 2026, 03:00: nobody's slot.
pub const TUESDAY_NIGHT: &str = "2026-11-24T03:00:00Z";

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn caseworker_rota() -> Value {
    json!({
        "slots": [{"day": "mon", "from": 9, "to": 17, "name": "Ana", "channel": "email", "contact": CASEWORKER_EMAIL}],
        "on_call": {"name": "Oli", "channel": "sms", "contact": ON_CALL_PHONE}
    })
}

pub fn reviewer_rota() -> Value {
    json!({"slots": [{"day": "mon", "from": 8, "to": 18, "name": "Rob", "channel": "email", "contact": REVIEWER_EMAIL}]})
}

/// Words of the sample report that no staff notice may carry: its town, categories, offender and account.
pub const REPORT_WORDS: &[&str] = &["leeds", "assault", "theft", "gaz", "grabbed", "wrist", "£80", "velvet", "scarlett", "jade"];

/// Checks that a notice holds nothing of a report: not its reference, nor any of its words.
pub fn assert_content_free(text: &str, reference: &str) {
    let lower = text.to_lowercase();
    assert!(!text.contains(reference), "the notice names the report: {text}");
    for w in REPORT_WORDS {
        assert!(!lower.contains(w), "the notice holds {w:?}: {text}");
    }
    assert!(text.contains("/staff/"), "the notice points to the staff console: {text}");
}

fn app_at(t: &str) -> (TestApp, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(at(t)));
    let c = clock.clone();
    let app = spawn_app_with(move |_| num_cli::serve::Options { clock: c, ..Default::default() });
    (app, clock)
}

async fn set_rota(app: &TestApp, role: &str, rota: &Value) {
    let res = app.staff("PUT", &format!("/admin/rota/{role}"), "admin", Some(rota)).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

async fn submit(app: &TestApp, report: &Value) -> String {
    let res = app.post_json("/reports", report).await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()["reference"].as_str().unwrap().to_owned()
}

fn sent_to(app: &TestApp, to: &str) -> Vec<shared::adapters::outbox::OutboxEntry> {
    app.outbox().into_iter().filter(|e| e.to == to).collect()
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    let res = app.staff("GET", "/admin/audit?limit=1000", "admin", None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["target"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_report_asking_for_contact_tells_the_caseworker_on_duty_nothing_of_it_and_is_worked_as_a_case_to_its_close() {
    let (app, _clock) = app_at(MONDAY_MORNING);
    set_rota(&app, "caseworker", &caseworker_rota()).await;
    let service = app
        .staff(
            "POST",
            "/admin/services",
            "admin",
            Some(&json!({"name": "Leeds Support Project", "region": "yorkshire-humber", "contact": "0113 496 0000"})),
        )
        .await;
    assert_eq!(service.status, 201, "{}", service.text());
    let service_id = service.json()["service_id"].as_str().unwrap().to_owned();

    let id = submit(&app, &sample_report()).await;
    app.drain().await;

    // The caseworker on duty is told once, and told nothing of the report; the on-call person is not told.
    let told = sent_to(&app, CASEWORKER_EMAIL);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_content_free(&format!("{} {}", told[0].subject.clone().unwrap_or_default(), told[0].body), &id);
    assert!(sent_to(&app, ON_CALL_E164).is_empty());
    app.drain().await;
    assert_eq!(sent_to(&app, CASEWORKER_EMAIL).len(), 1, "never twice");

    // The case is in the queue, in the contract's shape.
    let res = app.staff("GET", "/admin/cases?status=open", "caseworker", None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let cases = res.json()["cases"].as_array().unwrap().clone();
    let case = cases.iter().find(|c| c["report_id"] == id.as_str()).expect("the case is open");
    assert_eq!(case["reference"], id.as_str());
    assert_eq!(case["status"], "open");
    assert_eq!(case["assigned_to"], Value::Null);
    assert_eq!(
        case["consent"],
        json!({"publish_alert": true, "share_with_police": true, "caseworker_contact": true, "share_identity_with_police": false})
    );
    assert!(case["received_at"].as_str().unwrap().starts_with("2026-11-23T10:00"));

    // Assign to me, then to a colleague; the report item carries the status and the name for the follow-up page.
    let res = app.staff("POST", &format!("/admin/cases/{id}/assign"), "caseworker", None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!({"status": "assigned", "assigned_to": "test-caseworker"}));
    let mine = app.staff("GET", "/admin/cases?status=assigned&mine=true", "caseworker", None).await.json();
    assert_eq!(mine["cases"][0]["report_id"], id.as_str());
    // "My cases" with no status are the ones assigned to me.
    let mine = app.staff("GET", "/admin/cases?mine=true", "caseworker", None).await.json();
    assert_eq!(mine["cases"][0]["report_id"], id.as_str());
    let open = app.staff("GET", "/admin/cases?status=open", "caseworker", None).await.json();
    assert!(open["cases"].as_array().unwrap().iter().all(|c| c["report_id"] != id.as_str()));
    let res = app.staff("POST", &format!("/admin/cases/{id}/assign"), "caseworker", Some(&json!({"to": "Bea"}))).await;
    assert_eq!(res.json()["assigned_to"], "Bea");
    let report =
        app.local.tables.get(Table::Reports, &shared::usecases::submit_report::ReportRecord::key(&parse(&id))).await.unwrap().unwrap();
    assert_eq!(shared::ports::tables::attr_str(&report, "case_status"), Some("assigned"));
    assert_eq!(shared::ports::tables::attr_str(&report, "assigned_to"), Some("Bea"));

    // A note, a contact attempt, a referral.
    let res =
        app.staff("POST", &format!("/admin/cases/{id}/notes"), "caseworker", Some(&json!({"text": "Asked to be called after six."}))).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let res = app
        .staff(
            "POST",
            &format!("/admin/cases/{id}/contacts"),
            "caseworker",
            Some(&json!({"channel": "phone", "outcome": "left_message", "note": "Safe word used."})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let res = app
        .staff("POST", &format!("/admin/cases/{id}/contacts"), "caseworker", Some(&json!({"channel": "phone", "outcome": "shouted"})))
        .await;
    assert_eq!(res.status, 400, "an outcome outside the list is refused");
    assert_eq!(res.json()["error"]["field"], "outcome");
    let res = app.staff("POST", &format!("/admin/cases/{id}/referrals"), "caseworker", Some(&json!({"service_id": service_id}))).await;
    assert_eq!(res.status, 201, "{}", res.text());

    let case = app.staff("GET", &format!("/admin/cases/{id}"), "caseworker", None).await;
    assert_eq!(case.status, 200, "{}", case.text());
    let case = case.json();
    let entries = case["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let of = |kind: &str| entries.iter().find(|e| e["entry"] == kind).unwrap_or_else(|| panic!("no {kind} entry"));
    assert_eq!(of("note")["text"], "Asked to be called after six.");
    assert_eq!(of("note")["by"], "test-caseworker");
    assert_eq!(of("contact")["outcome"], "left_message");
    assert_eq!(of("contact")["text"], "Safe word used.");
    assert_eq!(of("referral")["service_name"], "Leeds Support Project");

    // Closed with an outcome; a closed case takes nothing more.
    let res = app.staff("POST", &format!("/admin/cases/{id}/close"), "caseworker", Some(&json!({"outcome": "referred"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["status"], "closed");
    let res = app.staff("POST", &format!("/admin/cases/{id}/notes"), "caseworker", Some(&json!({"text": "late"}))).await;
    assert_eq!(res.status, 409);
    assert_eq!(res.json()["error"]["code"], "case_closed");
    let closed = app.staff("GET", "/admin/cases?status=closed", "admin", None).await.json();
    assert_eq!(closed["cases"][0]["report_id"], id.as_str());

    // Only caseworkers and admins work cases; the services list and the rota are an admin's to change.
    assert_eq!(app.staff("GET", "/admin/cases?status=open", "reviewer", None).await.status, 403);
    assert_eq!(app.staff("GET", &format!("/admin/cases/{id}"), "office_manager", None).await.status, 403);
    assert_eq!(app.staff("PUT", "/admin/rota/caseworker", "caseworker", Some(&caseworker_rota())).await.status, 403);
    assert_eq!(app.staff("POST", "/admin/services", "caseworker", Some(&json!({"name": "x", "region": "london"}))).await.status, 403);

    // Every staff step left an audit entry, naming the report.
    let actions = audit_actions(&app).await;
    for step in ["list_cases", "assign_case", "add_case_note", "log_case_contact", "refer_case", "read_case", "close_case"] {
        let on_case = step == "list_cases" || actions.iter().any(|(a, t)| a == step && *t == id);
        assert!(on_case && actions.iter().any(|(a, _)| a == step), "no audit entry for {step}: {actions:?}");
    }
    for step in ["edit_rota", "create_service", "denied:list_cases", "denied:edit_rota"] {
        assert!(actions.iter().any(|(a, _)| a == step), "no audit entry for {step}");
    }
}

fn parse(id: &str) -> shared::domain::ReportId {
    shared::domain::ReportId::parse(id).unwrap()
}

#[tokio::test]
async fn out_of_hours_the_on_call_person_is_told_and_a_report_without_consent_to_contact_makes_no_case() {
    let (app, _clock) = app_at(TUESDAY_NIGHT);
    set_rota(&app, "caseworker", &caseworker_rota()).await;
    let mut report = sample_report();
    report["consent"]["caseworker_contact"] = json!(false);
    let id = submit(&app, &report).await;
    app.drain().await;

    let told = sent_to(&app, ON_CALL_E164);
    assert_eq!(told.len(), 1, "{:?}", app.outbox());
    assert_eq!(told[0].channel, "sms");
    assert_content_free(&told[0].body, &id);
    assert!(sent_to(&app, CASEWORKER_EMAIL).is_empty(), "Ana is not on duty on Tuesday night");

    let open = app.staff("GET", "/admin/cases?status=open", "caseworker", None).await.json();
    assert!(open["cases"].as_array().unwrap().is_empty(), "no case without consent to contact");
    assert!(app.local.tables.get(Table::Reports, &CaseRecord::key(&parse(&id))).await.unwrap().is_none());
    // A caseworker may still open one.
    let res = app.staff("POST", &format!("/admin/cases/{id}"), "caseworker", None).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(app.staff("POST", &format!("/admin/cases/{id}"), "caseworker", None).await.status, 200, "opening twice keeps the one case");
    let open = app.staff("GET", "/admin/cases?status=open", "caseworker", None).await.json();
    assert_eq!(open["cases"][0]["consent"]["caseworker_contact"], false);
}

#[tokio::test]
async fn a_draft_that_waits_past_the_threshold_reminds_the_reviewers_on_duty_once() {
    let (app, clock) = app_at(MONDAY_MORNING);
    set_rota(&app, "reviewer", &reviewer_rota()).await;
    let id = submit(&app, &sample_report()).await;
    app.drain().await;

    assert_eq!(app.local.run_duty().await.unwrap().reminders_sent, 0, "a fresh draft waits");
    clock.advance(chrono::Duration::minutes(29));
    assert_eq!(app.local.run_duty().await.unwrap().reminders_sent, 0);
    clock.advance(chrono::Duration::minutes(2));
    let run = app.local.run_duty().await.unwrap();
    assert_eq!((run.drafts_waiting, run.reminders_sent), (1, 1));
    clock.advance(chrono::Duration::minutes(20));
    let run = app.local.run_duty().await.unwrap();
    assert_eq!((run.drafts_waiting, run.reminders_sent), (1, 0), "one reminder per draft and threshold");

    let told = sent_to(&app, REVIEWER_EMAIL);
    assert_eq!(told.len(), 1);
    assert!(told[0].body.contains("30 minutes"), "{}", told[0].body);
    assert_content_free(&told[0].body, &id);
    let drafts = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await.json();
    let alert_id = drafts["alerts"][0]["alert_id"].as_str().unwrap().to_owned();
    assert!(!told[0].body.contains(&alert_id));

    // A decided draft reminds nobody.
    let res = app.staff("POST", &format!("/admin/alerts/{alert_id}/reject"), "reviewer", Some(&json!({"reason": "duplicate"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    clock.advance(chrono::Duration::hours(3));
    assert_eq!(app.local.run_duty().await.unwrap().drafts_waiting, 0);
}

/// Canary strings written in a case appear in no table, no change log and no log line.
pub const CASE_CANARIES: [&str; 3] = ["CANARYCASENOTEqz1", "CANARYCONTACTNOTEqz2", "CANARYCLOSINGqz3"];

#[tokio::test]
async fn what_a_caseworker_writes_in_a_case_is_in_no_table_and_no_log_in_the_clear() {
    let logs = num_tests::logs::capture(tracing::Level::TRACE);
    let (app, _clock) = app_at(MONDAY_MORNING);
    set_rota(&app, "caseworker", &caseworker_rota()).await;
    let id = submit(&app, &sample_report()).await;
    app.drain().await;
    let [note, contact, closing] = CASE_CANARIES;
    let steps = [
        ("notes", json!({"text": format!("She said {note} twice.")})),
        ("contacts", json!({"channel": "sms", "outcome": "unsafe_to_talk", "note": contact})),
        ("close", json!({"outcome": "supported", "note": closing})),
    ];
    for (path, body) in steps {
        let res = app.staff("POST", &format!("/admin/cases/{id}/{path}"), "caseworker", Some(&body)).await;
        assert!(res.status.is_success(), "{path}: {}", res.text());
    }
    let case = app.staff("GET", &format!("/admin/cases/{id}"), "caseworker", None).await.text();
    for c in CASE_CANARIES {
        assert!(case.contains(c), "staff read {c} back");
    }
    app.drain().await;

    let rows = app.raw_rows().await;
    assert!(rows.iter().any(|r| r.contains("case_entry")), "the case entries were scanned");
    let log = logs.bytes();
    assert!(contains_bytes(&log, id.as_bytes()), "the log was captured");
    for c in CASE_CANARIES {
        for (path, bytes) in app.raw_files() {
            assert!(!contains_bytes(&bytes, c.as_bytes()), "{c} in {}", path.display());
        }
    }
    // Staff contacts (the rota) are sealed too; only the outbox, the local stand-in for sent mail, holds them.
    for c in CASE_CANARIES.into_iter().chain([CASEWORKER_EMAIL, "7700900444"]) {
        assert!(!rows.iter().any(|r| r.contains(c)), "{c} is stored in the clear");
        assert!(!contains_bytes(&log, c.as_bytes()), "{c} is in the log");
    }
}

/// The scheduled step `num serve` runs every minute (and the cloud's schedule runs in `staff-notices`) also sends a
/// reporter's notice of a caseworker's message, once her chosen hours come, once.
#[tokio::test]
async fn the_scheduled_step_sends_a_reporters_notice_when_her_hours_come_and_only_once() {
    let (app, clock) = app_at(MONDAY_MORNING);
    let mut report = sample_report();
    report["reporter"]["email"] = json!("reporter.notices@example.org");
    report["reporter"]["safe_contact"] =
        json!({"channel": "email", "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from_hour": 18, "to_hour": 21}]});
    report["consent"]["caseworker_contact"] = json!(true);
    let id = submit(&app, &report).await;
    app.drain().await;
    let res = app.staff("POST", &format!("/admin/reports/{id}/messages"), "caseworker", Some(&json!({"text": "CANARYDUTYqz9"}))).await;
    assert_eq!(res.status, 201, "{}", res.text());

    let run = app.local.run_duty().await.unwrap();
    assert_eq!((run.reporter_notices.sent, run.reporter_notices.deferred), (0, 0), "10:00 is outside her hours: {run:?}");
    assert!(sent_to(&app, "reporter.notices@example.org").is_empty());
    clock.advance(chrono::Duration::hours(8));
    assert_eq!(app.local.run_duty().await.unwrap().reporter_notices.sent, 1, "18:00 is inside");
    assert_eq!(app.local.run_duty().await.unwrap().reporter_notices.sent, 0, "sent once");
    let told = sent_to(&app, "reporter.notices@example.org");
    assert_eq!(told.len(), 1);
    assert!(!told[0].body.contains(&id) && !told[0].body.contains("CANARYDUTYqz9"), "{}", told[0].body);
    assert!(told[0].body.contains("/follow-up"), "{}", told[0].body);
}

/// The whole loop of the issue on `num serve`, through its HTTP paths: a report that allows contact → the caseworker
/// on duty is told, with nothing of it → its case is in the open queue → the caseworker writes → the reporter reads it
/// with her reference and passphrase and answers → the caseworker reads the answer; each staff step is audited.
#[tokio::test]
async fn from_a_report_to_a_caseworkers_message_and_the_reporters_answer_with_every_staff_step_audited() {
    let (app, clock) = app_at(MONDAY_MORNING);
    set_rota(&app, "caseworker", &caseworker_rota()).await;
    let mut report = sample_report();
    report["consent"]["caseworker_contact"] = json!(true);
    let res = app.post_json("/reports", &report).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let receipt = res.json();
    let (id, passphrase) = (receipt["reference"].as_str().unwrap().to_owned(), receipt["passphrase"].as_str().unwrap().to_owned());
    app.drain().await;

    let told = sent_to(&app, CASEWORKER_EMAIL);
    assert_eq!(told.len(), 1, "the caseworker on duty is told once");
    assert_content_free(&told[0].body, &id);
    let open = app.staff("GET", "/admin/cases?status=open", "caseworker", None).await.json();
    assert!(open["cases"].as_array().unwrap().iter().any(|c| c["report_id"] == id.as_str()), "{open}");

    let res = app.staff("POST", &format!("/admin/reports/{id}/messages"), "caseworker", Some(&json!({"text": "Are you safe now?"}))).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let seen = app.post_json("/follow-up", &json!({"reference": id, "passphrase": passphrase})).await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    let messages = seen.json()["messages"].clone();
    assert_eq!((messages[0]["from"].as_str(), messages[0]["text"].as_str()), (Some("caseworker"), Some("Are you safe now?")));
    clock.advance(chrono::Duration::minutes(5));
    let res = app.post_json("/follow-up/messages", &json!({"reference": id, "passphrase": passphrase, "text": "Yes, thank you."})).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let thread = app.staff("GET", &format!("/admin/reports/{id}/messages"), "caseworker", None).await.json();
    let last = thread["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["from"].as_str(), last["text"].as_str()), (Some("reporter"), Some("Yes, thank you.")), "{thread}");

    let audit = audit_actions(&app).await;
    for (action, target) in [("list_cases", None), ("send_message", Some(&id)), ("read_messages", Some(&id))] {
        assert!(
            audit.iter().any(|(a, t)| a == action && target.is_none_or(|id| t.contains(id.as_str()))),
            "no audit entry for {action}: {audit:?}"
        );
    }
}
