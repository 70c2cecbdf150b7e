//! How many AWS calls each operation makes, counted on moto by the backend's call counter (an SDK interceptor on every
//! client: `num_tests::aws::CallCounter`). The handlers are the ones the Lambdas run, the streams are read back as the
//! event source mapping reads them (those reads are not counted: Lambda's stream polling is not billed per call).
//!
//! The counts bound what each operation may cost, so a change that adds calls is seen here; `scripts/cost-model` runs
//! this test with `NUM_CALLS_OUT=<file>` to price a month from them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use num_tests::aws::aws_backend;
use num_tests::stream_bridge::{DynamoStreams, pump};
use serde_json::{Value, json};
use shared::adapters::key_cache::CachedKeys;
use shared::http::admin::{AdminDeps, StaffAuth};
use shared::ports::{KeyService, SystemClock, Table, Tables};
use shared::ratelimit::Limiter;
use shared::staff::Role;
use shared::usecases::alerts::AlertDeps;
use shared::usecases::deliver::{AlertStreamHandler, DeliverDeps, SubscriberStreamHandler};
use shared::usecases::draft::SanitiseHandler;
use shared::usecases::submit_report::SubmitDeps;
use shared::usecases::subscriptions::{SubscribeRequest, SubscriptionDeps, Vetting, import_verified};

/// Members of the region the alert goes to, besides the one who joins through the public form.
const MEMBERS: usize = 16;

fn post(path: &str, body: &Value) -> http::Request<Bytes> {
    http::Request::post(path).header("content-type", "application/json").body(Bytes::from(serde_json::to_vec(body).unwrap())).unwrap()
}

fn json_of(res: &http::Response<Bytes>) -> Value {
    serde_json::from_slice(res.body()).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(res.body())))
}

fn total(calls: &BTreeMap<String, u64>, service: &str) -> u64 {
    calls.iter().filter(|(k, _)| k.starts_with(&format!("{service}."))).map(|(_, n)| n).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_each_operation_makes_a_bounded_number_of_calls() {
    let b = aws_backend().await;
    let counter = b.calls.clone();
    let prefix = b.prefix.clone();
    let streams = DynamoStreams::new(&b.sdk, b.names.clone());
    let tables: Arc<dyn Tables> = Arc::new(b.tables);
    let keys: Arc<dyn KeyService> = Arc::new(b.keys);
    let clock = Arc::new(SystemClock);
    // As deliver-alert wires it: opened data keys cached for five minutes.
    let deliver = DeliverDeps {
        tables: tables.clone(),
        keys: Arc::new(CachedKeys::new(keys.clone(), Duration::from_secs(300))),
        email: Arc::new(b.email),
        sms: Arc::new(b.sms),
        clock: clock.clone(),
        site_url: "https://alerts.example.org".into(),
    };
    let subs = SubscriptionDeps { tables: tables.clone(), keys: keys.clone(), clock: clock.clone() };
    let submit = SubmitDeps { tables: shared::ports::tables::insert_only(tables.clone()), keys: keys.clone(), clock: clock.clone() };
    let admin = AdminDeps {
        tables: tables.clone(),
        keys: keys.clone(),
        clock: clock.clone(),
        auth: StaffAuth::Authorizer,
        limiter: Arc::new(Limiter::default()),
    };
    let sanitise = SanitiseHandler { deps: AlertDeps { tables, keys, clock } };
    let alerts = AlertStreamHandler::new(deliver.clone());
    let codes = SubscriberStreamHandler::new(deliver);
    let limiter = Limiter::default();
    let staff = |method: &'static str, path: String, body: Option<Value>| {
        let admin = &admin;
        async move { num_tests::as_staff(admin, "reviewer@example.org", Role::Reviewer, method, &path, body.as_ref()).await }
    };
    let mut out = serde_json::Map::new();
    let mut measure = |name: &str, before: &BTreeMap<String, u64>| {
        let calls = counter.since(before);
        out.insert(name.to_owned(), json!(calls));
        calls
    };

    // A member joins by email and text (vetting off: with vetting on, a staff approval adds one admin request).
    let n = u32::from_str_radix(&prefix[prefix.len() - 3..], 36).unwrap_or(7) % 1000;
    // Never a number ending in 99: moto keeps those on its SMS opt-out list.
    let phone = format!("+447700900{:03}", if n % 100 == 99 { n - 1 } else { n });
    let email = format!("joins-{prefix}@example.org");
    let before = b.calls.snapshot();
    let body = json!({"email": email, "phone": phone, "regions": ["yorkshire-humber"], "channels": ["email", "sms"]});
    let res = shared::http::public::handle(&subs, &limiter, Vetting::Off, post("/subscriptions", &body)).await;
    assert_eq!(res.status(), 202, "{}", String::from_utf8_lossy(res.body()));
    let id = json_of(&res)["subscription_id"].as_str().unwrap().to_owned();
    pump(&streams, Table::Subscribers, "calls-subscribers", &codes, 100, 3).await.expect("the stream pumps");
    let data = num_tests::aws::moto_data().await;
    // The six-digit codes sent to a contact, newest first (another test's run may have used the same number before).
    let codes_for = |to: &str| -> Vec<String> {
        let emails =
            data["ses"]["Message"].as_array().into_iter().flatten().filter(|m| m["destinations"]["ToAddresses"].to_string().contains(to));
        let texts = data["sns"]["SMS"].as_array().into_iter().flatten().filter(|m| m["phone_number"] == to);
        let mut bodies: Vec<String> = emails
            .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
            .chain(texts.map(|m| m["message"].as_str().unwrap_or_default().to_owned()))
            .collect();
        bodies.reverse();
        bodies.iter().filter_map(|t| t.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_owned)).collect()
    };
    for to in [email.as_str(), phone.as_str()] {
        let mut verified = false;
        for code in codes_for(to) {
            let body = json!({"subscription_id": id, "code": code});
            let res = shared::http::public::handle(&subs, &limiter, Vetting::Off, post("/subscriptions/verify", &body)).await;
            if res.status() == 200 {
                verified = true;
                break;
            }
        }
        assert!(verified, "the code sent to the member's {} verifies it", if to.contains('@') { "address" } else { "number" });
    }
    let joins = measure("member_joins", &before);

    // Members who are already in (not counted), so the alert has somewhere to go.
    for i in 0..MEMBERS {
        let sms = i.is_multiple_of(4);
        let number = (n as usize + 100 + i) % 1000;
        let req = SubscribeRequest {
            email: Some(format!("m{i}-{prefix}@example.org")),
            phone: sms.then(|| format!("+447700900{:03}", if number % 100 == 99 { number - 1 } else { number })),
            regions: vec!["yorkshire-humber".into()],
            channels: if sms { vec!["email".into(), "sms".into()] } else { vec!["email".into()] },
            language: None,
        };
        import_verified(&subs, req).await.expect("import");
    }
    pump(&streams, Table::Subscribers, "calls-subscribers", &codes, 100, 3).await.expect("the stream pumps");

    // A report: submitted, then drafted from the reports stream.
    let before = b.calls.snapshot();
    let res = shared::http::submit::handle(&submit, post("/reports", &num_tests::sample_report())).await;
    assert_eq!(res.status(), 201, "{}", String::from_utf8_lossy(res.body()));
    let submitted = measure("report_submitted", &before);
    let before = b.calls.snapshot();
    pump(&streams, Table::Reports, "calls-reports", &sanitise, 100, 3).await.expect("the stream pumps");
    let drafted = measure("report_drafted", &before);

    // Staff open the draft and publish it; the alerts stream fans it out and sends every delivery.
    let before = b.calls.snapshot();
    let list = json_of(&staff("GET", "/admin/alerts?status=draft".into(), None).await);
    let alert_id = list["alerts"][0]["alert_id"].as_str().expect("a draft").to_owned();
    let res = staff("GET", format!("/admin/alerts/{alert_id}"), None).await;
    assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
    let res = staff("POST", format!("/admin/alerts/{alert_id}/publish"), Some(json!({"regions": ["yorkshire-humber"]}))).await;
    assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
    let reviewed = measure("alert_reviewed_and_published", &before);
    let before = b.calls.snapshot();
    pump(&streams, Table::Alerts, "calls-alerts", &alerts, 100, 3).await.expect("the stream pumps");
    let delivered = measure("alert_delivered", &before);
    let deliveries = (MEMBERS + 1 + MEMBERS.div_ceil(4) + 1) as u64;
    assert_eq!(
        delivered.get("SESv2.SendEmail").copied().unwrap_or(0) + delivered.get("SNS.Publish").copied().unwrap_or(0),
        deliveries,
        "one message per member and channel: {delivered:?}"
    );

    // A member opens the alert's page.
    let before = b.calls.snapshot();
    let page = http::Request::get(format!("/alerts/{alert_id}")).body(Bytes::new()).unwrap();
    let res = shared::http::public::handle(&subs, &limiter, Vetting::Off, page).await;
    assert_eq!(res.status(), 200);
    let viewed = measure("members_page", &before);
    out.insert("deliveries".into(), json!(deliveries));

    for (name, calls) in [
        ("member_joins", &joins),
        ("report_submitted", &submitted),
        ("report_drafted", &drafted),
        ("alert_reviewed_and_published", &reviewed),
        ("alert_delivered", &delivered),
        ("members_page", &viewed),
    ] {
        println!("{name}: {calls:?}");
    }
    if let Ok(path) = std::env::var("NUM_CALLS_OUT")
        && !path.trim().is_empty()
    {
        std::fs::write(&path, serde_json::to_vec_pretty(&Value::Object(out)).unwrap()).expect("the counts are written");
    }

    // The bounds: a change that adds calls to an operation shows here first.
    assert!(total(&submitted, "DynamoDB") <= 2 && total(&submitted, "KMS") <= 2, "report submitted: {submitted:?}");
    assert!(total(&drafted, "KMS") <= 6, "report drafted: {drafted:?}");
    // Per delivery: a read, a claim and a mark (and the fan-out's writes); the key cache keeps KMS to a handful a batch.
    assert!(total(&delivered, "DynamoDB") <= deliveries * 5, "alert delivered: {delivered:?}");
    assert!(total(&delivered, "KMS") <= 10, "alert delivered: {delivered:?}");
    assert!(total(&viewed, "DynamoDB") + total(&viewed, "KMS") <= 3, "members' page: {viewed:?}");
}
