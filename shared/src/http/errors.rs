//! The one place where errors become HTTP answers.
//!
//! `ApiError` is what a person sees: a status, a stable code, a sentence they can act on and, where one field is at
//! fault, its path. Each use case returns its own error enum; the `From` impls below are the only place that turns
//! one into a status and a sentence. Internal causes never reach the client: they ride along in `cause` and are
//! logged once, by kind only, where the answer is written (`ApiError::log`), and the client gets a plain 500 or 503.

use std::error::Error;

use http::StatusCode;
use serde::Serialize;

use crate::domain::ReportError;
use crate::domain::passphrase::HashError;
use crate::error::Chain;
use crate::ports::{KeyError, StoreError};
use crate::seal::SealError;
use crate::usecases::alerts::{AlertError, PublishError, RejectError};
use crate::usecases::audit::{AuditError, VerifyError as AuditVerifyError};
use crate::usecases::lifecycle::LifecycleError;
use crate::usecases::offenders::{CheckError, LinkError};
use crate::usecases::submit_report::SubmitError;
use crate::usecases::subscriptions::{
    CodeRefusal, DecisionError, FindError, KeyringError, MemberError, RequestError, ResendError, SignInError, StopError, StopLinkError,
    SubscribeError, UnsubscribeError, VerifyError,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// The internal cause's chain of messages, for the log only (never in the body).
    pub cause: Option<String>,
    /// For a 429: how many seconds until trying again can succeed (the `Retry-After` header and `retry_after`).
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, cause: None, retry_after: None }
    }

    /// Says when trying again can succeed, in seconds.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("The request body is larger than {} KiB. Shorten the account or split it across two reports.", limit / 1024),
        )
    }

    pub fn unsupported_type(expected: &str) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", format!("Send the body as {expected}."))
    }

    pub fn too_many_requests() -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "Too many attempts. Wait a few minutes and try again.")
    }

    /// A client that asked for too many codes (the per-client limit of `POST /subscriptions`).
    pub fn too_many_code_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_code_requests",
            "Too many subscription requests came from your connection. Nothing was saved and no code was sent. Try again in an hour.",
        )
    }

    /// For a cause we do not show: the client gets a sentence without detail, the log gets the cause.
    pub fn internal(cause: &dyn Error) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side and nothing was saved. Please try again in a minute.",
        )
        .caused_by(cause)
    }

    /// Keeps the cause for the log line written when this error is answered.
    pub fn caused_by(mut self, cause: &dyn Error) -> Self {
        self.cause = Some(Chain(cause).to_string());
        self
    }

    /// The one log line for an answered error that had an internal cause: a warning for an outage that may pass
    /// (503), an error for anything else. Client mistakes (4xx without a cause) are not logged here.
    pub fn log(&self) {
        let Some(cause) = &self.cause else { return };
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error.kind = %cause, status = self.status.as_u16(), "service unavailable");
        } else {
            tracing::error!(error.kind = %cause, status = self.status.as_u16(), "request failed");
        }
    }

    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "The service is busy. Nothing was saved; please try again in a minute.")
    }

    pub fn to_json(&self) -> Vec<u8> {
        let inner = Inner { code: self.code, message: &self.message, field: self.field.as_deref(), retry_after: self.retry_after };
        serde_json::to_vec(&Body { error: inner }).expect("an error body always serialises")
    }
}

// ---- port errors: how an outage, a conflict or a fault is answered ----

/// A port failure inside `whole` (the use case's error, whose chain is logged): throttling or an outage is 503
/// ("try again"), a lost race is 409, anything else 500.
fn store_failure(whole: &dyn Error, e: &StoreError) -> ApiError {
    match e {
        StoreError::ConditionFailed => ApiError::conflict("conflict", "Someone changed this at the same time. Reload and try again."),
        StoreError::Unavailable(_) => ApiError::unavailable().caused_by(whole),
        StoreError::Other(_) => ApiError::internal(whole),
        StoreError::BadCursor => ApiError::bad_request(
            "invalid_cursor",
            "This page link is out of date or was changed. Go back to the first page and page on from there.",
        )
        .with_field("cursor"),
    }
}

fn key_failure(whole: &dyn Error, e: &KeyError) -> ApiError {
    match e {
        KeyError::Unavailable(_) => ApiError::unavailable().caused_by(whole),
        _ => ApiError::internal(whole),
    }
}

fn seal_failure(whole: &dyn Error, e: &SealError) -> ApiError {
    match e {
        SealError::Key(k) => key_failure(whole, k),
        SealError::Store(s) => store_failure(whole, s),
        _ => ApiError::internal(whole),
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        store_failure(&e, &e)
    }
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        key_failure(&e, &e)
    }
}

impl From<SealError> for ApiError {
    fn from(e: SealError) -> Self {
        seal_failure(&e, &e)
    }
}

// ---- domain and use-case errors ----

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        let err = ApiError::bad_request(e.code, e.message);
        match e.field {
            Some(f) => err.with_field(f),
            None => err,
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        match &e {
            SubmitError::Seal(s) => seal_failure(&e, s),
            SubmitError::Store(s) => store_failure(&e, s),
            SubmitError::Hashing(HashError::Busy) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Many reports are arriving at this moment and yours was not sent. Nothing was saved: send it again in a few seconds.",
            )
            .caused_by(&e),
            SubmitError::Hashing(HashError::Task(_)) => ApiError::internal(&e),
        }
    }
}

fn invalid_region(index: usize, given: &str) -> ApiError {
    ApiError::bad_request("invalid_region", format!("'{given}' is not a region. Use one of the region names of the API."))
        .with_field(format!("regions[{index}]"))
}

fn not_draft(status: crate::usecases::alerts::AlertStatus) -> ApiError {
    ApiError::conflict("alert_not_draft", format!("This alert is already {}; only a draft can be published or rejected.", status.as_str()))
}

const NO_ALERT: &str = "There is no alert with this id.";

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> Self {
        match &e {
            AlertError::NotFound => ApiError::not_found(NO_ALERT),
            AlertError::Store(s) => store_failure(&e, s),
        }
    }
}

impl From<PublishError> for ApiError {
    fn from(e: PublishError) -> Self {
        match &e {
            PublishError::MissingRegions => {
                ApiError::bad_request("missing_regions", "Choose at least one region to publish to.").with_field("regions")
            }
            PublishError::InvalidRegion { index, given } => invalid_region(*index, given),
            PublishError::InvalidSummary => {
                ApiError::bad_request("invalid_summary", "The summary must be between 1 and 10,000 characters.").with_field("summary")
            }
            PublishError::InvalidTown(message) => ApiError::bad_request("invalid_town", message.clone()).with_field("town"),
            // The kinds found, never the town itself: it may hold an address or a name.
            PublishError::TownNotPublishable { issues } => ApiError::conflict(
                "town_not_publishable",
                format!(
                    "This town cannot be published as it is ({}). Set the town to a town, city, borough or region that names nobody in the report.",
                    issues.iter().map(|i| i.words()).collect::<Vec<_>>().join(", ")
                ),
            )
            .with_field("town"),
            PublishError::NotFound => ApiError::not_found(NO_ALERT),
            PublishError::NotDraft(status) => not_draft(*status),
            PublishError::ReportMissing => ApiError::conflict(
                "report_missing",
                "The report behind this alert is gone, so an edit cannot be checked. Publish without edits or reject.",
            ),
            PublishError::IdentifiesSomeone { kinds, fields } => {
                let err = ApiError::conflict(
                    "edit_identifies_someone",
                    format!(
                        "The edit would identify someone other than the offender ({}). Remove it from: {}.",
                        kinds.join(", "),
                        fields.join(", ")
                    ),
                );
                match fields.first() {
                    Some(f) => err.with_field(f.clone()),
                    None => err,
                }
            }
            PublishError::Store(s) => store_failure(&e, s),
            PublishError::Seal(s) => seal_failure(&e, s),
        }
    }
}

impl From<RejectError> for ApiError {
    fn from(e: RejectError) -> Self {
        match &e {
            RejectError::InvalidReason => {
                ApiError::bad_request("invalid_reason", "Give a reason for rejecting, up to 2,000 characters.").with_field("reason")
            }
            RejectError::NotFound => ApiError::not_found(NO_ALERT),
            RejectError::NotDraft(status) => not_draft(*status),
            RejectError::Store(s) => store_failure(&e, s),
            RejectError::Seal(s) => seal_failure(&e, s),
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        match &e {
            AuditError::Store(s) => store_failure(&e, s),
            AuditError::Seal(s) => seal_failure(&e, s),
            AuditError::Key(k) => key_failure(&e, k),
            AuditError::Busy => ApiError::unavailable().caused_by(&e),
        }
    }
}

impl From<AuditVerifyError> for ApiError {
    fn from(e: AuditVerifyError) -> Self {
        match &e {
            AuditVerifyError::Store(s) => store_failure(&e, s),
            AuditVerifyError::Key(k) => key_failure(&e, k),
        }
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        let field = |code, field: &str, message: &str| ApiError::bad_request(code, message).with_field(field);
        match e {
            RequestError::InvalidEmail(m) => field("invalid_email", "email", &m),
            RequestError::InvalidPhone(m) => field("invalid_phone", "phone", &m),
            RequestError::MissingContact => field("missing_contact", "email", "Give an email address, a mobile number, or both."),
            RequestError::MissingRegions => field("missing_regions", "regions", "Choose at least one region."),
            RequestError::InvalidRegion { index, given } => invalid_region(index, &given),
            RequestError::MissingChannels => field("missing_channels", "channels", "Choose email, sms or both."),
            RequestError::InvalidChannel { index } => {
                field("invalid_channel", &format!("channels[{index}]"), "A channel is \"email\" or \"sms\".")
            }
            RequestError::MissingEmail => field("missing_email", "email", "You chose email alerts: give an email address."),
            RequestError::MissingPhone => field("missing_phone", "phone", "You chose text alerts: give a mobile number."),
            RequestError::NotAMobile => field("not_a_mobile", "phone", "Text alerts need a UK or Irish mobile number."),
            RequestError::UnusedEmail => field(
                "unused_email",
                "email",
                "You gave an email address but did not choose email alerts. Add \"email\" to channels or leave the address out.",
            ),
            RequestError::InvalidLanguage => {
                field("invalid_language", "language", "Choose one of the languages offered: en, pl, ro, pt-BR or es.")
            }
            RequestError::UnusedPhone => field(
                "unused_phone",
                "phone",
                "You gave a phone number but did not choose text alerts. Add \"sms\" to channels or leave the number out.",
            ),
        }
    }
}

fn keyring_failure(whole: &dyn Error, e: &KeyringError) -> ApiError {
    match e {
        KeyringError::Store(s) => store_failure(whole, s),
        KeyringError::Key(k) => key_failure(whole, k),
        KeyringError::Busy => ApiError::unavailable().caused_by(whole),
        KeyringError::NoWrappedKey => ApiError::internal(whole),
    }
}

/// No code could be sent (too many for a contact, or the day's budget spent): a 429 that says when to try again.
fn code_refusal(r: &CodeRefusal) -> ApiError {
    let when = r.until().format("%H:%M UTC on %-d %B %Y");
    match r {
        CodeRefusal::Contact { .. } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_codes",
            format!(
                "Too many codes were asked for this email address or phone number. Nothing was saved and no code was sent. Try again after {when}."
            ),
        ),
        CodeRefusal::Budget { .. } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "codes_paused",
            format!(
                "No more codes can be sent today. Nothing was saved and no code was sent. Try again after {when}. Alerts to members are not affected."
            ),
        ),
    }
}

impl From<SubscribeError> for ApiError {
    fn from(e: SubscribeError) -> Self {
        match &e {
            SubscribeError::Invalid(r) => r.clone().into(),
            SubscribeError::Gone => ApiError::not_found("The imported subscription is gone."),
            SubscribeError::Keyring(k) => keyring_failure(&e, k),
            SubscribeError::Store(s) => store_failure(&e, s),
            SubscribeError::Key(k) => key_failure(&e, k),
            SubscribeError::Refused(r) => code_refusal(r),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> Self {
        let field = |code, field: &str, message: &str| ApiError::bad_request(code, message).with_field(field);
        match &e {
            SignInError::MissingContact => {
                field("missing_contact", "email", "Give the email address or the mobile number you joined with.")
            }
            SignInError::InvalidEmail(m) => field("invalid_email", "email", m),
            SignInError::InvalidPhone(m) => field("invalid_phone", "phone", m),
            SignInError::WrongCode => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "wrong_code",
                "That code is not right, or it has expired. Check the latest message we sent, or ask for a new code.",
            )
            .with_field("code"),
            SignInError::Store(s) => store_failure(&e, s),
            SignInError::Key(k) => key_failure(&e, k),
            SignInError::Keyring(k) => keyring_failure(&e, k),
        }
    }
}

impl From<MemberError> for ApiError {
    fn from(e: MemberError) -> Self {
        match &e {
            MemberError::MissingRegions => ApiError::bad_request("missing_regions", "Choose at least one region.").with_field("regions"),
            MemberError::MissingChannels => ApiError::bad_request("missing_channels", "Choose email, SMS or both.").with_field("channels"),
            MemberError::UnverifiedChannel => ApiError::bad_request(
                "unverified_channel",
                "Alerts can only go to a contact you have checked with its code. Join again to add one.",
            )
            .with_field("channels"),
            MemberError::Store(s) => store_failure(&e, s),
            MemberError::Contacts(_) => ApiError::internal(&e),
        }
    }
}

impl From<VerifyError> for ApiError {
    fn from(e: VerifyError) -> Self {
        match &e {
            VerifyError::Unknown => ApiError::not_found("There is no pending subscription with this id. Subscribe again."),
            VerifyError::Unsubscribed => ApiError::conflict("unsubscribed", "This subscription was ended. Subscribe again."),
            VerifyError::Locked => ApiError::too_many_requests().with_field("code"),
            VerifyError::Expired => {
                ApiError::conflict("code_expired", "The code has expired. Subscribe again to get a new one.").with_field("code")
            }
            VerifyError::Changed => ApiError::conflict("conflict", "The subscription changed meanwhile. Try again."),
            VerifyError::WrongCode => {
                ApiError::bad_request("wrong_code", "That code is not right. Check the latest message we sent and try again.")
                    .with_field("code")
            }
            VerifyError::Store(s) => store_failure(&e, s),
            VerifyError::Key(k) => key_failure(&e, k),
            VerifyError::Seal(s) => seal_failure(&e, s),
        }
    }
}

impl From<DecisionError> for ApiError {
    fn from(e: DecisionError) -> Self {
        match &e {
            DecisionError::NotFound => ApiError::not_found("There is no subscription with this id."),
            DecisionError::NotWaiting(status) => ApiError::conflict(
                "not_pending_approval",
                format!(
                    "This request is {}, not waiting for approval: only a waiting request can be approved or declined.",
                    status.as_str()
                ),
            ),
            DecisionError::Store(s) => store_failure(&e, s),
            DecisionError::Contacts(_) => ApiError::internal(&e),
        }
    }
}

impl From<UnsubscribeError> for ApiError {
    fn from(e: UnsubscribeError) -> Self {
        match &e {
            UnsubscribeError::InvalidToken => ApiError::not_found(
                "This unsubscribe link is not valid. If you still get alerts, use the stop link at the end of a text or contact us.",
            ),
            UnsubscribeError::Store(s) => store_failure(&e, s),
        }
    }
}

impl From<StopError> for ApiError {
    fn from(e: StopError) -> Self {
        match &e {
            StopError::Store(s) => store_failure(&e, s),
            StopError::Key(k) => key_failure(&e, k),
            StopError::Seal(s) => seal_failure(&e, s),
        }
    }
}

impl From<StopLinkError> for ApiError {
    fn from(e: StopLinkError) -> Self {
        match e {
            StopLinkError::InvalidToken => ApiError::not_found(
                "This stop link is not valid. Copy the whole link from the end of the text, or use the unsubscribe link in an alert email.",
            ),
            StopLinkError::Stop(s) => ApiError::from(s),
        }
    }
}

impl From<FindError> for ApiError {
    fn from(e: FindError) -> Self {
        match &e {
            FindError::Invalid(r) => r.clone().into(),
            FindError::OneContact => ApiError::bad_request("one_contact", "Give exactly one of email or phone, as the member wrote it."),
            FindError::MissingReason => ApiError::bad_request(
                "missing_reason",
                "Say why you look this contact up (for example the member's call or ticket) in reason. Nothing was looked up.",
            )
            .with_field("reason"),
            FindError::Store(s) => store_failure(&e, s),
            FindError::Key(k) => key_failure(&e, k),
        }
    }
}

impl From<CheckError> for ApiError {
    fn from(e: CheckError) -> Self {
        match &e {
            CheckError::Nothing => ApiError::bad_request(
                "nothing_to_check",
                "Enter his phone number or his email address (or both), written any way you have it.",
            )
            .with_field("phone"),
            CheckError::InvalidPhone => ApiError::bad_request(
                "invalid_phone",
                "This is not a phone number we can read. Write it as you would dial it, for example 07700 900123 or +44 7700 900123.",
            )
            .with_field("phone"),
            CheckError::InvalidEmail => ApiError::bad_request(
                "invalid_email",
                "This is not an email address we can read. Write it whole, for example name@example.com.",
            )
            .with_field("email"),
            CheckError::TooMany { retry_after } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_checks",
                "You have made a lot of checks this hour. Wait until the next hour and check again; if you need help now, call the helpline.",
            )
            .with_retry_after(*retry_after),
            CheckError::Store(s) => store_failure(&e, s),
            CheckError::Key(k) => key_failure(&e, k),
        }
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        match &e {
            LifecycleError::NotFound => ApiError::not_found("There is no alert with this id."),
            LifecycleError::NotPublished(s) => ApiError::conflict(
                "not_published",
                format!("This alert is {}, not published: only a published alert can be withdrawn or corrected.", s.as_str()),
            ),
            LifecycleError::InvalidReason => ApiError::bad_request(
                "invalid_reason",
                "Say why the alert is withdrawn in reason (up to 2,000 characters). Members are told it was withdrawn, not why.",
            )
            .with_field("reason"),
            LifecycleError::InvalidCorrection => ApiError::bad_request(
                "invalid_correction",
                "Send the corrected summary (up to 10,000 characters, not blank), the corrected offender block, or both.",
            ),
            LifecycleError::ReportMissing => ApiError::conflict(
                "report_missing",
                "The report behind this alert is gone, so a correction cannot be checked. Withdraw the alert instead.",
            ),
            LifecycleError::IdentifiesSomeone { kinds, fields } => ApiError::conflict(
                "edit_identifies_someone",
                format!(
                    "The correction would identify someone other than the offender ({}) in {}. Nothing was changed; take it out and send it again.",
                    kinds.join(", "),
                    fields.join(", ")
                ),
            ),
            LifecycleError::Changed => ApiError::conflict("conflict", "The alert changed meanwhile. Reload it and correct it again."),
            LifecycleError::Store(s) => store_failure(&e, s),
            LifecycleError::Seal(s) => seal_failure(&e, s),
        }
    }
}

impl From<LinkError> for ApiError {
    fn from(e: LinkError) -> Self {
        match &e {
            LinkError::Store(s) => store_failure(&e, s),
            LinkError::Key(k) => key_failure(&e, k),
        }
    }
}

impl From<ResendError> for ApiError {
    fn from(e: ResendError) -> Self {
        match &e {
            ResendError::Unknown => ApiError::not_found("There is no subscription with this id."),
            ResendError::NotPending => ApiError::conflict("not_pending", "Only a subscription waiting for its code can get a new one."),
            ResendError::Changed => ApiError::conflict("conflict", "The subscription changed meanwhile. Look it up again."),
            ResendError::Store(s) => store_failure(&e, s),
            ResendError::Seal(s) => seal_failure(&e, s),
            ResendError::Key(k) => key_failure(&e, k),
            ResendError::Refused(r) => code_refusal(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_house_of_hashing_slots_is_a_503_that_says_to_send_again() {
        let busy = ApiError::from(SubmitError::Hashing(HashError::Busy));
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.code, "busy");
        assert!(busy.message.contains("send it again"), "{}", busy.message);
        assert!(busy.cause.is_some(), "the busy answer is logged with its cause");
    }
}
