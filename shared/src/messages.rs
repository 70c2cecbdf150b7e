//! The words members receive: the alert email, the alert text, and the verification code messages.
//!
//! A text is sent as one or more SMS segments. One segment holds 160 GSM-7 characters, or 70 UCS-2 characters when
//! any character is outside GSM-7; a message of several segments loses room to the header that joins them, so each
//! part holds 153 (GSM-7) or 67 (UCS-2). An alert text is kept within two segments.

use crate::domain::AlertId;
use crate::domain::alert::Alert;

/// Characters in one GSM-7 segment, and in each part of a multi-part message.
pub const GSM7_SINGLE: usize = 160;
pub const GSM7_PART: usize = 153;
/// Characters in one UCS-2 segment, and in each part of a multi-part message.
pub const UCS2_SINGLE: usize = 70;
pub const UCS2_PART: usize = 67;
/// An alert text in GSM-7 never takes more segments than this.
pub const MAX_ALERT_SEGMENTS: usize = 2;
/// A text with a letter outside GSM-7 (an accented name) has 67 characters a segment, not 153: it may take three, so
/// the alert's words still have room beside the two links.
pub const MAX_UCS2_ALERT_SEGMENTS: usize = 3;

/// Plain words for a schema value (`non_payment` → "non payment"), and the alert's categories as one line, for the
/// messages and the members' page alike.
pub fn words(s: &str) -> String {
    s.replace('_', " ")
}

pub fn categories(alert: &Alert) -> String {
    alert.categories.iter().map(|c| words(c.as_str())).collect::<Vec<_>>().join(", ")
}

pub fn vehicle_line(v: &crate::domain::report::Vehicle) -> String {
    [&v.colour, &v.make, &v.model, &v.registration].iter().filter_map(|p| p.as_deref()).collect::<Vec<_>>().join(" ")
}

/// The email for one member: the alert as published, and their own unsubscribe link.
pub fn render_email(alert: &Alert, id: &AlertId, site: &str, unsubscribe_url: &str) -> (String, String) {
    let subject = format!("Safety alert: {} in {}", categories(alert), alert.town);
    let mut t = format!("SAFETY ALERT: {}, {}", alert.town, alert.date_long());
    if let Some(tod) = alert.time_of_day {
        t += &format!(" ({})", tod.as_str());
    }
    t += &format!("\nWhat happened: {}\n", categories(alert));
    if let Some(fc) = alert.first_contact {
        t += &format!("First contact: {}\n", words(fc.as_str()));
    }
    let o = &alert.offender;
    t += "\nAbout him\n";
    for (label, list) in [("Names used", &o.names_used), ("Phones", &o.phones), ("Emails", &o.emails), ("Online", &o.online_handles)] {
        if !list.is_empty() {
            t += &format!("{label}: {}\n", list.join(", "));
        }
    }
    for v in &o.vehicles {
        t += &format!("Vehicle: {}\n", vehicle_line(v));
    }
    if let Some(d) = &o.description {
        t += &format!("Description: {d}\n");
    }
    t += &format!("\nWhat happened\n{}\n", alert.summary);
    t += &format!(
        "\nIf you recognise him, or he contacts you, tell us: {site}/\nThis alert on the members' page: {site}/alerts/{id}\n\nStop these alerts: {unsubscribe_url}\n"
    );
    (subject, t)
}

/// A text of at most two segments: the essentials and a link to the members' page.
pub fn render_sms(alert: &Alert, id: &AlertId, site: &str, stop_url: &str) -> String {
    let o = &alert.offender;
    let mut ident: Vec<String> = Vec::new();
    if let Some(n) = o.names_used.first() {
        ident.push(format!("calls himself {n}"));
    }
    ident.extend(o.phones.iter().take(2).cloned());
    ident.extend(o.vehicles.iter().filter_map(|v| v.registration.clone()).take(1));
    // The alert's page, then the way to stop texts: both always whole, the alert's words cut to fit.
    let link = format!(" {site}/alerts/{id} Stop texts: {stop_url}");
    let head = format!("ALERT {} {}: {}", alert.town, alert.date_short(), categories(alert));
    let body = if ident.is_empty() { head } else { format!("{head}. Man {}", ident.join(", ")) };
    let gsm = body.chars().chain(link.chars()).all(is_gsm7);
    let max = if gsm { MAX_ALERT_SEGMENTS * GSM7_PART } else { MAX_UCS2_ALERT_SEGMENTS * UCS2_PART };
    let room = max - link.chars().count();
    let ellipsis = if gsm { "..." } else { "…" };
    let body =
        if body.chars().count() > room { body.chars().take(room - ellipsis.len().min(3)).collect::<String>() + ellipsis } else { body };
    format!("{body}{link}")
}

/// The verification code email: subject and text.
pub fn code_email(code: &str) -> (String, String) {
    (
        "Your code for safety alerts".into(),
        format!(
            "Your code to start safety alerts by email is {code}. It works for 30 minutes.\n\nIf you did not ask for alerts, ignore this message: no alert is sent to this address unless this code is entered."
        ),
    )
}

/// The verification code text (one GSM-7 segment).
pub fn code_sms(code: &str) -> String {
    format!("Your safety alerts code is {code}. It works for 30 minutes. Not you? Ignore this.")
}

/// Whether a character is sent as one GSM-7 character. Deliberately narrower than the GSM-7 alphabet: characters of
/// the extension table (`€`, `[`, `{`...) take two, and accented letters are left to UCS-2, so a text judged GSM-7
/// here never takes more room than counted.
pub fn is_gsm7(c: char) -> bool {
    c.is_ascii_alphanumeric() || " @£$¥!\"#%&'()*+,-./:;<=>?_\n\r".contains(c)
}

/// How many segments a text takes.
pub fn sms_segments(text: &str) -> usize {
    let n = text.chars().count();
    let (single, part) = if text.chars().all(is_gsm7) { (GSM7_SINGLE, GSM7_PART) } else { (UCS2_SINGLE, UCS2_PART) };
    if n <= single { 1 } else { n.div_ceil(part) }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::Category;
    use crate::domain::alert::AlertOffender;
    use crate::domain::report::Vehicle;

    fn alert(town: &str, summary: &str, names: &[&str]) -> Alert {
        Alert {
            town: town.into(),
            date: NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(),
            time_of_day: None,
            categories: vec![Category::Theft],
            first_contact: None,
            offender: AlertOffender {
                names_used: names.iter().map(|n| (*n).to_owned()).collect(),
                phones: vec!["+447700900201".into()],
                vehicles: vec![Vehicle { registration: Some("YD19KQT".into()), ..Default::default() }],
                ..Default::default()
            },
            summary: summary.into(),
            redactions: vec![],
            date_precision: Default::default(),
            flags: vec![],
            review: vec![],
        }
    }

    const SITE: &str = "https://alerts.example.org";
    const STOP: &str = "https://alerts.example.org/stop/7KQF3MZP9XWD";

    #[test]
    fn plain_letters_digits_and_pound_are_gsm7_but_accents_euro_and_emoji_are_not() {
        assert!("Leeds 14 Mar: theft, £80 @ 6pm? Yes!".chars().all(is_gsm7));
        for c in ['é', '€', '[', '{', '…', '😀', 'ł'] {
            assert!(!is_gsm7(c), "{c}");
        }
    }

    #[test]
    fn a_gsm7_text_is_one_segment_up_to_160_characters_then_153_per_part() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(sms_segments(&"a".repeat(307)), 3);
    }

    #[test]
    fn one_character_outside_gsm7_makes_it_70_then_67_per_part() {
        assert_eq!(sms_segments(&format!("é{}", "a".repeat(69))), 1);
        assert_eq!(sms_segments(&format!("é{}", "a".repeat(70))), 2);
        assert_eq!(sms_segments(&format!("é{}", "a".repeat(133))), 2);
        assert_eq!(sms_segments(&format!("é{}", "a".repeat(134))), 3);
    }

    #[test]
    fn a_short_alert_text_is_whole_and_ends_with_its_link_and_the_stop_link() {
        let a = alert("Leeds", "He took money.", &["Gaz"]);
        let id = AlertId::from_digest(&[1u8; 32]);
        let text = render_sms(&a, &id, SITE, STOP);
        assert_eq!(
            text,
            format!("ALERT Leeds 14 Mar: theft. Man calls himself Gaz, +447700900201, YD19KQT {SITE}/alerts/{id} Stop texts: {STOP}")
        );
        assert_eq!(sms_segments(&text), 2);
    }

    #[test]
    fn a_long_gsm7_alert_text_is_cut_to_exactly_two_segments_and_keeps_its_link() {
        let long_name = "G".repeat(400);
        let a = alert("Leeds", "x", &[&long_name]);
        let id = AlertId::from_digest(&[2u8; 32]);
        let text = render_sms(&a, &id, SITE, STOP);
        assert_eq!(text.chars().count(), 2 * GSM7_PART);
        assert_eq!(sms_segments(&text), 2);
        assert!(text.ends_with(&format!("... {SITE}/alerts/{id} Stop texts: {STOP}")), "{text}");
    }

    #[test]
    fn a_long_alert_text_with_an_accent_stays_within_three_ucs2_segments_with_both_links() {
        let a = alert("Leeds", "x", &[&format!("José {}", "G".repeat(400))]);
        let id = AlertId::from_digest(&[3u8; 32]);
        let text = render_sms(&a, &id, SITE, STOP);
        assert!(text.chars().count() <= 3 * UCS2_PART, "{} characters", text.chars().count());
        assert_eq!(sms_segments(&text), 3);
        assert!(text.contains("José"), "the name's start survives: {text}");
        assert!(text.contains('…') && text.ends_with(&format!(" {SITE}/alerts/{id} Stop texts: {STOP}")), "{text}");
    }

    #[test]
    fn an_alert_coarsened_to_a_month_or_week_says_only_that_in_the_email_and_the_text() {
        use crate::domain::alert::DatePrecision;
        let mut a = alert("Leeds", "He took money.", &["Gaz"]);
        a.date_precision = DatePrecision::Month;
        a.date = DatePrecision::Month.coarsen(a.date);
        let id = AlertId::from_digest(&[5u8; 32]);
        let (_, email) = render_email(&a, &id, SITE, "https://u.example/x");
        let sms = render_sms(&a, &id, SITE, STOP);
        assert!(email.starts_with("SAFETY ALERT: Leeds, March 2025\n"), "{email}");
        assert!(sms.starts_with("ALERT Leeds Mar 2025: theft"), "{sms}");
        for text in [&email, &sms] {
            assert!(!text.contains("14 ") && !text.contains(" 1 M"), "{text}");
        }
        a.date_precision = DatePrecision::Week;
        a.date = DatePrecision::Week.coarsen(NaiveDate::from_ymd_opt(2025, 3, 14).unwrap());
        assert!(render_email(&a, &id, SITE, "x").1.starts_with("SAFETY ALERT: Leeds, week of 10 March 2025\n"));
        assert!(render_sms(&a, &id, SITE, STOP).starts_with("ALERT Leeds wk of 10 Mar: theft"));
    }

    #[test]
    fn the_code_text_fits_one_segment() {
        assert_eq!(sms_segments(&code_sms("123456")), 1);
    }

    #[test]
    fn the_alert_email_carries_the_unsubscribe_link_and_the_members_page() {
        let a = alert("Leeds", "He took money.", &["Gaz"]);
        let id = AlertId::from_digest(&[4u8; 32]);
        let (subject, text) = render_email(&a, &id, SITE, "https://u.example/x");
        assert_eq!(subject, "Safety alert: theft in Leeds");
        assert!(text.contains(&format!("{SITE}/alerts/{id}")) && text.ends_with("Stop these alerts: https://u.example/x\n"));
    }
}
