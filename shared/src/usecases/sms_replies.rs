//! Replies to our texts. An alphanumeric sender (the default) cannot receive them; a deployment that sends from a
//! number with two-way SMS (AWS End User Messaging SMS) has each reply published to an SNS topic, and the
//! `sms-replies` function hands every one to `on_inbound_sms`. A reply that is a stop word ends text alerts to the
//! number it came from, as the stop link at the end of every text does. Nothing else is done with a reply: it is
//! not stored, and neither the number nor the words are logged.

use serde::Deserialize;

use super::subscriptions::{StopError, SubscriptionDeps, sms_stop};
use crate::domain::PhoneNumber;

/// The words that stop texts, in the first word of a reply, in any case. The UK and Irish carriers' usual set, and
/// what the provider itself takes as an opt-out keyword.
pub const STOP_WORDS: &[&str] = &["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "STOPP"];

/// The SNS event a topic subscription delivers (only the parts read here; the rest of SNS's fields are ignored).
#[derive(Debug, Deserialize)]
pub struct SnsEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<SnsRecord>,
}

#[derive(Debug, Deserialize)]
pub struct SnsRecord {
    #[serde(rename = "Sns")]
    pub sns: SnsMessage,
}

#[derive(Debug, Deserialize)]
pub struct SnsMessage {
    /// The published text: here, an inbound SMS as JSON.
    #[serde(rename = "Message")]
    pub message: String,
}

/// An inbound text as the two-way channel publishes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InboundSms {
    origination_number: String,
    #[serde(default)]
    message_body: String,
}

/// What a reply led to (for the log line and the tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// A stop word from a number that had text alerts: they have ended.
    Stopped,
    /// A stop word from a number with no text alerts.
    NotSubscribed,
    /// Anything else: nothing is done, and nothing is kept.
    Ignored,
    /// Not an inbound text this function understands (no number, not JSON).
    Unreadable,
}

/// Whether a reply's first word is a stop word.
pub fn is_stop(body: &str) -> bool {
    let first: String = body.split_whitespace().next().unwrap_or("").chars().filter(|c| c.is_alphanumeric()).collect();
    let first = first.to_uppercase();
    STOP_WORDS.contains(&first.as_str())
}

/// Acts on one inbound text (the SNS message's body).
pub async fn on_inbound_sms(deps: &SubscriptionDeps, message: &str) -> Result<ReplyOutcome, StopError> {
    let Ok(inbound) = serde_json::from_str::<InboundSms>(message) else { return Ok(ReplyOutcome::Unreadable) };
    let Ok(from) = PhoneNumber::parse(&inbound.origination_number) else { return Ok(ReplyOutcome::Unreadable) };
    if !is_stop(&inbound.message_body) {
        tracing::info!("sms reply ignored: not a stop word");
        return Ok(ReplyOutcome::Ignored);
    }
    let outcome = if sms_stop(deps, &from).await? { ReplyOutcome::Stopped } else { ReplyOutcome::NotSubscribed };
    tracing::info!(outcome = ?outcome, "sms stop reply");
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_word_is_the_first_word_in_any_case_with_or_without_punctuation() {
        for yes in ["STOP", "stop", " Stop.", "STOP please", "unsubscribe", "Quit!", "stopall"] {
            assert!(is_stop(yes), "{yes:?}");
        }
        for no in ["", "please stop", "STOPPING", "thanks", "non-stop", "🛑"] {
            assert!(!is_stop(no), "{no:?}");
        }
    }
}
