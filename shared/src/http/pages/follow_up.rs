//! The reporter's way back: `GET /follow-up` asks for the reference and passphrase; the page a correct pair opens
//! shows the status in plain words, the message thread, a reply form and the consent choices.
//!
//! No cookie is set: each form of the opened page carries the reference and passphrase along in hidden fields, and
//! every answer is `no-store`, so nothing stays behind in the browser's cache or in a cookie jar.

use maud::{Markup, html};

use super::members::{FieldErrors, described};
use super::{Ctx, check, layout};
use crate::usecases::follow_up::{ConsentNow, FollowUpStatus};
use crate::usecases::thread::{Author, Message};

/// What the opened page shows.
pub struct FollowUpView<'a> {
    pub reference: &'a str,
    pub passphrase: &'a str,
    pub status: FollowUpStatus,
    pub messages: &'a [Message],
    pub consent: ConsentNow,
    /// The deadlines of police requests that wait for the reporter's answer (never what police asked).
    pub police_deadlines: &'a [String],
    /// A line saying what was just done (a reply sent, choices saved).
    pub done: Option<String>,
}

/// `GET /follow-up` (and the same form again after a wrong pair).
pub fn follow_up_page(ctx: &Ctx, reference: &str, errors: &FieldErrors) -> String {
    let title = ctx.t("follow-up-title");
    let body = html! {
        h1 { (title) }
        (errors.summary(ctx))
        p { (ctx.t("follow-up-intro")) }
        form method="post" action=(ctx.href("/follow-up")) accept-charset="utf-8" novalidate {
            label for="reference" { (ctx.t("receipt-reference")) " " span class="req" { (ctx.t("required")) } }
            p class="hint" id="reference-hint" { (ctx.t("follow-up-reference-hint")) }
            (errors.beside("reference"))
            input id="reference" name="reference" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="40" required value=(reference) aria-describedby=[described(errors, "reference", Some("reference-hint"))];
            label for="passphrase" { (ctx.t("receipt-passphrase")) " " span class="req" { (ctx.t("required")) } }
            (errors.beside("passphrase"))
            input id="passphrase" name="passphrase" type="password" autocomplete="off" spellcheck="false" maxlength="60" required aria-describedby=[described(errors, "passphrase", None)];
            button type="submit" { (ctx.t("follow-up-open")) }
        }
        p class="notice" { (ctx.t("follow-up-lost")) }
        p { (ctx.t("danger-999")) }
    };
    layout(ctx, &title, body).into_string()
}

fn hidden_pair(v: &FollowUpView<'_>) -> Markup {
    html! {
        input type="hidden" name="reference" value=(v.reference);
        input type="hidden" name="passphrase" value=(v.passphrase);
    }
}

/// The opened follow-up: status, thread, reply, consent.
pub fn follow_up_report(ctx: &Ctx, v: &FollowUpView<'_>, errors: &FieldErrors) -> String {
    let title = ctx.t("follow-up-report-title");
    let status_key = format!("follow-up-status-{}", v.status.as_str().replace('_', "-"));
    let body = html! {
        h1 { (title) }
        (errors.summary(ctx))
        @if let Some(done) = &v.done {
            p class="notice" role="status" { (done) }
        }
        h2 { (ctx.t("follow-up-status")) }
        p id="status" { (ctx.t(&status_key)) }
        h2 { (ctx.t("follow-up-messages")) }
        @if v.messages.is_empty() {
            p id="no-messages" { (ctx.t("follow-up-no-messages")) }
        } @else {
            ol id="messages" class="thread" {
                @for m in v.messages {
                    li {
                        p class="label" {
                            @match m.from {
                                Author::Caseworker => (ctx.t("follow-up-from-caseworker")),
                                Author::Reporter => (ctx.t("follow-up-from-you")),
                            }
                            " · " time datetime=(m.at) { (m.at.get(..16).unwrap_or(&m.at).replace('T', " ")) }
                        }
                        p class="message" { (m.text) }
                    }
                }
            }
        }
        form method="post" action=(ctx.href("/follow-up/messages")) accept-charset="utf-8" novalidate {
            (hidden_pair(v))
            label for="text" { (ctx.t("follow-up-reply")) }
            p class="hint" id="text-hint" { (ctx.t("follow-up-reply-hint")) }
            (errors.beside("text"))
            textarea id="text" name="text" rows="5" maxlength="5000" aria-describedby=[described(errors, "text", Some("text-hint"))] {}
            button type="submit" { (ctx.t("follow-up-send")) }
        }
        h2 { (ctx.t("follow-up-consent")) }
        @for d in v.police_deadlines {
            p class="notice" id="police-request" { (ctx.t("follow-up-police-asks")) " " time datetime=(d) { (d) } }
        }
        form method="post" action=(ctx.href("/follow-up/consent")) accept-charset="utf-8" novalidate {
            (hidden_pair(v))
            input type="hidden" name="consent_form" value="1";
            fieldset id="consent" {
                legend { (ctx.t("follow-up-consent-hint")) }
                (check("consent-publish_alert", "publish_alert", "true", v.consent.publish_alert, &ctx.t("consent-publish")))
                (check("consent-caseworker_contact", "caseworker_contact", "true", v.consent.caseworker_contact, &ctx.t("consent-contact")))
                (check("consent-share_with_police", "share_with_police", "true", v.consent.share_with_police, &ctx.t("consent-police")))
                (check("consent-share_identity_with_police", "share_identity_with_police", "true", v.consent.share_identity_with_police, &ctx.t("consent-police-identity")))
            }
            button type="submit" { (ctx.t("follow-up-consent-save")) }
        }
        p id="consent-exception" class="hint" { (ctx.t("consent-exception")) }
        p { a href=(ctx.href("/follow-up")) { (ctx.t("follow-up-leave")) } }
        p { (ctx.t("danger-999")) }
    };
    layout(ctx, &title, body).into_string()
}
