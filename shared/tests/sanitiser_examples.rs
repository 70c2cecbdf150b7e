//! The labelled example reports: nothing in `must_not_appear` reaches the alert, everything in `must_appear` does.

use crate::common;

use std::path::Path;

use common::corpus;
use shared::sanitiser::sanitise;

fn run(dir: &Path) -> (usize, Vec<String>) {
    let cases = common::load_dir(dir);
    let mut failures = Vec::new();
    for case in &cases {
        let alert = sanitise(&case.report);
        let json = serde_json::to_string_pretty(&alert).unwrap();
        let f = common::check_case(case, &json);
        if !f.is_empty() && std::env::var_os("SHOW_ALERTS").is_some() {
            eprintln!("{json}");
        }
        failures.extend(f);
    }
    (cases.len(), failures)
}

/// The repository's own cases always; the house's example reports too, where the house folder sits beside the
/// repository (an extra corpus: the run says in one line when it is absent).
#[test]
fn every_labelled_case_keeps_the_offender_and_loses_everyone_else() {
    let (n, mut failures) = run(&corpus::own_cases());
    assert!(n >= 90, "expected at least 90 own cases, found {n}");
    if let Some(dir) = corpus::house_examples() {
        let (n, more) = run(&dir);
        assert!(n >= 14, "expected the 14 example reports, found {n}");
        failures.extend(more);
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_matching_follows_the_examples_readme() {
    use common::present;
    assert!(present("say hi to kerry's mum", "Kerry"));
    assert!(!present("Kerryanne was there", "Kerry"));
    for written in ["07700 900101", "+44 7700 900101", "+447700900101", "07700-900-101", "(07700) 900101"] {
        assert!(present(&format!("rang from {written} twice"), "07700 900101"), "{written}");
    }
    assert!(!present("rang from 07700 900102", "07700 900101"));
    assert!(present("near ls16br", "LS1 6BR"));
    assert!(present("reg yd19kqt", "YD19 KQT"));
    assert!(present("his insta calfraser84", "@calfraser84"));
    assert!(present("his insta @calfraser84", "calfraser84"));
    // Any case, with or without accents, whichever way an accent is written.
    assert!(present("message ELODIE now", "Élodie"));
    assert!(present("message E\u{301}lodie now", "elodie"));
    assert!(present("'Ştefania I know'", "Ștefania"));
    assert!(present("he said IŞIL YILDIZ", "Işıl"));
    assert!(!present("Elodiex was there", "Élodie"));
}
