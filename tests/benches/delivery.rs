//! Publishes one alert to N subscribers (10,000 by default; `NUM_BENCH_SUBSCRIBERS` to change) on the embedded
//! backends and prints deliveries per second and key-service calls per 1,000 deliveries.
//!
//! Run: `cargo bench -p num-tests --bench delivery`

use std::time::Instant;

use serde_json::json;
use shared::usecases::subscriptions::{SubscribeRequest, import_verified};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("NUM_BENCH_SUBSCRIBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let app = num_tests::spawn_app();
    let t = Instant::now();
    for i in 0..n {
        // Every fourth member takes texts as well as email.
        let sms = i % 4 == 0;
        let req = SubscribeRequest {
            email: Some(format!("member{i}@example.org")),
            phone: sms.then(|| format!("07700 {:06}", 100_000 + i)),
            regions: vec!["yorkshire-humber".into()],
            channels: if sms { vec!["email".into(), "sms".into()] } else { vec!["email".into()] },
        };
        import_verified(&app.local.subscriptions, req).await.expect("import");
    }
    let seeded = t.elapsed();
    app.drain().await;
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/examples/reports/01-leeds-parlour-maid.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(app.post_json("/reports", &report["report"]).await.status, 201);
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await.json();
    let id = list["alerts"][0]["alert_id"].as_str().unwrap().to_owned();
    let before_calls = app.local.cached_keys.calls();
    let before_out = app.outbox().len();

    let t = Instant::now();
    let res = app.staff("POST", &format!("/admin/alerts/{id}/publish"), "reviewer", Some(&json!({"regions": ["yorkshire-humber"]}))).await;
    assert_eq!(res.status, 200);
    app.drain().await;
    let elapsed = t.elapsed();

    let sent = app.outbox().len() - before_out;
    let calls = app.local.cached_keys.calls() - before_calls;
    let counts = app.staff("GET", &format!("/admin/alerts/{id}/deliveries"), "reviewer", None).await.json();
    assert_eq!(counts["sent"].as_u64().unwrap() as usize, sent, "every delivery was sent once");
    let expected = n + n.div_ceil(4);
    assert_eq!(sent, expected, "one message per subscriber and channel");
    println!("delivery benchmark (embedded backends: SQLite WAL full sync, local keys, outbox file)");
    println!("  subscribers:                 {n} ({} with SMS too), seeded in {:.1} s", n.div_ceil(4), seeded.as_secs_f64());
    println!("  deliveries:                  {sent}");
    println!("  publish to last send:        {:.2} s", elapsed.as_secs_f64());
    println!("  deliveries per second:       {:.0}", sent as f64 / elapsed.as_secs_f64());
    println!("  key-service calls:           {calls}");
    println!("  key calls per 1,000 sends:   {:.2} (goal: at most 10)", calls as f64 * 1000.0 / sent as f64);
}
