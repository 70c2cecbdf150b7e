//! The HTML pages, rendered with maud: the report form and its receipt, the members' pages (join, verify, sign in,
//! the members' area, settings), the page of an alert, the unsubscribe answers and the error pages.
//!
//! Every page goes through [`layout`], which gives the head, the stylesheet link, the quick exit (first tab stop), the
//! language and light switches and the `<main>` landmark. Every word a page shows comes from the catalogue of the
//! page's language ([`Ctx::t`]); text spliced into a page is escaped by maud unless it is wrapped in `PreEscaped`,
//! which no page does. No page has an inline script, an inline style or a third-party resource; the one stylesheet is
//! [`STYLE`] (`/style.css`) and the one script, optional, is the quick exit's [`EXIT_SCRIPT`] (`/quick-exit.js`).
//!
//! The static site (`infra/web/`) is written from here too ([`site_files`], `num site`), so the form the cloud serves
//! from S3 and the one `num serve` renders are the same bytes.

mod alert;
mod follow_up;
mod layout;
mod members;
mod notices;
mod report;

use maud::{Markup, html};

pub use alert::{AlertLife, Gone, alert_gone_page, alert_page};
pub use follow_up::{FollowUpView, follow_up_page, follow_up_report};
pub use layout::{Ctx, EXIT_SCRIPT, EXIT_SCRIPT_PATH, EXIT_URL, ROBOTS, STYLE, STYLESHEET_PATH, Theme, layout};
pub use members::*;
pub use notices::{confirm_stop_texts, confirm_unsubscribe, problem_page, texts_stopped, unsubscribed};
pub use report::{PREFERRED_CONTACT, WORK_SETTINGS, error_page, field_label, receipt, report_form, report_form_again};

use crate::error::ApiError;
use crate::i18n::Lang;

/// The files of the static site, by name: what `num site --out infra/web` writes and what S3 serves. The form is in
/// English at `/`; `num serve` and the functions render every other page, in every language.
pub fn site_files() -> Vec<(&'static str, String)> {
    vec![
        ("index.html", report_form(&Ctx { path: "/report".into(), ..Ctx::new(Lang::En) }, None)),
        ("style.css", STYLE.to_owned()),
        ("quick-exit.js", EXIT_SCRIPT.to_owned()),
        ("robots.txt", ROBOTS.to_owned()),
    ]
}

/// A tick box with its label after it; the whole row is a 44 px target.
pub(crate) fn check(id: &str, name: &str, value: &str, checked: bool, label: &str) -> Markup {
    html! {
        div class="check" {
            input type="checkbox" id=(id) name=(name) value=(value) checked[checked];
            label for=(id) { (label) }
        }
    }
}

/// An error's sentence in the page's language where the catalogue has one for its code (`error-<code>`), else the
/// English sentence the use case wrote.
pub fn error_message(ctx: &Ctx, err: &ApiError) -> String {
    let key = format!("error-{}", err.code);
    if Lang::En.has(&key) { ctx.t(&key) } else { err.message.clone() }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;
    use crate::domain::Region;
    use crate::domain::alert::Alert;
    use crate::domain::status::Channel;

    const HOSTILE: &str = "<script>alert(1)</script>\"'&";
    const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;'&amp;";

    fn alert() -> Alert {
        serde_json::from_value(serde_json::json!({
            "town": HOSTILE,
            "date": "2025-03-14",
            "time_of_day": "evening",
            "categories": ["physical_assault", "theft"],
            "first_contact": "social_media",
            "offender": {
                "names_used": [HOSTILE, "Gaz"],
                "phones": ["+447700900201"],
                "vehicles": [{"colour": "silver", "make": "Ford", "model": "Focus", "registration": "AB12CDE"}],
                "description": HOSTILE
            },
            "summary": format!("First line.\n{HOSTILE}"),
            "redactions": []
        }))
        .unwrap()
    }

    fn pages_in(lang: Lang) -> Vec<(&'static str, String)> {
        let ctx = Ctx::new(lang);
        let err = crate::error::ApiError::new(StatusCode::BAD_REQUEST, "invalid", HOSTILE).with_field(HOSTILE);
        let field_err = crate::error::ApiError::bad_request("missing_regions", "x").with_field("incident.categories");
        let errors = FieldErrors(vec![("email".into(), HOSTILE.into())]);
        let a = alert();
        let items = [AlertItem { alert_id: "A1", alert: &a }];
        let settings = SettingsValues {
            regions: vec![Region::London],
            channels: vec![Channel::Email],
            available: vec![Channel::Email, Channel::Sms],
            language: lang,
        };
        let join = JoinValues { email: HOSTILE.into(), ..Default::default() };
        vec![
            ("report form", report_form(&ctx, Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()))),
            ("receipt", receipt(&ctx, HOSTILE, HOSTILE)),
            (
                "alert",
                alert_page(
                    &ctx,
                    &alert(),
                    &[Region::YorkshireHumber],
                    AlertLife {
                        reported: Some((3, "2026-03")),
                        corrected: Some(("2026-03-20T10:00:00Z", 2)),
                        ends_at: Some("2026-06-12T10:00:00Z"),
                    },
                ),
            ),
            ("alert withdrawn", alert_gone_page(&ctx, Gone::Withdrawn("2026-03-20T10:00:00Z"))),
            ("alert ended", alert_gone_page(&ctx, Gone::Ended("2026-06-12T10:00:00Z"))),
            ("unsubscribed", unsubscribed(&ctx)),
            ("confirm unsubscribe", confirm_unsubscribe(&ctx, HOSTILE, Some((&[Region::London], &[Channel::Email, Channel::Sms])))),
            ("confirm stop texts", confirm_stop_texts(&ctx, HOSTILE)),
            ("texts stopped", texts_stopped(&ctx)),
            ("error", error_page(&ctx, &err)),
            ("error with a field", error_page(&ctx, &field_err)),
            (
                "report form again",
                report_form_again(&ctx, None, &[("incident.town".into(), HOSTILE.into()), ("account".into(), HOSTILE.into())], &field_err),
            ),
            ("problem", problem_page(&ctx, &err)),
            ("join", join_page(&ctx, &join, &errors)),
            ("verify", verify_page(&ctx, HOSTILE, &[Channel::Sms], &[Channel::Email], &errors)),
            ("verified, waiting for approval", verified_page(&ctx, true)),
            ("verified, active", verified_page(&ctx, false)),
            ("sign in", sign_in_page(&ctx, HOSTILE, "", &errors)),
            ("sign-in code", sign_in_code_page(&ctx, HOSTILE, "", &errors)),
            ("members' alerts", members_page(&ctx, &[Region::London], &items)),
            ("check", check_page(&ctx, "", "", None, &Default::default())),
            ("check, found", check_page(&ctx, HOSTILE, "", Some(CheckResult { alerts: &items }), &Default::default())),
            ("check, none", check_page(&ctx, "", HOSTILE, Some(CheckResult { alerts: &[] }), &Default::default())),
            ("check, a mistake", check_page(&ctx, HOSTILE, HOSTILE, None, &errors)),
            ("settings", settings_page(&ctx, &settings, &errors, true)),
            ("signed out", signed_out_page(&ctx, false)),
            ("left", signed_out_page(&ctx, true)),
        ]
    }

    fn pages() -> Vec<(&'static str, String)> {
        pages_in(Lang::En)
    }

    #[test]
    fn text_from_outside_is_escaped_on_every_page() {
        for (name, page) in pages() {
            assert!(!page.contains(HOSTILE), "{name}: {page}");
            assert!(!page.contains("<script>"), "{name}: an inline script");
        }
        let ctx = Ctx::new(Lang::En);
        let alert = alert_page(&ctx, &alert(), &[Region::YorkshireHumber], AlertLife::default());
        assert!(alert.contains(&format!("<strong>{ESCAPED}</strong>, 14 March 2025 (Evening)")), "{alert}");
        assert!(alert.contains(&format!("<p>First line.<br>{ESCAPED}</p>")), "{alert}");
        assert!(alert.contains("<li>Vehicle: silver Ford Focus AB12 CDE</li>"), "{alert}");
        assert!(alert.contains("<li>Phones: 07700 900201</li>"), "{alert}");
        assert!(alert.contains("Sent to members in: Yorkshire and the Humber."), "{alert}");
        let receipt = receipt(&ctx, "R-7KQF-3MZP-9XWD", "N59D-J626-0XTE-ZFWH-627E");
        assert!(receipt.contains(
            "<p class=\"secret\">R-7KQF-3MZP-9XWD</p><p class=\"label\">Passphrase</p><p class=\"secret\">N59D-J626-0XTE-ZFWH-627E</p>"
        ));
    }

    #[test]
    fn every_page_has_the_layout_and_loads_under_default_src_self() {
        let handler = regex::Regex::new(r"\son\w+=").unwrap();
        let mut titles = std::collections::BTreeSet::new();
        for (name, page) in pages() {
            assert!(page.starts_with("<!DOCTYPE html><html lang=\"en-GB\"><head>"), "{name}");
            assert!(page.contains("<meta name=\"referrer\" content=\"no-referrer\">"), "{name}");
            assert!(page.contains(&format!("<link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">")), "{name}");
            assert!(page.contains(&format!("<script src=\"{EXIT_SCRIPT_PATH}\" defer></script>")), "{name}");
            assert_eq!(page.matches("<script").count(), 1, "{name}: only the quick exit's own file");
            assert!(!page.contains("<style") && !page.contains(" style="), "{name}: inline style");
            assert!(!handler.is_match(&page), "{name}: inline event handler");
            // The one address of another site is where the quick exit leaves for: a link, never a resource.
            let outside = page.replace(&format!("<a id=\"quick-exit\" class=\"exit\" href=\"{EXIT_URL}\""), "");
            assert!(!outside.contains("http://") && !outside.contains("https://"), "{name}: a resource from another origin");
            // The quick exit is the first thing in the body, so the first tab stop; every page has one <main>.
            assert!(page.contains("<body><header><a id=\"quick-exit\""), "{name}");
            assert_eq!(page.matches("<main").count(), 1, "{name}");
            assert_eq!(page.matches("<h1").count(), 1, "{name}: one h1");
            let title = page.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap().to_owned();
            if !["error with a field", "report form again", "check, none", "check, a mistake"].contains(&name) {
                assert!(titles.insert(title.clone()), "{name}: the title {title} is another page's too");
            }
        }
    }

    #[test]
    fn the_form_keeps_its_choices_and_the_publish_box_ticked() {
        let form = report_form(&Ctx::new(Lang::En), None);
        assert!(form.contains("<input type=\"checkbox\" id=\"k1\" name=\"consent.publish_alert\" value=\"yes\" checked>"));
        assert!(form.contains("<input type=\"checkbox\" id=\"k2\" name=\"consent.share_with_police\" value=\"yes\">"));
        assert!(form.contains("<option value=\"escort_agency\">Escort agency</option>"));
        assert!(form.contains("<textarea id=\"account\" name=\"account\" rows=\"10\" required maxlength=\"10000\"></textarea>"));
    }

    #[test]
    fn every_page_is_in_five_languages_and_each_field_has_its_label() {
        let field = regex::Regex::new(r#"<(input|select|textarea)\b([^>]*)>"#).unwrap();
        let id = regex::Regex::new(r#"\sid="([^"]+)""#).unwrap();
        for lang in Lang::ALL {
            for ((name, page), (_, english)) in pages_in(lang).into_iter().zip(pages_in(Lang::En)) {
                assert!(page.contains(&format!("<html lang=\"{}\"", lang.html_lang())), "{name} in {}", lang.code());
                if lang != Lang::En {
                    let h1 = |p: &str| p.split("<h1>").nth(1).map(|t| t.split("</h1>").next().unwrap().to_owned());
                    assert_ne!(h1(&page), h1(&english), "{name} has its own words in {}", lang.code());
                }
                for f in field.captures_iter(&page) {
                    if f[2].contains("type=\"hidden\"") {
                        continue;
                    }
                    let id = id.captures(&f[2]).unwrap_or_else(|| panic!("{name}: a field without an id: {}", &f[0]))[1].to_owned();
                    assert!(page.contains(&format!("<label for=\"{id}\"")), "{name} in {}: no label for {id}", lang.code());
                }
            }
        }
    }

    #[test]
    fn the_form_says_what_is_required_first_and_takes_no_date_after_today() {
        let ctx = Ctx::new(Lang::En);
        let form = report_form(&ctx, Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()));
        let note = form.find("Only four things are needed").expect("the required fields are named");
        assert!(note < form.find("<form").unwrap(), "before the first field");
        assert!(form.contains("type=\"date\" required max=\"2026-11-29\""), "{form}");
        assert!(form.contains(">Non-payment<") && form.contains("<option value=\"sms\">SMS</option>"));
        assert!(!form.contains("Sms") && !form.contains("Non payment"));
        let err = crate::error::ApiError::bad_request("invalid_report", "Tick at least one.").with_field("incident.categories");
        let page = error_page(&ctx, &err);
        assert!(page.contains("<strong>What did he do?</strong>") && !page.contains("incident.categories"), "{page}");
        assert!(page.contains("<a href=\"/\">Start a new report</a>"), "a way back: {page}");
    }

    #[test]
    fn a_checkbox_is_a_44px_target_and_the_passphrase_does_not_break() {
        assert!(STYLE.contains(".check input{width:44px;height:44px"));
        assert!(
            STYLE.contains(".secret{") && STYLE.split(".secret{").nth(1).unwrap().split('}').next().unwrap().contains("white-space:nowrap")
        );
        assert!(STYLE.contains("prefers-color-scheme:dark"), "low light follows the device");
    }

    /// Each page with its stylesheet and script, as a browser loads it: under 50 KB (printed for the record).
    #[test]
    fn every_page_with_its_stylesheet_weighs_under_50_kb() {
        let extra = STYLE.len() + EXIT_SCRIPT.len();
        for lang in [Lang::En, Lang::Pl] {
            for (name, page) in pages_in(lang) {
                let total = page.len() + extra;
                println!(
                    "page weight {:5}: {name:32} {:6} bytes (page {} + stylesheet {} + script {})",
                    lang.code(),
                    total,
                    page.len(),
                    STYLE.len(),
                    EXIT_SCRIPT.len()
                );
                assert!(total < 50 * 1024, "{name} in {} weighs {total} bytes", lang.code());
            }
        }
    }
}
