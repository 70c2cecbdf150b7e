//! Sending email and SMS. In the cloud: SES v2 (one message per recipient) and SNS Publish to a phone number; on one
//! machine: an outbox file in the data folder that `num outbox` reads.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{Email, PhoneNumber};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub to: Email,
    pub subject: String,
    pub text: String,
    /// A `List-Unsubscribe` target for this recipient, where the message is an alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    pub to: PhoneNumber,
    pub text: String,
}

/// Why a message did not certainly go. Providers do not deduplicate, so the kinds split on one question: could the
/// provider have taken the message? Only `NotTaken` may be sent again; `Unknown` must not be (a second send could
/// reach the member twice), and the delivery is recorded as unconfirmed instead.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The provider certainly did not take the message: the connection was refused or never made, or it answered
    /// "slow down" or "unavailable" before accepting anything. Sending again is safe.
    #[error("the message was not taken; it may be sent again")]
    NotTaken(#[source] anyhow::Error),
    /// The message can never be sent as it is (address refused, number opted out, message rejected).
    #[error("the message was refused for good")]
    Rejected(#[source] anyhow::Error),
    /// No clear answer: a timeout, a connection lost after the request went out, an answer that could not be read.
    /// The provider may have taken the message; sending again could send it twice.
    #[error("the provider may have taken the message; it gave no clear answer")]
    Unknown(#[source] anyhow::Error),
}

impl SendError {
    /// The provider's "slow down": not taken, because it was sent to too fast.
    pub fn rate_exceeded(e: anyhow::Error) -> Self {
        SendError::NotTaken(e.context(RateExceeded))
    }

    /// Whether sending again is safe and may succeed: the provider certainly did not take the message.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::NotTaken(_))
    }

    /// Whether the provider said "slow down" (throttling): the send came above the rate it takes. A pacer keeps the
    /// slot such a send used; of any other send the provider did not take it gives the slot back
    /// (`adapters::pace`), since a provider's rate counts the messages it accepts.
    pub fn is_rate_exceeded(&self) -> bool {
        matches!(self, SendError::NotTaken(e) if e.downcast_ref::<RateExceeded>().is_some())
    }

    /// A stable name for logs and stored records.
    pub fn kind(&self) -> &'static str {
        match self {
            SendError::NotTaken(_) => "not_taken",
            SendError::Rejected(_) => "rejected",
            SendError::Unknown(_) => "unknown",
        }
    }
}

/// Found in the chain of a `SendError::NotTaken` the provider answered with "slow down" (throttling, HTTP 429).
#[derive(Debug, thiserror::Error)]
#[error("the provider's sending rate was exceeded")]
pub struct RateExceeded;

/// The provider's id for a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageId(pub String);

#[async_trait]
pub trait EmailSender: Send + Sync {
    /// Sends one message to one recipient. Providers do not deduplicate: callers make sending idempotent by
    /// recording the send (see the delivery items), and pass `idempotency_key` for tracing and provider tags.
    async fn send_email(&self, message: &EmailMessage, idempotency_key: &str) -> Result<MessageId, SendError>;
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends one text to one number, as a transactional message.
    async fn send_sms(&self, message: &SmsMessage, idempotency_key: &str) -> Result<MessageId, SendError>;
    /// Whether the number is on the provider's opt-out list (it replied STOP to the provider, or was opted out by
    /// hand). The deliverer asks before each text: a provider may accept a text for an opted-out number and then
    /// drop it, which would count as sent.
    async fn opted_out(&self, to: &PhoneNumber) -> Result<bool, SendError>;
}
