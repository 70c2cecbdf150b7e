//! `POST /reports` against the contract: what is accepted, what is refused and why, and that a refusal stores nothing.

use num_tests::{TestApp, sample_report, spawn_app};
use serde_json::{Value, json};

async fn stored_rows(app: &TestApp) -> usize {
    app.raw_rows().await.len()
}

#[tokio::test]
async fn a_valid_report_is_stored_and_answered_with_a_reference_and_a_passphrase() {
    let app = spawn_app();
    let res = app.post_json("/reports", &sample_report()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    assert_eq!(body["status"], "received");
    let reference = body["reference"].as_str().unwrap();
    assert!(reference.starts_with("R-") && reference.len() == 16, "{reference}");
    let passphrase = body["passphrase"].as_str().unwrap();
    assert_eq!(passphrase.len(), 24, "five groups of four base32 characters: 100 bits");
    assert_eq!(res.headers["cache-control"], "no-store");
    assert!(stored_rows(&app).await >= 1);
}

/// Posts the `report` of every labelled case in `dir`; returns how many there were.
async fn post_every_case_in(app: &TestApp, dir: &std::path::Path) -> usize {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in &files {
        let case: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let res = app.post_json("/reports", &case["report"]).await;
        assert_eq!(res.status, 201, "{}: {}", path.display(), res.text());
    }
    files.len()
}

/// The repository's own cases always; the house's example reports too, where the house folder sits beside the
/// repository.
#[tokio::test]
async fn every_sample_report_is_accepted() {
    let app = spawn_app();
    let n = post_every_case_in(&app, &num_tests::corpus::own_cases()).await;
    assert!(n >= 27, "read {n} labelled cases");
    if let Some(dir) = num_tests::corpus::house_examples() {
        let n = post_every_case_in(&app, &dir).await;
        assert!(n >= 14, "read {n} samples");
    }
}

#[tokio::test]
async fn the_passphrase_is_stored_only_as_an_argon2id_hash() {
    let app = spawn_app();
    let res = app.post_json("/reports", &sample_report()).await;
    let passphrase = res.json()["passphrase"].as_str().unwrap().to_owned();
    let rows = app.raw_rows().await.join("\n");
    assert!(!rows.contains(&passphrase));
    assert!(!rows.contains(&passphrase.replace('-', "")));
    assert!(rows.contains("$argon2id$"));
}

/// Sets the value at a dotted path (`a.b[0].c`); `None` removes it.
fn with(mut report: Value, path: &str, value: Option<Value>) -> Value {
    let parts: Vec<&str> = path.split('.').collect();
    let mut node = &mut report;
    for (i, part) in parts.iter().enumerate() {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.trim_end_matches(']').parse::<usize>().unwrap())),
            None => (*part, None),
        };
        let last = i == parts.len() - 1;
        if last && index.is_none() {
            match &value {
                Some(v) => {
                    node.as_object_mut().unwrap().insert(name.to_owned(), v.clone());
                }
                None => {
                    node.as_object_mut().unwrap().remove(name);
                }
            }
            return report;
        }
        node = node.as_object_mut().unwrap().entry(name.to_owned()).or_insert(json!({}));
        if let Some(ix) = index {
            if last {
                node.as_array_mut().unwrap()[ix] = value.clone().unwrap();
                return report;
            }
            node = &mut node.as_array_mut().unwrap()[ix];
        }
    }
    report
}

fn s(n: usize) -> Value {
    Value::String("x".repeat(n))
}

fn many(n: usize, each: Value) -> Value {
    Value::Array(vec![each; n])
}

/// Every rule of report.schema.json: the path to break, what to put there (`None` removes it), and the field the
/// error must name.
fn broken_reports() -> Vec<(&'static str, Option<Value>, &'static str)> {
    vec![
        ("incident", None, "incident"),
        ("offender", None, "offender"),
        ("account", None, "account"),
        ("consent", None, "consent"),
        ("surprise", Some(json!(1)), "surprise"),
        ("incident.date", None, "incident.date"),
        ("incident.town", None, "incident.town"),
        ("incident.categories", None, "incident.categories"),
        ("incident.weather", Some(json!("rain")), "incident.weather"),
        ("incident.date", Some(json!("14/03/2025")), "incident.date"),
        ("incident.date", Some(json!("2025-02-30")), "incident.date"),
        ("incident.date", Some(json!("2999-01-01")), "incident.date"),
        ("incident.date", Some(json!(20250314)), "incident.date"),
        ("incident.time_of_day", Some(json!("dusk")), "incident.time_of_day"),
        ("incident.town", Some(json!("")), "incident.town"),
        ("incident.town", Some(s(81)), "incident.town"),
        ("incident.location_detail", Some(s(501)), "incident.location_detail"),
        ("incident.categories", Some(json!([])), "incident.categories"),
        ("incident.categories", Some(json!(["theft", "theft"])), "incident.categories[1]"),
        ("incident.categories", Some(json!(["burglary"])), "incident.categories[0]"),
        ("incident.categories", Some(json!("theft")), "incident.categories"),
        ("incident.first_contact", Some(json!("carrier pigeon")), "incident.first_contact"),
        ("offender.alias", Some(json!("x")), "offender.alias"),
        ("offender.names_used", Some(many(11, json!("Gaz"))), "offender.names_used"),
        ("offender.names_used", Some(json!([""])), "offender.names_used[0]"),
        ("offender.names_used", Some(json!([s(81)])), "offender.names_used[0]"),
        ("offender.phones", Some(many(11, json!("07700 900201"))), "offender.phones"),
        ("offender.phones", Some(json!(["07"])), "offender.phones[0]"),
        ("offender.phones", Some(json!([s(33)])), "offender.phones[0]"),
        ("offender.emails", Some(many(11, json!("a@example.net"))), "offender.emails"),
        ("offender.emails", Some(json!(["ab"])), "offender.emails[0]"),
        ("offender.emails", Some(json!([s(255)])), "offender.emails[0]"),
        ("offender.online_handles", Some(many(11, json!("@x"))), "offender.online_handles"),
        ("offender.online_handles", Some(json!([""])), "offender.online_handles[0]"),
        ("offender.online_handles", Some(json!([s(81)])), "offender.online_handles[0]"),
        ("offender.vehicles", Some(many(6, json!({"make": "Ford"}))), "offender.vehicles"),
        ("offender.vehicles", Some(json!([{"wheels": 4}])), "offender.vehicles[0].wheels"),
        ("offender.vehicles", Some(json!([{"make": s(41)}])), "offender.vehicles[0].make"),
        ("offender.vehicles", Some(json!([{"model": s(41)}])), "offender.vehicles[0].model"),
        ("offender.vehicles", Some(json!([{"colour": s(41)}])), "offender.vehicles[0].colour"),
        ("offender.vehicles", Some(json!([{"registration": s(17)}])), "offender.vehicles[0].registration"),
        ("offender.description", Some(s(2001)), "offender.description"),
        ("account", Some(json!("")), "account"),
        ("account", Some(s(10_001)), "account"),
        ("reporter.age", Some(json!(30)), "reporter.age"),
        ("reporter.name", Some(s(81)), "reporter.name"),
        ("reporter.working_name", Some(s(81)), "reporter.working_name"),
        ("reporter.email", Some(s(255)), "reporter.email"),
        ("reporter.phone", Some(s(33)), "reporter.phone"),
        ("reporter.online_handles", Some(many(11, json!("@me"))), "reporter.online_handles"),
        ("reporter.online_handles", Some(json!([s(81)])), "reporter.online_handles[0]"),
        ("reporter.preferred_contact", Some(json!("pigeon")), "reporter.preferred_contact"),
        ("reporter.contact_notes", Some(s(501)), "reporter.contact_notes"),
        ("workplace.floor", Some(json!(2)), "workplace.floor"),
        ("workplace.setting", Some(json!("castle")), "workplace.setting"),
        ("workplace.venue_name", Some(s(121)), "workplace.venue_name"),
        ("workplace.venue_address", Some(s(301)), "workplace.venue_address"),
        ("consent.publish_alert", None, "consent.publish_alert"),
        ("consent.share_with_police", None, "consent.share_with_police"),
        ("consent.caseworker_contact", None, "consent.caseworker_contact"),
        ("consent.publish_alert", Some(json!("yes")), "consent.publish_alert"),
        ("consent.newsletter", Some(json!(true)), "consent.newsletter"),
    ]
}

#[tokio::test]
async fn each_broken_schema_rule_is_refused_with_400_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app();
    let before = stored_rows(&app).await;
    let cases = broken_reports();
    for (path, value, field) in &cases {
        let report = with(sample_report(), path, value.clone());
        let res = app.post_json("/reports", &report).await;
        assert_eq!(res.status, 400, "{path} = {value:?}: {}", res.text());
        let err = &res.json()["error"];
        assert_eq!(err["field"], *field, "{path} = {value:?}: {err}");
        assert!(err["code"].as_str().is_some_and(|c| !c.is_empty()));
        let message = err["message"].as_str().unwrap();
        assert!(message.len() > 10 && message.ends_with('.'), "a sentence a person can act on: {message}");
        assert_eq!(stored_rows(&app).await, before, "{path}: a refused report changed the store");
    }
    assert!(cases.len() >= 60);
}

#[tokio::test]
async fn the_longest_values_the_schema_allows_are_accepted() {
    let app = spawn_app();
    let mut r = sample_report();
    for (path, n) in [
        ("incident.town", 80),
        ("incident.location_detail", 500),
        ("account", 10_000),
        ("reporter.name", 80),
        ("workplace.venue_address", 300),
    ] {
        r = with(r, path, Some(s(n)));
    }
    r = with(r, "offender.names_used", Some(many(10, json!("Gaz"))));
    r = with(r, "offender.vehicles", Some(many(5, json!({"registration": "YD19KQT"}))));
    let res = app.post_json("/reports", &r).await;
    assert_eq!(res.status, 201, "{}", res.text());
}

#[tokio::test]
async fn lengths_count_characters_not_bytes() {
    let app = spawn_app();
    let r = with(sample_report(), "incident.town", Some(Value::String("é".repeat(80))));
    assert_eq!(app.post_json("/reports", &r).await.status, 201);
}

#[tokio::test]
async fn an_anonymous_report_without_reporter_or_workplace_is_accepted() {
    let app = spawn_app();
    let r = with(with(sample_report(), "reporter", None), "workplace", None);
    assert_eq!(app.post_json("/reports", &r).await.status, 201);
}

#[tokio::test]
async fn malformed_json_is_refused_with_400_and_nothing_is_stored() {
    let app = spawn_app();
    for body in ["{", "[]", "null", "\"report\"", "{\"incident\": }"] {
        let res = app.post("/reports", "application/json", body.to_owned()).await;
        assert_eq!(res.status, 400, "{body}");
        assert!(res.json()["error"]["code"].is_string());
    }
    assert_eq!(stored_rows(&app).await, 0);
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413_and_nothing_is_stored() {
    let app = spawn_app();
    let mut r = sample_report();
    r["account"] = Value::String("x".repeat(70 * 1024));
    let res = app.post_json("/reports", &r).await;
    assert_eq!(res.status, 413);
    assert_eq!(res.json()["error"]["code"], "body_too_large");
    assert_eq!(stored_rows(&app).await, 0);
}

#[tokio::test]
async fn another_content_type_is_refused_with_415_and_nothing_is_stored() {
    let app = spawn_app();
    let body = serde_json::to_vec(&sample_report()).unwrap();
    for ct in ["text/plain", "application/xml", "multipart/form-data; boundary=x"] {
        let res = app.post("/reports", ct, body.clone()).await;
        assert_eq!(res.status, 415, "{ct}");
        assert_eq!(res.json()["error"]["code"], "unsupported_media_type");
    }
    let req = http::Request::post("/reports").body(axum::body::Body::from(body)).unwrap();
    assert_eq!(app.request(req).await.status, 415, "no content type at all");
    assert_eq!(stored_rows(&app).await, 0);
}

#[tokio::test]
async fn json_with_a_charset_is_accepted() {
    let app = spawn_app();
    let res = app.post("/reports", "application/json; charset=utf-8", serde_json::to_vec(&sample_report()).unwrap()).await;
    assert_eq!(res.status, 201);
}

#[tokio::test]
async fn a_plain_form_post_without_javascript_answers_a_page_with_the_reference_and_passphrase() {
    let app = spawn_app();
    let form = "incident.date=2025-03-14&incident.town=Leeds&incident.categories=theft&incident.categories=threats\
&account=He+took+%C2%A380+and+left.&offender.names_used=Gaz%0D%0AGary&offender.vehicle.registration=YD19+KQT\
&reporter.name=&consent.publish_alert=yes";
    let res = app.post("/reports", "application/x-www-form-urlencoded", form.to_owned()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert!(res.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = res.text();
    assert!(page.contains("R-"), "the page shows the reference");
    let secret = page.split("class=\"secret\">").nth(2).and_then(|s| s.split('<').next()).unwrap();
    assert_eq!(secret.len(), 24, "the page shows the passphrase");
}

#[tokio::test]
async fn a_broken_form_post_answers_a_page_that_names_the_field() {
    let app = spawn_app();
    let res = app
        .post("/reports", "application/x-www-form-urlencoded", "incident.date=2025-03-14&incident.town=Leeds&account=x".to_owned())
        .await;
    assert_eq!(res.status, 400);
    // The form comes back as it was sent, the error summed up at the top (linking to the field) and beside the field,
    // never naming the internal path.
    let page = res.text();
    assert!(page.contains("<a href=\"#categories\">"), "{page}");
    assert!(page.contains("<fieldset id=\"categories\" aria-describedby=\"categories-error\">"), "{page}");
    assert!(page.contains("id=\"categories-error\""), "{page}");
    assert!(page.contains("value=\"Leeds\""), "what was typed stays: {page}");
    assert!(!page.replace("name=\"incident.categories\"", "").contains("incident.categories"), "{page}");
    // In the page's language.
    let res = app
        .post("/reports?lang=es", "application/x-www-form-urlencoded", "incident.date=2025-03-14&incident.town=Leeds&account=x".to_owned())
        .await;
    assert!(res.text().contains("Elige al menos una categoría para lo que pasó."), "{}", res.text());
    assert_eq!(stored_rows(&app).await, 0);
}

#[tokio::test]
async fn the_report_form_is_served_at_the_root_and_needs_no_script() {
    let app = spawn_app();
    let res = app.get("/").await;
    assert_eq!(res.status, 200);
    let page = res.text();
    assert!(page.contains("action=\"/reports\"") && page.contains("method=\"post\""));
    // Only the quick exit's own file (optional: the page works without it), nothing inline.
    assert!(!page.contains("<script>") && page.matches("<script").count() == 1);
    assert!(res.headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
}
