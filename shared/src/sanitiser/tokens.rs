//! Words of a text with their byte positions, and the small facts about each that the rules read.

use std::borrow::Cow;
use std::sync::LazyLock;

use super::fold::{fold, is_mark};
use super::lexicon::{
    ADDRESS_NUMBER_WORDS, CALENDAR, HOTEL_CHAIN_STARTS, HashMap, OFFENDER_CUE_STARTS, PLACE_PREPOSITIONS, PLACES, ROLE_WORDS, Role,
    STOPWORDS, STREET_ABBREVIATIONS, STREET_SUFFIXES, TITLES, VENUE_NOUNS, VERY_COMMON_RANKS, common_words, extra_words, given_names,
    role_word, safe_names, venue_noun,
};

/// Every word list in one table, so each word is looked up once. Built straight from the lists, sized for them
/// before the first insert: it is most of what the first report a process sanitises waits for.
static LEXICON: LazyLock<HashMap<&'static str, u16>> = LazyLock::new(|| {
    let mut m: HashMap<&'static str, u16> = HashMap::with_capacity_and_hasher(80_000, Default::default());
    let mut add = |w: &'static str, bit: u16| *m.entry(w).or_default() |= bit;
    for (rank, w) in common_words().enumerate() {
        add(w, if rank < VERY_COMMON_RANKS { COMMON | VERY_COMMON } else { COMMON });
    }
    given_names().for_each(|w| add(w, GIVEN));
    extra_words().for_each(|w| add(w, EXTRA));
    safe_names().for_each(|w| add(w, SAFE));
    for (set, bit) in [(&*STOPWORDS, STOP), (&*CALENDAR, CAL)] {
        set.iter().for_each(|w| add(w, bit));
    }
    ROLE_WORDS.keys().for_each(|w| add(w, ROLE));
    HOTEL_CHAIN_STARTS.iter().for_each(|w| add(w, CHAIN));
    VENUE_NOUNS.iter().for_each(|w| add(w, VENUE));
    STREET_SUFFIXES.keys().chain(STREET_ABBREVIATIONS).for_each(|w| add(w, STREET));
    OFFENDER_CUE_STARTS.iter().for_each(|w| add(w, CUE));
    PLACES.keys().for_each(|w| add(w.as_str(), PLACE));
    TITLES.iter().for_each(|w| add(w, TITLE));
    ADDRESS_NUMBER_WORDS.iter().for_each(|w| add(w, ADDRESS_NUMBER));
    PLACE_PREPOSITIONS.iter().for_each(|w| add(w, PLACE_PREPOSITION));
    m
});

/// The facts the word lists hold about `w` (folded): `COMMON`, `STOP`, `VERY_COMMON`...
pub(crate) fn word_flags(w: &str) -> u16 {
    LEXICON.get(w).copied().unwrap_or(0)
}

#[derive(Debug, Clone)]
pub(crate) struct Tok<'a> {
    pub s: usize,
    pub e: usize,
    /// Folded (`fold`: lower case, without accents); borrowed from the text when it already is.
    pub low: Cow<'a, str>,
    /// Starts with an upper-case letter.
    pub cap: bool,
    /// Only digits, or digits and one trailing letter ("14a").
    pub num: bool,
    /// First word of a sentence, a line or a quotation.
    pub start: bool,
    /// Part of an email, link or handle ("scarlett" in "scarlett.leeds@…"): not a word of the prose.
    pub embedded: bool,
    flags: u16,
    /// Facts from the report's profile, filled in by the scanner (`PF_*`).
    pub pf: u8,
}

/// A word of the offender's names or vehicles.
pub(crate) const PF_KEEP: u8 = 1;
pub(crate) const PF_TOWN: u8 = 2;
/// A name the account gives as the offender's.
pub(crate) const PF_FOUND: u8 = 4;
pub(crate) const PF_WORD: u8 = 8;
pub(crate) const PF_THIRD: u8 = 16;
pub(crate) const PF_PHRASE: u8 = 32;
pub(crate) const PF_PROTECTED: u8 = PF_KEEP | PF_FOUND;

pub(crate) const STOP: u16 = 1;
pub(crate) const COMMON: u16 = 2;
const GIVEN: u16 = 4;
const CAL: u16 = 8;
const ROLE: u16 = 16;
const CHAIN: u16 = 32;
const VENUE: u16 = 64;
const STREET: u16 = 128;
const CUE: u16 = 256;
const SAFE: u16 = 512;
const EXTRA: u16 = 1024;
const PLACE: u16 = 2048;
/// Among the most frequent common words (`lexicon::very_common`).
pub(crate) const VERY_COMMON: u16 = 4096;
const TITLE: u16 = 8192;
const ADDRESS_NUMBER: u16 = 16384;
const PLACE_PREPOSITION: u16 = 32768;
/// The facts that say how a word is used, not whether it is a word of the language.
const USES: u16 = TITLE | ADDRESS_NUMBER | PLACE_PREPOSITION;

impl Tok<'_> {
    /// A function word ("the", "my", "said").
    pub fn stop(&self) -> bool {
        self.flags & STOP != 0
    }
    /// A common English word (`data/common_words.txt`).
    pub fn common(&self) -> bool {
        self.flags & COMMON != 0
    }
    /// In the shipped list of given names.
    pub fn given(&self) -> bool {
        self.flags & GIVEN != 0
    }
    /// The role a word names ("friend", "maid", "sister"), if it names one.
    pub fn role(&self) -> Option<Role> {
        if self.flags & ROLE != 0 { role_word(&self.low) } else { None }
    }
    /// A word no rule of the word pass (`scan::words`) takes: in lower case or a function word ("I", "He"), not a
    /// number, nothing to the report (`pf`), and able to start no venue ("the", a chain, a venue noun), house number,
    /// street (a preposition) or name (a given name). Each rule there starts with one of these tests; a capital
    /// counts only on a word that is not a function word.
    pub fn passed_by_word_rules(&self) -> bool {
        (!self.cap || self.stop())
            && !self.num
            && self.pf == 0
            && self.flags & (CHAIN | VENUE | PLACE_PREPOSITION | GIVEN | ADDRESS_NUMBER) == 0
            && self.low != "the"
    }
    /// A word deny by default (`scan::unknown`) leaves: in lower case or a function word, a word of the language,
    /// and able to start no place, house number or title.
    pub fn passed_by_deny_rules(&self) -> bool {
        (!self.cap || self.stop()) && self.flags & (PLACE | ADDRESS_NUMBER | TITLE) == 0 && self.vocabulary()
    }
    /// A word deny by default leaves when it starts a sentence, whatever its case, unless it is listed with a name
    /// ("and", "or" beside it, which the caller tests): a word of the language that can start no place, house number
    /// or title. A capital at a sentence start marks only a word that is not a word of the language.
    pub fn passed_by_deny_rules_at_a_start(&self) -> bool {
        self.start && self.flags & (PLACE | ADDRESS_NUMBER | TITLE) == 0 && self.vocabulary()
    }
    /// Whether `role` may answer a role: false for most words, without looking the word up.
    pub fn may_name_role(&self) -> bool {
        self.flags & ROLE != 0
    }
    /// The first word of a hotel chain's name.
    pub fn chain_start(&self) -> bool {
        self.flags & CHAIN != 0
    }
    /// The neutral words for the kind of venue this word names ("hotel" → "a hotel").
    pub fn venue(&self) -> Option<&'static str> {
        if self.flags & VENUE != 0 { venue_noun(&self.low) } else { None }
    }
    /// A street word or its abbreviation ("Street", "St", "Rd").
    pub fn street(&self) -> bool {
        self.flags & STREET != 0
    }
    /// The first word of a phrase that names the offender ("called himself", "his name is").
    pub fn cue(&self) -> bool {
        self.flags & CUE != 0
    }
    /// A month or a day.
    pub fn calendar(&self) -> bool {
        self.flags & CAL != 0
    }
    /// A capitalised word that names no one (`lexicon::safe_names`).
    pub fn safe_name(&self) -> bool {
        self.flags & SAFE != 0
    }
    /// A word of the report's kind of English: common, a function word, or one of `lexicon::extra_words` and
    /// `lexicon::safe_names`.
    pub fn vocabulary(&self) -> bool {
        self.flags & (COMMON | STOP | EXTRA | SAFE | CAL | ROLE | VENUE | STREET) != 0
    }
    /// The first word of a place the gazetteer knows.
    pub fn place_start(&self) -> bool {
        self.flags & PLACE != 0
    }
    /// A title or honorific before a name (`lexicon::TITLES`).
    pub fn title(&self) -> bool {
        self.flags & TITLE != 0
    }
    /// A word that gives a home by its number (`lexicon::ADDRESS_NUMBER_WORDS`).
    pub fn address_number(&self) -> bool {
        self.flags & ADDRESS_NUMBER != 0
    }
    /// A preposition before a street (`lexicon::PLACE_PREPOSITIONS`).
    pub fn place_preposition(&self) -> bool {
        self.flags & PLACE_PREPOSITION != 0
    }
}

/// Splits text into runs of letters and digits.
///
/// One pass: ASCII bytes are classed without decoding, and whether a word starts a sentence is carried forward from
/// the characters passed since the last word (the same answer as looking back from each word, `sentence_start`).
pub(crate) fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() / 5 + 1);
    // What the characters since the last word say: a sentence starts at the next word.
    let mut starts = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let (ch, len) = if c < 0x80 { (c as char, 1) } else { decode(text, i) };
        if !ch.is_alphanumeric() {
            starts = match ch {
                '\n' | '.' | '!' | '?' | ':' => true,
                '"' | '\'' | '“' | '”' | '‘' | '’' | '(' | '[' | '*' | '-' | '–' | '—' => starts,
                c if c.is_whitespace() => starts,
                _ => false,
            };
            i += len;
            continue;
        }
        let s = i;
        i += len;
        loop {
            // The common case: more ASCII letters and digits.
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            let (ch, len) = if b[i] < 0x80 { (b[i] as char, 1) } else { decode(text, i) };
            // An accent written as its own character stays in the word it marks.
            if ch.is_alphanumeric() || is_mark(ch) {
                i += len;
                continue;
            }
            // Irish and Norman surnames hold an apostrophe: "O'Neill", "D'Arcy" are one word.
            if (ch == '\'' || ch == '’')
                && i == s + 1
                && matches!(b[s], b'O' | b'o' | b'D' | b'd')
                && text[i + len..].chars().next().is_some_and(char::is_alphabetic)
            {
                i += len;
                continue;
            }
            break;
        }
        out.push(make(text, s, i, starts));
        starts = false;
    }
    out
}

/// The character at byte `i` (a character boundary) and its length.
fn decode(text: &str, i: usize) -> (char, usize) {
    let ch = text[i..].chars().next().unwrap_or(' ');
    (ch, ch.len_utf8())
}

fn make(text: &str, s: usize, e: usize, start: bool) -> Tok<'_> {
    let w = &text[s..e];
    let wb = w.as_bytes();
    let cap = if wb[0] < 0x80 { wb[0].is_ascii_uppercase() } else { w.chars().next().is_some_and(char::is_uppercase) };
    let digits = wb.iter().take_while(|b| b.is_ascii_digit()).count();
    let num = digits > 0 && (digits == wb.len() || (wb.len() == digits + 1 && wb[digits].is_ascii_alphabetic()));
    let (low, mut flags) = folded_word(w, num);
    // "shoutin", "gettin": a word with its last g dropped is the word.
    if flags & !USES == 0 && low.len() > 4 && low.ends_with("in") {
        let mut buf = [0u8; 32];
        let full: Cow<'_, str> = match buf.get_mut(..=low.len()) {
            Some(b) => {
                b[..low.len()].copy_from_slice(low.as_bytes());
                b[low.len()] = b'g';
                std::str::from_utf8(b).map_or_else(|_| format!("{low}g").into(), Cow::Borrowed)
            }
            None => format!("{low}g").into(),
        };
        if LEXICON.get(&*full).is_some_and(|f| f & (COMMON | EXTRA) != 0) {
            flags = EXTRA | (flags & USES);
        }
    }
    Tok { s, e, low, cap, num, start, embedded: embedded(text, s, e), flags, pf: 0 }
}

/// A word folded, with what the word lists hold about it (nothing for a number). Borrowed from the text when it is
/// folded already, else from the word lists where they hold it: only a word they do not know is copied.
fn folded_word(w: &str, num: bool) -> (Cow<'_, str>, u16) {
    let wb = w.as_bytes();
    let look = |low: &str| if num { 0 } else { LEXICON.get(low).copied().unwrap_or(0) };
    if wb.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return (Cow::Borrowed(w), look(w));
    }
    let mut buf = [0u8; 32];
    if w.is_ascii() && wb.len() <= buf.len() {
        for (d, c) in buf.iter_mut().zip(wb) {
            *d = c.to_ascii_lowercase();
        }
        let low = std::str::from_utf8(&buf[..wb.len()]).unwrap_or("");
        return match (num, LEXICON.get_key_value(low)) {
            (false, Some((k, f))) => (Cow::Borrowed(k), *f),
            _ => (Cow::Owned(low.to_owned()), 0),
        };
    }
    let low = fold(w);
    match (num, LEXICON.get_key_value(low.as_str())) {
        (false, Some((k, f))) => (Cow::Borrowed(k), *f),
        _ => (Cow::Owned(low), 0),
    }
}

#[cfg(test)]
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
    // Every character this looks for is ASCII: a byte of a longer character is none of them.
    let b = text.as_bytes();
    let joined = |c: u8| matches!(c, b'@' | b'_' | b'/' | b'\\' | b'=' | b'#');
    if (s > 0 && joined(b[s - 1])) || (e < b.len() && joined(b[e])) {
        return true;
    }
    // "name.surname" or "site.com": a dot with a letter on its far side.
    let alnum_at = |k: usize| match b.get(k) {
        Some(&c) if c < 0x80 => c.is_ascii_alphanumeric(),
        Some(_) => text[k..].chars().next().is_some_and(char::is_alphanumeric),
        None => false,
    };
    let alnum_before = |k: usize| match b[k - 1] {
        c if c < 0x80 => c.is_ascii_alphanumeric(),
        _ => text[..k].chars().next_back().is_some_and(char::is_alphanumeric),
    };
    let dot_then_alnum = e < b.len() && b[e] == b'.' && alnum_at(e + 1);
    let before_dot = s >= 2 && b[s - 1] == b'.' && alnum_before(s - 1);
    dot_then_alnum || before_dot
}

/// The text between two words is no more than a space or a hyphen: they read as one name.
pub(crate) fn soft_gap(g: &str) -> bool {
    !g.is_empty() && g.len() <= 3 && g.chars().all(|c| c == ' ' || c == '-' || c == '\u{a0}' || c == '\t')
}

/// Like `soft_gap`, but a comma, a full stop of an abbreviation or a line break may stand between ("14, Kirkgate").
pub(crate) fn phrase_gap(g: &str) -> bool {
    !g.is_empty() && g.len() <= 4 && g.chars().all(|c| matches!(c, ' ' | '-' | '\u{a0}' | '\t' | ',' | '.' | '\'' | '’' | '\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain reading of the rules, word by word: the fast `tokenize` must give the same words.
    fn plain(text: &str) -> Vec<(usize, usize, bool)> {
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        for (i, c) in text.char_indices() {
            if c.is_alphanumeric() || (start.is_some() && is_mark(c)) {
                if start.is_none() {
                    start = Some(i);
                }
            } else if let Some(s) = start {
                if (c == '\'' || c == '’') && i == s + 1 && matches!(text.as_bytes()[s], b'O' | b'o' | b'D' | b'd') {
                    let next = text[i + c.len_utf8()..].chars().next();
                    if next.is_some_and(char::is_alphabetic) {
                        continue;
                    }
                }
                start = None;
                out.push((s, i, sentence_start(text, s)));
            }
        }
        if let Some(s) = start {
            out.push((s, text.len(), sentence_start(text, s)));
        }
        out
    }

    /// The plain reading of `embedded`, character by character.
    fn plain_embedded(text: &str, s: usize, e: usize) -> bool {
        let before = text[..s].chars().next_back();
        let after = text[e..].chars().next();
        let joined = |c: Option<char>| matches!(c, Some('@' | '_' | '/' | '\\' | '=' | '#'));
        if joined(before) || joined(after) {
            return true;
        }
        let dot_then_alnum = |rest: &str| {
            let mut cs = rest.chars();
            cs.next() == Some('.') && cs.next().is_some_and(char::is_alphanumeric)
        };
        let b = text.as_bytes();
        let before_dot = s >= 2 && b[s - 1] == b'.' && text[..s - 1].chars().next_back().is_some_and(char::is_alphanumeric);
        dot_then_alnum(&text[e..]) || before_dot
    }

    fn same_as_plain(text: &str) {
        let toks = tokenize(text);
        let fast: Vec<(usize, usize, bool)> = toks.iter().map(|t| (t.s, t.e, t.start)).collect();
        assert_eq!(fast, plain(text), "{text:?}");
        for t in &toks {
            assert_eq!(t.embedded, plain_embedded(text, t.s, t.e), "{text:?} {}..{}", t.s, t.e);
        }
    }

    #[test]
    fn the_one_pass_tokenizer_reads_words_as_the_rules_say() {
        for text in [
            "",
            "x",
            "He said: \"Kayla's here.\" Then O'Neill left, d’Arcy too; O' Brien? (Maria) — E\u{301}lodie\u{301} ok",
            "ŁUKASZ Ștefan,Graça!IŞIL\n\n«Zoë» 14a 0770-090-0123 e.g. a.m. name@site.com  \u{a0}Nbsp",
            "\u{301}mark first, then 'quoted' * [bracket] – dash",
        ] {
            same_as_plain(text);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_one_pass_tokenizer_matches_the_plain_reading(text in "[a-zA-Z0-9 .,:!?'’\"“”‘()\\[\\]*–—\n\t\u{a0}\u{301}éÉłŁßİı«»@_/=#\\\\.é.ł-]{0,60}") {
            same_as_plain(&text);
        }
    }
}
