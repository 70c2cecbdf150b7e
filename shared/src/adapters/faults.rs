//! A fault-injecting wrapper around any port adapter, for tests: "fail the next N calls as throttled", "fail every
//! call for good", "refuse the connection", "do the call but lose its answer". Calls that are not failed go to the
//! real adapter, so what a test sees after the faults is the real behaviour. (Exported behind the `mocks` feature.)

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use zeroize::Zeroizing;

use crate::ports::messaging::{EmailMessage, EmailSender, MessageId, SendError, SmsMessage, SmsSender};
use crate::ports::{
    Condition, DataKey, EncryptionContext, Item, Key, KeyError, KeyService, MacPurpose, Page, Query, StoreError, Table, Tables, Update,
};

/// What an injected failure looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Throttling: `StoreError::Unavailable`, `KeyError::Unavailable`, `SendError::NotTaken` (its rate exceeded).
    Throttled,
    /// A failure that will not pass: `StoreError::Other`, `KeyError::Other`, `SendError::Rejected`.
    Permanent,
    /// The connection is refused: the call never reaches the adapter (`SendError::NotTaken`, and `Unavailable`).
    Refused,
    /// The call reaches the adapter and does its work, then the answer is lost (a timeout, a reset connection):
    /// `SendError::Unknown`, and `Unavailable` for tables and keys.
    LostAnswer,
}

impl Fault {
    fn store(self) -> StoreError {
        match self {
            Fault::Throttled => StoreError::Unavailable(anyhow::anyhow!("injected: ThrottlingException")),
            Fault::Refused => StoreError::Unavailable(anyhow::anyhow!("injected: connection refused")),
            Fault::LostAnswer => StoreError::Unavailable(anyhow::anyhow!("injected: no answer")),
            Fault::Permanent => StoreError::Other(anyhow::anyhow!("injected: ValidationException")),
        }
    }

    fn key(self) -> KeyError {
        match self {
            Fault::Throttled => KeyError::Unavailable(anyhow::anyhow!("injected: ThrottlingException")),
            Fault::Refused => KeyError::Unavailable(anyhow::anyhow!("injected: connection refused")),
            Fault::LostAnswer => KeyError::Unavailable(anyhow::anyhow!("injected: no answer")),
            Fault::Permanent => KeyError::Other(anyhow::anyhow!("injected: DisabledException")),
        }
    }

    fn send(self) -> SendError {
        match self {
            Fault::Throttled => SendError::rate_exceeded(anyhow::anyhow!("injected: TooManyRequestsException")),
            Fault::Refused => SendError::NotTaken(anyhow::anyhow!("injected: connection refused")),
            Fault::LostAnswer => SendError::Unknown(anyhow::anyhow!("injected: no answer")),
            Fault::Permanent => SendError::Rejected(anyhow::anyhow!("injected: MessageRejected")),
        }
    }
}

/// Wraps an adapter and fails calls on demand.
#[derive(Debug, Default)]
pub struct Faulty<T> {
    inner: T,
    queued: Mutex<VecDeque<Fault>>,
    always: Mutex<Option<Fault>>,
    calls: AtomicUsize,
}

impl<T> Faulty<T> {
    pub fn new(inner: T) -> Self {
        Self { inner, queued: Mutex::new(VecDeque::new()), always: Mutex::new(None), calls: AtomicUsize::new(0) }
    }

    /// The next `n` calls fail with `fault`; later calls go through.
    pub fn fail_next(&self, n: usize, fault: Fault) -> &Self {
        self.queued.lock().unwrap_or_else(|e| e.into_inner()).extend(std::iter::repeat_n(fault, n));
        self
    }

    /// Every call fails with `fault` until `heal`.
    pub fn fail_always(&self, fault: Fault) -> &Self {
        *self.always.lock().unwrap_or_else(|e| e.into_inner()) = Some(fault);
        self
    }

    pub fn heal(&self) {
        *self.always.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.queued.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Calls made so far, failed or not.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Runs `call` unless a fault stops it first; a lost answer lets it run, then fails it.
    async fn call<R, E>(&self, error: fn(Fault) -> E, call: impl Future<Output = Result<R, E>>) -> Result<R, E> {
        match self.next_fault() {
            None => call.await,
            Some(Fault::LostAnswer) => {
                let _ = call.await;
                Err(error(Fault::LostAnswer))
            }
            Some(f) => Err(error(f)),
        }
    }

    fn next_fault(&self) -> Option<Fault> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(f) = *self.always.lock().unwrap_or_else(|e| e.into_inner()) {
            return Some(f);
        }
        self.queued.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }
}

#[async_trait]
impl<T: Tables> Tables for Faulty<T> {
    async fn expire_due(&self, table: Table, now: i64) -> Result<usize, StoreError> {
        self.call(Fault::store, self.inner.expire_due(table, now)).await
    }

    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>, StoreError> {
        self.call(Fault::store, self.inner.get(table, key)).await
    }

    async fn put(&self, table: Table, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.call(Fault::store, self.inner.put(table, item, condition)).await
    }

    async fn update(&self, table: Table, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.call(Fault::store, self.inner.update(table, key, update, condition)).await
    }

    async fn delete(&self, table: Table, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.call(Fault::store, self.inner.delete(table, key, condition)).await
    }

    async fn query(&self, table: Table, query: Query) -> Result<Page, StoreError> {
        self.call(Fault::store, self.inner.query(table, query)).await
    }
}

#[async_trait]
impl<T: KeyService> KeyService for Faulty<T> {
    async fn generate_data_key(&self, ctx: &EncryptionContext) -> Result<DataKey, KeyError> {
        self.call(Fault::key, self.inner.generate_data_key(ctx)).await
    }

    async fn decrypt_data_key(&self, wrapped: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        self.call(Fault::key, self.inner.decrypt_data_key(wrapped, ctx)).await
    }

    async fn mac(&self, purpose: MacPurpose, message: &[u8]) -> Result<[u8; 32], KeyError> {
        self.call(Fault::key, self.inner.mac(purpose, message)).await
    }
}

#[async_trait]
impl<T: EmailSender> EmailSender for Faulty<T> {
    async fn send_email(&self, message: &EmailMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        self.call(Fault::send, self.inner.send_email(message, idempotency_key)).await
    }
}

#[async_trait]
impl<T: SmsSender> SmsSender for Faulty<T> {
    async fn send_sms(&self, message: &SmsMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        self.call(Fault::send, self.inner.send_sms(message, idempotency_key)).await
    }

    async fn opted_out(&self, to: &crate::domain::PhoneNumber) -> Result<bool, SendError> {
        self.inner.opted_out(to).await
    }
}
