//! Pass 3: deny by default. After the report's own names and places are out, any word still standing that the
//! sanitiser cannot vouch for is withheld:
//! - a capitalised word in mid-sentence, and one at the start of a sentence that is not a common word, unless it is
//!   known to name no one and nowhere a reporter can be found (`lexicon::safe_names`, the public town, a place the
//!   gazetteer knows, a day or a month);
//! - in any case, a word that is in no vocabulary the sanitiser ships (common words, function words, text-speak and
//!   dialect, the trade's words): where capitals carry no signal (a text in capitals or in title case, or in lower
//!   case), this is the rule that still holds.
//!
//! The words next to a withheld word that belong to the same name go with it ("Mrs Okafor", "Maria da Graça", "the
//! Golden Pheasant"), and the whole is written as "someone", "a place" or "somewhere". What is withheld here is
//! withheld everywhere else in the report too (`withhold_everywhere`), in any case and with or without accents.

use crate::domain::alert::RedactionKind;
use crate::sanitiser::lexicon::{HashSet, PLACES, WordFilter, name_joiner};
use crate::sanitiser::profile::is_shouting;
use crate::sanitiser::tokens::{PF_PROTECTED, PF_TOWN, soft_gap};

use super::Scan;
use super::spans::Review;

/// Whether `w` holds fewer than two characters, without counting them all.
fn one_char(w: &str) -> bool {
    let mut cs = w.chars();
    cs.next().is_none() || cs.next().is_none()
}

/// Prepositions after which a withheld name is a place ("at the Lamplighter", "outside Harehills").
fn place_before(w: &str) -> bool {
    matches!(
        w,
        "at" | "in" | "near" | "outside" | "inside" | "into" | "opposite" | "behind" | "towards" | "around" | "round" | "past" | "nr"
    )
}

impl Scan<'_> {
    /// Whether the capitals of this text say anything: not when 70% or more of its words in mid-sentence, function words aside,
    /// are capitalised (a text in title case or in capitals).
    pub(super) fn capitals_mean_names(&self) -> bool {
        let (mut mid, mut capped) = (0usize, 0usize);
        for t in &self.toks {
            // "I" and the like are capitalised in any text.
            if t.start || t.num || t.embedded || t.stop() || one_char(&t.low) {
                continue;
            }
            mid += 1;
            if t.cap {
                capped += 1;
            }
        }
        mid < 4 || capped * 10 < mid * 7
    }

    /// Whether word `i` is one the sanitiser cannot vouch for (see the module's rules).
    fn unknown(&self, i: usize) -> bool {
        let t = &self.toks[i];
        if t.embedded || t.low.starts_with(|c: char| c.is_ascii_digit()) || one_char(&t.low) {
            return false;
        }
        if t.stop() || t.calendar() || t.safe_name() || t.role().is_some() || t.pf & (PF_PROTECTED | PF_TOWN) != 0 {
            return false;
        }
        if self.capital_signal(i) {
            // In mid-sentence a capital makes a name; at a sentence start only an unknown word is one.
            return !t.start || !t.vocabulary();
        }
        !t.vocabulary()
    }

    /// Word `i` is capitalised where capitals mark names.
    fn capital_signal(&self, i: usize) -> bool {
        let t = &self.toks[i];
        t.cap && self.caps_mean_names && !is_shouting(self.text, t)
    }

    /// A place the gazetteer knows that starts at word `i`: its number of words.
    fn place_at(&self, i: usize) -> Option<usize> {
        let t = &self.toks[i];
        if !t.place_start() {
            return None;
        }
        let list = PLACES.get(&*t.low)?;
        list.iter()
            .find(|words| {
                i + words.len() <= self.toks.len()
                    && words.iter().enumerate().all(|(k, w)| {
                        let x = &self.toks[i + k];
                        *x.low == **w && (k == 0 || soft_gap(self.gap(i + k))) && self.free(x.s, x.e) && (x.cap || !self.caps_mean_names)
                    })
            })
            .map(Vec::len)
    }

    /// "number 14", "flat 5/2", "apt 9C", "no. 22": a home given by its number, without a street word.
    fn number_address_at(&mut self, i: usize) -> Option<usize> {
        if !self.toks[i].address_number() {
            return None;
        }
        let next = self.toks.get(i + 1)?;
        let gap = self.gap(i + 1);
        if !next.low.starts_with(|c: char| c.is_ascii_digit()) || gap.len() > 3 || !gap.chars().all(|c| matches!(c, ' ' | '.' | '#' | ','))
        {
            return None;
        }
        // "5/2", "5-2": one number in parts.
        let mut end = i + 1;
        while self.toks.get(end + 1).is_some_and(|x| x.low.starts_with(|c: char| c.is_ascii_digit()))
            && matches!(self.gap(end + 1), "/" | "-" | ".")
        {
            end += 1;
        }
        if !(i..=end).all(|k| self.tok_free(k)) {
            return None;
        }
        let rep = if matches!(&*self.toks[i].low, "room" | "rm") { "a room" } else { "an address nearby" };
        // "tae the flat, 5/2" reads "tae an address nearby" (`remove_word` takes the "the").
        self.remove_word(i, end, RedactionKind::Address, rep, false);
        Some(end + 1)
    }

    /// Every word not yet claimed, through the rules above. Known places are claimed as kept; what is withheld is
    /// remembered (`withheld`) for `withhold_everywhere`.
    pub(super) fn unknown_words(&mut self) {
        self.caps_mean_names = self.capitals_mean_names();
        // Words an earlier rule took out as a person's name, for names listed with them.
        let mut people: Vec<(usize, usize)> = self
            .spans
            .iter()
            .filter(|sp| matches!(sp.kind, Some(RedactionKind::ThirdPartyName | RedactionKind::ReporterIdentity)))
            .map(|sp| (sp.start, sp.end))
            .collect();
        people.sort_unstable();
        let person = |s: &Self, k: usize| {
            let t = &s.toks[k];
            let at = people.partition_point(|&(a, _)| a <= t.s);
            at > 0 && people[at - 1].1 >= t.e
        };
        let n = self.toks.len();
        // A word of the language in lower case that starts no place, house number or title: nothing to withhold; nor
        // one that starts a sentence, with no "and" or "or" beside it to list it with a name.
        let passed = |s: &Self, i: usize| {
            let and_or = |k: Option<usize>| k.and_then(|k| s.toks.get(k)).is_some_and(|x| matches!(&*x.low, "and" | "or"));
            s.toks[i].passed_by_deny_rules()
                || (s.toks[i].passed_by_deny_rules_at_a_start() && !and_or(i.checked_sub(1)) && !and_or(Some(i + 1)))
        };
        self.each_free_word(passed, |s, i| {
            if let Some(len) = s.place_at(i) {
                let (a, b) = (s.toks[i].s, s.toks[i + len - 1].e);
                s.keep(a, b);
                return i + len;
            }
            if let Some(end) = s.number_address_at(i) {
                return end;
            }
            let titled = s.toks[i].title()
                && s.toks.get(i + 1).is_some_and(|x| (x.cap || s.unknown(i + 1)) && !x.stop())
                && matches!(s.gap(i + 1), " " | ". " | "\u{a0}")
                && s.tok_free(i + 1);
            // "Kasia and Asia", where an earlier rule took "Kasia" out.
            let listed = s.capital_signal(i)
                && ((i >= 2 && matches!(&*s.toks[i - 1].low, "and" | "or") && person(s, i - 2))
                    || (i + 2 < n && matches!(&*s.toks[i + 1].low, "and" | "or") && person(s, i + 2)));
            let listed = listed && {
                let t = &s.toks[i];
                !t.stop() && !t.calendar() && t.pf & (PF_TOWN | PF_PROTECTED) == 0 && t.role().is_none()
            };
            if titled || listed || s.unknown(i) {
                let b = s.withhold_run(i, titled);
                s.coordinated(i, b);
                return b + 1;
            }
            i + 1
        });
    }

    /// Names listed with a withheld one ("Ploy and Noi", "Kasia and Asia"): a capitalised word joined to words
    /// `a..=b` by "and", "&" or "or" is a name too, even one that is also a word or a place.
    fn coordinated(&mut self, a: usize, b: usize) {
        let joined = |s: &Self, k: usize| matches!(&*s.toks[k].low, "and" | "or" | "n") || s.gap(k + 1).trim() == "&";
        let name = |s: &Self, k: usize| {
            let t = &s.toks[k];
            s.tok_free(k) && s.capital_signal(k) && !t.stop() && !t.calendar() && t.pf & (PF_TOWN | PF_PROTECTED) == 0 && t.role().is_none()
        };
        // Before: "Ploy and [Noi]".
        if a >= 2 && joined(self, a - 1) && name(self, a - 2) {
            self.withhold_run(a - 2, false);
        }
        // After: "[Kasia] and Asia"; "[Kasia] & Asia".
        if b + 2 < self.toks.len() && joined(self, b + 1) && name(self, b + 2) {
            self.withhold_run(b + 2, false);
        } else if b + 1 < self.toks.len() && self.gap(b + 1).trim() == "&" && name(self, b + 1) {
            self.withhold_run(b + 1, false);
        }
    }

    /// Withholds, wherever they stand free, the words `forms` holds (folded): a word that is also a common word only
    /// where it is capitalised as a name.
    pub(super) fn withhold_everywhere(&mut self, forms: &HashSet<String>) {
        if forms.is_empty() {
            return;
        }
        let filter: WordFilter = forms.iter().map(String::as_str).collect();
        let n = self.toks.len();
        let mut i = 0;
        while i < n {
            let t = &self.toks[i];
            if !filter.may_hold(&t.low) || !self.tok_free(i) || t.embedded || !forms.contains(&*t.low) || t.pf & PF_PROTECTED != 0 {
                i += 1;
                continue;
            }
            if t.vocabulary() && (!t.cap || is_shouting(self.text, t)) {
                i += 1;
                continue;
            }
            i = self.withhold_run(i, false) + 1;
        }
    }

    /// Withholds word `i` with the words of the same name around it; returns the last word taken.
    fn withhold_run(&mut self, i: usize, titled: bool) -> usize {
        let mut a = i;
        // Capitalised words just before belong to the name ("Kit Harington"), unless they are known safe.
        while !titled && a > 0 && self.tok_free(a - 1) && soft_gap(self.gap(a)) {
            let p = &self.toks[a - 1];
            let joins = self.capital_signal(a - 1) && !p.stop() && !p.calendar() && !p.safe_name() && p.pf & (PF_TOWN | PF_PROTECTED) == 0;
            if !joins {
                break;
            }
            a -= 1;
        }
        let mut b = if titled { i + 1 } else { i };
        loop {
            let next = b + 1;
            if next >= self.toks.len() || !self.tok_free(next) || !soft_gap(self.gap(next)) {
                break;
            }
            let x = &self.toks[next];
            if x.pf & PF_PROTECTED != 0 || x.embedded {
                break;
            }
            if self.unknown(next) || (self.capital_signal(next) && !x.stop() && !x.calendar() && x.pf & PF_TOWN == 0) {
                b = next;
                continue;
            }
            // "da" in "Maria da Graça": a joiner between two parts of one name.
            let after = next + 1;
            if name_joiner(&x.low)
                && after < self.toks.len()
                && self.tok_free(after)
                && soft_gap(self.gap(after))
                && (self.unknown(after) || self.capital_signal(after))
            {
                b = after;
                continue;
            }
            break;
        }
        for k in a..=b {
            self.withheld.push(self.toks[k].low.to_string());
        }
        let has_digit = (a..=b).any(|k| self.toks[k].low.bytes().any(|c| c.is_ascii_digit()));
        let prev: Option<&str> = a.checked_sub(1).map(|k| &*self.toks[k].low);
        let (kind, rep, review) = if has_digit {
            (RedactionKind::Other, "a number", Review::WithheldOther)
        } else if titled {
            (RedactionKind::ThirdPartyName, "someone", Review::WithheldName)
        } else if prev == Some("the") || prev.is_some_and(place_before) {
            (RedactionKind::Other, "a place", Review::WithheldPlace)
        } else if prev == Some("from") {
            (RedactionKind::Other, "somewhere", Review::WithheldPlace)
        } else {
            (RedactionKind::ThirdPartyName, "someone", Review::WithheldName)
        };
        let before = self.spans.len();
        // "at the Lamplighter" reads "at a place" (`remove_word` takes the "the").
        self.remove_word(a, b, kind, rep, true);
        if self.spans.len() > before {
            let sp = self.spans.len() - 1;
            self.spans[sp].review = Some(review);
        }
        b
    }
}
