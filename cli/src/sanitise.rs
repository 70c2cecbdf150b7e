//! `num sanitise`: one report in, the drafted alert out.

use shared::domain::Report;
use shared::ports::{Clock, SystemClock};

/// The alert as pretty JSON, or a one-line error that names the field at fault.
pub fn run(input: &[u8]) -> Result<String, String> {
    let report = Report::from_json(input, SystemClock.today_local()).map_err(|e| match e.field {
        Some(f) => format!("{f}: {}", e.message),
        None => e.message,
    })?;
    let alert = shared::sanitiser::sanitise(&report);
    serde_json::to_string_pretty(&alert).map_err(|e| format!("cannot write the alert: {e}"))
}
