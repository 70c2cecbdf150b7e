//! The members' pages: join, verify each contact, sign in by a code, the members' area and settings.
//!
//! Every form names its required fields before the first field, shows each error beside its field, and sums the
//! errors up at the top with links to the fields.

use maud::{Markup, html};

use super::{Ctx, check, layout};
use crate::domain::Region;
use crate::domain::alert::Alert;
use crate::domain::status::Channel;
use crate::i18n::Lang;
use crate::messages::Words;

/// One error beside its field: the field's id (for the summary's link) and the sentence.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn of(&self, id: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == id).map(|(_, m)| m.as_str())
    }

    pub(crate) fn summary(&self, ctx: &Ctx) -> Markup {
        html! {
            @if !self.0.is_empty() {
                div class="summary" role="alert" tabindex="-1" id="errors" {
                    h2 { (ctx.t("errors-title")) }
                    ul {
                        @for (id, msg) in &self.0 {
                            li { a href=(format!("#{id}")) { (msg) } }
                        }
                    }
                }
            }
        }
    }

    pub(crate) fn beside(&self, id: &str) -> Markup {
        html! {
            @if let Some(m) = self.of(id) {
                p class="error" id=(format!("{id}-error")) { (m) }
            }
        }
    }
}

/// What the join form holds (again, after a refused post).
#[derive(Debug, Clone, Default)]
pub struct JoinValues {
    pub email: String,
    pub phone: String,
    pub regions: Vec<String>,
    pub channels: Vec<String>,
    pub language: Option<Lang>,
}

pub(crate) fn described(errors: &FieldErrors, id: &str, hint: Option<&str>) -> Option<String> {
    let mut ids: Vec<String> = hint.map(|h| vec![h.to_owned()]).unwrap_or_default();
    if errors.of(id).is_some() {
        ids.push(format!("{id}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// `GET /join`: asks for membership. Posts to `POST /subscriptions` as a form.
pub fn join_page(ctx: &Ctx, v: &JoinValues, errors: &FieldErrors) -> String {
    let lang = v.language.unwrap_or(ctx.lang);
    let title = ctx.t("join-title");
    let body = html! {
        h1 { (title) }
        (errors.summary(ctx))
        p { (ctx.t("join-intro")) }
        p class="notice" { (ctx.t("join-required-note")) }
        form method="post" action=(ctx.href("/subscriptions")) accept-charset="utf-8" novalidate {
            fieldset {
                legend { (ctx.t("join-contacts")) }
                p class="hint" id="contact-hint" { (ctx.t("join-contacts-hint")) }
                label for="email" { (ctx.t("field-email")) }
                (errors.beside("email"))
                input id="email" name="email" type="email" maxlength="254" autocomplete="email" value=(v.email) aria-describedby=[described(errors, "email", Some("contact-hint"))];
                label for="phone" { (ctx.t("field-phone")) }
                p class="hint" id="phone-hint" { (ctx.t("hint-phone")) }
                (errors.beside("phone"))
                input id="phone" name="phone" type="tel" maxlength="32" autocomplete="tel" value=(v.phone) aria-describedby=[described(errors, "phone", Some("phone-hint"))];
            }
            fieldset id="regions" aria-describedby=[described(errors, "regions", None)] {
                legend { (ctx.t("field-regions")) " " span class="req" { (ctx.t("required-one")) } }
                (errors.beside("regions"))
                @for r in Region::ALL {
                    (check(&format!("r-{}", r.as_str()), "regions", r.as_str(), v.regions.iter().any(|x| x == r.as_str()), &Words(ctx.lang).region(*r)))
                }
            }
            fieldset id="channels" aria-describedby=[described(errors, "channels", None)] {
                legend { (ctx.t("field-channels")) " " span class="req" { (ctx.t("required-one")) } }
                (errors.beside("channels"))
                (check("ch-email", "channels", "email", v.channels.iter().any(|c| c == "email"), &ctx.t("channel-email")))
                (check("ch-sms", "channels", "sms", v.channels.iter().any(|c| c == "sms"), &ctx.t("channel-sms")))
            }
            (language_select(ctx, lang))
            button type="submit" { (ctx.t("join-send")) }
        }
        p { (ctx.t("join-vetting-note")) }
    };
    layout(ctx, &title, body).into_string()
}

fn language_select(ctx: &Ctx, chosen: Lang) -> Markup {
    html! {
        label for="language" { (ctx.t("field-language")) }
        select id="language" name="language" {
            @for l in Lang::ALL {
                option value=(l.code()) lang=(l.html_lang()) selected[l == chosen] { (l.native_name()) }
            }
        }
    }
}

fn channel_word(ctx: &Ctx, c: Channel) -> String {
    match c {
        Channel::Email => ctx.t("channel-email"),
        Channel::Sms => ctx.t("channel-sms"),
    }
}

/// `GET /verify?subscription_id=...`: one code field. Each contact gets its own code; `waiting` lists the contacts
/// whose code is still to come in, `done` the ones already verified.
pub fn verify_page(ctx: &Ctx, subscription_id: &str, waiting: &[Channel], done: &[Channel], errors: &FieldErrors) -> String {
    let title = ctx.t("verify-title");
    let body = html! {
        h1 { (title) }
        (errors.summary(ctx))
        @for c in done {
            p class="notice" { (ctx.t_args("verify-done", &[("channel", &channel_word(ctx, *c))])) }
        }
        @if waiting.is_empty() {
            p { (ctx.t("verify-intro")) }
        } @else {
            @for c in waiting {
                p { (ctx.t_args("verify-waiting", &[("channel", &channel_word(ctx, *c))])) }
            }
        }
        form method="post" action=(ctx.href("/subscriptions/verify")) accept-charset="utf-8" novalidate {
            input type="hidden" name="subscription_id" value=(subscription_id);
            label for="code" { (ctx.t("field-code")) " " span class="req" { (ctx.t("required")) } }
            p class="hint" id="code-hint" { (ctx.t("hint-code")) }
            (errors.beside("code"))
            input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required aria-describedby=[described(errors, "code", Some("code-hint"))];
            button type="submit" { (ctx.t("verify-send")) }
        }
        p class="hint" { (ctx.t("verify-no-code")) }
    };
    layout(ctx, &title, body).into_string()
}

/// After the last code: waiting for a person to approve the request, or (where vetting is off) a member at once.
pub fn verified_page(ctx: &Ctx, pending_approval: bool) -> String {
    let (title, text) = if pending_approval {
        (ctx.t("verified-pending-title"), ctx.t("verified-pending-text"))
    } else {
        (ctx.t("verified-active-title"), ctx.t("verified-active-text"))
    };
    let body = html! {
        h1 { (title) }
        p { (text) }
        @if !pending_approval {
            p { a href=(ctx.href("/members/sign-in")) { (ctx.t("nav-sign-in")) } }
        }
    };
    layout(ctx, &title, body).into_string()
}

/// `GET /members/sign-in`: the contact to send a code to.
pub fn sign_in_page(ctx: &Ctx, email: &str, phone: &str, errors: &FieldErrors) -> String {
    let title = ctx.t("sign-in-title");
    let body = html! {
        h1 { (title) }
        (errors.summary(ctx))
        p { (ctx.t("sign-in-intro")) }
        p class="notice" { (ctx.t("sign-in-required-note")) }
        form method="post" action=(ctx.href("/members/sign-in")) accept-charset="utf-8" novalidate {
            label for="email" { (ctx.t("field-email")) }
            (errors.beside("email"))
            input id="email" name="email" type="email" maxlength="254" autocomplete="email" value=(email) aria-describedby=[described(errors, "email", None)];
            label for="phone" { (ctx.t("field-phone")) }
            (errors.beside("phone"))
            input id="phone" name="phone" type="tel" maxlength="32" autocomplete="tel" value=(phone) aria-describedby=[described(errors, "phone", None)];
            button type="submit" { (ctx.t("sign-in-send")) }
        }
        p { a href=(ctx.href("/join")) { (ctx.t("sign-in-not-member")) } }
    };
    layout(ctx, &title, body).into_string()
}

/// The code step of signing in; the contact rides along in hidden fields.
pub fn sign_in_code_page(ctx: &Ctx, email: &str, phone: &str, errors: &FieldErrors) -> String {
    let title = ctx.t("sign-in-code-title");
    let body = html! {
        h1 { (title) }
        (errors.summary(ctx))
        p { (ctx.t("sign-in-code-intro")) }
        form method="post" action=(ctx.href("/members/sign-in/verify")) accept-charset="utf-8" novalidate {
            @if !email.is_empty() { input type="hidden" name="email" value=(email); }
            @if !phone.is_empty() { input type="hidden" name="phone" value=(phone); }
            label for="code" { (ctx.t("field-code")) " " span class="req" { (ctx.t("required")) } }
            p class="hint" id="code-hint" { (ctx.t("hint-code")) }
            (errors.beside("code"))
            input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required aria-describedby=[described(errors, "code", Some("code-hint"))];
            button type="submit" { (ctx.t("sign-in-code-send")) }
        }
        p { a href=(ctx.href("/members/sign-in")) { (ctx.t("sign-in-again")) } }
    };
    layout(ctx, &title, body).into_string()
}

/// One alert in the members' list.
pub struct AlertItem<'a> {
    pub alert_id: &'a str,
    pub alert: &'a Alert,
}

/// `GET /members`: the published alerts for the member's regions, newest first, each linking to its page.
pub fn members_page(ctx: &Ctx, regions: &[Region], alerts: &[AlertItem<'_>]) -> String {
    let w = Words(ctx.lang);
    let title = ctx.t("members-title");
    let regions = regions.iter().map(|r| w.region(*r)).collect::<Vec<_>>().join(", ");
    let body = html! {
        h1 { (title) }
        p { (ctx.t_args("members-regions", &[("regions", &regions)])) }
        @if alerts.is_empty() {
            p class="notice" { (ctx.t("members-none")) }
        } @else {
            ul class="alerts" {
                @for a in alerts {
                    li {
                        a href=(ctx.href(&format!("/alerts/{}", a.alert_id))) {
                            strong { (a.alert.town) } ", " (w.date_long(a.alert)) ": " (w.categories(a.alert))
                        }
                    }
                }
            }
        }
        p { a href=(ctx.href("/members/check")) { (ctx.t("check-link")) } }
        p { a href=(ctx.href("/members/settings")) { (ctx.t("nav-settings")) } }
        (sign_out_form(ctx))
    };
    layout(ctx, &title, body).into_string()
}

/// What the checker found: `None` before a check, else the alerts (perhaps none).
pub struct CheckResult<'a> {
    pub alerts: &'a [AlertItem<'a>],
}

/// `GET /members/check` and its answer: a member checks a phone number or an email address against the published
/// alerts. An empty answer says plainly that it is no promise of safety.
pub fn check_page(ctx: &Ctx, phone: &str, email: &str, result: Option<CheckResult<'_>>, errors: &FieldErrors) -> String {
    let w = Words(ctx.lang);
    let title = ctx.t(if result.is_some() { "check-result-title" } else { "check-title" });
    let body = html! {
        h1 { (title) }
        (errors.summary(ctx))
        @if let Some(r) = &result {
            div class="notice" role="status" {
                @if r.alerts.is_empty() {
                    p { strong { (ctx.t("check-none")) } }
                } @else {
                    p { strong { (ctx.t_args("check-found", &[("count", &r.alerts.len().to_string())])) } }
                    ul class="alerts" {
                        @for a in r.alerts {
                            li {
                                a href=(ctx.href(&format!("/alerts/{}", a.alert_id))) {
                                    strong { (a.alert.town) } ", " (w.date_long(a.alert)) ": " (w.categories(a.alert))
                                }
                            }
                        }
                    }
                }
                p { (ctx.t("check-not-safety")) }
            }
        }
        p { (ctx.t("check-intro")) }
        form method="post" action=(ctx.href("/members/check")) accept-charset="utf-8" novalidate {
            label for="phone" { (ctx.t("check-phone")) }
            (errors.beside("phone"))
            input id="phone" name="phone" type="tel" maxlength="32" autocomplete="off" value=(phone) aria-describedby=[described(errors, "phone", None)];
            label for="email" { (ctx.t("check-email")) }
            (errors.beside("email"))
            input id="email" name="email" type="email" maxlength="254" autocomplete="off" value=(email) aria-describedby=[described(errors, "email", None)];
            button type="submit" { (ctx.t("check-submit")) }
        }
        p class="hint" { (ctx.t("check-private")) }
        p { a href=(ctx.href("/members")) { (ctx.t("nav-members")) } }
    };
    layout(ctx, &title, body).into_string()
}

fn sign_out_form(ctx: &Ctx) -> Markup {
    html! {
        form method="post" action=(ctx.href("/members/sign-out")) {
            button type="submit" class="plain" { (ctx.t("sign-out")) }
        }
    }
}

/// What the settings form holds.
pub struct SettingsValues {
    pub regions: Vec<Region>,
    pub channels: Vec<Channel>,
    /// The channels the member has a verified contact for: only those can be ticked.
    pub available: Vec<Channel>,
    pub language: Lang,
}

/// `GET /members/settings`: regions, channels, language, and leaving.
pub fn settings_page(ctx: &Ctx, v: &SettingsValues, errors: &FieldErrors, saved: bool) -> String {
    let w = Words(ctx.lang);
    let title = ctx.t("settings-title");
    let body = html! {
        h1 { (title) }
        (errors.summary(ctx))
        @if saved {
            p class="notice" role="status" { (ctx.t("settings-saved")) }
        }
        form method="post" action=(ctx.href("/members/settings")) accept-charset="utf-8" novalidate {
            fieldset id="regions" aria-describedby=[described(errors, "regions", None)] {
                legend { (ctx.t("field-regions")) " " span class="req" { (ctx.t("required-one")) } }
                (errors.beside("regions"))
                @for r in Region::ALL {
                    (check(&format!("r-{}", r.as_str()), "regions", r.as_str(), v.regions.contains(r), &w.region(*r)))
                }
            }
            fieldset id="channels" aria-describedby=[described(errors, "channels", None)] {
                legend { (ctx.t("field-channels")) " " span class="req" { (ctx.t("required-one")) } }
                (errors.beside("channels"))
                @for c in &v.available {
                    (check(&format!("ch-{}", c.as_str()), "channels", c.as_str(), v.channels.contains(c), &channel_word(ctx, *c)))
                }
            }
            (language_select(ctx, v.language))
            button type="submit" { (ctx.t("settings-save")) }
        }
        h2 { (ctx.t("leave-title")) }
        p { (ctx.t("leave-text")) }
        form method="post" action=(ctx.href("/members/leave")) {
            button type="submit" class="plain" { (ctx.t("leave-button")) }
        }
        p { a href=(ctx.href("/members")) { (ctx.t("nav-members")) } }
    };
    layout(ctx, &title, body).into_string()
}

/// After signing out or leaving.
pub fn signed_out_page(ctx: &Ctx, left: bool) -> String {
    let title = if left { ctx.t("left-title") } else { ctx.t("signed-out-title") };
    let body = html! {
        h1 { (title) }
        p { (if left { ctx.t("unsubscribed-text") } else { ctx.t("signed-out-text") }) }
    };
    layout(ctx, &title, body).into_string()
}
