//! One alert to N members through the real deliverer and the real SES v2 and SNS adapters, in front of a fake provider
//! that limits its rate and fails now and then (`num_tests::provider`): throttling above the rate, 5% transient faults,
//! 1% of answers lost. Prints the deliveries per second as a share of the provider's rate, and checks that nothing is
//! sent twice and nothing is lost: every delivery item ends `sent`, `failed` or `unconfirmed`, and is counted.
//!
//! Settings (environment): `NUM_BENCH_MEMBERS` (10,000), `NUM_BENCH_EMAIL_RATE` (100 a second),
//! `NUM_BENCH_SMS_RATE` (25 a second), `NUM_BENCH_FAULTS` (0.05), `NUM_BENCH_LOST` (0.01), `NUM_BENCH_PACED` (1: the
//! senders paced to the provider's rates as deliver-alert paces them; 0: not paced), `NUM_BENCH_GIVE_BACK` (1: a send
//! the provider did not count gives its pacing slot back, as in deliver-alert; 0: every send keeps its slot),
//! `NUM_BENCH_FAULTS_USE_RATE` (0: the rate counts the messages the provider takes, as SES's does; 1: a faulted send
//! uses the rate too). Every fourth member takes texts as well as email. Exits non-zero on a duplicate or a loss.
//!
//! Run: `cargo bench -p num-tests --bench fanout`.

use num_tests::fanout::Pacing;
use num_tests::provider::Behaviour;

fn setting<T: std::str::FromStr>(var: &str, default: T) -> T {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().unwrap_or_else(|_| {
            eprintln!("fan-out benchmark: {var} must be a number, not {v:?}");
            std::process::exit(2)
        }),
        _ => default,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let d = Behaviour::default();
    let behaviour = Behaviour {
        email_rate: setting("NUM_BENCH_EMAIL_RATE", d.email_rate),
        sms_rate: setting("NUM_BENCH_SMS_RATE", d.sms_rate),
        fault: setting("NUM_BENCH_FAULTS", d.fault),
        lost: setting("NUM_BENCH_LOST", d.lost),
        faults_use_rate: setting("NUM_BENCH_FAULTS_USE_RATE", 0u8) != 0,
        seed: d.seed,
    };
    let pacing = match (setting("NUM_BENCH_PACED", 1u8), setting("NUM_BENCH_GIVE_BACK", 1u8)) {
        (0, _) => Pacing::Off,
        (_, 0) => Pacing::KeepingEverySlot,
        _ => Pacing::Paced,
    };
    let figures = num_tests::fanout::fan_out(setting("NUM_BENCH_MEMBERS", 10_000), behaviour, pacing).await;
    figures.print();
    if figures.duplicates > 0 || figures.losses() > 0 {
        eprintln!("fan-out benchmark: FAILED: a message went twice or an item was lost");
        std::process::exit(1);
    }
}
