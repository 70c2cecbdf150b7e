//! `check_edit`: a reviewer's edited alert is checked against the report's identifiers, field by field, and the
//! findings never carry the text they found.

use crate::common;

use common::corpus;
use shared::domain::alert::RedactionKind;
use shared::sanitiser::{Finding, check_edit, sanitise};

fn case(id: &str) -> common::Case {
    common::load(&corpus::own_case(id))
}

fn has(findings: &[Finding], kind: RedactionKind, field: &str) -> bool {
    findings.iter().any(|f| f.kind == kind && f.field == field)
}

fn own_alerts_pass_unchanged(cases: &[common::Case]) {
    for c in cases {
        let alert = sanitise(&c.report);
        let findings = check_edit(&c.report, &alert);
        assert!(findings.is_empty(), "{}: {:?}", c.id, findings);
    }
}

/// The repository's own cases always; the house's example reports too, where the house folder sits beside the
/// repository.
#[test]
fn the_sanitisers_own_alerts_pass_the_check_unchanged() {
    let cases = common::load_dir(&corpus::own_cases());
    assert!(cases.len() >= 36, "found {} own cases", cases.len());
    own_alerts_pass_unchanged(&cases);
    if let Some(dir) = corpus::house_examples() {
        own_alerts_pass_unchanged(&common::load_dir(&dir));
    }
}

#[test]
fn a_reporters_name_put_back_into_the_summary_is_found() {
    let c = case("28-leeds-parlour-maid-and-van");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Thanks, kelsey x");
    let f = check_edit(&c.report, &alert);
    assert!(has(&f, RedactionKind::ReporterIdentity, "summary"), "{f:?}");
}

#[test]
fn a_reporters_phone_in_another_format_is_found() {
    let c = case("28-leeds-parlour-maid-and-van");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Call me on +44 (0)7700-900-128.");
    let f = check_edit(&c.report, &alert);
    assert!(has(&f, RedactionKind::ReporterContact, "summary"), "{f:?}");
}

#[test]
fn a_venue_and_a_maid_put_back_are_found_in_their_fields() {
    let c = case("28-leeds-parlour-maid-and-van");
    let mut alert = sanitise(&c.report);
    assert!(alert.summary.contains("a venue"), "{}", alert.summary);
    alert.summary = alert.summary.replacen("a venue", "the Silver Slipper", 1);
    alert.offender.names_used.push("Maxine".into());
    alert.offender.description = Some("Seen by maxine at LS1 7BT".into());
    let f = check_edit(&c.report, &alert);
    assert!(has(&f, RedactionKind::Venue, "summary"), "{f:?}");
    assert!(has(&f, RedactionKind::ThirdPartyName, "offender.names_used[1]"), "{f:?}");
    assert!(has(&f, RedactionKind::ThirdPartyName, "offender.description"), "{f:?}");
    assert!(has(&f, RedactionKind::Postcode, "offender.description"), "{f:?}");
}

#[test]
fn a_hotel_found_only_in_the_account_is_found_again_in_an_edit() {
    let c = case("29-hull-hotel-only-in-the-account-anonymous");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" It was the Ellerby Grange.");
    let f = check_edit(&c.report, &alert);
    assert!(f.iter().any(|x| x.field == "summary" && matches!(x.kind, RedactionKind::Venue | RedactionKind::Address)), "{f:?}");
}

#[test]
fn the_offenders_shared_first_name_is_not_a_finding() {
    let c = case("30-swansea-shared-first-name-chris");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Chris is dangerous.");
    assert!(check_edit(&c.report, &alert).is_empty());
    alert.summary.push_str(" Llewellyn.");
    assert!(has(&check_edit(&c.report, &alert), RedactionKind::ReporterIdentity, "summary"));
}

#[test]
fn findings_never_carry_the_text_they_found() {
    let c = case("31-aberdeen-long-sauna-stalking");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Ailsa Forbes, jewel.aberdeen@example.org, 07700 900131, Lindsay, Granite Rose, AB11 6HT.");
    let f = check_edit(&c.report, &alert);
    assert!(f.len() >= 4, "{f:?}");
    let json = serde_json::to_string(&f).unwrap().to_lowercase();
    for s in ["ailsa", "forbes", "jewel", "900131", "lindsay", "granite", "ab11"] {
        assert!(!json.contains(s), "a finding carries '{s}': {json}");
    }
}
