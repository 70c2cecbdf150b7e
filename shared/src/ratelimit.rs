//! Limits on guessing: every endpoint that takes a secret (a staff token, a verification code, an unsubscribe token)
//! counts its failures per client and answers 429 once a client has failed too often in a window.
//!
//! The client is known by its network address, which is never stored or logged: the limiter keeps only a keyed hash
//! of it, in memory, under a key made fresh when the process starts. In the cloud each Lambda instance keeps its own
//! counts (best effort); the API's throttling and, for codes, the per-subscription lockout stored with the
//! subscription are the limits that hold across instances.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::ApiError;

/// The client's address, as the host saw it (axum's peer address, or API Gateway's source IP). A request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Secret {
    StaffToken,
    VerificationCode,
    UnsubscribeToken,
    /// Not a secret: subscription requests that sent codes, counted per client (see `CODE_REQUESTS_PER_HOUR`).
    CodeRequest,
    /// A reporter's reference and passphrase, counted per client.
    FollowUp,
    /// The same, counted per reference (whoever tries it): see [`Limiter::check_for`].
    FollowUpReference,
}

/// Subscription requests (each sends codes) one client may make in an hour.
pub const CODE_REQUESTS_PER_HOUR: usize = 10;

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub max_failures: usize,
    pub window: Duration,
}

/// Failure times by kind of secret and client hash.
type Failures = HashMap<(Secret, [u8; 32]), VecDeque<Instant>>;

pub struct Limiter {
    salt: [u8; 32],
    rules: HashMap<Secret, Rule>,
    failures: Mutex<Failures>,
}

impl Default for Limiter {
    fn default() -> Self {
        let mut rules = HashMap::new();
        rules.insert(Secret::StaffToken, Rule { max_failures: 20, window: Duration::from_secs(600) });
        rules.insert(Secret::VerificationCode, Rule { max_failures: 20, window: Duration::from_secs(3600) });
        rules.insert(Secret::UnsubscribeToken, Rule { max_failures: 20, window: Duration::from_secs(3600) });
        rules.insert(Secret::CodeRequest, Rule { max_failures: CODE_REQUESTS_PER_HOUR, window: Duration::from_secs(3600) });
        rules.insert(Secret::FollowUp, Rule { max_failures: 10, window: Duration::from_secs(3600) });
        rules.insert(Secret::FollowUpReference, Rule { max_failures: 10, window: Duration::from_secs(3600) });
        Self::with_rules(rules)
    }
}

impl Limiter {
    pub fn with_rules(rules: HashMap<Secret, Rule>) -> Self {
        let mut salt = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        Self { salt, rules, failures: Mutex::new(HashMap::new()) }
    }

    fn client_key(&self, client: Option<ClientAddr>) -> [u8; 32] {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.salt).expect("HMAC takes any key length");
        match client {
            Some(ClientAddr(ip)) => m.update(ip.to_string().as_bytes()),
            None => m.update(b"unknown"),
        }
        m.finalize().into_bytes().into()
    }

    /// Refuses with 429 when this client has used up its failures for this kind of secret.
    pub fn check(&self, secret: Secret, client: Option<ClientAddr>) -> Result<(), ApiError> {
        self.check_key(secret, self.client_key(client))
    }

    /// Refuses with 429 when `name` (a reference, say: whoever tries it) has used up its failures. The name is kept
    /// only as a keyed hash, as a client's address is.
    pub fn check_for(&self, secret: Secret, name: &str) -> Result<(), ApiError> {
        self.check_key(secret, self.name_key(name))
    }

    /// Counts one failure against `name`.
    pub fn fail_for(&self, secret: Secret, name: &str) {
        self.fail_key(secret, self.name_key(name))
    }

    fn name_key(&self, name: &str) -> [u8; 32] {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.salt).expect("HMAC takes any key length");
        m.update(b"name:");
        m.update(name.as_bytes());
        m.finalize().into_bytes().into()
    }

    fn check_key(&self, secret: Secret, key: [u8; 32]) -> Result<(), ApiError> {
        let rule = self.rules[&secret];
        let key = (secret, key);
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(q) = map.get_mut(&key) else { return Ok(()) };
        while q.front().is_some_and(|t| t.elapsed() > rule.window) {
            q.pop_front();
        }
        if q.len() >= rule.max_failures {
            tracing::warn!(secret = ?secret, "client locked out after repeated failures");
            return Err(ApiError::too_many_requests());
        }
        Ok(())
    }

    /// Counts one failure.
    pub fn fail(&self, secret: Secret, client: Option<ClientAddr>) {
        self.fail_key(secret, self.client_key(client))
    }

    fn fail_key(&self, secret: Secret, key: [u8; 32]) {
        let key = (secret, key);
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget clients whose failures have all aged out, so the map cannot grow without bound.
        if map.len() > 100_000 {
            map.retain(|(s, _), q| q.back().is_some_and(|t| t.elapsed() < self.rules[s].window));
        }
        map.entry(key).or_default().push_back(Instant::now());
    }
}

/// The client address of a request, where the host put one.
pub fn client_of<B>(req: &http::Request<B>) -> Option<ClientAddr> {
    req.extensions().get::<ClientAddr>().copied()
}
