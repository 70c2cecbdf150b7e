//! What each operation costs in AWS calls, measured on moto through the adapters' own clients (`num_tests::meter`):
//! a member joins and verifies, a report is submitted, drafted from the reports stream, reviewed and published, the
//! alert goes out from the alerts stream, a member opens the alert's page and checks a number. Each step is measured
//! apart, with the Lambda invocations it takes (one per API request, one per stream batch at the template's batch
//! sizes) and how long the handlers took here.
//!
//! Delivery is measured twice, one alert to one member and one to five, so what one more member costs is told apart
//! from what one alert costs however many receive it.
//!
//! The figures are budgets too: a change that makes a step call AWS more often fails here. With `NUM_COST_OUT` set,
//! the measurements are written there as JSON for `scripts/cost-model`, which prices a month.

use std::time::Instant;

use num_tests::aws::aws_backend;
use num_tests::meter::{Calls, Meter, Tally, read_units, write_units};
use num_tests::stream_bridge::pump;
use serde_json::{Value, json};
use shared::http::public::handle as public;
use shared::ports::Table;
use shared::ports::stream::StreamHandler;
use shared::usecases::offenders::{CheckRequest, check};
use shared::usecases::subscriptions::Vetting;

use crate::aws_pipeline::{Cloud, cloud, code_in, json_of, post, sent};

/// Batch sizes of the event source mappings in `infra/template.yaml`.
const REPORTS_BATCH: usize = 10;
const ALERTS_BATCH: usize = 25;
const SUBSCRIBERS_BATCH: usize = 25;

/// One measured step.
#[derive(Debug, Clone, serde::Serialize)]
struct Step {
    /// The function that runs it (the template's function, without "Function").
    function: &'static str,
    invocations: usize,
    /// The handlers' time on this machine against moto: an upper bound for the time billed.
    millis: f64,
    calls: Vec<Row>,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Row {
    service: String,
    operation: String,
    #[serde(flatten)]
    calls: Calls,
}

fn rows(t: &Tally) -> Vec<Row> {
    t.iter().map(|((service, operation), c)| Row { service: service.clone(), operation: operation.clone(), calls: *c }).collect()
}

fn count(t: &Tally, service: &str, op: &str) -> u64 {
    t.get(&(service.to_owned(), op.to_owned())).map_or(0, |c| c.calls)
}

fn total(t: &Tally, service: &str) -> u64 {
    t.iter().filter(|((s, _), _)| s == service).map(|(_, c)| c.calls).sum()
}

struct Bench {
    c: Cloud,
    meter: Meter,
    steps: Vec<(&'static str, Step, Tally)>,
}

/// A step under way: what the meter held, and when it began.
struct Started(Tally, Instant);

impl Bench {
    fn start(&self) -> Started {
        Started(self.meter.snapshot(), Instant::now())
    }

    /// Records what was called since `from` as step `name`, run by `function` in `invocations` invocations.
    fn done(&mut self, from: Started, name: &'static str, function: &'static str, invocations: usize) {
        let millis = from.1.elapsed().as_secs_f64() * 1000.0;
        let tally = self.meter.since(&from.0);
        self.steps.push((name, Step { function, invocations, millis, calls: rows(&tally) }, tally));
    }

    fn tally(&self, name: &str) -> &Tally {
        &self.steps.iter().find(|s| s.0 == name).expect("a step of that name").2
    }

    async fn pumped(&self, table: Table, handler: &dyn StreamHandler, batch: usize) -> usize {
        pump(&self.c.streams, table, table.as_str(), handler, batch, 3).await.expect("the stream pumps").batches
    }

    /// Subscribes to `region` by email or text, sends the codes and enters them. With `measure`, the joining, the code
    /// and the first verification are steps.
    async fn member(&mut self, email: Option<&str>, phone: Option<&str>, region: &str, measure: bool) {
        let channels: Vec<&str> = email.map(|_| "email").into_iter().chain(phone.map(|_| "sms")).collect();
        let body = json!({"email": email, "phone": phone, "regions": [region], "channels": channels});
        let t = self.start();
        let res = public(&self.c.subs, &self.c.limiter, Vetting::Off, post("/subscriptions", &body)).await;
        assert_eq!(res.status(), 202, "{}", String::from_utf8_lossy(res.body()));
        let id = json_of(&res)["subscription_id"].as_str().unwrap().to_owned();
        if measure {
            self.done(t, "join", "Subscriptions", 1);
        }
        let t = self.start();
        let batches = self.pumped(Table::Subscribers, &self.c.codes, SUBSCRIBERS_BATCH).await;
        if measure {
            self.done(t, "join_code", "DeliverAlert", batches);
        }
        let messages = sent().await;
        for to in email.into_iter().chain(phone) {
            let code =
                messages.iter().filter(|m| m.0 == to.to_lowercase()).find_map(|m| code_in(&m.2)).expect("a code went to the contact");
            let t = self.start();
            let body = json!({"subscription_id": id, "code": code});
            let res = public(&self.c.subs, &self.c.limiter, Vetting::Off, post("/subscriptions/verify", &body)).await;
            assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
            if measure && Some(to) == email {
                self.done(t, "verify", "Subscriptions", 1);
            }
        }
    }

    /// Submits, drafts and publishes one report to `region`, the three as steps with `measure`. The alert's id.
    async fn alert_in(&mut self, region: &str, measure: bool) -> String {
        let case = num_tests::labelled_case("28-leeds-parlour-maid-and-van");
        let t = self.start();
        let res = shared::http::submit::handle(&self.c.submit, post("/reports", &case["report"])).await;
        assert_eq!(res.status(), 201);
        let report_id = json_of(&res)["reference"].as_str().unwrap().to_owned();
        if measure {
            self.done(t, "submit", "SubmitReport", 1);
        }
        let t = self.start();
        let batches = self.pumped(Table::Reports, &self.c.sanitise, REPORTS_BATCH).await;
        if measure {
            self.done(t, "draft", "SanitiseReport", batches);
        }
        // A reviewer lists the drafts, opens the draft and publishes.
        let t = self.start();
        let list = json_of(&self.c.staff("GET", "/admin/alerts?status=draft", None).await);
        let alert = list["alerts"].as_array().unwrap().iter().find(|a| a["report_id"] == report_id.as_str()).expect("a draft");
        let alert_id = alert["alert_id"].as_str().unwrap().to_owned();
        assert_eq!(self.c.staff("GET", &format!("/admin/alerts/{alert_id}"), None).await.status(), 200);
        let res = self.c.staff("POST", &format!("/admin/alerts/{alert_id}/publish"), Some(&json!({"regions": [region]}))).await;
        assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
        if measure {
            self.done(t, "review", "AdminApi", 3);
        }
        alert_id
    }

    /// Runs the alerts stream (the deliverer) as step `name`.
    async fn deliver(&mut self, name: &'static str) {
        let t = self.start();
        let batches = self.pumped(Table::Alerts, &self.c.alerts, ALERTS_BATCH).await;
        self.done(t, name, "DeliverAlert", batches);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_aws_each_step_makes_the_calls_it_must_and_no_more() {
    let backend = aws_backend().await;
    let meter = backend.meter.clone();
    let c = cloud(backend);
    let prefix = c.prefix.clone();
    let mut b = Bench { c, meter, steps: Vec::new() };

    // One member in Yorkshire; four by email and one by text in the North East. Never a number ending in 99: moto
    // keeps those on its SMS opt-out list.
    let n = u32::from_str_radix(&prefix[prefix.len() - 3..], 36).unwrap_or(7) % 900;
    let phone = format!("+447700900{:03}", if n % 100 == 99 { n - 1 } else { n });
    b.member(Some(&format!("one-{prefix}@example.org")), None, "yorkshire-humber", true).await;
    for k in 0..4 {
        b.member(Some(&format!("ne{k}-{prefix}@example.org")), None, "north-east", false).await;
    }
    b.member(None, Some(&phone), "north-east", false).await;

    let one = b.alert_in("yorkshire-humber", true).await;
    b.deliver("deliver_1").await;
    let five = b.alert_in("north-east", false).await;
    b.deliver("deliver_5").await;
    assert_ne!(one, five);

    // A member opens the alert from the link, and checks a number (each check is counted in the subscribers'
    // table, whose stream the deliverer reads).
    let t = b.start();
    let req = http::Request::get(format!("/alerts/{one}")).body(bytes::Bytes::new()).unwrap();
    assert_eq!(public(&b.c.subs, &b.c.limiter, Vetting::Off, req).await.status(), 200);
    b.done(t, "alert_page", "Subscriptions", 1);
    let t = b.start();
    check(&b.c.sanitise.deps, "member-1", &CheckRequest { phone: Some("07700 900 461".into()), email: None }).await.expect("a check");
    b.done(t, "check", "Subscriptions", 1);
    let t = b.start();
    let batches = b.pumped(Table::Subscribers, &b.c.codes, SUBSCRIBERS_BATCH).await;
    b.done(t, "check_stream", "DeliverAlert", batches);

    let mut out = serde_json::Map::new();
    for (name, step, _) in &b.steps {
        println!("{name:<11} {:<15} {} invocation(s), {:.0} ms", step.function, step.invocations, step.millis);
        for r in &step.calls {
            println!(
                "    {:<9} {:<22} {:>3} call(s) {:>6.1} WRU {:>6.1} RRU {:>7} B out {:>7} B in",
                r.service,
                r.operation,
                r.calls.calls,
                r.calls.write_units,
                r.calls.read_units,
                r.calls.request_bytes,
                r.calls.response_bytes
            );
        }
        out.insert((*name).to_owned(), serde_json::to_value(step).unwrap());
    }
    if let Ok(path) = std::env::var("NUM_COST_OUT") {
        let doc: Value = json!({"measured_on": "moto", "deliveries": {"deliver_1": 1, "deliver_5": 5}, "steps": out});
        std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }

    // The deliveries went out one message each, on the member's channel.
    let (d1, d5) = (b.tally("deliver_1").clone(), b.tally("deliver_5").clone());
    assert_eq!((count(&d1, "SESv2", "SendEmail"), count(&d1, "SNS", "Publish")), (1, 0), "{d1:?}");
    assert_eq!((count(&d5, "SESv2", "SendEmail"), count(&d5, "SNS", "Publish")), (4, 1), "{d5:?}");
    // One more member costs a few table calls and one key-service call (each subscription has its own data key).
    let per_delivery = |svc: &str| (total(&d5, svc) as f64 - total(&d1, svc) as f64) / 4.0;
    let (dynamo, kms) = (per_delivery("DynamoDB"), per_delivery("KMS"));
    println!("per delivery: {dynamo:.2} DynamoDB calls, {kms:.2} KMS calls");
    assert!(dynamo <= 5.5, "each delivery makes {dynamo} DynamoDB calls (5 when this was written)");
    assert!(kms <= 1.0, "each delivery makes {kms} KMS calls (1 when this was written)");
    // Budgets for the other steps, all services: what was measured when this was written (join 12, code 4, verify 9,
    // submit 3, draft 9, review 30, page 2, check 4) with about a quarter more for the retries moto sometimes causes.
    for (name, most) in
        [("join", 15), ("join_code", 6), ("verify", 11), ("submit", 4), ("draft", 11), ("review", 38), ("alert_page", 3), ("check", 5)]
    {
        let t = b.tally(name);
        let calls: u64 = t.values().map(|c| c.calls).sum();
        assert!(calls > 0, "{name} made no AWS call at all: the meter is not on the adapters' clients");
        assert!(calls <= most, "{name} made {calls} AWS calls (budget {most}): {t:?}");
    }
    // The units follow the bytes: a small write is one unit, a transaction's items count twice.
    assert_eq!(write_units("PutItem", &[b'x'; 1025]), 2.0);
    let tx = json!({"TransactItems": [{"Put": {"Item": {"a": {"S": "x"}}}}, {"Put": {"Item": {"b": {"S": "x".repeat(1500)}}}}]});
    assert_eq!(write_units("TransactWriteItems", tx.to_string().as_bytes()), 6.0);
    assert_eq!((read_units("Query", 8193), read_units("DescribeTable", 10)), (3.0, 0.0));
}
