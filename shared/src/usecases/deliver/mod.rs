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

mod codes;
mod counts;
mod fan_out;
mod notices;
mod send;
mod trace;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use codes::SubscriberStreamHandler;
pub use counts::{DeliveryCounts, delivery_counts};
pub use fan_out::fan_out;
pub use notices::{Notice, fan_out_notices};
pub use send::AlertStreamHandler;
pub use trace::{TracedCopy, copy_in, trace_copy};

pub use crate::domain::status::{DeliveryStatus, SendFailure};
use crate::domain::{AlertId, SubscriptionId};
/// The rendering helpers the members' page shares with the messages.
pub use crate::messages::{Words, vehicle_line};
use crate::ports::messaging::{EmailSender, SmsSender};
use crate::ports::{Clock, Condition, Key, KeyService, StoreError, Tables};
use crate::seal::SealError;
use crate::seal::Sealed;
use crate::usecases::subscriptions::Channel;
use crate::usecases::subscriptions::SubscriberPrivate;

pub const DELIVERY_KIND: &str = "delivery";
/// Sends tried per delivery before it ends `failed`.
pub const MAX_ATTEMPTS: i64 = 5;
/// Delivery items of one alert are spread over this many partitions, so a large fan-out does not write faster than
/// one DynamoDB partition takes.
pub const DELIVERY_SHARDS: u32 = 8;
/// A delivery item (with its copy of the member's sealed contacts) is removed by the alerts table's TTL this many days
/// after it was written: long enough to see how an alert went out, no longer.
pub const DELIVERY_TTL_DAYS: i64 = 30;
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
    /// A copy of the member's sealed contacts, as the membership holds them.
    pub sealed: Sealed<SubscriberPrivate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    /// When the table's TTL removes the item (epoch seconds): `DELIVERY_TTL_DAYS` after it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The member's language: the fixed words of the message are in it.
    #[serde(default)]
    pub language: crate::i18n::Lang,
    /// This member's own token in the links of their copy (`?c=`): a leaked copy says whose it was
    /// (`trace_copy`). Random, and nothing without the delivery items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_token: Option<String>,
    /// Set on a notice about an alert already sent (its withdrawal, a correction), absent on the alert's own delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
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

    /// The key of this item: the alert's delivery, or a notice beside it.
    pub fn own_key(&self) -> Key {
        let k = Self::key(&self.alert_id, &self.subscription_id, self.channel);
        match self.notice {
            None => k,
            Some(n) => Key::new(k.pk, format!("{}#{}", k.sk, n.suffix())),
        }
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
