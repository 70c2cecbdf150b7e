//! The adapters' own Signature Version 4, held to the SDK's signer (`aws-sigv4`) on the wire: a socket on loopback
//! plays each service, keeps every request as it arrived (head and body), and the test signs the same request again
//! with the SDK's signer, from the same headers, time and credentials. Both signatures must be equal, for every
//! service and operation the functions use. (AWS's own test-suite vectors are checked in `shared`'s unit tests.)

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use shared::adapters::aws::{DynamoTables, KmsKeys, SesEmail, SnsSms};
use shared::config::{EmailConfig, SmsConfig, TableNames};
use shared::domain::{Email, PhoneNumber};
use shared::ports::messaging::{EmailMessage, EmailSender, SmsMessage, SmsSender};
use shared::ports::{EncryptionContext, Key, KeyService, Table, Tables};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request as it arrived: its headers (names lower-cased) and body.
#[derive(Debug, Clone)]
struct Arrived {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Arrived {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Answers every request with a success each adapter can read: XML for SNS's forms, JSON with a message id else.
async fn recording_service() -> (String, Arc<Mutex<Vec<Arrived>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                loop {
                    let mut raw = Vec::new();
                    let mut buf = [0u8; 8192];
                    let head_end = loop {
                        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i;
                        }
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => raw.extend_from_slice(&buf[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
                    let mut lines = head.split("\r\n");
                    let path = lines.next().unwrap().split(' ').nth(1).unwrap().to_owned();
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let length: usize = headers.iter().find(|(n, _)| n == "content-length").map(|(_, v)| v.parse().unwrap()).unwrap_or(0);
                    let mut body = raw[head_end + 4..].to_vec();
                    while body.len() < length {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => body.extend_from_slice(&buf[..n]),
                        }
                    }
                    let form = headers.iter().any(|(n, v)| n == "content-type" && v.starts_with("application/x-www-form-urlencoded"));
                    keep.lock().unwrap().push(Arrived { path, headers, body });
                    let answer = if form {
                        "<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>"
                    } else {
                        r#"{"MessageId":"m-1","Plaintext":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","CiphertextBlob":"AQID"}"#
                    };
                    let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{answer}", answer.len());
                    if socket.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// The signature the SDK's signer gives the same request: the headers our signer signed, but the date and token
/// (which the SDK's signer adds itself), at the request's own time.
fn sdk_signature(r: &Arrived, region: &str) -> String {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    let auth = r.header("authorization").expect("signed");
    let scope = auth.split("Credential=").nth(1).unwrap().split(',').next().unwrap();
    let service = scope.split('/').nth(3).unwrap();
    let signed: Vec<&str> = auth.split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap().split(';').collect();
    let date = chrono::NaiveDateTime::parse_from_str(r.header("x-amz-date").unwrap(), "%Y%m%dT%H%M%SZ").unwrap().and_utc();
    let identity = aws_sdk_kms::config::Credentials::new("testing", "testing", Some("testing".into()), None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::from(date))
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers: Vec<(&str, &str)> = signed
        .iter()
        .filter(|n| !matches!(**n, "x-amz-date" | "x-amz-security-token"))
        .map(|n| (*n, r.header(n).unwrap_or_else(|| panic!("signed header {n} was sent"))))
        .collect();
    let url = format!("http://{}{}", r.header("host").unwrap(), r.path);
    let signable = SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(&r.body)).unwrap();
    let (_, signature) = sign(signable, &params).unwrap().into_parts();
    signature
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_signed_as_the_sdk_signs_it() {
    let (endpoint, seen) = recording_service().await;
    let client = num_tests::aws::client_at(&endpoint);

    let tables = DynamoTables::new(client.clone(), TableNames::default().with(Table::Reports, "num-reports"));
    let _ = tables.get(Table::Reports, &Key::new("REPORT#01J", "META")).await;
    let keys = KmsKeys::new(client.clone(), "alias/num-data", None);
    keys.warm_up().await.unwrap();
    let _ = keys.generate_data_key(&EncryptionContext::new("reports", "report", "R1")).await;
    let email = SesEmail::new(client.clone(), EmailConfig { from_address: "alerts@example.org".into(), configuration_set: "num".into() });
    let m = EmailMessage {
        to: Email::parse("member@example.net").unwrap(),
        subject: "Alert: Leeds — a man in a silver car".into(),
        text: "Take care.\nReply STOP to end.".into(),
        unsubscribe_url: Some("https://num.example.org/unsubscribe?t=a+b%2F".into()),
    };
    email.send_email(&m, "alert-1").await.unwrap();
    let sms = SnsSms::new(client, SmsConfig { sender_id: "NUMAlerts".into(), origination_number: None });
    sms.send_sms(&SmsMessage { to: PhoneNumber::parse("+447700900321").unwrap(), text: "NUM: take care & stay safe".into() }, "k")
        .await
        .unwrap();

    let seen = seen.lock().unwrap().clone();
    let targets: Vec<String> = seen.iter().map(|r| r.header("x-amz-target").unwrap_or(&r.path).to_owned()).collect();
    assert_eq!(
        targets,
        ["DynamoDB_20120810.GetItem", "TrentService.DescribeKey", "TrentService.GenerateDataKey", "/v2/email/outbound-emails", "/"],
        "one request per call, no retry"
    );
    for r in &seen {
        let ours = r.header("authorization").unwrap().rsplit("Signature=").next().unwrap();
        assert_eq!(ours, sdk_signature(r, "eu-west-2"), "{:?}", r.header("x-amz-target").unwrap_or(&r.path));
        assert_eq!(r.header("x-amz-security-token"), Some("testing"), "the session token goes with every request");
    }
    // The signing names: DynamoDB, KMS, SES (for SES v2 too) and SNS.
    let services: Vec<&str> = seen.iter().map(|r| r.header("authorization").unwrap().split('/').nth(3).unwrap()).collect();
    assert_eq!(services, ["dynamodb", "kms", "kms", "ses", "sns"]);
}
