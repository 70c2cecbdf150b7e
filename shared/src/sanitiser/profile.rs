//! What a report tells the sanitiser to keep and to take out: the offender's identifiers on one side, the reporter's,
//! the venue's, the address's and third parties' on the other. Built once per report.

use crate::domain::alert::RedactionKind;
use crate::domain::phone::PhoneNumber;
use crate::domain::report::Report;

use super::fold::fold;
use super::lexicon::{
    HashMap, HashSet, NOT_NAMES, OFFENDER_CUES_BY_START, Role, STREET_SUFFIXES, WordFilter, canon_street, determiner, generic_place_word,
    venue_noun,
};
use super::lexicon::{follows_a_name, very_common, weak_cue};
use super::tokens::{PF_FOUND, PF_KEEP, PF_PHRASE, PF_THIRD, PF_TOWN, PF_WORD, Tok, soft_gap, tokenize};

/// A run of words to take out wherever it appears, in any case.
#[derive(Debug, Clone)]
pub(crate) struct Phrase {
    pub words: Vec<String>,
    pub kind: RedactionKind,
    pub rep: &'static str,
}

/// One word to take out. `cap_only`: the word is also common English, so only its capitalised uses are the name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Word {
    pub kind: RedactionKind,
    pub rep: &'static str,
    pub cap_only: bool,
}

/// A third party's name found in the text, with who they are to the reporter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Third {
    pub role: Role,
    pub cap_only: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Profile {
    /// The offender's name words (from `names_used`) and the words of his vehicles: never taken out.
    pub keep_words: HashSet<String>,
    /// Names the account says the offender used ("called himself Gaz"): kept where no stronger rule takes them.
    pub found_offender_names: Vec<String>,
    pub found_keep: HashSet<String>,
    pub offender_phone_digits: Vec<String>,
    pub offender_emails: Vec<String>,
    pub offender_handles: Vec<String>,
    pub offender_regs: Vec<String>,
    pub reporter_phone_digits: Option<String>,
    pub reporter_email: Option<String>,
    /// Handles and the email's local part, lower case, without '@'.
    pub reporter_needles: Vec<String>,
    pub reporter_handles: Vec<String>,
    pub phrases: HashMap<String, Vec<Phrase>>,
    pub words: HashMap<String, Word>,
    pub third: HashMap<String, Third>,
    pub town_words: HashSet<String>,
    /// Every word above with its `PF_*` facts, so the scanner looks each word up once.
    pub index: HashMap<String, u8>,
    /// Which words are certainly not in `index`.
    index_filter: WordFilter,
    /// Phone digits taken out of the account (for checking an edit).
    pub removed_phone_digits: Vec<String>,
    pub removed_emails: Vec<String>,
    pub removed_handles: Vec<String>,
}

/// Digits that stay the same however a number is written: no +44, +353 or trunk 0.
pub(crate) fn national_digits(raw: &str) -> String {
    if let Ok(p) = PhoneNumber::parse(raw) {
        return p.national_digits().to_owned();
    }
    let d: String = raw.chars().filter(char::is_ascii_digit).collect();
    strip_prefixes(&d, raw.trim_start().starts_with('+')).to_owned()
}

pub(crate) fn strip_prefixes(d: &str, international: bool) -> &str {
    let d = if international { d } else { d.strip_prefix("00").map_or(d, |x| x) };
    let intl = international || d.len() != d.trim_start_matches("00").len();
    let d = if intl || d.starts_with("44") && d.len() >= 12 || d.starts_with("353") && d.len() >= 11 {
        d.strip_prefix("44").or_else(|| d.strip_prefix("353")).unwrap_or(d)
    } else {
        d
    };
    d.strip_prefix('0').unwrap_or(d)
}

pub(crate) fn normal_reg(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// Whether `hay` holds `needle` with no letter or digit joined to it on either side ("x.anna@…" holds "anna", "joanna"
/// does not).
fn holds_word(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(s, m)| {
        let before = hay[..s].chars().next_back().is_some_and(char::is_alphanumeric);
        let after = hay[s + m.len()..].chars().next().is_some_and(char::is_alphanumeric);
        !before && !after
    })
}

fn handle_key(s: &str) -> String {
    fold(s.trim().trim_start_matches('@'))
}

fn words_of(s: &str) -> Vec<String> {
    tokenize(s).into_iter().map(|t| t.low.into_owned()).collect()
}

impl Profile {
    /// The profile of a report whose account and description are already split into words, with `town` (the town
    /// the alert publishes, not the town as typed: that may hold an address) as the public town whose words are never
    /// taken for a name or a venue.
    pub fn build_with(report: &Report, account: &[Tok], description: Option<&[Tok]>, town: &str) -> Self {
        Self::build_known(report, account, description, town, &[])
    }

    /// As `build_with`, with the national digits of some of the report's numbers worked out already (`known`: each
    /// number as written, with `national_digits` of it).
    pub fn build_known(report: &Report, account: &[Tok], description: Option<&[Tok]>, town: &str, known: &[(&str, String)]) -> Self {
        let digits_of = |raw: &str| known.iter().find(|(r, _)| *r == raw).map_or_else(|| national_digits(raw), |(_, d)| d.clone());
        let mut p = Profile::default();
        let o = &report.offender;
        for n in &o.names_used {
            p.keep_words.extend(words_of(n).into_iter().filter(|w| w.chars().count() >= 2));
        }
        for v in &o.vehicles {
            for f in [&v.make, &v.model, &v.colour].into_iter().flatten() {
                p.keep_words.extend(words_of(f));
            }
            if let Some(r) = &v.registration {
                let r = normal_reg(r);
                if !r.is_empty() {
                    p.offender_regs.push(r);
                }
            }
        }
        p.offender_phone_digits = o.phones.iter().map(|x| digits_of(x)).filter(|d| d.len() >= 6).collect();
        p.offender_emails = o.emails.iter().map(|e| fold(e.trim())).filter(|e| !e.is_empty()).collect();
        p.offender_handles = o.online_handles.iter().map(|h| handle_key(h)).filter(|h| !h.is_empty()).collect();
        p.town_words = words_of(town).into_iter().collect();

        if let Some(r) = &report.reporter {
            for name in [&r.name, &r.working_name].into_iter().flatten() {
                p.add_name(name, RedactionKind::ReporterIdentity, "the worker", false);
            }
            if let Some(e) = r.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                let e = fold(e);
                let local = e.split_once('@').map(|(l, _)| l.to_owned()).filter(|l| l.chars().count() >= 3);
                // A local part that is the offender's name or handle ("gaz@...", he is Gaz) stays his word.
                if let Some(local) = local.filter(|l| !p.offender_handles.contains(l) && !p.keep_words.contains(l)) {
                    p.reporter_needles.push(local);
                }
                p.reporter_email = Some(e);
            }
            p.reporter_phone_digits = r.phone.as_deref().map(digits_of).filter(|d| d.len() >= 6);
            for h in &r.online_handles {
                let h = handle_key(h);
                // Her own handle is hers even where it is also typed into the offender block.
                if h.chars().count() >= 2 {
                    p.reporter_handles.push(h.clone());
                    if h.chars().count() >= 3 {
                        p.reporter_needles.push(h);
                    }
                }
            }
            // A support project that reported on someone's behalf is withheld as a venue is: it names where she
            // can be found.
            if let Some(b) = &r.on_behalf {
                p.add_venue(&b.project);
            }
        }
        // The offender block never keeps a piece of the reporter's own contact details, whoever typed it there.
        let (emails, handles) = (std::mem::take(&mut p.offender_emails), std::mem::take(&mut p.offender_handles));
        p.offender_emails = emails.into_iter().filter(|e| !p.overlaps_reporter_email(e)).collect();
        p.offender_handles = handles.into_iter().filter(|h| !p.overlaps_reporter(h)).collect();
        if let Some(w) = &report.workplace {
            if let Some(v) = &w.venue_name {
                p.add_venue(v);
            }
            if let Some(a) = &w.venue_address {
                p.add_place(a, true);
            }
        }
        if let Some(l) = &report.incident.location_detail {
            p.add_place(l, false);
        }
        let mut texts: Vec<(&str, &[Tok])> = vec![(report.account.as_str(), account)];
        if let (Some(d), Some(t)) = (o.description.as_deref(), description) {
            texts.push((d, t));
        }
        for (t, toks) in &texts {
            p.find_offender_names(t, toks);
            p.find_offender_subjects(t, toks);
        }
        for (t, toks) in &texts {
            p.find_third_parties(t, toks);
        }
        p.reindex();
        p
    }

    /// The profile `build_with` would give for `town`, from this one built with no town, where the town's words
    /// changed nothing that building decided: they stand nowhere in the venue, its address or the location (whose
    /// words building reads in runs), and none of them was taken for a third party in the account or description
    /// (the one place building reads the texts against the town). Then the only difference is the town's own words.
    /// `None` where the profile must be built again.
    pub fn with_town(mut self, report: &Report, town: &str) -> Option<Self> {
        let town_words: HashSet<String> = words_of(town).into_iter().collect();
        if !town_words.is_empty() {
            let w = report.workplace.as_ref();
            let short = [
                w.and_then(|w| w.venue_name.as_deref()),
                w.and_then(|w| w.venue_address.as_deref()),
                report.incident.location_detail.as_deref(),
            ];
            // The cheaper test first.
            let third = town_words.iter().any(|w| self.third.contains_key(w.as_str()));
            if third || short.into_iter().flatten().any(|x| tokenize(x).iter().any(|t| town_words.contains(&*t.low))) {
                return None;
            }
        }
        if self.town_words.is_empty() {
            // Built with no town: the index lacks only the town's words.
            for w in &town_words {
                *self.index.entry(w.clone()).or_default() |= PF_TOWN;
                self.index_filter.insert(w);
            }
            self.town_words = town_words;
        } else {
            self.town_words = town_words;
            self.reindex();
        }
        Some(self)
    }

    /// Whether a number (national digits) is the reporter's: the same digits, or one holding the other (a number cut
    /// short or run on).
    pub fn is_reporter_phone(&self, digits: &str) -> bool {
        match self.reporter_phone_digits.as_deref() {
            Some(r) => r == digits || (digits.len() >= 7 && r.contains(digits)) || (r.len() >= 7 && digits.contains(r)),
            None => false,
        }
    }

    /// Whether an identifier (folded, a handle without its '@') holds one of the reporter's own or is a piece of one:
    /// her email, its local part, her handles. Such an identifier is never listed as the offender's.
    pub fn overlaps_reporter(&self, key: &str) -> bool {
        if key.is_empty() {
            return false;
        }
        let short = key.chars().count() < 3;
        self.reporter_needles
            .iter()
            .map(String::as_str)
            .chain(self.reporter_email.as_deref())
            .chain(self.reporter_handles.iter().map(String::as_str))
            .any(|r| r == key || (r.chars().count() >= 3 && holds_word(key, r)) || (!short && r.contains(key)))
    }

    /// As `overlaps_reporter`, for an email: the whole address and its local part.
    pub fn overlaps_reporter_email(&self, email: &str) -> bool {
        let e = fold(email.trim());
        self.overlaps_reporter(&e) || e.split_once('@').is_some_and(|(local, _)| self.overlaps_reporter(local))
    }

    pub fn reindex(&mut self) {
        let size = self.keep_words.len()
            + self.found_keep.len()
            + self.town_words.len()
            + self.words.len()
            + self.third.len()
            + self.phrases.len();
        let mut index: HashMap<String, u8> = HashMap::with_capacity_and_hasher(size, Default::default());
        let mut mark = |w: &String, bit: u8| *index.entry(w.clone()).or_default() |= bit;
        self.keep_words.iter().for_each(|w| mark(w, PF_KEEP));
        self.found_keep.iter().for_each(|w| mark(w, PF_FOUND));
        self.town_words.iter().for_each(|w| mark(w, PF_TOWN));
        self.words.keys().for_each(|w| mark(w, PF_WORD));
        self.third.keys().for_each(|w| mark(w, PF_THIRD));
        self.phrases.keys().for_each(|w| mark(w, PF_PHRASE));
        self.index_filter = index.keys().map(String::as_str).collect();
        self.index = index;
    }

    /// The `PF_*` facts of a word (lower case); `street`: whether it is a street word or abbreviation (only an
    /// abbreviation has another form to look up).
    pub fn facts(&self, low: &str, street: bool) -> u8 {
        let look = |w: &str| if self.index_filter.may_hold(w) { self.index.get(w).copied().unwrap_or(0) } else { 0 };
        let f = look(low);
        if low.len() > 4 || !street {
            return f;
        }
        let canon = canon_street(low);
        if canon != low { f | (look(canon) & PF_PHRASE) } else { f }
    }

    fn add_phrase(&mut self, mut words: Vec<String>, kind: RedactionKind, rep: &'static str) {
        if words.is_empty() {
            return;
        }
        // Street abbreviations in their long form; every other word as it is, not copied.
        for w in &mut words {
            let canon = canon_street(w);
            if canon != w.as_str() {
                *w = canon.to_owned();
            }
        }
        let list = match self.phrases.get_mut(words[0].as_str()) {
            Some(list) => list,
            None => self.phrases.entry(words[0].clone()).or_default(),
        };
        if !list.iter().any(|p| p.words == words) {
            list.push(Phrase { words, kind, rep });
            list.sort_by_key(|p| std::cmp::Reverse(p.words.len()));
        }
    }

    fn add_word(&mut self, w: &str, kind: RedactionKind, rep: &'static str, cap_only: bool) {
        if w.chars().count() < 2 || self.keep_words.contains(w) {
            return;
        }
        let entry = self.words.entry(w.to_owned()).or_insert(Word { kind, rep, cap_only });
        // A reporter's word is taken out in every case, whatever else it is.
        if kind == RedactionKind::ReporterIdentity {
            *entry = Word { kind, rep, cap_only: false };
        }
        entry.cap_only &= cap_only;
    }

    /// A person's name: the whole name as a phrase, and each part alone.
    fn add_name(&mut self, name: &str, kind: RedactionKind, rep: &'static str, cap_only: bool) {
        let toks = tokenize(name);
        let words: Vec<String> = toks.iter().map(|t| t.low.to_string()).collect();
        if words.len() > 1 {
            self.add_phrase(words.clone(), kind, rep);
        }
        let lower_case: Vec<bool> = toks.iter().map(|t| !t.cap).collect();
        for (k, w) in words.iter().enumerate() {
            // "Funmi Adeyemi (support worker for ...)": a function word, or one the sanitiser writes in place of what
            // it takes out, written in lower case in the name is no part of the name ("Șömé", which folds to "some",
            // is).
            let plain = super::lexicon::STOPWORDS.contains(w.as_str()) || super::lexicon::replacement_word(w);
            if plain && lower_case.get(k).copied().unwrap_or(false) {
                continue;
            }
            self.add_word(w, kind, rep, cap_only);
            // "Kit" for Katherine, "Bex" for Rebecca: a short form that is also a word is the name only when capitalised.
            for d in super::lexicon::DIMINUTIVES.get(w.as_str()).copied().unwrap_or_default() {
                let common = super::tokens::word_flags(d) & (super::tokens::COMMON | super::tokens::STOP) != 0;
                self.add_word(d, kind, rep, cap_only || common);
            }
            // "O'Neill" is also written "Neill" after a stray apostrophe or "ONeill".
            if let Some((_, rest)) = w.split_once(['\'', '’']) {
                self.add_word(rest, kind, rep, cap_only);
                self.add_word(&w.replace(['\'', '’'], ""), kind, rep, cap_only);
            }
        }
    }

    /// The venue's given name: whole, without "The", its distinctive core, and each distinctive word.
    fn add_venue(&mut self, name: &str) {
        let toks = tokenize(name);
        let words: Vec<String> = toks.iter().map(|t| t.low.to_string()).collect();
        if words.is_empty() {
            return;
        }
        let rep = words.iter().rev().find_map(|w| venue_noun(w)).filter(|r| *r != "an agency").unwrap_or("a venue");
        self.add_phrase(words.clone(), RedactionKind::Venue, rep);
        let core: Vec<String> = words.iter().skip_while(|w| *w == "the").cloned().collect();
        self.add_phrase(core.clone(), RedactionKind::Venue, rep);
        let trimmed: Vec<String> = {
            let mut c = core.clone();
            while c.last().is_some_and(|w| generic_place_word(w)) {
                c.pop();
            }
            c
        };
        if trimmed.len() > 1 {
            self.add_phrase(trimmed.clone(), RedactionKind::Venue, "a venue");
        }
        for t in toks.iter().filter(|t| !t.num) {
            if generic_place_word(&t.low) || t.stop() || t.calendar() || self.town_words.contains(&*t.low) {
                continue;
            }
            let rep = if venue_noun(&t.low).is_some() { rep } else { "a venue" };
            self.add_word(&t.low, RedactionKind::Venue, rep, very_common(&t.low));
        }
    }

    /// An address or a place as the reporter wrote it: split at commas, each part taken as a street (with or without
    /// its number), a building or a named place.
    fn add_place(&mut self, text: &str, is_address: bool) {
        for seg in text.split([',', '\n', ';', '(', ')']) {
            let toks = tokenize(seg);
            if toks.is_empty() {
                continue;
            }
            // The postcode is found by pattern; the town is public.
            let toks: Vec<Tok> = toks.into_iter().filter(|t| !self.town_words.contains(&*t.low)).collect();
            // "Flat 2", "Room 3": the number of a room tells nothing without the building.
            if toks.len() <= 2 && toks.first().is_some_and(|t| matches!(&*t.low, "flat" | "room" | "unit" | "apartment" | "apt" | "floor"))
            {
                continue;
            }
            self.add_runs(seg, &toks, is_address);
        }
    }

    fn add_runs(&mut self, seg: &str, toks: &[Tok], is_address: bool) {
        // Runs of name-like words; a run that ends in a street word is a street, with the house number before it.
        let name_like = |t: &Tok| !t.num && !t.stop() && (t.cap || !t.common() || STREET_SUFFIXES.contains_key(&*t.low) || is_address);
        let mut i = 0;
        while i < toks.len() {
            if !name_like(&toks[i]) || matches!(&*toks[i].low, "the" | "my" | "our") {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < toks.len() && name_like(&toks[j]) && soft_gap(&seg[toks[j - 1].e..toks[j].s]) {
                j += 1;
            }
            let run = &toks[i..j];
            let words: Vec<String> = run.iter().map(|t| t.low.to_string()).collect();
            let last = canon_street(&words[words.len() - 1]).to_owned();
            let is_street = STREET_SUFFIXES.contains_key(last.as_str()) && words.len() > 1;
            let venue = words.iter().rev().find_map(|w| venue_noun(w));
            let (kind, rep) = match venue {
                Some(r) if !is_street => (RedactionKind::Venue, r),
                _ if is_street => (RedactionKind::Address, "a nearby street"),
                _ => (RedactionKind::Address, "a place nearby"),
            };
            let distinctive: Vec<&Tok> =
                run.iter().filter(|t| !generic_place_word(&t.low) && !t.calendar() && t.low.chars().count() >= 3).collect();
            if !distinctive.is_empty() {
                if words.len() > 1 {
                    self.add_phrase(words.clone(), kind, rep);
                    // "The Velvet Rooms" without the venue noun, "Leith Walk" with its number.
                    let mut core = words.clone();
                    while core.len() > 1 && core.last().is_some_and(|w| generic_place_word(w) && !is_street) {
                        core.pop();
                    }
                    if core.len() != words.len() {
                        self.add_phrase(core, kind, rep);
                    }
                }
                if i > 0 && toks[i - 1].num {
                    let mut with_number = vec![toks[i - 1].low.to_string()];
                    with_number.extend(words.iter().cloned());
                    self.add_phrase(with_number, RedactionKind::Address, "an address nearby");
                }
                for t in distinctive {
                    let rep = if is_street {
                        "a nearby street"
                    } else if kind == RedactionKind::Venue {
                        "a venue"
                    } else {
                        "a place nearby"
                    };
                    self.add_word(&t.low, kind, rep, t.common());
                }
            }
            i = j;
        }
    }

    /// "called himself Gaz", "said his name was bill": the name after such words is the offender's.
    fn find_offender_names(&mut self, text: &str, toks: &[Tok]) {
        for i in 0..toks.len() {
            if !toks[i].cue() {
                continue;
            }
            for cue in OFFENDER_CUES_BY_START.get(&*toks[i].low).map_or(&[][..], Vec::as_slice) {
                if i + cue.len() >= toks.len() || !cue.iter().enumerate().all(|(k, w)| toks[i + k].low == *w) {
                    continue;
                }
                let n = i + cue.len();
                let cand = &toks[n];
                // A name inside what he said or wrote is not his beyond doubt ("call me" in his text, to her); nor is
                // one he calls her ("he call me Nkechi"): "call me" is his name only after "said" ("he say call me
                // Paddy").
                if inside_quotes(text, toks[i].s) {
                    continue;
                }
                if cue[0] == "call"
                    && cue[1] == "me"
                    && !i.checked_sub(1).is_some_and(|k| matches!(&*toks[k].low, "said" | "says" | "say" | "saying" | "sez" | "just"))
                {
                    continue;
                }
                if !self.offender_name_like(cand) {
                    continue;
                }
                let mut name = text[cand.s..cand.e].to_owned();
                self.found_keep.insert(cand.low.to_string());
                let surname = toks
                    .get(n + 1)
                    .filter(|next| next.cap && soft_gap(&text[cand.e..next.s]) && self.offender_name_like(next) && !next.common());
                if let Some(next) = surname {
                    self.found_keep.insert(next.low.to_string());
                    name.push(' ');
                    name.push_str(&text[next.s..next.e]);
                }
                if (cand.cap || cand.given()) && !weak_cue(cue) {
                    self.found_offender_names.push(name);
                }
            }
        }
    }

    /// "dazzler 07700 900479 robbed me": at the start of a sentence, a name, perhaps his number, then what he did to
    /// her. The name is his.
    fn find_offender_subjects(&mut self, text: &str, toks: &[Tok]) {
        for (i, t) in toks.iter().enumerate() {
            if !t.start || !self.offender_name_like(t) || NOT_NAMES.contains(&*t.low) {
                continue;
            }
            // Skip the digits of a number written after the name.
            let mut k = i + 1;
            while toks.get(k).is_some_and(|x| x.num || x.low.bytes().all(|b| b.is_ascii_digit())) && k < i + 5 {
                k += 1;
            }
            let verb = toks.get(k).is_some_and(|v| offence_verb(&v.low));
            let object = toks.get(k + 1).is_some_and(|o| matches!(&*o.low, "me" | "us"));
            if verb && object && !inside_quotes(text, t.s) {
                self.found_keep.insert(t.low.to_string());
                self.found_offender_names.push(text[t.s..t.e].to_owned());
            }
        }
    }

    fn offender_name_like(&self, t: &Tok) -> bool {
        if t.num || t.stop() || t.embedded || t.calendar() || self.words.contains_key(&*t.low) {
            return false;
        }
        if t.low.chars().count() < 2 {
            return false;
        }
        t.given() || self.keep_words.contains(&*t.low) || (!t.common() && t.low.chars().all(char::is_alphabetic))
    }

    /// Third parties: named after a role ("my friend Kayla", "the driver Marius"), before one ("Leanne (our maid)",
    /// "Fiona, the manageress"), or by a given name from the shipped list.
    fn find_third_parties(&mut self, text: &str, toks: &[Tok]) {
        for i in 0..toks.len() {
            // Role, then name.
            let role_then_name = toks[i].role().zip(toks.get(i + 1)).filter(|(_, n)| {
                let gap = &text[toks[i].e..n.s];
                matches!(gap.trim(), "" | "," | ":" | "-") && gap.len() <= 3 && self.third_candidate_in(n, true)
            });
            if let Some((role, n)) = role_then_name {
                self.add_third(n, role);
                let surname = toks.get(i + 2).filter(|m| m.cap && soft_gap(&text[n.e..m.s]) && self.third_candidate(m) && !m.common());
                if let Some(m) = surname {
                    self.add_third(m, role);
                }
            }
            // Name, then role: "Leanne (our maid)", "Fiona, the manageress", "Kirsty my pal". The role stands two
            // words on, after "our", "the"...: a word that names no role there is the usual case, and the cheapest test.
            if let Some(next) = toks.get(i + 1).filter(|_| toks.get(i + 2).is_some_and(Tok::may_name_role)) {
                let gap = text[toks[i].e..next.s].trim();
                if matches!(gap, "" | "," | "(" | ", (" | "-") {
                    let mut k = i + 1;
                    if matches!(&*toks[k].low, "our" | "my" | "the" | "her" | "his" | "a") {
                        k += 1;
                    }
                    if let Some(role) = toks.get(k).and_then(|t| t.role()) {
                        let t = &toks[i];
                        let name_like = t.cap || t.given();
                        if k > i + 1 && name_like && self.third_candidate(t) && !(t.start && t.common()) {
                            self.add_third(t, role);
                        }
                    }
                }
            }
        }
        for (i, t) in toks.iter().enumerate() {
            if !t.given() || !self.third_candidate(t) {
                continue;
            }
            if !t.cap && i > 0 && determiner(&toks[i - 1].low) {
                continue;
            }
            if t.common() {
                // "Precious", "Grace": a name when capitalised in mid-sentence, or at the start of one before a verb
                // ("Holly saw him").
                let verb_after = toks.get(i + 1).is_some_and(|n| follows_a_name(&n.low) && soft_gap(&text[t.e..n.s]));
                if t.cap && (!t.start || verb_after) && !is_shouting(text, t) {
                    self.add_third_if_new(t, Role::Unknown, true);
                }
            } else {
                self.add_third_if_new(t, Role::Unknown, false);
            }
        }
    }

    fn third_candidate(&self, t: &Tok) -> bool {
        self.third_candidate_in(t, false)
    }

    /// `in_context`: after a role word, a lower-case given name that is also a word ("my friend holly") is a name.
    fn third_candidate_in(&self, t: &Tok, in_context: bool) -> bool {
        let w = &*t.low;
        !(t.num
            || t.embedded
            || t.stop()
            || w.chars().count() < 2
            || self.keep_words.contains(w)
            || self.found_keep.contains(w)
            || self.town_words.contains(w)
            || t.calendar()
            || t.safe_name()
            || t.role().is_some()
            || NOT_NAMES.contains(w)
            || (!t.cap && t.common() && !(in_context && t.given()))
            || (!t.cap && w.chars().count() < 3)
            || self.words.get(w).is_some_and(|x| x.kind == RedactionKind::ReporterIdentity))
    }

    fn add_third(&mut self, t: &Tok, role: Role) {
        // Written in lower case where it was introduced, the name is written so elsewhere too.
        let cap_only = t.common() && t.cap;
        self.third.insert(t.low.to_string(), Third { role, cap_only });
    }

    fn add_third_if_new(&mut self, t: &Tok, role: Role, cap_only: bool) {
        self.third.entry(t.low.to_string()).or_insert(Third { role, cap_only });
    }
}

/// What an offender did to her, in the past tense ("robbed me", "hit us").
fn offence_verb(w: &str) -> bool {
    matches!(
        w,
        "robbed"
            | "hit"
            | "raped"
            | "attacked"
            | "assaulted"
            | "punched"
            | "slapped"
            | "strangled"
            | "choked"
            | "threatened"
            | "stabbed"
            | "kicked"
            | "spiked"
            | "drugged"
            | "stalked"
            | "scammed"
            | "battered"
            | "beat"
            | "mugged"
            | "conned"
            | "grabbed"
            | "hurt"
            | "stiffed"
            | "ripped"
    )
}

/// Whether `at` stands inside a quotation of its paragraph: after an odd number of straight double quotes, or after
/// an opening curly quote not yet closed.
pub(crate) fn inside_quotes(text: &str, at: usize) -> bool {
    let para = &text[text[..at].rfind('\n').map_or(0, |k| k + 1)..at];
    let straight = para.matches('"').count() % 2 == 1;
    let curly = para.rfind('“').is_some_and(|o| para.rfind('”').is_none_or(|c| c < o));
    straight || curly
}

/// A word in a run of capitals ("SCRATCHED HONEY INTO"), where capitals say nothing about names.
pub(crate) fn is_shouting(text: &str, t: &Tok) -> bool {
    let w = &text[t.s..t.e];
    w.chars().count() > 1 && w.chars().all(|c| !c.is_lowercase())
}
