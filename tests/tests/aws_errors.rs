//! On moto: the AWS adapters turn the services' refusals into the errors callers act on, and the retry wrapper
//! around them retries only what may pass.

use num_tests::aws::aws_backend;
use shared::adapters::aws::{DynamoTables, KmsKeys, SesEmail};
use shared::adapters::faults::{Fault, Faulty};
use shared::adapters::{RetryPolicy, Retrying};
use shared::config::{EmailConfig, TableNames};
use shared::domain::{Email, PhoneNumber};
use shared::ports::messaging::{EmailMessage, EmailSender, SendError, SmsMessage, SmsSender};
use shared::ports::{EncryptionContext, Key, KeyError, KeyService, StoreError, Table, Tables};

const QUICK: RetryPolicy =
    RetryPolicy { max_attempts: 3, base_delay: std::time::Duration::from_millis(5), max_delay: std::time::Duration::from_millis(10) };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_a_permanent_error_not_a_retry() {
    let aws = aws_backend().await;
    let tables = Retrying::new(
        Faulty::new(DynamoTables::new(aws.client.clone(), TableNames::default().with(Table::Reports, "no-such-table"))),
        QUICK,
    );
    let err = tables.get(Table::Reports, &Key::new("a", "b")).await.unwrap_err();
    assert!(matches!(err, StoreError::Other(_)), "{err}");
    let text = format!("{}", shared::error::Chain(&err));
    assert!(text.contains("ResourceNotFoundException"), "{text}");
    assert_eq!(tables.inner().calls(), 1);
    // A table the function was not given is refused before any call.
    assert!(matches!(tables.get(Table::Alerts, &Key::new("a", "b")).await, Err(StoreError::Other(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_sender_is_a_permanent_refusal_that_does_not_quote_the_addresses() {
    let aws = aws_backend().await;
    let ses = SesEmail::new(
        aws.client.clone(),
        EmailConfig { from_address: format!("nobody@unverified-{}.example.org", aws.prefix), configuration_set: "x".into() },
    );
    let email = Retrying::new(Faulty::new(ses), QUICK);
    let m = EmailMessage {
        to: Email::parse("member-secret@example.net").unwrap(),
        subject: "s".into(),
        text: "t".into(),
        unsubscribe_url: None,
    };
    let err = email.send_email(&m, "k").await.unwrap_err();
    assert!(matches!(err, SendError::Rejected(_)), "{err}");
    assert_eq!(email.inner().calls(), 1, "a permanent refusal is not retried");
    let text = format!("{err} {err:?}");
    assert!(text.contains("MessageRejected"), "{text}");
    assert!(!text.contains("member-secret") && !text.contains("unverified-"), "the error quotes no address: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_sns_refuses_is_permanent() {
    let aws = aws_backend().await;
    let m = SmsMessage { to: PhoneNumber::parse("+447700900123").unwrap(), text: "x".repeat(1700) };
    let err = aws.sms.send_sms(&m, "k").await.unwrap_err();
    assert!(matches!(err, SendError::Rejected(_)), "{err}");
    assert!(!format!("{err:?}").contains("900123"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_key_is_an_error_but_not_a_context_mismatch() {
    let aws = aws_backend().await;
    let ctx = EncryptionContext::new("reports", "report", "R1");
    let unknown = KmsKeys::new(aws.client.clone(), "alias/no-such-key", None);
    assert!(matches!(unknown.generate_data_key(&ctx).await, Err(KeyError::Other(_))));
    assert!(
        matches!(unknown.mac(shared::ports::MacPurpose::SubscriberContact, b"x").await, Err(KeyError::Other(_))),
        "no MAC key configured"
    );
    // (A disabled key would be another case, but moto 5.2.1 still decrypts under a disabled key.)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_kms_and_sns_calls_are_retried_and_succeed() {
    let aws = aws_backend().await;
    let keys = Retrying::new(Faulty::new(aws.keys.clone()), QUICK);
    keys.inner().fail_next(2, Fault::Throttled);
    let ctx = EncryptionContext::new("reports", "report", "R1");
    let dk = keys.generate_data_key(&ctx).await.unwrap();
    keys.inner().fail_next(2, Fault::Throttled);
    assert_eq!(*keys.decrypt_data_key(&dk.wrapped, &ctx).await.unwrap(), *dk.plaintext);
    assert_eq!(keys.inner().calls(), 6);

    let sms = Retrying::new(Faulty::new(aws.sms.clone()), QUICK);
    sms.inner().fail_next(2, Fault::Throttled);
    let m = SmsMessage { to: PhoneNumber::parse("+447700900124").unwrap(), text: "hello".into() };
    sms.send_sms(&m, "k").await.unwrap();
    sms.inner().fail_next(3, Fault::Throttled);
    assert!(matches!(sms.send_sms(&m, "k").await, Err(SendError::NotTaken(_))), "throttling past the attempts surfaces as not taken");
    assert_eq!(sms.inner().calls(), 6);
}

// ---------------------------------------------------------------------------------------------------------------
// Sends once: what the SES and SNS adapters make of a refused connection and of a lost answer, over real HTTP (no
// emulator needed: a local socket plays the provider). The adapters' client makes one attempt per call; the retry
// wrapper may try again only when the provider certainly did not take the message.

/// A provider that takes every request it is sent and never answers: it hangs up (`hang_up`) or keeps silent (the
/// caller times out). Counts the requests it took.
async fn provider_that_loses_answers(hang_up: bool) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let taken = Arc::new(AtomicUsize::new(0));
    let counter = taken.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                if !hang_up {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                }
            });
        }
    });
    (format!("http://{addr}"), taken)
}

fn an_email() -> EmailMessage {
    EmailMessage { to: Email::parse("member@example.net").unwrap(), subject: "s".into(), text: "t".into(), unsubscribe_url: None }
}

fn ses_at(endpoint: &str) -> SesEmail {
    SesEmail::new(
        num_tests::aws::client_at(endpoint),
        EmailConfig { from_address: "alerts@example.org".into(), configuration_set: "num".into() },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_whose_answer_is_lost_is_unknown_and_sent_exactly_once() {
    use std::sync::atomic::Ordering;
    for hang_up in [true, false] {
        let (endpoint, taken) = provider_that_loses_answers(hang_up).await;
        let email = Retrying::new(Faulty::new(ses_at(&endpoint)), QUICK);
        let err = email.send_email(&an_email(), "k").await.unwrap_err();
        assert!(matches!(err, SendError::Unknown(_)), "hang up {hang_up}: {err:?}");
        assert_eq!(email.inner().calls(), 1, "the wrapper does not send again");
        assert_eq!(taken.load(Ordering::SeqCst), 1, "the client does not send again (hang up {hang_up})");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_whose_answer_is_lost_is_unknown_and_sent_exactly_once() {
    use std::sync::atomic::Ordering;
    let (endpoint, taken) = provider_that_loses_answers(true).await;
    let sms = Retrying::new(
        Faulty::new(shared::adapters::aws::SnsSms::new(
            num_tests::aws::client_at(&endpoint),
            shared::config::SmsConfig { sender_id: "NUM".into(), origination_number: None },
        )),
        QUICK,
    );
    let m = SmsMessage { to: PhoneNumber::parse("+447700900125").unwrap(), text: "hello".into() };
    assert!(matches!(sms.send_sms(&m, "k").await, Err(SendError::Unknown(_))));
    assert_eq!(sms.inner().calls(), 1);
    assert_eq!(taken.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_to_a_provider_that_refuses_the_connection_is_not_taken_and_retried() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let email = Retrying::new(Faulty::new(ses_at(&format!("http://127.0.0.1:{port}"))), QUICK);
    let err = email.send_email(&an_email(), "k").await.unwrap_err();
    assert!(matches!(err, SendError::NotTaken(_)), "{err:?}");
    assert_eq!(email.inner().calls(), QUICK.max_attempts as usize, "a refused connection is tried again");
}
