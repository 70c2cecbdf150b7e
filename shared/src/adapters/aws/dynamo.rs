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
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::{AwsClient, DYNAMODB, Failure, read_answer};
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
    client: AwsClient,
    names: TableNames,
}

fn other(msg: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow::anyhow!("dynamodb: {msg}"))
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

fn key_item(key: &Key) -> Item {
    let mut item = Item::default();
    item.insert("pk".to_owned(), AttributeValue::S(key.pk.clone()));
    item.insert("sk".to_owned(), AttributeValue::S(key.sk.clone()));
    item
}

fn item_key(item: &Item) -> Result<Key, StoreError> {
    match (item.get("pk"), item.get("sk")) {
        (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Ok(Key::new(pk.clone(), sk.clone())),
        _ => Err(other("an item must carry string attributes pk and sk")),
    }
}

/// The request of every operation used, as DynamoDB's JSON takes it (absent fields left out).
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Request<'a> {
    table_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_condition_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition_expression: Option<String>,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    expression_attribute_names: HashMap<String, String>,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    expression_attribute_values: HashMap<String, AttributeValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consistent_read: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scan_index_forward: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exclusive_start_key: Option<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_values: Option<&'static str>,
}

/// What the operations answer that is read here.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    item: Option<Item>,
    attributes: Option<Item>,
    items: Option<Vec<Item>>,
    last_evaluated_key: Option<Item>,
}

/// Placeholders for one request's expressions.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
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

    fn value(&mut self, v: AttributeValue) -> String {
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
                let (n, v) = (self.name(name), self.value(v.clone()));
                Some(format!("{n} = {v}"))
            }
            Condition::In(_, vs) if vs.is_empty() => {
                // No value can match: a condition that never holds.
                let pk = self.name("pk");
                Some(format!("(attribute_exists({pk}) AND attribute_not_exists({pk}))"))
            }
            Condition::In(name, vs) => {
                let n = self.name(name);
                let vs: Vec<String> = vs.iter().map(|v| self.value(v.clone())).collect();
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
            let sets: Vec<String> = u.set.iter().map(|(n, v)| format!("{} = {}", self.name(n), self.value(v.clone()))).collect();
            clauses.push(format!("SET {}", sets.join(", ")));
        }
        if !u.remove.is_empty() {
            let removes: Vec<String> = u.remove.iter().map(|n| self.name(n)).collect();
            clauses.push(format!("REMOVE {}", removes.join(", ")));
        }
        if !u.add.is_empty() {
            let adds: Vec<String> =
                u.add.iter().map(|(n, d)| format!("{} {}", self.name(n), self.value(AttributeValue::N(d.to_string())))).collect();
            clauses.push(format!("ADD {}", adds.join(", ")));
        }
        if clauses.is_empty() { None } else { Some(clauses.join(" ")) }
    }

    /// Moves the placeholders into `request`.
    fn into(self, request: &mut Request<'_>) {
        request.expression_attribute_names = self.names;
        request.expression_attribute_values = self.values;
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

fn decode_cursor(index: Index, c: &Cursor) -> Result<Item, StoreError> {
    let raw = URL_SAFE_NO_PAD.decode(&c.0).map_err(|_| StoreError::BadCursor)?;
    let item: Item = serde_json::from_slice(&raw).map_err(|_| StoreError::BadCursor)?;
    // Only key attributes, all strings: a cursor can't smuggle anything else into the request.
    let expected = if index == Index::Primary { 2 } else { 4 };
    if item.len() != expected || item.values().any(|v| !matches!(v, AttributeValue::S(_))) || position(index, &item).is_err() {
        return Err(StoreError::BadCursor);
    }
    Ok(item)
}

impl DynamoTables {
    pub fn new(client: AwsClient, names: TableNames) -> Self {
        Self { client, names }
    }

    fn name(&self, table: Table) -> Result<&str, StoreError> {
        self.names.name(table).ok_or_else(|| other(format!("no table is configured for {}", table.as_str())))
    }

    /// One call: the request as JSON, the answer read, a failure logged (code only) and mapped.
    async fn call(&self, operation: &str, table: Table, request: &Request<'_>) -> Result<Answer, StoreError> {
        let answer = self.client.json_call(&DYNAMODB, "application/x-amz-json-1.0", "DynamoDB_20120810", operation, request).await;
        let fail = |f: Failure| {
            tracing::debug!(
                table = table.as_str(),
                operation,
                code = f.code.as_deref().unwrap_or("-"),
                transient = f.transient,
                "dynamodb call failed"
            );
            store_error_of(&f, &format!("dynamodb {operation} on {}", table.as_str()))
        };
        let body = answer.map_err(fail)?;
        read_answer(&body).map_err(fail)
    }

    /// A cheap call that opens the connection and checks the table is there (needs `dynamodb:DescribeTable`).
    pub async fn warm_up(&self, table: Table) -> Result<(), StoreError> {
        self.call("DescribeTable", table, &Request { table_name: self.name(table)?, ..Request::default() }).await?;
        Ok(())
    }
}

#[async_trait]
impl Tables for DynamoTables {
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>, StoreError> {
        let request =
            Request { table_name: self.name(table)?, key: Some(key_item(key)), consistent_read: Some(true), ..Request::default() };
        Ok(self.call("GetItem", table, &request).await?.item)
    }

    async fn put(&self, table: Table, item: Item, condition: Condition) -> Result<(), StoreError> {
        item_key(&item)?;
        let mut expr = Expr::default();
        let mut request = Request { table_name: self.name(table)?, condition_expression: expr.condition(&condition), ..Request::default() };
        expr.into(&mut request);
        request.item = Some(item);
        self.call("PutItem", table, &request).await?;
        Ok(())
    }

    async fn update(&self, table: Table, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        let mut expr = Expr::default();
        let condition_expression = expr.condition(&condition);
        let update_expression = expr.update(&update);
        let mut request = Request {
            table_name: self.name(table)?,
            key: Some(key_item(key)),
            update_expression,
            condition_expression,
            return_values: Some("ALL_NEW"),
            ..Request::default()
        };
        expr.into(&mut request);
        let mut item = self.call("UpdateItem", table, &request).await?.attributes.unwrap_or_default();
        // An update that changes nothing returns no attributes; the item is then its key.
        if item.is_empty() {
            item.insert("pk".into(), AttributeValue::S(key.pk.clone()));
            item.insert("sk".into(), AttributeValue::S(key.sk.clone()));
        }
        Ok(item)
    }

    async fn delete(&self, table: Table, key: &Key, condition: Condition) -> Result<(), StoreError> {
        let mut expr = Expr::default();
        let condition_expression = expr.condition(&condition);
        let mut request = Request { table_name: self.name(table)?, key: Some(key_item(key)), condition_expression, ..Request::default() };
        expr.into(&mut request);
        self.call("DeleteItem", table, &request).await?;
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
        let mut key_cond = format!("{} = {}", expr.name(pk), expr.value(AttributeValue::S(q.partition.clone())));
        match &q.sort {
            SortCondition::Any => {}
            SortCondition::Equals(v) => key_cond += &format!(" AND {} = {}", expr.name(sk), expr.value(AttributeValue::S(v.clone()))),
            SortCondition::BeginsWith(p) => {
                key_cond += &format!(" AND begins_with({}, {})", expr.name(sk), expr.value(AttributeValue::S(p.clone())))
            }
            SortCondition::Between(lo, hi) => {
                let n = expr.name(sk);
                let (a, b) = (expr.value(AttributeValue::S(lo.clone())), expr.value(AttributeValue::S(hi.clone())));
                key_cond += &format!(" AND {n} BETWEEN {a} AND {b}");
            }
        }
        let start = q.start.as_ref().map(|c| decode_cursor(q.index, c)).transpose()?;
        // Ask for one item more than the page holds, so `next` is there only when more items follow, as with the
        // embedded adapter (DynamoDB alone would hand back a cursor to an empty last page).
        let mut request = Request {
            table_name: self.name(table)?,
            index_name: (q.index == Index::Gsi1).then_some(GSI1),
            key_condition_expression: Some(key_cond),
            scan_index_forward: Some(!q.descending),
            limit: Some(q.limit + 1),
            exclusive_start_key: start,
            consistent_read: Some(q.index == Index::Primary),
            ..Request::default()
        };
        expr.into(&mut request);
        let out = self.call("Query", table, &request).await?;
        let mut items: Vec<Item> = out.items.unwrap_or_default();
        let next = if items.len() > q.limit as usize {
            items.truncate(q.limit as usize);
            Some(encode_cursor(&position(q.index, items.last().expect("a full page has a last item"))?)?)
        } else {
            // Fewer items than asked for and a LastEvaluatedKey: DynamoDB stopped at its 1 MB page size.
            out.last_evaluated_key.map(|k| encode_cursor(&k)).transpose()?
        };
        Ok(Page { items, next })
    }
}
