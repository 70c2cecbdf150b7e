//! Casework and who is told, on the AWS adapters against the emulator: the reports stream read back through DynamoDB
//! Streams for the staff-notices handler (as its event source mapping would), what SES and SNS "sent" read from moto's
//! `/moto-api/data.json`, and every table scanned for what caseworkers wrote.

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use num_tests::aws::{AwsBackend, aws_backend, moto_data};
use num_tests::stream_bridge::{DynamoStreams, pump};
use serde_json::{Value, json};
use shared::adapters::aws::{DynamoTables, KmsKeys, SesEmail, SnsSms};
use shared::config::{EmailConfig, SmsConfig};
use shared::http::admin::{AdminDeps, StaffAuth};
use shared::ports::stream::StreamHandler;
use shared::ports::{Clock, FixedClock, KeyService, Table, Tables};
use shared::ratelimit::Limiter;
use shared::staff::Role;
use shared::usecases::Deps;
use shared::usecases::draft::SanitiseHandler;
use shared::usecases::duty::{ArrivalHandler, DutyDeps, run_scheduled};
use shared::usecases::submit_report::SubmitDeps;

use crate::casework::{CASE_CANARIES, MONDAY_MORNING, assert_content_free, at};

struct Cloud {
    backend: AwsBackend,
    streams: DynamoStreams,
    submit: SubmitDeps,
    admin: AdminDeps,
    sanitise: SanitiseHandler,
    arrivals: ArrivalHandler,
}

fn cloud(b: AwsBackend, clock: Arc<FixedClock>) -> Cloud {
    let streams = DynamoStreams::new(&b.sdk, b.names.clone());
    let tables: Arc<dyn Tables> = Arc::new(DynamoTables::new(b.client.clone(), b.names.clone()));
    let keys: Arc<dyn KeyService> =
        Arc::new(KmsKeys::new(b.client.clone(), b.data_key_id.clone(), Some(b.mac_key_id.clone())).with_audit_key(b.audit_key_id.clone()));
    let c: Arc<dyn Clock> = clock.clone();
    let email = SesEmail::new(
        b.client.clone(),
        EmailConfig { from_address: b.from_address.clone(), configuration_set: format!("{}-alerts", b.prefix) },
    );
    let sms = SnsSms::new(b.client.clone(), SmsConfig { sender_id: "NUMTest".into(), origination_number: None });
    let duty = DutyDeps {
        tables: tables.clone(),
        keys: keys.clone(),
        clock: c.clone(),
        email: Arc::new(email),
        sms: Arc::new(sms),
        site_url: "https://num.example.org".into(),
        draft_reminder_minutes: vec![30],
    };
    Cloud {
        streams,
        submit: SubmitDeps { tables: shared::ports::tables::insert_only(tables.clone()), keys: keys.clone(), clock: c.clone() },
        admin: AdminDeps {
            tables: tables.clone(),
            keys: keys.clone(),
            clock: c.clone(),
            auth: StaffAuth::Authorizer,
            limiter: Arc::new(Limiter::default()),
        },
        sanitise: SanitiseHandler { deps: Deps { tables, keys, clock: c } },
        arrivals: ArrivalHandler { deps: duty },
        backend: b,
    }
}

impl Cloud {
    async fn staff(&self, role: Role, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let res = num_tests::as_staff(&self.admin, &format!("{}-one", role.as_str()), role, method, path, body).await;
        (res.status().as_u16(), serde_json::from_slice(res.body()).unwrap_or(Value::Null))
    }

    async fn submit(&self, report: &Value) -> String {
        let req = http::Request::post("/reports")
            .header("content-type", "application/json")
            .body(Bytes::from(serde_json::to_vec(report).unwrap()))
            .unwrap();
        let res = shared::http::submit::handle(&self.submit, req).await;
        assert_eq!(res.status(), 201);
        serde_json::from_slice::<Value>(res.body()).unwrap()["reference"].as_str().unwrap().to_owned()
    }

    /// Both readers of the reports stream, each from its own checkpoint.
    async fn pump_reports(&self) {
        pump(&self.streams, Table::Reports, "staff-notices", &self.arrivals as &dyn StreamHandler, 100, 3).await.expect("the stream pumps");
        pump(&self.streams, Table::Reports, "sanitise-report", &self.sanitise as &dyn StreamHandler, 100, 3)
            .await
            .expect("the stream pumps");
    }
}

/// (to, subject and body) of every email and text moto holds, for one recipient.
async fn sent_to(to: &str) -> Vec<String> {
    let data = moto_data().await;
    let mut out = Vec::new();
    for m in data["ses"]["Message"].as_array().cloned().unwrap_or_default() {
        if m["destinations"]["ToAddresses"].as_array().is_some_and(|a| a.iter().any(|t| t.as_str() == Some(to))) {
            out.push(format!("{} {}", m["subject"].as_str().unwrap_or_default(), m["body"].as_str().unwrap_or_default()));
        }
    }
    for m in data["sns"]["SMS"].as_array().cloned().unwrap_or_default() {
        if m["phone_number"].as_str() == Some(to) {
            out.push(m["message"].as_str().unwrap_or_default().to_owned());
        }
    }
    out
}

fn holds(v: &AttributeValue, needle: &[u8]) -> bool {
    match v {
        AttributeValue::S(s) | AttributeValue::N(s) => num_tests::contains_bytes(s.as_bytes(), needle),
        AttributeValue::B(b) => num_tests::contains_bytes(b.as_ref(), needle),
        AttributeValue::Ss(l) | AttributeValue::Ns(l) => l.iter().any(|s| num_tests::contains_bytes(s.as_bytes(), needle)),
        AttributeValue::Bs(l) => l.iter().any(|b| num_tests::contains_bytes(b.as_ref(), needle)),
        AttributeValue::L(l) => l.iter().any(|v| holds(v, needle)),
        AttributeValue::M(m) => m.values().any(|v| holds(v, needle)),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_the_caseworker_on_duty_is_told_nothing_of_the_report_the_case_is_worked_to_its_close_drafts_remind_once_and_nights_go_to_on_call()
 {
    let clock = Arc::new(FixedClock::at(at(MONDAY_MORNING)));
    let c = cloud(aws_backend().await, clock.clone());
    let cw_email = format!("cw-{}@example.org", c.backend.prefix);
    let rev_email = format!("rev-{}@example.org", c.backend.prefix);
    // A number of this run's own in the drama range (never one ending in 99: moto's opt-out list).
    let n = u32::from_str_radix(&c.backend.prefix[c.backend.prefix.len() - 3..], 36).unwrap_or(7) % 1000;
    let on_call = format!("+447700900{:03}", if n % 100 == 99 { n - 1 } else { n });

    let rota = json!({
        "slots": [{"day": "mon", "from": 9, "to": 17, "name": "Ana", "channel": "email", "contact": cw_email}],
        "on_call": {"name": "Oli", "channel": "sms", "contact": on_call}
    });
    assert_eq!(c.staff(Role::Admin, "PUT", "/admin/rota/caseworker", Some(&rota)).await.0, 200);
    let reviewers = json!({"slots": [{"day": "mon", "from": 8, "to": 18, "name": "Rob", "channel": "email", "contact": rev_email}]});
    assert_eq!(c.staff(Role::Admin, "PUT", "/admin/rota/reviewer", Some(&reviewers)).await.0, 200);
    let (status, service) = c
        .staff(Role::Admin, "POST", "/admin/services", Some(&json!({"name": "Leeds Support Project", "region": "yorkshire-humber"})))
        .await;
    assert_eq!(status, 201, "{service}");

    let id = c.submit(&num_tests::sample_report()).await;
    c.pump_reports().await;
    let told = sent_to(&cw_email).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_content_free(&told[0], &id);
    c.pump_reports().await;
    assert_eq!(sent_to(&cw_email).await.len(), 1, "never twice");
    assert!(sent_to(&on_call).await.is_empty());

    let (status, open) = c.staff(Role::Caseworker, "GET", "/admin/cases?status=open", None).await;
    assert_eq!(status, 200, "{open}");
    let case = open["cases"].as_array().unwrap().iter().find(|k| k["report_id"] == id.as_str()).expect("the case is open").clone();
    assert_eq!(case["reference"], id.as_str());
    assert_eq!(case["consent"]["caseworker_contact"], true);

    let path = |tail: &str| format!("/admin/cases/{id}{tail}");
    let [note, contact_note, closing] = CASE_CANARIES;
    let steps = [
        ("/assign", json!({}), 200),
        ("/notes", json!({"text": format!("She said {note}.")}), 201),
        ("/contacts", json!({"channel": "phone", "outcome": "reached", "note": contact_note}), 201),
        ("/referrals", json!({"service_id": service["service_id"]}), 201),
    ];
    for (tail, body, want) in steps {
        let (status, answer) = c.staff(Role::Caseworker, "POST", &path(tail), Some(&body)).await;
        assert_eq!(status, want, "{tail}: {answer}");
    }
    let (_, mine) = c.staff(Role::Caseworker, "GET", "/admin/cases?status=assigned&mine=true", None).await;
    assert_eq!(mine["cases"][0]["assigned_to"], "caseworker-one");
    let (status, whole) = c.staff(Role::Caseworker, "GET", &path(""), None).await;
    assert_eq!(status, 200);
    assert_eq!(whole["entries"].as_array().unwrap().len(), 3);
    let (status, closed) = c.staff(Role::Caseworker, "POST", &path("/close"), Some(&json!({"outcome": "referred", "note": closing}))).await;
    assert_eq!((status, closed["status"].clone()), (200, json!("closed")));
    assert_eq!(c.staff(Role::Reviewer, "GET", "/admin/cases?status=open", None).await.0, 403);

    let (_, audit) = c.staff(Role::Admin, "GET", "/admin/audit?limit=1000", None).await;
    let entries = audit["entries"].as_array().unwrap();
    for step in ["assign_case", "add_case_note", "log_case_contact", "refer_case", "read_case", "close_case"] {
        assert!(entries.iter().any(|e| e["action"] == step && e["target"] == id.as_str()), "no audit entry for {step}");
    }
    assert!(entries.iter().any(|e| e["action"] == "list_cases"));

    // The draft of the report waits: one reminder to the reviewer on duty after 30 minutes, not two.
    assert_eq!(run_scheduled(&c.arrivals.deps).await.unwrap().reminders_sent, 0);
    clock.advance(chrono::Duration::minutes(31));
    assert_eq!(run_scheduled(&c.arrivals.deps).await.unwrap().reminders_sent, 1);
    clock.advance(chrono::Duration::minutes(10));
    assert_eq!(run_scheduled(&c.arrivals.deps).await.unwrap().reminders_sent, 0);
    let reminders = sent_to(&rev_email).await;
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_content_free(&reminders[0], &id);

    // Tuesday, 03:00: nobody's slot, so the on-call person gets a text.
    clock.advance(chrono::Duration::hours(17) - chrono::Duration::minutes(41));
    let night = c.submit(&num_tests::sample_report()).await;
    c.pump_reports().await;
    let texts = sent_to(&on_call).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert_content_free(&texts[0], &night);
    assert_eq!(sent_to(&cw_email).await.len(), 1, "Ana is not on duty at night");

    // What caseworkers wrote, and staff contacts, are in no table in the clear.
    let mut scanned = 0;
    for table in Table::ALL {
        for item in c.backend.scan_raw(table).await {
            scanned += 1;
            for secret in CASE_CANARIES.iter().chain([&cw_email.as_str(), &on_call.as_str()]) {
                assert!(!item.values().any(|v| holds(v, secret.as_bytes())), "{secret} is stored in the clear in {}", table.as_str());
            }
        }
    }
    assert!(scanned > 10, "{scanned} items scanned");
}
