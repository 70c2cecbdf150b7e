//! The figures issue 12 asks for, over the labelled corpus: strings that leaked, offender identifiers lost, and the
//! share of the account's words the summary kept. Printed on every run (`cargo test -p shared --test main
//! figures -- --nocapture`; with `SHOW_SUMMARIES=1`, each summary too), and held to: no leak, nothing lost, at least
//! `MIN_KEPT` of the words kept.
//!
//! A word is kept when the summary still has it: for each word of the account, the summary's count of it caps how
//! many of its uses count as kept, so the neutral words a redaction writes ("someone", "a place") never count for
//! more than the account had of them.

use std::collections::HashMap;

use crate::common;
use common::corpus;
use shared::sanitiser::sanitise;

/// The least share of an account's words, over the whole corpus, that the summaries keep.
const MIN_KEPT: f64 = 0.90;
/// The least share of the offender's descriptions' words kept: they describe him, and little in them names anyone else.
const MIN_DESCRIPTION_KEPT: f64 = 0.97;

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || ('\u{300}'..='\u{36f}').contains(&c)))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The account's words, each with whether the summary kept it.
fn matched(account: &str, summary: &str) -> Vec<(String, bool)> {
    let mut left: HashMap<String, usize> = HashMap::new();
    for w in words(summary) {
        *left.entry(w).or_default() += 1;
    }
    words(account)
        .into_iter()
        .map(|w| {
            let hit = left.get_mut(&w).filter(|n| **n > 0).map(|n| *n -= 1).is_some();
            (w, hit)
        })
        .collect()
}

/// (words of the account, of them kept in the summary).
pub fn kept(account: &str, summary: &str) -> (usize, usize) {
    let m = matched(account, summary);
    (m.len(), m.iter().filter(|(_, hit)| *hit).count())
}

/// The account's words the summary lacks (for `SHOW_SUMMARIES`).
fn not_kept(account: &str, summary: &str) -> Vec<String> {
    matched(account, summary).into_iter().filter(|(_, hit)| !hit).map(|(w, _)| w).collect()
}

#[test]
fn the_corpus_figures_no_leak_nothing_lost_and_most_words_kept() {
    let mut cases = common::load_dir(&corpus::own_cases());
    if let Some(dir) = corpus::house_examples() {
        cases.extend(common::load_dir(&dir));
    }
    let (mut leaked, mut lost, mut total_words, mut kept_words) = (0usize, 0usize, 0usize, 0usize);
    let (mut description_words, mut description_kept) = (0usize, 0usize);
    let mut worst: Vec<(f64, String)> = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        let alert = sanitise(&case.report);
        let json = serde_json::to_string(&alert).unwrap();
        for f in common::check_case(case, &json) {
            if f.ends_with("leaked into the alert") {
                leaked += 1;
            } else {
                lost += 1;
            }
            failures.push(f);
        }
        if std::env::var_os("SHOW_SUMMARIES").is_some() {
            println!("== {}\n{}\n", case.id, alert.summary);
            println!("-- not kept: {}", not_kept(&case.report.account, &alert.summary).join(" "));
        }
        if let (Some(d), Some(out)) = (case.report.offender.description.as_deref(), alert.offender.description.as_deref()) {
            let (n, k) = kept(d, out);
            description_words += n;
            description_kept += k;
        }
        let (n, k) = kept(&case.report.account, &alert.summary);
        total_words += n;
        kept_words += k;
        worst.push((k as f64 / n.max(1) as f64, case.id.clone()));
    }
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    let share = kept_words as f64 / total_words.max(1) as f64;
    println!(
        "corpus: {} cases; leaked {leaked}; offender identifiers lost {lost}; account words kept {kept_words} of {total_words} ({:.1}%)",
        cases.len(),
        share * 100.0
    );
    let description_share = description_kept as f64 / description_words.max(1) as f64;
    println!("  offender descriptions: words kept {description_kept} of {description_words} ({:.1}%)", description_share * 100.0);
    for (s, id) in worst.iter().take(5) {
        println!("  fewest kept: {id}: {:.1}%", s * 100.0);
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
    assert!(description_share >= MIN_DESCRIPTION_KEPT, "the offender's descriptions kept {:.1}% of their words", description_share * 100.0);
    assert!(share >= MIN_KEPT, "the summaries kept {:.1}% of the accounts' words, under {:.0}%", share * 100.0, MIN_KEPT * 100.0);
}

#[test]
fn the_kept_measure_counts_what_it_says() {
    assert_eq!(kept("Kasia and I went to the Lamplighter", "Someone and I went to a place"), (7, 4));
    assert_eq!(kept("he said someone was there", "he said someone someone was there"), (5, 5));
    assert_eq!(kept("", ""), (0, 0));
}
