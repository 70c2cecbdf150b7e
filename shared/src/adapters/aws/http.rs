//! The HTTPS client every AWS call of a function goes through: HTTP/1.1 over rustls with aws-lc, trusting the
//! compiled-in Amazon roots only, one connection pool.
//!
//! What it does for these calls:
//! - the TLS handshake prefers the hybrid post-quantum key exchange (X25519 with ML-KEM-768), so what is recorded of
//!   the traffic today (KMS hands out data keys over it) cannot be read by a quantum computer later; classical groups
//!   stay as fallbacks;
//! - the connect timeout bounds the whole connection set-up (DNS, TCP and the TLS handshake), so a call that could not
//!   connect is told apart from one whose request may have gone out (`could_not_connect`);
//! - each call is bounded as a whole (request, answer and its body), and an answer's body is read up to a limit.
//!
//! DynamoDB, KMS, SES and SNS all speak HTTP/1.1, and a Lambda has no proxy: no HTTP/2, no proxy support.
//! Plain `http://` is allowed too, for the emulator the tests run against (`AWS_ENDPOINT_URL`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::TokioExecutor;

use super::{Failure, Reached};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Connect = Bounded<hyper_rustls::HttpsConnector<TcpConnector>>;

/// The largest answer read: a DynamoDB page is at most 1 MB of items, a few times that as JSON.
const MAX_ANSWER: usize = 16 << 20;

/// The rustls configuration of the AWS clients: aws-lc, TLS 1.2 and 1.3, the post-quantum hybrid first, trusting
/// [`super::AWS_ROOTS_PEM`] only, with the [`provider`] below. Built once per process (the roots parsed once), however
/// many clients take it: the AWS adapters' pool and admin-api's Cognito client.
pub fn tls_config() -> rustls::ClientConfig {
    static CONFIG: std::sync::OnceLock<rustls::ClientConfig> = std::sync::OnceLock::new();
    CONFIG.get_or_init(build_tls_config).clone()
}

fn build_tls_config() -> rustls::ClientConfig {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(super::AWS_ROOTS_PEM) {
        roots.add(cert.expect("the compiled-in roots are PEM")).expect("the compiled-in roots are certificates");
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()
        .expect("aws-lc supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// rustls' aws-lc provider, cut to what a client of AWS uses. What it keeps is the default provider's: its cipher
/// suites, and its key exchange groups in its order (X25519 with ML-KEM-768 first, then X25519, P-256 and P-384).
/// What it leaves out, so the linker leaves the code out too:
/// - signature checks for keys no AWS endpoint or Amazon root has: Ed25519, P-521 and ML-DSA (AWS's certificates are
///   RSA or ECDSA on P-256 and P-384, under Amazon Root CA 1 to 4 and Starfield);
/// - loading private keys, and so all of aws-lc's signing: the clients authenticate with SigV4, never a client
///   certificate.
///
/// The random bytes rustls asks for itself (the hello's random) come from the operating system (`getrandom`); the key
/// exchange's keys are made inside aws-lc, as before.
pub fn provider() -> rustls::crypto::CryptoProvider {
    use rustls::crypto::aws_lc_rs::{DEFAULT_CIPHER_SUITES, kx_group};
    rustls::crypto::CryptoProvider {
        cipher_suites: DEFAULT_CIPHER_SUITES.to_vec(),
        kx_groups: vec![kx_group::X25519MLKEM768, kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1],
        signature_verification_algorithms: AWS_SIGNATURES,
        secure_random: &OsRandom,
        key_provider: &NoKeys,
    }
}

/// The signatures AWS's certificates and TLS handshakes use: ECDSA on P-256 and P-384, RSA (PKCS #1 v1.5 and PSS).
static AWS_SIGNATURES: rustls::crypto::WebPkiSupportedAlgorithms = {
    use rustls::SignatureScheme;
    use webpki::aws_lc_rs as alg;
    rustls::crypto::WebPkiSupportedAlgorithms {
        all: &[
            alg::ECDSA_P256_SHA256,
            alg::ECDSA_P256_SHA384,
            alg::ECDSA_P384_SHA256,
            alg::ECDSA_P384_SHA384,
            alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            alg::RSA_PKCS1_2048_8192_SHA256,
            alg::RSA_PKCS1_2048_8192_SHA384,
            alg::RSA_PKCS1_2048_8192_SHA512,
        ],
        mapping: &[
            // For TLS 1.2 the curve is not fixed by the scheme; for TLS 1.3 it is.
            (SignatureScheme::ECDSA_NISTP384_SHA384, &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384]),
            (SignatureScheme::ECDSA_NISTP256_SHA256, &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256]),
            (SignatureScheme::RSA_PSS_SHA512, &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY]),
            (SignatureScheme::RSA_PSS_SHA384, &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY]),
            (SignatureScheme::RSA_PSS_SHA256, &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY]),
            (SignatureScheme::RSA_PKCS1_SHA512, &[alg::RSA_PKCS1_2048_8192_SHA512]),
            (SignatureScheme::RSA_PKCS1_SHA384, &[alg::RSA_PKCS1_2048_8192_SHA384]),
            (SignatureScheme::RSA_PKCS1_SHA256, &[alg::RSA_PKCS1_2048_8192_SHA256]),
        ],
    }
};

#[derive(Debug)]
struct OsRandom;

impl rustls::crypto::SecureRandom for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), rustls::crypto::GetRandomFailed> {
        use rand::RngCore;
        rand::rngs::OsRng.try_fill_bytes(buf).map_err(|_| rustls::crypto::GetRandomFailed)
    }
}

/// No private keys: these clients never present a certificate.
#[derive(Debug)]
struct NoKeys;

impl rustls::crypto::KeyProvider for NoKeys {
    fn load_private_key(&self, _: rustls::pki_types::PrivateKeyDer<'static>) -> Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
        Err(rustls::Error::General("the AWS clients present no certificate of their own".into()))
    }
}

/// One pool of connections, shared by every AWS client of a process.
#[derive(Clone)]
pub(crate) struct Transport {
    client: Client<Connect, Full<Bytes>>,
}

/// An answer, read whole.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Transport {
    /// A pool whose connections must be made (DNS, TCP, TLS) within `connect_timeout`.
    pub(crate) fn new(connect_timeout: Duration) -> Self {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let https =
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls_config()).https_or_http().enable_http1().wrap_connector(tcp);
        Self { client: Client::builder(TokioExecutor::new()).build(Bounded { inner: https, limit: Some(connect_timeout) }) }
    }

    /// Sends one request and reads its answer, all within `limit`. A failure says how far the request got: no
    /// connection (certainly not sent), or sent with no usable answer (a timeout, a lost connection, an answer that
    /// could not be read or was too long).
    pub(crate) async fn send(&self, request: http::Request<Full<Bytes>>, limit: Duration) -> Result<Answer, Failure> {
        let call = async {
            let response = self.client.request(request).await.map_err(|e| {
                let reached = if could_not_connect(&e) { Reached::NotSent } else { Reached::NoAnswer };
                tracing::debug!(error = %e, ?reached, "aws call failed before an answer");
                Failure::transport(reached)
            })?;
            let (head, body) = response.into_parts();
            let body = Limited::new(body, MAX_ANSWER).collect().await.map_err(|e| {
                tracing::debug!(error = %e, "aws answer could not be read");
                Failure::transport(Reached::NoAnswer)
            })?;
            Ok(Answer { status: head.status.as_u16(), headers: head.headers, body: body.to_bytes() })
        };
        match tokio::time::timeout(limit, call).await {
            Ok(done) => done,
            Err(_) => Err(Failure::transport(Reached::NoAnswer)),
        }
    }
}

/// Whether a failed call never got a connection, so no byte of the request went out: hyper-util's connect errors
/// (DNS, TCP, TLS and the connect timeout), or the operating system refusing the connection. Anything else (a reset,
/// a closed connection) may have come after the request was sent.
pub(crate) fn could_not_connect(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.downcast_ref::<hyper_util::client::legacy::Error>().is_some_and(|h| h.is_connect())
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
    fn the_provider_keeps_the_defaults_suites_and_groups_in_order_and_checks_awss_signatures() {
        let ours = provider();
        let default = rustls::crypto::aws_lc_rs::default_provider();
        let names = |p: &rustls::crypto::CryptoProvider| p.kx_groups.iter().map(|g| g.name()).collect::<Vec<_>>();
        assert_eq!(names(&ours), names(&default), "the default's key exchange groups, in its order");
        let suites = |p: &rustls::crypto::CryptoProvider| p.cipher_suites.iter().map(|c| c.suite()).collect::<Vec<_>>();
        assert_eq!(suites(&ours), suites(&default));
        let schemes = ours.signature_verification_algorithms.supported_schemes();
        for kept in [
            rustls::SignatureScheme::ECDSA_NISTP256_SHA256,
            rustls::SignatureScheme::ECDSA_NISTP384_SHA384,
            rustls::SignatureScheme::RSA_PSS_SHA256,
            rustls::SignatureScheme::RSA_PKCS1_SHA256,
        ] {
            assert!(schemes.contains(&kept), "{kept:?}");
        }
        assert!(!schemes.contains(&rustls::SignatureScheme::ED25519));
        let mut random = [0u8; 32];
        ours.secure_random.fill(&mut random).unwrap();
        assert_ne!(random, [0u8; 32]);
        assert!(ours.key_provider.load_private_key(rustls::pki_types::PrivateKeyDer::Pkcs8(vec![0u8; 8].into())).is_err());
    }

    /// A TLS server on loopback with a certificate for `localhost` under a root of `ca_alg`, the leaf's key of
    /// `leaf_alg`, speaking `version` with rustls' full default provider; the client is [`provider`] trusting that
    /// root. Returns the key exchange group the client agreed on, after one record each way.
    fn handshake(
        ca_alg: &'static rcgen::SignatureAlgorithm,
        leaf_alg: &'static rcgen::SignatureAlgorithm,
        version: &'static rustls::SupportedProtocolVersion,
    ) -> Result<rustls::NamedGroup, rustls::Error> {
        use std::io::{Read, Write};

        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
        let ca_key = rcgen::KeyPair::generate_for(ca_alg).unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate_for(leaf_alg).unwrap();
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&leaf_key, &issuer).unwrap();

        let server = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_protocol_versions(&[version])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())))
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der().clone()).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(Arc::new(provider()))
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let serving = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(Arc::new(server)).unwrap(), tcp);
            let mut ping = [0u8; 4];
            if tls.read_exact(&mut ping).is_ok() {
                let _ = tls.write_all(b"pong");
                let _ = tls.flush();
            }
        });
        let mut conn = rustls::ClientConnection::new(Arc::new(client), ServerName::try_from("localhost").unwrap()).unwrap();
        let mut tcp = std::net::TcpStream::connect(addr).unwrap();
        let result = (|| {
            let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
            tls.write_all(b"ping").map_err(|e| rustls::Error::General(e.to_string()))?;
            let mut pong = [0u8; 4];
            tls.read_exact(&mut pong).map_err(|e| rustls::Error::General(e.to_string()))?;
            assert_eq!(&pong, b"pong");
            Ok(conn.negotiated_key_exchange_group().expect("agreed").name())
        })();
        drop(tcp);
        serving.join().unwrap();
        result
    }

    #[test]
    fn the_provider_completes_handshakes_with_the_certificates_aws_uses() {
        use rcgen::{PKCS_ECDSA_P256_SHA256 as P256, PKCS_ECDSA_P384_SHA384 as P384, PKCS_RSA_SHA256 as RSA};
        use rustls::version::{TLS12, TLS13};
        // Amazon Root CA 1 is RSA, 3 is P-256, 4 is P-384; endpoints have RSA or ECDSA leaves.
        for (ca, leaf) in [(&RSA, &RSA), (&P256, &P256), (&P384, &P256), (&RSA, &P256)] {
            assert_eq!(handshake(ca, leaf, &TLS13), Ok(rustls::NamedGroup::X25519MLKEM768), "TLS 1.3");
            // TLS 1.2 has no hybrid group: the classical X25519 comes next.
            assert_eq!(handshake(ca, leaf, &TLS12), Ok(rustls::NamedGroup::X25519), "TLS 1.2");
        }
        // What it cannot check is refused, not passed: an Ed25519 certificate.
        let refused = handshake(&rcgen::PKCS_ED25519, &rcgen::PKCS_ED25519, &TLS13);
        assert!(refused.is_err(), "{refused:?}");
    }

    #[test]
    fn it_trusts_the_five_compiled_in_roots() {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let pem = CertificateDer::pem_slice_iter(super::super::AWS_ROOTS_PEM).filter(Result::is_ok).count();
        assert_eq!(pem, 5);
    }

    fn get(url: String) -> http::Request<Full<Bytes>> {
        http::Request::get(url).body(Full::default()).unwrap()
    }

    #[tokio::test]
    async fn a_refused_connection_was_not_sent() {
        // A port nobody listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = Transport::new(Duration::from_secs(2)).send(get(format!("http://127.0.0.1:{port}/")), Duration::from_secs(5)).await;
        let err = err.err().expect("nobody listens");
        assert_eq!((err.reached, err.transient), (Reached::NotSent, true));
    }

    #[tokio::test]
    async fn a_connection_that_never_completes_times_out_as_not_sent() {
        // A listener that accepts TCP but never answers the TLS handshake.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let started = std::time::Instant::now();
        let err = Transport::new(Duration::from_millis(200)).send(get(format!("https://127.0.0.1:{port}/")), Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!(err.err().expect("no handshake").reached, Reached::NotSent);
        drop(listener);
    }

    /// A server on loopback that reads a request and then does `then` with the connection.
    async fn server(then: impl FnOnce(tokio::net::TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + 'static) -> u16 {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = conn.read(&mut buf).await;
            then(conn).await;
        });
        port
    }

    #[tokio::test]
    async fn a_connection_closed_after_the_request_went_may_have_been_taken() {
        let port = server(|conn| Box::pin(async move { drop(conn) })).await;
        let err = Transport::new(Duration::from_secs(2)).send(get(format!("http://127.0.0.1:{port}/")), Duration::from_secs(5)).await;
        assert_eq!(err.err().expect("closed").reached, Reached::NoAnswer);
    }

    #[tokio::test]
    async fn an_answer_that_does_not_come_in_time_may_have_been_taken() {
        let port = server(|conn| {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_secs(5)).await;
                drop(conn)
            })
        })
        .await;
        let started = std::time::Instant::now();
        let err = Transport::new(Duration::from_secs(2)).send(get(format!("http://127.0.0.1:{port}/")), Duration::from_millis(300)).await;
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(err.err().expect("timed out").reached, Reached::NoAnswer);
    }

    #[tokio::test]
    async fn an_answer_is_read_whole_with_its_status_and_headers() {
        use tokio::io::AsyncWriteExt;
        let port = server(|mut conn| {
            Box::pin(async move {
                let answer = "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: ValidationException\r\ncontent-length: 2\r\n\r\n{}";
                conn.write_all(answer.as_bytes()).await.unwrap();
            })
        })
        .await;
        let answer = Transport::new(Duration::from_secs(2))
            .send(get(format!("http://127.0.0.1:{port}/")), Duration::from_secs(5))
            .await
            .ok()
            .unwrap();
        assert_eq!(answer.status, 400);
        assert_eq!(answer.headers.get("x-amzn-errortype").unwrap(), "ValidationException");
        assert_eq!(&answer.body[..], b"{}");
    }
}
