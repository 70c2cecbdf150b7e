//! The report form, the receipt, and the page of a refused report.
//!
//! The form's field names are the JSON paths of the report (`incident.town`), which `http::form` turns back into the
//! report JSON; its choices are the domain's own lists, so a new category appears here by itself (its words come from
//! the catalogue, `category-<value>`).

use maud::{Markup, html};

use super::{Ctx, check, layout};
use crate::domain::{Category, FirstContact, TimeOfDay};
use crate::error::ApiError;

/// A drop-down of `words` (labelled from the catalogue by `prefix` + word), with a first choice that leaves it blank.
fn select(ctx: &Ctx, id: &str, name: &str, prefix: &str, words: &[&str]) -> Markup {
    html! {
        select id=(id) name=(name) {
            option value="" { (ctx.t("choice-blank")) }
            @for w in words {
                option value=(w) { (ctx.t(&format!("{prefix}{w}"))) }
            }
        }
    }
}

/// A label with "(required)" after it.
fn required(ctx: &Ctx, id: &str, text: String) -> Markup {
    html! { label for=(id) { (text) " " span class="req" { (ctx.t("required")) } } }
}

pub const PREFERRED_CONTACT: &[&str] = &["email", "phone", "sms", "none"];
pub const WORK_SETTINGS: &[&str] = &["independent", "parlour", "sauna", "massage", "escort_agency", "club", "street", "online", "other"];

/// The plain report form. It posts to `/reports` as a form; the answer is the receipt page. `today` is the latest date
/// the date field takes (the static site is written once, so it passes `None` and the server checks the date).
pub fn report_form(ctx: &Ctx, today: Option<chrono::NaiveDate>) -> String {
    let times: Vec<&str> = TimeOfDay::ALL.iter().map(|t| t.as_str()).collect();
    let contacts: Vec<&str> = FirstContact::ALL.iter().map(|t| t.as_str()).collect();
    let max = today.map(|d| d.format("%Y-%m-%d").to_string());
    let body = html! {
        h1 { (ctx.t("report-title")) }
        p { (ctx.t("report-intro")) }
        p class="notice" { (ctx.t("report-required-note")) }
        form method="post" action=(ctx.href("/reports")) accept-charset="utf-8" {
            fieldset {
                legend { (ctx.t("report-what-happened")) }
                (required(ctx, "date", ctx.t("field-incident-date")))
                input id="date" name="incident.date" type="date" required max=[max];
                label for="tod" { (ctx.t("field-incident-time_of_day")) }
                (select(ctx, "tod", "incident.time_of_day", "tod-", &times))
                (required(ctx, "town", ctx.t("field-incident-town")))
                p class="hint" id="town-hint" { (ctx.t("hint-town")) }
                input id="town" name="incident.town" required maxlength="80" aria-describedby="town-hint";
                label for="where" { (ctx.t("field-incident-location_detail")) }
                p class="hint" id="where-hint" { (ctx.t("hint-private")) }
                input id="where" name="incident.location_detail" maxlength="500" aria-describedby="where-hint";
                fieldset {
                    legend { (ctx.t("field-incident-categories")) " " span class="req" { (ctx.t("required-one")) } }
                    @for c in Category::ALL {
                        (check(&format!("c-{}", c.as_str()), "incident.categories", c.as_str(), false, &ctx.t(&format!("category-{}", c.as_str()))))
                    }
                }
                label for="first" { (ctx.t("field-incident-first_contact")) }
                (select(ctx, "first", "incident.first_contact", "first-contact-", &contacts))
                (required(ctx, "account", ctx.t("field-account")))
                textarea id="account" name="account" rows="10" required maxlength="10000" {}
            }
            fieldset {
                legend { (ctx.t("report-about-him")) }
                label for="names" { (ctx.t("field-offender-names_used")) }
                textarea id="names" name="offender.names_used" rows="2" {}
                label for="phones" { (ctx.t("field-offender-phones")) }
                textarea id="phones" name="offender.phones" rows="2" {}
                label for="emails" { (ctx.t("field-offender-emails")) }
                textarea id="emails" name="offender.emails" rows="2" {}
                label for="handles" { (ctx.t("field-offender-online_handles")) }
                textarea id="handles" name="offender.online_handles" rows="2" {}
                label for="vmake" { (ctx.t("field-offender-vehicle-make")) }
                input id="vmake" name="offender.vehicle.make" maxlength="40";
                label for="vmodel" { (ctx.t("field-offender-vehicle-model")) }
                input id="vmodel" name="offender.vehicle.model" maxlength="40";
                label for="vcolour" { (ctx.t("field-offender-vehicle-colour")) }
                input id="vcolour" name="offender.vehicle.colour" maxlength="40";
                label for="vreg" { (ctx.t("field-offender-vehicle-registration")) }
                input id="vreg" name="offender.vehicle.registration" maxlength="16";
                label for="desc" { (ctx.t("field-offender-description")) }
                textarea id="desc" name="offender.description" rows="3" maxlength="2000" {}
            }
            fieldset {
                legend { (ctx.t("report-about-you")) }
                p class="hint" { (ctx.t("hint-about-you")) }
                label for="rname" { (ctx.t("field-reporter-name")) }
                input id="rname" name="reporter.name" maxlength="80" autocomplete="off";
                label for="rwork" { (ctx.t("field-reporter-working_name")) }
                input id="rwork" name="reporter.working_name" maxlength="80" autocomplete="off";
                label for="remail" { (ctx.t("field-reporter-email")) }
                input id="remail" name="reporter.email" type="email" maxlength="254" autocomplete="off";
                label for="rphone" { (ctx.t("field-reporter-phone")) }
                input id="rphone" name="reporter.phone" type="tel" maxlength="32" autocomplete="off";
                label for="rpref" { (ctx.t("field-reporter-preferred_contact")) }
                (select(ctx, "rpref", "reporter.preferred_contact", "contact-", PREFERRED_CONTACT))
                label for="rnotes" { (ctx.t("field-reporter-contact_notes")) }
                textarea id="rnotes" name="reporter.contact_notes" rows="2" maxlength="500" {}
                label for="wset" { (ctx.t("field-workplace-setting")) }
                (select(ctx, "wset", "workplace.setting", "work-", WORK_SETTINGS))
                label for="wname" { (ctx.t("field-workplace-venue_name")) }
                input id="wname" name="workplace.venue_name" maxlength="120" autocomplete="off";
                label for="waddr" { (ctx.t("field-workplace-venue_address")) }
                input id="waddr" name="workplace.venue_address" maxlength="300" autocomplete="off";
            }
            fieldset {
                legend { (ctx.t("report-agree")) }
                (check("k1", "consent.publish_alert", "yes", true, &ctx.t("consent-publish")))
                (check("k2", "consent.share_with_police", "yes", false, &ctx.t("consent-police")))
                (check("k3", "consent.caseworker_contact", "yes", false, &ctx.t("consent-contact")))
            }
            button type="submit" { (ctx.t("report-send")) }
        }
    };
    layout(ctx, &ctx.t("report-title"), body).into_string()
}

/// The receipt: shown once, never cached.
pub fn receipt(ctx: &Ctx, reference: &str, passphrase: &str) -> String {
    let body = html! {
        h1 { (ctx.t("receipt-title")) }
        p { (ctx.t("receipt-keep")) }
        p class="label" { (ctx.t("receipt-reference")) }
        p class="secret" { (reference) }
        p class="label" { (ctx.t("receipt-passphrase")) }
        p class="secret" { (passphrase) }
        p { (ctx.t("danger-999")) }
    };
    layout(ctx, &ctx.t("receipt-title"), body).into_string()
}

/// A field's name as a person reads it: the form's label for it, never the internal path (`incident.categories`).
pub fn field_label(ctx: &Ctx, field: &str) -> Option<String> {
    let key = format!("field-{}", field.replace('.', "-"));
    let key = if key.starts_with("field-offender-vehicles") { "field-offender-vehicle-registration".to_owned() } else { key };
    crate::i18n::Lang::En.has(&key).then(|| ctx.t(&key))
}

/// The page for a refused form post of the report form: what was wrong, with the field named as the form names it,
/// and the way back to the form.
pub fn error_page(ctx: &Ctx, err: &ApiError) -> String {
    let field = err.field.as_deref().and_then(|f| field_label(ctx, f));
    let body = html! {
        div class="summary" role="alert" {
            h1 { (ctx.t("report-not-sent")) }
            @if let Some(f) = &field {
                p { (ctx.t("error-field")) " " strong { (f) } }
            }
            p { (super::error_message(ctx, err)) }
        }
        p { (ctx.t("report-nothing-saved")) }
        p { a href=(ctx.href("/")) { (ctx.t("report-back")) } }
    };
    layout(ctx, &ctx.t("report-not-sent"), body).into_string()
}
