//! Reporters' names, emails and handles in any alphabet: case and accents are folded one way for what is looked for
//! and where, and the offender block never takes a piece of the reporter's own identifiers.

use crate::common;

use common::corpus;
use shared::domain::alert::RedactionKind;
use shared::domain::report::Reporter;
use shared::sanitiser::{check_edit, sanitise};

fn case(id: &str) -> common::Case {
    common::load(&corpus::own_case(id))
}

fn french() -> common::Case {
    case("46-nottingham-french-email-and-handle-with-accents")
}

#[test]
fn an_email_starting_with_an_accented_capital_is_taken_out_whole_and_never_listed_as_his() {
    let alert = sanitise(&french().report);
    assert!(alert.summary.contains("long email to an email address from dan.h.notts@example.com"), "{}", alert.summary);
    assert!(!alert.summary.contains('É') && !alert.summary.contains("lodie"), "{}", alert.summary);
    assert_eq!(alert.offender.emails, vec!["dan.h.notts@example.com".to_owned()]);
}

#[test]
fn a_handle_starting_with_an_accented_capital_is_taken_out_in_any_case() {
    let mut c = french();
    for written in ["@Éva_x", "@éva_x", "@ÉVA_X", "@E\u{301}va_x", "Éva_x", "@eva_x"] {
        c.report.account = format!("He found me on insta where I am {written} and kept messaging.");
        let alert = sanitise(&c.report);
        assert!(alert.summary.contains("where I am an account and"), "{written}: {}", alert.summary);
    }
}

#[test]
fn a_piece_of_the_reporters_email_or_handle_given_as_his_is_dropped_from_the_offender_block() {
    let mut c = french();
    c.report.offender.emails.push("lodie.m@example.org".into());
    c.report.offender.emails.push("ELODIE.M@EXAMPLE.ORG".into());
    c.report.offender.online_handles.push("@va_x".into());
    c.report.offender.online_handles.push("@Éva_x".into());
    let alert = sanitise(&c.report);
    assert_eq!(alert.offender.emails, vec!["dan.h.notts@example.com".to_owned()]);
    assert_eq!(alert.offender.online_handles, vec!["@danh_notts".to_owned()]);
    assert!(alert.redactions.iter().any(|r| r.kind == RedactionKind::ReporterContact && r.count >= 4), "{:?}", alert.redactions);
}

#[test]
fn an_offenders_email_that_only_shares_letters_with_the_reporters_stays() {
    let mut c = french();
    c.report.reporter = Some(Reporter { email: Some("anna@example.org".into()), ..Default::default() });
    c.report.offender.emails = vec!["joanna@example.org".into()];
    let alert = sanitise(&c.report);
    assert!(alert.offender.emails.contains(&"joanna@example.org".to_owned()), "{:?}", alert.offender.emails);
}

#[test]
fn the_turkish_dotless_and_dotted_i_are_one_letter_for_names_and_handles() {
    let alert = sanitise(&case("50-london-turkish-dotless-i").report);
    for s in ["IŞIL", "YILDIZ", "isil", "yldz"] {
        assert!(!alert.summary.contains(s), "'{s}' in {}", alert.summary);
    }
}

#[test]
fn a_reporters_accented_name_put_back_without_its_accent_is_found_in_an_edit() {
    let c = french();
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Thanks, ELODIE");
    let f = check_edit(&c.report, &alert);
    assert!(f.iter().any(|x| x.field == "summary" && x.kind == RedactionKind::ReporterIdentity), "{f:?}");
    let mut alert = sanitise(&c.report);
    alert.summary.push_str(" Write to elodie.m@example.org");
    let f = check_edit(&c.report, &alert);
    assert!(f.iter().any(|x| x.field == "summary" && x.kind == RedactionKind::ReporterContact), "{f:?}");
}

#[test]
fn the_offenders_accented_name_is_kept_however_it_is_written() {
    let alert = sanitise(&case("49-dun-laoghaire-irish-fadas").report);
    assert!(alert.summary.starts_with("Sean rang"), "{}", alert.summary);
}
