//! The words members receive: the alert email, the alert text, and the verification code messages.
//!
//! A text is sent as one or more SMS segments. One segment holds 160 GSM-7 characters, or 70 UCS-2 characters when
//! any character is outside GSM-7; a message of several segments loses room to the header that joins them, so each
//! part holds 153 (GSM-7) or 67 (UCS-2). An alert text is kept within two segments.

use chrono::{Datelike, NaiveDate};

use crate::domain::alert::{Alert, DatePrecision};
use crate::domain::{AlertId, Category, FirstContact, Region, TimeOfDay};
use crate::i18n::Lang;

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

/// Which copy of an alert a message is: the member's own token in its link (so a leaked copy says whose it was), and
/// whether it is a notice about the alert (its withdrawal, a correction) rather than the alert.
#[derive(Debug, Clone, Copy)]
pub struct AlertCopy<'a> {
    pub alert: &'a AlertId,
    pub token: Option<&'a str>,
    pub notice: Option<crate::usecases::deliver::Notice>,
}

impl<'a> AlertCopy<'a> {
    /// The alert itself, with no token (for a preview).
    pub fn plain(alert: &'a AlertId) -> Self {
        Self { alert, token: None, notice: None }
    }

    /// The alert's page for this copy.
    pub fn link(&self, site: &str) -> String {
        match self.token {
            Some(t) => format!("{site}/alerts/{}?c={t}", self.alert),
            None => format!("{site}/alerts/{}", self.alert),
        }
    }
}

/// The fixed words of the messages and pages in one language: categories, regions, dates and the like come from the
/// catalogue; what the report said is never translated.
#[derive(Debug, Clone, Copy)]
pub struct Words(pub Lang);

impl Words {
    pub fn category(self, c: Category) -> String {
        self.0.t(&format!("category-{}", c.as_str()))
    }

    pub fn categories(self, alert: &Alert) -> String {
        alert.categories.iter().map(|c| self.category(*c)).collect::<Vec<_>>().join(", ")
    }

    pub fn region(self, r: Region) -> String {
        self.0.t(&format!("region-{}", r.as_str()))
    }

    pub fn time_of_day(self, t: TimeOfDay) -> String {
        self.0.t(&format!("tod-{}", t.as_str()))
    }

    pub fn first_contact(self, f: FirstContact) -> String {
        self.0.t(&format!("first-contact-{}", f.as_str()))
    }

    fn month(self, d: NaiveDate) -> String {
        self.0.t(&format!("month-{}", d.month()))
    }

    /// "30 November 2026", in the language's words.
    pub fn day_long(self, d: NaiveDate) -> String {
        format!("{} {} {}", d.day(), self.month(d), d.year())
    }

    /// "March 2026" from "2026-03", in the language's words; `None` where it is not a month.
    pub fn month_year(self, ym: &str) -> Option<String> {
        let (y, m) = ym.split_once('-')?;
        let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
        (1..=12).contains(&m).then(|| format!("{} {y}", self.0.t(&format!("month-alone-{m}"))))
    }

    /// "14 March 2025", "week of 10 March 2025", "March 2025", in the language's words.
    pub fn date_long(self, alert: &Alert) -> String {
        let d = alert.date;
        let day = self.day_long(d);
        match alert.date_precision {
            DatePrecision::Day => day,
            DatePrecision::Week => self.0.t_args("date-week-of", &[("date", &day)]),
            DatePrecision::Month => format!("{} {}", self.0.t(&format!("month-alone-{}", d.month())), d.year()),
        }
    }
}

/// A phone number as the pages and messages show it, one way everywhere: a UK number as it is dialled at home
/// ("07700 900201"), any other in its international form.
pub fn phone_display(e164: &str) -> String {
    match e164.strip_prefix("+44") {
        Some(rest) if rest.len() == 10 && rest.bytes().all(|b| b.is_ascii_digit()) => format!("0{} {}", &rest[..4], &rest[4..]),
        _ => e164.to_owned(),
    }
}

/// A registration as it is written on the plate: capitals, and a current-style British one with its space
/// ("AB12 CDE").
pub fn registration_display(reg: &str) -> String {
    let compact: String = reg.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect();
    let b = compact.as_bytes();
    let british = b.len() == 7
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_uppercase);
    if british { format!("{} {}", &compact[..4], &compact[4..]) } else { compact }
}

pub fn vehicle_line(v: &crate::domain::report::Vehicle) -> String {
    let reg = v.registration.as_deref().map(registration_display);
    [v.colour.as_deref(), v.make.as_deref(), v.model.as_deref(), reg.as_deref()].iter().filter_map(|p| *p).collect::<Vec<_>>().join(" ")
}

/// The email for one member, in their language: the alert as published, and their own unsubscribe link.
pub fn render_email(alert: &Alert, copy: &AlertCopy<'_>, site: &str, unsubscribe_url: &str, lang: Lang) -> (String, String) {
    use crate::usecases::deliver::Notice;
    let w = Words(lang);
    let link = copy.link(site);
    if copy.notice == Some(Notice::Withdrawal) {
        let args = [("town", alert.town.as_str()), ("date", &w.date_long(alert))];
        let subject = lang.t_args("withdrawn-subject", &args);
        let t = format!("{}\n\n{link}\n\n{} {unsubscribe_url}\n", lang.t_args("withdrawn-email", &args), lang.t("email-stop"));
        return (subject, t);
    }
    let mut subject = lang.t_args("email-subject", &[("what", &w.categories(alert)), ("town", &alert.town)]);
    let mut t = String::new();
    if matches!(copy.notice, Some(Notice::Correction(_))) {
        subject = format!("{}: {subject}", lang.t("correction-word"));
        t += &format!("{}\n\n", lang.t("correction-email"));
    }
    t += &format!("{}: {}, {}", lang.t("email-heading"), alert.town, w.date_long(alert));
    if let Some(tod) = alert.time_of_day {
        t += &format!(" ({})", w.time_of_day(tod));
    }
    t += &format!("\n{}: {}\n", lang.t("email-what"), w.categories(alert));
    if let Some(fc) = alert.first_contact {
        t += &format!("{}: {}\n", lang.t("alert-first-contact"), w.first_contact(fc));
    }
    let o = &alert.offender;
    t += &format!("\n{}\n", lang.t("alert-about-him"));
    let phones: Vec<String> = o.phones.iter().map(|p| phone_display(p)).collect();
    for (key, list) in
        [("alert-names", &o.names_used), ("alert-phones", &phones), ("alert-emails", &o.emails), ("alert-online", &o.online_handles)]
    {
        if !list.is_empty() {
            t += &format!("{}: {}\n", lang.t(key), list.join(", "));
        }
    }
    for v in &o.vehicles {
        t += &format!("{}: {}\n", lang.t("alert-vehicle"), vehicle_line(v));
    }
    if let Some(d) = &o.description {
        t += &format!("{}: {d}\n", lang.t("alert-description"));
    }
    t += &format!("\n{}\n{}\n", lang.t("alert-what-happened"), alert.summary);
    t +=
        &format!("\n{} {site}/\n{} {link}\n\n{} {unsubscribe_url}\n", lang.t("email-tell-us"), lang.t("email-page"), lang.t("email-stop"),);
    (subject, t)
}

/// A text of at most two segments (three where a letter is outside GSM-7), in the member's language: the essentials
/// and a link to the members' page.
pub fn render_sms(alert: &Alert, copy: &AlertCopy<'_>, site: &str, stop_url: &str, lang: Lang) -> String {
    use crate::usecases::deliver::Notice;
    let w = Words(lang);
    let o = &alert.offender;
    // The alert's page, then the way to stop texts: both always whole, the alert's words cut to fit.
    let link = format!(" {} {} {stop_url}", copy.link(site), lang.t("sms-stop"));
    let when = alert.date_short();
    let body = if copy.notice == Some(Notice::Withdrawal) {
        lang.t_args("withdrawn-sms", &[("town", alert.town.as_str()), ("date", &when)])
    } else {
        let mut ident: Vec<String> = Vec::new();
        if let Some(n) = o.names_used.first() {
            ident.push(lang.t_args("sms-calls-himself", &[("name", n)]));
        }
        ident.extend(o.phones.iter().take(2).map(|p| phone_display(p)));
        ident.extend(o.vehicles.iter().filter_map(|v| v.registration.as_deref().map(registration_display)).take(1));
        let marker =
            if matches!(copy.notice, Some(Notice::Correction(_))) { format!("{} ", lang.t("sms-correction")) } else { String::new() };
        let head = format!("{marker}{} {} {when}: {}", lang.t("sms-alert"), alert.town, w.categories(alert));
        if ident.is_empty() { head } else { format!("{head}. {} {}", lang.t("sms-man"), ident.join(", ")) }
    };
    let gsm = body.chars().chain(link.chars()).all(is_gsm7);
    let max = if gsm { MAX_ALERT_SEGMENTS * GSM7_PART } else { MAX_UCS2_ALERT_SEGMENTS * UCS2_PART };
    let room = max - link.chars().count();
    let ellipsis = if gsm { "..." } else { "…" };
    let body =
        if body.chars().count() > room { body.chars().take(room - ellipsis.len().min(3)).collect::<String>() + ellipsis } else { body };
    format!("{body}{link}")
}

/// The message that tells a member staff approved them, in their language.
pub fn approved_email(site: &str, lang: Lang) -> (String, String) {
    (lang.t("approved-subject"), lang.t_args("approved-email", &[("site", site)]) + "\n")
}

pub fn approved_sms(site: &str, lang: Lang) -> String {
    lang.t_args("approved-sms", &[("site", site)])
}

/// The sign-in code, in the member's language.
pub fn sign_in_code_email(code: &str, lang: Lang) -> (String, String) {
    (lang.t("sign-in-code-subject"), lang.t_args("sign-in-code-email", &[("code", code)]) + "\n")
}

pub fn sign_in_code_sms(code: &str, lang: Lang) -> String {
    lang.t_args("sign-in-code-sms", &[("code", code)])
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
        let text = render_sms(&a, &AlertCopy::plain(&id), SITE, STOP, Lang::En);
        assert_eq!(
            text,
            format!("ALERT Leeds 14 Mar: Theft. Man calls himself Gaz, 07700 900201, YD19 KQT {SITE}/alerts/{id} Stop texts: {STOP}")
        );
        assert_eq!(sms_segments(&text), 2);
    }

    #[test]
    fn a_long_gsm7_alert_text_is_cut_to_exactly_two_segments_and_keeps_its_link() {
        let long_name = "G".repeat(400);
        let a = alert("Leeds", "x", &[&long_name]);
        let id = AlertId::from_digest(&[2u8; 32]);
        let text = render_sms(&a, &AlertCopy::plain(&id), SITE, STOP, Lang::En);
        assert_eq!(text.chars().count(), 2 * GSM7_PART);
        assert_eq!(sms_segments(&text), 2);
        assert!(text.ends_with(&format!("... {SITE}/alerts/{id} Stop texts: {STOP}")), "{text}");
    }

    #[test]
    fn a_long_alert_text_with_an_accent_stays_within_three_ucs2_segments_with_both_links() {
        let a = alert("Leeds", "x", &[&format!("José {}", "G".repeat(400))]);
        let id = AlertId::from_digest(&[3u8; 32]);
        let text = render_sms(&a, &AlertCopy::plain(&id), SITE, STOP, Lang::En);
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
        let (_, email) = render_email(&a, &AlertCopy::plain(&id), SITE, "https://u.example/x", Lang::En);
        let sms = render_sms(&a, &AlertCopy::plain(&id), SITE, STOP, Lang::En);
        assert!(email.starts_with("SAFETY ALERT: Leeds, March 2025\n"), "{email}");
        assert!(sms.starts_with("ALERT Leeds Mar 2025: Theft"), "{sms}");
        for text in [&email, &sms] {
            assert!(!text.contains("14 ") && !text.contains(" 1 M"), "{text}");
        }
        a.date_precision = DatePrecision::Week;
        a.date = DatePrecision::Week.coarsen(NaiveDate::from_ymd_opt(2025, 3, 14).unwrap());
        assert!(
            render_email(&a, &AlertCopy::plain(&id), SITE, "x", Lang::En).1.starts_with("SAFETY ALERT: Leeds, week of 10 March 2025\n")
        );
        assert!(render_sms(&a, &AlertCopy::plain(&id), SITE, STOP, Lang::En).starts_with("ALERT Leeds wk of 10 Mar: Theft"));
    }

    #[test]
    fn the_code_text_fits_one_segment() {
        assert_eq!(sms_segments(&code_sms("123456")), 1);
    }

    #[test]
    fn the_alert_email_carries_the_unsubscribe_link_and_the_members_page() {
        let a = alert("Leeds", "He took money.", &["Gaz"]);
        let id = AlertId::from_digest(&[4u8; 32]);
        let (subject, text) = render_email(&a, &AlertCopy::plain(&id), SITE, "https://u.example/x", Lang::En);
        assert_eq!(subject, "Safety alert: Theft in Leeds");
        assert!(text.contains(&format!("{SITE}/alerts/{id}")) && text.ends_with("Stop these alerts: https://u.example/x\n"));
    }

    #[test]
    fn a_polish_speaking_members_alert_email_has_polish_fixed_words_and_the_reports_own_words() {
        let a = alert("Leeds", "He took money.", &["Gaz"]);
        let id = AlertId::from_digest(&[6u8; 32]);
        let (subject, text) = render_email(&a, &AlertCopy::plain(&id), SITE, "https://u.example/x", Lang::Pl);
        assert_eq!(subject, "Alert bezpieczeństwa: Kradzież w Leeds");
        assert!(text.starts_with("ALERT BEZPIECZEŃSTWA: Leeds, 14 marca 2025\nCo się stało: Kradzież\n"), "{text}");
        assert!(text.contains("\nO nim\nImiona: Gaz\nTelefony: 07700 900201\n"), "{text}");
        assert!(text.contains("\nHe took money.\n"), "the report's own words stay as written: {text}");
        assert!(text.ends_with("Zatrzymaj te alerty: https://u.example/x\n"), "{text}");
        let sms = render_sms(&a, &AlertCopy::plain(&id), SITE, STOP, Lang::Pl);
        assert!(sms.starts_with("ALERT Leeds 14 Mar: Kradzież. Mężczyzna przedstawia się jako Gaz"), "{sms}");
    }

    #[test]
    fn a_phone_and_a_registration_are_written_one_way() {
        assert_eq!(phone_display("+447700900201"), "07700 900201");
        assert_eq!(phone_display("+353871234567"), "+353871234567");
        assert_eq!(registration_display("ab12cde"), "AB12 CDE");
        assert_eq!(registration_display("AB12 CDE"), "AB12 CDE");
        assert_eq!(registration_display("K123 ABC"), "K123ABC");
    }

    #[test]
    fn a_withdrawal_and_a_correction_say_what_they_are_and_carry_the_members_own_link() {
        use crate::usecases::deliver::Notice;
        let a = alert("Leeds", "He took money.", &["Gaz"]);
        let id = AlertId::from_digest(&[1u8; 32]);
        let withdrawal = AlertCopy { alert: &id, token: Some("ABCDEFGH2345"), notice: Some(Notice::Withdrawal) };
        let sms = render_sms(&a, &withdrawal, SITE, STOP, Lang::En);
        assert!(sms.starts_with("WITHDRAWN: the alert about Leeds 14 Mar was withdrawn."), "{sms}");
        assert!(sms.contains(&format!("{SITE}/alerts/{id}?c=ABCDEFGH2345")), "{sms}");
        assert!(!sms.contains("Gaz") && !sms.contains("07700"), "a withdrawal repeats nothing of the alert: {sms}");
        let (subject, email) = render_email(&a, &withdrawal, SITE, "https://u.example/x", Lang::En);
        assert_eq!(subject, "Alert withdrawn: Leeds, 14 March 2025");
        assert!(!email.contains("Gaz"), "{email}");
        let correction = AlertCopy { notice: Some(Notice::Correction(2)), ..withdrawal };
        let (subject, email) = render_email(&a, &correction, SITE, "https://u.example/x", Lang::En);
        assert!(subject.starts_with("Correction: Safety alert"), "{subject}");
        assert!(email.starts_with("This corrects an alert we sent you earlier."), "{email}");
        assert!(email.contains("He took money.") && email.contains("?c=ABCDEFGH2345"));
        let sms = render_sms(&a, &correction, SITE, STOP, Lang::En);
        assert!(sms.starts_with("CORRECTION: ALERT Leeds"), "{sms}");
        for lang in Lang::ALL {
            assert!(sms_segments(&render_sms(&a, &correction, SITE, STOP, lang)) <= MAX_UCS2_ALERT_SEGMENTS);
            assert!(sms_segments(&render_sms(&a, &withdrawal, SITE, STOP, lang)) <= MAX_UCS2_ALERT_SEGMENTS);
        }
    }
}
