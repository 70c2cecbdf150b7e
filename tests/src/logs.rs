//! Capturing what a test binary logs, and the canary strings that must never reach a log or a table.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// Every log line of the test binary, as the JSON logger writes them in production.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the JSON logger for this test binary at `level` (the first call decides) and returns what it captured.
pub fn capture(level: tracing::Level) -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt().json().with_max_level(level).with_writer(move || writer.clone()).init();
        captured
    })
}

/// A distinct canary for every private field of a report, by JSON pointer.
pub const CANARIES: &[(&str, &str)] = &[
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

/// The sample report with a canary in every private field.
pub fn canary_report() -> serde_json::Value {
    let mut report = crate::sample_report();
    for (pointer, canary) in CANARIES {
        *report.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = serde_json::json!(canary);
    }
    report
}

/// Everything of a canary submission that must appear in no table, stream or log: every canary, the reporter's phone in
/// the forms it could be written or normalised to (its last six digits alone turn up by chance in a binary-wide log
/// full of ids and sequence numbers), the passphrase with and without dashes, and the client's address and agent as
/// the canary request sends them.
pub fn secrets(passphrase: &str) -> Vec<String> {
    let mut out: Vec<String> = CANARIES.iter().map(|(_, c)| c.to_string()).collect();
    out.extend([
        "7700900987".into(),
        "7700 900987".into(),
        passphrase.to_owned(),
        passphrase.replace('-', ""),
        "203.0.113.77".into(),
        "CanaryAgent".into(),
    ]);
    out
}
