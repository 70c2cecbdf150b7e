//! The members' page of one published alert. Its address is the alert's unguessable id, sent only to members.
//!
//! The fixed words follow the reader's language; what the report said (the summary, the names, the description)
//! stays as staff published it.

use maud::html;

use super::{Ctx, layout};
use crate::domain::Region;
use crate::domain::alert::Alert;
use crate::messages::{Words, phone_display, vehicle_line};

pub fn alert_page(ctx: &Ctx, alert: &Alert, regions: &[Region]) -> String {
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
        p { a href=(ctx.href("/")) { (ctx.t("alert-report-it")) } }
    };
    layout(ctx, &title, body).into_string()
}
