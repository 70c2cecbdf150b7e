//! Finds what to keep and what to take out of one free text, and writes the text again with neutral words in place
//! of what was taken out.
//!
//! Two passes over the text, then the writing:
//! - [`contacts`]: emails, links, handles, phone numbers, postcodes and registrations, found by pattern over the raw text;
//! - [`words`]: word by word, the report's own names and phrases, third parties, and (through [`places`]) venues,
//!   addresses and streets;
//! - [`spans`]: the claimed stretches of text, what replaces each, and the text written again.

mod contacts;
mod places;
mod spans;
mod words;

use super::profile::Profile;
use super::tokens::{Tok, tokenize};

pub(crate) use contacts::find_literal;
pub(crate) use spans::{Rep, Span};

pub(crate) struct Scan<'a> {
    text: &'a str,
    profile: &'a Profile,
    /// For each byte of `text`, whether a span holds it already: the first rule to claim a stretch wins.
    claimed: Vec<bool>,
    pub spans: Vec<Span>,
    toks: Vec<Tok<'a>>,
    /// Contact details not in the offender block that the text gives as his ("he rang from …"): kept, and added to
    /// the alert's lists. Phones, emails, handles.
    pub found_phones: Vec<String>,
    pub found_emails: Vec<String>,
    pub found_handles: Vec<String>,
}

impl<'a> Scan<'a> {
    pub fn run(text: &'a str, profile: &'a Profile) -> Self {
        Self::with_tokens(text, tokenize(text), profile)
    }

    /// As `run`, with the words of `text` already split.
    pub fn with_tokens(text: &'a str, toks: Vec<Tok<'a>>, profile: &'a Profile) -> Self {
        let mut s = Scan {
            text,
            profile,
            claimed: vec![false; text.len()],
            spans: Vec::new(),
            toks: Vec::new(),
            found_phones: Vec::new(),
            found_emails: Vec::new(),
            found_handles: Vec::new(),
        };
        s.contacts_and_codes();
        s.toks = toks;
        for t in &mut s.toks {
            t.pf = profile.facts(&t.low);
        }
        s.words();
        s.spans.sort_by_key(|x| x.start);
        s
    }
}
