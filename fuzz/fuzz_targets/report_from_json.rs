//! `Report::from_json` on any bytes: a report or an error that names the field, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::domain::Report;

fuzz_target!(|data: &[u8]| {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    if let Err(e) = Report::from_json(data, today) {
        assert!(!e.message.is_empty());
    }
});
