//! Turns a member's report into an alert that warns about the offender and identifies nobody else.
//!
//! The alert is built from an allow-list: town, date, time of day, categories, first contact and the offender block.
//! Nothing of the reporter, workplace or location detail is copied. The free text (the account, which becomes the
//! summary, and the offender's description) is cleaned of the reporter's identifiers in every form, the venue and its
//! address, streets and postcodes, third parties' names, and contact details that are not the offender's; what was
//! taken out is replaced by neutral words ("the worker", "a friend", "a hotel", "an address nearby") and counted by
//! kind in `redactions`. The offender's names, numbers, emails, handles and registrations are kept wherever they
//! appear.
//!
//! Nothing here logs: the text of a report must not reach a log.

mod fold;
mod lexicon;
pub mod police;
mod profile;
mod scan;
mod tokens;
mod town;
mod unicode;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::alert::{Alert, AlertOffender, DatePrecision, Redaction, RedactionKind, ReviewKind, ReviewSpan, TownIssue};
use crate::domain::phone::PhoneNumber;
use crate::domain::report::{Report, Vehicle};

use fold::fold;
use profile::{Profile, national_digits, normal_reg};
use scan::{Rep, Scan, find_literal};
use tokens::tokenize;
pub use town::{TOWN_WITHHELD, TownCheck};

/// Something in a reviewer's edited alert that the report says identifies someone other than the offender. It names
/// the field and the kind, never the text, so it can be shown and logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: RedactionKind,
    /// Where: "summary", "offender.description", "offender.names_used[0]"...
    pub field: String,
}

#[derive(Default)]
struct Counts(BTreeMap<RedactionKind, u32>);

impl Counts {
    fn add(&mut self, kind: RedactionKind) {
        *self.0.entry(kind).or_default() += 1;
    }
    fn spans(&mut self, scan: &Scan) {
        for sp in &scan.spans {
            if let Some(k) = sp.kind {
                self.add(k);
            }
        }
    }
    fn into_redactions(self) -> Vec<Redaction> {
        self.0.into_iter().map(|(kind, count)| Redaction { kind, count }).collect()
    }
}

/// Builds the alert for a report. Deterministic, and total over every valid report.
pub fn sanitise(report: &Report) -> Alert {
    let o = &report.offender;
    let account_words = tokenize(&report.account);
    let description_words = o.description.as_deref().map(tokenize);
    let known = known_digits(report);
    let (p, town) = profile_and_town(report, &account_words, description_words.as_deref(), &known);
    let mut counts = Counts::default();

    let mut account = Scan::with_tokens(&report.account, account_words, &p);
    let mut description_scan = o.description.as_deref().zip(description_words).map(|(d, w)| Scan::with_tokens(d, w, &p));
    // A name withheld once is withheld everywhere: in the other text, in its short forms, in any case.
    let forms = withheld_forms(&p, std::iter::once(&account).chain(description_scan.as_ref()));
    account.withhold_also(&forms);
    if let Some(d) = description_scan.as_mut() {
        d.withhold_also(&forms);
    }
    let mut review = Vec::new();
    counts.spans(&account);
    let (summary, marks) = account.render_marked();
    review.extend(review_spans("summary", marks));

    let description = description_scan.as_ref().map(|scan| {
        counts.spans(scan);
        let (text, marks) = scan.render_marked();
        review.extend(review_spans("offender.description", marks));
        text
    });
    let scans: Vec<&Scan> = std::iter::once(&account).chain(description_scan.as_ref()).collect();

    let mut names_used: Vec<String> = Vec::new();
    for n in o.names_used.iter().chain(&p.found_offender_names) {
        let n = n.split_whitespace().collect::<Vec<_>>().join(" ");
        if n.is_empty() || names_used.iter().any(|x| fold::same(x, &n)) {
            continue;
        }
        match clean_name(&n, &p) {
            Some(clean) => names_used.push(clean),
            None => counts.add(RedactionKind::ReporterIdentity),
        }
    }

    let mut phones: Vec<String> = Vec::new();
    for raw in o.phones.iter().chain(scans.iter().flat_map(|s| &s.found_phones)) {
        let digits = known.iter().find(|(r, _)| *r == raw.as_str()).map_or_else(|| national_digits(raw), |(_, d)| d.clone());
        if p.is_reporter_phone(&digits) {
            counts.add(RedactionKind::ReporterContact);
            continue;
        }
        let shown = PhoneNumber::parse(raw).map(|x| x.as_str().to_owned()).unwrap_or_else(|_| raw.trim().to_owned());
        if !phones.contains(&shown) && !phones.iter().any(|x| national_digits(x) == digits) {
            phones.push(shown);
        }
    }

    let mut emails: Vec<String> = Vec::new();
    for e in o.emails.iter().chain(scans.iter().flat_map(|s| &s.found_emails)) {
        let e = e.trim();
        if p.overlaps_reporter_email(e) {
            counts.add(RedactionKind::ReporterContact);
        } else if !e.is_empty() && !emails.iter().any(|x| fold::same(x, e)) {
            emails.push(e.to_owned());
        }
    }

    let mut online_handles: Vec<String> = Vec::new();
    for h in o.online_handles.iter().chain(scans.iter().flat_map(|s| &s.found_handles)) {
        let h = h.trim();
        let key = fold(h.trim_start_matches('@'));
        if p.reporter_handles.contains(&key) || p.overlaps_reporter(&key) {
            counts.add(RedactionKind::ReporterContact);
        } else if !h.is_empty() && !online_handles.iter().any(|x| fold(x.trim_start_matches('@')) == key) {
            online_handles.push(h.to_owned());
        }
    }

    let vehicles = o
        .vehicles
        .iter()
        .map(|v| Vehicle {
            make: v.make.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
            model: v.model.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
            colour: v.colour.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
            registration: v.registration.as_deref().map(normal_reg).filter(|s| !s.is_empty()),
        })
        .filter(|v| *v != Vehicle::default())
        .collect();

    let flags = town.flag().into_iter().collect();
    Alert {
        town: town.town,
        date: report.incident.date,
        time_of_day: report.incident.time_of_day,
        categories: report.incident.categories.clone(),
        first_contact: report.incident.first_contact,
        offender: AlertOffender {
            names_used,
            phones,
            emails,
            online_handles,
            vehicles,
            description: description.filter(|d| !d.trim().is_empty()),
        },
        summary,
        redactions: counts.into_redactions(),
        date_precision: DatePrecision::Day,
        flags,
        review,
    }
}

/// The words to withhold in every text of the report: what deny by default withheld in any of them, third parties'
/// names, and the short forms of both ("Kate", "Kit" for Katherine).
fn withheld_forms<'a>(p: &Profile, scans: impl Iterator<Item = &'a Scan<'a>>) -> lexicon::HashSet<String> {
    let mut forms: lexicon::HashSet<String> = lexicon::HashSet::default();
    for s in scans {
        forms.extend(s.withheld.iter().filter(|w| w.chars().count() >= 2).cloned());
    }
    forms.extend(p.third.keys().cloned());
    let short: Vec<String> =
        forms.iter().flat_map(|w| lexicon::DIMINUTIVES.get(w.as_str()).copied().unwrap_or_default()).map(|d| (*d).to_owned()).collect();
    forms.extend(short);
    forms.retain(|w| !p.keep_words.contains(w) && !p.found_keep.contains(w) && !p.town_words.contains(w));
    forms
}

fn review_spans(field: &str, marks: Vec<(usize, usize, ReviewKind)>) -> impl Iterator<Item = ReviewSpan> + '_ {
    marks.into_iter().map(move |(start, end, kind)| ReviewSpan {
        field: field.to_owned(),
        start: u32::try_from(start).unwrap_or(u32::MAX),
        end: u32::try_from(end).unwrap_or(u32::MAX),
        kind,
    })
}

/// The town the alert may publish, checked against a profile that does not yet trust the town's words, and the
/// report's profile with that town as its public town.
fn profile_and_town(
    report: &Report,
    account: &[tokens::Tok],
    description: Option<&[tokens::Tok]>,
    known: &[(&str, String)],
) -> (Profile, TownCheck) {
    let bare = Profile::build_known(report, account, description, "", known);
    let town = town::check_town(report.incident.town.as_str(), &bare);
    let p = bare.with_town(report, &town.town).unwrap_or_else(|| Profile::build_known(report, account, description, &town.town, known));
    (p, town)
}

/// The national digits of the offender's numbers and the reporter's, worked out once for the profile's builds and the
/// alert's list of numbers.
fn known_digits(report: &Report) -> Vec<(&str, String)> {
    let reporter = report.reporter.as_ref().and_then(|r| r.phone.as_deref());
    report.offender.phones.iter().map(String::as_str).chain(reporter).map(|raw| (raw, national_digits(raw))).collect()
}

/// The town a reviewer sets at publish, checked as the drafted town is (`check_town`) and published as typed only
/// where it passes: a known place that holds nothing else and names nobody in the report, a region's name, or
/// "Town withheld". Else why not: the kinds found, never the text. With no report (it was deleted), the town is
/// checked against the gazetteer alone.
pub fn check_publish_town(report: Option<&Report>, town: &str) -> Result<String, Vec<TownIssue>> {
    let bare = match report {
        Some(r) => {
            let account = tokenize(&r.account);
            let description = r.offender.description.as_deref().map(tokenize);
            Profile::build_with(r, &account, description.as_deref(), "")
        }
        None => Profile::default(),
    };
    town::publishable_town(town, &bare)
}

/// What the sanitiser publishes for a report's town, and why where it is not the town as typed.
pub fn check_report_town(report: &Report) -> TownCheck {
    let account = tokenize(&report.account);
    let description = report.offender.description.as_deref().map(tokenize);
    let bare = Profile::build_with(report, &account, description.as_deref(), "");
    town::check_town(report.incident.town.as_str(), &bare)
}

/// A name the offender used, less any word that is the reporter's (her surname, her working name). `None` when
/// nothing of the offender's is left.
fn clean_name(name: &str, p: &Profile) -> Option<String> {
    let toks = tokenize(name);
    let reporter = |w: &str| p.words.get(w).is_some_and(|x| x.kind == RedactionKind::ReporterIdentity) && !p.keep_words.contains(w);
    let folded = fold(name);
    if toks.iter().any(|t| reporter(&t.low)) || p.reporter_needles.iter().any(|n| folded.contains(n.as_str())) {
        let kept: Vec<&str> = toks.iter().filter(|t| !reporter(&t.low)).map(|t| &name[t.s..t.e]).collect();
        if kept.is_empty() || p.reporter_needles.iter().any(|n| folded.contains(n.as_str())) {
            return None;
        }
        return Some(kept.join(" "));
    }
    Some(name.to_owned())
}

/// Checks a reviewer's edited alert against the report's identifiers: the reporter's names, contact details and
/// handles, the venue and its address, postcodes, the location detail, and the third parties named in the account.
/// One finding per field and kind; the text found is never in the result.
pub fn check_edit(report: &Report, edited: &Alert) -> Vec<Finding> {
    let account = tokenize(&report.account);
    let description = report.offender.description.as_deref().map(tokenize);
    let (mut p, _) = profile_and_town(report, &account, description.as_deref(), &known_digits(report));
    // The words of his own handles and emails ("derry" in "ciaranmc_derry") are his wherever they stand.
    let his: Vec<String> = p
        .offender_handles
        .iter()
        .chain(&p.offender_emails)
        .flat_map(|x| x.split(|c: char| !c.is_alphanumeric()).map(str::to_owned).collect::<Vec<_>>())
        .collect();
    // What the sanitiser took out of the account and description is, by definition, not for the alert.
    let mut removed: Vec<(Vec<String>, RedactionKind)> = Vec::new();
    for text in std::iter::once(report.account.as_str()).chain(report.offender.description.as_deref()) {
        let scan = Scan::run(text, &p);
        for sp in &scan.spans {
            let (Some(kind), false) = (sp.kind, sp.rep == Rep::Keep) else { continue };
            let piece = &text[sp.start..sp.end];
            match kind {
                RedactionKind::Phone | RedactionKind::ReporterContact if piece.chars().filter(char::is_ascii_digit).count() >= 9 => {
                    p.removed_phone_digits.push(national_digits(piece))
                }
                RedactionKind::Email => p.removed_emails.push(fold(piece)),
                RedactionKind::Handle => p.removed_handles.push(fold(piece.trim_start_matches('@'))),
                _ => {
                    let words: Vec<String> = tokenize(piece)
                        .into_iter()
                        .filter(|t| {
                            !t.stop()
                                && t.low != "s"
                                && !p.keep_words.contains(&*t.low)
                                && !p.found_keep.contains(&*t.low)
                                && !p.town_words.contains(&*t.low)
                                && !his.iter().any(|h| *h == *t.low)
                        })
                        .filter(|t| !t.common() || t.cap)
                        .map(|t| t.low.into_owned())
                        .collect();
                    if !words.is_empty() {
                        removed.push((words, kind));
                    }
                }
            }
        }
    }

    let mut fields: Vec<(String, &str)> = vec![("town".into(), edited.town.as_str()), ("summary".into(), edited.summary.as_str())];
    let o = &edited.offender;
    if let Some(d) = &o.description {
        fields.push(("offender.description".into(), d));
    }
    for (name, list) in [("names_used", &o.names_used), ("phones", &o.phones), ("emails", &o.emails), ("online_handles", &o.online_handles)]
    {
        for (i, v) in list.iter().enumerate() {
            fields.push((format!("offender.{name}[{i}]"), v));
        }
    }
    for (i, v) in o.vehicles.iter().enumerate() {
        for (name, f) in [("make", &v.make), ("model", &v.model), ("colour", &v.colour), ("registration", &v.registration)] {
            if let Some(f) = f {
                fields.push((format!("offender.vehicles[{i}].{name}"), f));
            }
        }
    }

    let mut findings = Vec::new();
    for (field, text) in fields {
        let mut kinds: Vec<RedactionKind> = Vec::new();
        let scan = Scan::run(text, &p);
        for sp in &scan.spans {
            let Some(kind) = sp.kind else { continue };
            let piece = &text[sp.start..sp.end];
            let known = match kind {
                RedactionKind::ReporterIdentity
                | RedactionKind::ReporterContact
                | RedactionKind::Postcode
                | RedactionKind::ThirdPartyName => true,
                RedactionKind::Phone => p.removed_phone_digits.contains(&national_digits(piece)),
                RedactionKind::Email => p.removed_emails.contains(&fold(piece)),
                RedactionKind::Handle => p.removed_handles.contains(&fold(piece.trim_start_matches('@'))),
                // Venue and address words the report gave, or that the account's own cleaning found.
                _ => {
                    let low: Vec<String> = tokenize(piece).into_iter().map(|t| t.low.into_owned()).collect();
                    p.phrases.values().flatten().any(|ph| contains_seq(&low, &ph.words))
                        || low.iter().any(|w| p.words.contains_key(w))
                        || removed.iter().any(|(ws, _)| contains_seq(&low, ws))
                }
            };
            if known && !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        // Removed pieces the rules would not find again in new wording.
        let low = fold(text);
        let toks = tokenize(text);
        let lows: Vec<String> = toks.iter().map(|t| t.low.to_string()).collect();
        for (ws, kind) in &removed {
            // One word that is also a word of the language ("don" of "don't") counts only where written as a name.
            let found = match ws.as_slice() {
                [w] => toks.iter().any(|t| *t.low == **w && (t.cap || !t.vocabulary())),
                _ => contains_seq(&lows, ws),
            };
            if found && !kinds.contains(kind) {
                kinds.push(*kind);
            }
        }
        for needle in p.reporter_needles.iter() {
            if !find_literal(&low, needle).is_empty() && !kinds.contains(&RedactionKind::ReporterContact) {
                kinds.push(RedactionKind::ReporterContact);
            }
        }
        findings.extend(kinds.into_iter().map(|kind| Finding { kind, field: field.clone() }));
    }
    findings
}

fn contains_seq(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w.iter().zip(needle).all(|(a, b)| lexicon::canon_street(a) == b.as_str()))
}
