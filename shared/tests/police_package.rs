//! The police package of every labelled case: none of its must-not-appear strings, and all of the offender's
//! identifiers (the case's must-appear strings), after the stricter pass.

use crate::common;

use common::corpus;
use shared::sanitiser::police::{PREMISES, police_content};

fn run(cases: &[common::Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let content = police_content(&case.report);
        let json = serde_json::to_string_pretty(&content).unwrap();
        let f = common::check_case(case, &json);
        if !f.is_empty() && std::env::var_os("SHOW_ALERTS").is_some() {
            eprintln!("{json}");
        }
        failures.extend(f);
        // No kind of workplace is told, not even the alert's neutral words for one.
        for word in ["parlour", "sauna", "brothel", "a hotel", "a venue"] {
            if content.account.to_lowercase().contains(word) {
                failures.push(format!("{}: the account still names a setting ({word})", case.id));
            }
        }
    }
    failures
}

#[test]
fn every_labelled_cases_package_keeps_the_offender_and_loses_everyone_else_and_every_setting() {
    let cases = common::load_dir(&corpus::own_cases());
    assert!(cases.len() >= 90, "expected at least 90 own cases, found {}", cases.len());
    let mut failures = run(&cases);
    if let Some(dir) = corpus::house_examples() {
        failures.extend(run(&common::load_dir(&dir)));
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_setting_the_reporter_works_in_is_not_told() {
    let case = common::load(&corpus::own_case("28-leeds-parlour-maid-and-van"));
    let content = police_content(&case.report);
    assert!(!content.account.to_lowercase().contains("parlour"), "{}", content.account);
    assert!(content.account.contains(PREMISES) || content.withheld.settings == 0, "{}", content.account);
}
