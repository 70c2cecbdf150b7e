//! The one place where errors become HTTP answers.
//!
//! `ApiError` is what a person sees: a status, a stable code, a sentence they can act on and, where one field is at
//! fault, its path. Internal causes never reach the client; they go to the log (without personal data) and the
//! client gets a plain 500 or 503.

use http::StatusCode;
use serde::Serialize;

use crate::domain::ReportError;
use crate::ports::{KeyError, StoreError};
use crate::seal::SealError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
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
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None }
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

    /// For a cause we do not show: it is logged here, by kind only, and the client gets a sentence without detail.
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        tracing::error!(error.kind = error_kind(cause), "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side and nothing was saved. Please try again in a minute.",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "The service is busy. Nothing was saved; please try again in a minute.")
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&Body { error: Inner { code: self.code, message: &self.message, field: self.field.as_deref() } })
            .expect("an error body always serialises")
    }
}

/// The error's type and message chain, for logs. Our own error messages never carry personal data.
fn error_kind(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        let err = ApiError::bad_request(e.code, e.message);
        match e.field {
            Some(f) => err.with_field(f),
            None => err,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => {
                tracing::warn!(error.kind = error_kind(&e), "table unavailable");
                ApiError::unavailable()
            }
            StoreError::ConditionFailed => ApiError::conflict("conflict", "Someone changed this at the same time. Reload and try again."),
            e => ApiError::internal(&e),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Unavailable(_) => {
                tracing::warn!(error.kind = error_kind(&e), "key service unavailable");
                ApiError::unavailable()
            }
            e => ApiError::internal(&e),
        }
    }
}

impl From<SealError> for ApiError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Key(k) => k.into(),
            e => ApiError::internal(&e),
        }
    }
}
