//! The stored records of a subscription (the subscription itself, its place in each region's list, what is sealed
//! in it) and the keys of the lookup items that point to it: contact indexes, pending indexes, unsubscribe tokens.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keyring::open_contact;
use super::{Channel, SubscriptionStatus};
use crate::domain::{Email, PhoneNumber, Region, SubscriptionId};
use crate::i18n::Lang;
use crate::ports::tables::from_item;
use crate::ports::{EncryptionContext, Key, KeyError, KeyService, MacPurpose, StoreError, Table, Tables};
use crate::seal::SealError;
use crate::seal::Sealed;

/// What is sealed for a subscription: the contacts, the unsubscribe token, and each contact's own code while it waits
/// to be verified.
///
/// It is neither `Debug` nor `Clone`: a contact never reaches a log line by accident, and there is one copy in memory
/// to wipe. Every field is zeroed when it is dropped (`Email` and `PhoneNumber` wipe their own text). The compiler
/// holds both rules (the first example compiles, so the two after it fail for the reason given):
///
/// ```
/// fn has_email(p: &shared::usecases::subscriptions::SubscriberPrivate) -> bool {
///     p.email.is_some()
/// }
/// ```
///
/// ```compile_fail
/// fn copy(p: &shared::usecases::subscriptions::SubscriberPrivate) -> shared::usecases::subscriptions::SubscriberPrivate {
///     p.clone()
/// }
/// ```
///
/// ```compile_fail
/// fn show(p: &shared::usecases::subscriptions::SubscriberPrivate) -> String {
///     format!("{p:?}")
/// }
/// ```
#[derive(Serialize, Deserialize)]
pub struct SubscriberPrivate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    pub unsubscribe_token: String,
    /// The code sent to the email address, until that address is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_code: Option<String>,
    /// The code sent to the phone, until that number is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_code: Option<String>,
}

impl SubscriberPrivate {
    /// The code waiting for one contact.
    pub fn code_for(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Email => self.email_code.as_deref(),
            Channel::Sms => self.sms_code.as_deref(),
        }
    }

    /// Takes one contact (and its code) out.
    pub fn forget(&mut self, channel: Channel) {
        use zeroize::Zeroize;
        match channel {
            Channel::Email => {
                self.email = None;
                self.email_code.zeroize();
                self.email_code = None;
            }
            Channel::Sms => {
                self.phone = None;
                self.sms_code.zeroize();
                self.sms_code = None;
            }
        }
    }
}

impl Drop for SubscriberPrivate {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.unsubscribe_token.zeroize();
        self.email_code.zeroize();
        self.sms_code.zeroize();
        // `email` and `phone` wipe their text as they drop.
    }
}

/// One contact's own verification, as the subscription record stores it (top-level attributes `<channel>_index`,
/// `<channel>_code_mac`, `<channel>_attempts`, `<channel>_verified_at`, so each can be counted and changed alone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactCheck {
    /// The contact's blind index.
    pub index: String,
    /// The keyed hash of the code sent to this contact (hex), while it waits.
    pub code_mac: Option<String>,
    /// Wrong codes tried since this contact's code was made.
    pub attempts: i64,
    pub verified_at: Option<String>,
}

/// The name of one contact's attribute, such as `email_code_mac`.
pub fn check_attr(channel: Channel, what: &str) -> String {
    format!("{}_{what}", channel.as_str())
}

/// The stored record of a subscription. An ended one keeps only its id, status and when it ended: its contacts,
/// indexes and codes are gone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub subscription_id: SubscriptionId,
    pub status: SubscriptionStatus,
    #[serde(default)]
    pub regions: Vec<Region>,
    /// The channels asked for; only those whose contact is verified are in the region lists.
    #[serde(default)]
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub created_at: String,
    /// When the first contact was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    #[serde(default)]
    pub code_expires_at: i64,
    #[serde(default)]
    pub code_generation: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_index: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_code_mac: Option<String>,
    #[serde(default)]
    pub email_attempts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_index: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_code_mac: Option<String>,
    #[serde(default)]
    pub sms_attempts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_verified_at: Option<String>,
    #[serde(default)]
    pub contact_key_id: String,
    /// The contacts, sealed under the month's shared contact key with this subscription as associated data.
    #[serde(default, skip_serializing_if = "Sealed::is_empty")]
    pub sealed: Sealed<SubscriberPrivate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The language of the member's pages and of the fixed words of their alerts (English where not given).
    #[serde(default)]
    pub language: Lang,
    /// When staff approved the request (vetting); none while it waits, or where vetting is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<String>,
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

    /// One contact's verification state, if the subscription has that contact.
    pub fn check(&self, channel: Channel) -> Option<ContactCheck> {
        let (index, code_mac, attempts, verified_at) = match channel {
            Channel::Email => (&self.email_index, &self.email_code_mac, self.email_attempts, &self.email_verified_at),
            Channel::Sms => (&self.sms_index, &self.sms_code_mac, self.sms_attempts, &self.sms_verified_at),
        };
        Some(ContactCheck { index: index.clone()?, code_mac: code_mac.clone(), attempts, verified_at: verified_at.clone() })
    }

    /// The channels whose contact was verified by its own code, in the order asked for: what delivery may use.
    pub fn verified_channels(&self) -> Vec<Channel> {
        self.channels.iter().copied().filter(|c| self.check(*c).is_some_and(|k| k.verified_at.is_some())).collect()
    }

    /// The channels whose contact still waits for its code.
    pub fn waiting_channels(&self) -> Vec<Channel> {
        self.channels.iter().copied().filter(|c| self.check(*c).is_some_and(|k| k.verified_at.is_none() && k.code_mac.is_some())).collect()
    }

    /// The blind indexes of its contacts.
    pub fn contact_indexes(&self) -> Vec<String> {
        [&self.email_index, &self.sms_index].into_iter().flatten().cloned().collect()
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
    /// The language of the member's alerts.
    #[serde(default)]
    pub language: Lang,
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

/// The token of a subscription's stop link for texts (`/stop/{token}`): 12 base32 characters (60 bits) drawn from the
/// unsubscribe token, so the deliverer, which opens the unsubscribe token anyway, needs nothing more to write the link,
/// and the link ends texts only. Knowing it tells nothing of the unsubscribe token.
pub fn sms_stop_token(unsubscribe_token: &str) -> String {
    let digest = Sha256::digest(format!("sms-stop:{}", crate::domain::ids::normalise_base32(unsubscribe_token)).as_bytes());
    crate::domain::ids::base32_of(&digest)[..12].to_owned()
}

pub(super) fn sms_stop_key(token: &str) -> Key {
    let digest = Sha256::digest(crate::domain::ids::normalise_base32(token).as_bytes());
    Key::new(format!("SMSSTOP#{}", hex::encode(digest)), "SMSSTOP")
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
