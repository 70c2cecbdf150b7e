//! Labelled report cases (`shared/tests/cases/README.md`): loading them and matching their strings against an alert
//! exactly as that README describes.

#![allow(dead_code)]

pub mod corpus;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::Value;
use shared::domain::Report;

pub struct Case {
    pub id: String,
    pub report: Report,
    pub must_not_appear: Vec<String>,
    pub must_appear: Vec<String>,
}

/// How many cases a property test runs: `PROPTEST_CASES` (proptest's own variable) where set, else `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The configuration of a property test: `proptest_cases(default)` cases, and rejects allowed in proportion (one
/// case in ten is rejected as a clash, so a long run is not stopped by proptest's fixed limit of 1,024).
pub fn proptest_config(default: u32) -> proptest::test_runner::Config {
    let cases = proptest_cases(default);
    proptest::test_runner::Config { cases, max_global_rejects: cases.max(1024), ..Default::default() }
}

pub fn load_dir(dir: &Path) -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files.iter().map(|f| load(f)).collect()
}

pub fn load(path: &Path) -> Case {
    let raw = std::fs::read(path).unwrap();
    let v: Value = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let id = v["id"].as_str().unwrap_or_default().to_owned();
    let today = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let report = Report::from_value(v["report"].clone(), today).unwrap_or_else(|e| panic!("{id}: invalid report: {e:?}"));
    let list = |k: &str| v[k].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default();
    Case { id, report, must_not_appear: list("must_not_appear"), must_appear: list("must_appear") }
}

/// Every string in the alert's JSON, keys and values, one a line.
pub fn alert_text(json: &str) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.iter().for_each(|(k, x)| {
                out.push_str(k);
                out.push('\n');
                walk(x, out);
            }),
            other => {
                out.push_str(&other.to_string());
                out.push('\n');
            }
        }
    }
    let mut out = String::new();
    walk(&serde_json::from_str(json).unwrap(), &mut out);
    out
}

fn phone_like(s: &str) -> bool {
    s.chars().filter(char::is_ascii_digit).count() >= 7 && s.chars().all(|c| c.is_ascii_digit() || " -()+.".contains(c))
}

/// A postcode or registration: one or two words mixing letters and digits ("LS1 6BR", "YD19 KQT").
fn code_like(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() <= 8
        && compact.len() >= 5
        && compact.chars().all(|c| c.is_ascii_alphanumeric())
        && compact.chars().any(|c| c.is_ascii_digit())
        && compact.chars().any(|c| c.is_ascii_alphabetic())
        && s.split_whitespace().count() <= 2
}

/// Digits with a leading +44 (or 44 after a +) or 0 taken off.
fn phone_key(s: &str) -> String {
    let t = s.trim();
    let d: String = t.chars().filter(char::is_ascii_digit).collect();
    let d = if t.starts_with('+') { d.strip_prefix("44").map(str::to_owned).unwrap_or(d) } else { d };
    d.strip_prefix('0').map(str::to_owned).unwrap_or(d)
}

/// Every run of digits and phone separators in the text, as phone keys.
fn phone_keys_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let t = cur.trim_matches(|c: char| !c.is_ascii_digit() && c != '+' && c != '(').to_owned();
        if t.chars().any(|c| c.is_ascii_digit()) {
            out.push(phone_key(&t));
        }
        cur.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || " -()+".contains(c) {
            cur.push(c);
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Lower case without accents, written here apart from the sanitiser's own folding so that the two check each other:
/// "Élodie", "ELODIE" and "elodie" are one word, and so are "Ştefania" (cedilla) and "Ștefania" (comma below), and
/// "IŞIL" and "Işıl".
pub fn plain(s: &str) -> String {
    // Each group: the plain letter, then the letters that fold to it.
    const GROUPS: &[&str] = &[
        "aàáâãäåāăą",
        "cçćč",
        "dďđ",
        "eèéêëēėęě",
        "gğģ",
        "iìíîïīįı",
        "kķ",
        "lĺļľł",
        "nñńņň",
        "oòóôõöøōő",
        "rŕř",
        "sśşšș",
        "tţťț",
        "uùúûüūůűų",
        "wŵ",
        "yýÿŷ",
        "zźżž",
    ];
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        match GROUPS.iter().find(|g| g.chars().skip(1).any(|x| x == c)) {
            Some(g) => out.push(g.chars().next().unwrap()),
            None => out.push(c),
        }
    }
    out
}

fn whole_word(hay: &str, needle: &str) -> bool {
    let hay = plain(hay);
    let needle = plain(needle);
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(pos) = hay[from..].find(&needle) {
        let s = from + pos;
        let e = s + needle.len();
        let before = hay[..s].chars().next_back().is_some_and(char::is_alphanumeric);
        let after = hay[e..].chars().next().is_some_and(char::is_alphanumeric);
        if !before && !after {
            return true;
        }
        from = s + hay[s..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Whether `needle` is present in `text` by the README's rules.
pub fn present(text: &str, needle: &str) -> bool {
    let n = needle.trim();
    if phone_like(n) {
        let key = phone_key(n);
        // Present when any run of digits and separators in the text holds the number.
        return phone_keys_in(text).iter().any(|k| k.contains(&key));
    }
    if code_like(n) {
        let compact: String = n.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
        return t.contains(&compact) || whole_word(text, n);
    }
    if let Some(bare) = n.strip_prefix('@') {
        return whole_word(text, bare) || whole_word(text, n);
    }
    whole_word(text, n)
}

/// The failures of one case: each message names the case and the string.
pub fn check_case(case: &Case, json: &str) -> Vec<String> {
    let text = alert_text(json);
    let mut failures = Vec::new();
    for s in &case.must_not_appear {
        // For a leak, also a number split by other characters ("07700.900.101").
        let digits_only = || {
            phone_like(s)
                && text
                    .split(|c: char| c.is_alphabetic() || c == '\n')
                    .any(|part| part.chars().filter(char::is_ascii_digit).collect::<String>().contains(&phone_key(s)))
        };
        if present(&text, s) || present(json, s) || digits_only() {
            failures.push(format!("{}: '{}' leaked into the alert", case.id, s));
        }
    }
    for s in &case.must_appear {
        if !present(&text, s) {
            failures.push(format!("{}: '{}' is missing from the alert", case.id, s));
        }
    }
    failures
}
