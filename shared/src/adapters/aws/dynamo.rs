//! The tables port on DynamoDB.
//!
//! Key design, the same for every table (and the same as the embedded SQLite adapter):
//!
//! | attribute | type | role |
//! | --- | --- | --- |
//! | `pk` | S | partition key |
//! | `sk` | S | sort key |
//! | `gsi1pk`, `gsi1sk` | S | keys of the global secondary index `gsi1` (projection ALL), for each item kind's second access path |
//! | `expires_at` | N | TTL attribute, epoch seconds; DynamoDB deletes the item some time after it (a REMOVE in the stream) |
//!
//! Streams are on with `NEW_AND_OLD_IMAGES`, so a handler sees an item before and after each change. Billing is on
//! demand. The logical tables map to physical names from configuration (`REPORTS_TABLE`, ...), see `config::TableNames`.
//!
//! Conditions become `ConditionExpression`s with placeholders only (`#n0`, `:v0`): attribute names are never spliced
//! into an expression, so a name can't change its meaning. A failed condition is `StoreError::ConditionFailed`;
//! throttling, 5xx answers and timeouts are `StoreError::Unavailable`. Reads are strongly consistent on the table (a
//! GSI can only be read eventually consistent, as the port says). A page cursor is the key of the page's last item,
//! as DynamoDB JSON in URL-safe base64: opaque to callers, and it holds keys only (ids), never other attributes.
//!
//! `put_new_many` (an alert's fan-out) is the port's own: one conditional put per item, `PUT_NEW_IN_FLIGHT` (32) under
//! way at once, so behind the retry wrapper each put is retried on its own and a lost answer is read back as for any
//! put. Not BatchWriteItem: it takes no conditions, so it would overwrite a delivery already being sent.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue as SdkValue, ReturnValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Failure;
use crate::config::TableNames;
use crate::ports::tables::{
    AttributeValue, Condition, Cursor, Index, Item, Key, Page, Query, SortCondition, StoreError, Table, Tables, Update,
};

/// The name of the one global secondary index.
pub const GSI1: &str = "gsi1";
/// The TTL attribute of every table (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";

#[derive(Clone)]
pub struct DynamoTables {
    client: Client,
    names: TableNames,
}

type SdkItem = HashMap<String, SdkValue>;

fn other(msg: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow::anyhow!("dynamodb: {msg}"))
}

fn store_error<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    operation: &str,
    table: Table,
    err: aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> StoreError {
    let f = Failure::of(&err);
    tracing::debug!(
        table = table.as_str(),
        operation,
        code = f.code.as_deref().unwrap_or("-"),
        transient = f.transient,
        "dynamodb call failed"
    );
    store_error_of(&f, &format!("dynamodb {operation} on {}", table.as_str()))
}

/// A failed condition is the caller's business; what may pass is `Unavailable`; the rest is `Other`.
pub(crate) fn store_error_of(f: &Failure, what: &str) -> StoreError {
    if f.is("ConditionalCheckFailedException") {
        return StoreError::ConditionFailed;
    }
    // DynamoDB's messages name attributes and types, not values.
    let e = f.describe(what, true);
    if f.transient { StoreError::Unavailable(e) } else { StoreError::Other(e) }
}

fn to_sdk(item: Item) -> SdkItem {
    item.into()
}

fn from_sdk(item: SdkItem) -> Item {
    item.into()
}

fn sdk_value(v: &AttributeValue) -> SdkValue {
    v.clone().into()
}

fn key_item(key: &Key) -> SdkItem {
    HashMap::from([("pk".to_owned(), SdkValue::S(key.pk.clone())), ("sk".to_owned(), SdkValue::S(key.sk.clone()))])
}

fn item_key(item: &Item) -> Result<Key, StoreError> {
    match (item.get("pk"), item.get("sk")) {
        (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Ok(Key::new(pk.clone(), sk.clone())),
        _ => Err(other("an item must carry string attributes pk and sk")),
    }
}

/// Placeholders for one request's expressions.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, SdkValue>,
}

impl Expr {
    fn name(&mut self, name: &str) -> String {
        if let Some((p, _)) = self.names.iter().find(|(_, n)| n.as_str() == name) {
            return p.clone();
        }
        let p = format!("#n{}", self.names.len());
        self.names.insert(p.clone(), name.to_owned());
        p
    }

    fn value(&mut self, v: SdkValue) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.insert(p.clone(), v);
        p
    }

    /// The condition as an expression; `None` when it always holds.
    fn condition(&mut self, c: &Condition) -> Option<String> {
        match c {
            Condition::Always => None,
            Condition::NotExists => Some(format!("attribute_not_exists({})", self.name("pk"))),
            Condition::Exists => Some(format!("attribute_exists({})", self.name("pk"))),
            Condition::Equals(name, v) => {
                let (n, v) = (self.name(name), self.value(sdk_value(v)));
                Some(format!("{n} = {v}"))
            }
            Condition::In(_, vs) if vs.is_empty() => {
                // No value can match: a condition that never holds.
                let pk = self.name("pk");
                Some(format!("(attribute_exists({pk}) AND attribute_not_exists({pk}))"))
            }
            Condition::In(name, vs) => {
                let n = self.name(name);
                let vs: Vec<String> = vs.iter().map(|v| self.value(sdk_value(v))).collect();
                Some(format!("{n} IN ({})", vs.join(", ")))
            }
            Condition::AttrNotExists(name) => Some(format!("attribute_not_exists({})", self.name(name))),
            Condition::And(cs) => {
                let parts: Vec<String> = cs.iter().filter_map(|c| self.condition(c)).map(|e| format!("({e})")).collect();
                if parts.is_empty() { None } else { Some(parts.join(" AND ")) }
            }
        }
    }

    fn update(&mut self, u: &Update) -> Option<String> {
        let mut clauses = Vec::new();
        if !u.set.is_empty() {
            let sets: Vec<String> = u.set.iter().map(|(n, v)| format!("{} = {}", self.name(n), self.value(sdk_value(v)))).collect();
            clauses.push(format!("SET {}", sets.join(", ")));
        }
        if !u.remove.is_empty() {
            let removes: Vec<String> = u.remove.iter().map(|n| self.name(n)).collect();
            clauses.push(format!("REMOVE {}", removes.join(", ")));
        }
        if !u.add.is_empty() {
            let adds: Vec<String> =
                u.add.iter().map(|(n, d)| format!("{} {}", self.name(n), self.value(SdkValue::N(d.to_string())))).collect();
            clauses.push(format!("ADD {}", adds.join(", ")));
        }
        if clauses.is_empty() { None } else { Some(clauses.join(" ")) }
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<HashMap<String, SdkValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// The attributes that make a position in `index`: the table key, plus the index key for the GSI.
fn position(index: Index, item: &Item) -> Result<Item, StoreError> {
    let names: &[&str] = match index {
        Index::Primary => &["pk", "sk"],
        Index::Gsi1 => &["pk", "sk", "gsi1pk", "gsi1sk"],
    };
    let mut out = Item::default();
    for n in names {
        let v = item.get(*n).ok_or_else(|| other(format!("an item in the index lacks its key attribute {n}")))?;
        out.insert((*n).to_owned(), v.clone());
    }
    Ok(out)
}

fn encode_cursor(position: &Item) -> Result<Cursor, StoreError> {
    let raw = serde_json::to_vec(position).map_err(other)?;
    Ok(Cursor(URL_SAFE_NO_PAD.encode(raw)))
}

fn decode_cursor(index: Index, c: &Cursor) -> Result<SdkItem, StoreError> {
    let raw = URL_SAFE_NO_PAD.decode(&c.0).map_err(|_| StoreError::BadCursor)?;
    let item: Item = serde_json::from_slice(&raw).map_err(|_| StoreError::BadCursor)?;
    // Only key attributes, all strings: a cursor can't smuggle anything else into the request.
    let expected = if index == Index::Primary { 2 } else { 4 };
    if item.len() != expected || item.values().any(|v| !matches!(v, AttributeValue::S(_))) || position(index, &item).is_err() {
        return Err(StoreError::BadCursor);
    }
    Ok(to_sdk(item))
}

impl DynamoTables {
    pub fn new(client: Client, names: TableNames) -> Self {
        Self { client, names }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn name(&self, table: Table) -> Result<&str, StoreError> {
        self.names.name(table).ok_or_else(|| other(format!("no table is configured for {}", table.as_str())))
    }

    /// A cheap call that opens the connection and checks the table is there (needs `dynamodb:DescribeTable`).
    pub async fn warm_up(&self, table: Table) -> Result<(), StoreError> {
        self.client.describe_table().table_name(self.name(table)?).send().await.map_err(|e| store_error("DescribeTable", table, e))?;
        Ok(())
    }
}

#[async_trait]
impl Tables for DynamoTables {
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(self.name(table)?)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("GetItem", table, e))?;
        Ok(out.item.map(from_sdk))
    }

    async fn put(&self, table: Table, item: Item, condition: Condition) -> Result<(), StoreError> {
        item_key(&item)?;
        let mut expr = Expr::default();
        let cond = expr.condition(&condition);
        self.client
            .put_item()
            .table_name(self.name(table)?)
            .set_item(Some(to_sdk(item)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map_err(|e| store_error("PutItem", table, e))?;
        Ok(())
    }

    async fn update(&self, table: Table, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        let mut expr = Expr::default();
        let cond = expr.condition(&condition);
        let upd = expr.update(&update);
        let out = self
            .client
            .update_item()
            .table_name(self.name(table)?)
            .set_key(Some(key_item(key)))
            .set_update_expression(upd)
            .set_condition_expression(cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| store_error("UpdateItem", table, e))?;
        let mut item = out.attributes.map(from_sdk).unwrap_or_default();
        // An update that changes nothing returns no attributes; the item is then its key.
        if item.is_empty() {
            item.insert("pk".into(), AttributeValue::S(key.pk.clone()));
            item.insert("sk".into(), AttributeValue::S(key.sk.clone()));
        }
        Ok(item)
    }

    async fn delete(&self, table: Table, key: &Key, condition: Condition) -> Result<(), StoreError> {
        let mut expr = Expr::default();
        let cond = expr.condition(&condition);
        self.client
            .delete_item()
            .table_name(self.name(table)?)
            .set_key(Some(key_item(key)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map_err(|e| store_error("DeleteItem", table, e))?;
        Ok(())
    }

    async fn query(&self, table: Table, q: Query) -> Result<Page, StoreError> {
        if !(1..=1000).contains(&q.limit) {
            return Err(other("a query's limit must be between 1 and 1000"));
        }
        let (pk, sk) = match q.index {
            Index::Primary => ("pk", "sk"),
            Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        };
        let mut expr = Expr::default();
        let mut key_cond = format!("{} = {}", expr.name(pk), expr.value(SdkValue::S(q.partition.clone())));
        match &q.sort {
            SortCondition::Any => {}
            SortCondition::Equals(v) => key_cond += &format!(" AND {} = {}", expr.name(sk), expr.value(SdkValue::S(v.clone()))),
            SortCondition::BeginsWith(p) => {
                key_cond += &format!(" AND begins_with({}, {})", expr.name(sk), expr.value(SdkValue::S(p.clone())))
            }
            SortCondition::Between(lo, hi) => {
                let n = expr.name(sk);
                let (a, b) = (expr.value(SdkValue::S(lo.clone())), expr.value(SdkValue::S(hi.clone())));
                key_cond += &format!(" AND {n} BETWEEN {a} AND {b}");
            }
        }
        let start = q.start.as_ref().map(|c| decode_cursor(q.index, c)).transpose()?;
        // Ask for one item more than the page holds, so `next` is there only when more items follow, as with the
        // embedded adapter (DynamoDB alone would hand back a cursor to an empty last page).
        let out = self
            .client
            .query()
            .table_name(self.name(table)?)
            .set_index_name((q.index == Index::Gsi1).then(|| GSI1.to_owned()))
            .key_condition_expression(key_cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .scan_index_forward(!q.descending)
            .limit(q.limit as i32 + 1)
            .set_exclusive_start_key(start)
            .consistent_read(q.index == Index::Primary)
            .send()
            .await
            .map_err(|e| store_error("Query", table, e))?;
        let mut items: Vec<Item> = out.items.unwrap_or_default().into_iter().map(from_sdk).collect();
        let next = if items.len() > q.limit as usize {
            items.truncate(q.limit as usize);
            Some(encode_cursor(&position(q.index, items.last().expect("a full page has a last item"))?)?)
        } else {
            // Fewer items than asked for and a LastEvaluatedKey: DynamoDB stopped at its 1 MB page size.
            out.last_evaluated_key.map(|k| encode_cursor(&from_sdk(k))).transpose()?
        };
        Ok(Page { items, next })
    }
}
