//! The tables port: the subset of DynamoDB the system uses, so the embedded SQLite adapter and the DynamoDB adapter
//! can be held to one contract.
//!
//! Every table has the same key design: a partition key `pk` and a sort key `sk` (both strings), and one global
//! secondary index `gsi1` on `gsi1pk`/`gsi1sk` for the second access path of each item kind. Items are
//! `serde_dynamo::Item`, the very type that DynamoDB stream records carry.

use async_trait::async_trait;
use serde::{Serialize, de::DeserializeOwned};
pub use serde_dynamo::{AttributeValue, Item};

/// The logical tables. Each adapter maps them to physical names (a DynamoDB table name from configuration, or a
/// name in the SQLite file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Reports and their sealed private parts. Stream: INSERT drives drafting.
    Reports,
    /// Alerts and their delivery items. Stream: publication and each delivery drive sending.
    Alerts,
    /// Subscriptions with sealed contacts and blind indexes.
    Subscribers,
    /// The staff audit log.
    Audit,
}

impl Table {
    pub const ALL: [Table; 4] = [Table::Reports, Table::Alerts, Table::Subscribers, Table::Audit];

    pub fn as_str(self) -> &'static str {
        match self {
            Table::Reports => "reports",
            Table::Alerts => "alerts",
            Table::Subscribers => "subscribers",
            Table::Audit => "audit",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

/// A condition on the item as it is before a write. The write happens only if it holds; otherwise the adapter answers
/// `StoreError::ConditionFailed` and nothing changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Always,
    /// No item with this key exists (`attribute_not_exists(pk)`).
    NotExists,
    /// The item exists.
    Exists,
    /// The item exists and the attribute equals the value.
    Equals(String, AttributeValue),
    /// The item exists and the attribute equals one of the values.
    In(String, Vec<AttributeValue>),
    /// The attribute is absent, or the item does not exist.
    AttrNotExists(String),
    And(Vec<Condition>),
}

/// Changes to one item: attributes to set, attributes to remove, and numbers to add to (a missing number counts as 0).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(String, AttributeValue)>,
    pub remove: Vec<String>,
    pub add: Vec<(String, i64)>,
}

impl Update {
    pub fn set(mut self, name: &str, value: impl Into<AttributeValue>) -> Self {
        self.set.push((name.to_owned(), value.into()));
        self
    }

    pub fn remove(mut self, name: &str) -> Self {
        self.remove.push(name.to_owned());
        self
    }

    pub fn add(mut self, name: &str, n: i64) -> Self {
        self.add.push((name.to_owned(), n));
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// The table's own key (`pk`, `sk`).
    Primary,
    /// `gsi1pk`, `gsi1sk`. Eventually consistent in DynamoDB; the embedded adapter is always up to date.
    Gsi1,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortCondition {
    Any,
    Equals(String),
    BeginsWith(String),
    Between(String, String),
}

/// A query for one partition, in sort-key order.
#[derive(Debug, Clone)]
pub struct Query {
    pub index: Index,
    pub partition: String,
    pub sort: SortCondition,
    /// At most this many items in one page (1 to 1000).
    pub limit: u32,
    /// Where the previous page stopped.
    pub start: Option<Cursor>,
    pub descending: bool,
}

impl Query {
    pub fn partition(index: Index, partition: impl Into<String>) -> Self {
        Self { index, partition: partition.into(), sort: SortCondition::Any, limit: 100, start: None, descending: false }
    }
}

/// Where a page stopped: opaque to callers (the key of the last item read, encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when more items may follow; pass it as `start` for the next page.
    pub next: Option<Cursor>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the write's condition did not hold")]
    ConditionFailed,
    /// Throttling, a timeout, a lost connection: may pass on retry.
    #[error("the table is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// A page cursor the table never gave (made up, cut short or edited): the caller's input, not a fault.
    #[error("the page cursor is not one this table gave")]
    BadCursor,
    #[error("table error")]
    Other(#[source] anyhow::Error),
}

impl StoreError {
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

#[async_trait]
pub trait Tables: Send + Sync {
    /// A strongly consistent read of one item.
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>, StoreError>;
    /// Writes a whole item (replacing any with the same key) if `condition` holds. The item must carry `pk` and `sk`.
    async fn put(&self, table: Table, item: Item, condition: Condition) -> Result<(), StoreError>;
    /// Changes attributes of one item if `condition` holds, creating it when absent (as DynamoDB's UpdateItem does,
    /// so guard with `Exists` where that is wrong). Returns the item as it is after the change.
    async fn update(&self, table: Table, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError>;
    /// Deletes one item if `condition` holds. Deleting an absent item with `Always` succeeds.
    async fn delete(&self, table: Table, key: &Key, condition: Condition) -> Result<(), StoreError>;
    /// One page of a partition, in sort-key order.
    async fn query(&self, table: Table, query: Query) -> Result<Page, StoreError>;

    /// Writes each item whose key is not taken yet and leaves the others as they are; returns how many were written.
    /// Safe to repeat after a crash: a second run writes only what the first did not. Of items with the same key in
    /// one call, the first is the one written. On an error other than a failed condition nothing more is started, and
    /// the error comes back only once every write already under way has finished (landed or not); a repeat then
    /// writes what is missing.
    ///
    /// By default one `NotExists` put per item, [`PUT_NEW_IN_FLIGHT`] at a time (see [`put_new_concurrently`]): what
    /// DynamoDB and the retry wrapper around it do, so each put is retried on its own. The SQLite adapter writes the
    /// lot in one transaction instead.
    async fn put_new_many(&self, table: Table, items: Vec<Item>) -> Result<usize, StoreError> {
        put_new_concurrently(self, table, items, PUT_NEW_IN_FLIGHT).await
    }

    /// Deletes the items whose [`TTL_ATTRIBUTE`] (seconds since the epoch) is at or before `now`, as a change of kind
    /// REMOVE each, and says how many. This is what DynamoDB's time to live does on its own (within a day or two of
    /// the time), so the DynamoDB adapter deletes nothing here and answers 0; the embedded adapter, which has no TTL
    /// of its own, deletes them when the retention run asks. A wrapper passes the call on.
    async fn expire_due(&self, table: Table, now: i64) -> Result<usize, StoreError> {
        let _ = (table, now);
        Ok(0)
    }
}

/// The attribute every table's time to live reads (`TimeToLiveSpecification` in the template).
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// How many conditional puts [`Tables::put_new_many`] keeps in flight by default.
///
/// A DynamoDB PutItem takes some 5 to 10 ms in the region, so 32 at a time is about 3,000 to 6,000 writes a second:
/// the order of what an on-demand table takes without throttling from the start (4,000 write units a second for a
/// new table), and the 12,500 deliveries of an alert to 10,000 subscribers are written in a few seconds rather than
/// over a minute one by one. More would mostly buy throttling (answered by the retry wrapper's backoff) and more open
/// connections from one Lambda; each in-flight put holds one delivery item (under 1 KB) and one pooled connection.
pub const PUT_NEW_IN_FLIGHT: usize = 32;

/// [`Tables::put_new_many`] as one `NotExists` put per item with at most `in_flight` (at least 1) under way at once.
/// Items repeating the key of an earlier item are left out (the first is the one written, as one by one). Counts the
/// puts that wrote; a failed condition means the item was there. After the first other error no new put starts, the
/// ones under way are awaited (so none is left half-known) and that first error is returned.
pub async fn put_new_concurrently<T: Tables + ?Sized>(
    tables: &T,
    table: Table,
    items: Vec<Item>,
    in_flight: usize,
) -> Result<usize, StoreError> {
    use futures::stream::{FuturesUnordered, StreamExt};

    let mut seen = std::collections::HashSet::new();
    let mut pending = items.into_iter().filter(move |item| match (attr_str(item, "pk"), attr_str(item, "sk")) {
        (Some(pk), Some(sk)) => seen.insert((pk.to_owned(), sk.to_owned())),
        // The put refuses an item without its key; let it say so.
        _ => true,
    });
    // Set when an error comes back: a put queued but not yet started (a future is first run when polled, which may
    // come after the error) then does not start at all.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut running = FuturesUnordered::new();
    let mut written = 0;
    let mut first_error = None;
    loop {
        while first_error.is_none() && running.len() < in_flight.max(1) {
            match pending.next() {
                Some(item) => {
                    let stop = &stop;
                    running.push(async move {
                        if stop.load(std::sync::atomic::Ordering::SeqCst) {
                            return None;
                        }
                        Some(tables.put(table, item, Condition::NotExists).await)
                    })
                }
                None => break,
            }
        }
        match running.next().await {
            Some(Some(Ok(()))) => written += 1,
            Some(Some(Err(StoreError::ConditionFailed)) | None) => {}
            Some(Some(Err(e))) => {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
                first_error.get_or_insert(e);
            }
            None => break,
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(written),
    }
}

/// The one table capability submission has: add an item whose key is not taken yet. It cannot read, overwrite or
/// delete, so "the function that takes reports never reads one" is a type, not a comment.
#[async_trait]
pub trait InsertOnly: Send + Sync {
    /// Writes `item` if no item has its key; otherwise `StoreError::ConditionFailed` and nothing changes.
    async fn insert(&self, table: Table, item: Item) -> Result<(), StoreError>;
}

#[async_trait]
impl<T: Tables + ?Sized> InsertOnly for T {
    async fn insert(&self, table: Table, item: Item) -> Result<(), StoreError> {
        self.put(table, item, Condition::NotExists).await
    }
}

/// Narrows a full table handle to `InsertOnly` (a concrete adapter coerces on its own).
pub fn insert_only(tables: std::sync::Arc<dyn Tables>) -> std::sync::Arc<dyn InsertOnly> {
    struct Narrowed(std::sync::Arc<dyn Tables>);
    #[async_trait]
    impl InsertOnly for Narrowed {
        async fn insert(&self, table: Table, item: Item) -> Result<(), StoreError> {
            self.0.put(table, item, Condition::NotExists).await
        }
    }
    std::sync::Arc::new(Narrowed(tables))
}

/// Reads every page of a query.
pub async fn query_all(tables: &dyn Tables, table: Table, mut query: Query) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::new();
    loop {
        let page = tables.query(table, query.clone()).await?;
        out.extend(page.items);
        match page.next {
            Some(c) => query.start = Some(c),
            None => return Ok(out),
        }
    }
}

/// Turns a serialisable record into an item.
pub fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Other(anyhow::anyhow!("cannot encode item: {e}")))
}

/// Turns a serialisable value into one attribute (for an `Update`).
pub fn to_attr<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Other(anyhow::anyhow!("cannot encode attribute: {e}")))
}

/// Reads a record from an item.
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Other(anyhow::anyhow!("cannot decode item: {e}")))
}

/// The string value of an attribute, if it is one.
pub fn attr_str<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    }
}

/// Builds `AttributeValue::S`.
pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A table in memory whose puts take a little while, and that refuses every put of a key listed in `refuse`.
    #[derive(Default)]
    struct Slow {
        items: Mutex<HashMap<(String, String), Item>>,
        refuse: Vec<String>,
        puts: AtomicUsize,
        now: AtomicUsize,
        most: AtomicUsize,
        finished: AtomicUsize,
        /// Puts started after a refusal was answered.
        late: AtomicUsize,
        refused: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl Tables for Slow {
        async fn get(&self, _: Table, _: &Key) -> Result<Option<Item>, StoreError> {
            unimplemented!()
        }

        async fn put(&self, _: Table, item: Item, condition: Condition) -> Result<(), StoreError> {
            assert_eq!(condition, Condition::NotExists);
            self.puts.fetch_add(1, Ordering::SeqCst);
            if self.refused.load(Ordering::SeqCst) {
                self.late.fetch_add(1, Ordering::SeqCst);
            }
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            let sk = attr_str(&item, "sk").unwrap().to_owned();
            // Later items finish first now and then, so answers come back out of order.
            tokio::time::sleep(Duration::from_millis(1 + (sk.len() as u64 * 7 + sk.parse::<u64>().unwrap_or(0)) % 5)).await;
            let result = if self.refuse.contains(&sk) {
                self.refused.store(true, Ordering::SeqCst);
                Err(StoreError::Unavailable(anyhow::anyhow!("throttled")))
            } else {
                let key = (attr_str(&item, "pk").unwrap().to_owned(), sk);
                match self.items.lock().unwrap().entry(key) {
                    std::collections::hash_map::Entry::Occupied(_) => Err(StoreError::ConditionFailed),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(item);
                        Ok(())
                    }
                }
            };
            self.now.fetch_sub(1, Ordering::SeqCst);
            self.finished.fetch_add(1, Ordering::SeqCst);
            result
        }

        async fn update(&self, _: Table, _: &Key, _: Update, _: Condition) -> Result<Item, StoreError> {
            unimplemented!()
        }

        async fn delete(&self, _: Table, _: &Key, _: Condition) -> Result<(), StoreError> {
            unimplemented!()
        }

        async fn query(&self, _: Table, _: Query) -> Result<Page, StoreError> {
            unimplemented!()
        }
    }

    fn item(sk: u32, v: &str) -> Item {
        let mut i = Item::default();
        i.insert("pk".into(), s("A"));
        i.insert("sk".into(), s(sk.to_string()));
        i.insert("v".into(), s(v));
        i
    }

    #[tokio::test]
    async fn writes_what_is_missing_concurrently_within_the_bound_and_counts_exactly() {
        let t = Slow::default();
        for sk in (0..300).step_by(3) {
            t.items.lock().unwrap().insert(("A".into(), sk.to_string()), item(sk, "old"));
        }
        let items: Vec<Item> = (0..300).map(|sk| item(sk, "new")).collect();
        assert_eq!(put_new_concurrently(&t, Table::Alerts, items.clone(), 8).await.unwrap(), 200);
        assert_eq!(t.most.load(Ordering::SeqCst), 8, "eight puts at a time, never more");
        assert_eq!(t.items.lock().unwrap()[&("A".to_owned(), "3".to_owned())], item(3, "old"), "what was there stays");
        assert_eq!(t.put_new_many(Table::Alerts, items).await.unwrap(), 0, "a second run writes nothing");
        assert!(t.most.load(Ordering::SeqCst) <= PUT_NEW_IN_FLIGHT);
    }

    #[tokio::test]
    async fn of_items_with_one_key_the_first_is_written() {
        let t = Slow::default();
        let items = vec![item(1, "first"), item(2, "x"), item(1, "second")];
        assert_eq!(put_new_concurrently(&t, Table::Alerts, items, 4).await.unwrap(), 2);
        assert_eq!(t.items.lock().unwrap()[&("A".to_owned(), "1".to_owned())], item(1, "first"));
        assert_eq!(t.puts.load(Ordering::SeqCst), 2, "the repeat is not even tried");
    }

    #[tokio::test]
    async fn an_error_comes_back_after_the_writes_under_way_and_nothing_more_starts() {
        let t = Slow { refuse: vec!["20".into()], ..Slow::default() };
        let items: Vec<Item> = (0..300).map(|sk| item(sk, "new")).collect();
        let err = put_new_concurrently(&t, Table::Alerts, items.clone(), 8).await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        let (puts, finished) = (t.puts.load(Ordering::SeqCst), t.finished.load(Ordering::SeqCst));
        assert_eq!(puts, finished, "no put is still under way when the error comes back");
        assert_eq!(t.late.load(Ordering::SeqCst), 0, "no put starts once the error is answered");
        assert!(puts < 300, "the rest is left for a repeat ({puts} puts)");
        let landed = t.items.lock().unwrap().len();
        assert_eq!(landed, puts - 1, "every put but the refused one landed");

        // A repeat without the fault writes exactly what is missing.
        let t = Slow { items: Mutex::new(std::mem::take(&mut *t.items.lock().unwrap())), ..Slow::default() };
        assert_eq!(put_new_concurrently(&t, Table::Alerts, items, 8).await.unwrap(), 300 - landed);
    }

    #[tokio::test]
    async fn a_bound_of_zero_still_writes_one_at_a_time() {
        let t = Slow::default();
        let items: Vec<Item> = (0..10).map(|sk| item(sk, "new")).collect();
        assert_eq!(put_new_concurrently(&t, Table::Alerts, items, 0).await.unwrap(), 10);
        assert_eq!(t.most.load(Ordering::SeqCst), 1);
    }
}
