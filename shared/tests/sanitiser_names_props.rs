//! Property tests over the names of `shared/tests/data/third_party_names.txt` (names from many languages, with and
//! without their accents): a name put anywhere in a labelled report as a third party's never survives, and the
//! labelled case still keeps every identifier of the offender its offender block gives; the same name given as the
//! offender's always survives.
//!
//! Where a report is written without capitals (or all in capitals) the name is written so too. In such a text a name
//! that is also a dictionary word ("ploy") cannot be told from the word, so those names are tried there only as
//! written; the list leaves out names that are common English words for the same reason.
//!
//! `PROPTEST_CASES` sets the number of cases (256 each by default).

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::common;
use common::{Case, corpus, present};
use proptest::prelude::*;
use shared::sanitiser::sanitise;

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

static NAMES: LazyLock<Vec<String>> = LazyLock::new(|| lines(include_str!("data/third_party_names.txt")).map(str::to_owned).collect());

static CASES: LazyLock<Vec<Case>> = LazyLock::new(|| common::load_dir(&corpus::own_cases()));

/// The sanitiser's vocabulary files, to know which names are also words.
static WORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    [
        include_str!("../data/common_words.txt"),
        include_str!("../data/dictionary_words.txt"),
        include_str!("../data/extra_words.txt"),
        include_str!("../data/safe_names.txt"),
    ]
    .into_iter()
    .flat_map(lines)
    .flat_map(str::split_whitespace)
    .map(str::to_owned)
    .collect()
});

#[derive(Clone, Copy, Debug, PartialEq)]
enum Voice {
    Mixed,
    Lower,
    Upper,
}

fn voice(text: &str) -> Voice {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count().max(1);
    let upper = text.chars().filter(|c| c.is_uppercase()).count();
    if upper * 100 < letters * 2 {
        Voice::Lower
    } else if upper * 100 > letters * 70 {
        Voice::Upper
    } else {
        Voice::Mixed
    }
}

/// Places between two words of `text` where a name can go: a space with a letter on each side.
fn slots(text: &str) -> Vec<usize> {
    let cs: Vec<(usize, char)> = text.char_indices().collect();
    (1..cs.len().saturating_sub(1))
        .filter(|&k| cs[k].1 == ' ' && cs[k - 1].1.is_alphabetic() && cs[k + 1].1.is_alphabetic())
        .map(|k| cs[k].0 + 1)
        .collect()
}

const FRAMES: &[&str] = &["{} ", "my friend {} ", "with {} and ", "{}'s ", "Mrs {} "];

fn written(name: &str, v: Voice) -> String {
    match v {
        Voice::Mixed => name.to_owned(),
        Voice::Lower => name.to_lowercase(),
        Voice::Upper => name.to_uppercase(),
    }
}

proptest! {
    #![proptest_config(common::proptest_config(256))]

    #[test]
    fn a_third_partys_name_put_anywhere_never_survives(
        c in 0..CASES.len(),
        n in 0..NAMES.len(),
        slot in any::<prop::sample::Index>(),
        frame in 0..FRAMES.len(),
    ) {
        let case = &CASES[c];
        let name = &NAMES[n];
        // Not a name this report gives the offender or the town, or one of its labelled strings.
        let clash = case.must_appear.iter().chain(&case.report.offender.names_used).any(|m| present(m, name) || present(name, m))
            || present(case.report.incident.town.as_str(), name);
        prop_assume!(!clash);
        let v = voice(&case.report.account);
        let folded = name.to_lowercase();
        prop_assume!(v == Voice::Mixed || !WORDS.contains(&folded));
        let slots = slots(&case.report.account);
        prop_assume!(!slots.is_empty());
        let at = slots[slot.index(slots.len())];
        // Not straight after words that give the next name as his ("said his name was", "called himself"): a name
        // put there reads as his.
        let before: Vec<String> = case.report.account[..at].split_whitespace().rev().take(3).map(str::to_lowercase).collect();
        prop_assume!(!before.iter().any(|w| matches!(w.as_str(), "name" | "names" | "was" | "is" | "himself" | "himsel" | "called" | "call" | "calls" | "callin" | "calling" | "as" | "under" | "by")));
        let mut report = case.report.clone();
        let inserted = FRAMES[frame].replace("{}", &written(name, v));
        let inserted = if v == Voice::Upper { inserted.to_uppercase() } else { inserted };
        report.account.insert_str(at, &inserted);
        let alert = sanitise(&report);
        let json = serde_json::to_string(&alert).unwrap();
        prop_assert!(!present(&common::alert_text(&json), name), "{} survived in {}:\n{}", name, case.id, alert.summary);
        // What the reporter put in the offender block stays (what only the account's wording gives as his may not
        // survive a name dropped into the middle of that wording).
        let block = serde_json::to_string(&case.report.offender).unwrap();
        for m in case.must_appear.iter().filter(|m| present(&block, m)) {
            prop_assert!(present(&common::alert_text(&json), m), "{} lost in {} after inserting {}:\n{}", m, case.id, name, alert.summary);
        }
    }

    #[test]
    fn the_same_name_given_as_the_offenders_always_survives(
        c in 0..CASES.len(),
        n in 0..NAMES.len(),
    ) {
        let case = &CASES[c];
        let name = &NAMES[n];
        let mut report = case.report.clone();
        // Not one of the names the report asks to take out.
        prop_assume!(!case.must_not_appear.iter().any(|m| present(m, name) || present(name, m)));
        report.offender.names_used.push(name.clone());
        report.account.push_str(&format!(" He called himself {name} too."));
        let alert = sanitise(&report);
        let json = serde_json::to_string(&alert).unwrap();
        prop_assert!(alert.offender.names_used.iter().any(|x| x == name), "{} not in names_used: {:?}", name, alert.offender.names_used);
        prop_assert!(alert.summary.contains(&format!("He called himself {name} too.")), "{}:\n{}", case.id, alert.summary);
        for m in &case.must_appear {
            prop_assert!(present(&common::alert_text(&json), m), "{} lost in {}:\n{}", m, case.id, alert.summary);
        }
    }
}
