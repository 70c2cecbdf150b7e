//! The town an alert names: checked like the free text, since a member may type anything into the town field (an
//! address, a postcode, her own name), and what is there goes into the email subject, the text and the members' page.
//!
//! The town as typed is split at commas. Each part is scanned against the report's identifiers (the reporter's names
//! and contact details, the third parties named in the account, the venue and its address) and for contact details,
//! house numbers with streets and postcodes; then looked up in the gazetteer. A part that is a known place and holds
//! nothing else is published as typed; a part that holds more than a known place ("12 Acacia Avenue, Leeds LS6 2AB")
//! gives only the place ("Leeds"); a part that holds someone's name or contact details, or no known place, is left
//! out. A known place that is also the reporter's name or a third party's is widened to its region. What is left
//! out is never shown again: the reviewer sees why, not what.

use crate::domain::Region;
use crate::domain::alert::{FlagCode, RedactionKind, ReviewFlag, TownIssue};
use crate::domain::gazetteer::{known_place, normalise_name, region_name};

use super::profile::Profile;
use super::scan::{Rep, Scan};
use super::tokens::tokenize;

/// What an alert may say for a town where nothing of the town as typed can be published.
pub const TOWN_WITHHELD: &str = "Town withheld";

/// The town to publish and, where it is not the town as typed, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TownCheck {
    pub town: String,
    /// Empty when the town is published as typed.
    pub issues: Vec<TownIssue>,
    /// Only the region of a place is given: the place is also a name in the report.
    pub widened: bool,
}

impl TownCheck {
    pub fn as_typed(&self) -> bool {
        self.issues.is_empty()
    }

    /// The flag a reviewer sees on the draft, if the town is not the one typed.
    pub fn flag(&self) -> Option<ReviewFlag> {
        if self.as_typed() {
            return None;
        }
        let code = if self.town == TOWN_WITHHELD {
            FlagCode::TownWithheld
        } else if self.widened {
            FlagCode::TownWidened
        } else {
            FlagCode::TownCoarsened
        };
        Some(ReviewFlag::town(code, self.issues.clone()))
    }
}

/// Checks a town as typed against the report's identifiers (`p`, built without the town's own words) and the
/// gazetteer.
pub(crate) fn check_town(typed: &str, p: &Profile) -> TownCheck {
    let mut kept: Vec<String> = Vec::new();
    let mut issues: Vec<TownIssue> = Vec::new();
    let mut widen: Vec<&'static [Region]> = Vec::new();
    for part in typed.split([',', ';', '\n', '/', '(', ')']) {
        let part = part.split_whitespace().collect::<Vec<_>>().join(" ");
        if part.is_empty() {
            continue;
        }
        let found = identifiers_in(&part, p);
        let names_someone = found.iter().any(TownIssue::names_someone);
        let contact = found.iter().any(TownIssue::is_contact);
        let mut why = found.clone();
        match known_place(&part) {
            // A venue or an address named after the place does not make the place private.
            Some(pl) if pl.exact && !names_someone && !contact => {
                kept.push(pl.name);
                why.clear();
            }
            // The place is also a name in the report ("Chelsea", her working name): its region says no more.
            Some(pl) if pl.exact && !contact => widen.push(pl.regions),
            // More than a place: the place alone.
            Some(pl) if !names_someone && !contact => {
                kept.push(pl.name);
                if why.is_empty() {
                    why.push(TownIssue::NotAKnownPlace);
                }
            }
            _ if why.is_empty() => why.push(TownIssue::NotAKnownPlace),
            _ => {}
        }
        for i in why {
            if !issues.contains(&i) {
                issues.push(i);
            }
        }
    }
    // The same place twice ("Leeds, Leeds LS6") is said once.
    if kept.len() > 1 {
        let mut seen: Vec<String> = Vec::new();
        kept.retain(|k| {
            let key = normalise_name(k);
            let new = !seen.contains(&key);
            seen.push(key);
            new
        });
    }
    issues.sort();
    // Every part a known place and nothing else: the town as typed, so that what is published without a flag is
    // exactly what was typed ("uK/" is not quietly tidied to "uK").
    if issues.is_empty() && widen.is_empty() && !kept.is_empty() {
        return TownCheck { town: typed.split_whitespace().collect::<Vec<_>>().join(" "), issues, widened: false };
    }
    if !kept.is_empty() {
        return TownCheck { town: kept.join(", "), issues, widened: false };
    }
    let (town, widened) = match one_region(&widen) {
        Some(r) => (region_name(r).to_owned(), true),
        None => (TOWN_WITHHELD.to_owned(), false),
    };
    if issues.is_empty() {
        issues.push(TownIssue::NotAKnownPlace);
    }
    TownCheck { town, issues, widened }
}

/// A town a reviewer may publish: one that passes `check_town` as typed, a region's name, or the words used when
/// nothing of a town can be published. Else why not.
pub(crate) fn publishable_town(town: &str, p: &Profile) -> Result<String, Vec<TownIssue>> {
    let clean = town.split_whitespace().collect::<Vec<_>>().join(" ");
    let plain = |a: &str, b: &str| normalise_name(a) == normalise_name(b);
    if plain(&clean, TOWN_WITHHELD) || Region::ALL.iter().any(|r| plain(&clean, region_name(*r))) {
        return Ok(clean);
    }
    let check = check_town(&clean, p);
    if check.as_typed() { Ok(check.town) } else { Err(check.issues) }
}

/// The one region every list shares, if there is one.
fn one_region(lists: &[&[Region]]) -> Option<Region> {
    let first = lists.first()?;
    let shared: Vec<Region> = first.iter().copied().filter(|r| lists.iter().all(|l| l.contains(r))).collect();
    if shared.len() == 1 { Some(shared[0]) } else { None }
}

/// What of the report's identifiers, and what contact details, addresses and postcodes, one part of a town holds.
fn identifiers_in(part: &str, p: &Profile) -> Vec<TownIssue> {
    let mut out: Vec<TownIssue> = Vec::new();
    let add = |out: &mut Vec<TownIssue>, i: TownIssue| {
        if !out.contains(&i) {
            out.push(i);
        }
    };
    let scan = Scan::run(part, p);
    for sp in &scan.spans {
        let Some(kind) = sp.kind else { continue };
        let piece = &part[sp.start..sp.end];
        match kind {
            RedactionKind::ReporterIdentity => add(&mut out, TownIssue::ReporterIdentity),
            RedactionKind::ReporterContact => add(&mut out, TownIssue::ReporterContact),
            // A name from the account, not any given name from the shipped list ("Chelsea" is a place too).
            RedactionKind::ThirdPartyName => {
                if tokenize(piece).iter().any(|t| p.third.contains_key(&*t.low)) {
                    add(&mut out, TownIssue::ThirdPartyName)
                }
            }
            RedactionKind::Email | RedactionKind::Phone | RedactionKind::Handle | RedactionKind::Other => add(&mut out, TownIssue::Contact),
            RedactionKind::Postcode => add(&mut out, TownIssue::Postcode),
            RedactionKind::Venue => add(&mut out, TownIssue::Venue),
            RedactionKind::Address => add(&mut out, TownIssue::Address),
        }
    }
    // The offender's own details kept by the scan are still not a town.
    if scan.spans.iter().any(|sp| sp.rep == Rep::Keep && part[sp.start..sp.end].chars().any(|c| c.is_ascii_digit() || c == '@')) {
        add(&mut out, TownIssue::Contact);
    }
    // A house number before a word is an address even without its street word ("12 Acacia"); any other word with a
    // digit is a postcode or postal district ("LS6", "Dublin 8").
    let toks = scan.tokens();
    for (i, t) in toks.iter().enumerate() {
        if t.num && toks.get(i + 1).is_some_and(|n| !n.num) {
            add(&mut out, TownIssue::Address);
        } else if t.low.chars().any(|c| c.is_ascii_digit()) && !out.contains(&TownIssue::Address) {
            add(&mut out, TownIssue::Postcode);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_region_is_left_when_nothing_else_is_known() {
        assert_eq!(one_region(&[&[Region::London]]), Some(Region::London));
        assert_eq!(one_region(&[&[Region::Wales, Region::SouthEast]]), None);
        assert_eq!(one_region(&[]), None);
    }
}
