//! On the AWS adapters (moto): nothing a person wrote in a private field reaches a DynamoDB table, its stream or the
//! log in the clear, and KMS itself refuses a data key moved to another record.

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use aws_sdk_kms::primitives::Blob;
use num_tests::aws::aws_backend;
use num_tests::contains_bytes;
use num_tests::stream_bridge::DynamoStreams;
use shared::adapters::{RetryPolicy, Retrying};
use shared::ports::stream::ChangeStream;
use shared::ports::{EncryptionContext, KeyService, SystemClock, Table};
use shared::usecases::submit_report::SubmitDeps;

/// Every string, number and byte string in an item, nested ones included, as raw bytes (binary attributes as stored,
/// not as base64).
pub fn raw_bytes(v: &Av, out: &mut Vec<u8>) {
    match v {
        Av::S(s) | Av::N(s) => out.extend_from_slice(s.as_bytes()),
        Av::B(b) => out.extend_from_slice(b.as_ref()),
        Av::Ss(l) | Av::Ns(l) => l.iter().for_each(|s| out.extend_from_slice(s.as_bytes())),
        Av::Bs(l) => l.iter().for_each(|b| out.extend_from_slice(b.as_ref())),
        Av::L(l) => l.iter().for_each(|v| raw_bytes(v, out)),
        Av::M(m) => m.iter().for_each(|(k, v)| {
            out.extend_from_slice(k.as_bytes());
            raw_bytes(v, out)
        }),
        _ => {}
    }
    out.push(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_private_field_appears_in_any_table_its_stream_or_the_log_on_aws() {
    let logs = num_tests::logs::capture(tracing::Level::TRACE);
    let aws = aws_backend().await;
    let deps = SubmitDeps {
        tables: Arc::new(Retrying::new(aws.tables.clone(), RetryPolicy::default())),
        keys: Arc::new(Retrying::new(aws.keys.clone(), RetryPolicy::default())),
        clock: Arc::new(SystemClock),
    };
    let report = num_tests::logs::canary_report();
    let req = http::Request::post("/reports")
        .header("content-type", "application/json")
        .header("x-forwarded-for", "203.0.113.77")
        .header("user-agent", "CanaryAgent/9.9")
        .body(bytes::Bytes::from(serde_json::to_vec(&report).unwrap()))
        .unwrap();
    let res = shared::http::submit::handle(&deps, req).await;
    assert_eq!(res.status(), 201, "{}", String::from_utf8_lossy(res.body()));
    let body: serde_json::Value = serde_json::from_slice(res.body()).unwrap();
    let reference = body["reference"].as_str().unwrap().to_owned();
    let passphrase = body["passphrase"].as_str().unwrap().to_owned();

    let mut stored = Vec::new();
    let mut items = 0;
    for t in Table::ALL {
        for item in aws.scan_raw(t).await {
            items += 1;
            item.iter().for_each(|(k, v)| {
                stored.extend_from_slice(k.as_bytes());
                raw_bytes(v, &mut stored)
            });
        }
    }
    assert_eq!(items, 2, "one report item was written, and the item holding its key (wrapped)");
    assert!(contains_bytes(&stored, reference.as_bytes()), "the scan read the report (it names it by id)");
    let records = DynamoStreams::new(&aws.sdk, aws.names.clone()).read(Table::Reports, None, 100).await.unwrap();
    assert_eq!(records.len(), 2, "the key item and the report");
    let stream_json = serde_json::to_vec(&records).unwrap();
    let log = logs.bytes();
    assert!(contains_bytes(&log, reference.as_bytes()), "the log was captured: it names the report by id");

    let secrets = num_tests::logs::secrets(&passphrase);
    for secret in &secrets {
        for variant in [secret.clone(), secret.to_lowercase()] {
            assert!(!contains_bytes(&stored, variant.as_bytes()), "{secret} found in a table");
            assert!(!contains_bytes(&stream_json, variant.as_bytes()), "{secret} found in the stream");
            assert!(!contains_bytes(&log, variant.as_bytes()), "{secret} found in the log");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kms_itself_refuses_a_data_key_under_another_records_context() {
    let aws = aws_backend().await;
    let a = EncryptionContext::new("reports", "report", "RA");
    let b = EncryptionContext::new("reports", "report", "RB");
    let key = aws.keys.generate_data_key(&a).await.unwrap();
    // Straight to KMS, past the adapter: the emulator enforces the encryption context.
    let pairs = |c: &EncryptionContext| c.pairs().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let ok = aws
        .kms
        .decrypt()
        .key_id(&aws.data_key_id)
        .ciphertext_blob(Blob::new(key.wrapped.clone()))
        .set_encryption_context(Some(pairs(&a)))
        .send()
        .await;
    assert_eq!(ok.unwrap().plaintext.unwrap().as_ref(), key.plaintext.as_ref());
    let refused = aws
        .kms
        .decrypt()
        .key_id(&aws.data_key_id)
        .ciphertext_blob(Blob::new(key.wrapped.clone()))
        .set_encryption_context(Some(pairs(&b)))
        .send()
        .await;
    let err = refused.expect_err("KMS must refuse another record's context");
    assert_eq!(aws_sdk_kms::error::ProvideErrorMetadata::code(&err), Some("InvalidCiphertextException"));
    let none = aws.kms.decrypt().key_id(&aws.data_key_id).ciphertext_blob(Blob::new(key.wrapped.clone())).send().await;
    assert!(none.is_err(), "nor without a context");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyed_hash_is_kms_hmac_of_the_purpose_and_message() {
    let aws = aws_backend().await;
    let message = b"+447700900123";
    let ours = aws.keys.mac(shared::ports::MacPurpose::SubscriberContact, message).await.unwrap();
    let mac = |m: Vec<u8>| {
        let kms = aws.kms.clone();
        let id = aws.mac_key_id.clone();
        async move {
            let out = kms
                .generate_mac()
                .key_id(id)
                .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
                .message(Blob::new(m))
                .send()
                .await
                .unwrap();
            out.mac.unwrap().into_inner()
        }
    };
    let mut prefixed = b"subscriber-contact\0".to_vec();
    prefixed.extend_from_slice(message);
    assert_eq!(ours.to_vec(), mac(prefixed).await, "the purpose is part of the message");
    assert_ne!(ours.to_vec(), mac(message.to_vec()).await, "so a bare hash of the message never matches");
}
