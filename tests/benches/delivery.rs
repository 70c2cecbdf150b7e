//! Publishes one alert to N subscribers and measures publish to last send, on two sets of backends:
//!
//! - **embedded** (`num serve`'s: SQLite in WAL mode with full sync, the local key file, the outbox file), N =
//!   `NUM_BENCH_SUBSCRIBERS` or 10,000;
//! - **moto**: the AWS adapters as the Lambdas wire them (DynamoDB, KMS, SES v2 and SNS, each behind the retry wrapper,
//!   opened data keys cached as in deliver-alert), with the alerts stream read back through DynamoDB Streams 25 records
//!   a batch as the event source mapping does, against the moto server at `NUM_TEST_AWS_ENDPOINT` (as `scripts/test`
//!   starts it). N = `NUM_BENCH_MOTO_SUBSCRIBERS` or 2,000: moto is a Python emulator that serves one call at a time
//!   in milliseconds, so this run measures the number and overlap of our calls, not DynamoDB's speed.
//!
//! Each prints deliveries per second and key-service calls per 1,000 deliveries. `NUM_BENCH_BACKENDS` picks
//! `embedded`, `moto` or `both` (the default).
//!
//! Run: `cargo bench -p num-tests --bench delivery`, with moto running:
//!
//! ```text
//! .venv/bin/moto_server -H 127.0.0.1 -p 5123 &
//! NUM_TEST_AWS_ENDPOINT=http://127.0.0.1:5123 cargo bench -p num-tests --bench delivery
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use num_tests::aws::{ENDPOINT_VAR, aws_backend, moto_data};
use num_tests::stream_bridge::{DynamoStreams, pump};
use serde_json::{Value, json};
use shared::adapters::key_cache::CachedKeys;
use shared::adapters::{RetryPolicy, Retrying};
use shared::http::admin::{AdminDeps, AuthorizerClaims, StaffAuth};
use shared::ports::{KeyService, SystemClock, Table, Tables};
use shared::ratelimit::Limiter;
use shared::staff::{Role, Staff};
use shared::usecases::alerts::AlertDeps;
use shared::usecases::deliver::{AlertStreamHandler, DeliverDeps, SubscriberStreamHandler};
use shared::usecases::draft::SanitiseHandler;
use shared::usecases::submit_report::SubmitDeps;
use shared::usecases::subscriptions::{SubscriptionDeps, import_verified};
// The region every subscriber takes (the report, in Leeds, is published to it), and subscriber `i`.
use num_tests::fanout::{REGION, member as subscriber};

/// One subscription per channel chosen.
fn expected_deliveries(n: usize) -> usize {
    n + n.div_ceil(4)
}

fn count(var: &str, default: usize) -> usize {
    match std::env::var(var) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| fail(&format!("{var} must be a whole number of subscribers, not {v:?}"))),
        Err(_) => default,
    }
}

fn fail(message: &str) -> ! {
    eprintln!("delivery benchmark: {message}");
    std::process::exit(2)
}

struct Figures {
    backend: String,
    subscribers: usize,
    seeded: Duration,
    deliveries: usize,
    elapsed: Duration,
    key_calls: u64,
}

impl Figures {
    fn print(&self) {
        let n = self.subscribers;
        println!("delivery benchmark ({})", self.backend);
        println!("  subscribers:                 {n} ({} with SMS too), seeded in {:.1} s", n.div_ceil(4), self.seeded.as_secs_f64());
        println!("  deliveries:                  {}", self.deliveries);
        println!("  publish to last send:        {:.2} s", self.elapsed.as_secs_f64());
        println!("  deliveries per second:       {:.0}", self.deliveries as f64 / self.elapsed.as_secs_f64());
        println!("  key-service calls:           {}", self.key_calls);
        println!("  key calls per 1,000 sends:   {:.2} (goal: at most 10)", self.key_calls as f64 * 1000.0 / self.deliveries as f64);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let which = std::env::var("NUM_BENCH_BACKENDS").unwrap_or_else(|_| "both".into());
    let (embedded, moto) = match which.trim() {
        "both" => (true, true),
        "embedded" => (true, false),
        "moto" => (false, true),
        other => fail(&format!("NUM_BENCH_BACKENDS must be embedded, moto or both, not {other:?}")),
    };
    if moto && std::env::var(ENDPOINT_VAR).map(|v| v.trim().is_empty()).unwrap_or(true) {
        fail(&format!(
            "the moto run needs the AWS emulator and {ENDPOINT_VAR} set to its address. Start it with \
             `.venv/bin/moto_server -H 127.0.0.1 -p 5123 &` (./scripts/test installs it), then run again with \
             {ENDPOINT_VAR}=http://127.0.0.1:5123; or set NUM_BENCH_BACKENDS=embedded to run the embedded part alone"
        ));
    }
    if embedded {
        on_embedded(count("NUM_BENCH_SUBSCRIBERS", 10_000)).await.print();
    }
    if moto {
        on_moto(count("NUM_BENCH_MOTO_SUBSCRIBERS", 2_000)).await.print();
    }
}

async fn on_embedded(n: usize) -> Figures {
    let app = num_tests::spawn_app();
    let t = Instant::now();
    for i in 0..n {
        import_verified(&app.local.subscriptions, subscriber(i)).await.expect("import");
    }
    let seeded = t.elapsed();
    app.drain().await;
    assert_eq!(app.post_json("/reports", &num_tests::sample_report()).await.status, 201);
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await.json();
    let id = list["alerts"][0]["alert_id"].as_str().expect("a draft alert").to_owned();
    let before_calls = app.local.cached_keys.calls();
    let before_out = app.outbox().len();

    let t = Instant::now();
    let res = app.staff("POST", &format!("/admin/alerts/{id}/publish"), "reviewer", Some(&json!({"regions": [REGION]}))).await;
    assert_eq!(res.status, 200);
    app.drain().await;
    let elapsed = t.elapsed();

    let sent = app.outbox().len() - before_out;
    let key_calls = app.local.cached_keys.calls() - before_calls;
    let counts = app.staff("GET", &format!("/admin/alerts/{id}/deliveries"), "reviewer", None).await.json();
    assert_eq!(counts["sent"].as_u64().unwrap() as usize, sent, "every delivery was sent once");
    assert_eq!(sent, expected_deliveries(n), "one message per subscriber and channel");
    Figures {
        backend: "embedded: SQLite WAL full sync, local keys, outbox file".into(),
        subscribers: n,
        seeded,
        deliveries: sent,
        elapsed,
        key_calls,
    }
}

fn post(path: &str, body: &Value) -> http::Request<Bytes> {
    http::Request::post(path).header("content-type", "application/json").body(Bytes::from(serde_json::to_vec(body).unwrap())).unwrap()
}

fn json_of(res: &http::Response<Bytes>) -> Value {
    serde_json::from_slice(res.body()).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(res.body())))
}

async fn on_moto(n: usize) -> Figures {
    let b = aws_backend().await;
    let streams = DynamoStreams::new(&b.sdk, b.names.clone());
    // As the Lambdas wire them (`CoreClients`, deliver-alert): every adapter behind the retry wrapper.
    let policy = RetryPolicy::default();
    let tables: Arc<dyn Tables> = Arc::new(Retrying::new(b.tables.clone(), policy));
    let keys: Arc<dyn KeyService> = Arc::new(Retrying::new(b.keys.clone(), policy));
    let clock = Arc::new(SystemClock);
    let cached_keys = Arc::new(CachedKeys::new(keys.clone(), Duration::from_secs(300)));
    let deliver = DeliverDeps {
        tables: tables.clone(),
        keys: cached_keys.clone(),
        email: Arc::new(Retrying::new(b.email.clone(), policy)),
        sms: Arc::new(Retrying::new(b.sms.clone(), policy)),
        clock: clock.clone(),
        site_url: "https://alerts.example.org".into(),
    };
    let subs = Arc::new(SubscriptionDeps { tables: tables.clone(), keys: keys.clone(), clock: clock.clone() });
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
    let staff = |method: &str, path: &str, body: Option<&Value>| {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .extension(AuthorizerClaims(Staff { subject: "reviewer@example.org".into(), role: Role::Reviewer }))
            .body(body.map(|b| Bytes::from(serde_json::to_vec(b).unwrap())).unwrap_or_default())
            .unwrap();
        shared::http::admin::handle(&admin, req)
    };

    // Seeding is not what is measured: sixteen imports at a time.
    let t = Instant::now();
    let mut next = 0;
    while next < n {
        let mut batch = tokio::task::JoinSet::new();
        for i in next..(next + 16).min(n) {
            let subs = subs.clone();
            batch.spawn(async move { import_verified(&subs, subscriber(i)).await.map(|_| ()) });
        }
        while let Some(done) = batch.join_next().await {
            done.expect("the import ran").expect("import");
        }
        next = (next + 16).min(n);
    }
    let seeded = t.elapsed();
    pump(&streams, Table::Subscribers, "bench-subscribers", &codes, 25, 3).await.expect("the subscribers stream pumps");

    let res = shared::http::submit::handle(&submit, post("/reports", &num_tests::sample_report())).await;
    assert_eq!(res.status(), 201, "{}", String::from_utf8_lossy(res.body()));
    pump(&streams, Table::Reports, "bench-reports", &sanitise, 25, 3).await.expect("the reports stream pumps");
    let list = json_of(&staff("GET", "/admin/alerts?status=draft", None).await);
    let id = list["alerts"][0]["alert_id"].as_str().expect("a draft alert").to_owned();
    let before_calls = cached_keys.calls();

    let t = Instant::now();
    let res = staff("POST", &format!("/admin/alerts/{id}/publish"), Some(&json!({"regions": [REGION]}))).await;
    assert_eq!(res.status(), 200, "{}", String::from_utf8_lossy(res.body()));
    pump(&streams, Table::Alerts, "bench-alerts", &alerts, 25, 3).await.expect("the alerts stream pumps");
    let elapsed = t.elapsed();

    let key_calls = cached_keys.calls() - before_calls;
    let counts = json_of(&staff("GET", &format!("/admin/alerts/{id}/deliveries"), None).await);
    let link = format!("/alerts/{id}");
    let data = moto_data().await;
    let held = |service: &str, model: &str, field: &str| {
        data[service][model].as_array().map_or(0, |l| l.iter().filter(|m| m[field].as_str().is_some_and(|t| t.contains(&link))).count())
    };
    let sent = held("ses", "Message", "body") + held("sns", "SMS", "message");
    assert_eq!(counts["sent"].as_u64().unwrap() as usize, sent, "every delivery was sent once: {counts}");
    assert_eq!(sent, expected_deliveries(n), "one message per subscriber and channel");
    Figures {
        backend: format!(
            "AWS adapters on moto at {}: DynamoDB, KMS, SES v2, SNS behind the retry wrapper; \
             {n} subscribers, a modest number because moto is slow",
            num_tests::aws::endpoint()
        ),
        subscribers: n,
        seeded,
        deliveries: sent,
        elapsed,
        key_calls,
    }
}
