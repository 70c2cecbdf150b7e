//! Helpers for the cross-crate tests: an app built in-process on a fresh data folder, and a client that speaks to it;
//! the AWS backend on moto (`aws`) and Lambda's part for table streams (`stream_bridge`).

pub mod aws;
pub mod stream_bridge;

pub mod fanout;
pub mod faults;
pub mod logs;
pub mod meter;
pub mod provider;

/// Where the labelled report cases are: the one file that also names the optional `../shared`.
#[path = "../../shared/tests/common/corpus.rs"]
pub mod corpus;

use std::path::{Path, PathBuf};

use axum::Router;
use bytes::Bytes;
use http::{Request, StatusCode};
use num_cli::serve::Local;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub local: Local,
    pub router: Router,
    pub dir: tempfile::TempDir,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A whole local system on a fresh data folder.
pub fn spawn_app() -> TestApp {
    spawn_app_with(|_| num_cli::serve::Options::default())
}

/// A local system with some parts swapped (senders, clock); the closure sees the data folder.
pub fn spawn_app_with(opts: impl FnOnce(&Path) -> num_cli::serve::Options) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut o = opts(dir.path());
    // Tests do not wait for backoffs of a second.
    o.stream_backoff = std::time::Duration::from_millis(5);
    let local = Local::open_with(dir.path(), o).expect("the local system opens");
    let router = local.router();
    TestApp { local, router, dir }
}

impl TestApp {
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub async fn request(&self, req: Request<axum::body::Body>) -> TestResponse {
        let res = self.router.clone().oneshot(req).await.expect("the router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("the body reads");
        TestResponse { status, headers, body }
    }

    pub async fn post(&self, path: &str, content_type: &str, body: impl Into<Bytes>) -> TestResponse {
        let req =
            Request::post(path).header("content-type", content_type).body(axum::body::Body::from(body.into())).expect("a valid request");
        self.request(req).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> TestResponse {
        self.post(path, "application/json", serde_json::to_vec(body).expect("JSON")).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(axum::body::Body::empty()).expect("a valid request")).await
    }

    /// Every stored item and change record, as the database holds them.
    pub async fn raw_rows(&self) -> Vec<String> {
        self.local.tables.raw_dump().await.expect("the database reads")
    }

    /// All bytes of every file in the data folder (database, its write-ahead log, the key file).
    pub fn raw_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        std::fs::read_dir(self.data_dir())
            .expect("the data folder lists")
            .filter_map(Result::ok)
            .map(|e| (e.path(), std::fs::read(e.path()).unwrap_or_default()))
            .collect()
    }
}

/// A valid report: Leeds, one category, consent to publish, with a reporter block and a workplace.
pub fn sample_report() -> Value {
    serde_json::json!({
        "incident": {"date": "2025-03-14", "time_of_day": "evening", "town": "Leeds", "location_detail": "Room 3 upstairs",
                     "categories": ["physical_assault", "theft"], "first_contact": "phone"},
        "offender": {"names_used": ["Gaz"], "phones": ["07700 900201"], "emails": ["gaz@example.net"], "online_handles": ["@gaz_lds"],
                     "vehicles": [{"make": "Vauxhall", "model": "Astra", "colour": "black", "registration": "YD19 KQT"}],
                     "description": "White male, mid 40s, shaved head."},
        "account": "Booked by phone, called himself Gaz. He grabbed my wrist and took £80.",
        "reporter": {"name": "Jade Whitfield", "working_name": "Scarlett", "email": "scarlett@example.com", "phone": "07700 900101",
                     "online_handles": ["@scarlett_lds"], "preferred_contact": "sms", "contact_notes": "Text only, after 6pm."},
        "workplace": {"setting": "parlour", "venue_name": "The Velvet Rooms", "venue_address": "14 Kirkgate, Leeds LS1 6BR"},
        "consent": {"publish_alert": true, "share_with_police": true, "caseworker_contact": true}
    })
}

/// One of the repository's labelled cases (`shared/tests/cases/<id>.json`): its `report`, `must_not_appear` and
/// `must_appear`.
pub fn labelled_case(id: &str) -> Value {
    let path = corpus::own_case(id);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read the labelled case {}: {e}", path.display()));
    serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Finds `needle` in `haystack` as bytes.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

impl TestApp {
    /// A local staff token for a role, as `num staff token` makes it.
    pub async fn token(&self, role: &str) -> String {
        num_cli::staff::token(self.data_dir(), role, &format!("test-{role}")).await.expect("a token")
    }

    pub async fn staff(&self, method: &str, path: &str, role: &str, body: Option<&Value>) -> TestResponse {
        self.staff_named(method, path, role, &format!("test-{role}"), body).await
    }

    /// As `staff`, as a named member of staff (two caseworkers are two people).
    pub async fn staff_named(&self, method: &str, path: &str, role: &str, name: &str, body: Option<&Value>) -> TestResponse {
        let token = num_cli::staff::token(self.data_dir(), role, name).await.expect("a token");
        let mut req = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                axum::body::Body::from(serde_json::to_vec(b).unwrap())
            }
            None => axum::body::Body::empty(),
        };
        self.request(req.body(body).unwrap()).await
    }

    /// Runs every stream until nothing is left.
    pub async fn drain(&self) {
        self.local.drain().await.expect("the streams drain");
    }

    pub fn outbox(&self) -> Vec<shared::adapters::outbox::OutboxEntry> {
        shared::adapters::Outbox::read(self.data_dir()).expect("the outbox reads")
    }

    /// Subscribes, reads each contact's code from the outbox, verifies each. Returns the subscription id.
    pub async fn subscribe_verified(&self, body: Value) -> String {
        let res = self.post_json("/subscriptions", &body).await;
        assert_eq!(res.status, 202, "{}", res.text());
        let id = res.json()["subscription_id"].as_str().unwrap().to_owned();
        self.drain().await;
        // Each contact has its own code: verify every one given.
        let mut status = Value::Null;
        for to in [body["email"].as_str(), body["phone"].as_str()].into_iter().flatten() {
            let code = self.latest_code_for(to).expect("a code was sent");
            let res = self.post_json("/subscriptions/verify", &serde_json::json!({"subscription_id": id, "code": code})).await;
            assert_eq!(res.status, 200, "{}", res.text());
            status = res.json()["status"].clone();
        }
        // Vetting is on: an office manager approves the request, as the scheme does by hand.
        if status == "pending_approval" {
            self.approve(&id).await;
        }
        id
    }

    /// An office manager approves a verified request; the approval notice goes out.
    pub async fn approve(&self, id: &str) {
        let res = self.staff("POST", &format!("/admin/members/{id}/approve"), "office_manager", None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["status"], "active");
        self.drain().await;
    }

    /// The last six-digit code sent to an address or number (national or E.164 form).
    pub fn latest_code_for(&self, to: &str) -> Option<String> {
        let want = normalise_contact(to);
        self.outbox()
            .into_iter()
            .rev()
            .filter(|e| normalise_contact(&e.to) == want)
            .find_map(|e| e.body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_owned))
    }

    /// The alert messages (not codes) sent to one address or number.
    pub fn alerts_sent_to(&self, to: &str) -> Vec<shared::adapters::outbox::OutboxEntry> {
        let want = normalise_contact(to);
        self.outbox().into_iter().filter(|e| normalise_contact(&e.to) == want && e.idempotency_key.starts_with("A-")).collect()
    }
}

fn normalise_contact(s: &str) -> String {
    match shared::domain::PhoneNumber::parse(s) {
        Ok(p) => p.as_str().to_owned(),
        Err(_) => s.to_lowercase(),
    }
}

/// A request to the admin function as the HTTP API's JWT authorizer passes it: `subject` of `role`, a JSON body.
pub async fn as_staff(
    admin: &shared::http::admin::AdminDeps,
    subject: &str,
    role: shared::staff::Role,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> http::Response<Bytes> {
    let claims = shared::http::admin::AuthorizerClaims(shared::staff::Staff { subject: subject.to_owned(), role });
    let req = http::Request::builder().method(method).uri(path).header("content-type", "application/json").extension(claims);
    let body = body.map(|b| Bytes::from(serde_json::to_vec(b).unwrap())).unwrap_or_default();
    shared::http::admin::handle(admin, req.body(body).unwrap()).await
}
