//! SMS on SNS: Publish to a phone number as a transactional message, with the sender id from configuration.
//!
//! SNS has no deduplication for SMS; callers record each send (see the port). SNS error messages quote the number,
//! so errors keep the code and status only.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use super::Failure;
use crate::config::SmsConfig;
use crate::domain::PhoneNumber;
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

/// Known final refusals and other client errors (but throttling) are rejections; no connection or "slow down" means
/// the text was certainly not taken; anything else (a timeout, a lost connection, a 5xx other than 503) may come after
/// SNS took it: unknown, never sent again.
pub(crate) fn send_error_of(f: &Failure) -> SendError {
    f.send_error("sns Publish", PERMANENT_CODES, false)
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, SendError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| SendError::Rejected(anyhow::anyhow!("sns attribute: {e}")))
}

impl SnsSms {
    /// Takes the client as built from the shared SDK configuration, and turns the SDK's own retries off for it,
    /// whatever that configuration says. The SDK's standard retry mode tries a call again after a timeout, an I/O
    /// error (a connection reset after the request was written among them), a 5xx or throttling: right for reads and
    /// conditional writes, wrong for `Publish`, which the provider does not deduplicate: a retry after a lost answer
    /// sends the message twice. The SDK's classifiers cannot tell "never reached the provider" from "reached it and
    /// the answer was lost", so one attempt per call here, and the retry wrapper (`adapters::retry`) sends again only
    /// on `SendError::NotTaken`, which `send_error_of` gives only when the provider certainly did not take it.
    pub fn new(client: Client, config: SmsConfig) -> Self {
        let once = client.config().to_builder().retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled()).build();
        Self { client: Client::from_conf(once), config }
    }
}

#[async_trait]
impl SmsSender for SnsSms {
    async fn send_sms(&self, m: &SmsMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        let publish = self
            .client
            .publish()
            .phone_number(m.to.as_str())
            .message(&m.text)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute("Transactional")?);
        // From a two-way number when there is one (replies can come back), else from the alphanumeric sender id.
        let publish = match &self.config.origination_number {
            Some(number) => publish.message_attributes("AWS.MM.SMS.OriginationNumber", string_attribute(number.as_str())?),
            None => publish.message_attributes("AWS.SNS.SMS.SenderID", string_attribute(&self.config.sender_id)?),
        };
        let out = publish.send().await.map_err(send_error)?;
        // SNS answered without an id: the text went, but cannot be traced.
        let id = out.message_id.ok_or_else(|| SendError::Unknown(anyhow::anyhow!("sns answered without a message id")))?;
        tracing::info!(message_id = %id, idempotency_key, "sms sent");
        Ok(MessageId(id))
    }

    async fn opted_out(&self, to: &PhoneNumber) -> Result<bool, SendError> {
        let out = self.client.check_if_phone_number_is_opted_out().phone_number(to.as_str()).send().await.map_err(send_error)?;
        Ok(out.is_opted_out)
    }
}
