//! The HTML pages, rendered with maud: the report form, the receipt that shows the reference and passphrase, the
//! members' page of an alert, the unsubscribe answer and the error pages.
//!
//! Every page goes through [`layout`], which gives the head, the stylesheet link and the body frame; later the shared
//! parts every page needs (language, quick exit) go there too. Text spliced into a page is escaped by maud unless it is
//! wrapped in `PreEscaped`, which no page does. No page has a script, an inline style or a third-party resource, so
//! every page loads under a `default-src 'self'` policy; the one stylesheet is [`STYLE`], served as `/style.css`.
//!
//! The static site (`infra/web/`) is written from here too ([`site_files`], `num site`), so the form the cloud serves
//! from S3 and the one `num serve` renders are the same bytes.

mod alert;
mod layout;
mod notices;
mod report;

pub use alert::alert_page;
pub use layout::{ROBOTS, STYLE, STYLESHEET_PATH, layout};
pub use notices::{confirm_stop_texts, confirm_unsubscribe, problem_page, texts_stopped, unsubscribed};
pub use report::{error_page, receipt, report_form};

/// The files of the static site, by name: what `num site --out infra/web` writes and what S3 serves.
pub fn site_files() -> Vec<(&'static str, String)> {
    vec![("index.html", report_form()), ("style.css", STYLE.to_owned()), ("robots.txt", ROBOTS.to_owned())]
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;
    use crate::domain::Region;
    use crate::domain::alert::Alert;

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

    fn pages() -> Vec<(&'static str, String)> {
        let err = crate::error::ApiError::new(StatusCode::BAD_REQUEST, "invalid", HOSTILE).with_field(HOSTILE);
        vec![
            ("report form", report_form()),
            ("receipt", receipt(HOSTILE, HOSTILE)),
            ("alert", alert_page(&alert(), &[Region::YorkshireHumber])),
            ("unsubscribed", unsubscribed()),
            ("confirm unsubscribe", confirm_unsubscribe(HOSTILE)),
            ("confirm stop texts", confirm_stop_texts(HOSTILE)),
            ("texts stopped", texts_stopped()),
            ("error", error_page(&err)),
            ("problem", problem_page(&err)),
        ]
    }

    #[test]
    fn text_from_outside_is_escaped_on_every_page() {
        for (name, page) in pages() {
            assert!(!page.contains(HOSTILE), "{name}: {page}");
            assert!(!page.contains("<script"), "{name}");
        }
        let alert = alert_page(&alert(), &[Region::YorkshireHumber]);
        assert!(alert.contains(&format!("<strong>{ESCAPED}</strong>, 14 March 2025 (evening)")), "{alert}");
        assert!(alert.contains(&format!("<p>First line.<br>{ESCAPED}</p>")), "{alert}");
        assert!(alert.contains("<li>Vehicle: silver Ford Focus AB12CDE</li>"), "{alert}");
        assert!(alert.contains("Sent to members in: yorkshire-humber."), "{alert}");
        let receipt = receipt("R-7KQF-3MZP-9XWD", "N59D-J626-0XTE-ZFWH-627E");
        assert!(
            receipt.contains("<p class=\"secret\">R-7KQF-3MZP-9XWD</p><p>Passphrase</p><p class=\"secret\">N59D-J626-0XTE-ZFWH-627E</p>")
        );
    }

    #[test]
    fn every_page_has_the_layout_and_loads_under_default_src_self() {
        let handler = regex::Regex::new(r"\son\w+=").unwrap();
        for (name, page) in pages() {
            assert!(page.starts_with("<!DOCTYPE html><html lang=\"en-GB\"><head>"), "{name}");
            assert!(page.contains("<meta name=\"referrer\" content=\"no-referrer\">"), "{name}");
            assert!(page.contains(&format!("<link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">")), "{name}");
            assert!(!page.contains("<style") && !page.contains(" style="), "{name}: inline style");
            assert!(!handler.is_match(&page), "{name}: inline event handler");
            assert!(!page.contains("http://") && !page.contains("https://"), "{name}: a resource from another origin");
        }
    }

    #[test]
    fn the_form_keeps_its_choices_and_the_publish_box_ticked() {
        let form = report_form();
        assert!(form.contains("<input type=\"checkbox\" id=\"k1\" name=\"consent.publish_alert\" value=\"yes\" checked>"));
        assert!(form.contains("<input type=\"checkbox\" id=\"k2\" name=\"consent.share_with_police\" value=\"yes\">"));
        assert!(form.contains("<option value=\"escort_agency\">Escort agency</option>"));
        assert!(form.contains("<textarea id=\"account\" name=\"account\" rows=\"10\" required maxlength=\"10000\"></textarea>"));
    }
}
