//! The audit log: an entry for every staff action and every opening of private data.
//!
//! Entries are numbered and chained: each carries the SHA-256 of the previous entry's hash and its own content, so an
//! altered or removed entry breaks the chain where it stands. Appending writes the entry (conditional on its number
//! being free) and then moves the head; an append that finds its number taken repairs the head and tries the next.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ports::tables::{AttributeValue, from_item, s, to_item};
use crate::ports::{Condition, EncryptionContext, Key, KeyService, StoreError, Table, Tables, Update};
use crate::seal::{Sealed, Sealer};
use crate::staff::Staff;

pub type AuditDeps = super::Deps;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub pk: String,
    pub sk: String,
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    /// The reason staff gave, sealed: it is free text and may name someone. Empty when none was given.
    #[serde(default, skip_serializing_if = "Sealed::is_empty")]
    pub reason_sealed: Sealed<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Why an entry was not appended. The action it was to record is then not done.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit table failed")]
    Store(#[from] StoreError),
    #[error("sealing the reason failed")]
    Seal(#[from] crate::seal::SealError),
    /// Every number tried was taken by a concurrent append.
    #[error("concurrent appends kept taking the next number")]
    Busy,
}

const PARTITION: &str = "AUDIT";

fn entry_key(seq: u64) -> Key {
    Key::new(PARTITION, format!("E#{seq:012}"))
}

fn head_key() -> Key {
    Key::new(PARTITION, "HEAD")
}

/// The hash of an entry: its predecessor's hash and every field but its own hash.
pub fn entry_hash(e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    for part in [
        e.prev_hash.as_bytes(),
        e.seq.to_string().as_bytes(),
        e.at.as_bytes(),
        e.actor.as_bytes(),
        e.role.as_bytes(),
        e.action.as_bytes(),
        e.target.as_bytes(),
        e.reason_sealed.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

fn reason_context(seq: u64) -> EncryptionContext {
    EncryptionContext::new(Table::Audit.as_str(), "audit_reason", &seq.to_string())
}

/// An entry as staff read it: the reason opened.
#[derive(Debug, Clone, Serialize)]
pub struct AuditView {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    pub async fn open(self, keys: &dyn KeyService) -> Result<AuditView, crate::seal::SealError> {
        let reason =
            if self.reason_sealed.is_empty() { None } else { Some(self.reason_sealed.open(keys, &reason_context(self.seq)).await?) };
        Ok(AuditView {
            seq: self.seq,
            at: self.at,
            actor: self.actor,
            role: self.role,
            action: self.action,
            target: self.target,
            reason,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Appends one entry. `reason` is what staff gave, where a reason is asked for.
pub async fn record(deps: &AuditDeps, staff: &Staff, action: &str, target: &str, reason: Option<&str>) -> Result<AuditEntry, AuditError> {
    for _ in 0..20 {
        let head = deps.tables.get(Table::Audit, &head_key()).await?;
        let (seq, prev) = match &head {
            Some(h) => {
                let seq = match h.get("seq") {
                    Some(AttributeValue::N(n)) => n.parse::<u64>().unwrap_or(0),
                    _ => 0,
                };
                (seq, crate::ports::tables::attr_str(h, "hash").unwrap_or(GENESIS).to_owned())
            }
            None => (0, GENESIS.to_owned()),
        };
        let k = entry_key(seq + 1);
        let mut e = AuditEntry {
            pk: k.pk,
            sk: k.sk,
            seq: seq + 1,
            at: deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            actor: staff.subject.clone(),
            role: staff.role.as_str().to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            reason_sealed: match reason.map(str::trim).filter(|r| !r.is_empty()) {
                Some(r) => {
                    let r: String = r.chars().take(500).collect();
                    Sealed::seal(&Sealer::for_record(deps.keys.as_ref(), reason_context(seq + 1)).await?, &r)
                }
                None => Sealed::default(),
            },
            prev_hash: prev,
            hash: String::new(),
        };
        e.hash = entry_hash(&e);
        match deps.tables.put(Table::Audit, to_item(&e)?, Condition::NotExists).await {
            Ok(()) => {
                advance_head(deps.tables.as_ref(), e.seq, &e.hash).await?;
                // The log is a second witness of the chain: with each head hash logged, rewriting the table alone is
                // not enough to hide a change.
                tracing::info!(audit_seq = e.seq, audit_hash = %e.hash, action, role = staff.role.as_str(), "audit entry");
                return Ok(e);
            }
            Err(StoreError::ConditionFailed) => {
                // Someone wrote this number first (or an earlier append stopped before moving the head): move the
                // head to the entry that is there, and try the next number.
                if let Some(item) = deps.tables.get(Table::Audit, &entry_key(seq + 1)).await? {
                    let there: AuditEntry = from_item(item)?;
                    advance_head(deps.tables.as_ref(), there.seq, &there.hash).await?;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AuditError::Busy)
}

async fn advance_head(tables: &dyn Tables, seq: u64, hash: &str) -> Result<(), StoreError> {
    let update = Update::default().set("seq", AttributeValue::N(seq.to_string())).set("hash", s(hash));
    // The head moves one step at a time, from the entry before: it never goes back.
    let cond = if seq == 1 { Condition::NotExists } else { Condition::Equals("seq".into(), AttributeValue::N((seq - 1).to_string())) };
    match tables.update(Table::Audit, &head_key(), update, cond).await {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

/// One page of the log, oldest first, after entry number `after`.
pub async fn read(tables: &dyn Tables, after: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
    let mut q = crate::ports::Query::partition(crate::ports::Index::Primary, PARTITION);
    q.sort = crate::ports::SortCondition::Between(format!("E#{:012}", after + 1), "E#999999999999".into());
    q.limit = limit.clamp(1, 1000);
    let page = tables.query(Table::Audit, q).await?;
    page.items.into_iter().map(from_item).collect()
}

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Verdict {
    /// Every entry is there, in order, and each hash holds.
    Intact { entries: u64 },
    /// The entry at `seq` was changed after it was written (its hash, or the next entry's link, does not hold).
    Altered { seq: u64 },
    /// The entry at `seq` is gone.
    Missing { seq: u64 },
}

/// Walks the whole chain from the first entry to the head.
pub async fn verify(tables: &dyn Tables) -> Result<Verdict, StoreError> {
    let head = tables.get(Table::Audit, &head_key()).await?;
    let head_seq = match head.as_ref().and_then(|h| h.get("seq")) {
        Some(AttributeValue::N(n)) => n.parse::<u64>().unwrap_or(0),
        _ => 0,
    };
    let head_hash = head.as_ref().and_then(|h| crate::ports::tables::attr_str(h, "hash")).unwrap_or(GENESIS).to_owned();
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_owned();
    loop {
        let page = read(tables, expected_seq - 1, 1000).await?;
        if page.is_empty() {
            break;
        }
        for e in page {
            if e.seq != expected_seq {
                return Ok(Verdict::Missing { seq: expected_seq });
            }
            if e.prev_hash != prev {
                // The link back is broken: this entry or the one before was touched.
                return Ok(Verdict::Altered { seq: e.seq.saturating_sub(1).max(1) });
            }
            if entry_hash(&e) != e.hash {
                return Ok(Verdict::Altered { seq: e.seq });
            }
            prev = e.hash.clone();
            expected_seq += 1;
        }
    }
    let last = expected_seq - 1;
    if last < head_seq {
        return Ok(Verdict::Missing { seq: last + 1 });
    }
    if last == head_seq && head_hash != prev {
        return Ok(Verdict::Altered { seq: last });
    }
    Ok(Verdict::Intact { entries: last })
}
