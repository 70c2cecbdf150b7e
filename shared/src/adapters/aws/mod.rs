//! The cloud adapters: DynamoDB tables, KMS keys, SES v2 email and SNS SMS, behind the same ports as the embedded
//! adapters and held to the same contract tests (`tests/tests/contract.rs`, run against moto).
//!
//! They speak to AWS themselves, not through the AWS SDK: thirteen operations of four services, each a signed POST
//! of JSON (DynamoDB, KMS, SES v2) or of a form (SNS), through one HTTPS client (`http`) and one signer (`sign`,
//! Signature Version 4). The SDK's service clients, runtime and codecs were most of each function's size and start-up
//! (docs/performance.md), and of what they offer the adapters used none but these calls: the SDK's own retries were
//! off (the retry wrapper, `adapters::retry`, is the one place that retries), and so was its credential chain.
//!
//! Errors are classified here once: what may pass on a retry (throttling, 5xx, timeouts, a lost connection) and what
//! will not, and how far the request got. Error texts we build carry the service, operation, error code and HTTP
//! status, never the request: SES and SNS messages echo addresses and phone numbers, so their service messages are
//! dropped too.

mod amazon_roots;
#[cfg(feature = "aws-dynamodb")]
pub mod dynamo;
mod http;
#[cfg(feature = "aws-kms")]
pub mod kms;
#[cfg(feature = "aws-ses")]
pub mod ses;
mod sign;
#[cfg(feature = "aws-sns")]
pub mod sns;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

#[cfg(feature = "aws-dynamodb")]
pub use dynamo::DynamoTables;
#[cfg(feature = "aws-kms")]
pub use kms::KmsKeys;
#[cfg(feature = "aws-ses")]
pub use ses::SesEmail;
pub use sign::Credentials;
#[cfg(feature = "aws-sns")]
pub use sns::SnsSms;

/// The root certificates the AWS clients trust, compiled in: Amazon Trust Services' four roots, which every AWS
/// endpoint's certificate chains to, and the Starfield root that cross-signs them (`amazon_roots.rs`, with their
/// fingerprints). Compiled in rather than read from the system store, which costs a cold start about 150 file reads
/// and parses (the bundle, then the directory); and five roots rather than Mozilla's 150, so no other authority can
/// vouch for a DynamoDB or KMS endpoint. The cost: a new AWS root needs a new build (they run to 2037-2040).
pub const AWS_ROOTS_PEM: &[u8] = amazon_roots::PEM.as_bytes();

pub use http::tls_config;

/// How long a connection may take to make (DNS, TCP, TLS).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one call may take in all, from connecting to the answer's last byte: a stalled call becomes a transient
/// error well within a Lambda's time, and the retry wrapper decides what happens next.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// One service: its name in the figures (`CallObserver`), its signing name and its endpoint's host prefix.
pub(crate) struct Service {
    pub name: &'static str,
    pub signing_name: &'static str,
    pub host_prefix: &'static str,
}

#[cfg(feature = "aws-dynamodb")]
pub(crate) const DYNAMODB: Service = Service { name: "DynamoDB", signing_name: "dynamodb", host_prefix: "dynamodb" };
#[cfg(feature = "aws-kms")]
pub(crate) const KMS: Service = Service { name: "KMS", signing_name: "kms", host_prefix: "kms" };
#[cfg(feature = "aws-ses")]
pub(crate) const SES: Service = Service { name: "SESv2", signing_name: "ses", host_prefix: "email" };
#[cfg(feature = "aws-sns")]
pub(crate) const SNS: Service = Service { name: "SNS", signing_name: "sns", host_prefix: "sns" };

/// Sees every call the adapters make, after its answer (or its failure): what the tests count and price
/// (`tests/src/meter.rs`). It is given the request's body, never the answer's: a KMS answer holds a plaintext key.
pub trait CallObserver: Send + Sync {
    fn observe(&self, call: &ObservedCall<'_>);
}

/// One call, as a [`CallObserver`] sees it.
#[derive(Debug)]
pub struct ObservedCall<'a> {
    /// `DynamoDB`, `KMS`, `SESv2` or `SNS`.
    pub service: &'a str,
    /// The operation: `PutItem`, `GenerateDataKey`, `SendEmail`, `Publish`...
    pub operation: &'a str,
    pub request: &'a [u8],
    /// The answer's status, when one came.
    pub status: Option<u16>,
    pub response_bytes: u64,
}

/// What every AWS adapter of a function shares: the region, the credentials, where the services are, and one pool of
/// connections. Cheap to clone.
#[derive(Clone)]
pub struct AwsClient {
    inner: Arc<Inner>,
}

struct Inner {
    region: String,
    credentials: Credentials,
    /// `AWS_ENDPOINT_URL` (moto in the tests), as scheme and authority; `None` for AWS itself.
    endpoint: Option<(String, String)>,
    transport: http::Transport,
    observer: Option<Arc<dyn CallObserver>>,
}

impl std::fmt::Debug for AwsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsClient").field("region", &self.inner.region).field("endpoint", &self.inner.endpoint).finish_non_exhaustive()
    }
}

/// How a service answers errors.
#[derive(Clone, Copy)]
pub(crate) enum Protocol {
    /// JSON, with the error code in `x-amzn-ErrorType` or `__type` (DynamoDB, KMS, SES v2).
    Json,
    /// XML, with the error code in `<Error><Code>` (SNS).
    #[cfg(feature = "aws-sns")]
    Query,
}

/// The client every adapter of a function uses, built from the environment Lambda gives a function: `AWS_REGION`,
/// the execution role's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and, in tests
/// and benchmarks, `AWS_ENDPOINT_URL`.
pub fn load_aws_client() -> Result<AwsClient, AwsEnvError> {
    aws_client_from(&crate::config::Env)
}

/// [`load_aws_client`] from any source of variables (a map in tests).
pub fn aws_client_from(src: &dyn crate::config::Source) -> Result<AwsClient, AwsEnvError> {
    let var = |name: &'static str| src.var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let needed = |name: &'static str| var(name).ok_or(AwsEnvError::Missing { name });
    // Lambda sets both; AWS_DEFAULT_REGION is the older name other AWS tools still read.
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).ok_or(AwsEnvError::Missing { name: "AWS_REGION" })?;
    if !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(AwsEnvError::BadRegion);
    }
    // Static credentials, read once. That is right in Lambda: the runtime puts the execution role's temporary
    // credentials in the environment of each execution environment, and they stay valid for that environment's life;
    // fresh credentials come with a new execution environment (a new process), never to a running one, so there is
    // nothing to refresh. Outside Lambda (tests, benchmarks, a shell) the same three variables are what to export.
    let credentials = Credentials::new(needed("AWS_ACCESS_KEY_ID")?, needed("AWS_SECRET_ACCESS_KEY")?, var("AWS_SESSION_TOKEN"));
    let endpoint = match var("AWS_ENDPOINT_URL") {
        Some(url) => Some(endpoint_of(&url).ok_or(AwsEnvError::BadEndpoint)?),
        None => None,
    };
    Ok(AwsClient {
        inner: Arc::new(Inner { region, credentials, endpoint, transport: http::Transport::new(CONNECT_TIMEOUT), observer: None }),
    })
}

/// `http://host:port` or `https://host` (a trailing `/` allowed) as scheme and authority.
fn endpoint_of(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let ok = matches!(scheme, "http" | "https")
        && !authority.is_empty()
        && authority.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then(|| (scheme.to_owned(), authority.to_owned()))
}

impl AwsClient {
    /// The same client, with every call shown to `observer` (the tests' meter).
    pub fn with_observer(&self, observer: Arc<dyn CallObserver>) -> Self {
        let i = &self.inner;
        Self {
            inner: Arc::new(Inner {
                region: i.region.clone(),
                credentials: i.credentials.clone(),
                endpoint: i.endpoint.clone(),
                transport: i.transport.clone(),
                observer: Some(observer),
            }),
        }
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// Where `service` is: `AWS_ENDPOINT_URL` when set, else the service's regional endpoint.
    fn base(&self, service: &Service) -> (String, String) {
        match &self.inner.endpoint {
            Some((scheme, authority)) => (scheme.clone(), authority.clone()),
            None => {
                let suffix = if self.inner.region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
                ("https".into(), format!("{}.{}.{suffix}", service.host_prefix, self.inner.region))
            }
        }
    }

    /// One signed POST; the answer's body when the service said yes (2xx), else what went wrong.
    pub(crate) async fn post(
        &self,
        service: &Service,
        operation: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        protocol: Protocol,
    ) -> Result<Bytes, Failure> {
        let (scheme, host) = self.base(service);
        let mut signed_headers = vec![("host", host.as_str())];
        signed_headers.extend_from_slice(headers);
        let scope = sign::Scope { region: &self.inner.region, service: service.signing_name };
        let auth = sign::sign("POST", path, &signed_headers, &body, &scope, &self.inner.credentials, SystemTime::now());
        let mut request = ::http::Request::post(format!("{scheme}://{host}{path}"));
        for (name, value) in &signed_headers {
            request = request.header(*name, *value);
        }
        for (name, value) in &auth {
            request = request.header(*name, value.as_str());
        }
        let body = Bytes::from(body);
        let request = request.body(http_body_util::Full::new(body.clone())).map_err(|_| Failure {
            transient: false,
            reached: Reached::NotSent,
            code: Some("BadRequest".into()),
            status: None,
            message: None,
        })?;
        let answer = self.inner.transport.send(request, CALL_TIMEOUT).await;
        if let Some(observer) = &self.inner.observer {
            observer.observe(&ObservedCall {
                service: service.name,
                operation,
                request: &body,
                status: answer.as_ref().ok().map(|a| a.status),
                response_bytes: answer.as_ref().map(|a| a.body.len() as u64).unwrap_or(0),
            });
        }
        let answer = answer?;
        if (200..300).contains(&answer.status) {
            return Ok(answer.body);
        }
        let (code, message) = match protocol {
            Protocol::Json => json_error(&answer.headers, &answer.body),
            #[cfg(feature = "aws-sns")]
            Protocol::Query => (xml_text(&answer.body, "Code"), xml_text(&answer.body, "Message")),
        };
        Err(Failure::service(code.as_deref(), Some(answer.status), message.as_deref()))
    }

    /// One call of a JSON-protocol service (DynamoDB, KMS): `X-Amz-Target: {prefix}.{operation}`.
    pub(crate) async fn json_call(
        &self,
        service: &Service,
        content_type: &str,
        target_prefix: &str,
        operation: &str,
        input: &impl serde::Serialize,
    ) -> Result<Bytes, Failure> {
        let body = serde_json::to_vec(input).map_err(|_| Failure::unbuildable())?;
        let target = format!("{target_prefix}.{operation}");
        self.post(service, operation, "/", &[("content-type", content_type), ("x-amz-target", &target)], body, Protocol::Json).await
    }

    /// One call of a query-protocol service (SNS): `Action`, `Version` and the parameters as a form; the answer is XML.
    #[cfg(feature = "aws-sns")]
    pub(crate) async fn query_call(
        &self,
        service: &Service,
        version: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<Bytes, Failure> {
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("Action", action).append_pair("Version", version);
            for (k, v) in params {
                form.append_pair(k, v);
            }
            form.finish().into_bytes()
        };
        self.post(service, action, "/", &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")], body, Protocol::Query)
            .await
    }
}

/// An answer's JSON read into `T`; a 2xx answer that does not read is "answered, unreadable": the call went through,
/// so it is not retried, and a message sender reports it as unknown.
pub(crate) fn read_answer<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|_| Failure {
        transient: false,
        reached: Reached::Answered,
        code: Some("UnreadableAnswer".into()),
        status: Some(200),
        message: None,
    })
}

/// The error code and message of a JSON-protocol answer: the code from `x-amzn-ErrorType` or the body's `__type`
/// (or `code`), without its namespace (`com.amazonaws.dynamodb.v20120810#`) or suffix (`:http://...`).
fn json_error(headers: &::http::HeaderMap, body: &[u8]) -> (Option<String>, Option<String>) {
    let parsed: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    let field = |names: &[&str]| names.iter().find_map(|n| parsed.get(*n).and_then(|v| v.as_str()).map(str::to_owned));
    let raw =
        headers.get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_owned).or_else(|| field(&["__type", "code", "Code"]));
    let code = raw.map(|c| {
        let c = c.split(':').next().unwrap_or_default();
        c.rsplit('#').next().unwrap_or_default().to_owned()
    });
    (code.filter(|c| !c.is_empty()), field(&["message", "Message"]))
}

/// The text of the first `<tag>...</tag>` in an XML answer, its five predefined entities undone. Enough for the
/// fields read here (`MessageId`, `isOptedOut`, `Code`, `Message`), which hold no markup.
#[cfg(feature = "aws-sns")]
pub(crate) fn xml_text(body: &[u8], tag: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find(&format!("</{tag}>"))?;
    let raw = &text[start..end];
    Some(raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&"))
}

/// A variable the AWS client needs is missing or wrong. Lambda sets all of them; anywhere else they are
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
    #[error("the environment variable AWS_REGION is not a region name: give it as eu-west-2, say")]
    BadRegion,
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
    pub aws: AwsClient,
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
        let aws = load_aws_client()?;
        let dynamo = DynamoTables::new(aws.clone(), names);
        let mut kms = KmsKeys::new(aws.clone(), data_key.data_key_id, mac_key);
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
        Ok(Self { aws, tables: std::sync::Arc::new(Retrying::new(dynamo, policy)), keys: std::sync::Arc::new(Retrying::new(kms, policy)) })
    }
}

/// What went wrong with one AWS call, in terms a port can act on.
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

/// Error codes that mean "slow down", from the messaging services and AWS's common errors. A message sender's "slow
/// down" comes before it takes the message, and used its rate (`SendError::rate_exceeded`).
const RATE_EXCEEDED_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "Throttled",
    "ThrottledException",
    "TooManyRequestsException",
    "LimitExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
];

/// Error codes that mean "unavailable": a message sender says so before it takes the message.
const UNAVAILABLE_CODES: &[&str] = &["ServiceUnavailable", "ServiceUnavailableException"];

/// Other error codes that mean "try again": the tables' and keys' own "slow down", and answers after which the
/// service may have done part of the work.
const OTHER_TRANSIENT_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "KMSThrottlingException",
    "KMSInternalException",
    "DependencyTimeoutException",
    "KeyUnavailableException",
    "InternalServerError",
    "InternalFailure",
    "InternalErrorException",
    "InternalServiceError",
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
    "TransactionInProgressException",
];

fn listed(lists: &[&[&str]], code: Option<&str>) -> bool {
    code.is_some_and(|c| lists.iter().any(|l| l.contains(&c)))
}

impl Failure {
    /// No usable answer: the request never left (`NotSent`) or went with no answer (`NoAnswer`). Both may pass later.
    pub(crate) fn transport(reached: Reached) -> Self {
        Failure { transient: true, reached, code: None, status: None, message: None }
    }

    /// The request could not be built: nothing was sent, and trying again would build the same.
    pub(crate) fn unbuildable() -> Self {
        Failure { transient: false, reached: Reached::NotSent, code: Some("ConstructionFailure".into()), status: None, message: None }
    }

    /// The service answered with an error: throttling codes, 429 and 5xx may pass.
    pub(crate) fn service(code: Option<&str>, status: Option<u16>, message: Option<&str>) -> Self {
        let transient =
            status.is_some_and(|s| s >= 500 || s == 429) || listed(&[RATE_EXCEEDED_CODES, UNAVAILABLE_CODES, OTHER_TRANSIENT_CODES], code);
        Failure { transient, reached: Reached::Answered, code: code.map(str::to_owned), status, message: message.map(str::to_owned) }
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
            if self.rate_exceeded() { SendError::rate_exceeded(e) } else { SendError::NotTaken(e) }
        } else {
            SendError::Unknown(e)
        }
    }

    #[cfg(any(feature = "aws-ses", feature = "aws-sns"))]
    pub(crate) fn certainly_not_taken(&self) -> bool {
        match self.reached {
            Reached::NotSent => self.transient,
            Reached::NoAnswer => false,
            Reached::Answered => self.status == Some(503) || listed(&[UNAVAILABLE_CODES], self.code.as_deref()) || self.rate_exceeded(),
        }
    }

    /// The service answered "slow down": throttling, by its code or HTTP 429.
    #[cfg(any(feature = "aws-ses", feature = "aws-sns"))]
    fn rate_exceeded(&self) -> bool {
        self.reached == Reached::Answered && (self.status == Some(429) || listed(&[RATE_EXCEEDED_CODES], self.code.as_deref()))
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
    async fn the_client_takes_region_credentials_and_endpoint_from_the_environment() {
        let aws = super::aws_client_from(&env(LAMBDA_ENV)).unwrap();
        assert_eq!(aws.region(), "eu-west-2");
        let i = &aws.inner;
        assert_eq!(i.endpoint, None, "AWS itself unless AWS_ENDPOINT_URL says otherwise");
        assert_eq!(
            (i.credentials.access_key_id.as_str(), i.credentials.secret(), i.credentials.session_token.as_deref()),
            ("ASIAEXAMPLE", "secret", Some("token"))
        );
        assert_eq!(aws.base(&super::DYNAMODB), ("https".to_owned(), "dynamodb.eu-west-2.amazonaws.com".to_owned()));
        assert_eq!(aws.base(&super::SES), ("https".to_owned(), "email.eu-west-2.amazonaws.com".to_owned()));
        assert!(!format!("{aws:?}").contains("secret"), "the secret is never printed");

        let mut moto = LAMBDA_ENV.to_vec();
        moto.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"));
        let aws = super::aws_client_from(&env(&moto)).unwrap();
        assert_eq!(aws.base(&super::KMS), ("http".to_owned(), "127.0.0.1:5000".to_owned()));
        // Long-term keys (a shell, not Lambda) come without a session token; the older region variable is read too.
        let keys = [("AWS_DEFAULT_REGION", "eu-west-1"), ("AWS_ACCESS_KEY_ID", "AKIA"), ("AWS_SECRET_ACCESS_KEY", "s")];
        let aws = super::aws_client_from(&env(&keys)).unwrap();
        assert_eq!(aws.region(), "eu-west-1");
        assert_eq!(aws.inner.credentials.session_token, None);
    }

    #[test]
    fn a_missing_aws_variable_is_named_with_what_to_set() {
        for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            let mut vars: Vec<_> = LAMBDA_ENV.iter().copied().filter(|(k, _)| *k != missing).collect();
            let err = super::aws_client_from(&env(&vars)).unwrap_err();
            assert_eq!(err, super::AwsEnvError::Missing { name: missing });
            let text = format!("{err:?}");
            assert!(text.contains(missing) && text.contains("export"), "{text}");
            vars.push((missing, "  "));
            assert_eq!(super::aws_client_from(&env(&vars)).unwrap_err(), super::AwsEnvError::Missing { name: missing }, "blank is missing");
        }
        for url in ["localhost:5000", "ftp://host", "http://", "http://host/path?x", "http://a b"] {
            let mut bad = LAMBDA_ENV.to_vec();
            bad.push(("AWS_ENDPOINT_URL", url));
            let err = super::aws_client_from(&env(&bad)).unwrap_err();
            assert!(format!("{err:?}").contains("AWS_ENDPOINT_URL"), "{url}");
        }
        let mut bad: Vec<_> = LAMBDA_ENV.iter().copied().filter(|(k, _)| *k != "AWS_REGION").collect();
        bad.push(("AWS_REGION", "eu-west-2.evil.example/"));
        assert_eq!(super::aws_client_from(&env(&bad)).unwrap_err(), super::AwsEnvError::BadRegion, "a region goes into a host name");
    }

    #[test]
    fn dynamodb_errors_map_to_what_callers_act_on() {
        let of = |f: Failure| super::dynamo::store_error_of(&f, "dynamodb PutItem on reports");
        assert!(matches!(of(svc("ConditionalCheckFailedException", 400)), StoreError::ConditionFailed));
        for f in [svc("ProvisionedThroughputExceededException", 400), svc("ThrottlingException", 400), svc("RequestLimitExceeded", 400)] {
            assert!(matches!(of(f), StoreError::Unavailable(_)));
        }
        assert!(matches!(of(svc("InternalServerError", 500)), StoreError::Unavailable(_)));
        assert!(matches!(of(Failure::transport(super::Reached::NoAnswer)), StoreError::Unavailable(_)));
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
        assert!(matches!(of(Failure::transport(super::Reached::NotSent)), SendError::NotTaken(_)));
        // SES may have taken it: never sent again.
        assert!(matches!(of(svc("InternalFailure", 500)), SendError::Unknown(_)));
        assert!(matches!(of(svc("RequestTimeout", 400)), SendError::Unknown(_)));
        assert!(matches!(of(Failure::transport(super::Reached::NoAnswer)), SendError::Unknown(_)));
        // Of the sends not taken, only "slow down" used the rate: a pacer gives back the others' slots.
        assert!(of(svc("TooManyRequestsException", 429)).is_rate_exceeded());
        assert!(of(svc("SomethingNew", 429)).is_rate_exceeded(), "429 is throttling whatever the code");
        assert!(!of(svc("ServiceUnavailable", 503)).is_rate_exceeded());
        assert!(!of(svc("SendingPausedException", 400)).is_rate_exceeded());
        assert!(!of(Failure::transport(super::Reached::NotSent)).is_rate_exceeded());
        assert!(!of(svc("MessageRejected", 400)).is_rate_exceeded());
    }

    #[test]
    fn sns_errors_split_into_rejected_not_taken_and_unknown() {
        let of = |f: Failure| super::sns::send_error_of(&f, "Publish");
        for code in ["InvalidParameter", "InvalidParameterValue", "OptedOut", "AuthorizationError"] {
            assert!(matches!(of(svc(code, 400)), SendError::Rejected(_)), "{code}");
        }
        assert!(matches!(of(svc("Throttled", 429)), SendError::NotTaken(_)));
        assert!(matches!(of(svc("ThrottledException", 400)), SendError::NotTaken(_)));
        assert!(matches!(of(Failure::transport(super::Reached::NotSent)), SendError::NotTaken(_)));
        assert!(matches!(of(svc("InternalError", 500)), SendError::Unknown(_)));
        assert!(matches!(of(Failure::transport(super::Reached::NoAnswer)), SendError::Unknown(_)));
        assert!(of(svc("Throttling", 400)).is_rate_exceeded());
        assert!(!of(svc("ServiceUnavailable", 503)).is_rate_exceeded());
        let e = of(svc("Throttling", 400));
        let SendError::NotTaken(inner) = &e else { unreachable!() };
        assert_eq!(format!("{inner:#}"), "the provider's sending rate was exceeded: sns Publish: Throttling (HTTP 400)");
    }

    #[test]
    fn messaging_errors_never_carry_the_services_message() {
        // SES and SNS quote addresses and numbers in their messages.
        for e in
            [super::ses::send_error_of(&svc("MessageRejected", 400)), super::sns::send_error_of(&svc("InvalidParameter", 400), "Publish")]
        {
            let text = format!("{e} {e:?}");
            assert!(!text.contains("+447700900123"), "{text}");
            assert!(text.contains("HTTP 400"), "{text}");
        }
    }

    #[test]
    fn error_codes_are_read_without_namespace_or_suffix() {
        let mut headers = ::http::HeaderMap::new();
        let body =
            br#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#;
        assert_eq!(
            super::json_error(&headers, body),
            (Some("ConditionalCheckFailedException".into()), Some("The conditional request failed".into()))
        );
        headers.insert("x-amzn-errortype", "TooManyRequestsException:http://internal.amazon.com/coral/".parse().unwrap());
        assert_eq!(super::json_error(&headers, b"not json").0.as_deref(), Some("TooManyRequestsException"));
        assert_eq!(super::json_error(&::http::HeaderMap::new(), b"").0, None, "no code: the status decides");
    }

    #[test]
    fn xml_fields_are_read_with_entities_undone() {
        let body = b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>a &lt;b&gt; &amp; c</Message></Error></ErrorResponse>";
        assert_eq!(super::xml_text(body, "Code").as_deref(), Some("InvalidParameter"));
        assert_eq!(super::xml_text(body, "Message").as_deref(), Some("a <b> & c"));
        assert_eq!(super::xml_text(body, "MessageId"), None);
    }
}
