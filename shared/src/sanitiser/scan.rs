//! Finds what to keep and what to take out of one free text, and writes the text again with neutral words in place
//! of what was taken out.

use std::sync::LazyLock;

use regex::Regex;

use crate::domain::alert::RedactionKind;
use crate::domain::phone::PhoneNumber;

use super::lexicon::{HOTEL_CHAINS, NOT_NAMES, STREET_SUFFIXES, canon_street, determiner, place_preposition, weak_venue_noun};
use super::lexicon::{follows_a_name, strong_venue_noun};
use super::profile::{Profile, is_shouting, normal_reg, strip_prefixes};
use super::tokens::{PF_FOUND, PF_KEEP, PF_PHRASE, PF_PROTECTED, PF_THIRD, PF_TOWN, PF_WORD, Tok, phrase_gap, soft_gap, tokenize};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)[a-z0-9][a-z0-9._%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+").unwrap()
});
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:https?://|www\.)[^\s<>()\[\]]+|(?-u:\b)[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:com|co\.uk|org\.uk|uk|net|org|io|me|ie|app|xxx|tv|fans|link|ly|gg)(?:/[^\s<>()\[\]]*)?(?-u:\b)").unwrap()
});
static HANDLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?").unwrap());
// Codes are matched where a word that starts with a letter holds a digit, anchored there (see `codes`).
static REGISTRATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)^[a-z]{2}[0-9]{2} ?[a-z]{3}\b").unwrap());
static POSTCODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)^[a-z]{1,2}[0-9][a-z0-9]? *[0-9][a-z]{2}\b").unwrap());
static EIRCODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i-u)^(?:[ac-fhknprtv-y][0-9]{2}|d6w) ?[0-9ac-fhknprtv-y]{4}\b").unwrap());

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rep {
    /// The offender's: protected from every later rule.
    Keep,
    Text(String),
    /// Taken out with the space before it: "my friend Kayla" reads "my friend".
    Drop,
}

#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub s: usize,
    pub e: usize,
    pub kind: Option<RedactionKind>,
    pub rep: Rep,
}

pub(crate) struct Scan<'a> {
    text: &'a str,
    p: &'a Profile,
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
    pub fn run(text: &'a str, p: &'a Profile) -> Self {
        Self::with_tokens(text, tokenize(text), p)
    }

    /// As `run`, with the words of `text` already split.
    pub fn with_tokens(text: &'a str, toks: Vec<Tok<'a>>, p: &'a Profile) -> Self {
        let mut s = Scan {
            text,
            p,
            claimed: vec![false; text.len()],
            spans: Vec::new(),
            toks: Vec::new(),
            found_phones: Vec::new(),
            found_emails: Vec::new(),
            found_handles: Vec::new(),
        };
        s.patterns();
        s.toks = toks;
        for t in &mut s.toks {
            t.pf = p.facts(&t.low);
        }
        s.words();
        s.spans.sort_by_key(|x| x.s);
        s
    }

    fn free(&self, s: usize, e: usize) -> bool {
        s < e && e <= self.text.len() && !self.claimed[s..e].iter().any(|&c| c)
    }

    fn add(&mut self, s: usize, e: usize, kind: Option<RedactionKind>, rep: Rep) -> bool {
        if !self.free(s, e) {
            return false;
        }
        self.claimed[s..e].iter_mut().for_each(|c| *c = true);
        self.spans.push(Span { s, e, kind, rep });
        true
    }

    fn keep(&mut self, s: usize, e: usize) -> bool {
        self.add(s, e, None, Rep::Keep)
    }

    fn remove(&mut self, s: usize, e: usize, kind: RedactionKind, rep: &str) -> bool {
        self.add(s, e, Some(kind), Rep::Text(rep.to_owned()))
    }

    // ---- pass 1: contact details, numbers and codes, found by pattern over the raw text ----

    fn patterns(&mut self) {
        let p = self.p;
        // The text in ASCII lower case (same byte offsets), made only when there is something to look for in it.
        let needles = !(p.offender_handles.is_empty() && p.offender_emails.is_empty() && p.reporter_needles.is_empty());
        let lower = if needles { self.text.to_ascii_lowercase() } else { String::new() };
        for needle in p.offender_handles.iter().chain(&p.offender_emails) {
            for (s, e) in find_literal(&lower, needle) {
                let s = if s > 0 && self.text.as_bytes()[s - 1] == b'@' { s - 1 } else { s };
                self.keep(s, e);
            }
        }
        let has_at = self.text.contains('@');
        for m in if has_at { EMAIL.find_iter(self.text).collect::<Vec<_>>() } else { Vec::new() } {
            let low = m.as_str().to_lowercase();
            if p.offender_emails.contains(&low) {
                self.keep(m.start(), m.end());
            } else if p.reporter_email.as_deref() == Some(low.as_str()) {
                self.remove(m.start(), m.end(), RedactionKind::ReporterContact, "an email address");
            } else if self.his(m.start()) {
                if self.keep(m.start(), m.end()) {
                    self.found_emails.push(m.as_str().to_owned());
                }
            } else {
                self.remove(m.start(), m.end(), RedactionKind::Email, "an email address");
            }
        }
        for m in URL.find_iter(self.text).collect::<Vec<_>>() {
            let low = m.as_str().to_lowercase();
            if p.offender_handles.iter().any(|h| low.contains(h.as_str())) {
                self.keep(m.start(), m.end());
            } else if p.reporter_needles.iter().any(|h| low.contains(h.as_str())) {
                self.remove(m.start(), m.end(), RedactionKind::ReporterContact, "a link");
            } else {
                self.remove(m.start(), m.end(), RedactionKind::Other, "a link");
            }
        }
        for m in if has_at { HANDLE.find_iter(self.text).collect::<Vec<_>>() } else { Vec::new() } {
            let before = self.text[..m.start()].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_') {
                continue;
            }
            let key = m.as_str()[1..].to_lowercase();
            if p.offender_handles.contains(&key) {
                self.keep(m.start(), m.end());
            } else if p.reporter_handles.contains(&key) {
                self.remove(m.start(), m.end(), RedactionKind::ReporterContact, "an account");
            } else if self.his(m.start()) {
                if self.keep(m.start(), m.end()) {
                    self.found_handles.push(m.as_str().to_owned());
                }
            } else {
                self.remove(m.start(), m.end(), RedactionKind::Handle, "an account");
            }
        }
        for needle in &p.reporter_needles {
            for (s, e) in find_literal(&lower, needle) {
                self.remove(s, e, RedactionKind::ReporterContact, "an account");
            }
        }
        self.phones();
        let starts = self.code_starts();
        for &(s, window) in &starts {
            if let Some(m) = REGISTRATION.find(&self.text[s..window]) {
                self.keep(s, s + m.end());
            }
        }
        for &(s, window) in &starts {
            let hay = &self.text[s..window];
            let Some(m) = POSTCODE.find(hay).or_else(|| EIRCODE.find(hay)) else { continue };
            let code = m.as_str();
            // An Eircode's last part mixes letters and digits; a bare word of code letters is prose.
            let looks_like_code = code.chars().filter(char::is_ascii_digit).count() >= 2 || code == code.to_uppercase();
            if looks_like_code && !p.offender_regs.contains(&normal_reg(code)) {
                self.remove(s, s + m.end(), RedactionKind::Postcode, "an address nearby");
            }
        }
    }

    /// Where a postcode, Eircode or registration may start: a word that begins with an ASCII letter and has a digit in
    /// its first four characters. With each, the end of a window long enough for any of them and the character after.
    fn code_starts(&self) -> Vec<(usize, usize)> {
        let b = self.text.as_bytes();
        let mut out = Vec::new();
        for i in 0..b.len() {
            let word_start = b[i].is_ascii_alphabetic() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] >= 0x80));
            if word_start && b[i + 1..b.len().min(i + 5)].iter().any(u8::is_ascii_digit) {
                let mut end = b.len().min(i + 24);
                while !self.text.is_char_boundary(end) {
                    end += 1;
                }
                out.push((i, end));
            }
        }
        out
    }

    /// Whether the words before a contact detail give it as the offender's ("he rang from", "his number is") and not
    /// as the reporter's or someone else's ("my work number", "her mate's number").
    fn his(&self, at: usize) -> bool {
        let before = &self.text[..at];
        let from = before.rfind(['.', '!', '?', '\n']).map_or(0, |x| x + 1);
        let mut from = from.max(at.saturating_sub(100));
        while !before.is_char_boundary(from) {
            from += 1;
        }
        let words: Vec<Tok> = tokenize(&before[from..]);
        let recent = &words[words.len().saturating_sub(4)..];
        if recent.iter().any(|w| matches!(&*w.low, "my" | "our" | "her" | "she" | "mine" | "their" | "i") || w.role().is_some()) {
            return false;
        }
        words.iter().any(|w| matches!(&*w.low, "he" | "his" | "him" | "hes") || self.p.keep_words.contains(&*w.low))
    }

    /// Phone numbers in any layout: compared by their national digits with the offender's and the reporter's.
    fn phones(&mut self) {
        let p = self.p;
        let b = self.text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let at_start = (c.is_ascii_digit() || c == b'+' || c == b'(')
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.' || b[i - 1] == b'_' || b[i - 1] == b'@'));
            if !at_start || self.claimed[i] {
                i += 1;
                continue;
            }
            // Walk over digits and separators; remember where each group of digits ends.
            let mut j = i;
            let mut digits = String::new();
            let mut ends: Vec<(usize, usize)> = Vec::new();
            let mut last_sep_run = 0;
            while j < b.len() {
                let d = b[j];
                if d.is_ascii_digit() {
                    digits.push(d as char);
                    last_sep_run = 0;
                    let next = b.get(j + 1).copied();
                    if !next.is_some_and(|n| n.is_ascii_digit()) {
                        ends.push((j + 1, digits.len()));
                    }
                } else if matches!(d, b' ' | b'-' | b'.' | b'(' | b')' | b'+') && j > i || (j == i && matches!(d, b'+' | b'(')) {
                    last_sep_run += 1;
                    if last_sep_run > 2 || (d == b'+' && j > i) {
                        break;
                    }
                } else {
                    break;
                }
                if digits.len() > 16 {
                    break;
                }
                j += 1;
            }
            let international = c == b'+';
            let mut matched = None;
            for &(end, n) in ends.iter().rev() {
                if !(9..=15).contains(&n) {
                    continue;
                }
                // A word straight after the digits ("07700900111abc") is not a number.
                if b.get(end).is_some_and(|x| x.is_ascii_alphabetic()) {
                    continue;
                }
                let d = &digits[..n];
                let nd = strip_prefixes(d, international);
                let raw = &self.text[i..end];
                let kind = if p.offender_phone_digits.iter().any(|o| o == nd) {
                    None
                } else if p.reporter_phone_digits.as_deref() == Some(nd) {
                    Some(RedactionKind::ReporterContact)
                } else if n >= 10 && PhoneNumber::parse(raw).is_ok() && (raw.starts_with(['0', '+', '(']) || n >= 11) {
                    if self.his(i) {
                        self.found_phones.push(raw.to_owned());
                        None
                    } else {
                        Some(RedactionKind::Phone)
                    }
                } else {
                    continue;
                };
                matched = Some((end, kind));
                break;
            }
            match matched {
                Some((end, kind)) => {
                    let s = if c == b'(' && !self.text[i..end].contains(')') { i + 1 } else { i };
                    match kind {
                        None => self.keep(s, end),
                        Some(k) => self.remove(s, end, k, "a phone number"),
                    };
                    i = end;
                }
                None => i += 1,
            }
        }
    }

    // ---- pass 2: words ----

    fn gap(&self, i: usize) -> &str {
        if i == 0 || i >= self.toks.len() { "" } else { &self.text[self.toks[i - 1].e..self.toks[i].s] }
    }

    fn tok_free(&self, i: usize) -> bool {
        self.toks.get(i).is_some_and(|t| self.free(t.s, t.e))
    }

    fn words(&mut self) {
        let n = self.toks.len();
        let mut i = 0;
        while i < n {
            if !self.tok_free(i) {
                i += 1;
                continue;
            }
            i = self.word_at(i).max(i + 1);
        }
    }

    /// Applies the first rule that matches at word `i`; returns the index of the word after what it took.
    fn word_at(&mut self, i: usize) -> usize {
        let p = self.p;
        let (ts, te, tcap, tembedded) = {
            let t = &self.toks[i];
            (t.s, t.e, t.cap, t.embedded)
        };
        let shouting = is_shouting(self.text, &self.toks[i]);
        // The offender's registration split over two words, in any case.
        let has_digit = |k: usize| self.toks.get(k).is_some_and(|x| x.low.bytes().any(|b| b.is_ascii_digit()));
        let maybe_reg = !p.offender_regs.is_empty() && (has_digit(i) || has_digit(i + 1));
        for len in [1usize, 2] {
            if i + len <= self.toks.len() && maybe_reg {
                let last = &self.toks[i + len - 1];
                if len == 2 && !soft_gap(self.gap(i + 1)) {
                    continue;
                }
                let joined = normal_reg(&self.text[ts..last.e]);
                if p.offender_regs.contains(&joined) {
                    self.keep(ts, last.e);
                    return i + len;
                }
            }
        }
        if let Some(end) = self.phrase_at(i) {
            return end;
        }
        let pf = self.toks[i].pf;
        if pf & PF_KEEP != 0 {
            self.keep(ts, te);
            return i + 1;
        }
        let word = if pf & PF_WORD != 0 { p.words.get(&*self.toks[i].low).copied() } else { None };
        // A word that is also common English is only the name when capitalised; inside an address or handle only
        // the reporter's own words count.
        if let Some(w) = word.filter(|w| (!w.cap_only || tcap) && (w.kind == RedactionKind::ReporterIdentity || !tembedded)) {
            self.remove_word(i, i, w.kind, w.rep, true);
            return i + 1;
        }
        if let Some(end) = self.venue_at(i) {
            return end;
        }
        if let Some(end) = self.address_at(i) {
            return end;
        }
        if let Some(end) = self.street_at(i) {
            return end;
        }
        let third = if pf & PF_THIRD != 0 { p.third.get(&*self.toks[i].low).copied() } else { None };
        if let Some(th) = third.filter(|th| !tembedded && (!th.cap_only || (tcap && !shouting))) {
            let after_role = i > 0 && self.toks[i - 1].role().is_some() && self.gap(i).trim().len() <= 1;
            let after_name = i > 0 && self.toks[i - 1].pf & PF_THIRD != 0 && soft_gap(self.gap(i));
            // "Rhys my driver came up" reads "My driver came up".
            let before_role = self.toks.get(i + 2).is_some_and(|r| r.role().is_some())
                && matches!(self.toks.get(i + 1).map(|x| &*x.low), Some("my" | "our"))
                && soft_gap(self.gap(i + 1));
            if after_role || after_name || before_role {
                self.drop_word(i);
            } else {
                self.remove_word(i, i, RedactionKind::ThirdPartyName, th.role.words(), true);
            }
            return i + 1;
        }
        if pf & PF_FOUND != 0 {
            self.keep(ts, te);
            return i + 1;
        }
        if self.given_name_at(i) {
            self.remove_word(i, i, RedactionKind::ThirdPartyName, "someone", true);
        }
        i + 1
    }

    /// Takes out words `a..=b`; with `possessive`, a following "'s" goes too and the replacement takes it.
    fn remove_word(&mut self, a: usize, b: usize, kind: RedactionKind, rep: &str, possessive: bool) {
        let (mut s, mut e) = (self.toks[a].s, self.toks[b].e);
        let mut rep = rep.to_owned();
        if possessive {
            let rest = &self.text[e..];
            for ap in ["'s", "’s", "'S"] {
                if rest.starts_with(ap) && !rest[ap.len()..].chars().next().is_some_and(char::is_alphanumeric) {
                    e += ap.len();
                    rep.push_str("'s");
                    break;
                }
            }
        }
        // "at the Velvet Rooms" reads "at a venue", not "at the a venue".
        if (rep.starts_with("a ") || rep.starts_with("an ") || rep == "someone") && a > 0 {
            let prev = &self.toks[a - 1];
            if prev.low == "the" && soft_gap(self.gap(a)) && self.free(prev.s, prev.e) {
                s = prev.s;
            }
        }
        if !self.free(s, e) {
            s = self.toks[a].s;
        }
        self.remove(s, e, kind, &rep);
    }

    fn drop_word(&mut self, i: usize) {
        let t = &self.toks[i];
        let (s, mut e) = (t.s, t.e);
        let rest = &self.text[e..];
        for ap in ["'s", "’s"] {
            if rest.starts_with(ap) {
                e += ap.len();
                // "my friend Kayla's flat" reads "my friend's flat".
                self.add(s, e, Some(RedactionKind::ThirdPartyName), Rep::Text("'s".into()));
                return;
            }
        }
        self.add(s, e, Some(RedactionKind::ThirdPartyName), Rep::Drop);
    }

    /// Longest of the report's phrases that starts at word `i`.
    fn phrase_at(&mut self, i: usize) -> Option<usize> {
        let p = self.p;
        if self.toks[i].pf & PF_PHRASE == 0 {
            return None;
        }
        let first = canon_street(&self.toks[i].low);
        let list = p.phrases.get(first)?;
        for ph in list {
            let n = ph.words.len();
            if i + n > self.toks.len() {
                continue;
            }
            let ok = (0..n).all(|k| {
                let t = &self.toks[i + k];
                canon_street(&t.low) == ph.words[k] && (k == 0 || phrase_gap(self.gap(i + k))) && self.free(t.s, t.e)
            });
            if ok {
                // A phrase of the offender's own words ("Lee" inside a venue name) does not take them.
                if n == 1 && p.keep_words.contains(&ph.words[0]) {
                    continue;
                }
                self.remove_word(i, i + n - 1, ph.kind, ph.rep, true);
                return Some(i + n);
            }
        }
        None
    }

    fn protected(&self, t: &Tok) -> bool {
        t.pf & PF_PROTECTED != 0
    }

    /// A capitalised word that can be part of a proper name.
    fn cap_name_word(&self, t: &Tok) -> bool {
        t.cap && !t.num && !t.stop() && !t.calendar() && !self.protected(t) && t.venue().is_none()
    }

    /// Venues named in the text: "the Amber Lounge sauna", "Harbour View Hotel", "the irwell court hotel",
    /// "hotel Marlowe Grand", "the Premier Inn on Deansgate".
    fn venue_at(&mut self, i: usize) -> Option<usize> {
        let n = self.toks.len();
        let t = self.toks[i].clone();
        let is_the = t.low == "the";
        let j = if is_the { i + 1 } else { i };
        if j >= n || (is_the && !soft_gap(self.gap(j))) {
            return None;
        }
        // Hotel chains.
        let chains: &[&[&str]] = if self.toks[j].chain_start() { HOTEL_CHAINS } else { &[] };
        for chain in chains {
            let len = chain.len();
            if j + len <= n && (0..len).all(|k| self.toks[j + k].low == chain[k] && (k == 0 || soft_gap(self.gap(j + k)))) {
                let end = self.extend_venue(j + len - 1);
                return self.take_venue(i, j, end, "a hotel");
            }
        }
        // Capitalised name, then a venue noun.
        let mut k = j;
        while k < n && k < j + 4 && (k == j || soft_gap(self.gap(k))) && self.tok_free(k) && self.cap_name_word(&self.toks[k]) {
            k += 1;
        }
        if k > j && k < n && soft_gap(self.gap(k)) {
            let k = self.last_venue_noun(k);
            if let Some(rep) = self.toks[k].venue() {
                let run = &self.toks[j..k];
                let distinctive = run.iter().any(|r| !r.common() || !r.start) && !run.iter().all(|r| is_shouting(self.text, r));
                if distinctive {
                    let end = self.extend_venue(k);
                    return self.take_venue(i, j, end, rep);
                }
            }
        }
        // Lower case: "the irwell court hotel", "at lotus blossom massage".
        if matches!(&*t.low, "the" | "at" | "to" | "from" | "in") {
            let j = i + 1;
            let mut k = j;
            while k < n && k < j + 3 && soft_gap(self.gap(k)) && self.tok_free(k) && {
                let w = &self.toks[k];
                !w.cap && !w.num && !w.stop() && !self.protected(w) && w.venue().is_none()
            } {
                k += 1;
            }
            let named = |ws: &[Tok], noun: &str| {
                ws.iter().any(|w| !w.common())
                    || (strong_venue_noun(noun)
                        && !ws.iter().any(|w| matches!(&*w.low, "same" | "other" | "usual" | "whole" | "only" | "own" | "nearest")))
            };
            if k > j && k < n && soft_gap(self.gap(k)) && named(&self.toks[j..k], &self.toks[k].low) {
                let k = self.last_venue_noun(k);
                if let Some(rep) = self.toks[k].venue().filter(|_| !weak_venue_noun(&self.toks[k].low)) {
                    let start = if is_the { i } else { j };
                    let end = self.extend_venue(k);
                    return self.take_venue(start, j, end, rep);
                }
            }
        }
        // A bare name with its street: "at Silks on Holmeside".
        if t.low == "at" && !is_the {
            let j = i + 1;
            let mut k = j;
            while k < n && k < j + 3 && soft_gap(self.gap(k)) && self.tok_free(k) && {
                let w = &self.toks[k];
                self.cap_name_word(w) && !w.start && (w.pf & PF_TOWN == 0) && w.pf & PF_THIRD == 0
            } {
                k += 1;
            }
            if k > j && k < n && matches!(&*self.toks[k].low, "on" | "off") {
                let end = self.extend_venue(k - 1);
                if end >= k {
                    return self.take_venue(j, j, end, "a venue");
                }
            }
            // "I work at Silks": a name after "at" that is no word, person or town we know is a place.
            let unknown = |w: &Tok| !w.common() && !w.given() && w.low.chars().count() >= 3 && !is_shouting(self.text, w);
            // Not when it only qualifies the next word ("at Leeds station").
            let qualifies = self.toks.get(k).is_some_and(|w| !w.cap && !w.stop() && !w.num) && soft_gap(self.gap(k));
            if k > j && k <= j + 2 && !qualifies && self.toks[j..k].iter().all(unknown) {
                return self.take_venue(j, j, k - 1, "a place");
            }
        }
        // Venue noun, then its name: "hotel Marlowe Grand", "Sauna Blue".
        if let Some(rep) = self.toks[j].venue().filter(|_| !weak_venue_noun(&self.toks[j].low)) {
            let mut k = j + 1;
            while k < n && k < j + 4 && soft_gap(self.gap(k)) && self.tok_free(k) && {
                let w = &self.toks[k];
                self.cap_name_word(w) && !w.start && (w.pf & PF_TOWN == 0) && !w.given()
            } {
                k += 1;
            }
            if k > j + 1 {
                let end = self.extend_venue(k - 1);
                return self.take_venue(i, j, end, rep);
            }
        }
        None
    }

    /// "Amber Lounge sauna": the last of the venue nouns in a row names the kind of place.
    fn last_venue_noun(&self, mut k: usize) -> usize {
        while self.toks[k].venue().is_some() && k + 1 < self.toks.len() && soft_gap(self.gap(k + 1)) && self.toks[k + 1].venue().is_some() {
            k += 1;
        }
        k
    }

    /// "… on Deansgate", "… by the Quayside": the place after a venue goes with it.
    fn extend_venue(&self, k: usize) -> usize {
        let n = self.toks.len();
        let mut m = k + 1;
        if m < n && matches!(&*self.toks[m].low, "on" | "off" | "near" | "by") && soft_gap(self.gap(m)) {
            m += 1;
            if m < n && self.toks[m].low == "the" && soft_gap(self.gap(m)) {
                m += 1;
            }
            let start = m;
            while m < n && m < start + 3 && soft_gap(self.gap(m)) && self.tok_free(m) && {
                let w = &self.toks[m];
                self.cap_name_word(w) && (w.pf & PF_TOWN == 0)
            } {
                m += 1;
            }
            if m > start {
                // Take a street word after the name too ("on Chapel Street").
                if m < n && soft_gap(self.gap(m)) && self.toks[m].street() {
                    m += 1;
                }
                return m - 1;
            }
        }
        k
    }

    fn take_venue(&mut self, i: usize, j: usize, end: usize, rep: &str) -> Option<usize> {
        let s = if i < j { self.toks[i].s } else { self.toks[j].s };
        let e = self.toks[end].e;
        if self.remove(s, e, RedactionKind::Venue, rep) { Some(end + 1) } else { None }
    }

    /// A house number and a street: "14 Kirkgate Road", "flat 3, 18 montpelier terrace", "27 Magdalen St".
    fn address_at(&mut self, i: usize) -> Option<usize> {
        let n = self.toks.len();
        let mut j = i;
        if matches!(&*self.toks[j].low, "flat" | "apartment" | "apt" | "unit" | "no")
            && j + 1 < n
            && self.toks[j + 1].num
            && soft_gap(self.gap(j + 1))
        {
            j += 1;
        }
        let num = &self.toks[j];
        if !num.num || num.low.len() > 5 {
            return None;
        }
        let before = self.text[..num.s].chars().next_back();
        if before.is_some_and(|c| matches!(c, '£' | '$' | '€' | '#' | '/' | ':' | '.')) {
            return None;
        }
        // "flat 3, 18 montpelier terrace": a second number after the flat's.
        if j + 1 < n && self.toks[j + 1].num && self.gap(j + 1).trim() == "," {
            j += 1;
        }
        let start = j + 1;
        let mut k = start;
        while k < n && k < start + 4 && (k == start && matches!(self.gap(k).trim(), "" | ",") || soft_gap(self.gap(k))) && self.tok_free(k)
        {
            let w = &self.toks[k];
            if w.num || w.calendar() || self.protected(w) {
                break;
            }
            if k > start && w.street() {
                let e = self.toks[k].e;
                let s = self.toks[i].s;
                return self.remove(s, e, RedactionKind::Address, "an address nearby").then_some(k + 1);
            }
            if w.stop() {
                break;
            }
            k += 1;
        }
        None
    }

    /// A street without a number: "Crown Street", "on chapel street", "Leith Walk".
    fn street_at(&mut self, i: usize) -> Option<usize> {
        let n = self.toks.len();
        let t = &self.toks[i];
        // Capitalised: one to three name words and a capitalised street word.
        if self.cap_name_word(t) {
            let mut k = i;
            while k < n && k < i + 3 && (k == i || soft_gap(self.gap(k))) && self.tok_free(k) && self.cap_name_word(&self.toks[k]) {
                let next = k + 1;
                if next < n && soft_gap(self.gap(next)) && self.toks[next].cap {
                    let suffix = canon_street(&self.toks[next].low);
                    if STREET_SUFFIXES.contains_key(suffix) && !legal_court(&self.toks[k].low, suffix) {
                        let rep = building_or_street(suffix);
                        let (s, e) = (self.toks[i].s, self.toks[next].e);
                        return self.remove(s, e, RedactionKind::Address, rep).then_some(next + 1);
                    }
                }
                k += 1;
            }
        }
        // Lower case after a preposition, with a strong street word: "on chapel street".
        if place_preposition(&t.low) {
            let start = i + 1;
            let mut k = start;
            while k < n && k < start + 2 && soft_gap(self.gap(k)) && self.tok_free(k) && {
                let w = &self.toks[k];
                !w.num && !w.stop() && !self.protected(w) && !w.street()
            } {
                k += 1;
            }
            if k > start && k < n && soft_gap(self.gap(k)) {
                let suffix = canon_street(&self.toks[k].low);
                if STREET_SUFFIXES.get(suffix).copied().unwrap_or(false) && !(suffix == "street" && self.toks[k - 1].low == "high") {
                    let (s, e) = (self.toks[start].s, self.toks[k].e);
                    return self.remove(s, e, RedactionKind::Address, "a nearby street").then_some(k + 1);
                }
            }
        }
        None
    }

    /// A given name from the shipped list, taken as a third party's: in any case when the name is not also an
    /// English word; capitalised in mid-sentence when it is ("Precious" but not "precious").
    fn given_name_at(&self, i: usize) -> bool {
        let t = &self.toks[i];
        let w = &*t.low;
        if t.embedded || t.num || !t.given() || self.protected(t) || (t.pf & PF_TOWN != 0) || t.calendar() {
            return false;
        }
        if NOT_NAMES.contains(w) || (!t.cap && i > 0 && determiner(&self.toks[i - 1].low)) {
            return false;
        }
        if t.common() {
            let verb_after = self.toks.get(i + 1).is_some_and(|n| follows_a_name(&n.low)) && soft_gap(self.gap(i + 1));
            return t.cap
                && (!t.start || verb_after)
                && !is_shouting(self.text, t)
                && !self.toks.get(i.wrapping_sub(1)).is_some_and(|p| matches!(&*p.low, "the" | "a" | "an"));
        }
        true
    }

    /// Writes the text again with each span's replacement. Neighbouring address parts ("18 montpelier terrace, bn1
    /// 3dg") become one "an address nearby".
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut pos = 0;
        let mut last_addr = false;
        let mut cap_next = false;
        for sp in &self.spans {
            let gap = &self.text[pos..sp.s];
            let gap = &*capitalise_first(gap, &mut cap_next);
            let addr = matches!(sp.kind, Some(RedactionKind::Address | RedactionKind::Postcode));
            match &sp.rep {
                Rep::Keep => {
                    out.push_str(gap);
                    out.push_str(&capitalise_first(&self.text[sp.s..sp.e], &mut cap_next));
                    last_addr = false;
                }
                Rep::Drop => {
                    out.push_str(gap);
                    let trimmed = out.trim_end_matches([' ', ',', '-']).len();
                    out.truncate(trimmed);
                    cap_next = sentence_start(&out);
                    last_addr = false;
                }
                Rep::Text(r) => {
                    if addr && last_addr && gap.chars().all(|c| c == ' ' || c == ',') {
                        pos = sp.e;
                        continue;
                    }
                    out.push_str(gap);
                    if r.starts_with('\'') {
                        let trimmed = out.trim_end().len();
                        out.truncate(trimmed);
                    }
                    if sentence_start(&out) {
                        let mut cs = r.chars();
                        if let Some(f) = cs.next() {
                            out.extend(f.to_uppercase());
                            out.push_str(cs.as_str());
                        }
                    } else {
                        out.push_str(r);
                    }
                    last_addr = addr;
                }
            }
            pos = sp.e;
        }
        out.push_str(&capitalise_first(&self.text[pos..], &mut cap_next));
        if self.spans.iter().any(|sp| sp.rep == Rep::Drop) { tidy(&out) } else { out }
    }
}

/// Spaces left doubled where a name was dropped, and a space left before punctuation. Works on bytes: it only
/// ever drops an ASCII space, so the text stays valid UTF-8.
fn tidy(s: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut last = b'\n';
    // The last byte written that is not a space.
    let mut before_space = b'\n';
    for &c in s.as_bytes() {
        if c == b' ' && last == b' ' {
            continue;
        }
        if matches!(c, b',' | b'.' | b')' | b'!' | b'?' | b';' | b':')
            && last == b' '
            && (before_space.is_ascii_alphanumeric() || before_space >= 0x80 || before_space == b')' || before_space == b'\'')
        {
            out.pop();
        }
        if c != b' ' {
            before_space = c;
        }
        last = c;
        out.push(c);
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Upper-cases the first letter of `s` when `pending`, and clears `pending` once a letter or digit is seen.
fn capitalise_first<'s>(s: &'s str, pending: &mut bool) -> std::borrow::Cow<'s, str> {
    if !*pending {
        return s.into();
    }
    match s.char_indices().find(|(_, c)| c.is_alphanumeric()) {
        Some((i, c)) => {
            *pending = false;
            let mut out = String::with_capacity(s.len() + 2);
            out.push_str(&s[..i]);
            out.extend(c.to_uppercase());
            out.push_str(&s[i + c.len_utf8()..]);
            out.into()
        }
        None => s.into(),
    }
}

fn sentence_start(out: &str) -> bool {
    let mut quoted = false;
    for c in out.chars().rev() {
        match c {
            '\n' | '.' | '!' | '?' => return true,
            ':' => return quoted,
            c if c.is_whitespace() => {}
            '"' | '“' | '‘' | '(' | '\'' => quoted = true,
            _ => return false,
        }
    }
    true
}

fn legal_court(word: &str, suffix: &str) -> bool {
    suffix == "court" && matches!(word, "crown" | "high" | "county" | "magistrates" | "supreme" | "family" | "sheriff" | "youth")
}

fn building_or_street(suffix: &str) -> &'static str {
    if matches!(suffix, "court" | "house" | "towers" | "mansions" | "buildings") { "a building nearby" } else { "a nearby street" }
}

/// Places where `needle` (lower case) stands in `hay` (ASCII-lower-cased) as a whole: not inside a longer word,
/// handle or address.
pub(crate) fn find_literal(hay: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let joins = |c: char| c.is_alphanumeric() || c == '_' || c == '@';
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let s = from + pos;
        let e = s + needle.len();
        let before_ok = !hay[..s].chars().next_back().is_some_and(joins);
        let after_ok =
            !hay[e..].chars().next().is_some_and(|c| joins(c) || (c == '.' && hay[e + 1..].starts_with(|d: char| d.is_alphanumeric())));
        if before_ok && after_ok {
            out.push((s, e));
        }
        from = s + needle.len().max(1);
        while !hay.is_char_boundary(from) {
            from += 1;
        }
    }
    out
}
