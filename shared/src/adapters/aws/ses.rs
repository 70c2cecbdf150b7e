//! Email on SES v2: one SendEmail per recipient, simple content (subject and text body), through the configuration
//! set (for bounce and complaint events), with `List-Unsubscribe` where the message has an unsubscribe link.
//!
//! SES error messages quote addresses, so errors keep the code and status only.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{AwsClient, Failure, Protocol, SES, read_answer};
use crate::config::EmailConfig;
use crate::ports::messaging::{EmailMessage, EmailSender, MessageId, SendError};

/// The message tag that carries the idempotency key, so a send can be traced in SES events.
pub const IDEMPOTENCY_TAG: &str = "idempotency_key";

/// Codes that say this message will never go as it is.
const PERMANENT_CODES: &[&str] =
    &["MessageRejected", "MailFromDomainNotVerifiedException", "AccountSuspendedException", "BadRequestException", "NotFoundException"];

#[derive(Clone)]
pub struct SesEmail {
    client: AwsClient,
    config: EmailConfig,
}

/// SendEmail's request, as SES v2 takes it: simple content, one recipient.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendEmail<'a> {
    from_email_address: &'a str,
    destination: Destination<'a>,
    content: Content<'a>,
    configuration_set_name: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    email_tags: Vec<NameValue<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Destination<'a> {
    to_addresses: [&'a str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Content<'a> {
    simple: Simple<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Simple<'a> {
    subject: Text<'a>,
    body: Body<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    headers: Vec<NameValue<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Body<'a> {
    text: Text<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Text<'a> {
    data: &'a str,
    charset: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NameValue<'a> {
    name: &'a str,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Sent {
    message_id: Option<String>,
}

fn text(data: &str) -> Text<'_> {
    Text { data, charset: "UTF-8" }
}

/// Known final refusals, and client errors other than throttling or a paused sending, are rejections. The message was
/// certainly not taken when no connection was made, or SES said "slow down" or "paused" (it refuses those before
/// accepting anything). Anything else (a timeout, a lost connection, a 5xx other than 503) may come after SES took the
/// message: unknown, never sent again.
pub(crate) fn send_error_of(f: &Failure) -> SendError {
    f.send_error("ses SendEmail", PERMANENT_CODES, f.is("SendingPausedException"))
}

/// SES tag values take letters, digits, `_` and `-` only (up to 256); other keys are not sent as a tag.
pub fn is_safe_tag_value(v: &str) -> bool {
    !v.is_empty() && v.len() <= 256 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl SesEmail {
    /// One attempt per call: SES does not deduplicate, so a send is repeated only by the retry wrapper
    /// (`adapters::retry`), and only on `SendError::NotTaken`, which `send_error_of` gives only when SES certainly did
    /// not take the message.
    pub fn new(client: AwsClient, config: EmailConfig) -> Self {
        Self { client, config }
    }
}

#[async_trait]
impl EmailSender for SesEmail {
    async fn send_email(&self, m: &EmailMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        let mut headers = Vec::new();
        if let Some(url) = &m.unsubscribe_url {
            // A header value with a line break would let a URL add headers of its own.
            if url.chars().any(char::is_control) || url.contains(['<', '>']) {
                return Err(SendError::Rejected(anyhow::anyhow!("the unsubscribe link is not a valid header value")));
            }
            headers.push(NameValue { name: "List-Unsubscribe", value: format!("<{url}>") });
            // RFC 8058 one-click: a mail client may end the subscription with one POST to the link, no page needed.
            headers.push(NameValue { name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click".into() });
        }
        let to = m.to.to_string();
        let mut email_tags = Vec::new();
        if is_safe_tag_value(idempotency_key) {
            email_tags.push(NameValue { name: IDEMPOTENCY_TAG, value: idempotency_key.to_owned() });
        }
        let request = SendEmail {
            from_email_address: &self.config.from_address,
            destination: Destination { to_addresses: [&to] },
            content: Content { simple: Simple { subject: text(&m.subject), body: Body { text: text(&m.text) }, headers } },
            configuration_set_name: &self.config.configuration_set,
            email_tags,
        };
        let fail = |f: Failure| {
            tracing::debug!(code = f.code.as_deref().unwrap_or("-"), transient = f.transient, "ses call failed");
            send_error_of(&f)
        };
        let body = serde_json::to_vec(&request).map_err(|e| SendError::Rejected(anyhow::anyhow!("ses request: {e}")))?;
        let answer = self
            .client
            .post(&SES, "SendEmail", "/v2/email/outbound-emails", &[("content-type", "application/json")], body, Protocol::Json)
            .await
            .map_err(fail)?;
        let sent: Sent = read_answer(&answer).map_err(fail)?;
        // SES answered "sent" without an id: the message went, but cannot be traced.
        let id = sent.message_id.ok_or_else(|| SendError::Unknown(anyhow::anyhow!("ses answered without a message id")))?;
        tracing::info!(message_id = %id, idempotency_key, "email sent");
        Ok(MessageId(id))
    }
}
