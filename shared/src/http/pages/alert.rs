//! The members' page of one published alert. Its address is the alert's unguessable id, sent only to members.
//!
//! The fixed words follow the reader's language; what the report said (the summary, the names, the description)
//! stays as staff published it.

use maud::html;

use super::{Ctx, layout};
use crate::domain::Region;
use crate::domain::alert::Alert;
use crate::messages::{Words, phone_display, vehicle_line};

/// What the page says about the alert beside its content.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertLife<'a> {
    /// How many reports name this offender and the month (`YYYY-MM`) of the first, where there is more than one.
    pub reported: Option<(u32, &'a str)>,
    /// When it was last corrected (RFC 3339), and its version.
    pub corrected: Option<(&'a str, u32)>,
    /// When it leaves the members' list (RFC 3339).
    pub ends_at: Option<&'a str>,
}

/// A day in the language's words, from an RFC 3339 time ("30 November 2026").
fn day_of(w: Words, at: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(at).ok().map(|t| w.day_long(t.date_naive()))
}

pub fn alert_page(ctx: &Ctx, alert: &Alert, regions: &[Region], life: AlertLife<'_>) -> String {
    let reported = life.reported;
    let w = Words(ctx.lang);
    let o = &alert.offender;
    let phones: Vec<String> = o.phones.iter().map(|p| phone_display(p)).collect();
    let lists = [
        ("alert-names", o.names_used.clone()),
        ("alert-phones", phones),
        ("alert-emails", o.emails.clone()),
        ("alert-online", o.online_handles.clone()),
    ];
    let regions = regions.iter().map(|r| w.region(*r)).collect::<Vec<_>>().join(", ");
    let title = ctx.t_args("alert-title", &[("what", &w.categories(alert))]);
    let body = html! {
        h1 { (title) }
        p {
            strong { (alert.town) } ", " (w.date_long(alert))
            @if let Some(t) = alert.time_of_day { " (" (w.time_of_day(t)) ")" }
        }
        @if let Some(fc) = alert.first_contact {
            p { (ctx.t("alert-first-contact")) ": " (w.first_contact(fc)) }
        }
        @if let Some((times, since)) = reported.and_then(|(n, m)| w.month_year(m).map(|m| (n, m))) {
            p class="notice" { strong { (ctx.t_args("alert-reported", &[("times", &times.to_string()), ("since", &since)])) } }
        }
        @if let Some(day) = life.corrected.and_then(|(at, _)| day_of(w, at)) {
            p class="notice" { (ctx.t_args("alert-corrected", &[("date", &day)])) }
        }
        h2 { (ctx.t("alert-about-him")) }
        ul {
            @for (key, list) in &lists {
                @if !list.is_empty() {
                    li { (ctx.t(key)) ": " (list.join(", ")) }
                }
            }
            @for v in &o.vehicles {
                li { (ctx.t("alert-vehicle")) ": " (vehicle_line(v)) }
            }
            @if let Some(d) = &o.description {
                li { (ctx.t("alert-description")) ": " (d) }
            }
        }
        h2 { (ctx.t("alert-what-happened")) }
        p {
            @for (i, line) in alert.summary.split('\n').enumerate() {
                @if i > 0 { br; }
                (line)
            }
        }
        p class="hint" { (ctx.t_args("alert-sent-to", &[("regions", &regions)])) }
        @if let Some(day) = life.ends_at.and_then(|at| day_of(w, at)) {
            p class="hint" { (ctx.t_args("alert-ends", &[("date", &day)])) }
        }
        p { a href=(ctx.href("/")) { (ctx.t("alert-report-it")) } }
    };
    layout(ctx, &title, body).into_string()
}

/// Why an alert's page no longer shows it.
#[derive(Debug, Clone, Copy)]
pub enum Gone<'a> {
    /// Withdrawn by staff on this day (RFC 3339).
    Withdrawn(&'a str),
    /// Past its time (RFC 3339).
    Ended(&'a str),
}

/// The page of an alert that was withdrawn or has ended: says so, and shows nothing of what it said.
pub fn alert_gone_page(ctx: &Ctx, gone: Gone<'_>) -> String {
    let w = Words(ctx.lang);
    let (title, text, at) = match gone {
        Gone::Withdrawn(at) => (ctx.t("alert-withdrawn-title"), "alert-withdrawn-text", at),
        Gone::Ended(at) => (ctx.t("alert-ended-title"), "alert-ended-text", at),
    };
    let day = day_of(w, at).unwrap_or_default();
    let body = html! {
        h1 { (title) }
        p { (ctx.t_args(text, &[("date", &day)])) }
        p { a href=(ctx.href("/")) { (ctx.t("alert-report-it")) } }
    };
    layout(ctx, &title, body).into_string()
}
