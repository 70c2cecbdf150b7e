//! Words of a text with their byte positions, and the small facts about each that the rules read.

use super::lexicon::{COMMON_WORDS, STOPWORDS};

#[derive(Debug, Clone)]
pub(crate) struct Tok {
    pub s: usize,
    pub e: usize,
    /// Lower case.
    pub low: String,
    /// Starts with an upper-case letter.
    pub cap: bool,
    /// Only digits, or digits and one trailing letter ("14a").
    pub num: bool,
    /// First word of a sentence, a line or a quotation.
    pub start: bool,
    /// Part of an email, link or handle ("scarlett" in "scarlett.leeds@…"): not a word of the prose.
    pub embedded: bool,
}

impl Tok {
    pub fn stop(&self) -> bool {
        STOPWORDS.contains(self.low.as_str())
    }
    pub fn common(&self) -> bool {
        COMMON_WORDS.contains(self.low.as_str())
    }
}

/// Splits text into runs of letters and digits.
pub(crate) fn tokenize(text: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(text.len() / 5);
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push(make(text, s, i));
        }
    }
    if let Some(s) = start {
        out.push(make(text, s, text.len()));
    }
    out
}

fn make(text: &str, s: usize, e: usize) -> Tok {
    let w = &text[s..e];
    let low = w.to_lowercase();
    let cap = w.chars().next().is_some_and(char::is_uppercase);
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    let num = digits > 0 && (digits == w.len() || (w.len() == digits + 1 && w.as_bytes()[digits].is_ascii_alphabetic()));
    Tok { s, e, low, cap, num, start: sentence_start(text, s), embedded: embedded(text, s, e) }
}

fn sentence_start(text: &str, s: usize) -> bool {
    for c in text[..s].chars().rev() {
        match c {
            '\n' | '.' | '!' | '?' | ':' => return true,
            c if c.is_whitespace() => {}
            '"' | '\'' | '“' | '”' | '‘' | '’' | '(' | '[' | '*' | '-' | '–' | '—' => {}
            _ => return false,
        }
    }
    true
}

fn embedded(text: &str, s: usize, e: usize) -> bool {
    let before = text[..s].chars().next_back();
    let after = text[e..].chars().next();
    let joined = |c: Option<char>| matches!(c, Some('@' | '_' | '/' | '\\' | '=' | '#'));
    if joined(before) || joined(after) {
        return true;
    }
    // "name.surname" or "site.com": a dot with a letter on its far side.
    let dot_then_alnum = |rest: &str| {
        let mut cs = rest.chars();
        cs.next() == Some('.') && cs.next().is_some_and(char::is_alphanumeric)
    };
    let before_dot = text[..s].ends_with('.') && text[..s.saturating_sub(1)].chars().next_back().is_some_and(char::is_alphanumeric);
    dot_then_alnum(&text[e..]) || before_dot
}

/// The text between two words is no more than a space or a hyphen: they read as one name.
pub(crate) fn soft_gap(g: &str) -> bool {
    !g.is_empty() && g.len() <= 3 && g.chars().all(|c| c == ' ' || c == '-' || c == '\u{a0}' || c == '\t')
}

/// Like `soft_gap`, but a comma, a full stop of an abbreviation or a line break may stand between ("14, Kirkgate").
pub(crate) fn phrase_gap(g: &str) -> bool {
    !g.is_empty() && g.len() <= 4 && g.chars().all(|c| matches!(c, ' ' | '-' | '\u{a0}' | '\t' | ',' | '.' | '\'' | '’' | '\n'))
}
