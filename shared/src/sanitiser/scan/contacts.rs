//! Pass 1: contact details, numbers and codes, found by pattern over the raw text. The offender's are kept wherever
//! they stand; the reporter's and anyone else's are taken out.

use crate::domain::alert::RedactionKind;
use crate::domain::phone::PhoneNumber;

use super::Scan;
use super::patterns;
use crate::sanitiser::fold::{Folded, fold, is_mark};
use crate::sanitiser::profile::{normal_reg, strip_prefixes};
use crate::sanitiser::tokens::{Tok, tokenize};

impl Scan<'_> {
    /// Emails, links, handles, the reporter's own account names, phone numbers, then registrations and postcodes.
    pub(super) fn contacts_and_codes(&mut self) {
        let p = self.profile;
        // The text folded as the needles are (`fold`), made only when there is something to look for in it.
        let needles = !(p.offender_handles.is_empty() && p.offender_emails.is_empty() && p.reporter_needles.is_empty());
        let lower = if needles { Folded::new(self.text) } else { Folded::new("") };
        for needle in p.offender_handles.iter().chain(&p.offender_emails) {
            for (s, e) in find_folded(&lower, needle) {
                let s = if s > 0 && self.text.as_bytes()[s - 1] == b'@' { s - 1 } else { s };
                self.keep(s, e);
            }
        }
        let has_at = |w: &str| w.contains('@');
        for (s, e) in matches_in_words(patterns::emails, self.text, b"@", has_at) {
            let m = self.text[s..e].to_owned();
            self.classify_email(s, e, &m);
        }
        for (s, e) in matches_in_words(patterns::links, self.text, b".:", may_hold_link) {
            let low = fold(&self.text[s..e]);
            if p.offender_handles.iter().any(|h| low.contains(h.as_str())) {
                self.keep(s, e);
            } else if p.reporter_needles.iter().any(|h| low.contains(h.as_str())) {
                self.remove(s, e, RedactionKind::ReporterContact, "a link");
            } else {
                self.remove(s, e, RedactionKind::Other, "a link");
            }
        }
        for (s, e) in matches_in_words(patterns::handles, self.text, b"@", has_at) {
            let m = &self.text[s..e];
            let before = self.text[..s].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_') {
                continue;
            }
            let (key, shown) = (fold(&m[1..]), m.to_owned());
            self.classify_handle(s, e, &key, &shown);
        }
        for needle in &p.reporter_needles {
            for (s, e) in find_folded(&lower, needle) {
                self.remove(s, e, RedactionKind::ReporterContact, "an account");
            }
        }
        self.phones();
        let starts = self.code_starts();
        for &(s, window) in &starts {
            if let Some(end) = patterns::registration(&self.text[s..window]) {
                self.keep(s, s + end);
            }
        }
        for &(s, window) in &starts {
            let hay = &self.text[s..window];
            let Some(end) = patterns::postcode(hay).or_else(|| patterns::eircode(hay)) else { continue };
            let code = &hay[..end];
            // An Eircode's last part mixes letters and digits; a bare word of code letters is prose.
            let looks_like_code = code.chars().filter(char::is_ascii_digit).count() >= 2 || code == code.to_uppercase();
            if looks_like_code && !p.offender_regs.contains(&normal_reg(code)) {
                self.remove(s, s + end, RedactionKind::Postcode, "an address nearby");
            }
        }
    }

    /// Contacts written so no pattern above finds them: an email spelt out ("name dot x at example dot org", "name
    /// (at) example (dot) com"), a handle with no '@' ("sasha.lux.x", "jaz_xo"), and an account name after an app's
    /// name ("insta calfraser84"). Kept and listed where the text gives them as his, else taken out.
    pub(super) fn written_out_contacts(&mut self) {
        self.spelt_emails();
        self.bare_handles();
    }

    fn spelt_emails(&mut self) {
        let n = self.toks.len();
        let sep = |g: &str| g.chars().all(|c| matches!(c, ' ' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>'));
        for i in 1..n.saturating_sub(3) {
            if self.toks[i].low != "at" || !sep(self.gap(i)) || !sep(self.gap(i + 1)) {
                continue;
            }
            // The domain: words joined by "dot" or '.', ending in a known ending.
            let mut domain: Vec<usize> = vec![i + 1];
            let mut k = i + 1;
            loop {
                let g = self.gap(k + 1);
                if k + 1 < n && g.trim_matches(|c| matches!(c, ' ' | '(' | ')' | '[' | ']')) == "." {
                    domain.push(k + 1);
                    k += 1;
                } else if k + 2 < n && self.toks[k + 1].low == "dot" && sep(g) && sep(self.gap(k + 2)) {
                    domain.push(k + 2);
                    k += 2;
                } else {
                    break;
                }
            }
            let ending = domain.last().map(|&d| &*self.toks[d].low);
            if domain.len() < 2
                || !ending.is_some_and(|e| {
                    patterns::ENDINGS.contains(&e) || matches!(e, "info" | "biz" | "eu" | "pl" | "ro" | "pt" | "br" | "es" | "fr" | "de")
                })
            {
                continue;
            }
            // The local part: words joined by "dot", "underscore" or '.', '_', '-'.
            let mut local: Vec<(usize, char)> = vec![(i - 1, ' ')];
            let mut j = i - 1;
            loop {
                let g = self.gap(j);
                if j >= 1 && matches!(g, "." | "_" | "-") {
                    local.push((j - 1, g.chars().next().unwrap_or('.')));
                    j -= 1;
                } else if j >= 2
                    && matches!(&*self.toks[j - 1].low, "dot" | "underscore")
                    && sep(g)
                    && sep(self.gap(j - 1))
                    // Not the "s" of a possessive ("Graça's dot d at ..."): that word is glued to the one before.
                    && !self.glued(j - 2)
                {
                    local.push((j - 2, if self.toks[j - 1].low == "dot" { '.' } else { '_' }));
                    j -= 2;
                } else {
                    break;
                }
            }
            local.reverse();
            let (first, last) = (local[0].0, *domain.last().unwrap_or(&(i + 1)));
            let (s, e) = (self.toks[first].s, self.toks[last].e);
            // A local part glued to the word before by an apostrophe ("Graça's at ...") is a possessive, not an email.
            if !self.free(s, e) || self.toks[first].stop() && local.len() == 1 || self.glued(first) {
                continue;
            }
            // `local` holds, with each word, the joiner after it.
            let mut email = self.toks[local[0].0].low.to_string();
            for w in local.windows(2) {
                email.push(w[0].1);
                email.push_str(&self.toks[w[1].0].low);
            }
            email.push('@');
            email.push_str(&domain.iter().map(|&d| self.toks[d].low.to_string()).collect::<Vec<_>>().join("."));
            self.classify_email(s, e, &email);
        }
    }

    /// An email found at `s..e`, written `email` in its usual form: his (kept), the reporter's, or someone else's.
    fn classify_email(&mut self, s: usize, e: usize, email: &str) {
        let p = self.profile;
        let low = fold(email);
        if p.offender_emails.contains(&low) {
            self.keep(s, e);
        } else if p.reporter_email.as_deref() == Some(low.as_str()) || p.overlaps_reporter_email(&low) {
            self.remove(s, e, RedactionKind::ReporterContact, "an email address");
        } else if self.given_as_his(s) {
            if self.keep(s, e) {
                self.found_emails.push(low);
            }
        } else {
            self.remove(s, e, RedactionKind::Email, "an email address");
        }
    }

    /// Handles without '@': a run of letters and digits joined by '.' or '_' that is not a number, an abbreviation
    /// ("e.g.", "a.m."), an email or a link; and an account name straight after an app's name.
    fn bare_handles(&mut self) {
        let text = self.text;
        for (i, e) in handle_runs(text) {
            let run = &text[i..e];
            let parts: Vec<&str> = run.split(['.', '_']).collect();
            let joined = parts.len() >= 2 && parts.iter().all(|x| !x.is_empty());
            let handle_like = joined
                && !parts[0].chars().all(|c| c.is_ascii_digit())
                && parts.iter().any(|x| x.chars().filter(|c| c.is_alphabetic()).count() >= 3)
                && !parts.iter().all(|x| x.chars().count() <= 1);
            if handle_like && self.free(i, e) {
                self.classify_handle(i, e, &fold(run), run);
            }
        }
        // "insta calfraser84", "my snap is jazzyb": a word no dictionary knows, or one holding a digit, after an app.
        for k in 0..self.toks.len() {
            // An app's name is a safe name, or "sc", "of", "x": a cheap test first, for most words fail it.
            if !(self.toks[k].safe_name() || matches!(&*self.toks[k].low, "sc" | "of" | "x")) {
                continue;
            }
            if !matches!(
                &*self.toks[k].low,
                "insta"
                    | "instagram"
                    | "ig"
                    | "snap"
                    | "snapchat"
                    | "sc"
                    | "tiktok"
                    | "twitter"
                    | "onlyfans"
                    | "of"
                    | "telegram"
                    | "fb"
                    | "facebook"
                    | "kik"
                    | "x"
            ) || !self.toks[k].safe_name() && !matches!(&*self.toks[k].low, "sc" | "of" | "x")
                // "OF", "SC", "X" name an app only in capitals ("photo of Graça" holds no handle).
                || matches!(&*self.toks[k].low, "sc" | "of" | "x") && self.text[self.toks[k].s..self.toks[k].e] != self.toks[k].low.to_uppercase()
            {
                continue;
            }
            let mut j = k + 1;
            if self.toks.get(j).is_some_and(|t| matches!(&*t.low, "is" | "was" | "name" | "handle" | "account" | "username")) {
                j += 1;
            }
            let Some(t) = self.toks.get(j) else { continue };
            let gap_ok = self.gap(j).trim_matches([' ', ':', '-', '=']).is_empty() && self.gap(j).len() <= 4;
            let has_digit = t.low.bytes().any(|c| c.is_ascii_digit());
            // A capitalised word in mixed-case prose is a name ("on insta Graça"), not an account name.
            let capitalised = t.cap && !crate::sanitiser::profile::is_shouting(self.text, t) && !has_digit;
            // These apps take account names in ASCII letters, digits, '.' and '_' only: "snap Graça" names a person.
            let ascii = self.text[t.s..t.e].is_ascii();
            if !gap_ok || !ascii || t.embedded || t.stop() || capitalised || (!has_digit && t.vocabulary()) || !self.free(t.s, t.e) {
                continue;
            }
            // "on snap graca ciaranmc_derry": a plain word followed by an account-shaped one is not the account.
            if !has_digit && self.handle_shaped_after(t.e) {
                continue;
            }
            let (s, e) = (t.s, t.e);
            let (key, shown) = (t.low.to_string(), self.text[s..e].to_owned());
            self.classify_handle(s, e, &key, &shown);
        }
    }

    /// Whether the next word after `e`, past an "'s" and a single space, has the shape of an account name: ASCII letters and
    /// digits joined by '.' or '_', or holding a digit.
    fn handle_shaped_after(&self, e: usize) -> bool {
        let rest = &self.text[e..];
        // Past a possessive: "snap joao's jonnyb_rdg".
        let rest = ["'s", "\u{2019}s", "'S", "\u{2019}S"].iter().find_map(|p| rest.strip_prefix(p)).unwrap_or(rest);
        let Some(rest) = rest.strip_prefix(' ') else { return false };
        let word: &str = rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')).next().unwrap_or("");
        let word = word.trim_end_matches('.');
        word.len() >= 3
            && word.bytes().any(|c| c.is_ascii_alphabetic())
            && word.bytes().any(|c| c.is_ascii_digit() || c == b'_' || c == b'.')
    }

    /// A handle found at `s..e` (`key`: folded, without '@'; `shown`: as written): his (kept), the reporter's, or
    /// someone else's. One he is given ("he messaged me as ...") is kept and listed.
    fn classify_handle(&mut self, s: usize, e: usize, key: &str, shown: &str) {
        let p = self.profile;
        if p.offender_handles.iter().any(|h| h == key) || p.keep_words.contains(key) {
            self.keep(s, e);
        } else if p.reporter_handles.iter().any(|h| h == key) || p.overlaps_reporter(key) {
            self.remove(s, e, RedactionKind::ReporterContact, "an account");
        } else if self.given_as_his(s) {
            if self.keep(s, e) {
                self.found_handles.push(shown.to_owned());
            }
        } else {
            self.remove(s, e, RedactionKind::Handle, "an account");
        }
    }

    /// Where a postcode, Eircode or registration may start: a word that begins with an ASCII letter and has a digit in
    /// its first four characters. With each, the end of a window long enough for any of them and the character after.
    fn code_starts(&self) -> Vec<(usize, usize)> {
        let b = self.text.as_bytes();
        let mut out = Vec::new();
        // A start lies at most four bytes before a digit: only the few stretches before digits are looked at.
        let mut next = 0;
        let mut from = 0;
        while let Some(k) = b[from..].iter().position(u8::is_ascii_digit) {
            let d = from + k;
            from = d + 1;
            for i in d.saturating_sub(4).max(next)..d {
                let word_start = b[i].is_ascii_alphabetic() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] >= 0x80));
                if word_start {
                    let mut end = b.len().min(i + 24);
                    while !self.text.is_char_boundary(end) {
                        end += 1;
                    }
                    out.push((i, end));
                }
            }
            next = d;
        }
        out
    }

    /// Whether the words before a contact detail give it as the offender's ("he rang from", "his number is") and not
    /// as the reporter's or someone else's ("my work number", "her mate's number").
    fn given_as_his(&self, at: usize) -> bool {
        let before = &self.text[..at];
        let from = before.rfind(['.', '!', '?', '\n']).map_or(0, |x| x + 1);
        let mut from = from.max(at.saturating_sub(100));
        while !before.is_char_boundary(from) {
            from += 1;
        }
        let words: Vec<Tok> = tokenize(&before[from..]);
        // Someone else named or pointed to just before ("her niamh too on insta ...") makes it theirs.
        let recent = &words[words.len().saturating_sub(6)..];
        let others = |w: &Tok| {
            matches!(&*w.low, "my" | "our" | "her" | "she" | "mine" | "their" | "i" | "mrs" | "ms" | "miss")
                || w.role().is_some()
                || self.profile.third.contains_key(&*w.low)
                || self.profile.words.contains_key(&*w.low)
        };
        if recent.iter().any(others) {
            return false;
        }
        let his = |w: &Tok| {
            matches!(&*w.low, "he" | "his" | "him" | "hes")
                || self.profile.keep_words.contains(&*w.low)
                || self.profile.found_keep.contains(&*w.low)
        };
        // The nearest word that says whose it is decides: "he found my work email ..." is not his.
        words.iter().rev().find(|w| his(w) || others(w)).is_some_and(his)
    }

    /// Phone numbers in any layout: compared by their national digits with the offender's and the reporter's.
    fn phones(&mut self) {
        let p = self.profile;
        let b = self.text.as_bytes();
        let mut i = 0;
        // The digits of a candidate and where each group of them ends, kept for the next candidate.
        let mut digits = String::new();
        let mut ends: Vec<(usize, usize)> = Vec::new();
        while i < b.len() {
            // Most of the text holds no digit, '+' or '(': passed over in one tight loop.
            match b[i..].iter().position(|&c| c.is_ascii_digit() || c == b'+' || c == b'(') {
                Some(k) => i += k,
                None => break,
            }
            let c = b[i];
            let at_start = (c.is_ascii_digit() || c == b'+' || c == b'(')
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.' || b[i - 1] == b'_' || b[i - 1] == b'@'));
            if !at_start || self.claimed.get(i) {
                i += 1;
                continue;
            }
            // Walk over digits and separators; remember where each group of digits ends.
            let mut j = i;
            digits.clear();
            ends.clear();
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
                    if self.given_as_his(i) {
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
}

/// The runs of `text` that may be handles written without '@', as `start..end` without their trailing dots: a run is
/// a stretch of letters, digits, marks, '.' and '_' as long as it goes, read only where it starts with a letter or
/// digit that no '@' or '/' (or a character outside ASCII that is no letter) stands before, and kept only where it holds
/// a '.' or '_' once trimmed. Each run is found from one of its '.' or '_' and read once: most of the text is never
/// looked at.
fn handle_runs(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let run_char_before = |k: usize| {
        let c = b[k - 1];
        if c < 0x80 {
            c.is_ascii_alphanumeric() || c == b'.' || c == b'_'
        } else {
            text[..k].chars().next_back().is_some_and(|ch| ch.is_alphanumeric() || is_mark(ch))
        }
    };
    let mut out = Vec::new();
    let mut done = 0;
    for p in memchr::memchr2_iter(b'.', b'_', b) {
        if p < done {
            continue;
        }
        let mut i = p;
        while i > 0 && run_char_before(i) {
            i -= text[..i].chars().next_back().map_or(1, char::len_utf8);
        }
        let end = run_end(text, p);
        done = end;
        let starts = !matches!(b[i], b'.' | b'_') && (i == 0 || !(b[i - 1] >= 0x80 || matches!(b[i - 1], b'@' | b'/')));
        let run = text[i..end].trim_end_matches('.');
        if starts && run.bytes().any(|c| c == b'.' || c == b'_') {
            out.push((i, i + run.len()));
        }
    }
    out
}

/// Where `find` finds its shape in `text`, looked for only in the words (runs of text between white space) that hold one of
/// `triggers` and that `worth` accepts. An email, a link or a handle holds no white space, so nothing is missed, and
/// the patterns run over a few short words instead of the whole report.
/// Where a run of a handle's characters (letters, digits, marks, '.' and '_') that goes on at byte `from` ends.
fn run_end(text: &str, from: usize) -> usize {
    let b = text.as_bytes();
    let mut end = from;
    while end < b.len() {
        let c = b[end];
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' {
            end += 1;
        } else if c < 0x80 {
            break;
        } else {
            let ch = text[end..].chars().next().unwrap_or(' ');
            if !(ch.is_alphanumeric() || is_mark(ch)) {
                break;
            }
            end += ch.len_utf8();
        }
    }
    end
}

fn matches_in_words(
    find: impl Fn(&str) -> Vec<(usize, usize)>,
    text: &str,
    triggers: &[u8],
    worth: impl Fn(&str) -> bool,
) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (t1, t2) = match triggers {
        [a] => (*a, *a),
        [a, c, ..] => (*a, *c),
        [] => return out,
    };
    // The end of the last word looked at: a word with two triggers is looked at once.
    let mut done = 0;
    for at in memchr::memchr2_iter(t1, t2, b) {
        if at < done {
            continue;
        }
        let (s, e) = (word_start(text, at), word_end(text, at));
        done = e;
        let w = &text[s..e];
        if worth(w) {
            out.extend(find(w).into_iter().map(|(a, b)| (s + a, s + b)));
        }
    }
    out
}

/// Whether a byte is an ASCII character `char::is_whitespace` holds.
fn ascii_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Where the run of text without white space that holds byte `at` starts: bytes read back while they are ASCII, the
/// characters decoded only past the first that is not.
fn word_start(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let mut k = at;
    while k > 0 && b[k - 1] < 0x80 {
        if ascii_space(b[k - 1]) {
            return k;
        }
        k -= 1;
    }
    if k == 0 {
        return 0;
    }
    text[..k].rfind(char::is_whitespace).map_or(0, |j| j + text[j..].chars().next().map_or(1, char::len_utf8))
}

/// Where the run of text without white space that holds byte `at` ends (see `word_start`).
fn word_end(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let mut k = at;
    while k < b.len() && b[k] < 0x80 {
        if ascii_space(b[k]) {
            return k;
        }
        k += 1;
    }
    if k == b.len() {
        return k;
    }
    text[k..].find(char::is_whitespace).map_or(text.len(), |j| k + j)
}

/// Whether `patterns::links` can match anywhere in `text`: a scheme, "www." or a dot before one of its endings. Most reports hold
/// none, so the pattern runs only where this finds one.
fn may_hold_link(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(3).any(|w| w == b"://")
        || b.iter().enumerate().any(|(i, &c)| {
            if c != b'.' {
                return false;
            }
            let rest = &b[i + 1..];
            let before = &b[..i];
            // Every ending starts with a letter: a dot before anything else (the end of a sentence) ends none.
            before.len() >= 3 && before[before.len() - 3..].eq_ignore_ascii_case(b"www")
                || rest.first().is_some_and(u8::is_ascii_alphabetic)
                    && patterns::ENDINGS.iter().any(|e| {
                        rest.len() >= e.len()
                            && rest[..e.len()].eq_ignore_ascii_case(e.as_bytes())
                            && !rest.get(e.len()).is_some_and(|x| x.is_ascii_alphanumeric() || *x >= 0x80)
                    })
        })
}

/// Places in the source of `hay` where `needle` (folded) stands as a whole, as source byte ranges.
pub(crate) fn find_folded(hay: &Folded, needle: &str) -> Vec<(usize, usize)> {
    find_literal(&hay.text, needle).into_iter().map(|(s, e)| hay.source(s, e)).collect()
}

/// Places where `needle` (folded) stands in `hay` (folded the same way) as a whole: not inside a longer word,
/// handle or address.
pub(crate) fn find_literal(hay: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    // Each place after the end of the last: the searcher is built once for the needle.
    for s in memchr::memmem::find_iter(hay.as_bytes(), needle.as_bytes()) {
        let e = s + needle.len();
        if stands_whole(hay, s, e) {
            out.push((s, e));
        }
    }
    out
}

/// Whether `hay[s..e]` is not part of a longer word, handle or address: no letter, digit, '_' or '@' touches it, and
/// no '.' followed by a letter or digit after it.
fn stands_whole(hay: &str, s: usize, e: usize) -> bool {
    let joins = |c: char| c.is_alphanumeric() || c == '_' || c == '@';
    !hay[..s].chars().next_back().is_some_and(joins)
        && !hay[e..].chars().next().is_some_and(|c| joins(c) || (c == '.' && hay[e + 1..].starts_with(|d: char| d.is_alphanumeric())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-by-byte reading of `handle_runs`' rule: every byte looked at.
    fn plain_handle_runs(text: &str) -> Vec<(usize, usize)> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let starts = (b[i].is_ascii_alphanumeric() || b[i] >= 0x80)
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] >= 0x80 || matches!(b[i - 1], b'.' | b'_' | b'@' | b'/')));
            if !starts {
                i += 1;
                continue;
            }
            let run_end = run_end(text, i);
            let run = text[i..run_end].trim_end_matches('.');
            if run.bytes().any(|c| c == b'.' || c == b'_') {
                out.push((i, i + run.len()));
                i = run_end.max(i + 1);
                while i < b.len() && !text.is_char_boundary(i) {
                    i += 1;
                }
            } else {
                i = run_end.max(i + 1);
            }
        }
        out
    }

    /// `find_literal` with `str::find` from the end of each place found.
    fn plain_find_literal(hay: &str, needle: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(pos) = hay[from..].find(needle) {
            let s = from + pos;
            let e = s + needle.len();
            if stands_whole(hay, s, e) {
                out.push((s, e));
            }
            from = s + needle.len();
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn find_literal_finds_as_str_find_does(hay in "[ab .@_é]{0,30}", needle in "[ab.é]{1,3}") {
            proptest::prop_assert_eq!(find_literal(&hay, &needle), plain_find_literal(&hay, &needle));
        }
    }

    #[test]
    fn every_ending_of_a_link_starts_with_a_letter() {
        assert!(patterns::ENDINGS.iter().all(|e| e.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)));
    }

    #[test]
    fn a_word_is_bounded_by_white_space_as_char_is_whitespace_says() {
        for text in ["", "a", " a.b ", "x\u{a0}y.z\u{2003}w", "é.b c", "a\u{b}b.c\u{1c}d", "..", "\u{3000}.\u{85}"] {
            for (at, _) in text.char_indices() {
                let s = text[..at].rfind(char::is_whitespace).map_or(0, |k| k + text[k..].chars().next().map_or(1, char::len_utf8));
                let e = text[at..].find(char::is_whitespace).map_or(text.len(), |k| at + k);
                assert_eq!((word_start(text, at), word_end(text, at)), (s, e), "{text:?} {at}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn word_bounds_match_char_is_whitespace(text in "[a-z.: \t\n\u{b}\u{c}\r\u{1c}\u{85}\u{a0}\u{2003}\u{3000}é]{1,30}") {
            for (at, _) in text.char_indices() {
                let s = text[..at].rfind(char::is_whitespace).map_or(0, |k| k + text[k..].chars().next().map_or(1, char::len_utf8));
                let e = text[at..].find(char::is_whitespace).map_or(text.len(), |k| at + k);
                proptest::prop_assert_eq!((word_start(&text, at), word_end(&text, at)), (s, e));
            }
        }
    }

    #[test]
    fn handle_runs_are_found_as_the_plain_reading_finds_them() {
        for text in ["", ".", "sasha.lux.x and jaz_xo. e.g. a.m. @x.y /a.b ’é.b Ā_b", "x\u{301}.y .a _b a.", "Graça.x.y’s z._q"] {
            assert_eq!(handle_runs(text), plain_handle_runs(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn handle_runs_match_the_plain_reading(text in "[a-zA-Z0-9 ._@/’'\u{301}éĀ—\n-]{0,40}") {
            proptest::prop_assert_eq!(handle_runs(&text), plain_handle_runs(&text));
        }
    }
}
