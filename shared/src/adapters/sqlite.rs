//! The embedded tables: one SQLite file with DynamoDB's key design and a change log that yields DynamoDB stream
//! records.
//!
//! Every write is one transaction that checks its condition, writes the item and appends the change record, so the
//! change log never misses or invents a write. The file runs in WAL mode with `synchronous = FULL`: a write that was
//! acknowledged survives a crash or Ctrl-C.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::ports::stream::{ChangeStream, StreamRecord};
use crate::ports::tables::{
    AttributeValue, Condition, Cursor, Index, Item, Key, Page, Query, SortCondition, StoreError, Table, Tables, Update,
};

#[derive(Clone)]
pub struct SqliteTables {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    tbl TEXT NOT NULL, pk TEXT NOT NULL, sk TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT,
    item TEXT NOT NULL,
    PRIMARY KEY (tbl, pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (tbl, gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    event_name TEXT NOT NULL,
    keys TEXT NOT NULL,
    new_image TEXT,
    old_image TEXT,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_table ON changes (tbl, seq);
CREATE TABLE IF NOT EXISTS checkpoints (consumer TEXT PRIMARY KEY, seq TEXT NOT NULL);
";

fn other(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow::anyhow!("sqlite: {e}"))
}

fn from_sqlite(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(anyhow::anyhow!("sqlite busy: {e}"))
        }
        _ => other(e),
    }
}

impl SqliteTables {
    pub const FILE_NAME: &'static str = "num.sqlite3";

    /// Opens (creating when absent) the database file in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(Self::FILE_NAME);
        let conn = Connection::open(&path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        Self::init(conn)
    }

    /// A private database in memory, for tests and benchmarks.
    pub fn in_memory() -> anyhow::Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> anyhow::Result<Self> {
        // First: another process (`num staff add` beside a running `num serve`) may hold a lock while this one opens.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn with_conn<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(other)?
    }

    /// Every item of a table, raw, as stored: for tests that look for leaks.
    pub async fn raw_dump(&self) -> Result<Vec<String>, StoreError> {
        self.with_conn(|c| {
            let mut stmt = c
                .prepare("SELECT item FROM items UNION ALL SELECT coalesce(new_image, '') || coalesce(old_image, '') FROM changes")
                .map_err(from_sqlite)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(from_sqlite)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(from_sqlite)
        })
        .await
    }
}

fn item_key(item: &Item) -> Result<Key, StoreError> {
    match (item.get("pk"), item.get("sk")) {
        (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Ok(Key::new(pk.clone(), sk.clone())),
        _ => Err(other("an item must carry string attributes pk and sk")),
    }
}

fn encode(item: &Item) -> Result<String, StoreError> {
    serde_json::to_string(item).map_err(other)
}

fn decode(s: &str) -> Result<Item, StoreError> {
    serde_json::from_str(s).map_err(other)
}

fn read_item(c: &Connection, table: Table, key: &Key) -> Result<Option<Item>, StoreError> {
    let s: Option<String> = c
        .query_row("SELECT item FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3", params![table.as_str(), key.pk, key.sk], |r| r.get(0))
        .optional()
        .map_err(from_sqlite)?;
    s.as_deref().map(decode).transpose()
}

fn gsi_attr(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Writes (or deletes, when `item` is `None`… see `delete_item`) and appends the change record. Unchanged items
/// make no change record, as with DynamoDB streams.
fn write_item(c: &Connection, table: Table, key: &Key, item: &Item, old: Option<&Item>) -> Result<(), StoreError> {
    if old == Some(item) {
        return Ok(());
    }
    let json = encode(item)?;
    c.execute(
        "INSERT INTO items (tbl, pk, sk, gsi1pk, gsi1sk, item) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (tbl, pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk, item = excluded.item",
        params![table.as_str(), key.pk, key.sk, gsi_attr(item, "gsi1pk"), gsi_attr(item, "gsi1sk"), json],
    )
    .map_err(from_sqlite)?;
    let event = if old.is_some() { "MODIFY" } else { "INSERT" };
    append_change(c, table, event, key, Some(&json), old.map(encode).transpose()?.as_deref())
}

fn append_change(c: &Connection, table: Table, event: &str, key: &Key, new: Option<&str>, old: Option<&str>) -> Result<(), StoreError> {
    let mut keys = Item::default();
    keys.insert("pk".into(), AttributeValue::S(key.pk.clone()));
    keys.insert("sk".into(), AttributeValue::S(key.sk.clone()));
    let at = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
    c.execute(
        "INSERT INTO changes (tbl, event_name, keys, new_image, old_image, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![table.as_str(), event, encode(&keys)?, new, old, at],
    )
    .map_err(from_sqlite)?;
    Ok(())
}

/// One conditional write: a transaction that reads the item as it is, checks the condition, lets `f` write, and
/// commits; when the condition does not hold nothing is written.
fn guarded<R>(
    c: &mut Connection,
    table: Table,
    key: &Key,
    condition: &Condition,
    f: impl FnOnce(&Connection, Option<Item>) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(from_sqlite)?;
    let old = read_item(&tx, table, key)?;
    if !holds(condition, old.as_ref()) {
        return Err(StoreError::ConditionFailed);
    }
    let out = f(&tx, old)?;
    tx.commit().map_err(from_sqlite)?;
    Ok(out)
}

fn holds(cond: &Condition, item: Option<&Item>) -> bool {
    match cond {
        Condition::Always => true,
        Condition::NotExists => item.is_none(),
        Condition::Exists => item.is_some(),
        Condition::Equals(name, v) => item.and_then(|i| i.get(name)) == Some(v),
        Condition::In(name, vs) => item.and_then(|i| i.get(name)).is_some_and(|v| vs.contains(v)),
        Condition::AttrNotExists(name) => item.is_none_or(|i| !i.contains_key(name)),
        Condition::And(cs) => cs.iter().all(|c| holds(c, item)),
    }
}

fn apply(update: &Update, key: &Key, old: Option<&Item>) -> Result<Item, StoreError> {
    let mut item = old.cloned().unwrap_or_default();
    item.insert("pk".into(), AttributeValue::S(key.pk.clone()));
    item.insert("sk".into(), AttributeValue::S(key.sk.clone()));
    for (name, v) in &update.set {
        item.insert(name.clone(), v.clone());
    }
    for name in &update.remove {
        item.remove(name);
    }
    for (name, n) in &update.add {
        let current = match item.get(name) {
            None => 0,
            Some(AttributeValue::N(s)) => s.parse::<i64>().map_err(|_| other(format!("attribute {name} is not an integer")))?,
            Some(_) => return Err(other(format!("attribute {name} is not a number"))),
        };
        item.insert(name.clone(), AttributeValue::N((current + n).to_string()));
    }
    Ok(item)
}

/// A cursor names the last item of a page by its index sort key and primary key.
fn encode_cursor(index: Index, item: &Item) -> Result<Cursor, StoreError> {
    let k = item_key(item)?;
    let sort = match index {
        Index::Primary => k.sk.clone(),
        Index::Gsi1 => gsi_attr(item, "gsi1sk").unwrap_or_default(),
    };
    let raw = serde_json::to_vec(&[sort, k.pk, k.sk]).map_err(other)?;
    Ok(Cursor(URL_SAFE_NO_PAD.encode(raw)))
}

fn decode_cursor(c: &Cursor) -> Result<[String; 3], StoreError> {
    let raw = URL_SAFE_NO_PAD.decode(&c.0).map_err(|_| StoreError::BadCursor)?;
    serde_json::from_slice(&raw).map_err(|_| StoreError::BadCursor)
}

#[async_trait]
impl Tables for SqliteTables {
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>, StoreError> {
        let key = key.clone();
        self.with_conn(move |c| read_item(c, table, &key)).await
    }

    async fn put(&self, table: Table, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.with_conn(move |c| {
            let key = item_key(&item)?;
            guarded(c, table, &key, &condition, |tx, old| write_item(tx, table, &key, &item, old.as_ref()))
        })
        .await
    }

    async fn update(&self, table: Table, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        let key = key.clone();
        self.with_conn(move |c| {
            guarded(c, table, &key, &condition, |tx, old| {
                let new = apply(&update, &key, old.as_ref())?;
                write_item(tx, table, &key, &new, old.as_ref())?;
                Ok(new)
            })
        })
        .await
    }

    async fn delete(&self, table: Table, key: &Key, condition: Condition) -> Result<(), StoreError> {
        let key = key.clone();
        self.with_conn(move |c| {
            guarded(c, table, &key, &condition, |tx, old| {
                if let Some(old) = old {
                    tx.execute("DELETE FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3", params![table.as_str(), key.pk, key.sk])
                        .map_err(from_sqlite)?;
                    append_change(tx, table, "REMOVE", &key, None, Some(&encode(&old)?))?;
                }
                Ok(())
            })
        })
        .await
    }

    /// DynamoDB's time to live, done when asked: every item of `table` whose `expires_at` has come is deleted in one
    /// transaction, each with a REMOVE change as a TTL deletion makes.
    async fn expire_due(&self, table: Table, now: i64) -> Result<usize, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(from_sqlite)?;
            let due: Vec<(Key, String)> = {
                let mut stmt = tx.prepare("SELECT pk, sk, item FROM items WHERE tbl = ?1 AND instr(item, ?2) > 0").map_err(from_sqlite)?;
                let rows = stmt
                    .query_map(params![table.as_str(), format!("\"{}\"", crate::ports::tables::TTL_ATTRIBUTE)], |r| {
                        Ok((Key::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?), r.get::<_, String>(2)?))
                    })
                    .map_err(from_sqlite)?;
                let mut due = Vec::new();
                for row in rows {
                    let (key, json) = row.map_err(from_sqlite)?;
                    let item = decode(&json)?;
                    let at = match item.get(crate::ports::tables::TTL_ATTRIBUTE) {
                        Some(AttributeValue::N(n)) => n.parse::<i64>().ok(),
                        _ => None,
                    };
                    if at.is_some_and(|at| at <= now) {
                        due.push((key, json));
                    }
                }
                due
            };
            for (key, json) in &due {
                tx.execute("DELETE FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3", params![table.as_str(), key.pk, key.sk])
                    .map_err(from_sqlite)?;
                append_change(&tx, table, "REMOVE", key, None, Some(json))?;
            }
            tx.commit().map_err(from_sqlite)?;
            Ok(due.len())
        })
        .await
    }

    /// One transaction for the lot, where DynamoDB takes one conditional put per item: the same result, faster.
    async fn put_new_many(&self, table: Table, items: Vec<Item>) -> Result<usize, StoreError> {
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(from_sqlite)?;
            let mut written = 0;
            for item in items {
                let key = item_key(&item)?;
                if read_item(&tx, table, &key)?.is_none() {
                    write_item(&tx, table, &key, &item, None)?;
                    written += 1;
                }
            }
            tx.commit().map_err(from_sqlite)?;
            Ok(written)
        })
        .await
    }

    async fn query(&self, table: Table, q: Query) -> Result<Page, StoreError> {
        if !(1..=1000).contains(&q.limit) {
            return Err(other("a query's limit must be between 1 and 1000"));
        }
        self.with_conn(move |c| {
            let (pcol, scol) = match q.index {
                Index::Primary => ("pk", "sk"),
                Index::Gsi1 => ("gsi1pk", "gsi1sk"),
            };
            let mut sql = format!("SELECT item FROM items WHERE tbl = ?1 AND {pcol} = ?2");
            let mut args: Vec<String> = vec![table.as_str().to_owned(), q.partition.clone()];
            let arg = |v: String, args: &mut Vec<String>| {
                args.push(v);
                format!("?{}", args.len())
            };
            match &q.sort {
                SortCondition::Any => {}
                SortCondition::Equals(v) => sql += &format!(" AND {scol} = {}", arg(v.clone(), &mut args)),
                SortCondition::BeginsWith(p) => {
                    let a = arg(p.clone(), &mut args);
                    sql += &format!(" AND substr({scol}, 1, length({a})) = {a}");
                }
                SortCondition::Between(lo, hi) => {
                    let a = arg(lo.clone(), &mut args);
                    let b = arg(hi.clone(), &mut args);
                    sql += &format!(" AND {scol} BETWEEN {a} AND {b}");
                }
            }
            let (cmp, dir) = if q.descending { ("<", "DESC") } else { (">", "ASC") };
            if let Some(cursor) = &q.start {
                let [sort, pk, sk] = decode_cursor(cursor)?;
                // Bind only the placeholders the condition uses: SQLite refuses unused parameters.
                sql += &match q.index {
                    Index::Primary => format!(" AND sk {cmp} {}", arg(sort, &mut args)),
                    Index::Gsi1 => {
                        let (a, b, c2) = (arg(sort, &mut args), arg(pk, &mut args), arg(sk, &mut args));
                        format!(" AND (gsi1sk, pk, sk) {cmp} ({a}, {b}, {c2})")
                    }
                };
            }
            sql += &match q.index {
                Index::Primary => format!(" ORDER BY sk {dir}"),
                Index::Gsi1 => format!(" ORDER BY gsi1sk {dir}, pk {dir}, sk {dir}"),
            };
            sql += &format!(" LIMIT {}", q.limit + 1);
            let mut stmt = c.prepare(&sql).map_err(from_sqlite)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| r.get::<_, String>(0)).map_err(from_sqlite)?;
            let mut items = rows.map(|r| r.map_err(from_sqlite).and_then(|s| decode(&s))).collect::<Result<Vec<_>, _>>()?;
            let more = items.len() > q.limit as usize;
            items.truncate(q.limit as usize);
            let next = if more { items.last().map(|i| encode_cursor(q.index, i)).transpose()? } else { None };
            Ok(Page { items, next })
        })
        .await
    }
}

impl SqliteTables {
    /// Deletes the change log of `table` up to the point every one of its `consumers` has finished with. A consumer
    /// that has not started yet holds everything back; a table nobody reads keeps no log at all. DynamoDB drops stream
    /// records after 24 hours whatever happens; here nothing is kept past its last reader. Returns how many records
    /// went.
    pub async fn prune_changes(&self, table: Table, consumers: &[String]) -> Result<usize, StoreError> {
        let consumers = consumers.to_vec();
        self.with_conn(move |c| {
            let mut upto = i64::MAX;
            for consumer in &consumers {
                let seq: Option<String> = c
                    .query_row("SELECT seq FROM checkpoints WHERE consumer = ?1", [consumer], |r| r.get(0))
                    .optional()
                    .map_err(from_sqlite)?;
                match seq.and_then(|s| s.parse::<i64>().ok()) {
                    Some(n) => upto = upto.min(n),
                    None => return Ok(0),
                }
            }
            c.execute("DELETE FROM changes WHERE tbl = ?1 AND seq <= ?2", params![table.as_str(), upto]).map_err(from_sqlite)
        })
        .await
    }
}

/// Sequence numbers are written as 21 digits, so they order as strings the way they order as numbers (as DynamoDB's
/// do within a shard).
pub fn format_sequence(seq: i64) -> String {
    format!("{seq:021}")
}

#[async_trait]
impl ChangeStream for SqliteTables {
    async fn read(&self, table: Table, after: Option<&str>, limit: usize) -> Result<Vec<StreamRecord>, StoreError> {
        let after: i64 = match after {
            None => 0,
            Some(s) => s.parse().map_err(|_| other("malformed sequence number"))?,
        };
        self.with_conn(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT seq, event_name, keys, new_image, old_image, at FROM changes WHERE tbl = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                )
                .map_err(from_sqlite)?;
            let rows = stmt
                .query_map(params![table.as_str(), after, limit as i64], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, f64>(5)?,
                    ))
                })
                .map_err(from_sqlite)?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, event_name, keys, new, old, at) = row.map_err(from_sqlite)?;
                let mut rec = StreamRecord::default();
                rec.aws_region = "local".into();
                rec.event_id = format!("{}-{seq}", table.as_str());
                rec.event_name = event_name;
                rec.event_source = Some("aws:dynamodb".into());
                rec.event_version = Some("1.1".into());
                rec.table_name = Some(table.as_str().into());
                rec.change.keys = decode(&keys)?;
                rec.change.new_image = new.as_deref().map(decode).transpose()?.unwrap_or_default();
                rec.change.old_image = old.as_deref().map(decode).transpose()?.unwrap_or_default();
                rec.change.sequence_number = Some(format_sequence(seq));
                rec.change.size_bytes = (new.map_or(0, |s| s.len()) + old.map_or(0, |s| s.len())) as i64;
                rec.change.approximate_creation_date_time = chrono::DateTime::from_timestamp_micros((at * 1e6) as i64).unwrap_or_default();
                out.push(rec);
            }
            Ok(out)
        })
        .await
    }

    async fn checkpoint(&self, consumer: &str) -> Result<Option<String>, StoreError> {
        let consumer = consumer.to_owned();
        self.with_conn(move |c| {
            c.query_row("SELECT seq FROM checkpoints WHERE consumer = ?1", [consumer], |r| r.get(0)).optional().map_err(from_sqlite)
        })
        .await
    }

    async fn set_checkpoint(&self, consumer: &str, sequence: &str) -> Result<(), StoreError> {
        let (consumer, sequence) = (consumer.to_owned(), sequence.to_owned());
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO checkpoints (consumer, seq) VALUES (?1, ?2) ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq",
                params![consumer, sequence],
            )
            .map_err(from_sqlite)?;
            Ok(())
        })
        .await
    }
}
