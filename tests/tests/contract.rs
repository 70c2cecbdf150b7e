//! The contract suite: one set of test functions, run against the embedded adapters (SQLite, local keys, outbox) and
//! against the AWS adapters on moto (DynamoDB, KMS, SES v2, SNS). An adapter that passes here behaves like the other.
//!
//! `contract::embedded::*` and `contract::aws::*` are the same tests; `scripts/test` prints how many ran on each.
//! The AWS ones fail (never skip) when moto is not there.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use num_tests::aws::{AwsBackend, aws_backend, moto_data};
use num_tests::stream_bridge::{DynamoStreams, pump};
use shared::adapters::faults::{Fault, Faulty};
use shared::adapters::{Outbox, RetryPolicy, Retrying, SqliteTables};
use shared::domain::ids::random_base32;
use shared::domain::{Email, PhoneNumber};
use shared::ports::messaging::{EmailMessage, EmailSender, SendError, SmsMessage, SmsSender};
use shared::ports::stream::{ChangeStream, StreamEvent, StreamRecord};
use shared::ports::tables::{AttributeValue, s};
use shared::ports::{
    Condition, Cursor, EncryptionContext, Index, Item, Key, KeyError, KeyService, MacPurpose, Page, Query, SortCondition, StoreError,
    Table, Tables, Update,
};
use shared::seal::{self, SealError, Sealer};
use shared::stream_batch::{RecordError, RecordHandler};

// ---------------------------------------------------------------------------------------------------------------
// The backends

pub(crate) enum Kind {
    Embedded { sqlite: Arc<SqliteTables>, dir: tempfile::TempDir },
    Aws(Box<AwsBackend>),
}

pub(crate) struct Backend {
    pub(crate) tables: Arc<dyn Tables>,
    pub(crate) keys: Arc<dyn KeyService>,
    pub(crate) email: Arc<dyn EmailSender>,
    pub(crate) sms: Arc<dyn SmsSender>,
    pub(crate) stream: Arc<dyn ChangeStream>,
    kind: Kind,
}

/// A message as the backend recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sent {
    pub(crate) to: String,
    pub(crate) subject: Option<String>,
    pub(crate) body: String,
}

pub(crate) async fn embedded_backend() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(SqliteTables::in_memory().unwrap());
    let keys = Arc::new(shared::adapters::LocalKeys::open_or_create(dir.path()).unwrap());
    let outbox = Arc::new(Outbox::new(dir.path()));
    Backend {
        tables: sqlite.clone(),
        keys,
        email: outbox.clone(),
        sms: outbox,
        stream: sqlite.clone(),
        kind: Kind::Embedded { sqlite, dir },
    }
}

pub(crate) async fn aws_cloud_backend() -> Backend {
    let b = aws_backend().await;
    Backend {
        tables: Arc::new(b.tables.clone()),
        keys: Arc::new(b.keys.clone()),
        email: Arc::new(b.email.clone()),
        sms: Arc::new(b.sms.clone()),
        stream: Arc::new(DynamoStreams::new(&b.sdk, b.names.clone())),
        kind: Kind::Aws(Box::new(b)),
    }
}

impl Backend {
    async fn put_new_many(&self, table: Table, items: Vec<Item>) -> Result<usize, StoreError> {
        match &self.kind {
            Kind::Embedded { sqlite, .. } => sqlite.put_new_many(table, items).await,
            Kind::Aws(b) => b.tables.put_new_many(table, items).await,
        }
    }

    pub(crate) async fn sent(&self, channel: &str) -> Vec<Sent> {
        match &self.kind {
            Kind::Embedded { dir, .. } => Outbox::read(dir.path())
                .unwrap()
                .into_iter()
                .filter(|e| e.channel == channel)
                .map(|e| Sent { to: e.to, subject: e.subject, body: e.body })
                .collect(),
            Kind::Aws(_) => {
                let data = moto_data().await;
                let (service, model) = if channel == "email" { ("ses", "Message") } else { ("sns", "SMS") };
                let list = data[service][model].as_array().cloned().unwrap_or_default();
                list.iter()
                    .map(|m| {
                        if channel == "email" {
                            Sent {
                                to: m["destinations"]["ToAddresses"][0].as_str().unwrap_or_default().to_owned(),
                                subject: m["subject"].as_str().map(str::to_owned),
                                body: m["body"].as_str().unwrap_or_default().to_owned(),
                            }
                        } else {
                            Sent {
                                to: m["phone_number"].as_str().unwrap_or_default().to_owned(),
                                subject: None,
                                body: m["message"].as_str().unwrap_or_default().to_owned(),
                            }
                        }
                    })
                    .collect()
            }
        }
    }
}

/// Runs each listed test function once per backend, as `embedded::<name>` and `aws::<name>`.
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::embedded_backend().await).await
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::aws_cloud_backend().await).await
                }
            )*
        }
    };
}

contract_tests!(
    a_missing_item_reads_as_none,
    an_item_round_trips_with_every_attribute_type,
    a_put_replaces_the_whole_item,
    not_exists_refuses_a_second_item_with_the_same_key,
    exists_refuses_a_missing_item,
    equals_holds_only_for_an_equal_present_attribute,
    in_holds_only_for_one_of_the_values,
    attr_not_exists_holds_for_an_absent_attribute_or_item,
    and_needs_every_part,
    an_update_creates_an_absent_item_and_returns_it_whole,
    an_update_sets_removes_and_adds,
    an_update_guarded_by_exists_creates_nothing,
    an_update_whose_condition_fails_changes_nothing,
    a_delete_honours_its_condition_and_absent_items_delete_quietly,
    put_new_many_writes_only_what_is_missing,
    put_new_many_counts_hundreds_of_items_exactly,
    put_new_many_writes_the_first_of_items_with_one_key,
    tables_are_separate,
    a_query_reads_one_partition_in_sort_key_order,
    a_query_filters_by_sort_key,
    a_query_reads_descending,
    pages_of_a_small_limit_cover_every_item_once,
    pages_read_descending_cover_every_item_once,
    a_page_cursor_after_the_last_item_is_absent,
    a_made_up_page_cursor_is_refused_as_bad_input,
    the_gsi_finds_items_by_their_second_key_and_pages_through_ties,
    a_query_limit_outside_one_to_a_thousand_is_refused,
    a_data_key_opens_under_its_own_context,
    a_data_key_does_not_open_under_another_context,
    a_damaged_wrapped_key_is_refused,
    a_sealed_value_moved_to_another_record_does_not_open,
    the_keyed_hash_is_deterministic_and_differs_by_message,
    an_email_is_sent_to_one_recipient_as_written,
    an_email_with_an_unsubscribe_link_and_an_untaggable_key_is_sent,
    an_sms_is_sent_as_written,
    the_stream_yields_insert_modify_and_remove_with_images,
    the_stream_reads_on_after_a_sequence_number,
    a_write_that_changes_nothing_makes_no_stream_record,
    a_partial_batch_failure_is_retried_from_the_failed_record,
    a_record_that_keeps_failing_is_given_up_after_the_retries,
    throttled_table_calls_are_retried_and_succeed,
    a_permanent_failure_reaches_the_caller_at_once,
    put_new_many_behind_the_retry_wrapper_retries_each_put_on_its_own,
    a_throttled_email_is_retried_and_sent_once,
);

// ---------------------------------------------------------------------------------------------------------------
// Helpers

fn token() -> String {
    random_base32(12).to_lowercase()
}

fn item(pk: &str, sk: &str, attrs: &[(&str, AttributeValue)]) -> Item {
    let mut i = Item::default();
    i.insert("pk".into(), s(pk));
    i.insert("sk".into(), s(sk));
    for (n, v) in attrs {
        i.insert((*n).to_owned(), v.clone());
    }
    i
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn attr<'a>(item: &'a Item, name: &str) -> Option<&'a AttributeValue> {
    item.get(name)
}

fn sks(page: &Page) -> Vec<String> {
    page.items.iter().map(|i| shared::ports::tables::attr_str(i, "sk").unwrap().to_owned()).collect()
}

async fn all_pages(tables: &dyn Tables, table: Table, mut q: Query) -> (Vec<Item>, usize) {
    let mut out = Vec::new();
    let mut pages = 0;
    loop {
        let page = tables.query(table, q.clone()).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= q.limit as usize, "a page holds at most its limit");
        out.extend(page.items);
        match page.next {
            Some(c) => q.start = Some(c),
            None => return (out, pages),
        }
        assert!(pages < 1000, "pagination does not end");
    }
}

fn ctx(id: &str) -> EncryptionContext {
    EncryptionContext::new("reports", "report", id)
}

// ---------------------------------------------------------------------------------------------------------------
// Tables

async fn a_missing_item_reads_as_none(b: Backend) {
    assert_eq!(b.tables.get(Table::Reports, &Key::new("NOPE", "NOPE")).await.unwrap(), None);
}

async fn an_item_round_trips_with_every_attribute_type(b: Backend) {
    let mut m = std::collections::HashMap::new();
    m.insert("inner".to_owned(), s("x"));
    let it = item(
        "P#1",
        "S#1",
        &[
            ("text", s("héllo ✓")),
            ("num", n(-42)),
            ("big", AttributeValue::N("12345678901234567890".into())),
            ("bytes", AttributeValue::B(vec![0, 1, 2, 255])),
            ("flag", AttributeValue::Bool(true)),
            ("nothing", AttributeValue::Null(true)),
            ("list", AttributeValue::L(vec![s("a"), n(1)])),
            ("map", AttributeValue::M(m)),
            ("strings", AttributeValue::Ss(vec!["a".into(), "b".into()])),
        ],
    );
    b.tables.put(Table::Reports, it.clone(), Condition::Always).await.unwrap();
    let got = b.tables.get(Table::Reports, &Key::new("P#1", "S#1")).await.unwrap().unwrap();
    for (k, v) in it.iter() {
        match (k.as_str(), v, got.get(k)) {
            // A string set is a set: order is not kept.
            ("strings", AttributeValue::Ss(a), Some(AttributeValue::Ss(g))) => {
                assert_eq!(a.iter().collect::<BTreeSet<_>>(), g.iter().collect::<BTreeSet<_>>())
            }
            (_, v, g) => assert_eq!(Some(v), g, "attribute {k}"),
        }
    }
    assert_eq!(got.len(), it.len());
}

async fn a_put_replaces_the_whole_item(b: Backend) {
    b.tables.put(Table::Reports, item("P", "S", &[("a", s("1")), ("b", s("2"))]), Condition::Always).await.unwrap();
    b.tables.put(Table::Reports, item("P", "S", &[("a", s("3"))]), Condition::Always).await.unwrap();
    let got = b.tables.get(Table::Reports, &Key::new("P", "S")).await.unwrap().unwrap();
    assert_eq!(got, item("P", "S", &[("a", s("3"))]));
}

async fn not_exists_refuses_a_second_item_with_the_same_key(b: Backend) {
    b.tables.put(Table::Reports, item("P", "S", &[("v", s("first"))]), Condition::NotExists).await.unwrap();
    let err = b.tables.put(Table::Reports, item("P", "S", &[("v", s("second"))]), Condition::NotExists).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed), "{err}");
    let got = b.tables.get(Table::Reports, &Key::new("P", "S")).await.unwrap().unwrap();
    assert_eq!(attr(&got, "v"), Some(&s("first")));
    // Another sort key in the same partition is another item.
    b.tables.put(Table::Reports, item("P", "S2", &[]), Condition::NotExists).await.unwrap();
}

async fn exists_refuses_a_missing_item(b: Backend) {
    let err = b.tables.put(Table::Reports, item("P", "S", &[]), Condition::Exists).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed));
    assert_eq!(b.tables.get(Table::Reports, &Key::new("P", "S")).await.unwrap(), None);
    b.tables.put(Table::Reports, item("P", "S", &[]), Condition::Always).await.unwrap();
    b.tables.put(Table::Reports, item("P", "S", &[("v", s("x"))]), Condition::Exists).await.unwrap();
}

async fn equals_holds_only_for_an_equal_present_attribute(b: Backend) {
    let cond = |v: &str| Condition::Equals("status".into(), s(v));
    assert!(
        matches!(b.tables.put(Table::Reports, item("P", "S", &[]), cond("draft")).await, Err(StoreError::ConditionFailed)),
        "missing item"
    );
    b.tables.put(Table::Reports, item("P", "S", &[("other", s("draft"))]), Condition::Always).await.unwrap();
    assert!(
        matches!(b.tables.put(Table::Reports, item("P", "S", &[]), cond("draft")).await, Err(StoreError::ConditionFailed)),
        "missing attribute"
    );
    b.tables.put(Table::Reports, item("P", "S", &[("status", s("draft"))]), Condition::Always).await.unwrap();
    assert!(
        matches!(b.tables.put(Table::Reports, item("P", "S", &[]), cond("published")).await, Err(StoreError::ConditionFailed)),
        "other value"
    );
    // A number is not equal to the string of its digits.
    b.tables.put(Table::Reports, item("P", "N", &[("v", n(1))]), Condition::Always).await.unwrap();
    let err = b.tables.put(Table::Reports, item("P", "N", &[]), Condition::Equals("v".into(), s("1"))).await;
    assert!(matches!(err, Err(StoreError::ConditionFailed)));
    b.tables.put(Table::Reports, item("P", "N", &[("v", n(2))]), Condition::Equals("v".into(), n(1))).await.unwrap();
    b.tables.put(Table::Reports, item("P", "S", &[("status", s("published"))]), cond("draft")).await.unwrap();
    let got = b.tables.get(Table::Reports, &Key::new("P", "S")).await.unwrap().unwrap();
    assert_eq!(attr(&got, "status"), Some(&s("published")));
}

async fn in_holds_only_for_one_of_the_values(b: Backend) {
    let cond = |vs: &[&str]| Condition::In("status".into(), vs.iter().map(|v| s(*v)).collect());
    assert!(matches!(b.tables.put(Table::Alerts, item("A", "S", &[]), cond(&["draft"])).await, Err(StoreError::ConditionFailed)));
    b.tables.put(Table::Alerts, item("A", "S", &[("status", s("approved"))]), Condition::Always).await.unwrap();
    assert!(matches!(b.tables.put(Table::Alerts, item("A", "S", &[]), cond(&["draft", "held"])).await, Err(StoreError::ConditionFailed)));
    assert!(
        matches!(b.tables.put(Table::Alerts, item("A", "S", &[]), cond(&[])).await, Err(StoreError::ConditionFailed)),
        "an empty list never holds"
    );
    b.tables.put(Table::Alerts, item("A", "S", &[("status", s("published"))]), cond(&["draft", "approved"])).await.unwrap();
}

async fn attr_not_exists_holds_for_an_absent_attribute_or_item(b: Backend) {
    let cond = || Condition::AttrNotExists("sent_at".into());
    b.tables.put(Table::Alerts, item("D", "1", &[("x", s("1"))]), cond()).await.unwrap();
    b.tables.put(Table::Alerts, item("D", "1", &[("sent_at", s("now"))]), cond()).await.unwrap();
    assert!(matches!(b.tables.put(Table::Alerts, item("D", "1", &[]), cond()).await, Err(StoreError::ConditionFailed)));
}

async fn and_needs_every_part(b: Backend) {
    b.tables.put(Table::Alerts, item("A", "1", &[("status", s("approved")), ("v", n(3))]), Condition::Always).await.unwrap();
    let both = Condition::And(vec![
        Condition::Exists,
        Condition::Equals("status".into(), s("approved")),
        Condition::AttrNotExists("published_at".into()),
    ]);
    let one_false = Condition::And(vec![Condition::Exists, Condition::Equals("status".into(), s("draft"))]);
    assert!(matches!(
        b.tables.update(Table::Alerts, &Key::new("A", "1"), Update::default().set("x", s("y")), one_false).await,
        Err(StoreError::ConditionFailed)
    ));
    b.tables.update(Table::Alerts, &Key::new("A", "1"), Update::default().set("published_at", s("t")), both.clone()).await.unwrap();
    assert!(matches!(
        b.tables.update(Table::Alerts, &Key::new("A", "1"), Update::default().set("x", s("y")), both).await,
        Err(StoreError::ConditionFailed)
    ));
    // An empty And, or one of Always, always holds.
    b.tables.put(Table::Alerts, item("A", "2", &[]), Condition::And(vec![])).await.unwrap();
    b.tables.put(Table::Alerts, item("A", "2", &[]), Condition::And(vec![Condition::Always])).await.unwrap();
}

async fn an_update_creates_an_absent_item_and_returns_it_whole(b: Backend) {
    let key = Key::new("C", "1");
    let got =
        b.tables.update(Table::Alerts, &key, Update::default().set("status", s("draft")).add("count", 2), Condition::Always).await.unwrap();
    assert_eq!(got, item("C", "1", &[("status", s("draft")), ("count", n(2))]));
    assert_eq!(b.tables.get(Table::Alerts, &key).await.unwrap(), Some(got));
}

async fn an_update_sets_removes_and_adds(b: Backend) {
    let key = Key::new("U", "1");
    b.tables.put(Table::Alerts, item("U", "1", &[("a", s("1")), ("gone", s("x")), ("count", n(5))]), Condition::Always).await.unwrap();
    let got = b
        .tables
        .update(
            Table::Alerts,
            &key,
            Update::default().set("a", s("2")).set("b", AttributeValue::Bool(false)).remove("gone").add("count", -2).add("fresh", 7),
            Condition::Exists,
        )
        .await
        .unwrap();
    assert_eq!(got, item("U", "1", &[("a", s("2")), ("b", AttributeValue::Bool(false)), ("count", n(3)), ("fresh", n(7))]));
    let again = b.tables.update(Table::Alerts, &key, Update::default().add("count", 10), Condition::Always).await.unwrap();
    assert_eq!(attr(&again, "count"), Some(&n(13)));
    assert_eq!(attr(&again, "a"), Some(&s("2")), "an update returns every attribute, not just the changed ones");
}

async fn an_update_guarded_by_exists_creates_nothing(b: Backend) {
    let err = b.tables.update(Table::Alerts, &Key::new("G", "1"), Update::default().set("a", s("1")), Condition::Exists).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed));
    assert_eq!(b.tables.get(Table::Alerts, &Key::new("G", "1")).await.unwrap(), None);
}

async fn an_update_whose_condition_fails_changes_nothing(b: Backend) {
    let original = item("F", "1", &[("status", s("draft")), ("count", n(1))]);
    b.tables.put(Table::Alerts, original.clone(), Condition::Always).await.unwrap();
    let err = b
        .tables
        .update(
            Table::Alerts,
            &Key::new("F", "1"),
            Update::default().set("status", s("published")).add("count", 1),
            Condition::Equals("status".into(), s("approved")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed));
    assert_eq!(b.tables.get(Table::Alerts, &Key::new("F", "1")).await.unwrap(), Some(original));
}

async fn a_delete_honours_its_condition_and_absent_items_delete_quietly(b: Backend) {
    b.tables.delete(Table::Alerts, &Key::new("X", "1"), Condition::Always).await.unwrap();
    assert!(matches!(b.tables.delete(Table::Alerts, &Key::new("X", "1"), Condition::Exists).await, Err(StoreError::ConditionFailed)));
    b.tables.put(Table::Alerts, item("X", "1", &[("status", s("draft"))]), Condition::Always).await.unwrap();
    assert!(matches!(
        b.tables.delete(Table::Alerts, &Key::new("X", "1"), Condition::Equals("status".into(), s("published"))).await,
        Err(StoreError::ConditionFailed)
    ));
    assert!(b.tables.get(Table::Alerts, &Key::new("X", "1")).await.unwrap().is_some());
    b.tables.delete(Table::Alerts, &Key::new("X", "1"), Condition::Equals("status".into(), s("draft"))).await.unwrap();
    assert_eq!(b.tables.get(Table::Alerts, &Key::new("X", "1")).await.unwrap(), None);
}

async fn put_new_many_writes_only_what_is_missing(b: Backend) {
    b.tables.put(Table::Alerts, item("M", "2", &[("v", s("old"))]), Condition::Always).await.unwrap();
    let items: Vec<Item> = (1..=4).map(|i| item("M", &i.to_string(), &[("v", s("new"))])).collect();
    assert_eq!(b.put_new_many(Table::Alerts, items.clone()).await.unwrap(), 3);
    let got = b.tables.get(Table::Alerts, &Key::new("M", "2")).await.unwrap().unwrap();
    assert_eq!(attr(&got, "v"), Some(&s("old")), "an item already there is left alone");
    assert_eq!(b.put_new_many(Table::Alerts, items).await.unwrap(), 0, "a second run writes nothing");
}

async fn put_new_many_counts_hundreds_of_items_exactly(b: Backend) {
    // More than the adapters keep in flight at once, with every third item already there.
    for i in (0..300).step_by(3) {
        b.tables.put(Table::Alerts, item("H", &format!("{i:03}"), &[("v", s("old"))]), Condition::Always).await.unwrap();
    }
    let items: Vec<Item> = (0..300).map(|i| item("H", &format!("{i:03}"), &[("v", s("new"))])).collect();
    assert_eq!(b.put_new_many(Table::Alerts, items.clone()).await.unwrap(), 200);
    let all = shared::ports::tables::query_all(b.tables.as_ref(), Table::Alerts, Query::partition(Index::Primary, "H")).await.unwrap();
    assert_eq!(all.len(), 300);
    for got in &all {
        let i: usize = shared::ports::tables::attr_str(got, "sk").unwrap().parse().unwrap();
        assert_eq!(attr(got, "v"), Some(&s(if i.is_multiple_of(3) { "old" } else { "new" })), "item {i}");
    }
    assert_eq!(b.put_new_many(Table::Alerts, items).await.unwrap(), 0, "a second run writes nothing");
}

async fn put_new_many_writes_the_first_of_items_with_one_key(b: Backend) {
    let items = vec![item("D", "1", &[("v", s("first"))]), item("D", "2", &[]), item("D", "1", &[("v", s("second"))])];
    assert_eq!(b.put_new_many(Table::Alerts, items).await.unwrap(), 2);
    assert_eq!(attr(&b.tables.get(Table::Alerts, &Key::new("D", "1")).await.unwrap().unwrap(), "v"), Some(&s("first")));
}

async fn tables_are_separate(b: Backend) {
    b.tables.put(Table::Reports, item("K", "1", &[("t", s("reports"))]), Condition::Always).await.unwrap();
    b.tables.put(Table::Audit, item("K", "1", &[("t", s("audit"))]), Condition::NotExists).await.unwrap();
    assert_eq!(attr(&b.tables.get(Table::Reports, &Key::new("K", "1")).await.unwrap().unwrap(), "t"), Some(&s("reports")));
    assert_eq!(b.tables.get(Table::Subscribers, &Key::new("K", "1")).await.unwrap(), None);
}

async fn seed_partition(b: &Backend, pk: &str, count: usize) {
    for i in 0..count {
        b.tables.put(Table::Alerts, item(pk, &format!("ITEM#{i:03}"), &[("i", n(i as i64))]), Condition::Always).await.unwrap();
    }
}

async fn a_query_reads_one_partition_in_sort_key_order(b: Backend) {
    for sk in ["c", "a", "b"] {
        b.tables.put(Table::Alerts, item("Q", sk, &[]), Condition::Always).await.unwrap();
    }
    b.tables.put(Table::Alerts, item("Q2", "a", &[]), Condition::Always).await.unwrap();
    b.tables.put(Table::Reports, item("Q", "z", &[]), Condition::Always).await.unwrap();
    let page = b.tables.query(Table::Alerts, Query::partition(Index::Primary, "Q")).await.unwrap();
    assert_eq!(sks(&page), ["a", "b", "c"]);
    assert_eq!(page.next, None);
    let empty = b.tables.query(Table::Alerts, Query::partition(Index::Primary, "NONE")).await.unwrap();
    assert!(empty.items.is_empty() && empty.next.is_none());
}

async fn a_query_filters_by_sort_key(b: Backend) {
    for sk in ["DELIVERY#1", "DELIVERY#2", "DELIVERY#3", "EVENT#1", "META"] {
        b.tables.put(Table::Alerts, item("A#1", sk, &[]), Condition::Always).await.unwrap();
    }
    let q = |sort| Query { sort, ..Query::partition(Index::Primary, "A#1") };
    let page = b.tables.query(Table::Alerts, q(SortCondition::BeginsWith("DELIVERY#".into()))).await.unwrap();
    assert_eq!(sks(&page), ["DELIVERY#1", "DELIVERY#2", "DELIVERY#3"]);
    let page = b.tables.query(Table::Alerts, q(SortCondition::Equals("META".into()))).await.unwrap();
    assert_eq!(sks(&page), ["META"]);
    let page = b.tables.query(Table::Alerts, q(SortCondition::Between("DELIVERY#2".into(), "EVENT#1".into()))).await.unwrap();
    assert_eq!(sks(&page), ["DELIVERY#2", "DELIVERY#3", "EVENT#1"], "between includes both ends");
    let page = b.tables.query(Table::Alerts, q(SortCondition::BeginsWith("NOTHING".into()))).await.unwrap();
    assert!(page.items.is_empty());
}

async fn a_query_reads_descending(b: Backend) {
    seed_partition(&b, "D", 5).await;
    let page = b.tables.query(Table::Alerts, Query { descending: true, limit: 3, ..Query::partition(Index::Primary, "D") }).await.unwrap();
    assert_eq!(sks(&page), ["ITEM#004", "ITEM#003", "ITEM#002"]);
    assert!(page.next.is_some());
}

async fn pages_of_a_small_limit_cover_every_item_once(b: Backend) {
    seed_partition(&b, "MANY", 23).await;
    for limit in [1, 4, 7, 23] {
        let (items, pages) = all_pages(b.tables.as_ref(), Table::Alerts, Query { limit, ..Query::partition(Index::Primary, "MANY") }).await;
        let got: Vec<String> = items.iter().map(|i| shared::ports::tables::attr_str(i, "sk").unwrap().to_owned()).collect();
        let want: Vec<String> = (0..23).map(|i| format!("ITEM#{i:03}")).collect();
        assert_eq!(got, want, "limit {limit}");
        assert_eq!(pages, 23usize.div_ceil(limit as usize), "limit {limit}: no empty last page");
    }
}

async fn pages_read_descending_cover_every_item_once(b: Backend) {
    seed_partition(&b, "MANY", 11).await;
    let q =
        Query { limit: 3, descending: true, sort: SortCondition::BeginsWith("ITEM#".into()), ..Query::partition(Index::Primary, "MANY") };
    let (items, _) = all_pages(b.tables.as_ref(), Table::Alerts, q).await;
    let got: Vec<String> = items.iter().map(|i| shared::ports::tables::attr_str(i, "sk").unwrap().to_owned()).collect();
    let want: Vec<String> = (0..11).rev().map(|i| format!("ITEM#{i:03}")).collect();
    assert_eq!(got, want);
}

async fn a_made_up_page_cursor_is_refused_as_bad_input(b: Backend) {
    for made_up in ["abc", "", "e30", "W10", "eyJwayI6eyJTIjoiWCJ9fQ"] {
        for index in [Index::Primary, Index::Gsi1] {
            let q = Query { start: Some(Cursor(made_up.into())), ..Query::partition(index, "EXACT") };
            let err = b.tables.query(Table::Alerts, q).await.unwrap_err();
            assert!(matches!(err, StoreError::BadCursor), "{made_up:?} on {index:?}: {err}");
        }
    }
}

async fn a_page_cursor_after_the_last_item_is_absent(b: Backend) {
    seed_partition(&b, "EXACT", 4).await;
    let first = b.tables.query(Table::Alerts, Query { limit: 2, ..Query::partition(Index::Primary, "EXACT") }).await.unwrap();
    let cursor = first.next.clone().expect("more follow");
    assert!(
        !cursor.0.is_empty() && cursor.0.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "URL-safe: {}",
        cursor.0
    );
    let second =
        b.tables.query(Table::Alerts, Query { limit: 2, start: Some(cursor), ..Query::partition(Index::Primary, "EXACT") }).await.unwrap();
    assert_eq!(sks(&second), ["ITEM#002", "ITEM#003"]);
    assert_eq!(second.next, None, "the page that ends the partition says so");
}

async fn the_gsi_finds_items_by_their_second_key_and_pages_through_ties(b: Backend) {
    // Subscribers by region, newest first; some share a time (a tie on gsi1sk).
    let times = ["2025-01-01", "2025-01-02", "2025-01-02", "2025-01-02", "2025-01-03", "2025-01-04"];
    for (i, t) in times.iter().enumerate() {
        let it = item(&format!("SUB#{i}"), "SUB", &[("gsi1pk", s("REGION#yorkshire")), ("gsi1sk", s(*t))]);
        b.tables.put(Table::Subscribers, it, Condition::Always).await.unwrap();
    }
    b.tables
        .put(Table::Subscribers, item("SUB#other", "SUB", &[("gsi1pk", s("REGION#wales")), ("gsi1sk", s("2025-01-01"))]), Condition::Always)
        .await
        .unwrap();
    b.tables.put(Table::Subscribers, item("SUB#none", "SUB", &[]), Condition::Always).await.unwrap();

    let q = Query { limit: 100, ..Query::partition(Index::Gsi1, "REGION#yorkshire") };
    let page = b.tables.query(Table::Subscribers, q.clone()).await.unwrap();
    let order: Vec<&str> = page.items.iter().map(|i| shared::ports::tables::attr_str(i, "gsi1sk").unwrap()).collect();
    assert_eq!(order, times, "in gsi1sk order");
    assert!(page.items.iter().all(|i| i.get("sk").is_some()), "the index projects whole items");

    for descending in [false, true] {
        let (items, _) = all_pages(b.tables.as_ref(), Table::Subscribers, Query { limit: 2, descending, ..q.clone() }).await;
        let pks: BTreeSet<String> = items.iter().map(|i| shared::ports::tables::attr_str(i, "pk").unwrap().to_owned()).collect();
        assert_eq!(items.len(), times.len(), "descending {descending}: nothing twice");
        assert_eq!(pks, (0..times.len()).map(|i| format!("SUB#{i}")).collect(), "descending {descending}: nothing lost at a tie");
        let keys: Vec<&str> = items.iter().map(|i| shared::ports::tables::attr_str(i, "gsi1sk").unwrap()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if descending {
            sorted.reverse();
        }
        assert_eq!(keys, sorted);
    }
    let q = Query { sort: SortCondition::Between("2025-01-02".into(), "2025-01-03".into()), ..q };
    assert_eq!(b.tables.query(Table::Subscribers, q).await.unwrap().items.len(), 4);
}

async fn a_query_limit_outside_one_to_a_thousand_is_refused(b: Backend) {
    for limit in [0, 1001] {
        let err = b.tables.query(Table::Alerts, Query { limit, ..Query::partition(Index::Primary, "P") }).await.unwrap_err();
        assert!(matches!(err, StoreError::Other(_)), "limit {limit}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Keys

async fn a_data_key_opens_under_its_own_context(b: Backend) {
    let k1 = b.keys.generate_data_key(&ctx("R1")).await.unwrap();
    let k2 = b.keys.generate_data_key(&ctx("R1")).await.unwrap();
    assert_ne!(*k1.plaintext, *k2.plaintext, "each call gives a new key");
    assert_ne!(k1.wrapped, k1.plaintext.to_vec(), "the wrapped form is not the key");
    let opened = b.keys.decrypt_data_key(&k1.wrapped, &ctx("R1")).await.unwrap();
    assert_eq!(*opened, *k1.plaintext);
}

async fn a_data_key_does_not_open_under_another_context(b: Backend) {
    let k = b.keys.generate_data_key(&ctx("R1")).await.unwrap();
    for other in [ctx("R2"), EncryptionContext::new("alerts", "report", "R1"), EncryptionContext::new("reports", "note", "R1")] {
        let err = b.keys.decrypt_data_key(&k.wrapped, &other).await.unwrap_err();
        assert!(matches!(err, KeyError::ContextMismatch), "{other:?}: {err}");
    }
}

async fn a_damaged_wrapped_key_is_refused(b: Backend) {
    let k = b.keys.generate_data_key(&ctx("R1")).await.unwrap();
    let mut damaged = k.wrapped.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x01;
    assert!(matches!(b.keys.decrypt_data_key(&damaged, &ctx("R1")).await, Err(KeyError::ContextMismatch)));
    assert!(matches!(b.keys.decrypt_data_key(b"not a key", &ctx("R1")).await, Err(KeyError::ContextMismatch)));
}

async fn a_sealed_value_moved_to_another_record_does_not_open(b: Backend) {
    let sealer = Sealer::for_record(b.keys.as_ref(), ctx("R1")).await.unwrap();
    let sealed = sealer.seal_json(&"the account");
    let opened: String = seal::open_json(b.keys.as_ref(), &sealed, &ctx("R1")).await.unwrap();
    assert_eq!(opened, "the account");
    let err = seal::open_json::<String>(b.keys.as_ref(), &sealed, &ctx("R2")).await.unwrap_err();
    assert!(matches!(err, SealError::WrongContext), "{err}");
}

async fn the_keyed_hash_is_deterministic_and_differs_by_message(b: Backend) {
    let a1 = b.keys.mac(MacPurpose::SubscriberContact, b"+447700900123").await.unwrap();
    let a2 = b.keys.mac(MacPurpose::SubscriberContact, b"+447700900123").await.unwrap();
    let other = b.keys.mac(MacPurpose::SubscriberContact, b"+447700900124").await.unwrap();
    assert_eq!(a1, a2);
    assert_ne!(a1, other);
    assert_ne!(a1, [0u8; 32]);
}

// ---------------------------------------------------------------------------------------------------------------
// Messaging

async fn an_email_is_sent_to_one_recipient_as_written(b: Backend) {
    let t = token();
    let to = format!("member-{t}@example.net");
    let m = EmailMessage {
        to: Email::parse(&to).unwrap(),
        subject: format!("Alert {t}"),
        text: format!("Take care {t}.\nLine two."),
        unsubscribe_url: None,
    };
    let id = b.email.send_email(&m, &format!("alert-{t}-email")).await.unwrap();
    assert!(!id.0.is_empty());
    let sent: Vec<Sent> = b.sent("email").await.into_iter().filter(|s| s.to == to).collect();
    assert_eq!(sent, vec![Sent { to, subject: Some(m.subject.clone()), body: m.text.clone() }]);
}

async fn an_email_with_an_unsubscribe_link_and_an_untaggable_key_is_sent(b: Backend) {
    let t = token();
    let to = format!("member-{t}@example.net");
    let m = EmailMessage {
        to: Email::parse(&to).unwrap(),
        subject: "Alert".into(),
        text: "Body".into(),
        unsubscribe_url: Some(format!("https://num.example.org/unsubscribe?t={t}")),
    };
    b.email.send_email(&m, "alert#1/sub:2 (email)").await.unwrap();
    assert_eq!(b.sent("email").await.into_iter().filter(|s| s.to == to).count(), 1);
}

async fn an_sms_is_sent_as_written(b: Backend) {
    let t = token();
    let digits: String = t.bytes().map(|c| char::from(b'0' + c % 10)).take(6).collect();
    let to = PhoneNumber::parse(&format!("+447700{digits}")).unwrap();
    let m = SmsMessage { to: to.clone(), text: format!("NUM alert {t}: see the members' page.") };
    let id = b.sms.send_sms(&m, &format!("alert-{t}-sms")).await.unwrap();
    assert!(!id.0.is_empty());
    let sent: Vec<Sent> = b.sent("sms").await.into_iter().filter(|s| s.body == m.text).collect();
    assert_eq!(sent, vec![Sent { to: to.to_string(), subject: None, body: m.text.clone() }]);
}

// ---------------------------------------------------------------------------------------------------------------
// Streams

async fn the_stream_yields_insert_modify_and_remove_with_images(b: Backend) {
    let key = Key::new("S#1", "META");
    b.tables.put(Table::Reports, item("S#1", "META", &[("status", s("received"))]), Condition::NotExists).await.unwrap();
    b.tables.update(Table::Reports, &key, Update::default().set("status", s("drafted")), Condition::Exists).await.unwrap();
    b.tables.delete(Table::Reports, &key, Condition::Always).await.unwrap();
    b.tables.put(Table::Alerts, item("OTHER", "TABLE", &[]), Condition::Always).await.unwrap();

    let records = b.stream.read(Table::Reports, None, 100).await.unwrap();
    let names: Vec<&str> = records.iter().map(|r| r.event_name.as_str()).collect();
    assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"]);
    let keys = item("S#1", "META", &[]);
    assert!(records.iter().all(|r| r.change.keys == keys));
    assert_eq!(records[0].change.new_image, item("S#1", "META", &[("status", s("received"))]));
    assert!(records[0].change.old_image.is_empty());
    assert_eq!(records[1].change.old_image, item("S#1", "META", &[("status", s("received"))]));
    assert_eq!(records[1].change.new_image, item("S#1", "META", &[("status", s("drafted"))]));
    assert_eq!(records[2].change.old_image, item("S#1", "META", &[("status", s("drafted"))]));
    assert!(records[2].change.new_image.is_empty());
    let seqs: Vec<&str> = records.iter().map(|r| r.change.sequence_number.as_deref().unwrap()).collect();
    let mut sorted = seqs.clone();
    sorted.sort_by_key(|s| (s.len(), *s));
    assert_eq!(seqs, sorted, "sequence numbers grow");
    // The records are what a Lambda gets: they go through the Lambda event's JSON form unchanged.
    let mut event = StreamEvent::default();
    event.records = records.clone();
    let json = serde_json::to_value(&event).unwrap();
    let back: StreamEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back.records.len(), 3);
    assert_eq!(back.records[1].change.new_image, records[1].change.new_image);
}

async fn the_stream_reads_on_after_a_sequence_number(b: Backend) {
    for i in 0..4 {
        b.tables.put(Table::Alerts, item("R", &i.to_string(), &[]), Condition::Always).await.unwrap();
    }
    let first = b.stream.read(Table::Alerts, None, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let after = first[1].change.sequence_number.clone().unwrap();
    let rest = b.stream.read(Table::Alerts, Some(&after), 100).await.unwrap();
    let sks: Vec<&str> = rest.iter().map(|r| shared::ports::tables::attr_str(&r.change.keys, "sk").unwrap()).collect();
    assert_eq!(sks, ["2", "3"]);
    assert!(b.stream.read(Table::Alerts, rest[1].change.sequence_number.as_deref(), 100).await.unwrap().is_empty());
}

async fn a_write_that_changes_nothing_makes_no_stream_record(b: Backend) {
    let it = item("N", "1", &[("status", s("draft"))]);
    b.tables.put(Table::Alerts, it.clone(), Condition::Always).await.unwrap();
    b.tables.put(Table::Alerts, it.clone(), Condition::Always).await.unwrap();
    b.tables.update(Table::Alerts, &Key::new("N", "1"), Update::default().set("status", s("draft")), Condition::Exists).await.unwrap();
    b.tables.delete(Table::Alerts, &Key::new("N", "absent"), Condition::Always).await.unwrap();
    b.tables.update(Table::Alerts, &Key::new("N", "1"), Update::default().set("status", s("held")), Condition::Exists).await.unwrap();
    let names: Vec<String> = b.stream.read(Table::Alerts, None, 100).await.unwrap().into_iter().map(|r| r.event_name).collect();
    assert_eq!(names, ["INSERT", "MODIFY"]);
}

/// Fails chosen records (by sort key) a set number of times, and notes every record it was given.
struct Flaky {
    fail: Mutex<std::collections::HashMap<String, u32>>,
    seen: Mutex<Vec<String>>,
}

impl Flaky {
    fn new(fail: &[(&str, u32)]) -> Self {
        Self { fail: Mutex::new(fail.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()), seen: Mutex::new(Vec::new()) }
    }
}

#[async_trait]
impl RecordHandler for Flaky {
    async fn handle_record(&self, r: &StreamRecord) -> Result<(), RecordError> {
        let sk = shared::ports::tables::attr_str(&r.change.keys, "sk").unwrap().to_owned();
        self.seen.lock().unwrap().push(sk.clone());
        let mut fail = self.fail.lock().unwrap();
        if let Some(n) = fail.get_mut(&sk).filter(|n| **n > 0) {
            *n -= 1;
            return Err(format!("injected failure of {sk}").into());
        }
        Ok(())
    }
}

async fn a_partial_batch_failure_is_retried_from_the_failed_record(b: Backend) {
    for i in 0..5 {
        b.tables.put(Table::Alerts, item("B", &i.to_string(), &[]), Condition::Always).await.unwrap();
    }
    let handler = Flaky::new(&[("2", 1)]);
    let done = pump(b.stream.as_ref(), Table::Alerts, "deliver", &handler, 10, 3).await.unwrap();
    assert_eq!(done.delivered, 5);
    assert!(done.discarded.is_empty());
    // 0..2 once (nothing after a failure is started); then, from the failed record on, 2..4. Records before it are
    // not sent twice.
    assert_eq!(*handler.seen.lock().unwrap(), ["0", "1", "2", "2", "3", "4"]);
    // Nothing new: nothing more is delivered.
    assert_eq!(pump(b.stream.as_ref(), Table::Alerts, "deliver", &handler, 10, 3).await.unwrap().delivered, 0);
}

async fn a_record_that_keeps_failing_is_given_up_after_the_retries(b: Backend) {
    for i in 0..3 {
        b.tables.put(Table::Alerts, item("B", &i.to_string(), &[]), Condition::Always).await.unwrap();
    }
    let handler = Flaky::new(&[("1", u32::MAX)]);
    let done = pump(b.stream.as_ref(), Table::Alerts, "deliver", &handler, 10, 2).await.unwrap();
    assert_eq!(done.discarded.len(), 1);
    assert_eq!(done.delivered, 2, "the records around the bad one are delivered");
    let seen = handler.seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|s| *s == "1").count(), 3, "tried once and retried twice: {seen:?}");
}

// ---------------------------------------------------------------------------------------------------------------
// Retries over the real adapters

/// A shared adapter as an owned one, so the fault injector can wrap it.
struct ByRef<T: ?Sized>(Arc<T>);

#[async_trait]
impl Tables for ByRef<dyn Tables> {
    async fn get(&self, table: Table, key: &Key) -> Result<Option<Item>, StoreError> {
        self.0.get(table, key).await
    }
    async fn put(&self, table: Table, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.0.put(table, item, condition).await
    }
    async fn update(&self, table: Table, key: &Key, update: Update, condition: Condition) -> Result<Item, StoreError> {
        self.0.update(table, key, update, condition).await
    }
    async fn delete(&self, table: Table, key: &Key, condition: Condition) -> Result<(), StoreError> {
        self.0.delete(table, key, condition).await
    }
    async fn query(&self, table: Table, query: Query) -> Result<Page, StoreError> {
        self.0.query(table, query).await
    }
    async fn expire_due(&self, table: Table, now: i64) -> Result<usize, StoreError> {
        self.0.expire_due(table, now).await
    }
}

#[async_trait]
impl EmailSender for ByRef<dyn EmailSender> {
    async fn send_email(&self, message: &EmailMessage, key: &str) -> Result<shared::ports::messaging::MessageId, SendError> {
        self.0.send_email(message, key).await
    }
}

const QUICK: RetryPolicy =
    RetryPolicy { max_attempts: 4, base_delay: std::time::Duration::from_millis(5), max_delay: std::time::Duration::from_millis(20) };

async fn throttled_table_calls_are_retried_and_succeed(b: Backend) {
    let tables = Retrying::new(Faulty::new(ByRef(b.tables.clone())), QUICK);
    tables.inner().fail_next(3, Fault::Throttled);
    tables.put(Table::Reports, item("T", "1", &[]), Condition::NotExists).await.unwrap();
    assert_eq!(tables.inner().calls(), 4);
    tables.inner().fail_next(2, Fault::Throttled);
    let page = tables.query(Table::Reports, Query::partition(Index::Primary, "T")).await.unwrap();
    assert_eq!(page.items.len(), 1);
}

async fn a_permanent_failure_reaches_the_caller_at_once(b: Backend) {
    let tables = Retrying::new(Faulty::new(ByRef(b.tables.clone())), QUICK);
    tables.inner().fail_next(1, Fault::Permanent);
    assert!(matches!(tables.put(Table::Reports, item("T", "1", &[]), Condition::Always).await, Err(StoreError::Other(_))));
    assert_eq!(tables.inner().calls(), 1);
    assert_eq!(b.tables.get(Table::Reports, &Key::new("T", "1")).await.unwrap(), None);
    // A failed condition from the real table is final too.
    b.tables.put(Table::Reports, item("T", "2", &[]), Condition::Always).await.unwrap();
    assert!(matches!(tables.put(Table::Reports, item("T", "2", &[]), Condition::NotExists).await, Err(StoreError::ConditionFailed)));
    assert_eq!(tables.inner().calls(), 2);
}

async fn put_new_many_behind_the_retry_wrapper_retries_each_put_on_its_own(b: Backend) {
    // As a Lambda has it: the retry wrapper around the adapter, so the fan-out is one put per item, each retried alone.
    for i in (0..100).step_by(10) {
        b.tables.put(Table::Alerts, item("R", &format!("{i:03}"), &[("v", s("old"))]), Condition::Always).await.unwrap();
    }
    let tables = Retrying::new(Faulty::new(ByRef(b.tables.clone())), QUICK);
    tables.inner().fail_next(3, Fault::Throttled);
    let items: Vec<Item> = (0..100).map(|i| item("R", &format!("{i:03}"), &[("v", s("new"))])).collect();
    assert_eq!(tables.put_new_many(Table::Alerts, items).await.unwrap(), 90);
    // One put per item and one more for each throttled one; a throttled put of an item already there may be read
    // back once (was it the first attempt that landed?).
    let calls = tables.inner().calls();
    assert!((103..=106).contains(&calls), "{calls} calls");
    let all = shared::ports::tables::query_all(b.tables.as_ref(), Table::Alerts, Query::partition(Index::Primary, "R")).await.unwrap();
    assert_eq!(all.len(), 100);
    assert_eq!(all.iter().filter(|i| attr(i, "v") == Some(&s("old"))).count(), 10, "what was there is left alone");
}

async fn a_throttled_email_is_retried_and_sent_once(b: Backend) {
    let email = Retrying::new(Faulty::new(ByRef(b.email.clone())), QUICK);
    let t = token();
    let to = format!("retry-{t}@example.net");
    email.inner().fail_next(2, Fault::Throttled);
    let m = EmailMessage { to: Email::parse(&to).unwrap(), subject: "s".into(), text: "t".into(), unsubscribe_url: None };
    email.send_email(&m, "k").await.unwrap();
    assert_eq!(email.inner().calls(), 3);
    email.inner().fail_next(1, Fault::Permanent);
    assert!(matches!(email.send_email(&m, "k").await, Err(SendError::Rejected(_))));
    assert_eq!(b.sent("email").await.into_iter().filter(|s| s.to == to).count(), 1);
}
