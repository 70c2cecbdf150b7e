//! SMS on SNS: Publish to a phone number as a transactional message, with the sender id from configuration.
//!
//! SNS has no deduplication for SMS; callers record each send (see the port). SNS error messages quote the number,
//! so errors keep the code and status only.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use super::Failure;
use crate::config::SmsConfig;
use crate::ports::messaging::{MessageId, SendError, SmsMessage, SmsSender};

/// Codes that say this text will never go as it is (an opted-out or invalid number, a refused message).
const PERMANENT_CODES: &[&str] = &[
    "InvalidParameter",
    "InvalidParameterException",
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "OptedOut",
    "OptedOutException",
    "EndpointDisabled",
    "EndpointDisabledException",
    "AuthorizationError",
    "AuthorizationErrorException",
    "ValidationException",
];

#[derive(Clone)]
pub struct SnsSms {
    client: Client,
    config: SmsConfig,
}

fn send_error<E: aws_sdk_sns::error::ProvideErrorMetadata>(
    err: aws_sdk_sns::error::SdkError<E, aws_sdk_sns::config::http::HttpResponse>,
) -> SendError {
    let f = Failure::of(&err);
    tracing::debug!(code = f.code.as_deref().unwrap_or("-"), transient = f.transient, "sns call failed");
    send_error_of(&f)
}

pub(crate) fn send_error_of(f: &Failure) -> SendError {
    let e = f.describe("sns Publish", false);
    let known_final = f.code.as_deref().is_some_and(|c| PERMANENT_CODES.contains(&c));
    let client_error = !f.transient && f.status.is_some_and(|s| (400..500).contains(&s));
    if known_final || client_error { SendError::Permanent(e) } else { SendError::Transient(e) }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, SendError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| SendError::Permanent(anyhow::anyhow!("sns attribute: {e}")))
}

impl SnsSms {
    pub fn new(client: Client, config: SmsConfig) -> Self {
        Self { client, config }
    }
}

#[async_trait]
impl SmsSender for SnsSms {
    async fn send_sms(&self, m: &SmsMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        let out = self
            .client
            .publish()
            .phone_number(m.to.as_str())
            .message(&m.text)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute("Transactional")?)
            .message_attributes("AWS.SNS.SMS.SenderID", string_attribute(&self.config.sender_id)?)
            .send()
            .await
            .map_err(send_error)?;
        let id = out.message_id.ok_or_else(|| SendError::Transient(anyhow::anyhow!("sns answered without a message id")))?;
        tracing::info!(message_id = %id, idempotency_key, "sms sent");
        Ok(MessageId(id))
    }
}
