//! The HTML pages served without JavaScript: the report form, the receipt that shows the reference and passphrase,
//! and error pages. No scripts, no third-party resources, nothing cached.

use crate::domain::{Category, FirstContact, TimeOfDay};
use crate::error::ApiError;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}\
label{display:block;margin-top:1rem;font-weight:600}input,select,textarea{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}\
fieldset{margin-top:1.5rem;border:1px solid #bbb;padding:1rem}legend{font-weight:700}.check label{display:inline;font-weight:400}\
.check input{width:auto}.hint{color:#555;font-size:.9rem;margin:.2rem 0}button{margin-top:1.5rem;padding:.75rem 1.5rem;font:inherit}\
.secret{font-family:ui-monospace,monospace;font-size:1.4rem;background:#f3f3f3;padding:.5rem 1rem;letter-spacing:.05em}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

fn label_of(word: &str) -> String {
    let s = word.replace('_', " ");
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn options(words: &[&str]) -> String {
    let mut out = String::from("<option value=\"\">Not sure / rather not say</option>");
    for w in words {
        out += &format!("<option value=\"{w}\">{}</option>", label_of(w));
    }
    out
}

/// The plain report form. It posts to `/reports` as a form; the answer is the receipt page.
pub fn report_form() -> String {
    let cats: String = Category::ALL
        .iter()
        .map(|c| format!("<div class=\"check\"><input type=\"checkbox\" id=\"c-{0}\" name=\"incident.categories\" value=\"{0}\"> <label for=\"c-{0}\">{1}</label></div>", c.as_str(), label_of(c.as_str())))
        .collect();
    let times: Vec<&str> = TimeOfDay::ALL.iter().map(|t| t.as_str()).collect();
    let contacts: Vec<&str> = FirstContact::ALL.iter().map(|t| t.as_str()).collect();
    let body = format!(
        r#"<h1>Report a dangerous person</h1>
<p>What you tell us is sealed as soon as it arrives. Staff turn it into an alert that warns other workers about him, and never
identifies you, anyone with you, or where you work. You can stay anonymous: leave the "About you" part blank.</p>
<form method="post" action="/reports" accept-charset="utf-8">
<fieldset><legend>What happened</legend>
<label for="date">Date</label><input id="date" name="incident.date" type="date" required>
<label for="tod">Time of day</label><select id="tod" name="incident.time_of_day">{times}</select>
<label for="town">Town or city</label><input id="town" name="incident.town" required maxlength="80">
<p class="hint">Published in the alert.</p>
<label for="where">Exactly where (private)</label><input id="where" name="incident.location_detail" maxlength="500">
<p class="hint">Only staff see this. It never goes in an alert.</p>
<p><strong>What did he do?</strong> (tick all that apply)</p>{cats}
<label for="first">How did he first contact you?</label><select id="first" name="incident.first_contact">{contacts}</select>
<label for="account">What happened, in your words</label><textarea id="account" name="account" rows="10" required maxlength="10000"></textarea>
</fieldset>
<fieldset><legend>About him</legend>
<label for="names">Names he used (one a line)</label><textarea id="names" name="offender.names_used" rows="2"></textarea>
<label for="phones">His phone numbers (one a line)</label><textarea id="phones" name="offender.phones" rows="2"></textarea>
<label for="emails">His email addresses (one a line)</label><textarea id="emails" name="offender.emails" rows="2"></textarea>
<label for="handles">His online names or profiles (one a line)</label><textarea id="handles" name="offender.online_handles" rows="2"></textarea>
<label for="vmake">Vehicle make</label><input id="vmake" name="offender.vehicle.make" maxlength="40">
<label for="vmodel">Model</label><input id="vmodel" name="offender.vehicle.model" maxlength="40">
<label for="vcolour">Colour</label><input id="vcolour" name="offender.vehicle.colour" maxlength="40">
<label for="vreg">Registration</label><input id="vreg" name="offender.vehicle.registration" maxlength="16">
<label for="desc">What he looks and sounds like</label><textarea id="desc" name="offender.description" rows="4" maxlength="2000"></textarea>
</fieldset>
<fieldset><legend>About you (private, optional)</legend>
<p class="hint">Only a caseworker can see this. Leave it blank to stay anonymous.</p>
<label for="rname">Name</label><input id="rname" name="reporter.name" maxlength="80">
<label for="rwork">Working name</label><input id="rwork" name="reporter.working_name" maxlength="80">
<label for="remail">Email</label><input id="remail" name="reporter.email" type="email" maxlength="254">
<label for="rphone">Phone</label><input id="rphone" name="reporter.phone" type="tel" maxlength="32">
<label for="rpref">How should we contact you?</label><select id="rpref" name="reporter.preferred_contact">{prefs}</select>
<label for="rnotes">Safe times or ways to contact you</label><textarea id="rnotes" name="reporter.contact_notes" rows="2" maxlength="500"></textarea>
<label for="wset">Where you work</label><select id="wset" name="workplace.setting">{settings}</select>
<label for="wname">Venue name (private)</label><input id="wname" name="workplace.venue_name" maxlength="120">
<label for="waddr">Venue address (private)</label><input id="waddr" name="workplace.venue_address" maxlength="300">
</fieldset>
<fieldset><legend>What you agree to</legend>
<div class="check"><input type="checkbox" id="k1" name="consent.publish_alert" value="yes" checked> <label for="k1">Send an alert about him to other workers (it will not identify you)</label></div>
<div class="check"><input type="checkbox" id="k2" name="consent.share_with_police" value="yes"> <label for="k2">Share an anonymised copy with police analysts (no name, no contact details)</label></div>
<div class="check"><input type="checkbox" id="k3" name="consent.caseworker_contact" value="yes"> <label for="k3">A caseworker may contact me</label></div>
</fieldset>
<button type="submit">Send report</button>
</form>"#,
        times = options(&times),
        contacts = options(&contacts),
        prefs = options(&["email", "phone", "sms", "none"]),
        settings = options(&["independent", "parlour", "sauna", "massage", "escort_agency", "club", "street", "online", "other"]),
    );
    page("Report a dangerous person", &body)
}

/// The receipt: shown once, never cached.
pub fn receipt(reference: &str, passphrase: &str) -> String {
    let body = format!(
        "<h1>Thank you. Your report is in.</h1>\
<p>Write these down and keep them somewhere safe. With them you can come back to your report without an account. \
We cannot show the passphrase again, and we cannot recover it.</p>\
<p>Reference</p><p class=\"secret\">{}</p><p>Passphrase</p><p class=\"secret\">{}</p>\
<p>If you are in danger now, call 999.</p>",
        escape(reference),
        escape(passphrase)
    );
    page("Report received", &body)
}

/// The members' page for one published alert. Its address is the alert's unguessable id, sent only to members.
pub fn alert_page(alert: &crate::domain::alert::Alert, regions: &[crate::domain::Region]) -> String {
    use crate::usecases::deliver::{categories, vehicle_line, words};
    let cats = categories(alert);
    let mut body =
        format!("<h1>Safety alert: {}</h1><p><strong>{}</strong>, {}", escape(&cats), escape(&alert.town), alert.date.format("%-d %B %Y"));
    if let Some(t) = alert.time_of_day {
        body += &format!(" ({})", t.as_str());
    }
    body += "</p>";
    if let Some(fc) = alert.first_contact {
        body += &format!("<p>First contact: {}</p>", escape(&words(fc.as_str())));
    }
    let o = &alert.offender;
    body += "<h2>About him</h2><ul>";
    for (label, list) in [("Names used", &o.names_used), ("Phones", &o.phones), ("Emails", &o.emails), ("Online", &o.online_handles)] {
        if !list.is_empty() {
            body += &format!("<li>{label}: {}</li>", escape(&list.join(", ")));
        }
    }
    for v in &o.vehicles {
        body += &format!("<li>Vehicle: {}</li>", escape(&vehicle_line(v)));
    }
    if let Some(d) = &o.description {
        body += &format!("<li>Description: {}</li>", escape(d));
    }
    body += &format!("</ul><h2>What happened</h2><p>{}</p>", escape(&alert.summary).replace('\n', "<br>"));
    let regions = regions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
    body += &format!(
        "<p class=\"hint\">Sent to members in: {}.</p><p>If he has contacted you too, <a href=\"/\">report it</a>: every report helps warn others.</p>",
        escape(&regions)
    );
    page("Safety alert", &body)
}

pub fn unsubscribed() -> String {
    page(
        "Unsubscribed",
        "<h1>You will get no more alerts</h1><p>Your subscription has ended and your contact details will no longer be used. You can subscribe again at any time.</p>",
    )
}

/// The page for a refused form post of the report form.
pub fn error_page(err: &ApiError) -> String {
    let field = err.field.as_deref().map(|f| format!("<p>The field at fault: <code>{}</code></p>", escape(f))).unwrap_or_default();
    let body = format!(
        "<h1>Your report was not sent</h1><p>{}</p>{field}<p>Nothing was saved. Go back, correct it and send it again.</p>",
        escape(&err.message)
    );
    page("Report not sent", &body)
}

/// The page for any other refused request a browser made (an old unsubscribe link, a withdrawn alert).
pub fn problem_page(err: &ApiError) -> String {
    page("Not found", &format!("<h1>That did not work</h1><p>{}</p>", escape(&err.message)))
}
