//! Retries around any adapter: transient failures (`StoreError::Unavailable`, `KeyError::Unavailable`,
//! `SendError::NotTaken`) are tried again with capped exponential backoff and full jitter, a bounded number of
//! times; everything else (a failed condition, a refused context, a rejected message) goes back to the caller at once.
//!
//! Senders are retried only when the provider certainly did not take the message (`SendError::NotTaken`: the
//! connection was refused, or throttling was answered before acceptance). A timeout or a lost answer
//! (`SendError::Unknown`) goes back at once: the message may have gone, and a retry could send it twice; the delivery
//! use case records it as unconfirmed.
//!
//! The AWS adapters make one attempt per call (`adapters::aws`), so this is the one place that retries.
//!
//! A retried write may have landed the first time (the answer was lost, not the request). For `put` that shows up as
//! `ConditionFailed` on the retry of a `NotExists` put; the wrapper then reads the item back and, if it is exactly the
//! item it was writing, reports success. Where the read is not allowed (least privilege) the `ConditionFailed` stands.
//! `update` with `add` is not idempotent: a lost answer followed by a retry can add twice. Callers that count guard
//! the update with a condition that the first write makes false.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;
use zeroize::Zeroizing;

use crate::ports::messaging::{EmailMessage, EmailSender, MessageId, SendError, SmsMessage, SmsSender};
use crate::ports::{
    Condition, DataKey, EncryptionContext, Item, Key, KeyError, KeyService, MacPurpose, Page, Query, StoreError, Table, Tables, Update,
};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The ceiling of the first wait; it doubles with each attempt.
    pub base_delay: Duration,
    /// No wait is longer than this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts, waits of up to 50, 100 and 200 ms: under half a second in all, well inside an API request.
    fn default() -> Self {
        Self { max_attempts: 4, base_delay: Duration::from_millis(50), max_delay: Duration::from_secs(2) }
    }
}

impl RetryPolicy {
    /// The longest wait after failed attempt `attempt` (1-based), before jitter.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// Full jitter: a uniform wait between zero and the ceiling, so clients that failed together don't retry together.
    fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        if ceiling.is_zero() { ceiling } else { rand::thread_rng().gen_range(Duration::ZERO..=ceiling) }
    }
}

/// What the wrapper needs to know of an error.
pub trait Transient {
    fn is_transient(&self) -> bool;
}

impl Transient for StoreError {
    fn is_transient(&self) -> bool {
        StoreError::is_transient(self)
    }
}

impl Transient for KeyError {
    fn is_transient(&self) -> bool {
        matches!(self, KeyError::Unavailable(_))
    }
}

impl Transient for SendError {
    /// Only a message the provider certainly did not take is sent again.
    fn is_transient(&self) -> bool {
        self.is_retryable()
    }
}

/// Runs `op` until it succeeds, fails for good, or the attempts run out (then the last transient error is returned).
/// `op` is told the attempt number (1-based).
pub async fn retry<T, E, F, Fut>(policy: &RetryPolicy, operation: &'static str, mut op: F) -> Result<T, E>
where
    E: Transient,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match op(attempt).await {
            Err(e) if e.is_transient() && attempt < policy.max_attempts.max(1) => {
                let wait = policy.delay(attempt);
                tracing::warn!(operation, attempt, wait_ms = wait.as_millis() as u64, "transient failure, retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => {
                if e.is_transient() {
                    tracing::warn!(operation, attempts = attempt, "transient failure, giving up");
                }
                return Err(e);
            }
            Ok(v) => return Ok(v),
        }
    }
}

/// Any port adapter, with retries.
#[derive(Debug, Clone)]
pub struct Retrying<T> {
    inner: T,
    policy: RetryPolicy,
}

impl<T> Retrying<T> {
    pub fn new(inner: T, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    pub fn inner(&self) -> &T {
        &self.inner
    }
}

#[async_trait]
impl<T: Tables> Tables for Retrying<T> {
    async fn expire_due(&self, table: Table, now: i64) -> Result<usize, StoreError> {
        // Repeating is safe: a second pass finds only what the first left.
        retry(&self.policy, "tables.expire_due", |_| self.inner.expire_due(table, now)).await
    }

    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>, StoreError> {
        retry(&self.policy, "tables.get", |_| self.inner.get(table, key)).await
    }

    async fn put(&self, table: Table, item: Item, condition: Condition) -> Result<(), StoreError> {
        let lost_answer = AtomicBool::new(false);
        let result = retry(&self.policy, "tables.put", |_| {
            let (item, condition, lost) = (item.clone(), condition.clone(), &lost_answer);
            async move {
                let r = self.inner.put(table, item, condition).await;
                if matches!(r, Err(StoreError::Unavailable(_))) {
                    lost.store(true, Ordering::Relaxed);
                }
                r
            }
        })
        .await;
        match result {
            Err(StoreError::ConditionFailed) if lost_answer.load(Ordering::Relaxed) && condition == Condition::NotExists => {
                // Did an earlier attempt land? Then this put has happened, once.
                let key = match (item.get("pk"), item.get("sk")) {
                    (Some(crate::ports::tables::AttributeValue::S(pk)), Some(crate::ports::tables::AttributeValue::S(sk))) => {
                        Key::new(pk.clone(), sk.clone())
                    }
                    _ => return Err(StoreError::ConditionFailed),
                };
                match self.inner.get(table, &key).await {
                    Ok(Some(found)) if found == item => Ok(()),
                    _ => Err(StoreError::ConditionFailed),
                }
            }
            other => other,
        }
    }

    async fn update(&self, table: Table, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        retry(&self.policy, "tables.update", |_| self.inner.update(table, key, update.clone(), condition.clone())).await
    }

    async fn delete(&self, table: Table, key: &Key, condition: Condition) -> Result<(), StoreError> {
        retry(&self.policy, "tables.delete", |_| self.inner.delete(table, key, condition.clone())).await
    }

    async fn query(&self, table: Table, query: Query) -> Result<Page, StoreError> {
        retry(&self.policy, "tables.query", |_| self.inner.query(table, query.clone())).await
    }
}

#[async_trait]
impl<T: KeyService> KeyService for Retrying<T> {
    async fn generate_data_key(&self, ctx: &EncryptionContext) -> Result<DataKey, KeyError> {
        retry(&self.policy, "keys.generate_data_key", |_| self.inner.generate_data_key(ctx)).await
    }

    async fn decrypt_data_key(&self, wrapped: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        retry(&self.policy, "keys.decrypt_data_key", |_| self.inner.decrypt_data_key(wrapped, ctx)).await
    }

    async fn mac(&self, purpose: MacPurpose, message: &[u8]) -> Result<[u8; 32], KeyError> {
        retry(&self.policy, "keys.mac", |_| self.inner.mac(purpose, message)).await
    }
}

#[async_trait]
impl<T: EmailSender> EmailSender for Retrying<T> {
    async fn send_email(&self, message: &EmailMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        retry(&self.policy, "email.send", |_| self.inner.send_email(message, idempotency_key)).await
    }
}

#[async_trait]
impl<T: SmsSender> SmsSender for Retrying<T> {
    async fn send_sms(&self, message: &SmsMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        retry(&self.policy, "sms.send", |_| self.inner.send_sms(message, idempotency_key)).await
    }

    async fn opted_out(&self, to: &crate::domain::PhoneNumber) -> Result<bool, SendError> {
        // A read: asking again is always safe.
        retry(&self.policy, "sms.opted_out", |_| self.inner.opted_out(to)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::faults::{Fault, Faulty};
    use crate::adapters::{LocalKeys, Outbox, SqliteTables};
    use crate::domain::{Email, PhoneNumber};
    use crate::ports::tables::s;

    const QUICK: RetryPolicy = RetryPolicy { max_attempts: 4, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(5) };

    fn item(pk: &str) -> Item {
        let mut i = Item::default();
        i.insert("pk".into(), s(pk));
        i.insert("sk".into(), s("A"));
        i
    }

    #[tokio::test]
    async fn throttled_writes_are_retried_until_they_land() {
        let tables = Retrying::new(Faulty::new(SqliteTables::in_memory().unwrap()), QUICK);
        tables.inner().fail_next(3, Fault::Throttled);
        tables.put(Table::Reports, item("P#1"), Condition::NotExists).await.unwrap();
        assert_eq!(tables.inner().calls(), 4);
        assert!(tables.get(Table::Reports, &Key::new("P#1", "A")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_permanent_failure_reaches_the_caller_after_one_attempt() {
        let tables = Retrying::new(Faulty::new(SqliteTables::in_memory().unwrap()), QUICK);
        tables.inner().fail_always(Fault::Permanent);
        let err = tables.put(Table::Reports, item("P#1"), Condition::Always).await.unwrap_err();
        assert!(matches!(err, StoreError::Other(_)), "{err}");
        assert_eq!(tables.inner().calls(), 1);
    }

    #[tokio::test]
    async fn a_failed_condition_is_never_retried() {
        let tables = Retrying::new(Faulty::new(SqliteTables::in_memory().unwrap()), QUICK);
        tables.put(Table::Reports, item("P#1"), Condition::NotExists).await.unwrap();
        let err = tables.put(Table::Reports, item("P#1"), Condition::NotExists).await.unwrap_err();
        assert!(matches!(err, StoreError::ConditionFailed));
        assert_eq!(tables.inner().calls(), 2);
    }

    #[tokio::test]
    async fn throttling_that_outlasts_the_attempts_is_reported_as_unavailable() {
        let tables = Retrying::new(Faulty::new(SqliteTables::in_memory().unwrap()), QUICK);
        tables.inner().fail_always(Fault::Throttled);
        let err = tables.get(Table::Reports, &Key::new("P#1", "A")).await.unwrap_err();
        assert!(err.is_transient());
        assert_eq!(tables.inner().calls(), QUICK.max_attempts as usize);
    }

    /// A put whose answer was lost (it landed, then the retry found the item there) counts as done.
    struct LandsThenTimesOut {
        inner: SqliteTables,
        first: AtomicBool,
    }

    #[async_trait]
    impl Tables for LandsThenTimesOut {
        async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>, StoreError> {
            self.inner.get(table, key).await
        }
        async fn put(&self, table: Table, item: Item, condition: Condition) -> Result<(), StoreError> {
            self.inner.put(table, item, condition).await?;
            if !self.first.swap(true, Ordering::SeqCst) {
                return Err(StoreError::Unavailable(anyhow::anyhow!("timeout after the write")));
            }
            Ok(())
        }
        async fn update(&self, table: Table, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
            self.inner.update(table, key, update, condition).await
        }
        async fn delete(&self, table: Table, key: &Key, condition: Condition) -> Result<(), StoreError> {
            self.inner.delete(table, key, condition).await
        }
        async fn query(&self, table: Table, query: Query) -> Result<Page, StoreError> {
            self.inner.query(table, query).await
        }
    }

    #[tokio::test]
    async fn a_new_item_whose_first_answer_was_lost_is_not_reported_as_a_conflict() {
        let tables = Retrying::new(LandsThenTimesOut { inner: SqliteTables::in_memory().unwrap(), first: AtomicBool::new(false) }, QUICK);
        tables.put(Table::Reports, item("P#1"), Condition::NotExists).await.unwrap();
        // Someone else's item with the same key is still a conflict.
        let mut other = item("P#1");
        other.insert("x".into(), s("y"));
        assert!(matches!(tables.put(Table::Reports, other, Condition::NotExists).await, Err(StoreError::ConditionFailed)));
    }

    #[tokio::test]
    async fn keys_and_senders_retry_transient_failures_and_pass_permanent_ones_on() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Retrying::new(Faulty::new(LocalKeys::open_or_create(dir.path()).unwrap()), QUICK);
        keys.inner().fail_next(2, Fault::Throttled);
        let ctx = EncryptionContext::new("reports", "report", "R1");
        let dk = keys.generate_data_key(&ctx).await.unwrap();
        assert_eq!(keys.inner().calls(), 3);
        keys.inner().fail_always(Fault::Permanent);
        assert!(matches!(keys.decrypt_data_key(&dk.wrapped, &ctx).await, Err(KeyError::Other(_))));
        assert_eq!(keys.inner().calls(), 4);

        let outbox = Retrying::new(Faulty::new(Outbox::new(dir.path())), QUICK);
        let email =
            EmailMessage { to: Email::parse("a@example.org").unwrap(), subject: "s".into(), text: "t".into(), unsubscribe_url: None };
        outbox.inner().fail_next(1, Fault::Throttled);
        outbox.send_email(&email, "k1").await.unwrap();
        outbox.inner().fail_next(1, Fault::Permanent);
        let sms = SmsMessage { to: PhoneNumber::parse("+447700900123").unwrap(), text: "t".into() };
        assert!(matches!(outbox.send_sms(&sms, "k2").await, Err(SendError::Rejected(_))));
        assert_eq!(outbox.inner().calls(), 3);
        assert_eq!(Outbox::read(dir.path()).unwrap().len(), 1);
    }

    #[test]
    fn waits_grow_and_are_capped() {
        let p = RetryPolicy { max_attempts: 10, base_delay: Duration::from_millis(50), max_delay: Duration::from_secs(1) };
        assert_eq!(p.ceiling(1), Duration::from_millis(50));
        assert_eq!(p.ceiling(3), Duration::from_millis(200));
        assert_eq!(p.ceiling(9), Duration::from_secs(1));
        assert_eq!(p.ceiling(64), Duration::from_secs(1));
        assert!((0..100).all(|_| p.delay(2) <= Duration::from_millis(100)));
    }
}
