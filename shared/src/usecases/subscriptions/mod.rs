//! Members subscribe to alerts for regions, by email, SMS or both.
//!
//! Contacts are sealed. A keyed hash of each contact (a blind index) finds an existing subscription for the same email
//! or phone without storing either in the clear, so the same contact never holds two active subscriptions.
//! Subscribing does not tell a caller whether a contact is already subscribed: the answer is always "a code is on its
//! way", and the code goes to the contact itself.
//!
//! Contacts are sealed under a data key shared by all subscriptions of a month (a keyring entry), with each record's
//! own context as the AEAD's associated data: delivering one alert to ten thousand members then opens one data key,
//! not ten thousand, while a sealed contact still opens only on its own record. A per-record key would cost a KMS call
//! per message; caching cannot help there, since every key would be different.

mod help_desk;
mod keyring;
mod lifecycle;
mod records;
mod request;

pub use crate::domain::status::{Channel, SubscriptionStatus};
pub use help_desk::{FindError, FindRequest, ResendError, SubscriptionView, contact_index_of, find_by_contact, find_by_index, resend_code};
pub use keyring::{KeyringError, open_contact};
pub use lifecycle::{
    CODE_TTL_MINUTES, MAX_CODE_ATTEMPTS, PENDING_TTL_DAYS, StopError, SubscribeError, UnsubscribeError, VerifyError, end_subscription,
    import_verified, sms_stop, subscribe, unsubscribe, verify,
};
pub use records::{MEMBERSHIP_KIND, Membership, SUBSCRIPTION_KIND, SubscriberPrivate, SubscriptionRecord, get_subscription};
pub use request::{RequestError, SubscribeRequest, ValidSubscribeRequest};

pub type SubscriptionDeps = super::Deps;
