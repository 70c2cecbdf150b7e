//! Properties of the sanitiser over generated reports: the reporter's identifiers never survive, however they are
//! written; the same report always gives the same alert; no valid report makes it panic.
//!
//! Case counts: `PROPTEST_CASES` sets them (proptest's own variable); without it each property runs 256 cases and the
//! fuzz-style property 512. The long run is `PROPTEST_CASES=20000 cargo test --release -p shared --test sanitiser_props`.

use crate::common;

use chrono::NaiveDate;
use proptest::prelude::*;
use shared::domain::category::{Category, TimeOfDay};
use shared::domain::report::{Consent, Incident, Offender, Reporter, Vehicle, Workplace};
use shared::domain::{Report, Town};
use shared::sanitiser::sanitise;

const FIRST: &[&str] = &[
    "Jade",
    "Leanne",
    "Kayla",
    "Chantelle",
    "Siobhan",
    "Aoife",
    "Priya",
    "Agnieszka",
    "Ioana",
    "Fatima",
    "Kerry",
    "Gemma",
    "Danielle",
    "Catriona",
    "Eilidh",
    "Bronwen",
    "Shanice",
    "Zainab",
    "Natalia",
    "Roisin",
    "Élodie",
    "Łucja",
    "Ștefania",
    "Síofra",
    "Işıl",
    "Zoë",
];
const WORKING: &[&str] = &["Scarlett", "Honey", "Violet", "Ruby", "Roxanne", "Lexi", "Kiki", "Bambi", "Destiny", "Precious", "Amber"];
const OFFENDER: &[&str] = &["Gaz", "Bill", "Terry", "Callum", "Lee", "Davey", "Mark", "Rich", "Steve", "Jonno"];
const FILLER: &[&str] = &[
    "He booked by text on the Friday.",
    "he turned up late and was drunk",
    "I told him no and he grabbed my arm.",
    "My mate was in the next room.",
    "He paid then took the money back.",
    "Please be careful girls, he is dangerous.",
    "he said he knew where i lived",
    "It happened at about 11pm near the station.",
    "He drove off in a black car.",
    "Sorry for my English.",
];

fn phone_forms(digits: &str) -> Vec<String> {
    // digits: "7700900123" (national significant number)
    let (a, b) = digits.split_at(4);
    let (b1, b2) = b.split_at(3);
    vec![
        format!("0{a} {b}"),
        format!("0{a}{b}"),
        format!("0{a}-{b1}-{b2}"),
        format!("+44 {a} {b}"),
        format!("+44{a}{b}"),
        format!("+44 (0){a} {b}"),
        format!("(0{a}) {b1} {b2}"),
        format!("0044 {a} {b}"),
    ]
}

fn casing(s: &str, how: u8) -> String {
    match how % 4 {
        0 => s.to_owned(),
        1 => s.to_lowercase(),
        2 => s.to_uppercase(),
        _ => {
            let mut c = s.chars();
            c.next().map(|f| f.to_uppercase().chain(c.flat_map(char::to_lowercase)).collect()).unwrap_or_default()
        }
    }
}

fn base_report(account: String, reporter: Option<Reporter>, offender: Offender) -> Report {
    Report {
        incident: Incident {
            date: NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(),
            time_of_day: Some(TimeOfDay::Evening),
            town: Town::parse("Leeds").unwrap(),
            location_detail: None,
            categories: vec![Category::Threats],
            first_contact: None,
        },
        offender,
        account,
        reporter,
        workplace: None,
        consent: Consent { publish_alert: true, share_with_police: false, caseworker_contact: false },
    }
}

#[derive(Debug, Clone)]
struct Identity {
    first: String,
    surname: String,
    working: String,
    email: String,
    phone_digits: String,
    handle: String,
}

fn identity() -> impl Strategy<Value = Identity> {
    (
        prop::sample::select(FIRST),
        "[A-ZÉŁȘÖÇ][a-zéłșöçı]{3,9}",
        prop::sample::select(WORKING),
        // Emails and handles may start with a letter outside ASCII ("Élodie.m@…", "@Éva_x").
        "[ÉéŁłȘșÍíÖöÇç]?[a-z]{3,8}(\\.[a-z]{2,6})?",
        0u32..1000,
        "[ÉéŁłȘșÍíÖöÇça-z][a-z_]{3,10}[0-9]{0,2}",
    )
        .prop_map(|(first, surname, working, local, n, handle)| Identity {
            first: first.to_owned(),
            surname,
            working: working.to_owned(),
            email: format!("{local}@example.org"),
            phone_digits: format!("7700900{n:03}"),
            handle,
        })
}

/// One way of writing one of the reporter's identifiers into the account.
fn mention(id: &Identity, which: u8, form: u8) -> String {
    match which % 8 {
        0 => casing(&id.first, form),
        1 => casing(&id.surname, form),
        2 => casing(&format!("{} {}", id.first, id.surname), form),
        3 => format!("{}'s", casing(&id.working, form)),
        4 => casing(&id.email, form % 3),
        5 => phone_forms(&id.phone_digits)[usize::from(form) % 8].clone(),
        6 => format!("@{}", id.handle),
        _ => id.handle.clone(),
    }
}

fn account_with(id: &Identity, inserts: &[(usize, u8, u8)]) -> String {
    let mut parts: Vec<String> = FILLER.iter().map(|s| (*s).to_owned()).collect();
    for &(pos, which, form) in inserts {
        let m = mention(id, which, form);
        let sentence = match form % 3 {
            0 => format!("my name is {m} and he knew it."),
            1 => format!("\"{m}, open the door\" he said"),
            _ => format!("({m})"),
        };
        let at = pos % (parts.len() + 1);
        parts.insert(at, sentence);
    }
    parts.join(" ")
}

fn offender_block() -> Offender {
    Offender {
        names_used: vec!["Gaz".into()],
        phones: vec!["0113 496 0999".into()],
        emails: vec!["gaz.b@example.net".into()],
        online_handles: vec!["@gazzab".into()],
        vehicles: vec![Vehicle { registration: Some("YD19 KQT".into()), ..Default::default() }],
        description: Some("white, 40s, shaved head".into()),
    }
}

proptest! {
    #![proptest_config(common::proptest_config(256))]

    #[test]
    fn the_reporters_identifiers_never_survive_in_any_case_or_format(
        id in identity(),
        inserts in prop::collection::vec((0usize..20, 0u8..8, 0u8..8), 1..8),
    ) {
        // A surname that is also the offender's name is a different test (see example 03).
        prop_assume!(!OFFENDER.iter().any(|o| o.eq_ignore_ascii_case(&id.surname)));
        let account = account_with(&id, &inserts);
        let reporter = Reporter {
            name: Some(format!("{} {}", id.first, id.surname)),
            working_name: Some(id.working.clone()),
            email: Some(id.email.clone()),
            phone: Some(phone_forms(&id.phone_digits)[0].clone()),
            online_handles: vec![format!("@{}", id.handle)],
            ..Default::default()
        };
        let report = base_report(account, Some(reporter), offender_block());
        let json = serde_json::to_string(&sanitise(&report)).unwrap();
        let text = common::alert_text(&json);
        for needle in [&id.first, &id.surname, &id.working, &id.email, &format!("0{}", id.phone_digits), &id.handle] {
            prop_assert!(!common::present(&text, needle), "'{}' survived in {}", needle, text);
        }
        // The offender's identifiers stay.
        for needle in ["Gaz", "0113 496 0999", "gaz.b@example.net", "gazzab", "YD19 KQT"] {
            prop_assert!(common::present(&text, needle), "'{}' was lost from {}", needle, text);
        }
    }
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 1..max).prop_map(|v| v.into_iter().collect::<String>()),
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(FILLER).prop_map(str::to_owned),
                "[A-Za-z0-9 ,.'@+()_\\-]{1,40}",
                "\\PC{1,30}",
                Just("my friend ".to_owned()),
                Just(" on Kirkgate Road, LS1 6BR ".to_owned()),
                Just("the Velvet Rooms".to_owned()),
                Just("07700 900101".to_owned()),
                Just("'s ".to_owned()),
                Just("\n".to_owned()),
            ],
            1..40,
        )
        .prop_map(|v| v.concat()),
    ]
    .prop_map(move |s| s.chars().take(max).collect::<String>())
    .prop_filter("an account is never blank", |s| !s.trim().is_empty())
}

fn opt_text(max: usize) -> impl Strategy<Value = Option<String>> {
    prop::option::of(any_text(max))
}

fn arbitrary_report() -> impl Strategy<Value = Report> {
    (
        any_text(3000),
        prop::collection::vec(any_text(80), 0..4),
        prop::collection::vec("[0-9 +()\\-]{3,20}|\\PC{3,20}", 0..4),
        prop::collection::vec(any_text(60), 0..3),
        opt_text(400),
        (opt_text(80), opt_text(80), opt_text(80), opt_text(32), prop::collection::vec(any_text(40), 0..3)),
        (opt_text(120), opt_text(300), opt_text(200)),
        prop::collection::vec((opt_text(40), opt_text(16)), 0..3),
    )
        .prop_map(
            |(
                account,
                names,
                phones,
                handles,
                description,
                (name, working, email, phone, rhandles),
                (venue, address, detail),
                vehicles,
            )| {
                let mut r = base_report(
                    account,
                    Some(Reporter { name, working_name: working, email, phone, online_handles: rhandles, ..Default::default() }),
                    Offender {
                        names_used: names,
                        phones,
                        emails: vec![],
                        online_handles: handles,
                        vehicles: vehicles
                            .into_iter()
                            .map(|(model, registration)| Vehicle { model, registration, ..Default::default() })
                            .collect(),
                        description,
                    },
                );
                r.workplace = Some(Workplace { setting: None, venue_name: venue, venue_address: address });
                r.incident.location_detail = detail;
                r
            },
        )
}

proptest! {
    #![proptest_config(common::proptest_config(256))]

    #[test]
    fn sanitise_is_deterministic(report in arbitrary_report()) {
        let a = serde_json::to_string(&sanitise(&report)).unwrap();
        let b = serde_json::to_string(&sanitise(&report.clone())).unwrap();
        prop_assert_eq!(a, b);
    }
}

proptest! {
    // Fuzz-style: many arbitrary reports, unicode everywhere. Raise with PROPTEST_CASES=20000.
    #![proptest_config(common::proptest_config(512))]

    #[test]
    fn sanitise_never_panics_and_always_gives_a_schema_shaped_alert(report in arbitrary_report()) {
        let alert = sanitise(&report);
        let json = serde_json::to_value(&alert).unwrap();
        prop_assert!(json["town"].is_string() && json["summary"].is_string() && json["redactions"].is_array());
        for r in json["redactions"].as_array().unwrap() {
            prop_assert!(r["count"].as_u64().unwrap() >= 1);
        }
        let back: shared::domain::Alert = serde_json::from_value(json).unwrap();
        prop_assert_eq!(back, alert);
    }
}

fn any_town() -> impl Strategy<Value = Town> {
    prop_oneof![
        any_text(80),
        "[A-Za-z0-9 ,'@.()/\\-]{1,60}",
        prop::sample::select(
            &[
                "12 Acacia Avenue, Leeds LS6 2AB",
                "Holbeck, Leeds",
                "Chelsea",
                "Premier Inn Deansgate Manchester",
                "Dublin 8",
                "Élodie.m@example.org",
                "Dún Laoghaire",
                "London Road",
            ][..]
        )
        .prop_map(str::to_owned),
    ]
    .prop_filter_map("a town the form accepts", |t| Town::parse(&t).ok())
}

proptest! {
    #![proptest_config(common::proptest_config(256))]

    #[test]
    fn whatever_is_typed_as_the_town_the_drafted_town_holds_no_number_or_at_and_passes_the_publish_check(
        mut report in arbitrary_report(),
        town in any_town(),
    ) {
        report.incident.town = town;
        let alert = sanitise(&report);
        prop_assert!(!alert.town.is_empty());
        prop_assert!(!alert.town.chars().any(|c| c.is_ascii_digit() || c == '@'), "{:?}", alert.town);
        prop_assert_eq!(alert.flags.is_empty(), alert.town == report.incident.town.as_str());
        let again = shared::sanitiser::check_publish_town(Some(&report), &alert.town);
        prop_assert_eq!(again.as_deref(), Ok(alert.town.as_str()));
    }
}
