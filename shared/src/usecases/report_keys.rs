//! A report's own data keys, one per kind of private record (the report itself, its messages, case notes, consent
//! notes, link requests, police packages, override reasons), each held in an item of its own:
//! `RKEY#{report}` / `{kind}`, the key wrapped by the key service under the context (`reports`, kind, `{report}/key`).
//!
//! The report's private records are sealed under these keys with no key inside the envelope (`seal` format version 2).
//! Destroying a report's key items at the end of its retention period is crypto-shredding: sealed bytes copied aside
//! before the records were deleted no longer open, because nothing that could unwrap their keys is left.
//!
//! One key per kind, not one per report, so that a function's key grant still names exactly the kinds it may open
//! (the follow-up function opens messages but never the report itself).

use crate::domain::ReportId;
use crate::ports::tables::{AttributeValue, InsertOnly, Item, attr_str, query_all, s};
use crate::ports::{Condition, EncryptionContext, Index, Key, KeyService, Query, StoreError, Table, Tables};
use crate::seal::{RecordKey, SealError, Sealed, Sealer};
use serde::de::DeserializeOwned;

/// The item kind of a key item (what stream handlers see and pass over).
pub const KEY_ITEM_KIND: &str = "report_key";
const PARTITION_PREFIX: &str = "RKEY#";

pub fn partition(report: &ReportId) -> String {
    format!("{PARTITION_PREFIX}{report}")
}

fn key(report: &ReportId, kind: &str) -> Key {
    Key::new(partition(report), kind)
}

/// The context a kind's key is wrapped under: the grant on `kind` is what lets a function unwrap it.
fn context(report: &ReportId, kind: &str) -> EncryptionContext {
    EncryptionContext::new(Table::Reports.as_str(), kind, &format!("{report}/key"))
}

fn item(report: &ReportId, kind: &str, wrapped: Vec<u8>) -> Item {
    let k = key(report, kind);
    let mut item = Item::default();
    item.insert("pk".into(), s(k.pk));
    item.insert("sk".into(), s(k.sk));
    item.insert("kind".into(), s(KEY_ITEM_KIND));
    item.insert("report_id".into(), s(report.as_str()));
    item.insert("wrapped".into(), AttributeValue::B(wrapped));
    item
}

/// Makes a new report's key of `kind` and stores it (submission: it may add items and nothing else). The key item is
/// written before anything sealed under it, so no record outlives the means to read it by accident.
pub async fn create(tables: &dyn InsertOnly, keys: &dyn KeyService, report: &ReportId, kind: &str) -> Result<RecordKey, SealError> {
    let dk = keys.generate_data_key(&context(report, kind)).await?;
    tables.insert(Table::Reports, item(report, kind, dk.wrapped)).await?;
    Ok(RecordKey::new(dk.plaintext))
}

/// The report's key of `kind`, if it exists (it is gone once the report's retention period ended).
pub async fn load(tables: &dyn Tables, keys: &dyn KeyService, report: &ReportId, kind: &str) -> Result<Option<RecordKey>, SealError> {
    let Some(item) = tables.get(Table::Reports, &key(report, kind)).await? else {
        return Ok(None);
    };
    let Some(AttributeValue::B(wrapped)) = item.get("wrapped") else {
        return Err(SealError::Malformed);
    };
    let plain = keys.decrypt_data_key(wrapped, &context(report, kind)).await.map_err(|e| match e {
        crate::ports::KeyError::ContextMismatch => SealError::WrongContext,
        e => SealError::Key(e),
    })?;
    Ok(Some(RecordKey::new(plain)))
}

/// The report's key of `kind`, made on first use (a message on a report whose thread had none yet, or a report
/// stored before reports had keys of their own). Two writers racing agree on whichever wrote first.
pub async fn get_or_create(tables: &dyn Tables, keys: &dyn KeyService, report: &ReportId, kind: &str) -> Result<RecordKey, SealError> {
    if let Some(k) = load(tables, keys, report, kind).await? {
        return Ok(k);
    }
    let dk = keys.generate_data_key(&context(report, kind)).await?;
    match tables.put(Table::Reports, item(report, kind, dk.wrapped), Condition::NotExists).await {
        Ok(()) => Ok(RecordKey::new(dk.plaintext)),
        Err(StoreError::ConditionFailed) => load(tables, keys, report, kind).await?.ok_or(SealError::NoRecordKey),
        Err(e) => Err(e.into()),
    }
}

/// A sealer for one of the report's records of `kind` (context `ctx`), under the report's key of that kind.
pub async fn sealer(
    tables: &dyn Tables,
    keys: &dyn KeyService,
    report: &ReportId,
    kind: &str,
    ctx: EncryptionContext,
) -> Result<Sealer, SealError> {
    Ok(Sealer::under(&get_or_create(tables, keys, report, kind).await?, ctx))
}

/// Opens one of the report's sealed values of `kind`: one sealed under the report's key needs that key to exist; an
/// older one (its key inside) opens as before.
pub async fn open<T: DeserializeOwned>(
    tables: &dyn Tables,
    keys: &dyn KeyService,
    report: &ReportId,
    kind: &str,
    sealed: &Sealed<T>,
    ctx: &EncryptionContext,
) -> Result<T, SealError> {
    let record_key = if crate::seal::version(sealed) == Some(2) { load(tables, keys, report, kind).await? } else { None };
    sealed.open_in(keys, record_key.as_ref(), ctx).await
}

/// Destroys every key of the report; returns how many key items were deleted. Safe to repeat.
pub async fn destroy(tables: &dyn Tables, report: &ReportId) -> Result<usize, StoreError> {
    let items = query_all(tables, Table::Reports, Query::partition(Index::Primary, partition(report))).await?;
    let mut n = 0;
    for item in items {
        if let (Some(pk), Some(sk)) = (attr_str(&item, "pk"), attr_str(&item, "sk")) {
            tables.delete(Table::Reports, &Key::new(pk, sk), Condition::Always).await?;
            n += 1;
        }
    }
    Ok(n)
}
