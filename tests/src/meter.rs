//! Counts the calls the AWS adapters make, by service and operation, with the bytes of each request and answer: the
//! figures the cost model (`scripts/cost-model`) prices. An SDK interceptor on every client of an `AwsBackend`, so
//! it sees exactly what the adapters send (retries included), and nothing the tests' own set-up or stream reading does.
//!
//! DynamoDB is billed by capacity units, not calls: each call's units are worked out here from the JSON it carried,
//! which is larger than DynamoDB's own item size (type tags, attribute names quoted, binary in base64), so the units
//! are an upper bound: a write unit per 1 KB written (twice for a transaction), a read unit per 4 KB read (strongly
//! consistent, the dearer kind).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// What one operation of one service cost so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Calls {
    pub calls: u64,
    pub request_bytes: u64,
    pub response_bytes: u64,
    /// DynamoDB only: write and read capacity units (upper bounds, see the module).
    pub write_units: f64,
    pub read_units: f64,
}

/// `(service, operation)` → what it cost.
pub type Tally = BTreeMap<(String, String), Calls>;

/// The interceptor; clones share one tally.
#[derive(Debug, Clone, Default)]
pub struct Meter {
    tally: Arc<Mutex<Tally>>,
}

/// The request's size, kept in the call's config bag until its answer comes.
#[derive(Debug, Clone, Copy)]
struct Sent {
    bytes: u64,
    write_units: f64,
}

impl Storable for Sent {
    type Storer = StoreReplace<Self>;
}

impl Meter {
    /// Everything counted so far.
    pub fn snapshot(&self) -> Tally {
        self.tally.lock().expect("meter").clone()
    }

    /// What was counted after `before` was taken.
    pub fn since(&self, before: &Tally) -> Tally {
        let mut out = Tally::new();
        for (k, now) in self.snapshot() {
            let was = before.get(&k).copied().unwrap_or_default();
            let d = Calls {
                calls: now.calls - was.calls,
                request_bytes: now.request_bytes - was.request_bytes,
                response_bytes: now.response_bytes - was.response_bytes,
                write_units: now.write_units - was.write_units,
                read_units: now.read_units - was.read_units,
            };
            if d.calls > 0 {
                out.insert(k, d);
            }
        }
        out
    }
}

fn operation(cfg: &ConfigBag) -> (String, String) {
    cfg.load::<Metadata>().map(|m| (m.service().to_owned(), m.name().to_owned())).unwrap_or_else(|| ("unknown".into(), "unknown".into()))
}

/// Write units for a DynamoDB request body: one per started KB of each item written, twice in a transaction.
pub fn write_units(op: &str, body: &[u8]) -> f64 {
    let kb = |n: usize| n.div_ceil(1024).max(1) as f64;
    match op {
        "PutItem" | "UpdateItem" | "DeleteItem" => kb(body.len()),
        "TransactWriteItems" | "BatchWriteItem" => {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else { return kb(body.len()) };
            let items: Vec<usize> = match op {
                "TransactWriteItems" => {
                    v["TransactItems"].as_array().map(|a| a.iter().map(|x| x.to_string().len()).collect()).unwrap_or_default()
                }
                _ => v["RequestItems"]
                    .as_object()
                    .map(|t| t.values().flat_map(|l| l.as_array().cloned().unwrap_or_default()).map(|x| x.to_string().len()).collect())
                    .unwrap_or_default(),
            };
            let factor = if op == "TransactWriteItems" { 2.0 } else { 1.0 };
            items.into_iter().map(|n| factor * kb(n)).sum()
        }
        _ => 0.0,
    }
}

/// Read units for a DynamoDB answer of `n` bytes: one per started 4 KB, twice in a transaction.
pub fn read_units(op: &str, n: u64) -> f64 {
    let units = n.div_ceil(4096).max(1) as f64;
    match op {
        "GetItem" | "Query" | "Scan" | "BatchGetItem" => units,
        "TransactGetItems" => 2.0 * units,
        _ => 0.0,
    }
}

impl Intercept for Meter {
    fn name(&self) -> &'static str {
        "num-tests-meter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.request().body().bytes().unwrap_or_default();
        let (service, op) = operation(cfg);
        let units = if service == "DynamoDB" { write_units(&op, body) } else { 0.0 };
        cfg.interceptor_state().store_put(Sent { bytes: body.len() as u64, write_units: units });
        Ok(())
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let answered = response
            .headers()
            .get("content-length")
            .and_then(|v| v.parse::<u64>().ok())
            .or_else(|| response.body().bytes().map(|b| b.len() as u64))
            .unwrap_or(0);
        let (service, op) = operation(cfg);
        let sent = cfg.load::<Sent>().copied().unwrap_or(Sent { bytes: 0, write_units: 0.0 });
        let read = if service == "DynamoDB" { read_units(&op, answered) } else { 0.0 };
        let mut tally = self.tally.lock().expect("meter");
        let c = tally.entry((service, op)).or_default();
        c.calls += 1;
        c.request_bytes += sent.bytes;
        c.response_bytes += answered;
        c.write_units += sent.write_units;
        c.read_units += read;
        Ok(())
    }
}
