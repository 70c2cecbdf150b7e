//! SMS on SNS: Publish to a phone number as a transactional message, with the sender id from configuration.
//!
//! SNS has no deduplication for SMS; callers record each send (see the port). SNS error messages quote the number,
//! so errors keep the code and status only.

use async_trait::async_trait;

use super::{AwsClient, Failure, SNS, xml_text};
use crate::config::SmsConfig;
use crate::domain::PhoneNumber;
use crate::ports::messaging::{MessageId, SendError, SmsMessage, SmsSender};

/// The SNS API version the query requests name.
const VERSION: &str = "2010-03-31";

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
    client: AwsClient,
    config: SmsConfig,
}

/// Known final refusals and other client errors (but throttling) are rejections; no connection or "slow down" means
/// the text was certainly not taken; anything else (a timeout, a lost connection, a 5xx other than 503) may come after
/// SNS took it: unknown, never sent again.
pub(crate) fn send_error_of(f: &Failure, action: &str) -> SendError {
    f.send_error(&format!("sns {action}"), PERMANENT_CODES, false)
}

impl SnsSms {
    /// One attempt per call: SNS does not deduplicate texts, so a send is repeated only by the retry wrapper
    /// (`adapters::retry`), and only on `SendError::NotTaken`, which `send_error_of` gives only when SNS certainly did
    /// not take it.
    pub fn new(client: AwsClient, config: SmsConfig) -> Self {
        Self { client, config }
    }

    async fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<bytes::Bytes, SendError> {
        self.client.query_call(&SNS, VERSION, action, params).await.map_err(|f: Failure| {
            tracing::debug!(action, code = f.code.as_deref().unwrap_or("-"), transient = f.transient, "sns call failed");
            send_error_of(&f, action)
        })
    }
}

#[async_trait]
impl SmsSender for SnsSms {
    async fn send_sms(&self, m: &SmsMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        // From a two-way number when there is one (replies can come back), else from the alphanumeric sender id.
        let (from_name, from) = match &self.config.origination_number {
            Some(number) => ("AWS.MM.SMS.OriginationNumber", number.as_str()),
            None => ("AWS.SNS.SMS.SenderID", self.config.sender_id.as_str()),
        };
        let params = [
            ("PhoneNumber", m.to.as_str()),
            ("Message", m.text.as_str()),
            ("MessageAttributes.entry.1.Name", "AWS.SNS.SMS.SMSType"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", "Transactional"),
            ("MessageAttributes.entry.2.Name", from_name),
            ("MessageAttributes.entry.2.Value.DataType", "String"),
            ("MessageAttributes.entry.2.Value.StringValue", from),
        ];
        let answer = self.call("Publish", &params).await?;
        // SNS answered without an id: the text went, but cannot be traced.
        let id = xml_text(&answer, "MessageId").ok_or_else(|| SendError::Unknown(anyhow::anyhow!("sns answered without a message id")))?;
        tracing::info!(message_id = %id, idempotency_key, "sms sent");
        Ok(MessageId(id))
    }

    async fn opted_out(&self, to: &PhoneNumber) -> Result<bool, SendError> {
        let answer = self.call("CheckIfPhoneNumberIsOptedOut", &[("phoneNumber", to.as_str())]).await?;
        match xml_text(&answer, "isOptedOut").as_deref() {
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            _ => Err(SendError::Unknown(anyhow::anyhow!("sns answered CheckIfPhoneNumberIsOptedOut without isOptedOut"))),
        }
    }
}
