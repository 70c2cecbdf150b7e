//! The word tables the sanitiser reads: shipped lists, built once.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// A fast, non-keyed hash (the Fx hash of rustc) for the word tables: the keys are words of the report itself, and
/// the tables live for one call, so flooding is no concern, and SipHash was a tenth of the run time.
#[derive(Default, Clone, Copy)]
pub struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        // The last bytes (most words are shorter than eight) as one word, not one byte at a time.
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.0 = (self.0.rotate_left(5) ^ short_le(rest) ^ ((rest.len() as u64) << 59)).wrapping_mul(K);
        }
    }
    /// As `write(&[i])` would: a `str` ends its hash with one such byte, which here costs no copy into a buffer.
    fn write_u8(&mut self, i: u8) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        self.0 = (self.0.rotate_left(5) ^ u64::from(i) ^ (1 << 59)).wrapping_mul(K);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Up to seven bytes as the little-endian number they make padded with zeros, read in two overlapping pieces rather
/// than copied into a buffer.
fn short_le(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 4 {
        let lo = u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let hi = u64::from(u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]));
        lo | (hi << (8 * (n - 4)))
    } else {
        u64::from(b[0]) | (u64::from(b[n / 2]) << (8 * (n / 2))) | (u64::from(b[n - 1]) << (8 * (n - 1)))
    }
}

/// A quick test that a word is certainly not in a small set of words: one bit of 256 for each word, chosen by its
/// length and its first and last bytes. A clear bit saves hashing the word and probing the set; a set bit says only
/// "look it up".
#[derive(Debug, Default, Clone)]
pub struct WordFilter([u64; 4]);

impl WordFilter {
    fn bit(w: &str) -> usize {
        let b = w.as_bytes();
        match (b.first(), b.last()) {
            (Some(&f), Some(&l)) => (b.len().wrapping_mul(31) ^ usize::from(f).wrapping_mul(7) ^ usize::from(l).wrapping_mul(131)) & 255,
            _ => 0,
        }
    }
    pub fn insert(&mut self, w: &str) {
        let i = Self::bit(w);
        self.0[i >> 6] |= 1 << (i & 63);
    }
    pub fn may_hold(&self, w: &str) -> bool {
        let i = Self::bit(w);
        self.0[i >> 6] & (1 << (i & 63)) != 0
    }
}

impl<'a> FromIterator<&'a str> for WordFilter {
    fn from_iter<I: IntoIterator<Item = &'a str>>(words: I) -> Self {
        let mut f = WordFilter::default();
        words.into_iter().for_each(|w| f.insert(w));
        f
    }
}

pub type HashSet<T> = std::collections::HashSet<T, BuildHasherDefault<Fx>>;
pub type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Fx>>;

/// The lines of a shipped list, trimmed, without blank lines and `#` comments. Split with `memchr` and trimmed of ASCII
/// white space only (the lists hold no other), as the lists are most of the work of a process's first report.
fn lines(s: &'static str) -> impl Iterator<Item = &'static str> {
    let mut from = 0;
    memchr::memchr_iter(b'\n', s.as_bytes())
        .chain(std::iter::once(s.len()))
        .map(move |end| {
            let line = &s[from.min(end)..end];
            from = end + 1;
            line.trim_ascii()
        })
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Common given names, lower case (`shared/data/given_names.txt`): looked up through the one word table
/// (`tokens::word_flags`), never as a set of their own, so each list is read once when a process first sanitises.
pub(crate) fn given_names() -> impl Iterator<Item = &'static str> {
    lines(include_str!("../../data/given_names.txt"))
}

/// Common English words, lower case, the most frequent first (`shared/data/common_words.txt`).
pub(crate) fn common_words() -> impl Iterator<Item = &'static str> {
    lines(include_str!("../../data/common_words.txt"))
}

/// How many of the most frequent common words are too common to take out in lower case.
pub(crate) const VERY_COMMON_RANKS: usize = 3000;

/// Capitalised words that name no one and nowhere a reporter can be found (`shared/data/safe_names.txt`):
/// nationalities, countries, faiths, public services, apps, vehicle makes and models.
pub(crate) fn safe_names() -> impl Iterator<Item = &'static str> {
    lines(include_str!("../../data/safe_names.txt")).flat_map(str::split_whitespace)
}

/// Words of these reports that the common-word list lacks and that name no one (`shared/data/extra_words.txt`):
/// split contractions, text-speak, dialect, the trade's words.
/// With them, the dictionary's other words (`shared/data/dictionary_words.txt`).
pub(crate) fn extra_words() -> impl Iterator<Item = &'static str> {
    lines(include_str!("../../data/extra_words.txt"))
        .flat_map(str::split_whitespace)
        .chain(lines(include_str!("../../data/dictionary_words.txt")))
}

/// The words of every place the gazetteer knows, by first word ("milton" → ["milton", "keynes"]), longest first.
pub static PLACES: LazyLock<HashMap<String, Vec<Vec<String>>>> = LazyLock::new(|| {
    let mut m: HashMap<String, Vec<Vec<String>>> = HashMap::default();
    for name in crate::domain::gazetteer::place_names() {
        let words: Vec<String> = name.split_whitespace().map(str::to_owned).collect();
        if let Some(first) = words.first() {
            m.entry(first.clone()).or_default().push(words);
        }
    }
    for v in m.values_mut() {
        v.sort_by_key(|w| std::cmp::Reverse(w.len()));
        v.dedup();
    }
    m
});

/// Titles and honorifics that stand before a person's name, in the languages of these reports ("Mrs Okafor",
/// "Khun Somchai", "Pani Kowalska").
pub static TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "khun", "pani", "pan", "panna", "sr", "sra", "srta", "senhor",
    "senhora", "senor", "senora", "dona", "dom", "herr", "frau", "monsieur", "madame", "mme", "mlle", "signor", "signora", "domnul",
    "doamna", "bay", "bayan", "hajji", "haji", "sheikh", "chief", "aunty", "auntie", "uncle", "mister", "missus", "mrs.",
];

/// The words the sanitiser writes in place of what it takes out ("the worker", "someone", "an address nearby").
pub fn replacement_word(w: &str) -> bool {
    matches!(
        w,
        "worker"
            | "someone"
            | "somewhere"
            | "place"
            | "address"
            | "nearby"
            | "account"
            | "email"
            | "phone"
            | "number"
            | "venue"
            | "friend"
            | "colleague"
            | "relative"
            | "neighbour"
            | "room"
            | "link"
            | "hotel"
            | "agency"
            | "support"
    )
}

/// Words that give a house, flat or door by its number alone ("number 14", "flat 5/2", "apt 9C").
pub static ADDRESS_NUMBER_WORDS: &[&str] = &[
    "number",
    "no",
    "num",
    "nr",
    "flat",
    "flats",
    "apt",
    "apartment",
    "unit",
    "house",
    "door",
    "block",
    "hse",
    "plot",
    "bldg",
    "room",
    "rm",
];

/// Words that join the parts of a person's name ("Maria da Graça", "Ludwig van Beek", "Abdullah bin Ahmed").
pub fn name_joiner(w: &str) -> bool {
    matches!(
        w,
        "da" | "de"
            | "do"
            | "dos"
            | "das"
            | "del"
            | "della"
            | "di"
            | "van"
            | "von"
            | "der"
            | "den"
            | "bin"
            | "bint"
            | "ibn"
            | "al"
            | "el"
            | "la"
            | "le"
            | "ni"
            | "nic"
            | "mac"
            | "mc"
            | "ap"
            | "y"
    )
}

/// Short and pet forms of common given names, by the full name: a name withheld is withheld in these forms too.
pub static DIMINUTIVES: LazyLock<HashMap<&'static str, &'static [&'static str]>> = LazyLock::new(|| {
    let table: &[(&str, &[&str])] = &[
        ("katherine", &["kate", "katie", "kat", "kath", "kathy", "kit", "kitty", "kay", "katy", "kaz"]),
        ("catherine", &["cath", "cathy", "cat", "kate", "katie", "kit", "kitty", "cate", "cathie"]),
        ("kathryn", &["kate", "katie", "kath", "kathy", "kit"]),
        ("elizabeth", &["liz", "lizzie", "lizzy", "beth", "betty", "bess", "eliza", "libby", "lisa", "ellie", "betsy"]),
        ("rebecca", &["becky", "becca", "bex", "becks"]),
        ("natasha", &["tash", "tasha", "nat"]),
        ("natalie", &["nat", "nattie", "tally"]),
        ("jasmine", &["jaz", "jas", "jazz", "jazzy", "jas"]),
        ("jacqueline", &["jackie", "jacqui", "jax"]),
        ("margaret", &["maggie", "meg", "peggy", "marge", "mags", "greta", "madge"]),
        ("alexandra", &["alex", "lexi", "lexie", "sandra", "sasha", "ali", "xandra"]),
        ("alexander", &["alex", "sandy", "sasha", "xander", "sacha", "alec"]),
        ("samantha", &["sam", "sammy", "sammie"]),
        ("victoria", &["vicky", "vicki", "tori", "vic"]),
        ("jennifer", &["jen", "jenny", "jenni", "jenna"]),
        ("stephanie", &["steph", "stevie"]),
        ("charlotte", &["charlie", "lottie", "lotte", "char"]),
        ("abigail", &["abi", "abby", "gail"]),
        ("christina", &["chris", "tina", "chrissy", "kristy"]),
        ("christine", &["chris", "chrissie", "tina"]),
        ("michelle", &["shell", "shelly", "chelle"]),
        ("danielle", &["dani", "danni", "elle"]),
        ("gabriela", &["gabi", "gabby", "ela"]),
        ("gabriella", &["gabi", "gabby", "ella"]),
        ("isabella", &["bella", "izzy", "issy", "isa"]),
        ("isabel", &["izzy", "bel", "belle", "issy"]),
        ("anastasia", &["stacy", "stacey", "ana", "nastya", "tasia"]),
        ("magdalena", &["magda", "lena", "madzia"]),
        ("malgorzata", &["gosia", "gosha", "margo"]),
        ("katarzyna", &["kasia", "kasha", "kate"]),
        ("agnieszka", &["aga", "agi", "agusia"]),
        ("aleksandra", &["ola", "ala", "alex"]),
        ("joanna", &["asia", "jo", "joanne"]),
        ("ioana", &["ioni", "oana"]),
        ("mihaela", &["miha", "mihi"]),
        ("francesca", &["fran", "frankie", "chesca", "cesca"]),
        ("frances", &["fran", "frankie", "fanny"]),
        ("georgina", &["george", "gina", "georgie"]),
        ("antonia", &["toni", "tonia"]),
        ("roberta", &["bobbie", "robbie"]),
        ("patricia", &["pat", "patty", "trish", "tricia"]),
        ("deborah", &["debs", "debbie", "deb"]),
        ("amanda", &["mandy", "manda"]),
        ("kimberley", &["kim", "kimmy"]),
        ("kimberly", &["kim", "kimmy"]),
        ("caroline", &["caz", "carrie", "carol", "lina"]),
        ("carolyn", &["caz", "carrie", "carol"]),
        ("teresa", &["tess", "tessa", "terri", "tree"]),
        ("theresa", &["tess", "tessa", "terri"]),
        ("susan", &["sue", "suzy", "susie"]),
        ("suzanne", &["sue", "suzy", "suze"]),
        ("louise", &["lou", "lulu", "louie"]),
        ("nicola", &["nicky", "nikki", "nic", "cola"]),
        ("nicole", &["nicky", "nikki", "nic"]),
        ("rachel", &["rach", "rae"]),
        ("eleanor", &["ellie", "nell", "nora", "elle", "ella"]),
        ("vanessa", &["ness", "nessa", "nessie"]),
        ("veronica", &["ronnie", "nica", "vera"]),
        ("graca", &["gracinha"]),
        ("maria", &["mari", "mia", "ria"]),
        ("josephine", &["jo", "josie", "jojo"]),
        ("penelope", &["penny", "pen"]),
        ("dorothy", &["dot", "dottie", "dolly"]),
        ("anne", &["annie", "nan", "nancy"]),
        ("ann", &["annie", "nan"]),
        ("jessica", &["jess", "jessie", "jessy"]),
        ("olivia", &["liv", "livvy", "ollie"]),
        ("kirsty", &["kirst", "kirs"]),
        ("kristina", &["kris", "tina", "krissy"]),
        ("yasmin", &["yaz", "yas", "minnie"]),
        ("bronwen", &["bron", "bronnie"]),
        ("siobhan", &["shiv", "vonnie"]),
        ("bernadette", &["bernie", "detta"]),
        ("roisin", &["ro", "rosh"]),
        ("charmaine", &["charm", "char"]),
        ("michael", &["mike", "mick", "micky", "mikey", "mo"]),
        ("william", &["will", "bill", "billy", "liam", "willie"]),
        ("robert", &["rob", "bob", "bobby", "robbie", "bert"]),
        ("richard", &["rich", "rick", "ricky", "dick", "richie"]),
        ("thomas", &["tom", "tommy", "thom"]),
        ("james", &["jim", "jimmy", "jamie", "jay"]),
        ("joseph", &["joe", "joey", "jo"]),
        ("daniel", &["dan", "danny"]),
        ("matthew", &["matt", "matty"]),
        ("andrew", &["andy", "drew"]),
        ("anthony", &["tony", "ant"]),
        ("christopher", &["chris", "kit", "topher"]),
        ("benjamin", &["ben", "benny", "benji"]),
        ("edward", &["ed", "eddie", "ted", "ned"]),
        ("gareth", &["gaz", "gaz", "gar"]),
        ("gary", &["gaz"]),
        ("bryn", &["brynny"]),
        ("jonathan", &["jon", "jonny", "johnny"]),
        ("nicholas", &["nick", "nicky"]),
        ("stephen", &["steve", "stevie"]),
        ("steven", &["steve", "stevie"]),
        ("terence", &["terry", "tel"]),
        ("david", &["dave", "davey", "davy"]),
    ];
    table.iter().copied().collect()
});

/// Among the most frequent English words: too common to take out in lower case ("red", "door", "northern").
pub fn very_common(w: &str) -> bool {
    super::tokens::word_flags(w) & super::tokens::VERY_COMMON != 0
}

/// Verbs that follow a person's name at the start of a sentence ("Holly saw him").
pub fn follows_a_name(w: &str) -> bool {
    matches!(
        w,
        "was"
            | "saw"
            | "said"
            | "says"
            | "told"
            | "heard"
            | "came"
            | "went"
            | "rang"
            | "called"
            | "texted"
            | "has"
            | "had"
            | "got"
            | "took"
            | "who"
            | "thinks"
            | "thought"
            | "knows"
            | "knew"
            | "seen"
            | "helped"
            | "drove"
            | "picked"
            | "stayed"
            | "works"
            | "worked"
            | "is"
            | "and"
            | "from"
            | "on"
    )
}

/// Venue nouns strong enough that any words before them name the place ("the county hotel").
pub fn strong_venue_noun(w: &str) -> bool {
    matches!(w, "hotel" | "inn" | "lodge" | "motel" | "sauna" | "parlour" | "parlor" | "guesthouse" | "hostel" | "travelodge")
}

fn set(words: &'static str) -> HashSet<&'static str> {
    words.split_whitespace().collect()
}

/// Function words and the like: never part of a name.
pub static STOPWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    set("a an the and or but if of to in on at by for from with without into onto off out up down over under near nearby
        i me my mine we us our ours you your yours he him his she her hers they them their it its this that these those
        is was were be been being am are has have had do did does done not no yes so as then than too very just also
        who whom whose which what when where why how there here all any some one two three four five six seven eight
        nine ten few many much more most other another same such own each every both either neither about after before
        again once while till until since because though although can could will would shall should may might must
        said says say told tells got get gets went go goes came come comes took take takes gave give gives
        minutes minute hours hour mins hrs days day weeks week months month years year times time am pm ish
        back front side top bottom end way round around through thru across along behind beside between past
        really still even only always never ever later soon now today tonight yesterday tomorrow
        im ive id ill dont didnt wasnt isnt cant wont couldnt wouldnt hes shes theyre thats whats u ur yeah ok okay
        upstairs downstairs inside outside left right first second last next")
});

/// Months and days: capitalised, often given names too ("May", "June"), never taken for a person.
pub static CALENDAR: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    set("january february march april may june july august september october november december
        monday tuesday wednesday thursday friday saturday sunday jan feb mar apr jun jul aug sep sept oct nov dec
        mon tue tues wed thu thur thurs fri sat sun christmas easter xmas")
});

/// Street-type words. `true`: strong enough to mark a street even in lower case after a preposition.
pub static STREET_SUFFIXES: LazyLock<HashMap<&'static str, bool>> = LazyLock::new(|| {
    let mut m = HashMap::default();
    for w in "street st road rd lane ln avenue ave terrace terr crescent cres esplanade boulevard gardens gdns mews wynd parade
        drive dr grove gr close cl way"
        .split_whitespace()
    {
        m.insert(w, true);
    }
    for w in "place pl court ct hill row walk square sq gate park green view rise vale brae quay wharf yard circus broadway
        embankment loan path end bank side croft fold lea meadow meadows mount approach chase dale estate heights
        causeway vennel close-by"
        .split_whitespace()
    {
        m.entry(w).or_insert(false);
    }
    m
});

/// The abbreviations `canon_street` knows.
pub static STREET_ABBREVIATIONS: &[&str] =
    &["st", "str", "rd", "ln", "ave", "av", "terr", "ter", "cres", "gdns", "dr", "gr", "cl", "pl", "ct", "sq"];

/// Every word `venue_noun` knows.
pub static VENUE_NOUNS: &[&str] = &[
    "hotel",
    "hotels",
    "inn",
    "lodge",
    "motel",
    "travelodge",
    "guesthouse",
    "hostel",
    "suites",
    "sauna",
    "spa",
    "parlour",
    "parlor",
    "massage",
    "club",
    "lounge",
    "nightclub",
    "bar",
    "pub",
    "tavern",
    "arms",
    "escorts",
    "companions",
    "agency",
    "models",
    "apartments",
    "flats",
    "towers",
    "mansions",
    "residences",
    "rooms",
    "studio",
    "studios",
    "house",
    "salon",
    "retreat",
    "lounges",
];

/// Street abbreviations to their full form, so "Magdalen St" matches "Magdalen Street".
pub fn canon_street(w: &str) -> &str {
    match w {
        "st" | "str" => "street",
        "rd" => "road",
        "ln" => "lane",
        "ave" | "av" => "avenue",
        "terr" | "ter" => "terrace",
        "cres" => "crescent",
        "gdns" => "gardens",
        "dr" => "drive",
        "gr" => "grove",
        "cl" => "close",
        "pl" => "place",
        "ct" => "court",
        "sq" => "square",
        other => other,
    }
}

/// Words that name a kind of building where an incident can happen, with the neutral words that replace a named one.
pub fn venue_noun(w: &str) -> Option<&'static str> {
    Some(match w {
        "hotel" | "hotels" | "inn" | "lodge" | "motel" | "travelodge" | "guesthouse" | "hostel" | "suites" => "a hotel",
        "sauna" | "spa" => "a sauna",
        "parlour" | "parlor" | "massage" => "a parlour",
        "club" | "lounge" | "nightclub" => "a club",
        "bar" | "pub" | "tavern" | "arms" => "a bar",
        "escorts" | "companions" | "agency" | "models" => "an agency",
        "apartments" | "flats" | "towers" | "mansions" | "residences" => "a block of flats",
        "rooms" | "studio" | "studios" | "house" | "salon" | "retreat" | "lounges" => "a venue",
        _ => return None,
    })
}

/// Nouns of a venue noun list that are too common alone to end a lower-case venue name ("the same house").
pub fn weak_venue_noun(w: &str) -> bool {
    matches!(w, "house" | "rooms" | "bar" | "club" | "lounge" | "studio" | "arms" | "models" | "agency" | "flats")
}

/// Hotel chains: a chain's name alone tells little, but with its street it pins down the place.
pub static HOTEL_CHAINS: &[&[&str]] = &[
    &["premier", "inn"],
    &["travelodge"],
    &["holiday", "inn"],
    &["holiday", "inn", "express"],
    &["ibis"],
    &["ibis", "styles"],
    &["hilton"],
    &["marriott"],
    &["radisson"],
    &["radisson", "blu"],
    &["novotel"],
    &["jurys", "inn"],
    &["best", "western"],
    &["mercure"],
    &["crowne", "plaza"],
    &["doubletree"],
    &["malmaison"],
    &["ramada"],
    &["days", "inn"],
    &["britannia", "hotel"],
    &["motel", "one"],
    &["park", "inn"],
    &["village", "hotel"],
    &["hotel", "du", "vin"],
    &["easyhotel"],
    &["yotel"],
    &["moxy"],
    &["hampton", "by", "hilton"],
    &["leonardo", "hotel"],
    &["sheraton"],
    &["hyatt"],
    &["maldron"],
    &["clayton", "hotel"],
    &["hub", "by", "premier", "inn"],
];

/// The first words of the hotel chains, to skip the chain list quickly.
pub static HOTEL_CHAIN_STARTS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| HOTEL_CHAINS.iter().map(|c| c[0]).collect());

/// The first words of the offender-name cues.
pub static OFFENDER_CUE_STARTS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| OFFENDER_NAME_CUES.iter().map(|c| c[0]).collect());

/// `OFFENDER_NAME_CUES` by their first word, in their order, so a word is compared only with the cues it can start.
pub static OFFENDER_CUES_BY_START: LazyLock<HashMap<&'static str, Vec<&'static [&'static str]>>> = LazyLock::new(|| {
    let mut m: HashMap<&'static str, Vec<&'static [&'static str]>> = HashMap::default();
    for cue in OFFENDER_NAME_CUES {
        m.entry(cue[0]).or_default().push(cue);
    }
    m
});

/// Who a third party is to the reporter, and the neutral words that stand for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Friend,
    Colleague,
    Relative,
    Neighbour,
    Unknown,
}

impl Role {
    pub fn words(self) -> &'static str {
        match self {
            Role::Friend => "a friend",
            Role::Colleague => "a colleague",
            Role::Relative => "a relative",
            Role::Neighbour => "a neighbour",
            Role::Unknown => "someone",
        }
    }
}

/// Words that introduce a third party by role ("my friend X", "the driver X", "X (our maid)").
fn role_of(w: &str) -> Option<Role> {
    Some(match w {
        "friend" | "freind" | "frend" | "mate" | "pal" | "bestie" | "bff" | "flatmate" | "housemate" | "roommate" | "m8" | "friends"
        | "mates" | "buddy" => Role::Friend,
        "maid" | "receptionist" | "manager" | "manageress" | "boss" | "madam" | "booker" | "driver" | "minder" | "bouncer" | "security"
        | "colleague" | "coworker" | "workmate" | "owner" | "cleaner" | "lass" | "girl" | "receptionists" | "maids" | "drivers"
        | "colleagues" | "landlord" | "landlady" | "escort" | "worker" | "babysitter" => Role::Colleague,
        "sister" | "brother" | "sis" | "bro" | "mum" | "mam" | "mom" | "mother" | "dad" | "father" | "cousin" | "aunt" | "auntie"
        | "aunty" | "uncle" | "niece" | "nephew" | "daughter" | "son" | "gran" | "nan" | "nana" | "granny" | "grandma" | "grandad"
        | "grandmother" | "grandfather" | "partner" | "boyfriend" | "girlfriend" | "husband" | "wife" | "fiance" | "fiancee" | "fiancé"
        | "ex" | "kid" | "kids" | "child" | "stepdad" | "stepmum" => Role::Relative,
        "neighbour" | "neighbor" | "neighbours" => Role::Neighbour,
        _ => return None,
    })
}

/// Every role word, for the word table.
pub static ROLE_WORDS: LazyLock<HashMap<&'static str, Role>> = LazyLock::new(|| {
    "friend freind frend mate pal bestie bff flatmate housemate roommate m8 friends mates buddy maid receptionist manager
     manageress boss madam booker driver minder bouncer security colleague coworker workmate owner cleaner lass girl
     receptionists maids drivers colleagues landlord landlady escort worker babysitter sister brother sis bro mum mam mom
     mother dad father cousin aunt auntie aunty uncle niece nephew daughter son gran nan nana granny grandma grandad
     grandmother grandfather partner boyfriend girlfriend husband wife fiance fiancee fiancé ex kid kids child stepdad
     stepmum neighbour neighbor neighbours"
        .split_whitespace()
        .filter_map(|w| role_of(w).map(|r| (w, r)))
        .collect()
});

/// Words that introduce a third party by role ("my friend X", "the driver X", "X (our maid)").
pub fn role_word(w: &str) -> Option<Role> {
    ROLE_WORDS.get(w).copied()
}

/// Word sequences after which the offender's name follows ("called himself Gaz", "said his name was Bill").
pub static OFFENDER_NAME_CUES: &[&[&str]] = &[
    &["called", "himself"],
    &["calling", "himself"],
    &["callin", "himself"],
    &["callin", "himsel"],
    &["calling", "himsel"],
    &["calls", "himself"],
    &["calls", "himsel"],
    &["his", "name", "is"],
    &["his", "name", "was"],
    &["his", "name", "s"],
    &["his", "names"],
    &["said", "he", "was"],
    &["says", "he", "is"],
    &["said", "he", "is"],
    &["call", "me"],
    &["call", "him"],
    &["he", "goes", "by"],
    &["he", "went", "by"],
    &["introduced", "himself", "as"],
    &["booked", "under"],
    &["booked", "as"],
    &["under", "the", "name"],
    &["name", "on", "the", "booking", "was"],
    &["he", "s", "called"],
    &["hes", "called"],
    &["he", "is", "called"],
    &["he", "was", "called"],
    &["said", "he", "was", "called"],
    &["call", "himself"],
    &["called", "hisself"],
    &["calling", "hisself"],
    &["he", "s", "known", "as"],
    &["hes", "known", "as"],
    &["he", "is", "known", "as"],
    &["gave", "his", "name", "as"],
    &["gave", "the", "name"],
    &["name", "he", "gave", "was"],
    &["guy", "called"],
    &["guy", "named"],
    &["man", "called"],
    &["man", "named"],
    &["bloke", "called"],
    &["lad", "called"],
    &["fella", "called"],
];

/// Cues that most often, not always, name the offender ("a guy called Darren"): the name is kept in the text but
/// not added to the alert's list of names he used.
pub fn weak_cue(cue: &[&str]) -> bool {
    matches!(cue.first(), Some(&("guy" | "man" | "bloke" | "lad" | "fella")))
}

/// Prepositions that put a street after them ("on chapel street").
pub static PLACE_PREPOSITIONS: &[&str] = &[
    "on", "in", "at", "off", "near", "down", "along", "onto", "from", "to", "by", "round", "up", "opposite", "past", "behind", "outside",
    "of", "via", "towards",
];

/// Words that are never the distinctive part of a place's name.
pub fn generic_place_word(w: &str) -> bool {
    venue_noun(w).is_some()
        || STREET_SUFFIXES.contains_key(w)
        || matches!(
            w,
            "the"
                | "and"
                | "of"
                | "flat"
                | "room"
                | "floor"
                | "unit"
                | "apartment"
                | "apt"
                | "no"
                | "number"
                | "upstairs"
                | "downstairs"
                | "basement"
                | "ground"
                | "first"
                | "second"
                | "third"
                | "top"
                | "my"
                | "our"
                | "building"
                | "block"
                | "outside"
                | "inside"
                | "near"
                | "behind"
                | "opposite"
                | "at"
                | "in"
                | "on"
                | "by"
                | "car"
                | "carpark"
                | "home"
                | "house"
                | "place"
                | "uk"
                | "england"
                | "scotland"
                | "wales"
                | "ireland"
                | "city"
                | "centre"
                | "center"
                | "town"
                | "ltd"
                | "limited"
        )
}

/// Words the name list holds that, in these reports, are almost always something else: slang, demonyms, apps.
pub static NOT_NAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    set("reg regs geordie geordies scouse scouser brummie cockney mancunian glaswegian weegie lad lads babe hun bae bruv fella
        gaffer punter punters client clients regular regulars uber insta snap whatsapp facebook twitter tiktok onlyfans adultwork
        viva vivastreet gumtree tinder grindr bumble hinge telegram signal google apple samsung iphone android paypal monzo
        revolut cashapp venmo police polis feds bill garda gardai nhs gp ae cctv ghb mdma ket coke asian african european
        caucasian latino arab indian pakistani bengali chinese nigerian jamaican somali romanian lithuanian latvian albanian
        kurdish turkish greek italian spanish portuguese russian ukrainian american canadian australian celtic rangers
        united city rovers wanderers villa county athletic albion")
});

/// Determiners after which a lower-case word is a thing, not a person ("his reg", "the bill").
pub fn determiner(w: &str) -> bool {
    matches!(w, "his" | "her" | "my" | "your" | "their" | "our" | "the" | "a" | "an" | "its" | "this" | "that" | "some" | "any")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_tail_reads_as_padded_with_zeros() {
        let bytes = [0x01u8, 0x82, 0x03, 0xf4, 0x05, 0x96, 0x07];
        for n in 1..=7 {
            let mut last = [0u8; 8];
            last[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(short_le(&bytes[..n]), u64::from_le_bytes(last), "{n}");
        }
    }

    #[test]
    fn one_byte_hashes_as_a_slice_of_one_byte() {
        for seed in [0u64, 1, 0x0123_4567_89ab_cdef, u64::MAX] {
            for i in [0u8, 1, 0x7f, 0xff] {
                let (mut a, mut b) = (Fx(seed), Fx(seed));
                a.write_u8(i);
                b.write(&[i]);
                assert_eq!(a.finish(), b.finish());
            }
        }
    }

    #[test]
    fn the_word_tables_agree_with_the_functions_they_speed_up() {
        for w in VENUE_NOUNS {
            assert!(venue_noun(w).is_some(), "{w}");
        }
        for w in STREET_ABBREVIATIONS {
            assert!(STREET_SUFFIXES.contains_key(canon_street(w)), "{w}");
        }
        for w in ROLE_WORDS.keys() {
            assert!(role_of(w).is_some(), "{w}");
        }
        assert!(given_names().count() > 5000 && common_words().count() > 15000);
        for text in ["", "a", "a\n", "\n\n a \r\n# c\n\tb\t", "x\ny"] {
            let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
            let plain: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
            assert_eq!(lines(text).collect::<Vec<_>>(), plain, "{text:?}");
        }
    }
}
