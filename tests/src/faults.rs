//! Fault injection around the ports, for tests of retries and crashes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use shared::ports::messaging::{EmailMessage, EmailSender, MessageId, SendError, SmsMessage, SmsSender};
use shared::ports::tables::{AttributeValue, Condition, Item, Key, Page, Query, StoreError, Table, Tables, Update};

/// An email sender that fails the next `transient` sends for now, and every send to `permanent_to` for good.
pub struct FlakyEmail {
    pub inner: Arc<dyn EmailSender>,
    pub transient: AtomicU32,
    pub permanent_to: Option<String>,
    pub calls: AtomicU32,
}

impl FlakyEmail {
    pub fn new(inner: Arc<dyn EmailSender>, transient: u32, permanent_to: Option<&str>) -> Self {
        Self { inner, transient: AtomicU32::new(transient), permanent_to: permanent_to.map(str::to_owned), calls: AtomicU32::new(0) }
    }
}

#[async_trait]
impl EmailSender for FlakyEmail {
    async fn send_email(&self, m: &EmailMessage, key: &str) -> Result<MessageId, SendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.permanent_to.as_deref() == Some(m.to.as_str()) {
            return Err(SendError::Rejected(anyhow::anyhow!("injected: address refused")));
        }
        if self.transient.load(Ordering::SeqCst) > 0 {
            self.transient.fetch_sub(1, Ordering::SeqCst);
            return Err(SendError::rate_exceeded(anyhow::anyhow!("injected: throttled")));
        }
        self.inner.send_email(m, key).await
    }
}

/// Passes SMS through, counting.
pub struct CountingSms {
    pub inner: Arc<dyn SmsSender>,
    pub calls: AtomicU32,
}

#[async_trait]
impl SmsSender for CountingSms {
    async fn send_sms(&self, m: &SmsMessage, key: &str) -> Result<MessageId, SendError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.send_sms(m, key).await
    }

    async fn opted_out(&self, to: &shared::domain::PhoneNumber) -> Result<bool, SendError> {
        self.inner.opted_out(to).await
    }
}

/// Tables that "crash" the next `crashes` times a delivery is about to be marked sent: the write fails as a process
/// dying at that moment would leave it, after the message went.
pub struct CrashBeforeMarkingSent {
    pub inner: Arc<dyn Tables>,
    pub crashes: AtomicU32,
}

#[async_trait]
impl Tables for CrashBeforeMarkingSent {
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(table, key).await
    }
    async fn put(&self, table: Table, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.inner.put(table, item, condition).await
    }
    async fn update(&self, table: Table, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        let marks_sent = update.set.iter().any(|(n, v)| n == "status" && *v == AttributeValue::S("sent".into()));
        if marks_sent && self.crashes.load(Ordering::SeqCst) > 0 {
            self.crashes.fetch_sub(1, Ordering::SeqCst);
            return Err(StoreError::Other(anyhow::anyhow!("injected: the process died here")));
        }
        self.inner.update(table, key, update, condition).await
    }
    async fn delete(&self, table: Table, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.inner.delete(table, key, condition).await
    }
    async fn query(&self, table: Table, query: Query) -> Result<Page, StoreError> {
        self.inner.query(table, query).await
    }
    async fn put_new_many(&self, table: Table, items: Vec<Item>) -> Result<usize, StoreError> {
        self.inner.put_new_many(table, items).await
    }
}
