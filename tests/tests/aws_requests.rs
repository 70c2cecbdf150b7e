//! What the SES and SNS adapters put on the wire. Moto keeps neither SES headers, tags nor configuration set, nor SNS
//! message attributes, so these tests read each request body as the adapters send it (an observer of their client)
//! and moto must accept it.

use std::sync::{Arc, Mutex};

use num_tests::aws::aws_backend;
use shared::adapters::aws::{SesEmail, SnsSms};
use shared::config::{EmailConfig, SmsConfig};
use shared::domain::{Email, PhoneNumber};
use shared::ports::messaging::{EmailMessage, EmailSender, SmsMessage, SmsSender};

/// Keeps every request body the client sends.
#[derive(Debug, Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

impl Capture {
    fn bodies(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl shared::adapters::aws::CallObserver for Capture {
    fn observe(&self, call: &shared::adapters::aws::ObservedCall<'_>) {
        assert_eq!(call.status, Some(200), "moto took the {} request", call.operation);
        self.0.lock().unwrap().push(String::from_utf8_lossy(call.request).into_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_email_carries_list_unsubscribe_the_configuration_set_and_a_safe_tag() {
    let aws = aws_backend().await;
    let capture = Capture::default();
    let client = aws.client.with_observer(Arc::new(capture.clone()));
    let configuration_set = format!("{}-alerts", aws.prefix);
    let ses = SesEmail::new(client, EmailConfig { from_address: aws.from_address.clone(), configuration_set: configuration_set.clone() });
    let m = EmailMessage {
        to: Email::parse("member@example.net").unwrap(),
        subject: "Alert: Leeds".into(),
        text: "Take care.".into(),
        unsubscribe_url: Some("https://num.example.org/unsubscribe?t=abc".into()),
    };
    ses.send_email(&m, "alert-01J-sub-02K-email").await.unwrap();
    ses.send_email(&EmailMessage { unsubscribe_url: None, ..m.clone() }, "alert#1/sub:2").await.unwrap();

    let bodies = capture.bodies();
    assert_eq!(bodies.len(), 2);
    let first: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(first["FromEmailAddress"], aws.from_address.as_str());
    assert_eq!(first["Destination"]["ToAddresses"], serde_json::json!(["member@example.net"]), "one recipient per call");
    assert_eq!(first["ConfigurationSetName"], configuration_set.as_str());
    assert_eq!(first["Content"]["Simple"]["Body"]["Text"]["Data"], "Take care.");
    assert!(first["Content"]["Simple"]["Body"].get("Html").is_none(), "text only");
    assert_eq!(
        first["Content"]["Simple"]["Headers"],
        serde_json::json!([
            {"Name": "List-Unsubscribe", "Value": "<https://num.example.org/unsubscribe?t=abc>"},
            {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}
        ])
    );
    assert_eq!(first["EmailTags"], serde_json::json!([{"Name": "idempotency_key", "Value": "alert-01J-sub-02K-email"}]));

    let second: serde_json::Value = serde_json::from_str(&bodies[1]).unwrap();
    assert!(second["Content"]["Simple"].get("Headers").is_none(), "no unsubscribe link, no header");
    assert!(second.get("EmailTags").is_none(), "a key with characters SES tags refuse is not sent as a tag");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribe_link_with_a_line_break_is_refused_before_sending() {
    let aws = aws_backend().await;
    let m = EmailMessage {
        to: Email::parse("member@example.net").unwrap(),
        subject: "s".into(),
        text: "t".into(),
        unsubscribe_url: Some("https://num.example.org/u\r\nBcc: someone@example.org".into()),
    };
    let err = aws.email.send_email(&m, "k").await.unwrap_err();
    assert!(matches!(err, shared::ports::messaging::SendError::Rejected(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_is_transactional_with_the_configured_sender_id() {
    let aws = aws_backend().await;
    let capture = Capture::default();
    let client = aws.client.with_observer(Arc::new(capture.clone()));
    let sms = SnsSms::new(client, SmsConfig { sender_id: "NUMAlerts".into(), origination_number: None });
    sms.send_sms(&SmsMessage { to: PhoneNumber::parse("+447700900321").unwrap(), text: "NUM alert".into() }, "k").await.unwrap();

    let bodies = capture.bodies();
    assert_eq!(bodies.len(), 1);
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(bodies[0].as_bytes()).into_owned().collect();
    assert_eq!(form["Action"], "Publish");
    assert_eq!(form["PhoneNumber"], "+447700900321");
    assert!(!form.contains_key("TopicArn") && !form.contains_key("TargetArn"));
    let attributes: std::collections::HashMap<&str, (&str, &str)> = (1..=2)
        .map(|i| {
            let get = |k: &str| form[&format!("MessageAttributes.entry.{i}.{k}")].as_str();
            (get("Name"), (get("Value.DataType"), get("Value.StringValue")))
        })
        .collect();
    assert_eq!(attributes["AWS.SNS.SMS.SMSType"], ("String", "Transactional"));
    assert_eq!(attributes["AWS.SNS.SMS.SenderID"], ("String", "NUMAlerts"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sms_adapter_asks_sns_whether_a_number_opted_out() {
    let aws = aws_backend().await;
    let capture = Capture::default();
    let client = aws.client.with_observer(Arc::new(capture.clone()));
    let sms = SnsSms::new(client, SmsConfig { sender_id: "NUMAlerts".into(), origination_number: None });
    // moto keeps every number ending in 99 on its opt-out list.
    assert!(sms.opted_out(&PhoneNumber::parse("+447700900199").unwrap()).await.unwrap());
    assert!(!sms.opted_out(&PhoneNumber::parse("+447700900123").unwrap()).await.unwrap());
    let bodies = capture.bodies();
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(bodies[0].as_bytes()).into_owned().collect();
    assert_eq!(form["Action"], "CheckIfPhoneNumberIsOptedOut");
    assert_eq!(form["phoneNumber"], "+447700900199");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_two_way_number_texts_come_from_it_so_a_reply_can_come_back() {
    let aws = aws_backend().await;
    let capture = Capture::default();
    let client = aws.client.with_observer(Arc::new(capture.clone()));
    let number = PhoneNumber::parse("+447700900100").unwrap();
    let sms = SnsSms::new(client, SmsConfig { sender_id: "NUMAlerts".into(), origination_number: Some(number) });
    sms.send_sms(&SmsMessage { to: PhoneNumber::parse("+447700900321").unwrap(), text: "NUM alert".into() }, "k").await.unwrap();
    let bodies = capture.bodies();
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(bodies[0].as_bytes()).into_owned().collect();
    let attributes: std::collections::HashMap<&str, &str> = (1..=2)
        .map(|i| {
            let get = |k: &str| form[&format!("MessageAttributes.entry.{i}.{k}")].as_str();
            (get("Name"), get("Value.StringValue"))
        })
        .collect();
    assert_eq!(attributes.get("AWS.MM.SMS.OriginationNumber"), Some(&"+447700900100"));
    assert_eq!(attributes.get("AWS.SNS.SMS.SenderID"), None, "an alphanumeric sender cannot be replied to");
}
