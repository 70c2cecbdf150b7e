//! One alert to N members through the real deliverer and the real SES v2 and SNS adapters, in front of the fake
//! provider (`provider`): the fan-out bench (`tests/benches/fanout.rs`) and its smoke test run this.
//!
//! The tables, keys and stream pollers are `num serve`'s (SQLite, the local key file), so what is measured is the
//! deliverer against the provider; the AWS client is built as the functions build it (`aws_client_from`, as
//! `load_aws_client` does: one attempt per call, the retry wrapper in front), pointed at the provider.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use shared::adapters::aws::{SesEmail, SnsSms, aws_client_from};
use shared::adapters::{Paced, RetryPolicy, Retrying};
use shared::config::{EmailConfig, SmsConfig};
use shared::usecases::subscriptions::{SubscribeRequest, import_verified};

use crate::provider::{Behaviour, FakeProvider, Seen, Service};

pub const REGION: &str = "yorkshire-humber";

/// Member `i`: every fourth takes texts as well as email.
pub fn member(i: usize) -> SubscribeRequest {
    let sms = i.is_multiple_of(4);
    SubscribeRequest {
        email: Some(format!("member{i}@example.org")),
        phone: sms.then(|| format!("07700 {:06}", 100_000 + i)),
        regions: vec![REGION.into()],
        channels: if sms { vec!["email".into(), "sms".into()] } else { vec!["email".into()] },
        language: None,
    }
}

/// What one fan-out did.
#[derive(Debug)]
pub struct Figures {
    pub members: usize,
    pub behaviour: Behaviour,
    /// How the senders were paced.
    pub pacing: Pacing,
    pub seeded: Duration,
    pub elapsed: Duration,
    /// From publishing to the provider taking the first email, and the first text.
    pub first_taken: (Duration, Duration),
    pub expected: u64,
    pub sent: u64,
    pub failed: u64,
    pub unconfirmed: u64,
    pub email: Seen,
    pub sms: Seen,
    /// Taken per second over publish to the last message taken, and that as a share of the provider's rate.
    pub email_rate: (f64, f64),
    pub sms_rate: (f64, f64),
    /// Sends that used the provider's rate (taken, and faulted where faults use the rate), as a share of it: what of
    /// the provider's capacity the deliverer used. Where faults use the rate, taken/s can reach at most 1 - fault of it.
    pub email_used: f64,
    pub sms_used: f64,
    pub duplicates: u64,
    /// Items in no final state.
    pub unsettled: u64,
    /// Items marked sent whose message the provider never took.
    pub sent_not_taken: u64,
}

impl Figures {
    pub fn losses(&self) -> u64 {
        self.unsettled + self.sent_not_taken
    }

    pub fn print(&self) {
        let b = &self.behaviour;
        println!(
            "fan-out benchmark: one alert to {} members ({} with texts too), {} deliveries",
            self.members,
            self.members.div_ceil(4),
            self.expected
        );
        println!(
            "  provider: email {:.0}/s, SMS {:.0}/s; {:.0}% transient faults, {:.0}% answers lost",
            b.email_rate,
            b.sms_rate,
            b.fault * 100.0,
            b.lost * 100.0
        );
        println!(
            "  senders: {}",
            match self.pacing {
                Pacing::Paced => "paced to the provider's rates, untaken sends' slots given back (as deliver-alert)",
                Pacing::KeepingEverySlot => "paced to the provider's rates, every send keeping its slot",
                Pacing::Off => "not paced",
            }
        );
        println!("  members seeded in {:.1} s (not measured)", self.seeded.as_secs_f64());
        println!("  publish to last item settled: {:.1} s", self.elapsed.as_secs_f64());
        println!(
            "  publish to first message taken: email {:.2} s, SMS {:.2} s",
            self.first_taken.0.as_secs_f64(),
            self.first_taken.1.as_secs_f64()
        );
        println!(
            "  the rate counts {}",
            if b.faults_use_rate { "the messages taken and the faulted sends" } else { "the messages taken (as SES's does)" }
        );
        let ceiling = if b.faults_use_rate { (1.0 - b.fault) * 100.0 } else { 100.0 };
        println!(
            "  email: {:.1} taken/s = {:.1}% of the provider's rate (at most {ceiling:.0}% with its faults); {:.1}% of its capacity used",
            self.email_rate.0,
            self.email_rate.1 * 100.0,
            self.email_used * 100.0
        );
        println!(
            "  SMS:   {:.1} taken/s = {:.1}% of the provider's rate (at most {ceiling:.0}% with its faults); {:.1}% of its capacity used",
            self.sms_rate.0,
            self.sms_rate.1 * 100.0,
            self.sms_used * 100.0
        );
        println!(
            "  provider answers: {} throttled, {} transient faults, {} answers lost, {} opt-out checks",
            self.email.throttled + self.sms.throttled,
            self.email.faults + self.sms.faults,
            self.email.lost + self.sms.lost,
            self.sms.other_calls
        );
        println!("  items: {} sent, {} failed, {} unconfirmed (of {})", self.sent, self.failed, self.unconfirmed, self.expected);
        println!("  duplicates: {}", self.duplicates);
        println!("  losses: {} ({} not settled, {} marked sent but not taken)", self.losses(), self.unsettled, self.sent_not_taken);
    }
}

/// How the bench's senders are paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// As deliver-alert paces them to the account's rates (`Paced::new`).
    Paced,
    /// Paced, but a send the provider did not count keeps its slot (`Paced::keeping_every_slot`).
    KeepingEverySlot,
    Off,
}

/// Seeds `members` verified members, then publishes one alert to all of them and drains the streams through senders
/// paced by `pacing`.
pub async fn fan_out(members: usize, behaviour: Behaviour, pacing: Pacing) -> Figures {
    let n = members;
    let provider = FakeProvider::start(behaviour).await;

    // The functions' AWS client, given the fake provider's endpoint and dummy credentials as its environment.
    let env = |name: &str| match name {
        "AWS_REGION" => Some("eu-west-2".to_owned()),
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("testing".to_owned()),
        "AWS_ENDPOINT_URL" => Some(provider.url.clone()),
        _ => None,
    };
    let aws = aws_client_from(&env).expect("the fan-out bench's environment is complete");
    let policy = RetryPolicy::default();
    let email =
        SesEmail::new(aws.clone(), EmailConfig { from_address: "alerts@example.org".into(), configuration_set: "num-alerts".into() });
    let sms = SnsSms::new(aws, SmsConfig { sender_id: "NUMAlerts".into(), origination_number: None });
    let (email, sms): (Arc<dyn shared::ports::messaging::EmailSender>, Arc<dyn shared::ports::messaging::SmsSender>) = match pacing {
        Pacing::Paced => (
            Arc::new(Retrying::new(Paced::new(email, behaviour.email_rate), policy)),
            Arc::new(Retrying::new(Paced::new(sms, behaviour.sms_rate), policy)),
        ),
        Pacing::KeepingEverySlot => (
            Arc::new(Retrying::new(Paced::keeping_every_slot(email, behaviour.email_rate), policy)),
            Arc::new(Retrying::new(Paced::keeping_every_slot(sms, behaviour.sms_rate), policy)),
        ),
        Pacing::Off => (Arc::new(Retrying::new(email, policy)), Arc::new(Retrying::new(sms, policy))),
    };
    let app = crate::spawn_app_with(|_| num_cli::serve::Options {
        email: Some(email),
        sms: Some(sms),
        site_url: "https://alerts.example.org".into(),
        ..Default::default()
    });

    let t = Instant::now();
    for i in 0..n {
        import_verified(&app.local.subscriptions, member(i)).await.expect("import");
    }
    app.drain().await;
    let seeded = t.elapsed();
    assert_eq!(app.post_json("/reports", &crate::sample_report()).await.status, 201);
    app.drain().await;
    let list = app.staff("GET", "/admin/alerts?status=draft", "reviewer", None).await.json();
    let id = list["alerts"][0]["alert_id"].as_str().expect("a draft alert").to_owned();

    let start = Instant::now();
    let res = app.staff("POST", &format!("/admin/alerts/{id}/publish"), "reviewer", Some(&json!({"regions": [REGION]}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.drain().await;
    let elapsed = start.elapsed();

    let counts = app.staff("GET", &format!("/admin/alerts/{id}/deliveries"), "reviewer", None).await.json();
    let count = |k: &str| counts[k].as_u64().unwrap_or(0);
    let (sent, failed, unconfirmed) = (count("sent"), count("failed"), count("unconfirmed"));
    let expected = (n + n.div_ceil(4)) as u64;
    let email = provider.seen(Service::Email);
    let text = provider.seen(Service::Sms);
    let taken = email.taken_total() + text.taken_total();
    let duplicates = email.duplicates() + text.duplicates();
    let lost_answers = email.lost + text.lost;
    // Items in no final state, and items marked sent that the provider never took: both are losses.
    let unsettled = expected.saturating_sub(sent + failed + unconfirmed);
    let sent_not_taken = sent.saturating_sub(taken - lost_answers);

    let share = |seen: &Seen, rate: f64| {
        let span = seen.last.map_or(elapsed, |last| last.duration_since(start)).as_secs_f64();
        let per_second = seen.taken_total() as f64 / span;
        (per_second, per_second / rate)
    };
    let email_rate = share(&email, behaviour.email_rate);
    let sms_rate = share(&text, behaviour.sms_rate);
    // Over the same span, the sends that used the rate: the taken ones, and the faulted ones where faults use it.
    let used = |seen: &Seen, taken_share: f64| {
        let faults = if behaviour.faults_use_rate { seen.faults } else { 0 };
        taken_share * (seen.taken_total() + faults) as f64 / seen.taken_total().max(1) as f64
    };
    let (email_used, sms_used) = (used(&email, email_rate.1), used(&text, sms_rate.1));
    Figures {
        members: n,
        behaviour,
        pacing,
        seeded,
        elapsed,
        first_taken: (
            email.first.map_or(Duration::ZERO, |f| f.duration_since(start)),
            text.first.map_or(Duration::ZERO, |f| f.duration_since(start)),
        ),
        expected,
        sent,
        failed,
        unconfirmed,
        email,
        sms: text,
        email_rate,
        sms_rate,
        email_used,
        sms_used,
        duplicates,
        unsettled,
        sent_not_taken,
    }
}
