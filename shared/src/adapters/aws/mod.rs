//! The cloud adapters: DynamoDB tables, KMS keys, SES v2 email and SNS SMS, behind the same ports as the embedded
//! adapters and held to the same contract tests (`tests/tests/contract.rs`, run against moto).
//!
//! Errors from the SDK are classified here once: what may pass on a retry (throttling, 5xx, timeouts, a lost
//! connection) and what will not. Error texts we build carry the service, operation, error code and HTTP status, never
//! the request: SES and SNS messages echo addresses and phone numbers, so their service messages are dropped too.

#[cfg(feature = "aws-dynamodb")]
pub mod dynamo;
#[cfg(feature = "aws-kms")]
pub mod kms;
#[cfg(feature = "aws-ses")]
pub mod ses;
#[cfg(feature = "aws-sns")]
pub mod sns;

use std::time::Duration;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[cfg(feature = "aws-dynamodb")]
pub use dynamo::DynamoTables;
#[cfg(feature = "aws-kms")]
pub use kms::KmsKeys;
#[cfg(feature = "aws-ses")]
pub use ses::SesEmail;
#[cfg(feature = "aws-sns")]
pub use sns::SnsSms;

/// Loads the SDK configuration once, for every client of a function: region, credentials and (in tests)
/// `AWS_ENDPOINT_URL` from the environment, as aws-config reads them. The SDK's own retries are off: the retry
/// wrapper (`adapters::retry`) is the one place that retries, so attempts don't multiply. Each attempt is bounded, so
/// a stalled connection becomes a transient error well within a Lambda's time.
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .load()
        .await
}

/// What went wrong with one SDK call, in terms a port can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// May pass on a retry: throttling, a 5xx, a timeout, a lost connection.
    pub transient: bool,
    /// The service's error code (`ConditionalCheckFailedException`, ...), when the service answered.
    pub code: Option<String>,
    pub status: Option<u16>,
    /// The service's own message, kept only where the adapter knows it carries no personal data.
    pub message: Option<String>,
}

/// Error codes that mean "slow down" or "try again", across the services used here.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "Throttled",
    "ThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "LimitExceededException",
    "KMSThrottlingException",
    "KMSInternalException",
    "DependencyTimeoutException",
    "KeyUnavailableException",
    "InternalServerError",
    "InternalFailure",
    "InternalErrorException",
    "InternalServiceError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
    "TransactionInProgressException",
];

impl Failure {
    pub(crate) fn of<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Self {
        match err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
                Failure { transient: true, code: None, status: err.raw_response().map(|r| r.status().as_u16()), message: None }
            }
            SdkError::ConstructionFailure(_) => {
                Failure { transient: false, code: Some("ConstructionFailure".into()), status: None, message: None }
            }
            _ => Failure::service(err.code(), err.raw_response().map(|r| r.status().as_u16()), err.message()),
        }
    }

    /// The service answered with an error: throttling codes, 429 and 5xx may pass.
    pub(crate) fn service(code: Option<&str>, status: Option<u16>, message: Option<&str>) -> Self {
        let transient = status.is_some_and(|s| s >= 500 || s == 429) || code.is_some_and(|c| TRANSIENT_CODES.contains(&c));
        Failure { transient, code: code.map(str::to_owned), status, message: message.map(str::to_owned) }
    }

    /// No answer: a timeout or a lost connection.
    #[cfg(test)]
    pub(crate) fn no_answer() -> Self {
        Failure { transient: true, code: None, status: None, message: None }
    }

    pub(crate) fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// An error for logs and callers: service, operation, code and status; the service's message only if `keep_message`.
    pub(crate) fn describe(&self, operation: &str, keep_message: bool) -> anyhow::Error {
        let code = self.code.as_deref().unwrap_or(if self.transient { "no answer (timeout or connection)" } else { "unknown" });
        let status = self.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
        match (&self.message, keep_message) {
            (Some(m), true) => anyhow::anyhow!("{operation}: {code}{status}: {m}"),
            _ => anyhow::anyhow!("{operation}: {code}{status}"),
        }
    }
}

#[cfg(all(test, feature = "aws"))]
mod tests {
    use super::Failure;
    use crate::ports::messaging::SendError;
    use crate::ports::{KeyError, StoreError};

    fn svc(code: &str, status: u16) -> Failure {
        Failure::service(Some(code), Some(status), Some("a message that may quote +447700900123"))
    }

    #[test]
    fn dynamodb_errors_map_to_what_callers_act_on() {
        let of = |f: Failure| super::dynamo::store_error_of(&f, "dynamodb PutItem on reports");
        assert!(matches!(of(svc("ConditionalCheckFailedException", 400)), StoreError::ConditionFailed));
        for f in [svc("ProvisionedThroughputExceededException", 400), svc("ThrottlingException", 400), svc("RequestLimitExceeded", 400)] {
            assert!(matches!(of(f), StoreError::Unavailable(_)));
        }
        assert!(matches!(of(svc("InternalServerError", 500)), StoreError::Unavailable(_)));
        assert!(matches!(of(Failure::no_answer()), StoreError::Unavailable(_)));
        assert!(matches!(of(svc("ValidationException", 400)), StoreError::Other(_)));
        assert!(matches!(of(svc("ResourceNotFoundException", 400)), StoreError::Other(_)));
    }

    #[test]
    fn kms_refusals_of_a_wrapped_key_are_context_mismatches() {
        let of = |f: Failure| super::kms::key_error_of(&f, "Decrypt");
        assert!(matches!(of(svc("InvalidCiphertextException", 400)), KeyError::ContextMismatch));
        assert!(matches!(of(svc("IncorrectKeyException", 400)), KeyError::ContextMismatch));
        assert!(matches!(of(svc("ThrottlingException", 400)), KeyError::Unavailable(_)));
        assert!(matches!(of(svc("KMSInternalException", 500)), KeyError::Unavailable(_)));
        assert!(matches!(of(svc("DisabledException", 400)), KeyError::Other(_)));
        assert!(matches!(of(svc("AccessDeniedException", 400)), KeyError::Other(_)));
    }

    #[test]
    fn ses_errors_split_into_final_and_passing() {
        let of = |f: Failure| super::ses::send_error_of(&f);
        for code in ["MessageRejected", "MailFromDomainNotVerifiedException", "AccountSuspendedException", "BadRequestException"] {
            assert!(matches!(of(svc(code, 400)), SendError::Permanent(_)), "{code}");
        }
        assert!(matches!(of(svc("TooManyRequestsException", 429)), SendError::Transient(_)));
        assert!(matches!(of(svc("LimitExceededException", 400)), SendError::Transient(_)));
        assert!(matches!(of(svc("SendingPausedException", 400)), SendError::Transient(_)));
        assert!(matches!(of(svc("InternalFailure", 500)), SendError::Transient(_)));
        assert!(matches!(of(Failure::no_answer()), SendError::Transient(_)));
    }

    #[test]
    fn sns_errors_split_into_final_and_passing() {
        let of = |f: Failure| super::sns::send_error_of(&f);
        for code in ["InvalidParameter", "InvalidParameterValue", "OptedOut", "AuthorizationError"] {
            assert!(matches!(of(svc(code, 400)), SendError::Permanent(_)), "{code}");
        }
        assert!(matches!(of(svc("Throttled", 429)), SendError::Transient(_)));
        assert!(matches!(of(svc("ThrottledException", 400)), SendError::Transient(_)));
        assert!(matches!(of(svc("InternalError", 500)), SendError::Transient(_)));
    }

    #[test]
    fn messaging_errors_never_carry_the_services_message() {
        // SES and SNS quote addresses and numbers in their messages.
        for e in [super::ses::send_error_of(&svc("MessageRejected", 400)), super::sns::send_error_of(&svc("InvalidParameter", 400))] {
            let text = format!("{e} {e:?}");
            assert!(!text.contains("+447700900123"), "{text}");
            assert!(text.contains("HTTP 400"), "{text}");
        }
    }
}
