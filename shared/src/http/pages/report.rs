//! The report form, the receipt, and the page of a refused report.
//!
//! The form's field names are the JSON paths of the report (`incident.town`), which `http::form` turns back into the
//! report JSON; its choices are the domain's own lists, so a new category appears here by itself.

use maud::{Markup, html};

use super::layout;
use crate::domain::{Category, FirstContact, TimeOfDay};
use crate::error::ApiError;

/// `escort_agency` as a person reads it: "Escort agency".
fn label_of(word: &str) -> String {
    let s = word.replace('_', " ");
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// A drop-down of `words`, with a first choice that leaves the field blank.
fn select(id: &str, name: &str, words: &[&str]) -> Markup {
    html! {
        select id=(id) name=(name) {
            option value="" { "Not sure / rather not say" }
            @for w in words {
                option value=(w) { (label_of(w)) }
            }
        }
    }
}

/// A tick box with its label after it.
fn check(id: &str, name: &str, value: &str, checked: bool, label: &str) -> Markup {
    html! {
        div class="check" {
            input type="checkbox" id=(id) name=(name) value=(value) checked[checked];
            " "
            label for=(id) { (label) }
        }
    }
}

const PREFERRED_CONTACT: &[&str] = &["email", "phone", "sms", "none"];
const WORK_SETTINGS: &[&str] = &["independent", "parlour", "sauna", "massage", "escort_agency", "club", "street", "online", "other"];

/// The plain report form. It posts to `/reports` as a form; the answer is the receipt page.
pub fn report_form() -> String {
    let times: Vec<&str> = TimeOfDay::ALL.iter().map(|t| t.as_str()).collect();
    let contacts: Vec<&str> = FirstContact::ALL.iter().map(|t| t.as_str()).collect();
    let body = html! {
        h1 { "Report a dangerous person" }
        p {
            "What you tell us is sealed as soon as it arrives. Staff turn it into an alert that warns other workers about \
             him, and never identifies you, anyone with you, or where you work. You can stay anonymous: leave the \
             \"About you\" part blank."
        }
        form method="post" action="/reports" accept-charset="utf-8" {
            fieldset {
                legend { "What happened" }
                label for="date" { "Date" }
                input id="date" name="incident.date" type="date" required;
                label for="tod" { "Time of day" }
                (select("tod", "incident.time_of_day", &times))
                label for="town" { "Town or city" }
                input id="town" name="incident.town" required maxlength="80";
                p class="hint" { "Just the town or city, never an address: it is published in the alert." }
                label for="where" { "Exactly where (private)" }
                input id="where" name="incident.location_detail" maxlength="500";
                p class="hint" { "Only staff see this. It never goes in an alert." }
                p { strong { "What did he do?" } " (tick all that apply)" }
                @for c in Category::ALL {
                    (check(&format!("c-{}", c.as_str()), "incident.categories", c.as_str(), false, &label_of(c.as_str())))
                }
                label for="first" { "How did he first contact you?" }
                (select("first", "incident.first_contact", &contacts))
                label for="account" { "What happened, in your words" }
                textarea id="account" name="account" rows="10" required maxlength="10000" {}
            }
            fieldset {
                legend { "About him" }
                label for="names" { "Names he used (one a line)" }
                textarea id="names" name="offender.names_used" rows="2" {}
                label for="phones" { "His phone numbers (one a line)" }
                textarea id="phones" name="offender.phones" rows="2" {}
                label for="emails" { "His email addresses (one a line)" }
                textarea id="emails" name="offender.emails" rows="2" {}
                label for="handles" { "His online names or profiles (one a line)" }
                textarea id="handles" name="offender.online_handles" rows="2" {}
                label for="vmake" { "Vehicle make" }
                input id="vmake" name="offender.vehicle.make" maxlength="40";
                label for="vmodel" { "Model" }
                input id="vmodel" name="offender.vehicle.model" maxlength="40";
                label for="vcolour" { "Colour" }
                input id="vcolour" name="offender.vehicle.colour" maxlength="40";
                label for="vreg" { "Registration" }
                input id="vreg" name="offender.vehicle.registration" maxlength="16";
                label for="desc" { "What he looks and sounds like" }
                textarea id="desc" name="offender.description" rows="4" maxlength="2000" {}
            }
            fieldset {
                legend { "About you (private, optional)" }
                p class="hint" { "Only a caseworker can see this. Leave it blank to stay anonymous." }
                label for="rname" { "Name" }
                input id="rname" name="reporter.name" maxlength="80";
                label for="rwork" { "Working name" }
                input id="rwork" name="reporter.working_name" maxlength="80";
                label for="remail" { "Email" }
                input id="remail" name="reporter.email" type="email" maxlength="254";
                label for="rphone" { "Phone" }
                input id="rphone" name="reporter.phone" type="tel" maxlength="32";
                label for="rpref" { "How should we contact you?" }
                (select("rpref", "reporter.preferred_contact", PREFERRED_CONTACT))
                label for="rnotes" { "Safe times or ways to contact you" }
                textarea id="rnotes" name="reporter.contact_notes" rows="2" maxlength="500" {}
                label for="wset" { "Where you work" }
                (select("wset", "workplace.setting", WORK_SETTINGS))
                label for="wname" { "Venue name (private)" }
                input id="wname" name="workplace.venue_name" maxlength="120";
                label for="waddr" { "Venue address (private)" }
                input id="waddr" name="workplace.venue_address" maxlength="300";
            }
            fieldset {
                legend { "What you agree to" }
                (check("k1", "consent.publish_alert", "yes", true, "Send an alert about him to other workers (it will not identify you)"))
                (check("k2", "consent.share_with_police", "yes", false, "Share an anonymised copy with police analysts (no name, no contact details)"))
                (check("k3", "consent.caseworker_contact", "yes", false, "A caseworker may contact me"))
            }
            button type="submit" { "Send report" }
        }
    };
    layout("Report a dangerous person", body).into_string()
}

/// The receipt: shown once, never cached.
pub fn receipt(reference: &str, passphrase: &str) -> String {
    let body = html! {
        h1 { "Thank you. Your report is in." }
        p {
            "Write these down and keep them somewhere safe. With them you can come back to your report without an \
             account. We cannot show the passphrase again, and we cannot recover it."
        }
        p { "Reference" }
        p class="secret" { (reference) }
        p { "Passphrase" }
        p class="secret" { (passphrase) }
        p { "If you are in danger now, call 999." }
    };
    layout("Report received", body).into_string()
}

/// The page for a refused form post of the report form.
pub fn error_page(err: &ApiError) -> String {
    let body = html! {
        h1 { "Your report was not sent" }
        p { (err.message) }
        @if let Some(field) = &err.field {
            p { "The field at fault: " code { (field) } }
        }
        p { "Nothing was saved. Go back, correct it and send it again." }
    };
    layout("Report not sent", body).into_string()
}
