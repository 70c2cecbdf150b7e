//! What stored records have in common: the small lookup items that point from a blind index or a token to a
//! record. (Status values that name their stored form are in `domain::status`.)

use crate::ports::tables::{AttributeValue, Item, attr_str, s};
use crate::ports::{Condition, Key, StoreError, Table, Tables};

/// A lookup item: a small item at `key` that points to the record of `subscription_id` (an unsubscribe token's
/// digest, a contact's blind index, a pending contact's index). `kind` says which; `expires_at`, when given, lets
/// the table's TTL remove it.
pub struct Lookup<'a> {
    pub key: Key,
    pub kind: &'static str,
    pub points_to: &'a str,
    pub expires_at: Option<i64>,
}

impl Lookup<'_> {
    pub fn item(&self) -> Item {
        let mut item = Item::default();
        item.insert("pk".into(), s(self.key.pk.clone()));
        item.insert("sk".into(), s(self.key.sk.clone()));
        item.insert("kind".into(), s(self.kind));
        item.insert(POINTS_TO.into(), s(self.points_to));
        if let Some(at) = self.expires_at {
            item.insert("expires_at".into(), AttributeValue::N(at.to_string()));
        }
        item
    }

    /// Writes the lookup item if `condition` holds.
    pub async fn put(&self, tables: &dyn Tables, table: Table, condition: Condition) -> Result<(), StoreError> {
        tables.put(table, self.item(), condition).await
    }
}

/// The attribute of a lookup item that names the record it points to.
pub const POINTS_TO: &str = "subscription_id";

/// Reads a lookup item and gives the id it points to, if it is there and well formed.
pub async fn follow<T>(tables: &dyn Tables, table: Table, key: &Key, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, StoreError> {
    Ok(tables.get(table, key).await?.and_then(|item| attr_str(&item, POINTS_TO).and_then(parse)))
}
