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

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Throttling, a timeout, the service briefly down: try again later.
    #[error("sending failed for now")]
    Transient(#[source] anyhow::Error),
    /// The message can never be sent as it is (address refused, number opted out, message rejected).
    #[error("sending failed for good")]
    Permanent(#[source] anyhow::Error),
}

impl SendError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }
}

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
}
