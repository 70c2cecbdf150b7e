//! The stored records of a subscription (the subscription itself, its place in each region's list, what is sealed
//! in it) and the keys of the lookup items that point to it: contact indexes, pending indexes, unsubscribe tokens.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keyring::open_contact;
use super::{Channel, SubscriptionStatus};
use crate::domain::{Email, PhoneNumber, Region, SubscriptionId};
use crate::ports::tables::from_item;
use crate::ports::{EncryptionContext, Key, KeyError, KeyService, MacPurpose, StoreError, Table, Tables};
use crate::seal::SealError;
use crate::seal::Sealed;

/// What is sealed for a subscription: the contacts, the unsubscribe token, and the code while it is pending.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriberPrivate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    pub unsubscribe_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl Drop for SubscriberPrivate {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.unsubscribe_token.zeroize();
        if let Some(c) = self.code.as_mut() {
            c.zeroize();
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub subscription_id: SubscriptionId,
    pub status: SubscriptionStatus,
    pub regions: Vec<Region>,
    pub channels: Vec<Channel>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_hash: Option<String>,
    #[serde(default)]
    pub code_expires_at: i64,
    #[serde(default)]
    pub code_attempts: i64,
    #[serde(default)]
    pub code_generation: i64,
    pub contact_key_id: String,
    /// The contacts, sealed under the month's shared contact key with this subscription as associated data.
    pub sealed: Sealed<SubscriberPrivate>,
    #[serde(default)]
    pub contact_indexes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

pub const SUBSCRIPTION_KIND: &str = "subscription";
pub const MEMBERSHIP_KIND: &str = "membership";

impl SubscriptionRecord {
    pub fn key(id: &SubscriptionId) -> Key {
        Key::new(format!("SUB#{id}"), "SUB")
    }

    pub fn context(id: &SubscriptionId) -> EncryptionContext {
        EncryptionContext::new(Table::Subscribers.as_str(), "contact", id.as_str())
    }

    pub async fn open(&self, keys: &dyn KeyService) -> Result<SubscriberPrivate, SealError> {
        open_contact(keys, &self.sealed, &self.contact_key_id, &self.subscription_id).await
    }
}

/// A subscriber's place in a region's list: what delivery reads to fan an alert out, with a copy of the sealed contact
/// so no second read is needed per subscriber.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub subscription_id: SubscriptionId,
    pub channels: Vec<Channel>,
    pub contact_key_id: String,
    /// The contacts, sealed under the month's shared contact key with this subscription as associated data.
    pub sealed: Sealed<SubscriberPrivate>,
}

impl Membership {
    pub fn partition(region: Region) -> String {
        format!("REGION#{}", region.as_str())
    }

    pub fn key(region: Region, id: &SubscriptionId) -> Key {
        Key::new(Self::partition(region), format!("SUB#{id}"))
    }
}

/// A contact's blind index: HMAC of its canonical form, hex.
pub(super) async fn contact_index(keys: &dyn KeyService, canonical: &str) -> Result<String, KeyError> {
    let mac = keys.mac(MacPurpose::SubscriberContact, canonical.as_bytes()).await?;
    Ok(hex::encode(mac))
}

pub(super) fn index_key(hex: &str) -> Key {
    Key::new(format!("CONTACT#{hex}"), "CONTACT")
}

pub(super) fn pending_index_key(hex: &str) -> Key {
    Key::new(format!("CONTACT#{hex}"), "PENDING")
}

pub(super) fn unsubscribe_key(token: &str) -> Key {
    let digest = Sha256::digest(crate::domain::ids::normalise_base32(token).as_bytes());
    Key::new(format!("UNSUB#{}", hex::encode(digest)), "UNSUB")
}

/// Reads the id a lookup item points to.
pub(super) fn subscription_id(s: &str) -> Option<SubscriptionId> {
    SubscriptionId::parse(s).ok()
}

pub async fn get_subscription(tables: &dyn Tables, id: &SubscriptionId) -> Result<Option<SubscriptionRecord>, StoreError> {
    match tables.get(Table::Subscribers, &SubscriptionRecord::key(id)).await? {
        Some(item) => Ok(Some(from_item(item)?)),
        None => Ok(None),
    }
}
