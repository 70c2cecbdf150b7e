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
    /// Safe to repeat after a crash: a second run writes only what the first did not.
    async fn put_new_many(&self, table: Table, items: Vec<Item>) -> Result<usize, StoreError> {
        let mut written = 0;
        for item in items {
            match self.put(table, item, Condition::NotExists).await {
                Ok(()) => written += 1,
                Err(StoreError::ConditionFailed) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(written)
    }
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
