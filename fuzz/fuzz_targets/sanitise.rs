//! The sanitiser on reports whose free text and identifiers are whatever the fuzzer makes: fields are cut from the
//! input at 0xFF bytes (account, reporter's name, email, handle, working name, offender's name, phone, venue, location
//! detail, offender description), so the scanners see hostile text in every place a report carries it. Any report the
//! parser accepts is sanitised without a panic, and the draft serialises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use shared::domain::Report;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0xFF).map(|p| String::from_utf8_lossy(p).into_owned());
    let mut next = || parts.next().unwrap_or_default();
    let (account, name, email, handle, working, offender, phone, venue, detail, description) =
        (next(), next(), next(), next(), next(), next(), next(), next(), next(), next());
    let opt = |s: &str| if s.trim().is_empty() { serde_json::Value::Null } else { json!(s) };
    let list = |s: &str| if s.trim().is_empty() { json!([]) } else { json!([s]) };
    let mut report = json!({
        "incident": {"date": "2026-03-14", "town": "Leeds", "categories": ["physical_assault"]},
        "offender": {"names_used": list(&offender), "phones": list(&phone)},
        "account": if account.trim().is_empty() { "He hit me.".to_owned() } else { account },
        "reporter": {"name": opt(&name), "email": opt(&email), "working_name": opt(&working), "online_handles": list(&handle)},
        "workplace": {"setting": "parlour", "venue_name": opt(&venue)},
        "consent": {"publish_alert": true, "share_with_police": false, "caseworker_contact": false}
    });
    if !detail.trim().is_empty() {
        report["incident"]["location_detail"] = json!(detail);
    }
    if !description.trim().is_empty() {
        report["offender"]["description"] = json!(description);
    }
    strip_nulls(&mut report);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    if let Ok(report) = Report::from_value(report, today) {
        let alert = shared::sanitiser::sanitise(&report);
        serde_json::to_vec(&alert).expect("a draft serialises");
    }
});

fn strip_nulls(v: &mut serde_json::Value) {
    if let serde_json::Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        for x in m.values_mut() {
            strip_nulls(x);
        }
    }
}
