//! The members' page of one published alert. Its address is the alert's unguessable id, sent only to members.

use maud::html;

use super::layout;
use crate::domain::Region;
use crate::domain::alert::Alert;
use crate::usecases::deliver::{categories, vehicle_line, words};

pub fn alert_page(alert: &Alert, regions: &[Region]) -> String {
    let o = &alert.offender;
    let lists = [("Names used", &o.names_used), ("Phones", &o.phones), ("Emails", &o.emails), ("Online", &o.online_handles)];
    let regions = regions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
    let body = html! {
        h1 { "Safety alert: " (categories(alert)) }
        p {
            strong { (alert.town) } ", " (alert.date_long())
            @if let Some(t) = alert.time_of_day { " (" (t.as_str()) ")" }
        }
        @if let Some(fc) = alert.first_contact {
            p { "First contact: " (words(fc.as_str())) }
        }
        h2 { "About him" }
        ul {
            @for (label, list) in lists {
                @if !list.is_empty() {
                    li { (label) ": " (list.join(", ")) }
                }
            }
            @for v in &o.vehicles {
                li { "Vehicle: " (vehicle_line(v)) }
            }
            @if let Some(d) = &o.description {
                li { "Description: " (d) }
            }
        }
        h2 { "What happened" }
        p {
            @for (i, line) in alert.summary.split('\n').enumerate() {
                @if i > 0 { br; }
                (line)
            }
        }
        p class="hint" { "Sent to members in: " (regions) "." }
        p { "If he has contacted you too, " a href="/" { "report it" } ": every report helps warn others." }
    };
    layout("Safety alert", body).into_string()
}
