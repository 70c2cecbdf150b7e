//! Verification codes against a running `num serve`, seen only from outside: HTTP answers and the outbox folder.
//! Someone else's address given beside the attacker's own number never receives alerts, and an older subscription of
//! it stays as it was; opening an alert's unsubscribe or stop link changes nothing; a burst of subscribe requests is
//! cut off with 429 long before ten codes reach one number.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::serve::{REPORT, free_port, interrupt, start, start_with};

fn call(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn post(port: u16, path: &str, body: &Value) -> (u16, Value) {
    call(port, "POST", path, None, &body.to_string())
}

/// Every message the server "sent", from the outbox folder.
fn outbox(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("outbox.jsonl")).unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn key(m: &Value) -> &str {
    m["idempotency_key"].as_str().unwrap_or("")
}

/// Waits until `want` holds of the outbox (the server sends from its streams a moment after answering).
fn wait_for(dir: &Path, what: &str, want: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let all = outbox(dir);
        if want(&all) {
            return all;
        }
        assert!(Instant::now() < deadline, "waited 20 s for {what}; the outbox holds {all:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The code sent for subscription `id` on `channel`, once it is in the outbox.
fn code(dir: &Path, id: &str, channel: &str) -> String {
    let prefix = "code:";
    let all = wait_for(dir, &format!("the {channel} code of {id}"), |all| {
        all.iter().any(|m| key(m).starts_with(prefix) && key(m).contains(id) && key(m).ends_with(channel))
    });
    let m = all.iter().rev().find(|m| key(m).starts_with(prefix) && key(m).contains(id) && key(m).ends_with(channel)).unwrap();
    let body = m["body"].as_str().unwrap();
    body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned()
}

fn subscribe(port: u16, body: Value) -> String {
    let (status, answer) = post(port, "/subscriptions", &body);
    assert_eq!(status, 202, "{answer}");
    answer["subscription_id"].as_str().unwrap().to_owned()
}

fn verify(port: u16, id: &str, code: &str) -> (u16, Value) {
    post(port, "/subscriptions/verify", &json!({"subscription_id": id, "code": code}))
}

fn staff_token(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_num"))
        .args(["staff", "token", "--role", "reviewer", "--data-dir"])
        .arg(dir)
        .output()
        .expect("num staff token runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Submits the Leeds report, waits for its draft and publishes it to Yorkshire. Returns the alert id.
fn publish_an_alert(port: u16, dir: &Path) -> String {
    let (status, answer) = call(port, "POST", "/reports", None, REPORT);
    assert_eq!(status, 201, "{answer}");
    let token = staff_token(dir);
    let deadline = Instant::now() + Duration::from_secs(20);
    let alert = loop {
        let (_, list) = call(port, "GET", "/admin/alerts?status=draft", Some(&token), "");
        if let Some(id) = list["alerts"][0]["alert_id"].as_str() {
            break id.to_owned();
        }
        assert!(Instant::now() < deadline, "no draft within 20 s: {list}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let body = json!({"regions": ["yorkshire-humber"]}).to_string();
    let (status, answer) = call(port, "POST", &format!("/admin/alerts/{alert}/publish"), Some(&token), &body);
    assert_eq!(status, 200, "{answer}");
    alert
}

#[test]
fn against_num_serve_the_attack_leaves_the_victims_subscription_active_and_sends_the_victim_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Which contact a code verifies is the point here; vetting (a flag of its own) would only add a step.
    let mut server = start_with(dir.path(), port, &["--no-vetting"]);
    const VICTIM: &str = "victim@example.org";

    // The victim's own subscription, verified with the code mailed to them.
    let victim = subscribe(port, json!({"email": VICTIM, "regions": ["yorkshire-humber"], "channels": ["email"]}));
    let (status, answer) = verify(port, &victim, &code(dir.path(), &victim, "email"));
    assert_eq!((status, &answer), (200, &json!({"status": "active"})));

    // The attack: the victim's address with the attacker's own mobile, verified with the code texted to the attacker.
    let attack =
        subscribe(port, json!({"email": VICTIM, "phone": "07700 900666", "regions": ["yorkshire-humber"], "channels": ["email", "sms"]}));
    let texted = code(dir.path(), &attack, "sms");
    let (status, answer) = verify(port, &attack, &texted);
    assert_eq!(status, 200, "{answer}");
    // The victim's own code for the attacker's request was mailed to the victim; the attacker never sees it, and
    // the texted code does not open it.
    let mailed = code(dir.path(), &attack, "email");
    assert_ne!(mailed, texted);

    let alert = publish_an_alert(port, dir.path());
    wait_for(dir.path(), "the alert's two messages", |all| all.iter().filter(|m| key(m).starts_with(&alert)).count() >= 2);
    std::thread::sleep(Duration::from_millis(500));
    let all = outbox(dir.path()).into_iter().filter(|m| key(m).starts_with(&alert)).collect::<Vec<_>>();
    let to_victim: Vec<&Value> = all.iter().filter(|m| m["to"] == VICTIM).collect();
    assert_eq!(to_victim.len(), 1, "the victim gets the alert once: {all:#?}");
    assert!(key(to_victim[0]).contains(&victim), "through their own, still active subscription: {}", key(to_victim[0]));
    assert!(!all.iter().any(|m| key(m).contains(&attack) && m["to"] == VICTIM), "nothing reaches the victim through the attack");
    assert!(all.iter().any(|m| key(m).contains(&attack) && m["to"] == "+447700900666"), "the attacker's own number is verified");

    // Opening the links an alert carries changes nothing: a mail system's link scanner following the email's
    // unsubscribe link, a phone previewing the text's stop link.
    let email = to_victim[0]["body"].as_str().unwrap();
    let unsubscribe = email.split_whitespace().find(|w| w.contains("/unsubscribe?token=")).expect("an unsubscribe link");
    assert_eq!(call(port, "GET", &unsubscribe[unsubscribe.find("/unsubscribe").unwrap()..], None, "").0, 200);
    let text = all.iter().find(|m| m["to"] == "+447700900666").unwrap()["body"].as_str().unwrap();
    let stop = text.split_whitespace().last().unwrap();
    assert!(stop.contains("/stop/"), "a text ends with its stop link: {text}");
    assert_eq!(call(port, "GET", &stop[stop.find("/stop/").unwrap()..], None, "").0, 200);
    let second = publish_an_alert(port, dir.path());
    let all =
        wait_for(dir.path(), "the second alert's two messages", |all| all.iter().filter(|m| key(m).starts_with(&second)).count() >= 2);
    assert!(all.iter().any(|m| key(m).starts_with(&second) && m["to"] == VICTIM), "still subscribed after the link was opened");
    assert!(all.iter().any(|m| key(m).starts_with(&second) && m["to"] == "+447700900666"), "texts go on after the preview");
    interrupt(&mut server);
}

/// Sends 30 subscribe requests; returns the statuses in order.
fn burst(port: u16, body: impl Fn(usize) -> Value) -> Vec<u16> {
    (0..30).map(|n| post(port, "/subscriptions", &body(n)).0).collect()
}

#[test]
fn against_num_serve_a_burst_of_30_subscribe_requests_is_cut_off_before_10_codes_reach_one_number() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port);
    let statuses = burst(port, |_| json!({"phone": "07700 900123", "regions": ["london"], "channels": ["sms"]}));
    let first_429 = statuses.iter().position(|s| *s == 429).map(|i| i + 1);
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert_eq!(first_429, Some(4), "the 4th code for the same number within an hour is refused: {statuses:?}");
    assert_eq!(accepted, 3, "{statuses:?}");
    wait_for(dir.path(), "three codes", |all| all.len() >= 3);
    std::thread::sleep(Duration::from_millis(500));
    let texts = outbox(dir.path()).iter().filter(|m| m["to"] == "+447700900123").count();
    assert_eq!(texts, 3, "three codes reached the number, not ten");
    println!("same number: first 429 at request {first_429:?}, codes sent {texts}");
    interrupt(&mut server);

    // Thirty different numbers from one client: the client's own limit cuts it off.
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port);
    let statuses = burst(port, |n| json!({"phone": format!("07700 900{:03}", 200 + n), "regions": ["london"], "channels": ["sms"]}));
    let first_429 = statuses.iter().position(|s| *s == 429).map(|i| i + 1);
    assert_eq!(first_429, Some(11), "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 10, "{statuses:?}");
    wait_for(dir.path(), "ten codes", |all| all.len() >= 10);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(outbox(dir.path()).len(), 10, "ten codes in all, one per number");
    println!("thirty numbers: first 429 at request {first_429:?}, codes sent 10");
    interrupt(&mut server);
}
