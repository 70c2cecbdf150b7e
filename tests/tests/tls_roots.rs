//! The roots the functions' AWS clients trust are compiled in (`shared::adapters::aws::AWS_ROOTS_PEM`): Amazon Trust
//! Services' four and the Starfield root that cross-signs them, and nothing read from the machine.

use base64::Engine;
use shared::adapters::aws::{AWS_ROOTS_PEM, load_aws_client};

/// The DER of each certificate in a PEM text (lines outside the sections are comments).
fn certificates(pem: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in pem.lines() {
        match (line.trim(), &mut body) {
            ("-----BEGIN CERTIFICATE-----", None) => body = Some(String::new()),
            ("-----END CERTIFICATE-----", Some(b)) => {
                out.push(base64::engine::general_purpose::STANDARD.decode(b.as_bytes()).expect("base64 inside a PEM section"));
                body = None;
            }
            (l, Some(b)) => b.push_str(l),
            _ => {}
        }
    }
    assert!(body.is_none(), "a PEM section is not closed");
    out
}

#[test]
fn the_compiled_in_roots_are_the_five_amazon_trust_services_certificates() {
    let pem = std::str::from_utf8(AWS_ROOTS_PEM).expect("the roots are text");
    let certs = certificates(pem);
    assert_eq!(certs.len(), 5);
    for der in &certs {
        // An X.509 certificate: a DER SEQUENCE with a two-byte length.
        assert_eq!(&der[..2], &[0x30, 0x82]);
    }
    for name in ["Amazon Root CA 1", "Amazon Root CA 2", "Amazon Root CA 3", "Amazon Root CA 4", "Starfield Services Root"] {
        assert_eq!(certs.iter().filter(|d| d.windows(name.len()).any(|w| w == name.as_bytes())).count(), 1, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_functions_client_reaches_the_endpoint_it_is_given() {
    // load_aws_client reads the endpoint and credentials from the environment scripts/test sets for moto.
    let aws = num_tests::aws::aws_backend().await;
    let client = load_aws_client().expect("scripts/test sets the AWS variables");
    let keys = shared::adapters::aws::KmsKeys::new(client, aws.data_key_id.clone(), None);
    keys.warm_up().await.expect("the functions' HTTPS client speaks to moto, and moto knows the key");
}
