//! The cloud adapters: DynamoDB tables, KMS keys, SES v2 email and SNS SMS, behind the same ports as the embedded
//! adapters and held to the same contract tests (`tests/tests/contract.rs`, run against moto).
//!
//! Errors from the SDK are classified here once: what may pass on a retry (throttling, 5xx, timeouts, a lost
//! connection) and what will not. Error texts we build carry the service, operation, error code and HTTP status, never
//! the request: SES and SNS messages echo addresses and phone numbers, so their service messages are dropped too.

mod amazon_roots;
#[cfg(feature = "aws-dynamodb")]
pub mod dynamo;
mod http;
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

/// The root certificates the AWS clients trust, compiled in: Amazon Trust Services' four roots, which every AWS
/// endpoint's certificate chains to, and the Starfield root that cross-signs them (`amazon_roots.rs`, with their
/// fingerprints). Compiled in rather than read from the system store, which costs a cold start about 150 file reads
/// and parses (the bundle, then the directory); and five roots rather than Mozilla's 150, so no other authority can
/// vouch for a DynamoDB or KMS endpoint. The cost: a new AWS root needs a new build (they run to 2037-2040).
pub const AWS_ROOTS_PEM: &[u8] = amazon_roots::PEM.as_bytes();

pub use http::{https_client, tls_config};

/// The SDK configuration of every client of a function, built from the environment Lambda gives a function:
/// `AWS_REGION`, the execution role's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`) and, in tests and benchmarks, `AWS_ENDPOINT_URL`; with [`https_client`]. The SDK's own
/// retries are off: the retry wrapper (`adapters::retry`) is the one place that retries, so attempts don't multiply.
/// Each attempt is bounded, so a stalled connection becomes a transient error well within a Lambda's time.
///
/// Built by hand rather than by aws-config's loader: that loader's credential chain (profile files, SSO, STS web
/// identity, ECS and instance metadata), the STS client under it and its profile-file reads at start-up are of no use
/// in a Lambda (figures in docs/performance.md).
pub fn load_sdk_config() -> Result<aws_types::SdkConfig, AwsEnvError> {
    sdk_config_from(&crate::config::Env)
}

/// [`load_sdk_config`] from any source of variables (a map in tests).
pub fn sdk_config_from(src: &dyn crate::config::Source) -> Result<aws_types::SdkConfig, AwsEnvError> {
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_smithy_types::retry::RetryConfig;
    use aws_smithy_types::timeout::TimeoutConfig;

    let var = |name: &'static str| src.var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let needed = |name: &'static str| var(name).ok_or(AwsEnvError::Missing { name });
    // Lambda sets both; AWS_DEFAULT_REGION is the older name other AWS tools still read.
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).ok_or(AwsEnvError::Missing { name: "AWS_REGION" })?;
    // Static credentials, read once. That is right in Lambda: the runtime puts the execution role's temporary
    // credentials in the environment of each execution environment, and they stay valid for that environment's life;
    // fresh credentials come with a new execution environment (a new process), never to a running one, so there is
    // nothing to refresh. Outside Lambda (tests, benchmarks, a shell) the same three variables are what to export.
    let credentials = aws_credential_types::Credentials::new(
        needed("AWS_ACCESS_KEY_ID")?,
        needed("AWS_SECRET_ACCESS_KEY")?,
        var("AWS_SESSION_TOKEN"),
        None,
        "Environment",
    );
    let endpoint_url = match var("AWS_ENDPOINT_URL") {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => Some(url),
        Some(_) => return Err(AwsEnvError::BadEndpoint),
        None => None,
    };
    let mut builder = aws_types::SdkConfig::builder()
        .behavior_version(aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(https_client())
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(10))
                .build(),
        );
    builder.set_endpoint_url(endpoint_url);
    Ok(builder.build())
}

/// A variable the SDK configuration needs is missing or wrong. Lambda sets all of them; anywhere else they are
/// exported by hand (scripts/test and the benchmarks do it for moto).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsEnvError {
    #[error(
        "the environment variable {name} is not set: Lambda sets it for every function; elsewhere export AWS_REGION (eu-west-2), \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary credentials)"
    )]
    Missing { name: &'static str },
    #[error(
        "the environment variable AWS_ENDPOINT_URL is not a URL: give it as http://host:port or https://host, or unset it to reach AWS itself"
    )]
    BadEndpoint,
}

/// A function that fails start-up prints its error's `Debug` form: make that the sentence that names the variable.
impl std::fmt::Debug for AwsEnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// What every function builds first: its tables on DynamoDB and its keys on KMS, from the environment, each reached once
/// during start-up (the init phase) so the first request does not pay for the connections, and both behind the retry
/// wrapper. `tables` are the tables the function may use (the first is the one it warms up); `mac` says whether it
/// needs the HMAC key.
#[cfg(all(feature = "aws-dynamodb", feature = "aws-kms"))]
pub struct CoreClients {
    pub sdk: aws_types::SdkConfig,
    pub tables: std::sync::Arc<dyn crate::ports::Tables>,
    pub keys: std::sync::Arc<dyn crate::ports::KeyService>,
}

#[cfg(all(feature = "aws-dynamodb", feature = "aws-kms"))]
impl CoreClients {
    pub async fn from_env(tables: &[crate::ports::Table], mac: bool) -> anyhow::Result<Self> {
        use anyhow::Context;

        use crate::adapters::{RetryPolicy, Retrying};
        use crate::config::{AuditKeyConfig, DataKeyConfig, MacKeyConfig, TableNames};

        let names = TableNames::from_env(tables)?;
        let data_key = DataKeyConfig::from_env()?;
        let mac_key = if mac { Some(MacKeyConfig::from_env()?.mac_key_id) } else { None };
        let sdk = load_sdk_config()?;
        let dynamo = DynamoTables::new(aws_sdk_dynamodb::Client::new(&sdk), names);
        let mut kms = KmsKeys::new(aws_sdk_kms::Client::new(&sdk), data_key.data_key_id, mac_key);
        if let Some(audit_key) = AuditKeyConfig::from_env().audit_key_id {
            kms = kms.with_audit_key(audit_key);
        }
        // Both at once: two endpoints, so two connections (and, in the cloud, two TLS handshakes) that need not wait
        // for each other.
        let table_warm_up = async {
            match tables.first() {
                Some(first) => dynamo.warm_up(*first).await.with_context(|| format!("the {} table cannot be reached", first.as_str())),
                None => Ok(()),
            }
        };
        let (table_ready, key_ready) = tokio::join!(table_warm_up, kms.warm_up());
        table_ready?;
        key_ready.context("the data key cannot be reached")?;
        let policy = RetryPolicy::default();
        Ok(Self { sdk, tables: std::sync::Arc::new(Retrying::new(dynamo, policy)), keys: std::sync::Arc::new(Retrying::new(kms, policy)) })
    }
}

/// What went wrong with one SDK call, in terms a port can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// May pass on a retry: throttling, a 5xx, a timeout, a lost connection.
    pub transient: bool,
    /// How far the request got: what decides whether a message may have been taken.
    pub reached: Reached,
    /// The service's error code (`ConditionalCheckFailedException`, ...), when the service answered.
    pub code: Option<String>,
    pub status: Option<u16>,
    /// The service's own message, kept only where the adapter knows it carries no personal data.
    pub message: Option<String>,
}

/// How far one call got before it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reached {
    /// The request never left: it could not be built, or no connection was made (refused, no route, the name did not
    /// resolve, the connect or TLS handshake timed out). The service certainly did nothing.
    NotSent,
    /// The request may have been sent, and no usable answer came: a timeout, a connection reset or closed after the
    /// request went out, an answer that could not be read. The service may have acted on it.
    NoAnswer,
    /// The service answered with an error.
    Answered,
}

/// Whether a dispatch failure happened before any byte of the request could go out: the HTTP client failed to
/// connect (`is_connect`, which covers DNS, TCP and TLS and the connect timeout) or the operating system refused the
/// connection. Anything else (a reset, a closed connection, a read timeout) may have come after the request was sent.
fn could_not_connect(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.downcast_ref::<hyper_util::client::legacy::Error>().is_some_and(|h| h.is_connect())
            || e.is::<aws_smithy_runtime_api::client::dns::ResolveDnsError>()
            || e.downcast_ref::<std::io::Error>().is_some_and(|io| {
                matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::AddrNotAvailable
                        | std::io::ErrorKind::NetworkUnreachable
                        | std::io::ErrorKind::HostUnreachable
                )
            })
        {
            return true;
        }
        next = e.source();
    }
    false
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

/// Error codes a messaging service answers before it takes a message: "slow down", "unavailable".
#[cfg(any(feature = "aws-ses", feature = "aws-sns"))]
const NOT_TAKEN_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "Throttled",
    "ThrottledException",
    "TooManyRequestsException",
    "LimitExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

impl Failure {
    pub(crate) fn of<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Self {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let no_answer = |reached| Failure { transient: true, reached, code: None, status, message: None };
        match err {
            SdkError::DispatchFailure(d) if d.as_connector_error().is_some_and(|c| could_not_connect(c)) => no_answer(Reached::NotSent),
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => no_answer(Reached::NoAnswer),
            SdkError::ConstructionFailure(_) => Failure {
                transient: false,
                reached: Reached::NotSent,
                code: Some("ConstructionFailure".into()),
                status: None,
                message: None,
            },
            _ => Failure::service(err.code(), status, err.message()),
        }
    }

    /// The service answered with an error: throttling codes, 429 and 5xx may pass.
    pub(crate) fn service(code: Option<&str>, status: Option<u16>, message: Option<&str>) -> Self {
        let transient = status.is_some_and(|s| s >= 500 || s == 429) || code.is_some_and(|c| TRANSIENT_CODES.contains(&c));
        Failure { transient, reached: Reached::Answered, code: code.map(str::to_owned), status, message: message.map(str::to_owned) }
    }

    /// No answer: a timeout or a connection lost after the request went.
    #[cfg(test)]
    pub(crate) fn no_answer() -> Self {
        Failure { transient: true, reached: Reached::NoAnswer, code: None, status: None, message: None }
    }

    /// No connection: refused, or never made.
    #[cfg(test)]
    pub(crate) fn not_sent() -> Self {
        Failure { transient: true, reached: Reached::NotSent, code: None, status: None, message: None }
    }

    /// For a message sender: was the message certainly not taken, and may it pass later? Only a request that never
    /// went out, or an answer that says "slow down" or "unavailable" (throttling, 429, 503), is that. Any other 5xx
    /// (an internal error, a gateway timeout) may come after the service took the message.
    /// A failed send, for SES and SNS alike. Known final refusals (`permanent_codes`) and client errors other than
    /// throttling are rejections; the message was certainly not taken when no connection was made or the service said
    /// "slow down" before accepting anything (`also_not_taken` adds a service's own such answer); anything else (a
    /// timeout, a lost connection, a 5xx other than 503) may come after the service took the message: unknown, and
    /// never sent again.
    #[cfg(any(feature = "aws-ses", feature = "aws-sns"))]
    pub(crate) fn send_error(&self, operation: &str, permanent_codes: &[&str], also_not_taken: bool) -> crate::ports::messaging::SendError {
        use crate::ports::messaging::SendError;
        let e = self.describe(operation, false);
        let known_final = self.code.as_deref().is_some_and(|c| permanent_codes.contains(&c));
        let not_taken = self.certainly_not_taken() || also_not_taken;
        let client_error = self.status.is_some_and(|s| (400..500).contains(&s)) && !self.transient && !not_taken;
        if known_final || client_error || (self.reached == Reached::NotSent && !self.transient) {
            SendError::Rejected(e)
        } else if not_taken {
            SendError::NotTaken(e)
        } else {
            SendError::Unknown(e)
        }
    }

    #[cfg(any(feature = "aws-ses", feature = "aws-sns"))]
    pub(crate) fn certainly_not_taken(&self) -> bool {
        match self.reached {
            Reached::NotSent => self.transient,
            Reached::NoAnswer => false,
            Reached::Answered => {
                self.status.is_some_and(|s| s == 429 || s == 503) || self.code.as_deref().is_some_and(|c| NOT_TAKEN_CODES.contains(&c))
            }
        }
    }

    pub(crate) fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// An error for logs and callers: service, operation, code and status; the service's message only if `keep_message`.
    pub(crate) fn describe(&self, operation: &str, keep_message: bool) -> anyhow::Error {
        let code = self.code.as_deref().unwrap_or(match self.reached {
            Reached::NotSent => "no connection",
            Reached::NoAnswer => "no answer (timeout or lost connection)",
            Reached::Answered => "unknown",
        });
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

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    const LAMBDA_ENV: &[(&str, &str)] = &[
        ("AWS_REGION", "eu-west-2"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
    ];

    #[tokio::test]
    async fn the_sdk_configuration_takes_region_credentials_and_endpoint_from_the_environment() {
        use aws_credential_types::provider::ProvideCredentials;
        let sdk = super::sdk_config_from(&env(LAMBDA_ENV)).unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-2"));
        assert_eq!(sdk.endpoint_url(), None, "AWS itself unless AWS_ENDPOINT_URL says otherwise");
        let creds = sdk.credentials_provider().unwrap().provide_credentials().await.unwrap();
        assert_eq!((creds.access_key_id(), creds.secret_access_key(), creds.session_token()), ("ASIAEXAMPLE", "secret", Some("token")));
        assert_eq!(creds.expiry(), None);
        assert!(sdk.http_client().is_some() && sdk.sleep_impl().is_some() && sdk.behavior_version().is_some());
        assert!(!sdk.retry_config().unwrap().has_retry(), "the retry wrapper is the one place that retries");
        assert_eq!(sdk.timeout_config().unwrap().operation_timeout(), Some(std::time::Duration::from_secs(10)));

        let mut moto = LAMBDA_ENV.to_vec();
        moto.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"));
        assert_eq!(super::sdk_config_from(&env(&moto)).unwrap().endpoint_url(), Some("http://127.0.0.1:5000"));
        // Long-term keys (a shell, not Lambda) come without a session token; the older region variable is read too.
        let keys = [("AWS_DEFAULT_REGION", "eu-west-1"), ("AWS_ACCESS_KEY_ID", "AKIA"), ("AWS_SECRET_ACCESS_KEY", "s")];
        let sdk = super::sdk_config_from(&env(&keys)).unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(sdk.credentials_provider().unwrap().provide_credentials().await.unwrap().session_token(), None);
    }

    #[test]
    fn a_missing_aws_variable_is_named_with_what_to_set() {
        for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            let mut vars: Vec<_> = LAMBDA_ENV.iter().copied().filter(|(k, _)| *k != missing).collect();
            let err = super::sdk_config_from(&env(&vars)).unwrap_err();
            assert_eq!(err, super::AwsEnvError::Missing { name: missing });
            let text = format!("{err:?}");
            assert!(text.contains(missing) && text.contains("export"), "{text}");
            vars.push((missing, "  "));
            assert_eq!(super::sdk_config_from(&env(&vars)).unwrap_err(), super::AwsEnvError::Missing { name: missing }, "blank is missing");
        }
        let mut bad = LAMBDA_ENV.to_vec();
        bad.push(("AWS_ENDPOINT_URL", "localhost:5000"));
        let err = super::sdk_config_from(&env(&bad)).unwrap_err();
        assert!(format!("{err:?}").contains("AWS_ENDPOINT_URL"));
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
    fn ses_errors_split_into_rejected_not_taken_and_unknown() {
        let of = |f: Failure| super::ses::send_error_of(&f);
        for code in ["MessageRejected", "MailFromDomainNotVerifiedException", "AccountSuspendedException", "BadRequestException"] {
            assert!(matches!(of(svc(code, 400)), SendError::Rejected(_)), "{code}");
        }
        // Refused before SES took anything: sent again.
        assert!(matches!(of(svc("TooManyRequestsException", 429)), SendError::NotTaken(_)));
        assert!(matches!(of(svc("LimitExceededException", 400)), SendError::NotTaken(_)));
        assert!(matches!(of(svc("SendingPausedException", 400)), SendError::NotTaken(_)));
        assert!(matches!(of(svc("ServiceUnavailable", 503)), SendError::NotTaken(_)));
        assert!(matches!(of(Failure::not_sent()), SendError::NotTaken(_)));
        // SES may have taken it: never sent again.
        assert!(matches!(of(svc("InternalFailure", 500)), SendError::Unknown(_)));
        assert!(matches!(of(svc("RequestTimeout", 400)), SendError::Unknown(_)));
        assert!(matches!(of(Failure::no_answer()), SendError::Unknown(_)));
    }

    #[test]
    fn sns_errors_split_into_rejected_not_taken_and_unknown() {
        let of = |f: Failure| super::sns::send_error_of(&f);
        for code in ["InvalidParameter", "InvalidParameterValue", "OptedOut", "AuthorizationError"] {
            assert!(matches!(of(svc(code, 400)), SendError::Rejected(_)), "{code}");
        }
        assert!(matches!(of(svc("Throttled", 429)), SendError::NotTaken(_)));
        assert!(matches!(of(svc("ThrottledException", 400)), SendError::NotTaken(_)));
        assert!(matches!(of(Failure::not_sent()), SendError::NotTaken(_)));
        assert!(matches!(of(svc("InternalError", 500)), SendError::Unknown(_)));
        assert!(matches!(of(Failure::no_answer()), SendError::Unknown(_)));
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
