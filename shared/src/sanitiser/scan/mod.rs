//! Finds what to keep and what to take out of one free text, and writes the text again with neutral words in place
//! of what was taken out.
//!
//! Two passes over the text, then the writing:
//! - [`contacts`]: emails, links, handles, phone numbers, postcodes and registrations, found by pattern over the raw text;
//! - [`words`]: word by word, the report's own names and phrases, third parties, and (through [`places`]) venues,
//!   addresses and streets;
//! - [`unknown`]: deny by default, what is left that the sanitiser cannot vouch for;
//! - [`spans`]: the claimed stretches of text, what replaces each, and the text written again.

mod contacts;
mod patterns;
mod places;
mod spans;
mod unknown;
mod words;

use super::profile::Profile;
use super::tokens::{Tok, tokenize};

pub(crate) use contacts::find_literal;
pub(crate) use spans::{Rep, Span};

pub(crate) struct Scan<'a> {
    text: &'a str,
    profile: &'a Profile,
    /// For each byte of `text`, whether a span holds it already: the first rule to claim a stretch wins.
    claimed: spans::Claimed,
    pub spans: Vec<Span>,
    toks: Vec<Tok<'a>>,
    /// Contact details not in the offender block that the text gives as his ("he rang from …"): kept, and added to
    /// the alert's lists. Phones, emails, handles.
    pub found_phones: Vec<String>,
    pub found_emails: Vec<String>,
    pub found_handles: Vec<String>,
    /// Whether capitals in this text mark names (see `unknown::capitals_mean_names`).
    caps_mean_names: bool,
    /// The words (folded) the deny-by-default pass withheld, to withhold in every other place too.
    pub withheld: Vec<String>,
}

impl<'a> Scan<'a> {
    /// The report's rules only, without deny by default: for checking a reviewer's own words, which may say what
    /// the report did not.
    pub fn run(text: &'a str, profile: &'a Profile) -> Self {
        Self::new(text, tokenize(text), profile, false)
    }

    /// Every rule, deny by default included, over a text of the report whose words are already split.
    pub fn with_tokens(text: &'a str, toks: Vec<Tok<'a>>, profile: &'a Profile) -> Self {
        Self::new(text, toks, profile, true)
    }

    fn new(text: &'a str, toks: Vec<Tok<'a>>, profile: &'a Profile, deny: bool) -> Self {
        let mut s = Scan {
            text,
            profile,
            claimed: spans::Claimed::new(text.len()),
            // Room for the spans of a usual report without growing.
            spans: Vec::with_capacity(16),
            toks: Vec::new(),
            found_phones: Vec::new(),
            found_emails: Vec::new(),
            found_handles: Vec::new(),
            caps_mean_names: true,
            withheld: Vec::new(),
        };
        s.toks = toks;
        s.contacts_and_codes();
        s.written_out_contacts();
        for t in &mut s.toks {
            t.pf = profile.facts(&t.low, t.street());
        }
        s.words();
        if deny {
            s.unknown_words();
        }
        s.spans.sort_by_key(|x| x.start);
        s
    }

    /// The words of the text, as `tokenize` gives them.
    pub fn tokens(&self) -> &[Tok<'a>] {
        &self.toks
    }

    /// Withholds what another text of the report withheld (`unknown::withhold_everywhere`).
    pub fn withhold_also(&mut self, forms: &super::lexicon::HashSet<String>) {
        let before = self.spans.len();
        self.withhold_everywhere(forms);
        if self.spans.len() > before {
            self.spans.sort_by_key(|x| x.start);
        }
    }
}
