//! The region(s) an alert should go to, suggested from the town a report names.
//!
//! The gazetteer is `shared/data/gazetteer.tsv`, compiled into the binary: one place a line, `name<TAB>region`. Names
//! are compared after [`normalise`], so "Stoke-on-Trent", "stoke on trent" and "STOKE ON TRENT" are one name, and so are
//! "St. Albans" and "Saint Albans". A name shared by places in different regions ("Newport") has one line per region and
//! suggests them all, in file order. The suggestion is for staff to confirm: a town the gazetteer does not know suggests
//! nothing, and staff choose.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::Region;

const DATA: &str = include_str!("../../data/gazetteer.tsv");

/// Normalised name → its regions, without repeats, in file order.
static GAZETTEER: LazyLock<HashMap<String, Vec<Region>>> = LazyLock::new(|| build(DATA));

/// Suggests the region(s) for the town a report names, best first; empty when the town is unknown.
///
/// The text may hold several parts split by commas ("Holbeck, Leeds", "Newport, Isle of Wight", "Cardiff, Wales, UK"):
/// each part is looked up. A later part that agrees with an earlier one narrows the suggestion to the regions they share
/// ("Newport, Shropshire" → west-midlands); parts that disagree are all suggested, so staff choose. A country
/// ("Scotland", "Wales", "UK", "England", "Republic of Ireland"...) only narrows, or on its own suggests its one region.
/// A part that is not in the gazetteer as written is tried again without a " city centre"-style suffix, a "North "-style
/// prefix, a trailing country ("Leeds UK") or a postcode or postal district ("Dublin 8"); failing every part, the
/// longest known name that starts a part ("Bristol Temple Meads" → Bristol) is tried.
pub fn suggest_regions(town: &str) -> Vec<Region> {
    // A region's own name, as an alert gives it when the town could not be published.
    if let Some(&region) = Region::ALL.iter().find(|r| normalise(region_name(**r)) == normalise(town)) {
        return vec![region];
    }
    let parts: Vec<String> = town.split(',').map(normalise).filter(|part| !part.is_empty()).collect();
    let mut places: Vec<&'static [Region]> = Vec::new();
    let mut countries: Vec<&'static [Region]> = Vec::new();
    for part in &parts {
        look_up_part(part, &mut places, &mut countries);
    }
    if places.is_empty() {
        places.extend(parts.iter().find_map(|part| look_up_start(part)));
    }
    combine(&places, &countries)
}

/// A known place found in one part of a town as typed (the text between commas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The name to publish: the part as typed where it names the place (`exact`), else the place's name as the
    /// gazetteer spells it ("Leeds" for "Leeds LS6 2AB").
    pub name: String,
    pub regions: &'static [Region],
    /// The part is the place's name, or that name with words that only widen it ("city centre", "North", "UK"):
    /// nothing in it narrows the place down. Not exact: it held more (a postcode, a station, a street, a name), and
    /// only the known place in it is safe to publish.
    pub exact: bool,
}

/// The known place in one part of a town as typed, if any; see [`Place`].
///
/// The part is looked up as in [`suggest_regions`]; a postcode or district number, or a spot such as a station,
/// market or high street, makes it inexact. A part that is not known as written is tried by the longest known name
/// that starts it ("Bristol Temple Meads") or ends it ("Acacia Avenue Leeds"), never a street named after a place
/// ("London Road").
pub fn known_place(part: &str) -> Option<Place> {
    let typed = part.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut name = normalise(&typed);
    if name.is_empty() {
        return None;
    }
    // Only letters and the punctuation of place names are published as typed ("Leeds!!!" gives "Leeds").
    let mut exact = typed.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '\u{2019}' | '.' | '&') || is_mark(c));
    let mut countries = Vec::new();
    loop {
        if let Some(regions) = GAZETTEER.get(&name) {
            let shown = if exact { typed } else { display_name(&name) };
            return Some(Place { name: shown, regions, exact });
        }
        if let Some(regions) = country(&name) {
            let shown = if exact { typed } else { country_name(&name) };
            return Some(Place { name: shown, regions, exact });
        }
        if SPOTS.iter().any(|spot| strip_last_words(&name, spot).is_some())
            || name.rsplit_once(' ').is_some_and(|(_, last)| has_digit(last))
        {
            exact = false;
        }
        match shorten(&name, &mut countries) {
            Some(shorter) => name = shorter,
            None => break,
        }
    }
    let words: Vec<&str> = name.split(' ').collect();
    let street_after = |rest: &[&str]| matches!(rest, [only] if STREET_WORDS.contains(only));
    let start = (1..words.len()).rev().find(|&n| !street_after(&words[n..]) && GAZETTEER.contains_key(&words[..n].join(" ")));
    let end = (1..words.len()).find(|&n| GAZETTEER.contains_key(&words[n..].join(" ")));
    let key = match (start, end) {
        (Some(n), _) => words[..n].join(" "),
        (None, Some(n)) => words[n..].join(" "),
        (None, None) => return None,
    };
    let regions = GAZETTEER.get(&key)?;
    Some(Place { name: display_name(&key), regions, exact: false })
}

/// A region as people name it ("Yorkshire and the Humber"), for an alert whose town cannot be published.
pub fn region_name(region: Region) -> &'static str {
    match region {
        Region::NorthEast => "North East England",
        Region::NorthWest => "North West England",
        Region::YorkshireHumber => "Yorkshire and the Humber",
        Region::EastMidlands => "East Midlands",
        Region::WestMidlands => "West Midlands",
        Region::East => "East of England",
        Region::London => "London",
        Region::SouthEast => "South East England",
        Region::SouthWest => "South West England",
        Region::Wales => "Wales",
        Region::Scotland => "Scotland",
        Region::NorthernIreland => "Northern Ireland",
        Region::Ireland => "Ireland",
    }
}

/// Words after a place that narrow it to a spot: publishing the place is safe, the spot is left out.
const SPOTS: &[&str] = &["high street", "railway station", "train station", "bus station", "station", "airport", "market"];

fn is_mark(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

fn has_digit(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit())
}

/// Normalised name → the name as the data file first spells it.
static NAMES: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    let mut names = HashMap::new();
    for line in DATA.lines() {
        if let Some(Ok((key, _))) = parse_line(line) {
            let shown = line.split('\t').next().unwrap_or_default();
            names.entry(key).or_insert(shown);
        }
    }
    names
});

fn display_name(key: &str) -> String {
    NAMES.get(key).map_or_else(|| key.to_owned(), |name| (*name).to_owned())
}

fn country_name(key: &str) -> String {
    if key.len() <= 3 {
        return key.to_uppercase();
    }
    key.split(' ')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) if w != "of" => f.to_uppercase().chain(cs).collect(),
                _ => w.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every place name the gazetteer holds, normalised (see `normalise`), once each.
pub fn place_names() -> impl Iterator<Item = &'static String> {
    GAZETTEER.keys()
}

/// A place name as the gazetteer compares it (see `normalise`): two names that give the same are one name.
pub fn normalise_name(name: &str) -> String {
    normalise(name)
}

/// Lower case without accents; apostrophes dropped ("King's Lynn" is "kings lynn"); "&" as "and"; hyphens, dots and
/// any other punctuation as single spaces; "saint" as "st"; without a leading "the" or "central"; "co" first as "county".
fn normalise(name: &str) -> String {
    let mut spaced = String::with_capacity(name.len());
    for c in name.to_lowercase().chars() {
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' | '\u{2bc}' => {}
            '&' => spaced.push_str(" and "),
            c if c.is_alphanumeric() => spaced.push(fold_accent(c)),
            _ => spaced.push(' '),
        }
    }
    let mut words: Vec<&str> = spaced.split_whitespace().map(|word| if word == "saint" { "st" } else { word }).collect();
    while words.len() > 1 && matches!(words[0], "the" | "central") {
        words.remove(0);
    }
    if words.len() > 1 && words[0] == "co" {
        words[0] = "county";
    }
    words.join(" ")
}

/// The letter without its accent, for the accents of Irish, Welsh, Scottish Gaelic and the odd French name.
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        other => other,
    }
}

fn build(data: &str) -> HashMap<String, Vec<Region>> {
    let mut map: HashMap<String, Vec<Region>> = HashMap::new();
    // A malformed line is skipped here rather than panicking in production; the tests fail on it.
    for (name, region) in data.lines().filter_map(parse_line).filter_map(Result::ok) {
        let regions = map.entry(name).or_default();
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    map
}

/// One line of the data file: `None` for a blank or `#` comment line, else its normalised name and region, or what is
/// wrong with it.
fn parse_line(line: &str) -> Option<Result<(String, Region), String>> {
    let line = line.trim_end_matches('\r');
    if line.trim().is_empty() || line.trim_start().starts_with('#') {
        return None;
    }
    let fields: Vec<&str> = line.split('\t').collect();
    let [name, region] = fields[..] else {
        return Some(Err(format!("{} tab-separated fields, not 2 (name, region)", fields.len())));
    };
    if name.contains(',') {
        return Some(Err(format!("the name {name:?} holds a comma, so no input can reach it")));
    }
    let key = normalise(name);
    if key.is_empty() {
        return Some(Err(format!("the name {name:?} is empty once normalised")));
    }
    match Region::parse(region.trim()) {
        Some(region) => Some(Ok((key, region))),
        None => Some(Err(format!("{region:?} is not a region slug"))),
    }
}

const ENGLAND: &[Region] = &[
    Region::NorthEast,
    Region::NorthWest,
    Region::YorkshireHumber,
    Region::EastMidlands,
    Region::WestMidlands,
    Region::East,
    Region::London,
    Region::SouthEast,
    Region::SouthWest,
];
const GREAT_BRITAIN: &[Region] = &[
    Region::NorthEast,
    Region::NorthWest,
    Region::YorkshireHumber,
    Region::EastMidlands,
    Region::WestMidlands,
    Region::East,
    Region::London,
    Region::SouthEast,
    Region::SouthWest,
    Region::Wales,
    Region::Scotland,
];
const UNITED_KINGDOM: &[Region] = &[
    Region::NorthEast,
    Region::NorthWest,
    Region::YorkshireHumber,
    Region::EastMidlands,
    Region::WestMidlands,
    Region::East,
    Region::London,
    Region::SouthEast,
    Region::SouthWest,
    Region::Wales,
    Region::Scotland,
    Region::NorthernIreland,
];

/// Countries as normalised names and their regions. As suffixes they are tried in this order, so a name that ends
/// another ("ireland", "britain") comes after it.
const COUNTRIES: &[(&str, &[Region])] = &[
    ("republic of ireland", &[Region::Ireland]),
    ("irish republic", &[Region::Ireland]),
    ("northern ireland", &[Region::NorthernIreland]),
    ("united kingdom", UNITED_KINGDOM),
    ("great britain", GREAT_BRITAIN),
    ("britain", GREAT_BRITAIN),
    ("england", ENGLAND),
    ("scotland", &[Region::Scotland]),
    ("alba", &[Region::Scotland]),
    ("wales", &[Region::Wales]),
    ("cymru", &[Region::Wales]),
    // The island: "Derry, Ireland" is said too.
    ("ireland", &[Region::Ireland, Region::NorthernIreland]),
    ("eire", &[Region::Ireland]),
    ("roi", &[Region::Ireland]),
    ("ni", &[Region::NorthernIreland]),
    ("uk", UNITED_KINGDOM),
    ("gb", GREAT_BRITAIN),
];

/// Words after a place name that name a part of it, dropped one at a time, the longest first where one ends another.
const SUFFIXES: &[&str] = &[
    "city centre",
    "town centre",
    "city center",
    "town center",
    "centre",
    "center",
    "high street",
    "railway station",
    "train station",
    "bus station",
    "station",
    "airport",
    "market",
    "central",
    "city",
    "town",
    "village",
    "area",
    "district",
    "borough",
    "county",
    "council",
];

/// Words before a place name that name a part of it or its like, dropped one at a time.
const PREFIXES: &[&str] = &[
    "city and county of",
    "city of",
    "royal borough of",
    "london borough of",
    "metropolitan borough of",
    "county borough of",
    "borough of",
    "county",
    "near",
    "greater",
    "inner",
    "outer",
    "upper",
    "lower",
    "north",
    "south",
    "east",
    "west",
    "northern",
    "southern",
    "eastern",
    "western",
];

/// A street word: a part that is a known place and then one of these ("London Road", "Oxford Street") names a street
/// anywhere, not the place.
const STREET_WORDS: &[&str] = &[
    "road",
    "rd",
    "street",
    "st",
    "lane",
    "ln",
    "avenue",
    "ave",
    "way",
    "square",
    "sq",
    "place",
    "pl",
    "crescent",
    "close",
    "drive",
    "terrace",
    "gardens",
    "grove",
    "row",
    "walk",
    "hill",
    "park",
    "court",
    "circus",
    "gate",
    "mews",
    "parade",
    "quay",
    "wharf",
    "embankment",
    "bridge",
    "cross",
    "end",
    "common",
    "heath",
    "green",
    "rise",
    "vale",
    "fields",
    "wood",
    "junction",
];

fn country(name: &str) -> Option<&'static [Region]> {
    COUNTRIES.iter().find(|(country, _)| *country == name).map(|&(_, regions)| regions)
}

/// Looks one normalised part up, shortening it until it is a known place or country or cannot be shortened.
fn look_up_part(part: &str, places: &mut Vec<&'static [Region]>, countries: &mut Vec<&'static [Region]>) {
    let mut name = part.to_owned();
    loop {
        if let Some(regions) = GAZETTEER.get(&name) {
            places.push(regions);
            return;
        }
        if let Some(regions) = country(&name) {
            countries.push(regions);
            return;
        }
        match shorten(&name, countries) {
            Some(shorter) => name = shorter,
            None => return,
        }
    }
}

/// The name less one suffix, trailing country (noted in `countries`), prefix or trailing word holding a digit.
fn shorten(name: &str, countries: &mut Vec<&'static [Region]>) -> Option<String> {
    if let Some(rest) = SUFFIXES.iter().find_map(|suffix| strip_last_words(name, suffix)) {
        return Some(rest.to_owned());
    }
    for &(country, regions) in COUNTRIES {
        if let Some(rest) = strip_last_words(name, country) {
            countries.push(regions);
            return Some(rest.to_owned());
        }
    }
    if let Some(rest) = PREFIXES.iter().find_map(|prefix| strip_first_words(name, prefix)) {
        return Some(rest.to_owned());
    }
    match name.rsplit_once(' ') {
        Some((rest, last)) if last.chars().any(|c| c.is_ascii_digit()) => Some(rest.to_owned()),
        _ => None,
    }
}

/// `name` less `words` at its end, if they are whole words and something is left.
fn strip_last_words<'a>(name: &'a str, words: &str) -> Option<&'a str> {
    name.strip_suffix(words)?.strip_suffix(' ').filter(|rest| !rest.is_empty())
}

/// `name` less `words` at its start, if they are whole words and something is left.
fn strip_first_words<'a>(name: &'a str, words: &str) -> Option<&'a str> {
    name.strip_prefix(words)?.strip_prefix(' ').filter(|rest| !rest.is_empty())
}

/// The regions of the longest known place whose name starts `part` and is not followed by just a street word.
fn look_up_start(part: &str) -> Option<&'static [Region]> {
    let words: Vec<&str> = part.split(' ').collect();
    (1..words.len()).rev().find_map(|n| {
        let rest = &words[n..];
        if let [only] = rest
            && STREET_WORDS.contains(only)
        {
            return None;
        }
        GAZETTEER.get(&words[..n].join(" ")).map(Vec::as_slice)
    })
}

/// Places narrow each other where they share regions and add up where they do not; countries then narrow, or on their
/// own suggest their one region.
fn combine(places: &[&[Region]], countries: &[&[Region]]) -> Vec<Region> {
    let mut suggested: Option<Vec<Region>> = None;
    for &regions in places {
        suggested = Some(match suggested {
            None => regions.to_vec(),
            Some(so_far) => narrow_or_add(so_far, regions),
        });
    }
    for &regions in countries {
        suggested = match suggested {
            None if regions.len() == 1 => Some(regions.to_vec()),
            None => None,
            // A country of several regions that shares none with the places is a slip ("Cardiff, England"): ignored.
            Some(so_far) if regions.len() > 1 && !so_far.iter().any(|region| regions.contains(region)) => Some(so_far),
            Some(so_far) => Some(narrow_or_add(so_far, regions)),
        };
    }
    suggested.unwrap_or_default()
}

fn narrow_or_add(mut so_far: Vec<Region>, regions: &[Region]) -> Vec<Region> {
    let shared: Vec<Region> = so_far.iter().copied().filter(|region| regions.contains(region)).collect();
    if !shared.is_empty() {
        return shared;
    }
    so_far.extend_from_slice(regions);
    so_far
}

#[cfg(test)]
mod tests {
    use super::*;
    use Region::*;

    fn data_lines() -> impl Iterator<Item = (usize, Result<(String, Region), String>)> {
        DATA.lines().enumerate().filter_map(|(index, line)| parse_line(line).map(|parsed| (index + 1, parsed)))
    }

    #[test]
    fn every_line_of_the_data_file_parses_with_a_valid_region() {
        let bad: Vec<String> = data_lines().filter_map(|(line, parsed)| parsed.err().map(|e| format!("line {line}: {e}"))).collect();
        assert!(bad.is_empty(), "malformed lines in gazetteer.tsv:\n{}", bad.join("\n"));
    }

    #[test]
    fn the_data_file_starts_with_a_comment_explaining_it() {
        assert!(DATA.starts_with('#'));
    }

    #[test]
    fn the_data_file_has_at_least_900_entries() {
        let entries = data_lines().count();
        assert!(entries >= 900, "{entries} entries");
    }

    #[test]
    fn every_region_appears_at_least_20_times() {
        for &region in Region::ALL {
            let count = data_lines().filter(|(_, parsed)| matches!(parsed, Ok((_, r)) if *r == region)).count();
            assert!(count >= 20, "{region} has {count} entries");
        }
    }

    #[test]
    fn every_name_in_the_file_suggests_its_region() {
        for line in DATA.lines() {
            if let Some(Ok(_)) = parse_line(line) {
                let (name, region) = line.trim_end_matches('\r').split_once('\t').unwrap();
                let region = Region::parse(region.trim()).unwrap();
                assert!(suggest_regions(name).contains(&region), "{name:?} does not suggest {region}");
            }
        }
    }

    #[test]
    fn malformed_lines_are_reported_and_skipped() {
        assert!(parse_line("# a comment").is_none());
        assert!(parse_line("   ").is_none());
        assert!(matches!(parse_line("Leeds"), Some(Err(_))));
        assert!(matches!(parse_line("Leeds\tyorkshire\t"), Some(Err(_))));
        assert!(matches!(parse_line("Leeds\tnowhere"), Some(Err(_))));
        assert!(matches!(parse_line("Leeds, West Yorkshire\tyorkshire-humber"), Some(Err(_))));
        assert!(matches!(parse_line("--\tlondon"), Some(Err(_))));
        assert_eq!(parse_line("Leeds\tyorkshire-humber\r"), Some(Ok(("leeds".to_owned(), YorkshireHumber))));
        let map = build("York\tyorkshire-humber\nbad line\nLeeds\tnowhere\nYork\tyorkshire-humber\nYork\tnorth-east\n");
        assert_eq!(map.len(), 1);
        assert_eq!(map["york"], vec![YorkshireHumber, NorthEast]);
    }

    #[test]
    fn cities_suggest_their_region() {
        assert_eq!(suggest_regions("Leeds"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("Manchester"), vec![NorthWest]);
        assert_eq!(suggest_regions("Cardiff"), vec![Wales]);
        assert_eq!(suggest_regions("Glasgow"), vec![Scotland]);
        assert_eq!(suggest_regions("Belfast"), vec![NorthernIreland]);
        assert_eq!(suggest_regions("Dublin"), vec![Ireland]);
        assert_eq!(suggest_regions("Cork"), vec![Ireland]);
        assert_eq!(suggest_regions("Camden"), vec![London]);
    }

    #[test]
    fn spelling_variants_are_one_name() {
        assert_eq!(suggest_regions("stoke-on-trent"), vec![WestMidlands]);
        assert_eq!(suggest_regions("  Stoke   on Trent "), vec![WestMidlands]);
        assert_eq!(suggest_regions("ST ALBANS"), vec![East]);
        assert_eq!(suggest_regions("Saint Albans"), vec![East]);
        assert_eq!(suggest_regions("St. Albans"), vec![East]);
        assert_eq!(suggest_regions("King\u{2019}s Lynn"), vec![East]);
        assert_eq!(suggest_regions("kings lynn"), vec![East]);
        assert_eq!(suggest_regions("Bo\u{2019}ness"), vec![Scotland]);
        assert_eq!(suggest_regions("Dun Laoghaire"), vec![Ireland]);
        assert_eq!(suggest_regions("DÚN LAOGHAIRE"), vec![Ireland]);
        assert_eq!(suggest_regions("Elephant & Castle"), vec![London]);
        assert_eq!(suggest_regions("Derry/Londonderry"), vec![NorthernIreland]);
    }

    #[test]
    fn alternative_names_suggest_the_same_region() {
        assert_eq!(suggest_regions("Newcastle upon Tyne"), vec![NorthEast]);
        assert_eq!(suggest_regions("Newcastle"), vec![NorthEast]);
        assert_eq!(suggest_regions("Newcastle-under-Lyme"), vec![WestMidlands]);
        assert_eq!(suggest_regions("Hull"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("Kingston upon Hull"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("Derry"), vec![NorthernIreland]);
        assert_eq!(suggest_regions("Londonderry"), vec![NorthernIreland]);
        assert_eq!(suggest_regions("Caerdydd"), vec![Wales]);
        assert_eq!(suggest_regions("Abertawe"), vec![Wales]);
        assert_eq!(suggest_regions("Casnewydd"), vec![Wales]);
    }

    #[test]
    fn districts_suggest_their_city_region() {
        assert_eq!(suggest_regions("Holbeck"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("Headingley"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("Moss Side"), vec![NorthWest]);
        assert_eq!(suggest_regions("Digbeth"), vec![WestMidlands]);
        assert_eq!(suggest_regions("Leith"), vec![Scotland]);
        assert_eq!(suggest_regions("Temple Bar"), vec![Ireland]);
        assert_eq!(suggest_regions("Tallaght"), vec![Ireland]);
        for district in ["Soho", "Camden Town", "Brixton", "Stratford", "Croydon", "Hackney", "Shoreditch", "King's Cross"] {
            assert_eq!(suggest_regions(district), vec![London], "{district}");
        }
    }

    #[test]
    fn a_shared_name_suggests_every_region_it_is_in() {
        assert!(suggest_regions("Newport").contains(&Wales));
        assert_eq!(suggest_regions("Newport"), vec![Wales, SouthEast, WestMidlands]);
        assert_eq!(suggest_regions("Newport, Isle of Wight"), vec![SouthEast]);
        assert_eq!(suggest_regions("Newport, Shropshire"), vec![WestMidlands]);
        assert_eq!(suggest_regions("Newport, Wales"), vec![Wales]);
        assert_eq!(suggest_regions("Newport Wales"), vec![Wales]);
        assert_eq!(suggest_regions("Richmond, North Yorkshire"), vec![YorkshireHumber]);
    }

    #[test]
    fn a_part_before_a_comma_is_tried_then_the_rest() {
        assert_eq!(suggest_regions("Holbeck, Leeds"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("12 Somewhere Street, Leeds, LS11 5AB"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("Glasgow, Scotland"), vec![Scotland]);
        assert_eq!(suggest_regions("Leeds, UK"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("Leeds, England"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("Cardiff, Wales, UK"), vec![Wales]);
        assert_eq!(suggest_regions("Derry, Ireland"), vec![NorthernIreland]);
        // Parts that disagree are both suggested, for staff to choose.
        assert_eq!(suggest_regions("Croydon, Surrey"), vec![London, SouthEast]);
    }

    #[test]
    fn a_country_alone_suggests_its_one_region() {
        assert_eq!(suggest_regions("Nowhereville, Scotland"), vec![Scotland]);
        assert_eq!(suggest_regions("North Wales"), vec![Wales]);
        assert_eq!(suggest_regions("Northern Ireland"), vec![NorthernIreland]);
        assert_eq!(suggest_regions("Nowhereville, England"), vec![]);
        assert_eq!(suggest_regions("UK"), vec![]);
    }

    #[test]
    fn suffixes_and_prefixes_are_dropped() {
        assert_eq!(suggest_regions("Leeds city centre"), vec![YorkshireHumber]);
        assert_eq!(suggest_regions("Bristol Town Centre"), vec![SouthWest]);
        assert_eq!(suggest_regions("Central London"), vec![London]);
        assert_eq!(suggest_regions("The Wirral"), vec![NorthWest]);
        assert_eq!(suggest_regions("South London"), vec![London]);
        assert_eq!(suggest_regions("City of Edinburgh"), vec![Scotland]);
        assert_eq!(suggest_regions("London Borough of Hackney"), vec![London]);
        assert_eq!(suggest_regions("Glasgow Central station"), vec![Scotland]);
        assert_eq!(suggest_regions("Belfast NI"), vec![NorthernIreland]);
        assert_eq!(suggest_regions("Dublin 8"), vec![Ireland]);
        assert_eq!(suggest_regions("Co. Cork"), vec![Ireland]);
        assert_eq!(suggest_regions("Co Durham"), vec![NorthEast]);
        assert_eq!(suggest_regions("Bristol Temple Meads"), vec![SouthWest]);
    }

    #[test]
    fn a_regions_own_name_suggests_that_region() {
        for &region in Region::ALL {
            assert_eq!(suggest_regions(region_name(region)), vec![region], "{region}");
        }
    }

    #[test]
    fn a_known_place_as_typed_is_exact_and_keeps_its_spelling() {
        for typed in ["Leeds", "Stoke-on-Trent", "  North   Leeds ", "Leeds city centre", "Leeds, UK", "Dún Laoghaire", "Scotland"] {
            for part in typed.split(',') {
                let place = known_place(part).unwrap_or_else(|| panic!("{part}"));
                assert!(place.exact, "{part}");
                assert_eq!(place.name, part.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
    }

    #[test]
    fn a_part_holding_more_than_a_place_gives_only_the_place() {
        for (part, name) in [
            ("Leeds LS6 2AB", "Leeds"),
            ("Dublin 8", "Dublin"),
            ("Bristol Temple Meads", "Bristol"),
            ("Acacia Avenue Leeds", "Leeds"),
            ("Leeds train station", "Leeds"),
            ("st. albans high street", "St Albans"),
            ("Leeds!!!", "Leeds"),
            ("'Leeds'?", "Leeds"),
        ] {
            let place = known_place(part).unwrap_or_else(|| panic!("{part}"));
            assert!(!place.exact, "{part}");
            assert_eq!(place.name, name, "{part}");
        }
        for part in ["12 Acacia Avenue", "London Road", "LS6 2AB", "Nowhereville", "", "élodie.m@example.fr"] {
            assert_eq!(known_place(part), None, "{part}");
        }
    }

    #[test]
    fn unknown_places_and_streets_suggest_nothing() {
        assert_eq!(suggest_regions("Nowhereville"), vec![]);
        assert_eq!(suggest_regions(""), vec![]);
        assert_eq!(suggest_regions(" , ,"), vec![]);
        assert_eq!(suggest_regions("London Road"), vec![]);
        assert_eq!(suggest_regions("LS6 3AB"), vec![]);
    }
}
