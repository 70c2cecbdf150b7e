//! The HTTPS client every AWS client of a function shares: HTTP/1.1 over rustls with aws-lc, trusting the compiled-in
//! Amazon roots only, one connection pool.
//!
//! Why not the SDK's own client (aws-smithy-http-client): it links HTTP/2 (the h2 crate and hyper's HTTP/2 half) and
//! proxy support that no call here uses: DynamoDB, KMS, SES and SNS all speak HTTP/1.1, and a Lambda has no proxy.
//! This one does what that client does for these calls, in fewer pieces:
//! - the TLS handshake prefers the hybrid post-quantum key exchange (X25519 with ML-KEM-768), so what is recorded of
//!   the traffic today (KMS hands out data keys over it) cannot be read by a quantum computer later; classical groups
//!   stay as fallbacks;
//! - the connect timeout bounds the whole connection set-up (DNS, TCP and the TLS handshake), so a call that could not
//!   connect is told apart from one whose request may have gone out (`could_not_connect`);
//! - the read timeout, when the SDK sets one, bounds the wait for the answer's head.
//!
//! Plain `http://` is allowed too, for the emulator the tests run against (`AWS_ENDPOINT_URL`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::TokioExecutor;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Connect = Bounded<hyper_rustls::HttpsConnector<TcpConnector>>;
/// A connect timeout and a read timeout.
type Timeouts = (Option<Duration>, Option<Duration>);

/// The rustls configuration of the AWS clients: aws-lc, TLS 1.2 and 1.3, the post-quantum hybrid first, trusting
/// [`super::AWS_ROOTS_PEM`] only.
pub fn tls_config() -> rustls::ClientConfig {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(super::AWS_ROOTS_PEM) {
        roots.add(cert.expect("the compiled-in roots are PEM")).expect("the compiled-in roots are certificates");
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("aws-lc supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// The client, as the SDK configuration takes it.
pub fn https_client() -> SharedHttpClient {
    SharedHttpClient::new(Http1Client { tls: tls_config(), pools: Mutex::new(Vec::new()) })
}

/// Hands the SDK one connector per distinct pair of timeouts (in practice one: every client of a function shares the
/// same SDK configuration), each with its own pool, built on first use and then reused.
struct Http1Client {
    tls: rustls::ClientConfig,
    pools: Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
}

impl fmt::Debug for Http1Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Http1Client")
    }
}

impl HttpClient for Http1Client {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        self.connector((settings.connect_timeout(), settings.read_timeout()))
    }
}

impl Http1Client {
    /// The connector for a connect and a read timeout.
    fn connector(&self, key: Timeouts) -> SharedHttpConnector {
        let mut pools = self.pools.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, c)) = pools.iter().find(|(k, _)| *k == key) {
            return c.clone();
        }
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let https =
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(self.tls.clone()).https_or_http().enable_http1().wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new()).build(Bounded { inner: https, limit: key.0 });
        let connector = SharedHttpConnector::new(Http1Connector { client, read_timeout: key.1 });
        pools.push((key, connector.clone()));
        connector
    }
}

struct Http1Connector {
    client: Client<Connect, SdkBody>,
    read_timeout: Option<Duration>,
}

impl fmt::Debug for Http1Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Http1Connector")
    }
}

impl HttpConnector for Http1Connector {
    fn call(&self, request: aws_smithy_runtime_api::client::orchestrator::HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(r) => r,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let answer = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let answer = match read_timeout {
                Some(limit) => match tokio::time::timeout(limit, answer).await {
                    Ok(a) => a,
                    Err(_) => return Err(ConnectorError::timeout(Box::new(TimedOut("the answer")))),
                },
                None => answer.await,
            };
            match answer {
                Ok(response) => {
                    HttpResponse::try_from(response.map(SdkBody::from_body_1_x)).map_err(|e| ConnectorError::other(e.into(), None))
                }
                Err(e) => Err(classify(e)),
            }
        })
    }
}

/// The SDK's kinds for a failed call: the connection could not be made or broke (`io`, may be retried), the client was
/// misused (`user`), anything else (`other`). Whether the request may have gone out is decided from the error chain
/// itself (`could_not_connect`), not from the kind.
fn classify(e: hyper_util::client::legacy::Error) -> ConnectorError {
    let io = e.is_connect() || {
        let mut next = std::error::Error::source(&e);
        let mut found = false;
        while let Some(s) = next {
            if s.is::<std::io::Error>() || s.downcast_ref::<hyper::Error>().is_some_and(|h| h.is_closed() || h.is_canceled()) {
                found = true;
                break;
            }
            next = s.source();
        }
        found
    };
    if io { ConnectorError::io(Box::new(e)) } else { ConnectorError::other(Box::new(e), None) }
}

#[derive(Debug)]
struct TimedOut(&'static str);

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out waiting for {}", self.0)
    }
}

impl std::error::Error for TimedOut {}

/// A connector whose whole set-up (DNS, TCP, TLS) is bounded by the connect timeout. Its failures, a timeout
/// included, reach the caller as hyper-util's connect errors (`is_connect`).
#[derive(Clone)]
struct Bounded<C> {
    inner: C,
    limit: Option<Duration>,
}

impl<C> tower_service::Service<http::Uri> for Bounded<C>
where
    C: tower_service::Service<http::Uri>,
    C::Error: Into<BoxError>,
    C::Future: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        Box::pin(async move {
            match limit {
                Some(limit) => match tokio::time::timeout(limit, connecting).await {
                    Ok(done) => done.map_err(Into::into),
                    Err(_) => Err(Box::new(std::io::Error::new(std::io::ErrorKind::TimedOut, TimedOut("a connection"))) as BoxError),
                },
                None => connecting.await.map_err(Into::into),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handshake_offers_the_post_quantum_hybrid_first() {
        let config = tls_config();
        let first = config.crypto_provider().kx_groups.first().map(|g| g.name());
        assert_eq!(first, Some(rustls::NamedGroup::X25519MLKEM768));
    }

    #[test]
    fn it_trusts_the_five_compiled_in_roots() {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let pem = CertificateDer::pem_slice_iter(super::super::AWS_ROOTS_PEM).filter(Result::is_ok).count();
        assert_eq!(pem, 5);
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        // A port nobody listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let connector = client().connector((Some(Duration::from_secs(2)), None));
        let request = http::Request::get(format!("http://127.0.0.1:{port}/")).body(SdkBody::empty()).unwrap();
        let err = connector.call(request.try_into().unwrap()).await.unwrap_err();
        assert!(err.is_io(), "{err:?}");
        assert!(super::super::could_not_connect(&err), "{err:?}");
    }

    #[tokio::test]
    async fn a_connection_that_never_completes_times_out_as_a_connect_error() {
        // A listener that accepts TCP but never answers the TLS handshake.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connector = client().connector((Some(Duration::from_millis(200)), None));
        let request = http::Request::get(format!("https://127.0.0.1:{port}/")).body(SdkBody::empty()).unwrap();
        let started = std::time::Instant::now();
        let err = connector.call(request.try_into().unwrap()).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(super::super::could_not_connect(&err), "{err:?}");
        drop(listener);
    }

    fn client() -> Http1Client {
        Http1Client { tls: tls_config(), pools: Mutex::new(Vec::new()) }
    }

    #[tokio::test]
    async fn one_pool_per_pair_of_timeouts() {
        let client = client();
        let a = (Some(Duration::from_secs(2)), None);
        client.connector(a);
        client.connector(a);
        client.connector((Some(Duration::from_secs(3)), None));
        assert_eq!(client.pools.lock().unwrap().len(), 2);
    }
}
