//! Members subscribe to alerts for regions, by email, SMS or both.
//!
//! Contacts are sealed. A keyed hash of each contact (a blind index) finds an existing subscription for the same email
//! or phone without storing either in the clear, so the same contact never holds two active subscriptions.
//! Subscribing does not tell a caller whether a contact is already subscribed: the answer is always "a code is on its
//! way", and each contact gets its own code. A contact is used for alerts only once its own code is verified, and a
//! newer subscription takes a contact from an older one only then, and only that contact.
//!
//! Contacts are sealed under a data key shared by all subscriptions of a month (a keyring entry), with each record's
//! own context as the AEAD's associated data: delivering one alert to ten thousand members then opens one data key,
//! not ten thousand, while a sealed contact still opens only on its own record. A per-record key would cost a KMS call
//! per message; caching cannot help there, since every key would be different.

mod codes;
mod help_desk;
mod keyring;
mod lifecycle;
mod members;
mod records;
mod request;
mod vetting;

pub use crate::domain::status::{Channel, SubscriptionStatus};
pub use codes::{
    BUDGET_SPENT_LOG, CODES_PER_CONTACT_PER_DAY, CODES_PER_CONTACT_PER_HOUR, CodeLimits, CodeRefusal, DEFAULT_CODE_BUDGET_PER_DAY,
};
pub use help_desk::{FindError, FindRequest, ResendError, SubscriptionView, contact_index_of, find_by_contact, find_by_index, resend_code};
pub use keyring::{KeyringError, open_contact};
pub use lifecycle::{
    CODE_TTL_MINUTES, MAX_CODE_ATTEMPTS, PENDING_TTL_DAYS, StopError, StopLinkError, SubscribeError, UnsubscribeError, VerifyError,
    Vetting, end_subscription, import_verified, sms_stop, stop_texts, subscribe, subscribe_within, subscription_of_token, unsubscribe,
    verify,
};
pub use members::{
    MAX_SIGN_IN_ATTEMPTS, MemberError, NewSession, SESSION_IDLE_MINUTES, SESSION_KIND, SESSION_MAX_HOURS, SIGN_IN_CODE_MINUTES,
    SIGN_IN_KIND, SessionRecord, SignInError, SignInRecord, leave, member_of_session, request_sign_in, sign_out, update_settings,
    verify_sign_in,
};
pub use records::{
    ContactCheck, MEMBERSHIP_KIND, Membership, SUBSCRIPTION_KIND, SubscriberPrivate, SubscriptionRecord, check_attr, get_subscription,
    sms_stop_token,
};
pub use request::{RequestError, SubscribeRequest, ValidSubscribeRequest};
pub use vetting::{APPROVAL_KIND, ApprovalRequest, DecisionError, approve, decline, pending_approvals};

pub type SubscriptionDeps = super::Deps;
