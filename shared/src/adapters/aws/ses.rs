//! Email on SES v2: one SendEmail per recipient, simple content (subject and text body), through the configuration
//! set (for bounce and complaint events), with `List-Unsubscribe` where the message has an unsubscribe link.
//!
//! SES error messages quote addresses, so errors keep the code and status only.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader, MessageTag};

use super::Failure;
use crate::config::EmailConfig;
use crate::ports::messaging::{EmailMessage, EmailSender, MessageId, SendError};

/// The message tag that carries the idempotency key, so a send can be traced in SES events.
pub const IDEMPOTENCY_TAG: &str = "idempotency_key";

/// Codes that say this message will never go as it is.
const PERMANENT_CODES: &[&str] =
    &["MessageRejected", "MailFromDomainNotVerifiedException", "AccountSuspendedException", "BadRequestException", "NotFoundException"];

#[derive(Clone)]
pub struct SesEmail {
    client: Client,
    config: EmailConfig,
}

fn send_error<E: aws_sdk_sesv2::error::ProvideErrorMetadata>(
    err: aws_sdk_sesv2::error::SdkError<E, aws_sdk_sesv2::config::http::HttpResponse>,
) -> SendError {
    let f = Failure::of(&err);
    tracing::debug!(code = f.code.as_deref().unwrap_or("-"), transient = f.transient, "ses call failed");
    send_error_of(&f)
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

fn content(data: &str) -> Result<Content, SendError> {
    Content::builder().data(data).charset("UTF-8").build().map_err(|e| SendError::Rejected(anyhow::anyhow!("ses content: {e}")))
}

impl SesEmail {
    /// Takes the client as built from the shared SDK configuration, and turns the SDK's own retries off for it,
    /// whatever that configuration says. The SDK's standard retry mode tries a call again after a timeout, an I/O
    /// error (a connection reset after the request was written among them), a 5xx or throttling: right for reads and
    /// conditional writes, wrong for `SendEmail`, which the provider does not deduplicate: a retry after a lost answer
    /// sends the message twice. The SDK's classifiers cannot tell "never reached the provider" from "reached it and
    /// the answer was lost", so one attempt per call here, and the retry wrapper (`adapters::retry`) sends again only
    /// on `SendError::NotTaken`, which `send_error_of` gives only when the provider certainly did not take it.
    pub fn new(client: Client, config: EmailConfig) -> Self {
        let once = client.config().to_builder().retry_config(aws_sdk_sesv2::config::retry::RetryConfig::disabled()).build();
        Self { client: Client::from_conf(once), config }
    }
}

#[async_trait]
impl EmailSender for SesEmail {
    async fn send_email(&self, m: &EmailMessage, idempotency_key: &str) -> Result<MessageId, SendError> {
        let mut message = Message::builder().subject(content(&m.subject)?).body(Body::builder().text(content(&m.text)?).build());
        if let Some(url) = &m.unsubscribe_url {
            // A header value with a line break would let a URL add headers of its own.
            if url.chars().any(char::is_control) || url.contains(['<', '>']) {
                return Err(SendError::Rejected(anyhow::anyhow!("the unsubscribe link is not a valid header value")));
            }
            let header = MessageHeader::builder()
                .name("List-Unsubscribe")
                .value(format!("<{url}>"))
                .build()
                .map_err(|e| SendError::Rejected(anyhow::anyhow!("ses header: {e}")))?;
            // RFC 8058 one-click: a mail client may end the subscription with one POST to the link, no page needed.
            let one_click = MessageHeader::builder()
                .name("List-Unsubscribe-Post")
                .value("List-Unsubscribe=One-Click")
                .build()
                .map_err(|e| SendError::Rejected(anyhow::anyhow!("ses header: {e}")))?;
            message = message.headers(header).headers(one_click);
        }
        let mut req = self
            .client
            .send_email()
            .from_email_address(&self.config.from_address)
            .destination(Destination::builder().to_addresses(m.to.to_string()).build())
            .content(EmailContent::builder().simple(message.build()).build())
            .configuration_set_name(&self.config.configuration_set);
        if is_safe_tag_value(idempotency_key) {
            let tag = MessageTag::builder()
                .name(IDEMPOTENCY_TAG)
                .value(idempotency_key)
                .build()
                .map_err(|e| SendError::Rejected(anyhow::anyhow!("ses tag: {e}")))?;
            req = req.email_tags(tag);
        }
        let out = req.send().await.map_err(send_error)?;
        // SES answered "sent" without an id: the message went, but cannot be traced.
        let id = out.message_id.ok_or_else(|| SendError::Unknown(anyhow::anyhow!("ses answered without a message id")))?;
        tracing::info!(message_id = %id, idempotency_key, "email sent");
        Ok(MessageId(id))
    }
}
