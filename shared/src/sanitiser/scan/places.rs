//! Venues, house numbers with their streets, and streets on their own, found among the words.

use crate::domain::alert::RedactionKind;

use super::Scan;
use crate::sanitiser::lexicon::{HOTEL_CHAINS, STREET_SUFFIXES, canon_street, strong_venue_noun, weak_venue_noun};
use crate::sanitiser::profile::is_shouting;
use crate::sanitiser::tokens::{PF_THIRD, PF_TOWN, Tok, soft_gap};

impl Scan<'_> {
    /// Venues named in the text: "the Amber Lounge sauna", "Harbour View Hotel", "the irwell court hotel",
    /// "hotel Marlowe Grand", "the Premier Inn on Deansgate".
    pub(super) fn venue_at(&mut self, i: usize) -> Option<usize> {
        let n = self.toks.len();
        // The word at `i`, as far as the rules below read it: "the", "at", "to", "from", "in", or another.
        let (is_the, is_at, lead) = match &*self.toks[i].low {
            "the" => (true, false, true),
            "at" => (false, true, true),
            "to" | "from" | "in" => (false, false, true),
            _ => (false, false, false),
        };
        let j = if is_the { i + 1 } else { i };
        if j >= n || (is_the && !soft_gap(self.gap(j))) {
            return None;
        }
        // The "s" of a possessive starts no name ("Bērziņa's Flats" is read from "Bērziņa").
        if self.toks[j].low == "s" && self.glued(j) {
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
        while k < n && k < j + 4 && self.cap_name_word(&self.toks[k]) && (k == j || soft_gap(self.gap(k))) && self.tok_free(k) {
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
        if lead {
            let j = i + 1;
            let mut k = j;
            while k < n
                && k < j + 3
                && {
                    let w = &self.toks[k];
                    !w.cap && !w.num && !w.stop() && !self.protected(w) && w.venue().is_none()
                }
                && soft_gap(self.gap(k))
                && self.tok_free(k)
            {
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
        if is_at {
            let j = i + 1;
            let mut k = j;
            while k < n
                && k < j + 3
                && {
                    let w = &self.toks[k];
                    self.cap_name_word(w) && !w.start && (w.pf & PF_TOWN == 0) && w.pf & PF_THIRD == 0
                }
                && soft_gap(self.gap(k))
                && self.tok_free(k)
            {
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
            while k < n
                && k < j + 4
                && {
                    let w = &self.toks[k];
                    self.cap_name_word(w) && !w.start && (w.pf & PF_TOWN == 0) && !w.given()
                }
                && soft_gap(self.gap(k))
                && self.tok_free(k)
            {
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

    fn take_venue(&mut self, i: usize, j: usize, end: usize, rep: &'static str) -> Option<usize> {
        let s = if i < j { self.toks[i].s } else { self.toks[j].s };
        let e = self.toks[end].e;
        if self.remove(s, e, RedactionKind::Venue, rep) { Some(end + 1) } else { None }
    }

    /// A house number and a street: "14 Kirkgate Road", "flat 3, 18 montpelier terrace", "27 Magdalen St".
    pub(super) fn address_at(&mut self, i: usize) -> Option<usize> {
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
    pub(super) fn street_at(&mut self, i: usize) -> Option<usize> {
        let n = self.toks.len();
        let t = &self.toks[i];
        // Capitalised: one to three name words and a capitalised street word.
        if self.cap_name_word(t) {
            let mut k = i;
            while k < n && k < i + 3 && self.cap_name_word(&self.toks[k]) && (k == i || soft_gap(self.gap(k))) && self.tok_free(k) {
                let next = k + 1;
                // Only a street word or its abbreviation can be a street suffix.
                if next < n && self.toks[next].cap && self.toks[next].street() && soft_gap(self.gap(next)) {
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
        if t.place_preposition() {
            let start = i + 1;
            let mut k = start;
            while k < n
                && k < start + 2
                && {
                    let w = &self.toks[k];
                    !w.num && !w.stop() && !self.protected(w) && !w.street()
                }
                && soft_gap(self.gap(k))
                && self.tok_free(k)
            {
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
}

fn legal_court(word: &str, suffix: &str) -> bool {
    suffix == "court" && matches!(word, "crown" | "high" | "county" | "magistrates" | "supreme" | "family" | "sheriff" | "youth")
}

fn building_or_street(suffix: &str) -> &'static str {
    if matches!(suffix, "court" | "house" | "towers" | "mansions" | "buildings") { "a building nearby" } else { "a nearby street" }
}
