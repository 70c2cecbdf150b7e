//! The town: checked like the free text and against the gazetteer before it is drafted, and again when a reviewer
//! sets it at publish. What is left out of it is never shown, in the alert or in the reviewer's flag.

use crate::common;

use common::corpus;
use shared::domain::Town;
use shared::domain::alert::{FlagCode, TownIssue};
use shared::sanitiser::{TOWN_WITHHELD, check_publish_town, check_report_town, sanitise};

fn case(id: &str) -> common::Case {
    common::load(&corpus::own_case(id))
}

fn with_town(id: &str, town: &str) -> common::Case {
    let mut c = case(id);
    c.report.incident.town = Town::parse(town).unwrap();
    c
}

fn alert_json(c: &common::Case) -> String {
    serde_json::to_string(&sanitise(&c.report)).unwrap()
}

#[test]
fn an_address_typed_as_the_town_publishes_only_the_town_in_it() {
    let c = case("42-leeds-address-typed-in-town");
    let alert = sanitise(&c.report);
    assert_eq!(alert.town, "Leeds");
    let json = serde_json::to_string(&alert).unwrap();
    for s in ["Acacia", "acacia", "LS6", "2AB", "12 A"] {
        assert!(!json.contains(s), "'{s}' is in {json}");
    }
    let flag = alert.flags.iter().find(|f| f.field == "town").expect("the draft is flagged for the reviewer");
    assert_eq!(flag.code, FlagCode::TownCoarsened);
    assert!(flag.reasons.contains(&TownIssue::Address) && flag.reasons.contains(&TownIssue::Postcode), "{flag:?}");
}

#[test]
fn the_reporters_name_or_email_typed_as_the_town_is_never_published() {
    let named = case("43-bristol-reporters-name-typed-in-town");
    let alert = sanitise(&named.report);
    assert_eq!(alert.town, "Bristol");
    assert!(alert.flags[0].reasons.contains(&TownIssue::ReporterIdentity), "{:?}", alert.flags);

    let emailed = case("44-sheffield-reporters-email-typed-in-town");
    let alert = sanitise(&emailed.report);
    assert_eq!(alert.town, TOWN_WITHHELD);
    assert_eq!(alert.flags[0].code, FlagCode::TownWithheld);
    assert_eq!(alert.flags[0].reasons, vec![TownIssue::ReporterContact]);

    // Her name alone, in other cases and spellings.
    for town in ["Kayleigh Brooks", "KAYLEIGH", "kayleigh brooks bristol", "Bristol (Kayleigh)"] {
        let c = with_town("43-bristol-reporters-name-typed-in-town", town);
        let json = alert_json(&c).to_lowercase();
        assert!(!json.contains("kayleigh") && !json.contains("brooks"), "{town}: {json}");
    }
}

#[test]
fn a_known_place_typed_plainly_is_published_as_typed_without_a_flag() {
    for town in ["Leeds", "Holbeck, Leeds", "Stoke-on-Trent", "Dún Laoghaire", "North Leeds", "Leeds city centre"] {
        let c = with_town("28-leeds-parlour-maid-and-van", town);
        let alert = sanitise(&c.report);
        assert_eq!(alert.town, town);
        assert!(alert.flags.is_empty(), "{town}: {:?}", alert.flags);
    }
}

#[test]
fn a_place_that_is_also_the_reporters_name_gives_only_its_region() {
    let mut c = case("43-bristol-reporters-name-typed-in-town");
    c.report.reporter.as_mut().unwrap().working_name = Some("Chelsea".into());
    c.report.incident.town = Town::parse("Chelsea").unwrap();
    let alert = sanitise(&c.report);
    assert_eq!(alert.town, "London");
    assert_eq!(alert.flags[0].code, FlagCode::TownWidened);
}

#[test]
fn a_street_a_venue_a_postcode_or_a_number_in_the_town_never_reaches_the_alert() {
    for (town, shown, hidden) in [
        ("Premier Inn Deansgate Manchester", "Manchester", &["Premier", "Deansgate"][..]),
        ("Leeds LS6 2AB", "Leeds", &["LS6", "2AB"]),
        ("Acacia Avenue Leeds", "Leeds", &["Acacia"]),
        ("London Road", TOWN_WITHHELD, &["London Road"]),
        ("LS6 2AB", TOWN_WITHHELD, &["LS6"]),
        ("07700 900999", TOWN_WITHHELD, &["900999"]),
        ("Nowhereville", TOWN_WITHHELD, &["Nowhereville"]),
    ] {
        let c = with_town("28-leeds-parlour-maid-and-van", town);
        let alert = sanitise(&c.report);
        assert_eq!(alert.town, shown, "{town}");
        let json = serde_json::to_string(&alert).unwrap();
        for h in hidden {
            assert!(!json.contains(h), "{town}: '{h}' is in {json}");
        }
        assert!(!alert.flags.is_empty(), "{town}");
    }
}

#[test]
fn the_drafted_town_of_every_labelled_case_passes_the_publish_check_unchanged() {
    let mut cases = common::load_dir(&corpus::own_cases());
    if let Some(dir) = corpus::house_examples() {
        cases.extend(common::load_dir(&dir));
    }
    for c in &cases {
        let drafted = check_report_town(&c.report).town;
        assert_eq!(check_publish_town(Some(&c.report), &drafted).as_deref(), Ok(drafted.as_str()), "{}", c.id);
    }
}

#[test]
fn a_reviewers_town_is_checked_like_the_drafted_one() {
    let c = case("43-bristol-reporters-name-typed-in-town");
    let r = Some(&c.report);
    assert_eq!(check_publish_town(r, "Bristol").as_deref(), Ok("Bristol"));
    assert_eq!(check_publish_town(r, "South West England").as_deref(), Ok("South West England"));
    assert_eq!(check_publish_town(r, "Town withheld").as_deref(), Ok("Town withheld"));
    assert!(check_publish_town(r, "Kayleigh Brooks").unwrap_err().contains(&TownIssue::ReporterIdentity));
    assert!(check_publish_town(r, "kb.work@example.org").unwrap_err().contains(&TownIssue::ReporterContact));
    assert!(check_publish_town(r, "12 Acacia Avenue, Bristol").unwrap_err().contains(&TownIssue::Address));
    assert!(check_publish_town(r, "Bristol BS1 4DJ").unwrap_err().contains(&TownIssue::Postcode));
    assert_eq!(check_publish_town(r, "Nowhereville").unwrap_err(), vec![TownIssue::NotAKnownPlace]);
    // Without the report, the gazetteer alone still keeps addresses out.
    assert!(check_publish_town(None, "12 Acacia Avenue, Bristol").is_err());
    assert_eq!(check_publish_town(None, "Bristol").as_deref(), Ok("Bristol"));
}

#[test]
fn a_flag_says_why_never_what() {
    for (id, secrets) in [
        ("42-leeds-address-typed-in-town", &["acacia", "ls6", "2ab"][..]),
        ("43-bristol-reporters-name-typed-in-town", &["kayleigh", "brooks"]),
        ("44-sheffield-reporters-email-typed-in-town", &["jade", "sheff@"]),
        ("45-manchester-hotel-and-street-typed-in-town", &["premier", "deansgate"]),
    ] {
        let alert = sanitise(&case(id).report);
        let flags = serde_json::to_string(&alert.flags).unwrap().to_lowercase();
        assert!(!alert.flags.is_empty(), "{id}");
        for s in secrets {
            assert!(!flags.contains(s), "{id}: the flag holds '{s}': {flags}");
        }
    }
}
