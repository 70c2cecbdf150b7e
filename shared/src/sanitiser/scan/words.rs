//! Pass 2: word by word. The offender's registration and words are kept; the report's own names and phrases, venues,
//! addresses and streets (see `places`), third parties and given names from the shipped list are taken out.

use crate::domain::alert::RedactionKind;

use super::Scan;
use crate::sanitiser::lexicon::{NOT_NAMES, canon_street, determiner, follows_a_name};
use crate::sanitiser::profile::{is_shouting, normal_reg};
use crate::sanitiser::tokens::{PF_FOUND, PF_KEEP, PF_PHRASE, PF_PROTECTED, PF_THIRD, PF_TOWN, PF_WORD, Tok, phrase_gap, soft_gap};

impl Scan<'_> {
    /// The text between word `i - 1` and word `i` (empty before the first word).
    pub(super) fn gap(&self, i: usize) -> &str {
        if i == 0 || i >= self.toks.len() { "" } else { &self.text[self.toks[i - 1].e..self.toks[i].s] }
    }

    /// Whether word `i` is glued to the one before by an apostrophe: the "s" of a possessive ("Graça's").
    pub(super) fn glued(&self, i: usize) -> bool {
        self.gap(i).ends_with(['\'', '\u{2019}'])
    }

    /// Whether word `i` exists and no span holds it yet.
    pub(super) fn tok_free(&self, i: usize) -> bool {
        self.toks.get(i).is_some_and(|t| self.free(t.s, t.e))
    }

    /// Every word not yet claimed, left to right, through the rules of `word_at`.
    pub(super) fn words(&mut self) {
        self.each_free_word(|s, i| s.toks[i].passed_by_word_rules() && !s.maybe_reg(i), Self::word_at);
    }

    /// Whether the offender's registration may start at word `i`: he has one, and a digit stands in this word or the
    /// next.
    fn maybe_reg(&self, i: usize) -> bool {
        let has_digit = |k: usize| self.toks.get(k).is_some_and(|x| x.low.bytes().any(|b| b.is_ascii_digit()));
        !self.profile.offender_regs.is_empty() && (has_digit(i) || has_digit(i + 1))
    }

    /// Runs `rule` at each word no span holds yet, left to right; `rule` answers the index of the next word to look
    /// at (at least the one after).
    /// Words `pass` answers for are ones `rule` would pass over, claimed or not: they are passed over without
    /// looking at what is claimed.
    pub(super) fn each_free_word(&mut self, pass: impl Fn(&Self, usize) -> bool, mut rule: impl FnMut(&mut Self, usize) -> usize) {
        let mut i = 0;
        while i < self.toks.len() {
            if pass(self, i) || !self.tok_free(i) {
                i += 1;
                continue;
            }
            i = rule(self, i).max(i + 1);
        }
    }

    /// Applies the first rule that matches at word `i`; returns the index of the word after what it took.
    fn word_at(&mut self, i: usize) -> usize {
        let p = self.profile;
        let (ts, te, tcap, tembedded) = {
            let t = &self.toks[i];
            (t.s, t.e, t.cap, t.embedded)
        };
        // The offender's registration split over two words, in any case.
        let maybe_reg = self.maybe_reg(i);
        // Irish registrations have three parts ("08-WD-1Q2", "151 D 12345").
        for len in [1usize, 2, 3] {
            if i + len <= self.toks.len() && maybe_reg {
                let last = &self.toks[i + len - 1];
                if (2..=len).any(|k| !soft_gap(self.gap(i + k - 1))) {
                    continue;
                }
                let joined = normal_reg(&self.text[ts..last.e]);
                if p.offender_regs.contains(&joined) {
                    self.keep(ts, last.e);
                    return i + len;
                }
            }
        }
        // A word in lower case that is nothing to the report and can start no venue, address, street or name: no
        // rule below takes it.
        if self.toks[i].passed_by_word_rules() {
            return i + 1;
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
        if let Some(th) = third.filter(|th| !tembedded && (!th.cap_only || (tcap && !is_shouting(self.text, &self.toks[i])))) {
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

    /// Longest of the report's phrases that starts at word `i`.
    fn phrase_at(&mut self, i: usize) -> Option<usize> {
        let p = self.profile;
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

    pub(super) fn protected(&self, t: &Tok) -> bool {
        t.pf & PF_PROTECTED != 0
    }

    /// A capitalised word that can be part of a proper name.
    pub(super) fn cap_name_word(&self, t: &Tok) -> bool {
        t.cap && !t.num && !t.stop() && !t.calendar() && !self.protected(t) && t.venue().is_none()
    }

    /// A given name from the shipped list, taken as a third party's: in any case when the name is not also an
    /// English word; capitalised in mid-sentence when it is ("Precious" but not "precious").
    fn given_name_at(&self, i: usize) -> bool {
        let t = &self.toks[i];
        let w = &*t.low;
        if t.embedded || t.num || !t.given() || self.protected(t) || (t.pf & PF_TOWN != 0) || t.calendar() || t.safe_name() {
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
}
