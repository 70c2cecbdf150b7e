//! Delivery: when an alert is published, one delivery item per (alert, subscriber, channel) for every active
//! subscriber of its regions; each item, once written, is sent once.
//!
//! Both steps run from the alerts table's stream, never as a second write after the first: publication (a MODIFY to
//! `published`) fans out; each delivery item's INSERT sends. A send first claims its item (`pending` → `sending`, a
//! conditional write), then sends, then marks it `sent`. A retry finds the claim and does not send again: a handler
//! that died between sending and marking leaves the item `unconfirmed` rather than risk a second message, and so does
//! a send without a clear answer (`SendError::Unknown`: a timeout, a lost answer). A send the provider certainly did
//! not take (`SendError::NotTaken`) puts the item back to `pending` and reports the record as failed, so the stream
//! retries it; after `MAX_ATTEMPTS` it ends `failed`, which staff see in the counts.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::alert::Alert;
pub use crate::domain::status::{DeliveryStatus, SendFailure};
use crate::domain::{AlertId, SubscriptionId};
/// The rendering helpers the members' page shares with the messages.
pub use crate::messages::{categories, vehicle_line, words};
use crate::messages::{code_email, code_sms, render_email, render_sms};
use crate::ports::messaging::{EmailMessage, EmailSender, SendError, SmsMessage, SmsSender};
use crate::ports::stream::{Change, StreamRecord};
use crate::ports::tables::{AttributeValue, Item, attr_str, from_item, query_all, s, to_item};
use crate::ports::{Clock, Condition, Index, Key, KeyService, Query, SortCondition, StoreError, Table, Tables, Update};
use crate::seal::SealError;
use crate::stream_batch::{RecordError, RecordHandler};
use crate::usecases::alerts::{ALERT_KIND, AlertRecord, AlertStatus};
use crate::usecases::submit_report::serde_bytes_b;
use crate::usecases::subscriptions::{
    Channel, MEMBERSHIP_KIND, Membership, SUBSCRIPTION_KIND, SubscriptionRecord, SubscriptionStatus, open_contact,
};

pub const DELIVERY_KIND: &str = "delivery";
/// Sends tried per delivery before it ends `failed`.
pub const MAX_ATTEMPTS: i64 = 5;
/// Delivery items of one alert are spread over this many partitions, so a large fan-out does not write faster than
/// one DynamoDB partition takes.
pub const DELIVERY_SHARDS: u32 = 8;
/// Records of different items handled at once within one stream batch.
const CONCURRENCY: usize = 16;

/// The condition that a delivery is in `status` now.
fn status_is(status: DeliveryStatus) -> Condition {
    Condition::Equals("status".into(), status.into())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub alert_id: AlertId,
    pub subscription_id: SubscriptionId,
    pub channel: Channel,
    pub status: DeliveryStatus,
    #[serde(default)]
    pub attempts: i64,
    pub created_at: String,
    pub contact_key_id: String,
    #[serde(with = "serde_bytes_b")]
    pub sealed: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
}

impl DeliveryRecord {
    fn shard(sub: &SubscriptionId) -> u32 {
        let d = Sha256::digest(sub.as_str().as_bytes());
        u32::from(d[0]) % DELIVERY_SHARDS
    }

    pub fn partition(alert: &AlertId, shard: u32) -> String {
        format!("DELIVERIES#{alert}#{shard}")
    }

    pub fn key(alert: &AlertId, sub: &SubscriptionId, channel: Channel) -> Key {
        Key::new(Self::partition(alert, Self::shard(sub)), format!("{}#{sub}", channel.as_str()))
    }
}

#[derive(Clone)]
pub struct DeliverDeps {
    pub tables: Arc<dyn Tables>,
    pub keys: Arc<dyn KeyService>,
    pub email: Arc<dyn EmailSender>,
    pub sms: Arc<dyn SmsSender>,
    pub clock: Arc<dyn Clock>,
    /// The public site, for links in messages (no trailing slash).
    pub site_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("the alerts or subscribers table failed")]
    Store(#[from] StoreError),
    #[error("opening the alert or a contact failed")]
    Seal(#[from] SealError),
    #[error("a transient send failure; the stream retries it")]
    Transient,
}

/// What the alerts stream handler does: fans out publications and sends delivery items.
pub struct AlertStreamHandler {
    deps: DeliverDeps,
    alerts: Mutex<HashMap<AlertId, (Instant, Arc<Alert>)>>,
}

impl AlertStreamHandler {
    pub fn new(deps: DeliverDeps) -> Self {
        Self { deps, alerts: Mutex::new(HashMap::new()) }
    }

    /// The published alert, opened once per minute per process rather than once per message.
    async fn alert(&self, id: &AlertId) -> Result<Option<Arc<Alert>>, DeliverError> {
        if let Some((at, a)) = self.alerts.lock().unwrap_or_else(|e| e.into_inner()).get(id)
            && at.elapsed() < Duration::from_secs(60)
        {
            return Ok(Some(a.clone()));
        }
        let Some(item) = self.deps.tables.get(Table::Alerts, &AlertRecord::key(id)).await? else { return Ok(None) };
        let rec: AlertRecord = from_item(item)?;
        if rec.status != AlertStatus::Published {
            return Ok(None);
        }
        let alert = Arc::new(rec.open(self.deps.keys.as_ref()).await?);
        self.alerts.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), (Instant::now(), alert.clone()));
        Ok(Some(alert))
    }

    async fn on_record(&self, rec: &StreamRecord) -> Result<(), DeliverError> {
        let new = &rec.change.new_image;
        let change = Change::of(rec);
        match attr_str(new, "kind") {
            Some(ALERT_KIND) if matches!(change, Some(Change::Modify | Change::Insert)) => {
                let now_published = AlertStatus::of(new, "status") == Some(AlertStatus::Published);
                let was_published = AlertStatus::of(&rec.change.old_image, "status") == Some(AlertStatus::Published);
                if now_published && !was_published {
                    let alert: AlertRecord = from_item(new.clone())?;
                    fan_out(&self.deps, &alert).await?;
                }
                Ok(())
            }
            Some(DELIVERY_KIND) if change == Some(Change::Insert) => {
                let d: DeliveryRecord = from_item(new.clone())?;
                self.send(&d).await
            }
            _ => Ok(()),
        }
    }

    async fn send(&self, d: &DeliveryRecord) -> Result<(), DeliverError> {
        let key = DeliveryRecord::key(&d.alert_id, &d.subscription_id, d.channel);
        // Read the item as it is now: a retried record may be long settled.
        let Some(item) = self.deps.tables.get(Table::Alerts, &key).await? else { return Ok(()) };
        let current: DeliveryRecord = from_item(item)?;
        match current.status {
            DeliveryStatus::Pending => {}
            DeliveryStatus::Sending => {
                // A previous run claimed it and never finished: the message may have gone. Never risk a second one.
                let update = Update::default().set("status", DeliveryStatus::Unconfirmed);
                match self.deps.tables.update(Table::Alerts, &key, update, status_is(DeliveryStatus::Sending)).await {
                    Ok(_) | Err(StoreError::ConditionFailed) => {}
                    Err(e) => return Err(e.into()),
                }
                tracing::warn!(alert_id = %d.alert_id, subscription_id = %d.subscription_id, channel = d.channel.as_str(), "delivery unconfirmed after an interrupted send");
                return Ok(());
            }
            DeliveryStatus::Sent | DeliveryStatus::Failed | DeliveryStatus::Unconfirmed => return Ok(()),
        }
        let Some(alert) = self.alert(&d.alert_id).await? else { return Ok(()) };
        let contact = open_contact(self.deps.keys.as_ref(), &current.sealed, &current.contact_key_id, &current.subscription_id).await?;
        let attempts = current.attempts + 1;
        let claim = Update::default().set("status", DeliveryStatus::Sending).set("attempts", AttributeValue::N(attempts.to_string()));
        match self.deps.tables.update(Table::Alerts, &key, claim, status_is(DeliveryStatus::Pending)).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let idem = format!("{}:{}:{}", d.alert_id, d.subscription_id, d.channel.as_str());
        let unsubscribe_url = format!("{}/unsubscribe?token={}", self.deps.site_url, contact.unsubscribe_token);
        let result = match (d.channel, &contact.email, &contact.phone) {
            (Channel::Email, Some(to), _) => {
                let (subject, text) = render_email(&alert, &d.alert_id, &self.deps.site_url, &unsubscribe_url);
                self.deps
                    .email
                    .send_email(&EmailMessage { to: to.clone(), subject, text, unsubscribe_url: Some(unsubscribe_url) }, &idem)
                    .await
            }
            (Channel::Sms, _, Some(to)) => {
                let text = render_sms(&alert, &d.alert_id, &self.deps.site_url);
                self.deps.sms.send_sms(&SmsMessage { to: to.clone(), text }, &idem).await
            }
            _ => Err(SendError::Rejected(anyhow::anyhow!("the subscription has no contact for this channel"))),
        };
        drop(contact);
        let now = self.deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (update, outcome) = match &result {
            Ok(id) => (
                Update::default().set("status", DeliveryStatus::Sent).set("sent_at", s(now)).set("provider_message_id", s(id.0.clone())),
                Ok(()),
            ),
            // The provider certainly did not take it: the stream sends again.
            Err(SendError::NotTaken(_)) if attempts < MAX_ATTEMPTS => (
                Update::default().set("status", DeliveryStatus::Pending).set("error_kind", SendFailure::Transient),
                Err(DeliverError::Transient),
            ),
            // It may have gone (a timeout, a lost answer): never risk a second message.
            Err(SendError::Unknown(_)) => {
                (Update::default().set("status", DeliveryStatus::Unconfirmed).set("error_kind", SendFailure::NoAnswer), Ok(()))
            }
            Err(e) => (
                Update::default()
                    .set("status", DeliveryStatus::Failed)
                    .set("failed_at", s(now))
                    .set("error_kind", if e.is_retryable() { SendFailure::GaveUp } else { SendFailure::Permanent }),
                Ok(()),
            ),
        };
        self.deps.tables.update(Table::Alerts, &key, update, status_is(DeliveryStatus::Sending)).await?;
        match &result {
            Ok(_) => {
                tracing::info!(alert_id = %d.alert_id, subscription_id = %d.subscription_id, channel = d.channel.as_str(), attempts, "delivery sent")
            }
            Err(e) => {
                tracing::warn!(alert_id = %d.alert_id, subscription_id = %d.subscription_id, channel = d.channel.as_str(), attempts, error.kind = e.kind(), "delivery not sent")
            }
        }
        outcome
    }
}

#[async_trait]
impl RecordHandler for AlertStreamHandler {
    /// Sends to different members overlap; the runner keeps one item's records in order.
    fn concurrency(&self) -> usize {
        CONCURRENCY
    }

    async fn handle_record(&self, record: &StreamRecord) -> Result<(), RecordError> {
        Ok(self.on_record(record).await?)
    }
}

/// Writes the delivery items for a published alert. Safe to repeat: items already written stay as they are.
pub async fn fan_out(deps: &DeliverDeps, alert: &AlertRecord) -> Result<usize, DeliverError> {
    let mut seen = BTreeSet::new();
    let mut items: Vec<Item> = Vec::new();
    let now = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for region in &alert.regions {
        let mut q = Query::partition(Index::Primary, Membership::partition(*region));
        q.sort = SortCondition::BeginsWith("SUB#".into());
        q.limit = 1000;
        for item in query_all(deps.tables.as_ref(), Table::Subscribers, q).await? {
            if attr_str(&item, "kind") != Some(MEMBERSHIP_KIND) {
                continue;
            }
            let m: Membership = from_item(item)?;
            for ch in &m.channels {
                if !seen.insert((m.subscription_id.clone(), *ch)) {
                    continue;
                }
                let key = DeliveryRecord::key(&alert.alert_id, &m.subscription_id, *ch);
                items.push(to_item(&DeliveryRecord {
                    pk: key.pk,
                    sk: key.sk,
                    kind: DELIVERY_KIND.into(),
                    alert_id: alert.alert_id.clone(),
                    subscription_id: m.subscription_id.clone(),
                    channel: *ch,
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    created_at: now.clone(),
                    contact_key_id: m.contact_key_id.clone(),
                    sealed: m.sealed.clone(),
                    error_kind: None,
                })?);
            }
        }
    }
    let total = items.len();
    let mut written = 0;
    for chunk in items.chunks(500) {
        written += deps.tables.put_new_many(Table::Alerts, chunk.to_vec()).await?;
    }
    tracing::info!(alert_id = %alert.alert_id, deliveries = total, new = written, "alert fanned out");
    Ok(total)
}

/// Delivery counts for staff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
    /// Sends interrupted after the message may have gone: not repeated, not known to have arrived.
    pub unconfirmed: u64,
}

pub async fn delivery_counts(tables: &dyn Tables, alert: &AlertId) -> Result<DeliveryCounts, StoreError> {
    let mut c = DeliveryCounts::default();
    for shard in 0..DELIVERY_SHARDS {
        let mut q = Query::partition(Index::Primary, DeliveryRecord::partition(alert, shard));
        q.limit = 1000;
        for item in query_all(tables, Table::Alerts, q).await? {
            match DeliveryStatus::of(&item, "status") {
                Some(DeliveryStatus::Pending | DeliveryStatus::Sending) => c.pending += 1,
                Some(DeliveryStatus::Sent) => c.sent += 1,
                Some(DeliveryStatus::Failed) => c.failed += 1,
                Some(DeliveryStatus::Unconfirmed) => c.unconfirmed += 1,
                None => {}
            }
        }
    }
    Ok(c)
}

// ---- verification codes, from the subscribers stream ----

/// What the subscribers stream handler does: sends each new code to the contacts of a pending subscription.
pub struct SubscriberStreamHandler {
    deps: DeliverDeps,
}

impl SubscriberStreamHandler {
    pub fn new(deps: DeliverDeps) -> Self {
        Self { deps }
    }

    async fn on_record(&self, rec: &StreamRecord) -> Result<(), DeliverError> {
        let new = &rec.change.new_image;
        if attr_str(new, "kind") != Some(SUBSCRIPTION_KIND) || SubscriptionStatus::of(new, "status") != Some(SubscriptionStatus::Pending) {
            return Ok(());
        }
        if rec.change.old_image.get("code_generation") == new.get("code_generation") && Change::of(rec) != Some(Change::Insert) {
            return Ok(());
        }
        let sub: SubscriptionRecord = from_item(new.clone())?;
        // Claim this code generation, so a retry never sends the same code twice.
        let key = SubscriptionRecord::key(&sub.subscription_id);
        let gen_value = AttributeValue::N(sub.code_generation.to_string());
        let claim = Update::default().set("code_sent_generation", gen_value.clone());
        let cond = Condition::And(vec![
            Condition::Equals("code_generation".into(), gen_value.clone()),
            Condition::Equals("status".into(), SubscriptionStatus::Pending.into()),
        ]);
        let current = self.deps.tables.get(Table::Subscribers, &key).await?;
        if current.as_ref().and_then(|i| i.get("code_sent_generation")) == Some(&gen_value) {
            return Ok(());
        }
        match self.deps.tables.update(Table::Subscribers, &key, claim, cond).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let contact = sub.open(self.deps.keys.as_ref()).await?;
        let Some(code) = contact.code.clone() else { return Ok(()) };
        let idem = format!("code:{}:{}", sub.subscription_id, sub.code_generation);
        let mut transient = false;
        if let Some(to) = &contact.email {
            let (subject, text) = code_email(&code);
            let msg = EmailMessage { to: to.clone(), subject, text, unsubscribe_url: None };
            if let Err(e) = self.deps.email.send_email(&msg, &idem).await {
                tracing::warn!(subscription_id = %sub.subscription_id, error.kind = e.kind(), "verification email not sent");
                transient |= e.is_retryable();
            }
        }
        if let Some(to) = &contact.phone {
            let msg = SmsMessage { to: to.clone(), text: code_sms(&code) };
            if let Err(e) = self.deps.sms.send_sms(&msg, &idem).await {
                tracing::warn!(subscription_id = %sub.subscription_id, error.kind = e.kind(), "verification text not sent");
                transient |= e.is_retryable();
            }
        }
        if transient {
            // Give the claim back so the stream's retry sends the code again; a permanent refusal is final, and so is
            // a send that may have gone (no second code: the member can ask for a new one, as the help desk can).
            let release = Update::default().remove("code_sent_generation");
            self.deps.tables.update(Table::Subscribers, &key, release, Condition::Equals("code_sent_generation".into(), gen_value)).await?;
            return Err(DeliverError::Transient);
        }
        tracing::info!(subscription_id = %sub.subscription_id, "verification code sent");
        Ok(())
    }
}

#[async_trait]
impl RecordHandler for SubscriberStreamHandler {
    fn concurrency(&self) -> usize {
        CONCURRENCY
    }

    async fn handle_record(&self, record: &StreamRecord) -> Result<(), RecordError> {
        Ok(self.on_record(record).await?)
    }
}
