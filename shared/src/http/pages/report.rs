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
fn select(ctx: &Ctx, f: &Filled<'_>, id: &str, name: &str, prefix: &str, words: &[&str]) -> Markup {
    let chosen = f.val(name);
    html! {
        (f.beside(id))
        select id=(id) name=(name) aria-describedby=[f.err_ref(id)] {
            option value="" { (ctx.t("choice-blank")) }
            @for w in words {
                option value=(w) selected[chosen == Some(*w)] { (ctx.t(&format!("{prefix}{w}"))) }
            }
        }
    }
}

/// A drop-down of hours (`00:00` …), with a first choice that leaves it blank.
fn hours(ctx: &Ctx, f: &Filled<'_>, id: &str, name: &str, range: std::ops::RangeInclusive<u8>) -> Markup {
    let chosen = f.val(name);
    html! {
        select id=(id) name=(name) {
            option value="" { (ctx.t("choice-blank")) }
            @for h in range {
                option value=(h) selected[chosen == Some(h.to_string().as_str())] { (format!("{h:02}:00")) }
            }
        }
    }
}

/// What a refused form post held, so the form comes back as it was sent, with the error beside its field.
struct Filled<'a> {
    values: Option<&'a [(String, String)]>,
    /// The id of the field at fault, and the sentence.
    error: Option<(&'static str, String)>,
}

impl Filled<'_> {
    fn val(&self, name: &str) -> Option<&str> {
        self.values?.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.values.is_some_and(|vs| vs.iter().any(|(k, v)| k == name && v == value))
    }

    /// A tick box's state: as sent, or its default on a fresh form.
    fn ticked(&self, name: &str, value: &str, default: bool) -> bool {
        if self.values.is_some() { self.has(name, value) } else { default }
    }

    fn beside(&self, id: &str) -> Markup {
        html! {
            @if let Some((eid, msg)) = &self.error {
                @if *eid == id { p class="error" id=(format!("{id}-error")) { (msg) } }
            }
        }
    }

    fn err_ref(&self, id: &str) -> Option<String> {
        self.error.as_ref().filter(|(eid, _)| *eid == id).map(|_| format!("{id}-error"))
    }
}

/// The form's id for a field path of the report (`offender.phones[1]` is the phones box).
fn field_id(path: &str) -> &'static str {
    let path: String = path.split('[').next().unwrap_or(path).to_owned();
    const IDS: &[(&str, &str)] = &[
        ("incident.date", "date"),
        ("incident.time_of_day", "tod"),
        ("incident.town", "town"),
        ("incident.location_detail", "where"),
        ("incident.categories", "categories"),
        ("incident.first_contact", "first"),
        ("account", "account"),
        ("offender.names_used", "names"),
        ("offender.phones", "phones"),
        ("offender.emails", "emails"),
        ("offender.online_handles", "handles"),
        ("offender.vehicle.make", "vmake"),
        ("offender.vehicle.model", "vmodel"),
        ("offender.vehicle.colour", "vcolour"),
        ("offender.vehicle", "vreg"),
        ("offender.description", "desc"),
        ("reporter.name", "rname"),
        ("reporter.working_name", "rwork"),
        ("reporter.email", "remail"),
        ("reporter.phone", "rphone"),
        ("reporter.preferred_contact", "rpref"),
        ("reporter.contact_notes", "rnotes"),
        ("reporter.safe_contact.channel", "schannel"),
        ("reporter.safe_contact.safe_word", "sword"),
        ("reporter.safe_contact", "safe"),
        ("reporter.on_behalf", "rproject"),
        ("workplace.setting", "wset"),
        ("workplace.venue_name", "wname"),
        ("workplace.venue_address", "waddr"),
    ];
    IDS.iter().find(|(p, _)| path == *p || path.starts_with(&format!("{p}."))).map_or("errors", |(_, id)| id)
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
    render(ctx, today, &Filled { values: None, error: None })
}

/// The form again after a refused post: what was sent, the error summed up at the top and beside its field.
pub fn report_form_again(ctx: &Ctx, today: Option<chrono::NaiveDate>, values: &[(String, String)], err: &ApiError) -> String {
    let id = err.field.as_deref().map_or("errors", field_id);
    let message = super::error_message(ctx, err);
    render(ctx, today, &Filled { values: Some(values), error: Some((id, message)) })
}

fn render(ctx: &Ctx, today: Option<chrono::NaiveDate>, f: &Filled<'_>) -> String {
    let times: Vec<&str> = TimeOfDay::ALL.iter().map(|t| t.as_str()).collect();
    let contacts: Vec<&str> = FirstContact::ALL.iter().map(|t| t.as_str()).collect();
    let max = today.map(|d| d.format("%Y-%m-%d").to_string());
    let v = |name: &str| f.val(name).unwrap_or("").to_owned();
    let body = html! {
        h1 { (ctx.t("report-title")) }
        @if let Some((id, msg)) = &f.error {
            div class="summary" role="alert" id="errors" {
                h2 { (ctx.t("report-not-sent")) }
                ul { li { a href=(format!("#{id}")) { (msg) } } }
                p { (ctx.t("report-nothing-saved-here")) }
            }
        }
        p { (ctx.t("report-intro")) }
        p class="notice" { (ctx.t("report-required-note")) }
        form method="post" action=(ctx.href("/reports")) accept-charset="utf-8" {
            fieldset {
                legend { (ctx.t("report-what-happened")) }
                (required(ctx, "date", ctx.t("field-incident-date")))
                (f.beside("date"))
                input id="date" name="incident.date" type="date" required max=[max] value=(v("incident.date")) aria-describedby=[f.err_ref("date")];
                label for="tod" { (ctx.t("field-incident-time_of_day")) }
                (select(ctx, f, "tod", "incident.time_of_day", "tod-", &times))
                (required(ctx, "town", ctx.t("field-incident-town")))
                p class="hint" id="town-hint" { (ctx.t("hint-town")) }
                (f.beside("town"))
                input id="town" name="incident.town" required maxlength="80" value=(v("incident.town")) aria-describedby=(f.err_ref("town").map_or("town-hint".to_owned(), |e| format!("town-hint {e}")));
                label for="where" { (ctx.t("field-incident-location_detail")) }
                p class="hint" id="where-hint" { (ctx.t("hint-private")) }
                (f.beside("where"))
                input id="where" name="incident.location_detail" maxlength="500" value=(v("incident.location_detail")) aria-describedby="where-hint";
                fieldset id="categories" aria-describedby=[f.err_ref("categories")] {
                    legend { (ctx.t("field-incident-categories")) " " span class="req" { (ctx.t("required-one")) } }
                    (f.beside("categories"))
                    @for c in Category::ALL {
                        (check(&format!("c-{}", c.as_str()), "incident.categories", c.as_str(), f.has("incident.categories", c.as_str()), &ctx.t(&format!("category-{}", c.as_str()))))
                    }
                }
                label for="first" { (ctx.t("field-incident-first_contact")) }
                (select(ctx, f, "first", "incident.first_contact", "first-contact-", &contacts))
                (required(ctx, "account", ctx.t("field-account")))
                (f.beside("account"))
                textarea id="account" name="account" rows="10" required maxlength="10000" aria-describedby=[f.err_ref("account")] { (v("account")) }
            }
            fieldset {
                legend { (ctx.t("report-about-him")) }
                label for="names" { (ctx.t("field-offender-names_used")) }
                (f.beside("names"))
                textarea id="names" name="offender.names_used" rows="2" aria-describedby=[f.err_ref("names")] { (v("offender.names_used")) }
                label for="phones" { (ctx.t("field-offender-phones")) }
                (f.beside("phones"))
                textarea id="phones" name="offender.phones" rows="2" aria-describedby=[f.err_ref("phones")] { (v("offender.phones")) }
                label for="emails" { (ctx.t("field-offender-emails")) }
                (f.beside("emails"))
                textarea id="emails" name="offender.emails" rows="2" aria-describedby=[f.err_ref("emails")] { (v("offender.emails")) }
                label for="handles" { (ctx.t("field-offender-online_handles")) }
                (f.beside("handles"))
                textarea id="handles" name="offender.online_handles" rows="2" aria-describedby=[f.err_ref("handles")] { (v("offender.online_handles")) }
                label for="vmake" { (ctx.t("field-offender-vehicle-make")) }
                (f.beside("vmake"))
                input id="vmake" name="offender.vehicle.make" maxlength="40" value=(v("offender.vehicle.make")) aria-describedby=[f.err_ref("vmake")];
                label for="vmodel" { (ctx.t("field-offender-vehicle-model")) }
                (f.beside("vmodel"))
                input id="vmodel" name="offender.vehicle.model" maxlength="40" value=(v("offender.vehicle.model")) aria-describedby=[f.err_ref("vmodel")];
                label for="vcolour" { (ctx.t("field-offender-vehicle-colour")) }
                (f.beside("vcolour"))
                input id="vcolour" name="offender.vehicle.colour" maxlength="40" value=(v("offender.vehicle.colour")) aria-describedby=[f.err_ref("vcolour")];
                label for="vreg" { (ctx.t("field-offender-vehicle-registration")) }
                (f.beside("vreg"))
                input id="vreg" name="offender.vehicle.registration" maxlength="16" value=(v("offender.vehicle.registration")) aria-describedby=[f.err_ref("vreg")];
                label for="desc" { (ctx.t("field-offender-description")) }
                (f.beside("desc"))
                textarea id="desc" name="offender.description" rows="3" maxlength="2000" aria-describedby=[f.err_ref("desc")] { (v("offender.description")) }
            }
            fieldset {
                legend { (ctx.t("report-about-you")) }
                p class="hint" { (ctx.t("hint-about-you")) }
                label for="rname" { (ctx.t("field-reporter-name")) }
                (f.beside("rname"))
                input id="rname" name="reporter.name" maxlength="80" autocomplete="off" value=(v("reporter.name")) aria-describedby=[f.err_ref("rname")];
                label for="rwork" { (ctx.t("field-reporter-working_name")) }
                (f.beside("rwork"))
                input id="rwork" name="reporter.working_name" maxlength="80" autocomplete="off" value=(v("reporter.working_name")) aria-describedby=[f.err_ref("rwork")];
                label for="remail" { (ctx.t("field-reporter-email")) }
                (f.beside("remail"))
                input id="remail" name="reporter.email" type="email" maxlength="254" autocomplete="off" value=(v("reporter.email")) aria-describedby=[f.err_ref("remail")];
                label for="rphone" { (ctx.t("field-reporter-phone")) }
                (f.beside("rphone"))
                input id="rphone" name="reporter.phone" type="tel" maxlength="32" autocomplete="off" value=(v("reporter.phone")) aria-describedby=[f.err_ref("rphone")];
                label for="rpref" { (ctx.t("field-reporter-preferred_contact")) }
                (select(ctx, f, "rpref", "reporter.preferred_contact", "contact-", PREFERRED_CONTACT))
                fieldset id="safe" {
                    legend { (ctx.t("field-reporter-safe_contact")) }
                    p class="hint" { (ctx.t("hint-safe-contact")) }
                    label for="schannel" { (ctx.t("field-reporter-safe_contact-channel")) }
                    (select(ctx, f, "schannel", "reporter.safe_contact.channel", "contact-", PREFERRED_CONTACT))
                    @for d in crate::domain::report::WEEKDAYS {
                        (check(&format!("sday-{d}"), "reporter.safe_contact.days", d, f.has("reporter.safe_contact.days", d), &ctx.t(&format!("weekday-{d}"))))
                    }
                    label for="sfrom" { (ctx.t("field-reporter-safe_contact-from_hour")) }
                    (hours(ctx, f, "sfrom", "reporter.safe_contact.from_hour", 0..=23))
                    label for="sto" { (ctx.t("field-reporter-safe_contact-to_hour")) }
                    (hours(ctx, f, "sto", "reporter.safe_contact.to_hour", 1..=24))
                    (check("smsg", "reporter.safe_contact.may_leave_message", "yes", f.has("reporter.safe_contact.may_leave_message", "yes"), &ctx.t("field-reporter-safe_contact-may_leave_message")))
                    label for="sword" { (ctx.t("field-reporter-safe_contact-safe_word")) }
                    (f.beside("sword"))
                    input id="sword" name="reporter.safe_contact.safe_word" maxlength="80" autocomplete="off" value=(v("reporter.safe_contact.safe_word")) aria-describedby=[f.err_ref("sword")];
                }
                label for="rproject" { (ctx.t("field-reporter-on_behalf-project")) }
                p class="hint" id="rproject-hint" { (ctx.t("hint-on-behalf")) }
                (f.beside("rproject"))
                input id="rproject" name="reporter.on_behalf.project" maxlength="120" autocomplete="off" value=(v("reporter.on_behalf.project")) aria-describedby=[f.err_ref("rproject")];
                label for="rnotes" { (ctx.t("field-reporter-contact_notes")) }
                (f.beside("rnotes"))
                textarea id="rnotes" name="reporter.contact_notes" rows="2" maxlength="500" aria-describedby=[f.err_ref("rnotes")] { (v("reporter.contact_notes")) }
                label for="wset" { (ctx.t("field-workplace-setting")) }
                (select(ctx, f, "wset", "workplace.setting", "work-", WORK_SETTINGS))
                label for="wname" { (ctx.t("field-workplace-venue_name")) }
                (f.beside("wname"))
                input id="wname" name="workplace.venue_name" maxlength="120" autocomplete="off" value=(v("workplace.venue_name")) aria-describedby=[f.err_ref("wname")];
                label for="waddr" { (ctx.t("field-workplace-venue_address")) }
                (f.beside("waddr"))
                input id="waddr" name="workplace.venue_address" maxlength="300" autocomplete="off" value=(v("workplace.venue_address")) aria-describedby=[f.err_ref("waddr")];
            }
            fieldset {
                legend { (ctx.t("report-agree")) }
                (check("k1", "consent.publish_alert", "yes", f.ticked("consent.publish_alert", "yes", true), &ctx.t("consent-publish")))
                (check("k2", "consent.share_with_police", "yes", f.ticked("consent.share_with_police", "yes", false), &ctx.t("consent-police")))
                (check("k3", "consent.caseworker_contact", "yes", f.ticked("consent.caseworker_contact", "yes", false), &ctx.t("consent-contact")))
            }
            p id="consent-exception" class="notice" { (ctx.t("consent-exception")) }
            button type="submit" { (ctx.t("report-send")) }
        }
    };
    let title = if f.error.is_some() { format!("{}: {}", ctx.t("report-not-sent"), ctx.t("report-title")) } else { ctx.t("report-title") };
    layout(ctx, &title, body).into_string()
}

/// The receipt: shown once, never cached.
pub fn receipt(ctx: &Ctx, reference: &str, passphrase: &str) -> String {
    let body = html! {
        div class="receipt" {
            h1 { (ctx.t("receipt-title")) }
            p { (ctx.t("receipt-keep")) }
            p class="label" { (ctx.t("receipt-reference")) }
            p class="secret" { (reference) }
            p class="label" { (ctx.t("receipt-passphrase")) }
            p class="secret" { (passphrase) }
            p class="notice" id="lost" { strong { (ctx.t("receipt-lost")) } }
            p { (ctx.t("receipt-come-back")) " " a href=(ctx.href("/follow-up")) { (ctx.t("receipt-follow-up-link")) } }
            p class="no-print" id="print-hint" { (ctx.t("receipt-print")) }
            p { (ctx.t("danger-999")) }
        }
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
