//! The shapes of emails, links, handles, registrations, postcodes and Eircodes, matched by hand.
//!
//! Each function answers exactly what a leftmost-first regular expression would (the expression is in its comment,
//! and the tests below run both over generated text). A mark is any of Unicode's (`unicode::is_any_mark`), so a
//! handle holding a Thai tone mark or an NKo accent is taken whole; a letter or digit is what `char::is_alphanumeric`
//! says (Unicode's Alphabetic and Numeric: the letters, and a few symbols and vowel signs besides, which only ever
//! makes a match longer). Written out, they need no regular-expression engine in the functions that sanitise (about
//! 0.8 MB of code and Unicode tables each), no compiling at the first report a cold function sees (about 15 ms), and
//! each runs in one pass over the word it is given.

use crate::sanitiser::unicode::is_any_mark;

/// A letter or digit of any alphabet (`[\p{L}\p{N}]`).
fn ln(c: char) -> bool {
    c.is_alphanumeric()
}

/// A letter, digit or accent mark (`[\p{L}\p{M}\p{N}]`).
fn lmn(c: char) -> bool {
    c.is_alphanumeric() || is_any_mark(c)
}

/// A character of a word for a word boundary (`\w`).
fn word_char(c: char) -> bool {
    lmn(c) || c == '_'
}

fn at(w: &str, i: usize) -> Option<char> {
    w[i..].chars().next()
}

/// `\b` at byte `i` of `w`: a word character on one side and not on the other (the ends of `w` count as not).
fn boundary(w: &str, i: usize) -> bool {
    let before = w[..i].chars().next_back().is_some_and(word_char);
    let after = at(w, i).is_some_and(word_char);
    before != after
}

/// The end of the run of characters `class` accepts from byte `i`.
fn run(w: &str, i: usize, class: impl Fn(char) -> bool) -> usize {
    w[i..].char_indices().find(|&(_, c)| !class(c)).map_or(w.len(), |(k, _)| i + k)
}

/// Every match in `w`, left to right, none overlapping: `attempt(w, s)` answers the end of a match starting at `s`, or
/// where the next start worth trying is (past starts that are sure to fail the same way).
fn find_all(w: &str, attempt: impl Fn(&str, usize) -> Result<usize, usize>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = 0;
    while s < w.len() {
        match attempt(w, s) {
            Ok(e) => {
                out.push((s, e));
                s = e;
            }
            Err(next) => {
                s = next.max(s + at(w, s).map_or(1, char::len_utf8));
            }
        }
    }
    out
}

/// Emails: `[\p{L}\p{N}][\p{L}\p{M}\p{N}._%+\-]*@[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}\-]*[\p{L}\p{M}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}\-]*[\p{L}\p{M}\p{N}])?)+`
pub(super) fn emails(w: &str) -> Vec<(usize, usize)> {
    find_all(w, email_at)
}

fn email_at(w: &str, s: usize) -> Result<usize, usize> {
    if !at(w, s).is_some_and(ln) {
        return Err(s);
    }
    // The local part cannot hold '@': it runs to the first character outside its class, which must be the '@'.
    let local_end = run(w, s, |c| lmn(c) || matches!(c, '.' | '_' | '%' | '+' | '-'));
    if at(w, local_end) != Some('@') {
        // Every later start in this run stops at the same character.
        return Err(local_end);
    }
    let fail = local_end + 1;
    let label = |i: usize| -> Option<(usize, usize)> {
        // A label: a letter or digit, then letters, digits, marks and hyphens, ending on no hyphen. The end of the
        // longest label, and the end of the run it was cut from.
        if !at(w, i).is_some_and(ln) {
            return None;
        }
        let end = run(w, i, |c| lmn(c) || c == '-');
        Some((w[i..end].trim_end_matches('-').len() + i, end))
    };
    // The first label must be followed by a dot: only the whole run can be (a shorter one is followed by the run).
    let Some((e1, r1)) = label(local_end + 1) else { return Err(fail) };
    if e1 != r1 || at(w, e1) != Some('.') {
        return Err(fail);
    }
    let mut end = None;
    let mut i = e1;
    while at(w, i) == Some('.') {
        let Some((e, r)) = label(i + 1) else { break };
        end = Some(e);
        // Another ".label" only after a label that is its whole run.
        if e != r {
            break;
        }
        i = e;
    }
    end.ok_or(fail)
}

/// Handles: `@[\p{L}\p{N}_](?:[\p{L}\p{M}\p{N}_.]*[\p{L}\p{M}\p{N}_])?`
pub(super) fn handles(w: &str) -> Vec<(usize, usize)> {
    find_all(w, |w, s| {
        if at(w, s) != Some('@') || !at(w, s + 1).is_some_and(|c| ln(c) || c == '_') {
            return Err(s);
        }
        let end = run(w, s + 1, |c| lmn(c) || c == '_' || c == '.');
        Ok(s + 1 + w[s + 1..end].trim_end_matches('.').len())
    })
}

/// The endings a link may have, in the order they are tried.
pub(super) const ENDINGS: &[&str] =
    &["com", "co.uk", "org.uk", "uk", "net", "org", "io", "me", "ie", "app", "xxx", "tv", "fans", "link", "ly", "gg"];

/// Links: `(?i)\b(?:https?://|www\.)[^\s<>()\[\]]+|\b[\p{L}\p{M}\p{N}\-]+(?:\.[\p{L}\p{M}\p{N}\-]+)*\.(?:ENDINGS)(?:/[^\s<>()\[\]]*)?\b`
/// (case-insensitive in ASCII).
pub(super) fn links(w: &str) -> Vec<(usize, usize)> {
    // Starts from which the second form is known to fail: the runs after them are the same as after a start that
    // failed, and so are the endings, paths and boundaries tried.
    let failed_until = std::cell::Cell::new(0);
    find_all(w, |w, s| {
        if !boundary(w, s) {
            return Err(s);
        }
        if let Some(e) = scheme_link(w, s) {
            return Ok(e);
        }
        if s < failed_until.get() {
            return Err(s);
        }
        match domain_link(w, s) {
            Some(e) => Ok(e),
            None => {
                failed_until.set(dotted_end(w, s));
                Err(s)
            }
        }
    })
}

fn link_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '[' | ']'))
}

fn label_char(c: char) -> bool {
    lmn(c) || c == '-'
}

fn starts_with_ignore_case(w: &str, i: usize, lit: &str) -> bool {
    w.as_bytes().get(i..i + lit.len()).is_some_and(|b| b.eq_ignore_ascii_case(lit.as_bytes()))
}

/// `(?:https?://|www\.)[^\s<>()\[\]]+` at `s`.
fn scheme_link(w: &str, s: usize) -> Option<usize> {
    let rest = ["https://", "http://", "www."].iter().find(|p| starts_with_ignore_case(w, s, p)).map(|p| s + p.len())?;
    let end = run(w, rest, link_char);
    (end > rest).then_some(end)
}

/// The end of the labels joined by single dots from `s` (`[…-]+(?:\.[…-]+)*`, every label its whole run).
fn dotted_end(w: &str, s: usize) -> usize {
    let mut end = run(w, s, label_char);
    if end == s {
        return s;
    }
    while at(w, end) == Some('.') && at(w, end + 1).is_some_and(label_char) {
        end = run(w, end + 1, label_char);
    }
    end
}

/// `[\p{L}\p{M}\p{N}\-]+(?:\.[\p{L}\p{M}\p{N}\-]+)*\.(?:ENDINGS)(?:/[^\s<>()\[\]]*)?\b` at `s`.
fn domain_link(w: &str, s: usize) -> Option<usize> {
    // The labels are whole runs (a shorter one is followed by its run, not a dot): list where each run starts.
    let mut starts = Vec::new();
    let mut end = run(w, s, label_char);
    if end == s {
        return None;
    }
    while at(w, end) == Some('.') {
        starts.push(end + 1);
        let next = run(w, end + 1, label_char);
        if next == end + 1 {
            break;
        }
        end = next;
    }
    // The most labels first: the ending starts at the last run, then the one before, and so on.
    for &e0 in starts.iter().rev() {
        for ending in ENDINGS {
            if !starts_with_ignore_case(w, e0, ending) {
                continue;
            }
            let after = e0 + ending.len();
            // The longest path first, then shorter ones, then none; the first that ends on a boundary wins.
            if at(w, after) == Some('/') {
                let path_end = run(w, after + 1, link_char);
                let shorter = w[after + 1..path_end].char_indices().rev().map(|(k, _)| after + 1 + k);
                if let Some(e) = std::iter::once(path_end).chain(shorter).find(|&e| boundary(w, e)) {
                    return Some(e);
                }
            }
            if boundary(w, after) {
                return Some(after);
            }
        }
    }
    None
}

/// A registration at the start of `hay`: `(?i-u)^[a-z]{2}[0-9]{2} ?[a-z]{3}\b`. The end of the match.
pub(super) fn registration(hay: &str) -> Option<usize> {
    let b = hay.as_bytes();
    let alpha = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphabetic);
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if !(alpha(0) && alpha(1) && digit(2) && digit(3)) {
        return None;
    }
    let i = if b.get(4) == Some(&b' ') { 5 } else { 4 };
    (alpha(i) && alpha(i + 1) && alpha(i + 2) && ascii_boundary_after(b, i + 3)).then_some(i + 3)
}

/// A postcode at the start of `hay`: `(?i-u)^[a-z]{1,2}[0-9][a-z0-9]? *[0-9][a-z]{2}\b`. The end of the match.
pub(super) fn postcode(hay: &str) -> Option<usize> {
    let b = hay.as_bytes();
    let alpha = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphabetic);
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // Each choice in the order the expression tries it: two letters before one, the optional character taken
    // before left out. The spaces are all taken: fewer would leave a space where a digit must be.
    for letters in [2, 1] {
        if !(0..letters).all(alpha) || !digit(letters) {
            continue;
        }
        for extra in [true, false] {
            let mut i = letters + 1;
            if extra {
                if !b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
                    continue;
                }
                i += 1;
            }
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            if digit(i) && alpha(i + 1) && alpha(i + 2) && ascii_boundary_after(b, i + 3) {
                return Some(i + 3);
            }
        }
    }
    None
}

/// An Eircode at the start of `hay`: `(?i-u)^(?:[ac-fhknprtv-y][0-9]{2}|d6w) ?[0-9ac-fhknprtv-y]{4}\b`. The end of
/// the match.
pub(super) fn eircode(hay: &str) -> Option<usize> {
    let b = hay.as_bytes();
    let code_letter = |c: u8| matches!(c.to_ascii_lowercase(), b'a' | b'c'..=b'f' | b'h' | b'k' | b'n' | b'p' | b'r' | b't' | b'v'..=b'y');
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let unique =
        |i: usize| (i..i + 4).all(|k| b.get(k).is_some_and(|&c| c.is_ascii_digit() || code_letter(c))) && ascii_boundary_after(b, i + 4);
    let routing = b.first().is_some_and(|&c| code_letter(c)) && digit(1) && digit(2);
    let dublin_6w = b.get(..3).is_some_and(|x| x.eq_ignore_ascii_case(b"d6w"));
    for ok in [routing, dublin_6w] {
        if !ok {
            continue;
        }
        if b.get(3) == Some(&b' ') && unique(4) {
            return Some(8);
        }
        if unique(3) {
            return Some(7);
        }
    }
    None
}

/// An ASCII word boundary (`(?-u:\b)`) after a word character at `i - 1`: the end, or no ASCII word character at `i`.
fn ascii_boundary_after(b: &[u8], i: usize) -> bool {
    !b.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex::Regex;

    use super::*;

    // The expressions the functions stand for. Over the characters the tests generate, `\p{L}`, `\p{N}` and `\p{M}`
    // agree with `is_alphanumeric` and `is_any_mark` (`the_generated_characters_read_the_same_both_ways`), so the
    // expressions are the oracle as written.
    const EMAIL: &str = r"[\p{L}\p{N}][\p{L}\p{M}\p{N}._%+\-]*@[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}\-]*[\p{L}\p{M}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}\-]*[\p{L}\p{M}\p{N}])?)+";
    const URL: &str = r"(?i)\b(?:https?://|www\.)[^\s<>()\[\]]+|\b[\p{L}\p{M}\p{N}\-]+(?:\.[\p{L}\p{M}\p{N}\-]+)*\.(?:com|co\.uk|org\.uk|uk|net|org|io|me|ie|app|xxx|tv|fans|link|ly|gg)(?:/[^\s<>()\[\]]*)?\b";
    const HANDLE: &str = r"@[\p{L}\p{N}_](?:[\p{L}\p{M}\p{N}_.]*[\p{L}\p{M}\p{N}_])?";
    const REGISTRATION: &str = r"(?i-u)^[a-z]{2}[0-9]{2} ?[a-z]{3}\b";
    const POSTCODE: &str = r"(?i-u)^[a-z]{1,2}[0-9][a-z0-9]? *[0-9][a-z]{2}\b";
    const EIRCODE: &str = r"(?i-u)^(?:[ac-fhknprtv-y][0-9]{2}|d6w) ?[0-9ac-fhknprtv-y]{4}\b";

    fn compiled(re: &'static str) -> Regex {
        thread_local! {
            static CACHE: std::cell::RefCell<std::collections::HashMap<&'static str, Regex>> = Default::default();
        }
        CACHE.with(|c| c.borrow_mut().entry(re).or_insert_with(|| Regex::new(re).unwrap()).clone())
    }

    fn all(re: &'static str, w: &str) -> Vec<(usize, usize)> {
        compiled(re).find_iter(w).map(|m| (m.start(), m.end())).collect()
    }

    fn first_end(re: &'static str, w: &str) -> Option<usize> {
        compiled(re).find(w).map(|m| m.end())
    }

    /// Pieces that make up emails, links and handles, and the characters that break them.
    const PIECES: &[&str] = &[
        "a", "Zo", "é", "\u{301}", "ł", "ß", "ก", "1", "07", "_", "-", ".", "..", "@", "%", "+", "/", ":", "www.", "WWW.", "http://",
        "https://", "HTTPS://", ".com", ".co.uk", ".uk", ".org", "co", "uk", "org", "com", "Com", "ly", "gg", "fans", "link", ".io", "(",
        ")", "[", "]", "<", ">", " ", "\n", "x", "me", "ie", "app", "net", "tv", "xxx", "'", ",", "!", "?", "#",
        // A Thai tone mark, an NKo accent, a Devanagari virama, an enclosing circle, a letter-like symbol.
        "\u{e49}", "\u{7ed}", "\u{94d}", "\u{20dd}", "น", "\u{2122}",
    ];

    #[test]
    fn the_generated_characters_read_the_same_both_ways() {
        let l_n = Regex::new(r"^[\p{L}\p{N}]$").unwrap();
        let l_m_n = Regex::new(r"^[\p{L}\p{M}\p{N}]$").unwrap();
        let w = Regex::new(r"^\w$").unwrap();
        for c in PIECES.iter().flat_map(|p| p.chars()) {
            let s = c.to_string();
            assert_eq!(ln(c), l_n.is_match(&s), "{c:?}");
            assert_eq!(lmn(c), l_m_n.is_match(&s), "{c:?}");
            assert_eq!(word_char(c), w.is_match(&s), "{c:?}");
        }
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..14).prop_map(|v| v.concat())
    }

    /// Codes: letters, digits and spaces where postcodes, registrations and Eircodes are.
    fn code() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 _]{0,10}[a-zA-Z0-9é.-]{0,2}"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn emails_are_what_the_expression_finds(w in text()) {
            prop_assert_eq!(emails(&w), all(EMAIL, &w), "{:?}", w);
        }

        #[test]
        fn links_are_what_the_expression_finds(w in text()) {
            prop_assert_eq!(links(&w), all(URL, &w), "{:?}", w);
        }

        #[test]
        fn handles_are_what_the_expression_finds(w in text()) {
            prop_assert_eq!(handles(&w), all(HANDLE, &w), "{:?}", w);
        }

        #[test]
        fn codes_are_what_the_expressions_find(w in code()) {
            prop_assert_eq!(registration(&w), first_end(REGISTRATION, &w), "{:?}", w);
            prop_assert_eq!(postcode(&w), first_end(POSTCODE, &w), "{:?}", w);
            prop_assert_eq!(eircode(&w), first_end(EIRCODE, &w), "{:?}", w);
        }
    }

    #[test]
    fn known_shapes() {
        let w = "mail jo.bloggs+x@mail.example.co.uk, see www.site.com/a/b) or shop-x.CO.UK! ask @sasha.lux. now";
        let got = |v: Vec<(usize, usize)>| v.into_iter().map(|(s, e)| w[s..e].to_owned()).collect::<Vec<_>>();
        assert_eq!(got(emails(w)), ["jo.bloggs+x@mail.example.co.uk"]);
        assert_eq!(got(links(w)), ["mail.example.co.uk", "www.site.com/a/b", "shop-x.CO.UK"]);
        assert_eq!(got(handles(w)), ["@mail.example.co.uk", "@sasha.lux"]);
        for (code, reg, post, eir) in [
            ("LS6 2AB", None, Some(7), None),
            ("sw1a1aa", None, Some(7), None),
            ("AB12 CDE", Some(8), None, None),
            ("D6W X123", None, None, Some(8)),
            ("A65F4E2", None, None, Some(7)),
            ("LS6 2ABC", None, None, None),
        ] {
            assert_eq!((registration(code), postcode(code), eircode(code)), (reg, post, eir), "{code}");
        }
    }

    #[test]
    fn a_long_word_of_dots_takes_one_pass() {
        // Without the skip over starts sure to fail, this is quadratic in the word's length.
        let w = "a.".repeat(5_000) + "b-";
        assert!(links(&w).is_empty());
        assert!(emails(&("a".repeat(10_000) + "@b-")).is_empty());
        assert_eq!(links(&("x-".repeat(3_000) + "y.com")).len(), 1);
    }
}
