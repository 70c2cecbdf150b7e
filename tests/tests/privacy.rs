//! Nothing a person wrote in a private field reaches the database file or the log in the clear.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use num_tests::{contains_bytes, sample_report, spawn_app};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test binary, as the JSON logger writes them in production (level: everything).
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt().json().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).init();
        captured
    })
}

const CANARIES: &[(&str, &str)] = &[
    ("/incident/location_detail", "CANARYLOCATIONqz1"),
    ("/account", "CANARYACCOUNTqz2"),
    ("/reporter/name", "CANARYNAMEqz3"),
    ("/reporter/working_name", "CANARYWORKINGqz4"),
    ("/reporter/email", "canaryemailqz5@example.com"),
    ("/reporter/phone", "07700 900987"),
    ("/reporter/online_handles/0", "@CANARYHANDLEqz6"),
    ("/reporter/contact_notes", "CANARYNOTESqz7"),
    ("/workplace/venue_name", "CANARYVENUEqz8"),
    ("/workplace/venue_address", "CANARYADDRESSqz9 Road"),
];

#[tokio::test]
async fn no_private_field_appears_in_the_database_files_or_the_log() {
    let logs = logs();
    let app = spawn_app();
    let mut report = sample_report();
    for (pointer, canary) in CANARIES {
        *report.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = json!(canary);
    }
    let req = http::Request::post("/reports")
        .header("content-type", "application/json")
        .header("x-forwarded-for", "203.0.113.77")
        .header("user-agent", "CanaryAgent/9.9")
        .body(axum::body::Body::from(serde_json::to_vec(&report).unwrap()))
        .unwrap();
    let res = app.request(req).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let passphrase = res.json()["passphrase"].as_str().unwrap().to_owned();
    let reference = res.json()["reference"].as_str().unwrap().to_owned();

    let files = app.raw_files();
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    assert!(total > 4096, "the database files were read ({total} bytes)");
    let log = logs.0.lock().unwrap().clone();
    assert!(contains_bytes(&log, reference.as_bytes()), "the log was captured: it names the report by id");

    let mut secrets: Vec<String> = CANARIES.iter().map(|(_, c)| c.to_string()).collect();
    secrets.extend(["900987".into(), passphrase.clone(), passphrase.replace('-', ""), "203.0.113.77".into(), "CanaryAgent".into()]);
    for secret in &secrets {
        for (path, bytes) in &files {
            assert!(!contains_bytes(bytes, secret.as_bytes()), "{secret} found in {}", path.display());
            assert!(!contains_bytes(bytes, secret.to_lowercase().as_bytes()), "{secret} found in {}", path.display());
        }
        assert!(!contains_bytes(&log, secret.as_bytes()), "{secret} found in the log");
    }
    // The offender block is not private, but the raw report is sealed whole until staff publish a sanitised alert.
    for (_, bytes) in &files {
        assert!(!contains_bytes(bytes, b"White male, mid 40s"), "the raw report is sealed whole");
    }
}

#[tokio::test]
async fn a_refused_report_leaves_no_trace_of_its_text_in_the_log() {
    let logs = logs();
    let app = spawn_app();
    let mut report = sample_report();
    report["account"] = json!("CANARYREFUSEDqz0");
    report["incident"]["date"] = json!("2999-12-31");
    let res = app.post_json("/reports", &report).await;
    assert_eq!(res.status, 400);
    assert!(!contains_bytes(&logs.0.lock().unwrap(), b"CANARYREFUSEDqz0"));
    assert!(!res.text().contains("CANARYREFUSEDqz0"), "the error does not echo the report back");
}
