//! Pacing in front of a sender: no more sends a second than the provider takes (SES's maximum send rate, the SMS
//! throughput of the origination identity), spread evenly, so that the provider is not answered with a burst it
//! throttles and the throttled sends are not retried into it again.
//!
//! Each send waits for its slot: slots are `1 / rate` seconds apart, handed out in the order sends ask for them. A
//! sender that fell behind (a pause between two stream batches, a straggler's retry) may catch up on the slots it
//! missed in the last half second, no more: the provider's own allowance refilled in the same pause, so that small
//! burst is taken, and a long quiet spell earns nothing more (the fan-out bench, before slots were given back: 93.8%
//! of the provider's rate taken with half a second, 92.6% with a quarter, 87.8% with none). The pacer is per process; with
//! several instances sending at once each must be given its share of the account's rate (see the template's
//! `SesMaxSendRate`). A throttling answer that still comes (another sender on the same account) is retried by the
//! retry wrapper around this one, which waits for a fresh slot each time.
//!
//! A provider's rate counts the messages it accepts (SES: "the maximum number of emails that Amazon SES can accept
//! from your account per second"). A send it did not take for another reason than the rate (503 "unavailable", no
//! connection) gives its slot back, so that its retry, or the next send, uses it; a throttled send keeps its slot,
//! since the provider has just said the rate was spent. Without that, each transient fault would cost the sender a
//! slot the provider never counted: with 5% faults the fan-out bench had 93.8% of the rate taken, and 98.9% with the
//! slots given back (`docs/performance.md`).

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::domain::PhoneNumber;
use crate::ports::messaging::{EmailMessage, EmailSender, MessageId, SendError, SmsMessage, SmsSender};

/// The missed slots a pacer may still use: those of the last half second.
const CATCH_UP: Duration = Duration::from_millis(500);

/// Hands out evenly spaced slots at `rate` a second.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    /// How far behind `now` the next free slot may lie (a whole number of intervals, at least none).
    catch_up: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer for `per_second` sends a second (above zero).
    pub fn new(per_second: f64) -> Self {
        assert!(per_second > 0.0 && per_second.is_finite(), "a send rate must be a positive number, not {per_second}");
        let interval = Duration::from_secs_f64(1.0 / per_second);
        let missed = (CATCH_UP.as_secs_f64() * per_second).floor() as u32;
        Self { interval, catch_up: interval * missed, next: Mutex::new(None) }
    }

    /// Waits until this caller's slot.
    pub async fn wait(&self) {
        let slot = {
            let now = Instant::now();
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            // Slots missed longer ago than `catch_up` are gone.
            let oldest = now.checked_sub(self.catch_up).unwrap_or(now);
            let slot = next.map_or(now, |n| n.max(oldest));
            *next = Some(slot + self.interval);
            slot.max(now)
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Gives back one slot the provider did not count: the next caller's slot comes one interval sooner (never
    /// sooner than the catch-up allows).
    pub fn give_back(&self) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = next.as_mut() {
            *n = n.checked_sub(self.interval).unwrap_or(*n);
        }
    }

    /// After a send: gives its slot back if the provider did not take the message for another reason than the rate.
    fn settle<T>(&self, sent: &Result<T, SendError>) {
        if let Err(e) = sent
            && e.is_retryable()
            && !e.is_rate_exceeded()
        {
            self.give_back();
        }
    }
}

/// A sender that waits for its pacer's slot before each send.
pub struct Paced<T> {
    inner: T,
    pacer: Pacer,
}

impl<T> Paced<T> {
    pub fn new(inner: T, per_second: f64) -> Self {
        Self { inner, pacer: Pacer::new(per_second) }
    }
}

#[async_trait]
impl<T: EmailSender> EmailSender for Paced<T> {
    async fn send_email(&self, message: &EmailMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        self.pacer.wait().await;
        let sent = self.inner.send_email(message, idempotency_key).await;
        self.pacer.settle(&sent);
        sent
    }
}

#[async_trait]
impl<T: SmsSender> SmsSender for Paced<T> {
    async fn send_sms(&self, message: &SmsMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        self.pacer.wait().await;
        let sent = self.inner.send_sms(message, idempotency_key).await;
        self.pacer.settle(&sent);
        sent
    }

    /// The opt-out check is another API with its own limits: not paced with the texts.
    async fn opted_out(&self, to: &PhoneNumber) -> Result<bool, SendError> {
        self.inner.opted_out(to).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_evenly_spaced_and_a_quiet_spell_earns_half_a_second_at_most() {
        let pacer = std::sync::Arc::new(Pacer::new(10.0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let p = pacer.clone();
            tasks.push(tokio::spawn(async move {
                p.wait().await;
                Instant::now()
            }));
        }
        let mut at: Vec<Duration> = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap() - start);
        }
        at.sort();
        // 20 sends at 10 a second: the first at once, the last 1.9 s later, none closer than 100 ms to the one before.
        assert_eq!(at[0], Duration::ZERO);
        assert_eq!(at[19], Duration::from_millis(1900));
        assert!(at.windows(2).all(|w| w[1] - w[0] == Duration::from_millis(100)), "{at:?}");
        // Quiet for 5 s, then 8 sends: the five slots of the last half second and the current one at once (10 a
        // second), then paced again; the rest of the quiet spell earns nothing.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let again = Instant::now();
        let mut after = Vec::new();
        for _ in 0..8 {
            pacer.wait().await;
            after.push((Instant::now() - again).as_millis());
        }
        assert_eq!(after, vec![0, 0, 0, 0, 0, 0, 100, 200]);
    }

    #[tokio::test(start_paused = true)]
    async fn over_a_long_run_the_rate_is_kept() {
        // 14 a second (SES's first production rate), 140 sends in a steady stream: 10 s less one interval.
        let pacer = Pacer::new(14.0);
        let start = Instant::now();
        for _ in 0..140 {
            pacer.wait().await;
        }
        let took = (Instant::now() - start).as_secs_f64();
        assert!((took - 139.0 / 14.0).abs() < 0.01, "{took}");
    }

    /// Answers every second send as the provider would: not taken, either "unavailable" or "slow down".
    struct EverySecondNotTaken {
        throttled: bool,
        calls: Mutex<u32>,
        taken: Mutex<Vec<Duration>>,
        start: Instant,
    }

    #[async_trait]
    impl EmailSender for EverySecondNotTaken {
        async fn send_email(&self, _: &EmailMessage, _: &str) -> Result<MessageId, SendError> {
            let mut calls = self.calls.lock().unwrap();
            *calls += 1;
            if calls.is_multiple_of(2) {
                let e = anyhow::anyhow!("ses SendEmail: not now");
                return Err(SendError::NotTaken(if self.throttled { e.context(crate::ports::messaging::RateExceeded) } else { e }));
            }
            self.taken.lock().unwrap().push(Instant::now() - self.start);
            Ok(MessageId("m".into()))
        }
    }

    async fn taken_at(throttled: bool) -> Vec<u128> {
        let sender = EverySecondNotTaken { throttled, calls: Mutex::new(0), taken: Mutex::new(Vec::new()), start: Instant::now() };
        let paced = Paced::new(sender, 10.0);
        let message = EmailMessage {
            to: crate::domain::Email::parse("a@example.org").unwrap(),
            subject: "s".into(),
            text: "t".into(),
            unsubscribe_url: None,
        };
        for _ in 0..10 {
            let _ = paced.send_email(&message, "k").await;
        }
        paced.inner.taken.lock().unwrap().iter().map(Duration::as_millis).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_the_provider_did_not_count_gives_its_slot_back_and_a_throttled_one_does_not() {
        // 10 a second, every second send answered "unavailable": the provider takes one message per slot.
        assert_eq!(taken_at(false).await, vec![0, 100, 200, 300, 400]);
        // Answered "slow down": the slot was spent, and the taken messages are two slots apart.
        assert_eq!(taken_at(true).await, vec![0, 200, 400, 600, 800]);
    }

    #[test]
    #[should_panic(expected = "a send rate must be a positive number")]
    fn a_rate_of_zero_is_refused() {
        let _ = Pacer::new(0.0);
    }
}
