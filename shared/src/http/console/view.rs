//! The console's frame and the pieces its pages share. English only: the console is a tool for the scheme's staff,
//! who work in English; the members' and reporters' pages are the ones in five languages.

use maud::{DOCTYPE, Markup, html};

use crate::http::pages::STYLESHEET_PATH;
use crate::staff::{Action, Role, Staff, may};

/// The console's own stylesheet, served at [`CSS_PATH`] after the site's.
pub const CSS: &str = include_str!("console.css");
pub const CSS_PATH: &str = "/staff/console.css";

/// The sections of the console: name, path, and the action that opens it. A role sees the ones it may open.
pub const SECTIONS: [(&str, &str, Action); 5] = [
    ("Review", "/staff/review", Action::ListAlerts),
    ("Cases", "/staff/cases", Action::ListCases),
    ("Members", "/staff/members", Action::ListMembers),
    ("Help desk", "/staff/helpdesk", Action::HelpdeskFind),
    ("Audit", "/staff/audit", Action::ReadAudit),
];

/// The sections a role sees.
pub fn sections(role: Role) -> impl Iterator<Item = (&'static str, &'static str)> {
    SECTIONS.into_iter().filter(move |(_, _, a)| may(role, *a)).map(|(n, p, _)| (n, p))
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Caseworker => "caseworker",
        Role::Reviewer => "reviewer",
        Role::OfficeManager => "office manager",
        Role::Admin => "admin",
    }
}

/// Who is signed in, with the session's CSRF token for the forms of the page.
pub struct Frame<'a> {
    pub staff: Option<&'a Staff>,
    pub csrf: &'a str,
    /// The section the page belongs to (its path), marked in the navigation.
    pub section: &'a str,
}

impl Frame<'_> {
    /// The hidden field every state-changing form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }

    /// A form with one button that posts to `action` (and the CSRF token).
    pub fn button(&self, action: &str, label: &str, class: Option<&str>) -> Markup {
        html! {
            form method="post" action=(action) {
                (self.csrf_field())
                button type="submit" class=[class] { (label) }
            }
        }
    }
}

/// A whole page of the console.
pub fn layout(frame: &Frame<'_>, title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                title { (title) " – Staff console" }
                link rel="stylesheet" href=(STYLESHEET_PATH);
                link rel="stylesheet" href=(CSS_PATH);
            }
            body {
                header {
                    a class="skip" href="#main" { "Skip to the page" }
                    div class="bar" {
                        a class="home" href="/staff/" { "Staff console" }
                        @if let Some(staff) = frame.staff {
                            nav aria-label="Sections" {
                                @for (name, path) in sections(staff.role) {
                                    a href=(path) aria-current=[(frame.section == path).then_some("page")] { (name) }
                                }
                            }
                        }
                    }
                    @if let Some(staff) = frame.staff {
                        p class="who" {
                            "Signed in as " strong { (staff.subject) } " (" (role_name(staff.role)) "). "
                            (frame.button("/staff/sign-out", "Sign out", Some("plain")))
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
                footer {
                    p class="hint" { "The staff console is in English only. It works without JavaScript and keeps nothing in your browser but a session cookie." }
                }
            }
        }
    }
    .into_string()
}

/// How long ago an RFC 3339 time was, in words ("3 h 05 min", "12 min", "2 days 4 h").
pub fn waited(since: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(since) else { return "unknown".into() };
    let mins = (now - t.with_timezone(&chrono::Utc)).num_minutes().max(0);
    match mins {
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h {:02} min", m / 60, m % 60),
        m => format!("{} days {} h", m / 1440, (m % 1440) / 60),
    }
}

/// A time as staff read it: "2026-11-30 01:02 UTC".
pub fn when(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map_or_else(|_| at.to_owned(), |t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string())
}

/// `text` with the character ranges marked (each with its label), for the reviewer's eye.
pub fn highlighted(text: &str, spans: &[(usize, usize, &'static str)]) -> Markup {
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<_> = spans.iter().filter(|(s, e, _)| s < e && *e <= chars.len()).copied().collect();
    spans.sort();
    let mut pieces: Vec<(String, Option<&'static str>)> = Vec::new();
    let mut at = 0;
    for (s, e, label) in spans {
        if s < at {
            continue;
        }
        pieces.push((chars[at..s].iter().collect(), None));
        pieces.push((chars[s..e].iter().collect(), Some(label)));
        at = e;
    }
    pieces.push((chars[at..].iter().collect(), None));
    html! {
        @for (t, label) in pieces {
            @if let Some(l) = label {
                mark title=(l) { (t) } span class="skip" { " (" (l) ")" }
            } @else {
                (t)
            }
        }
    }
}

/// A JSON value as plain words (a list joined by commas, a string as it is).
pub fn words(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) => s.replace('_', " "),
        serde_json::Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        serde_json::Value::Array(a) => a.iter().map(words).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Other reports naming the same offender (the `linked` list of an alert or a case): when each came, where, its alert's
/// state and what they share, each linking to `href(link)`. Says so where there is none.
pub fn linked_reports(linked: &serde_json::Value, href: impl Fn(&serde_json::Value) -> Option<String>) -> Markup {
    let list = linked.as_array().cloned().unwrap_or_default();
    html! {
        h2 id="linked" { "Other reports about him" }
        @if list.is_empty() {
            p { "None: no other report shares his phone, email, handle or registration." }
        } @else {
            p class="hint" { "Found by a shared identifier (compared by keyed hash, never in the clear). Read them before you decide." }
            ul id="linked-reports" {
                @for l in &list {
                    li {
                        @let label = format!("{}, {}", l["town"].as_str().unwrap_or(""), l["incident_date"].as_str().unwrap_or(""));
                        @if let Some(h) = href(l) {
                            a href=(h) { (label) }
                        } @else {
                            (label)
                        }
                        " (received " (when(l["created_at"].as_str().unwrap_or(""))) ", alert " (words(&l["status"])) "): shares his " (words(&l["shared"]))
                    }
                }
            }
        }
    }
}

/// A JSON object as a definition list, one row a field (nested objects inside).
pub fn fields(v: &serde_json::Value) -> Markup {
    html! {
        @if let Some(o) = v.as_object() {
            dl {
                @for (k, v) in o {
                    dt { (k.replace('_', " ")) }
                    dd {
                        @if v.is_object() { (fields(v)) }
                        @else if v.as_array().is_some_and(|a| a.iter().any(|x| x.is_object())) {
                            ul { @for x in v.as_array().into_iter().flatten() { li { (fields(x)) (if x.is_object() { String::new() } else { words(x) }) } } }
                        }
                        @else { (words(v)) }
                    }
                }
            }
        } @else {
            p { (words(v)) }
        }
    }
}

/// An error beside a field, the way the public forms show it.
pub fn field_error(id: &str, message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p class="error" id=(format!("{id}-error")) { (m) }
        }
    }
}

pub fn described(id: &str, message: Option<&str>) -> Option<String> {
    message.map(|_| format!("{id}-error"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_fall_on_characters_and_text_is_escaped() {
        let m = highlighted("Met <b>é someone at a place", &[(9, 16, "withheld name"), (22, 27, "withheld place")]).into_string();
        assert_eq!(
            m,
            "Met &lt;b&gt;é <mark title=\"withheld name\">someone</mark><span class=\"skip\"> (withheld name)</span> at a <mark title=\"withheld place\">place</mark><span class=\"skip\"> (withheld place)</span>"
        );
    }

    #[test]
    fn each_role_sees_only_its_sections() {
        let names = |r| sections(r).map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(names(Role::Reviewer), ["Review"]);
        assert_eq!(names(Role::Caseworker), ["Cases"]);
        assert_eq!(names(Role::OfficeManager), ["Members", "Help desk"]);
        assert_eq!(names(Role::Admin), ["Review", "Cases", "Members", "Help desk", "Audit"]);
    }
}
