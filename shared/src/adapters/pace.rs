//! Pacing in front of a sender: no more sends a second than the provider takes (SES's maximum send rate, the SMS
//! throughput of the origination identity), spread evenly, so that the provider is not answered with a burst it
//! throttles and the throttled sends are not retried into it again.
//!
//! Each send waits for its slot: slots are `1 / rate` seconds apart, handed out in the order sends ask for them. A
//! sender that fell behind (a pause between two stream batches, a straggler's retry) may catch up on the slots it
//! missed in the last half second, no more: the provider's own allowance refilled in the same pause, so that small
//! burst is taken, and a long quiet spell earns nothing more (the fan-out bench, with faults using the provider's rate
//! and no slots given back: 93.8% of the rate taken with half a second, 92.6% with a quarter, 87.8% with none). The
//! pacer is per process, and each instance paces to the whole account rate (the template's `SesMaxSendRate`): one
//! alert's deliveries usually stream to one instance. A throttling answer that still comes (another instance or sender
//! on the same account) is retried by the retry wrapper around this one, which waits for a fresh slot each time.
//!
//! A provider's rate counts the messages it accepts (SES: "the maximum number of emails that Amazon SES can accept
//! from your account per second"). A send it did not take for another reason than the rate (503 "unavailable", no
//! connection) gives its slot back, so that its retry, or the next send, uses it; a throttled send keeps its slot,
//! since the provider has just said the rate was spent. Without that, each transient fault would cost the sender a
//! slot the provider never counted: with 5% faults the fan-out bench had 93.8% of the rate taken keeping every slot,
//! 97.4% and 99.1% giving them back (`docs/performance.md`). Slots are given back only while the provider is taking
//! messages and only for the last half second (`Pacer::settle`), so an outage is still paced.

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
    /// The most slots that may be given back before another message is taken: the catch-up's count, at least one.
    most_credit: u32,
    slots: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    next: Option<Instant>,
    /// Slots that may still be given back: one more for each send counted, one less for each slot given back.
    credit: u32,
}

/// What became of a send, for the slot it used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider took the message, may have (its answer was lost), or refused it for good: the slot was used.
    Counted,
    /// The provider did not take it because it was sent to too fast: the slot was used all the same.
    RateExceeded,
    /// The provider did not take it for another reason (unavailable, never reached): its rate does not count it.
    NotCounted,
}

impl Outcome {
    fn of<T>(sent: &Result<T, SendError>) -> Self {
        match sent {
            Err(e) if e.is_rate_exceeded() => Outcome::RateExceeded,
            Err(e) if e.is_retryable() => Outcome::NotCounted,
            _ => Outcome::Counted,
        }
    }
}

impl Pacer {
    /// A pacer for `per_second` sends a second (above zero).
    pub fn new(per_second: f64) -> Self {
        assert!(per_second > 0.0 && per_second.is_finite(), "a send rate must be a positive number, not {per_second}");
        let interval = Duration::from_secs_f64(1.0 / per_second);
        let missed = (CATCH_UP.as_secs_f64() * per_second).floor() as u32;
        Self { interval, catch_up: interval * missed, most_credit: missed.max(1), slots: Mutex::default() }
    }

    /// Waits until this caller's slot, and says which it was.
    pub async fn wait(&self) -> Instant {
        let slot = {
            let now = Instant::now();
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            // Slots missed longer ago than `catch_up` are gone.
            let oldest = now.checked_sub(self.catch_up).unwrap_or(now);
            let slot = slots.next.map_or(now, |n| n.max(oldest));
            slots.next = Some(slot + self.interval);
            slot.max(now)
        };
        tokio::time::sleep_until(slot).await;
        slot
    }

    /// After the send in `slot`: a send the provider did not count gives its slot back, so that the next caller's slot
    /// comes one interval sooner. Only while the provider is answering (one slot given back for each send counted, at
    /// most the catch-up's worth banked): in an outage, when nothing is taken, the retries stay paced. And only a slot
    /// of the last half second: the provider's allowance for an older one has gone.
    pub fn settle(&self, slot: Instant, outcome: Outcome) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match outcome {
            Outcome::Counted => slots.credit = (slots.credit + 1).min(self.most_credit),
            Outcome::RateExceeded => {}
            Outcome::NotCounted => {
                // Half a second, not `catch_up`, which is none below two sends a second.
                let recent = slot + CATCH_UP >= Instant::now();
                if let Some(next) = slots.next
                    && recent
                    && slots.credit > 0
                {
                    slots.credit -= 1;
                    slots.next = Some(next.checked_sub(self.interval).unwrap_or(next));
                }
            }
        }
    }
}

/// A sender that waits for its pacer's slot before each send.
pub struct Paced<T> {
    inner: T,
    pacer: Pacer,
    give_back: bool,
}

impl<T> Paced<T> {
    pub fn new(inner: T, per_second: f64) -> Self {
        Self { inner, pacer: Pacer::new(per_second), give_back: true }
    }

    /// The same, but every send keeps its slot, counted by the provider or not: for measuring what giving slots back
    /// is worth (the fan-out bench's `NUM_BENCH_GIVE_BACK=0`).
    pub fn keeping_every_slot(inner: T, per_second: f64) -> Self {
        Self { give_back: false, ..Self::new(inner, per_second) }
    }

    /// One send in its slot, settled by its answer.
    async fn send<R>(&self, send: impl std::future::Future<Output = Result<R, SendError>>) -> Result<R, SendError> {
        let slot = self.pacer.wait().await;
        let sent = send.await;
        if self.give_back {
            self.pacer.settle(slot, Outcome::of(&sent));
        }
        sent
    }
}

#[async_trait]
impl<T: EmailSender> EmailSender for Paced<T> {
    async fn send_email(&self, message: &EmailMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        self.send(self.inner.send_email(message, idempotency_key)).await
    }
}

#[async_trait]
impl<T: SmsSender> SmsSender for Paced<T> {
    async fn send_sms(&self, message: &SmsMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        self.send(self.inner.send_sms(message, idempotency_key)).await
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

    /// One send after another, each settled with its outcome: when each went, in ms from `start`.
    async fn slots_of(pacer: &Pacer, start: Instant, outcomes: &[Outcome]) -> Vec<u128> {
        let mut at = Vec::new();
        for outcome in outcomes {
            let slot = pacer.wait().await;
            pacer.settle(slot, *outcome);
            at.push((slot - start).as_millis());
        }
        at
    }

    /// Ten sends at 10 a second, every second one answered `odd`: when the taken ones went, in ms from the start.
    async fn taken_at(odd: Outcome) -> Vec<u128> {
        let outcomes: Vec<Outcome> = (0..10).map(|i| if i % 2 == 1 { odd } else { Outcome::Counted }).collect();
        let at = slots_of(&Pacer::new(10.0), Instant::now(), &outcomes).await;
        at.into_iter().zip(outcomes).filter(|(_, o)| *o == Outcome::Counted).map(|(t, _)| t).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_the_provider_did_not_count_gives_its_slot_back_and_a_throttled_one_does_not() {
        // Every second send answered "unavailable": its retry goes in the same slot, one message taken per slot.
        assert_eq!(taken_at(Outcome::NotCounted).await, vec![0, 100, 200, 300, 400]);
        // Answered "slow down": the slot was spent, and the taken messages are two slots apart.
        assert_eq!(taken_at(Outcome::RateExceeded).await, vec![0, 200, 400, 600, 800]);
    }

    #[tokio::test(start_paused = true)]
    async fn in_an_outage_the_sends_stay_paced() {
        use Outcome::{Counted, NotCounted};
        let (pacer, start) = (Pacer::new(10.0), Instant::now());
        // Nothing taken, nothing to give back: ten refusals 100 ms apart.
        assert_eq!(slots_of(&pacer, start, &[NotCounted; 10]).await, (0..10).map(|i| i * 100).collect::<Vec<u128>>());
        // One message taken earns one slot back, not two.
        assert_eq!(slots_of(&pacer, start, &[Counted, NotCounted, NotCounted, Counted]).await, vec![1000, 1100, 1100, 1200]);
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_half_a_second_of_slots_is_banked_and_at_least_one() {
        use Outcome::{Counted, NotCounted};
        // 10 a second: six sends counted bank five slots (half a second's worth), so of seven refusals five give
        // their slots back.
        let at = slots_of(&Pacer::new(10.0), Instant::now(), &[[Counted; 6].as_slice(), &[NotCounted; 7]].concat()).await;
        assert_eq!(at, vec![0, 100, 200, 300, 400, 500, 600, 600, 600, 600, 600, 600, 700]);
        // 1 a second, where half a second holds no whole slot: one is banked all the same.
        let at = slots_of(&Pacer::new(1.0), Instant::now(), &[Counted, Counted, NotCounted, NotCounted, NotCounted]).await;
        assert_eq!(at, vec![0, 1000, 2000, 2000, 3000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_older_than_the_catch_up_is_not_given_back() {
        let pacer = Pacer::new(10.0);
        let start = Instant::now();
        let first = pacer.wait().await;
        pacer.settle(first, Outcome::Counted);
        for _ in 0..10 {
            pacer.wait().await;
        }
        // A second after its slot, the first send's answer says it was not taken: too late to give that slot back.
        pacer.settle(first, Outcome::NotCounted);
        let late = pacer.wait().await;
        assert_eq!((late - start).as_millis(), 1100);
        // A recent one is given back: the next caller shares its slot.
        pacer.settle(late, Outcome::NotCounted);
        assert_eq!((pacer.wait().await - start).as_millis(), 1100);
    }

    #[test]
    fn an_answer_says_whether_its_slot_was_counted() {
        let of = |e: SendError| Outcome::of::<()>(&Err(e));
        let e = || anyhow::anyhow!("ses SendEmail");
        assert_eq!(of(SendError::NotTaken(e())), Outcome::NotCounted);
        assert_eq!(of(SendError::rate_exceeded(e())), Outcome::RateExceeded);
        assert_eq!(of(SendError::Unknown(e())), Outcome::Counted, "it may have been taken");
        assert_eq!(of(SendError::Rejected(e())), Outcome::Counted);
        assert_eq!(Outcome::of(&Ok(())), Outcome::Counted);
    }

    #[test]
    #[should_panic(expected = "a send rate must be a positive number")]
    fn a_rate_of_zero_is_refused() {
        let _ = Pacer::new(0.0);
    }
}
