//! Counts the calls the AWS adapters make, by service and operation, with the bytes of each request and answer: the
//! figures the cost model (`scripts/cost-model`) prices. The observer of the adapters' client of an `AwsBackend`
//! (`AwsClient::with_observer`), so it sees exactly what the adapters send (retries included), and nothing the tests'
//! own set-up or stream reading does.
//!
//! DynamoDB is billed by capacity units, not calls: each call's units are worked out here from the JSON it carried,
//! which is larger than DynamoDB's own item size (type tags, attribute names quoted, binary in base64), so the units
//! are an upper bound: a write unit per 1 KB written (twice for a transaction), a read unit per 4 KB read (strongly
//! consistent, the dearer kind).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use shared::adapters::aws::{CallObserver, ObservedCall};

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

/// The observer; clones share one tally.
#[derive(Debug, Clone, Default)]
pub struct Meter {
    tally: Arc<Mutex<Tally>>,
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

impl CallObserver for Meter {
    /// Counts a call that was answered (as the bill does: a call that never reached the service costs nothing).
    fn observe(&self, call: &ObservedCall<'_>) {
        if call.status.is_none() {
            return;
        }
        let dynamo = call.service == "DynamoDB";
        let write = if dynamo { write_units(call.operation, call.request) } else { 0.0 };
        let read = if dynamo { read_units(call.operation, call.response_bytes) } else { 0.0 };
        let mut tally = self.tally.lock().expect("meter");
        let c = tally.entry((call.service.to_owned(), call.operation.to_owned())).or_default();
        c.calls += 1;
        c.request_bytes += call.request.len() as u64;
        c.response_bytes += call.response_bytes;
        c.write_units += write;
        c.read_units += read;
    }
}
