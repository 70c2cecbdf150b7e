//! A fake SES v2 / SNS endpoint on loopback that behaves like a rate-limited, sometimes failing provider, for the
//! fan-out bench: the real `SesEmail` and `SnsSms` adapters (the SDK clients pointed at it by endpoint URL) send to it.
//!
//! Per service, a token bucket of `rate` sends a second (a second's worth of burst): a send that finds it empty is
//! answered as the service throttles (SES v2: 429 `TooManyRequestsException`; SNS: 400 `Throttling`) and not taken.
//! Of the sends within the rate, `fault` (5% by default) get a 503 `ServiceUnavailable` and are not taken either; of
//! those taken, `lost` (1% by default) are taken and then the connection is closed without an answer, as a lost
//! answer would look. The rate counts the messages taken, as SES's maximum send rate counts the emails SES accepts: a
//! faulted send gives its token back, unless `faults_use_rate` (then no sender can have more than `1 - fault` of the
//! rate taken). `CheckIfPhoneNumberIsOptedOut` always answers "not opted out" and is not rate-limited.
//!
//! It counts what it took per recipient, so duplicates can be told from retries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy)]
pub struct Behaviour {
    /// Sends a second each service takes (SES and SNS have a bucket each).
    pub email_rate: f64,
    pub sms_rate: f64,
    /// Share of sends within the rate answered 503 and not taken.
    pub fault: f64,
    /// Share of taken sends whose answer is lost (the connection closed instead).
    pub lost: f64,
    /// Whether a faulted send uses the rate as a taken one does (false: its token is given back).
    pub faults_use_rate: bool,
    pub seed: u64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self { email_rate: 100.0, sms_rate: 25.0, fault: 0.05, lost: 0.01, faults_use_rate: false, seed: 18 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Email,
    Sms,
}

/// What the provider saw of one service.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Messages taken, per recipient (more than one for a recipient is a duplicate).
    pub taken: HashMap<String, u32>,
    /// Of the taken, those whose answer was lost.
    pub lost: u64,
    pub throttled: u64,
    pub faults: u64,
    /// When the first and the last message were taken.
    pub first: Option<Instant>,
    pub last: Option<Instant>,
    /// Other calls (the SMS opt-out check).
    pub other_calls: u64,
}

impl Seen {
    pub fn taken_total(&self) -> u64 {
        self.taken.values().map(|n| u64::from(*n)).sum()
    }

    pub fn duplicates(&self) -> u64 {
        self.taken.values().map(|n| u64::from(n.saturating_sub(1))).sum()
    }
}

struct Bucket {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: f64) -> Self {
        Self { rate, tokens: rate, at: Instant::now() }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.rate.max(1.0));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct State {
    behaviour: Behaviour,
    rng: StdRng,
    buckets: HashMap<Service, Bucket>,
    seen: HashMap<Service, Seen>,
}

pub struct FakeProvider {
    pub url: String,
    state: Arc<Mutex<State>>,
}

enum Outcome {
    Answer(u16, Vec<(&'static str, String)>, String),
    Close,
}

impl FakeProvider {
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port for the fake provider");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let buckets = HashMap::from([(Service::Email, Bucket::new(behaviour.email_rate)), (Service::Sms, Bucket::new(behaviour.sms_rate))]);
        let state = Arc::new(Mutex::new(State { behaviour, rng: StdRng::seed_from_u64(behaviour.seed), buckets, seen: HashMap::new() }));
        let s = state.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = serve(conn, s).await;
                });
            }
        });
        Self { url, state }
    }

    pub fn seen(&self, service: Service) -> Seen {
        self.state.lock().unwrap().seen.get(&service).cloned().unwrap_or_default()
    }
}

/// HTTP/1.1 with keep-alive, as the SDK's client speaks it: one request at a time per connection.
async fn serve(mut conn: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(8192);
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let length = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.trim().to_owned()))
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 8192];
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = buf[head_end..head_end + length].to_vec();
        buf.drain(..head_end + length);
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        match decide(&state, &path, &body) {
            Outcome::Close => {
                // Taken, and no answer: the client sees the connection close after its request went out.
                return Ok(());
            }
            Outcome::Answer(status, headers, body) => {
                let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                conn.write_all(out.as_bytes()).await?;
            }
        }
    }
}

fn form_value(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

const SNS_NS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

fn decide(state: &Mutex<State>, path: &str, body: &[u8]) -> Outcome {
    let mut st = state.lock().unwrap();
    let (service, recipient) = if path.starts_with("/v2/email/outbound-emails") {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        (Service::Email, v["Destination"]["ToAddresses"][0].as_str().unwrap_or_default().to_owned())
    } else {
        match form_value(body, "Action").as_deref() {
            Some("Publish") => (Service::Sms, form_value(body, "PhoneNumber").unwrap_or_default()),
            Some("CheckIfPhoneNumberIsOptedOut") => {
                st.seen.entry(Service::Sms).or_default().other_calls += 1;
                let xml = format!(
                    "<CheckIfPhoneNumberIsOptedOutResponse xmlns=\"{SNS_NS}\"><CheckIfPhoneNumberIsOptedOutResult><isOptedOut>false\
                     </isOptedOut></CheckIfPhoneNumberIsOptedOutResult><ResponseMetadata><RequestId>r</RequestId>\
                     </ResponseMetadata></CheckIfPhoneNumberIsOptedOutResponse>"
                );
                return Outcome::Answer(200, vec![("content-type", "text/xml".into())], xml);
            }
            other => {
                return Outcome::Answer(400, vec![], format!("the fake provider does not know {other:?} at {path}"));
            }
        }
    };
    let throttled = !st.buckets.get_mut(&service).expect("a bucket per service").take();
    let Behaviour { fault, lost, faults_use_rate, .. } = st.behaviour;
    let fault = !throttled && st.rng.gen_bool(fault);
    let lost = !throttled && !fault && st.rng.gen_bool(lost);
    if fault && !faults_use_rate {
        st.buckets.get_mut(&service).expect("a bucket per service").tokens += 1.0;
    }
    let seen = st.seen.entry(service).or_default();
    if throttled {
        seen.throttled += 1;
        return error(service, 429, 400, "TooManyRequestsException", "Throttling", "Maximum sending rate exceeded.");
    }
    if fault {
        seen.faults += 1;
        return error(service, 503, 503, "ServiceUnavailable", "ServiceUnavailable", "Service unavailable, try again.");
    }
    let now = Instant::now();
    *seen.taken.entry(recipient).or_default() += 1;
    seen.first.get_or_insert(now);
    seen.last = Some(now);
    if lost {
        seen.lost += 1;
        return Outcome::Close;
    }
    let id = format!("m-{:016x}", st.rng.r#gen::<u64>());
    match service {
        Service::Email => Outcome::Answer(200, vec![("content-type", "application/json".into())], format!("{{\"MessageId\":\"{id}\"}}")),
        Service::Sms => Outcome::Answer(
            200,
            vec![("content-type", "text/xml".into())],
            format!(
                "<PublishResponse xmlns=\"{SNS_NS}\"><PublishResult><MessageId>{id}</MessageId></PublishResult>\
                 <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>"
            ),
        ),
    }
}

fn error(service: Service, ses_status: u16, sns_status: u16, ses_code: &str, sns_code: &str, message: &str) -> Outcome {
    match service {
        Service::Email => Outcome::Answer(
            ses_status,
            vec![("content-type", "application/json".into()), ("x-amzn-errortype", ses_code.into())],
            format!("{{\"message\":\"{message}\"}}"),
        ),
        Service::Sms => Outcome::Answer(
            sns_status,
            vec![("content-type", "text/xml".into())],
            format!(
                "<ErrorResponse xmlns=\"{SNS_NS}\"><Error><Type>Sender</Type><Code>{sns_code}</Code><Message>{message}</Message>\
                 </Error><RequestId>r</RequestId></ErrorResponse>"
            ),
        ),
    }
}
