//! The fan-out bench in small: a few hundred members, the provider limiting its rate, failing 5% of sends for a moment
//! and losing 1% of its answers. Nothing may go twice and nothing may be lost.

use num_tests::fanout::{Pacing, fan_out};
use num_tests::provider::Behaviour;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttling_failing_provider_gets_each_message_once_and_every_delivery_ends_counted() {
    // Rates low enough that the provider throttles, high enough that the test stays short.
    let behaviour = Behaviour { email_rate: 150.0, sms_rate: 40.0, ..Behaviour::default() };
    let f = fan_out(160, behaviour, Pacing::Paced).await;
    f.print();
    assert_eq!(f.duplicates, 0, "a message went twice");
    assert_eq!(f.losses(), 0, "a delivery was lost");
    assert_eq!(f.sent + f.failed + f.unconfirmed, f.expected, "every delivery ends sent, failed or unconfirmed");
    // A lost answer leaves its delivery unconfirmed, never sent and never retried.
    assert!(f.unconfirmed >= f.email.lost + f.sms.lost);
    // Paced to its rates, the provider is not flooded: far fewer throttling answers than messages.
    assert!(f.email.throttled + f.sms.throttled < f.expected / 4, "{} throttled", f.email.throttled + f.sms.throttled);
}
