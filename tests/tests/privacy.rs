//! Nothing a person wrote in a private field reaches the database file or the log in the clear.

use num_tests::{contains_bytes, sample_report, spawn_app};
use serde_json::json;

#[tokio::test]
async fn no_private_field_appears_in_the_database_files_or_the_log() {
    let logs = num_tests::logs::capture(tracing::Level::TRACE);
    let app = spawn_app();
    let report = num_tests::logs::canary_report();
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
    let log = logs.bytes();
    assert!(contains_bytes(&log, reference.as_bytes()), "the log was captured: it names the report by id");

    let secrets = num_tests::logs::secrets(&passphrase);
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
    let logs = num_tests::logs::capture(tracing::Level::TRACE);
    let app = spawn_app();
    let mut report = sample_report();
    report["account"] = json!("CANARYREFUSEDqz0");
    report["incident"]["date"] = json!("2999-12-31");
    let res = app.post_json("/reports", &report).await;
    assert_eq!(res.status, 400);
    assert!(!contains_bytes(&logs.bytes(), b"CANARYREFUSEDqz0"));
    assert!(!res.text().contains("CANARYREFUSEDqz0"), "the error does not echo the report back");
}

#[tokio::test]
async fn no_log_line_ties_an_alert_to_the_report_it_came_from() {
    let logs = num_tests::logs::capture(tracing::Level::TRACE);
    let app = spawn_app();
    let res = app.post_json("/reports", &sample_report()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let reference = res.json()["reference"].as_str().unwrap().to_owned();
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await.json();
    let alert_id = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alert_id"].as_str().unwrap().to_owned())
        .find(|id| {
            let log = String::from_utf8_lossy(&logs.bytes()).into_owned();
            log.lines().any(|l| l.contains(id.as_str()) && l.contains("alert drafted"))
        })
        .expect("the drafting was logged by alert id");
    let log = String::from_utf8_lossy(&logs.bytes()).into_owned();
    assert!(log.lines().any(|l| l.contains(&reference)), "the log was captured: it names the report");
    let both: Vec<&str> = log.lines().filter(|l| l.contains(&reference) && l.contains(&alert_id)).collect();
    assert!(both.is_empty(), "lines naming both the report and its alert: {both:?}");
}

#[tokio::test]
async fn an_address_typed_as_the_town_is_never_stored_in_the_clear() {
    let app = spawn_app();
    let case = num_tests::labelled_case("42-leeds-address-typed-in-town");
    let res = app.post_json("/reports", &case["report"]).await;
    assert_eq!(res.status, 201, "{}", res.text());
    app.drain().await;
    let files = app.raw_files();
    assert!(!files.is_empty());
    for (path, bytes) in &files {
        for secret in ["Acacia", "ACACIA", "acacia", "LS6 2AB", "ls6 2ab"] {
            assert!(!contains_bytes(bytes, secret.as_bytes()), "'{secret}' found in {}", path.display());
        }
    }
}
