//! The audit log: an entry for every staff action and every opening of private data.
//!
//! Entries are numbered and chained: each carries a link made from the previous entry's link and its own content,
//! so an altered or removed entry breaks the chain where it stands. The link is keyed: an HMAC through the key port
//! (`MacPurpose::AuditChain`; in the cloud a KMS HMAC key of its own, see the README), so write access to the table
//! alone is not enough to re-chain the entries after a change. Entries written before the chain was keyed carry a
//! plain SHA-256 link; they may only come before every keyed entry.
//!
//! The key alone does not stop whoever holds it (the function that appends) from rewriting the whole chain. What
//! does is a second copy of the links outside the table: every append writes a log line with the entry's number and
//! link (`audit_seq`, `audit_mac`), and [`verify`] checks the chain against such anchors, naming the first entry
//! where the table and the anchors disagree.
//!
//! Appending writes the entry (conditional on its number being free) and then moves the head; an append that finds
//! its number taken repairs the head and tries the next.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ports::tables::{AttributeValue, from_item, s, to_item};
use crate::ports::{Condition, EncryptionContext, Key, KeyError, KeyService, MacPurpose, StoreError, Table, Tables, Update};
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
    /// The entry's link: hex HMAC-SHA256 under the audit chain key ([`LINK_HMAC`]), or for an entry written before
    /// the chain was keyed, hex SHA-256.
    pub hash: String,
    /// How `hash` was made: [`LINK_HMAC`], or absent for an entry written before the chain was keyed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// The `link` of a keyed entry.
pub const LINK_HMAC: &str = "hmac-sha256";

/// Why an entry was not appended. The action it was to record is then not done.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit table failed")]
    Store(#[from] StoreError),
    #[error("sealing the reason failed")]
    Seal(#[from] crate::seal::SealError),
    #[error("the key service failed to make the entry's link")]
    Key(#[from] KeyError),
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

/// The unkeyed link of an entry (how entries were chained before the chain was keyed): the SHA-256 of its
/// predecessor's link and every field but its own link.
pub fn entry_hash(e: &AuditEntry) -> String {
    hex::encode(content_digest(e))
}

/// The keyed link of an entry: HMAC-SHA256, under the audit chain key, of the digest of its predecessor's link and
/// every field but its own link.
pub async fn entry_mac(keys: &dyn KeyService, e: &AuditEntry) -> Result<String, KeyError> {
    let mut message = b"num-audit-link-v1\0".to_vec();
    message.extend_from_slice(&content_digest(e));
    Ok(hex::encode(keys.mac(MacPurpose::AuditChain, &message).await?))
}

/// Whether an entry's own link holds for its content.
async fn link_holds(keys: &dyn KeyService, e: &AuditEntry) -> Result<bool, KeyError> {
    let expected = match e.link.as_deref() {
        Some(LINK_HMAC) => entry_mac(keys, e).await?,
        None => entry_hash(e),
        Some(_) => return Ok(false),
    };
    Ok(bool::from(expected.as_bytes().ct_eq(e.hash.as_bytes())))
}

fn content_digest(e: &AuditEntry) -> [u8; 32] {
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
    h.finalize().into()
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
            link: Some(LINK_HMAC.to_owned()),
        };
        e.hash = entry_mac(deps.keys.as_ref(), &e).await?;
        match deps.tables.put(Table::Audit, to_item(&e)?, Condition::NotExists).await {
            Ok(()) => {
                advance_head(deps.tables.as_ref(), e.seq, &e.hash).await?;
                // The anchor: the log is a second witness of the chain, outside the table. With each entry's number
                // and link logged, rewriting the table (even with the key) is not enough to hide a change:
                // `num audit verify --anchors` finds the first entry where the two disagree.
                tracing::info!(audit_seq = e.seq, audit_mac = %e.hash, action, role = staff.role.as_str(), "audit entry");
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
    /// Every entry is there, in order, each link holds, and each anchor given matches.
    Intact {
        entries: u64,
        /// How many entries (the first ones) were written before the chain was keyed.
        #[serde(skip_serializing_if = "is_zero")]
        unkeyed: u64,
        /// How many anchors from outside the table were checked (and matched).
        #[serde(skip_serializing_if = "is_zero")]
        anchored: u64,
    },
    /// The entry at `seq` was changed after it was written (its link, or the next entry's link to it, does not hold).
    Altered { seq: u64 },
    /// The entry at `seq` is gone.
    Missing { seq: u64 },
    /// The entry at `seq` holds in the table, but is not the entry the anchor outside the table recorded: the chain
    /// was rewritten from here on (by someone who could make links).
    Disagrees { seq: u64 },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Verdict {
    pub fn is_intact(&self) -> bool {
        matches!(self, Verdict::Intact { .. })
    }

    /// One sentence for a person.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Intact { entries, unkeyed, anchored } => {
                let mut s = format!("the audit log is intact: {entries} entries, every link holds");
                if *unkeyed > 0 {
                    s.push_str(&format!(" (the first {unkeyed} were written before the chain was keyed)"));
                }
                if *anchored > 0 {
                    s.push_str(&format!("; {anchored} anchors from outside the table match"));
                } else {
                    s.push_str(
                        "; no anchor was given, so a rewrite by someone holding the chain key would not show (give --anchors or --head)",
                    );
                }
                s
            }
            Verdict::Altered { seq } => format!("entry {seq} was changed after it was written"),
            Verdict::Missing { seq } => format!("entry {seq} is missing"),
            Verdict::Disagrees { seq } => {
                format!("entry {seq} is not the entry the log outside the table recorded: the chain was rewritten from entry {seq} on")
            }
        }
    }
}

/// Links of the chain recorded outside the table: entry number to link (hex).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anchors(BTreeMap<u64, String>);

/// Two anchors for one entry name different links: someone wrote to the log too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the anchors name two different links for entry {seq}: the log itself was written to by someone else")]
pub struct AnchorConflict {
    pub seq: u64,
}

impl Anchors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The anchor of the highest entry number.
    pub fn last(&self) -> Option<(u64, &str)> {
        self.0.iter().next_back().map(|(s, l)| (*s, l.as_str()))
    }

    /// Adds one anchor. The same link twice is fine; another link for the same entry is a conflict.
    pub fn add(&mut self, seq: u64, link: &str) -> Result<(), AnchorConflict> {
        let link = link.trim().to_ascii_lowercase();
        match self.0.get(&seq) {
            Some(there) if *there != link => Err(AnchorConflict { seq }),
            _ => {
                self.0.insert(seq, link);
                Ok(())
            }
        }
    }

    /// A head given as `<seq>:<link>`.
    pub fn parse_head(s: &str) -> Option<(u64, String)> {
        let (seq, link) = s.trim().split_once(':')?;
        let seq = seq.trim().parse::<u64>().ok().filter(|n| *n > 0)?;
        let link = link.trim();
        (link.len() == 64 && link.bytes().all(|b| b.is_ascii_hexdigit())).then(|| (seq, link.to_ascii_lowercase()))
    }

    /// Reads the anchors out of log lines: every line that carries `audit_seq` and `audit_mac` (or, from before the
    /// chain was keyed, `audit_hash`), as JSON (the functions' and `num serve`'s logs) or as `key=value` text. Other
    /// lines are passed over. Returns how many lines gave an anchor.
    pub fn add_log_lines(&mut self, text: &str) -> Result<usize, AnchorConflict> {
        let mut used = 0;
        for line in text.lines() {
            let Some(seq) = field_after(line, "audit_seq").and_then(|v| v.parse::<u64>().ok()) else { continue };
            let Some(link) = field_after(line, "audit_mac").or_else(|| field_after(line, "audit_hash")) else { continue };
            if link.len() != 64 {
                continue;
            }
            self.add(seq, &link)?;
            used += 1;
        }
        Ok(used)
    }
}

/// The value after `name` in a log line: skips quotes, colons, equals signs and spaces, then takes letters and digits.
fn field_after(line: &str, name: &str) -> Option<String> {
    let at = line.find(name)? + name.len();
    let rest = line[at..].trim_start_matches(['"', '\\', ':', '=', ' ']);
    let value: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    (!value.is_empty()).then_some(value)
}

/// Why the chain could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the audit table failed")]
    Store(#[from] StoreError),
    #[error("the key service failed to make a link")]
    Key(#[from] KeyError),
}

/// Walks the whole chain from the first entry to the head, checking each link with the key and each entry that an
/// anchor names against it.
pub async fn verify(tables: &dyn Tables, keys: &dyn KeyService, anchors: &Anchors) -> Result<Verdict, VerifyError> {
    let head = tables.get(Table::Audit, &head_key()).await?;
    let head_seq = match head.as_ref().and_then(|h| h.get("seq")) {
        Some(AttributeValue::N(n)) => n.parse::<u64>().unwrap_or(0),
        _ => 0,
    };
    let head_hash = head.as_ref().and_then(|h| crate::ports::tables::attr_str(h, "hash")).unwrap_or(GENESIS).to_owned();
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_owned();
    let mut unkeyed = 0;
    let mut keyed_seen = false;
    let mut anchored = 0;
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
            // An unkeyed entry after a keyed one is a forgery: only the oldest entries may be unkeyed.
            if (e.link.is_none() && keyed_seen) || !link_holds(keys, &e).await? {
                return Ok(Verdict::Altered { seq: e.seq });
            }
            if e.link.is_some() {
                keyed_seen = true;
            } else {
                unkeyed += 1;
            }
            if let Some(anchor) = anchors.0.get(&e.seq) {
                if !bool::from(anchor.as_bytes().ct_eq(e.hash.as_bytes())) {
                    return Ok(Verdict::Disagrees { seq: e.seq });
                }
                anchored += 1;
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
    // An anchor past the last entry: entries that were written are gone from the end.
    if anchors.0.keys().next_back().is_some_and(|s| *s > last) {
        return Ok(Verdict::Missing { seq: last + 1 });
    }
    Ok(Verdict::Intact { entries: last, unkeyed, anchored })
}

/// What someone with write access to the audit table does to make an entry disappear, for the tests that show it is
/// caught (`mocks` feature only).
#[cfg(any(test, feature = "mocks"))]
pub mod tamper {
    use super::*;

    /// How the chain is rewritten after an entry is deleted.
    #[derive(Clone, Copy, Debug)]
    pub enum Rechain {
        /// The attack on an unkeyed chain: plain SHA-256 links.
        Sha256,
        /// The same, keeping the entries marked as keyed.
        Sha256MarkedKeyed,
        /// By someone who holds the chain key (the function that appends).
        WithKey,
    }

    /// Deletes entry `gone` and re-chains every later entry one number down, then moves the head.
    pub async fn delete_and_rechain(tables: &dyn Tables, keys: &dyn KeyService, gone: u64, how: Rechain) -> anyhow::Result<()> {
        let entries = read(tables, 0, 1000).await?;
        let last = entries.last().map(|e| e.seq).unwrap_or_default();
        let mut prev = entries.iter().find(|e| e.seq == gone - 1).map(|e| e.hash.clone()).unwrap_or_else(|| "0".repeat(64));
        for e in entries.iter().filter(|e| e.seq >= gone) {
            tables.delete(Table::Audit, &Key::new(e.pk.clone(), e.sk.clone()), Condition::Always).await?;
        }
        for e in entries.iter().filter(|e| e.seq > gone) {
            let seq = e.seq - 1;
            let mut moved = AuditEntry { pk: "AUDIT".into(), sk: format!("E#{seq:012}"), seq, prev_hash: prev.clone(), ..e.clone() };
            match how {
                Rechain::Sha256 => {
                    moved.link = None;
                    moved.hash = entry_hash(&moved);
                }
                Rechain::Sha256MarkedKeyed => moved.hash = entry_hash(&moved),
                Rechain::WithKey => moved.hash = entry_mac(keys, &moved).await?,
            }
            prev = moved.hash.clone();
            tables.put(Table::Audit, to_item(&moved)?, Condition::Always).await?;
        }
        let head = Update::default().set("seq", AttributeValue::N((last - 1).to_string())).set("hash", s(prev));
        tables.update(Table::Audit, &Key::new("AUDIT", "HEAD"), head, Condition::Always).await?;
        Ok(())
    }
}
