//! `check_edit`: a reviewer's edited alert is checked against the report's identifiers, field by field, and the
//! findings never carry the text they found.

mod common;

use std::path::Path;

use shared::domain::alert::RedactionKind;
use shared::sanitiser::{Finding, check_edit, sanitise};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/examples/reports");
const OWN_CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases");

fn case(id: &str) -> common::Case {
    let dir = if Path::new(EXAMPLES).join(format!("{id}.json")).exists() { EXAMPLES } else { OWN_CASES };
    common::load(&Path::new(dir).join(format!("{id}.json")))
}

fn has(findings: &[Finding], kind: RedactionKind, field: &str) -> bool {
    findings.iter().any(|f| f.kind == kind && f.field == field)
}

#[test]
fn the_sanitisers_own_alerts_pass_the_check_unchanged() {
    for dir in [EXAMPLES, OWN_CASES] {
        if !Path::new(dir).is_dir() {
            continue;
        }
        for c in common::load_dir(Path::new(dir)) {
            let alert = sanitise(&c.report);
            let findings = check_edit(&c.report, &alert);
            assert!(findings.is_empty(), "{}: {:?}", c.id, findings);
        }
    }
}

#[test]
fn a_reporters_name_put_back_into_the_summary_is_found() {
    let c = case("01-leeds-parlour-maid");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Thanks, jade x");
    let f = check_edit(&c.report, &alert);
    assert!(has(&f, RedactionKind::ReporterIdentity, "summary"), "{f:?}");
}

#[test]
fn a_reporters_phone_in_another_format_is_found() {
    let c = case("01-leeds-parlour-maid");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Call me on +44 (0)7700-900-101.");
    let f = check_edit(&c.report, &alert);
    assert!(has(&f, RedactionKind::ReporterContact, "summary"), "{f:?}");
}

#[test]
fn a_venue_and_a_maid_put_back_are_found_in_their_fields() {
    let c = case("01-leeds-parlour-maid");
    let mut alert = sanitise(&c.report);
    alert.summary = alert.summary.replacen("a venue", "the Velvet Rooms", 1);
    alert.offender.names_used.push("Leanne".into());
    alert.offender.description = Some("Seen by leanne at LS1 6BR".into());
    let f = check_edit(&c.report, &alert);
    assert!(has(&f, RedactionKind::Venue, "summary"), "{f:?}");
    assert!(has(&f, RedactionKind::ThirdPartyName, "offender.names_used[1]"), "{f:?}");
    assert!(has(&f, RedactionKind::ThirdPartyName, "offender.description"), "{f:?}");
    assert!(has(&f, RedactionKind::Postcode, "offender.description"), "{f:?}");
}

#[test]
fn a_hotel_found_only_in_the_account_is_found_again_in_an_edit() {
    let c = case("02-manchester-hotel-anonymous");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" It was the Irwell Court.");
    let f = check_edit(&c.report, &alert);
    assert!(f.iter().any(|x| x.field == "summary" && matches!(x.kind, RedactionKind::Venue | RedactionKind::Address)), "{f:?}");
}

#[test]
fn the_offenders_shared_first_name_is_not_a_finding() {
    let c = case("03-cardiff-shared-first-name");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Sam is dangerous.");
    assert!(check_edit(&c.report, &alert).is_empty());
    alert.summary.push_str(" Pritchard.");
    assert!(has(&check_edit(&c.report, &alert), RedactionKind::ReporterIdentity, "summary"));
}

#[test]
fn findings_never_carry_the_text_they_found() {
    let c = case("13-edinburgh-long-sauna-stalking");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Catriona McLeish, violet.edinburgh@example.org, 07700 900113, Fiona, Thistle Spa, EH6 5HB.");
    let f = check_edit(&c.report, &alert);
    assert!(f.len() >= 4, "{f:?}");
    let json = serde_json::to_string(&f).unwrap().to_lowercase();
    for s in ["catriona", "mcleish", "violet", "900113", "fiona", "thistle", "eh6"] {
        assert!(!json.contains(s), "a finding carries '{s}': {json}");
    }
}
