//! One way to run a batch of stream records, for every stream handler: in a Lambda (the event source mapping hands
//! the batch over) and in the embedded poller (`adapters::stream_poller`) alike, so both give the same answer.
//!
//! DynamoDB stream semantics, with `ReportBatchItemFailures`: a batch comes from one shard, in sequence order; the
//! answer names failed records by sequence number (never `eventID`), and the batch is retried from the lowest one
//! named. Everything after the first failure is therefore retried anyway, so the runner reports the first failed
//! record *and every record after it*, and starts no record after a failure it already knows of. Records of one item
//! (the same keys) run one after another in sequence order; records of different items run up to the handler's
//! [`RecordHandler::concurrency`] at once. One failed record never fails the records before it, and no error is
//! swallowed: a failed record is reported and logged (sequence number, event name, item kind and the error's kind,
//! never an image).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use futures::StreamExt;

use crate::ports::stream::{DynamoDbEventResponse, StreamEvent, StreamHandler, StreamRecord, batch_failures};
use crate::ports::tables::attr_str;

/// Why one record failed. Any error of a use case will do; its `Display` must carry ids and kinds only (it is logged).
pub type RecordError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a stream handler does with one record. The runner ([`run_batch`]) does the rest; every `RecordHandler` is a
/// [`StreamHandler`].
#[async_trait]
pub trait RecordHandler: Send + Sync {
    /// Records of different items this handler may work on at once (1: one record at a time). Records of one item
    /// always run in sequence order, one after another.
    fn concurrency(&self) -> usize {
        1
    }

    /// Handles one record: `Ok` when it is done or not for this handler. An error makes the stream retry this
    /// record (and those after it), so handling must be safe to repeat. A record that cannot be read (a decode
    /// error) is an error, not a skip.
    async fn handle_record(&self, record: &StreamRecord) -> Result<(), RecordError>;
}

#[async_trait]
impl<T: RecordHandler + ?Sized> StreamHandler for T {
    async fn handle(&self, event: StreamEvent) -> DynamoDbEventResponse {
        run_batch(self, &event.records).await
    }
}

/// The item a record changes: its keys (the new image's, failing that), so records of one item share a lane.
fn item_of(r: &StreamRecord) -> (Option<&str>, Option<&str>) {
    let keys = if r.change.keys.is_empty() { &r.change.new_image } else { &r.change.keys };
    (attr_str(keys, "pk"), attr_str(keys, "sk"))
}

fn sequence_number(r: &StreamRecord) -> String {
    r.change.sequence_number.clone().unwrap_or_default()
}

/// Runs `handler` over the records of one batch (one shard, in sequence order) and answers with the records to retry:
/// the first that failed and every one after it, by sequence number. An empty answer means all are done.
pub async fn run_batch<H: RecordHandler + ?Sized>(handler: &H, records: &[StreamRecord]) -> DynamoDbEventResponse {
    // Lanes: the positions of each item's records, in sequence order, lanes ordered by their first record.
    let mut lanes: Vec<Vec<usize>> = Vec::new();
    let mut lane_of: HashMap<(Option<&str>, Option<&str>), usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let lane = *lane_of.entry(item_of(r)).or_insert_with(|| {
            lanes.push(Vec::new());
            lanes.len() - 1
        });
        lanes[lane].push(i);
    }
    let first_failed = AtomicUsize::new(usize::MAX);
    let run_lane = |lane: Vec<usize>| {
        let first_failed = &first_failed;
        async move {
            for i in lane {
                // A record after a known failure is retried anyway: don't start it.
                if i > first_failed.load(Ordering::SeqCst) {
                    return;
                }
                let r = &records[i];
                if let Err(e) = handler.handle_record(r).await {
                    first_failed.fetch_min(i, Ordering::SeqCst);
                    tracing::error!(
                        sequence_number = %sequence_number(r),
                        event = %r.event_name,
                        item_kind = attr_str(&r.change.new_image, "kind").or(attr_str(&r.change.old_image, "kind")).unwrap_or("-"),
                        error.kind = %crate::error::Chain(e.as_ref()),
                        "stream record failed; the stream retries it"
                    );
                    // The item's later records wait for this one.
                    return;
                }
            }
        }
    };
    futures::stream::iter(lanes).map(run_lane).buffer_unordered(handler.concurrency().max(1)).collect::<()>().await;
    let first = first_failed.into_inner();
    let retry = records.get(first..).unwrap_or_default();
    if retry.iter().any(|r| r.change.sequence_number.is_none()) {
        // Lambda retries the whole batch when an answer names no record; nothing better is possible without a number.
        tracing::error!("a stream record to retry has no sequence number; the whole batch is retried");
    }
    tracing::info!(records = records.len(), retried = retry.len(), "stream batch handled");
    batch_failures(retry.iter().map(sequence_number))
}

/// Where a batch is retried from, given the answer: the position of the earliest record the answer names, `Some(0)`
/// (the whole batch) when it names something that is not in the batch, as Lambda does, and `None` when all are done.
pub fn retry_from(records: &[StreamRecord], answer: &DynamoDbEventResponse) -> Option<usize> {
    answer
        .batch_item_failures
        .iter()
        .map(|f| {
            f.item_identifier
                .as_deref()
                .and_then(|id| records.iter().position(|r| r.change.sequence_number.as_deref() == Some(id)))
                .unwrap_or(0)
        })
        .min()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::ports::tables::{Item, from_item, s};

    /// A batch of one shard: (item, label) per record, sequence numbers 95, 96, ... (of unequal length from 100 on,
    /// so that string order is not sequence order).
    fn batch(items: &[(&str, &str)]) -> Vec<StreamRecord> {
        items
            .iter()
            .enumerate()
            .map(|(i, (pk, label))| {
                let mut r = StreamRecord::default();
                r.event_name = "INSERT".into();
                r.event_id = format!("event-{i}");
                let mut keys = Item::default();
                keys.insert("pk".into(), s(*pk));
                keys.insert("sk".into(), s("META"));
                let mut image = keys.clone();
                image.insert("kind".into(), s("test"));
                image.insert("label".into(), s(*label));
                r.change.keys = keys;
                r.change.new_image = image;
                r.change.sequence_number = Some((95 + i).to_string());
                r
            })
            .collect()
    }

    fn event(records: Vec<StreamRecord>) -> StreamEvent {
        let mut e = StreamEvent::default();
        e.records = records;
        e
    }

    fn answered(r: &DynamoDbEventResponse) -> Vec<String> {
        r.batch_item_failures.iter().map(|f| f.item_identifier.clone().unwrap()).collect()
    }

    /// Fails the records whose label is listed; notes the order records were handled in.
    struct FailsOn {
        fail: Vec<&'static str>,
        concurrency: usize,
        seen: Mutex<Vec<String>>,
    }

    impl FailsOn {
        fn new(fail: &[&'static str], concurrency: usize) -> Self {
            Self { fail: fail.to_vec(), concurrency, seen: Mutex::new(Vec::new()) }
        }
        fn seen(&self) -> Vec<String> {
            self.seen.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl RecordHandler for FailsOn {
        fn concurrency(&self) -> usize {
            self.concurrency
        }
        async fn handle_record(&self, r: &StreamRecord) -> Result<(), RecordError> {
            let sk = attr_str(&r.change.new_image, "label").unwrap().to_owned();
            // Later records finish first, so order is kept by the runner, not by luck.
            let n: u64 = sk.trim_start_matches(char::is_alphabetic).parse().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(20u64.saturating_sub(n * 2))).await;
            self.seen.lock().unwrap().push(sk.clone());
            if self.fail.contains(&sk.as_str()) { Err(format!("injected failure of {sk}").into()) } else { Ok(()) }
        }
    }

    #[tokio::test]
    async fn a_batch_with_one_failing_record_in_the_middle_retries_it_and_every_record_after_it() {
        let records = batch(&[("A", "1"), ("B", "2"), ("C", "3"), ("D", "4"), ("E", "5"), ("F", "6"), ("G", "7")]);
        let handler = FailsOn::new(&["4"], 1);
        let answer = handler.handle(event(records.clone())).await;
        assert_eq!(answered(&answer), ["98", "99", "100", "101"], "by sequence number, from the failed record on");
        assert_eq!(handler.seen(), ["1", "2", "3", "4"], "nothing after a known failure is started");
        assert_eq!(retry_from(&records, &answer), Some(3));
    }

    #[tokio::test]
    async fn a_batch_that_passes_answers_nothing() {
        let records = batch(&[("A", "1"), ("B", "2"), ("C", "3")]);
        let answer = FailsOn::new(&[], 4).handle(event(records.clone())).await;
        assert!(answer.batch_item_failures.is_empty());
        assert_eq!(retry_from(&records, &answer), None);
    }

    #[tokio::test]
    async fn concurrent_records_still_answer_from_the_earliest_failure() {
        let records = batch(&[("A", "1"), ("B", "2"), ("C", "3"), ("D", "4"), ("E", "5"), ("F", "6")]);
        // Record 5 fails first in time (later records sleep less), then record 2: the answer starts at 2.
        let handler = FailsOn::new(&["2", "5"], 8);
        let answer = handler.handle(event(records)).await;
        assert_eq!(answered(&answer), ["96", "97", "98", "99", "100"]);
    }

    #[tokio::test]
    async fn records_of_one_item_run_in_sequence_order_and_wait_for_a_failure_before_them() {
        let records = batch(&[("A", "9"), ("X", "1"), ("B", "8"), ("X", "2"), ("X", "3")]);
        let handler = FailsOn::new(&["1"], 8);
        let answer = handler.handle(event(records)).await;
        assert_eq!(answered(&answer), ["96", "97", "98", "99"]);
        let seen = handler.seen();
        assert!(!seen.contains(&"2".to_owned()) && !seen.contains(&"3".to_owned()), "the item's later records waited: {seen:?}");
        assert!(seen.contains(&"9".to_owned()), "the record before the failure ran: {seen:?}");

        let handler = FailsOn::new(&[], 8);
        handler.handle(event(batch(&[("X", "1"), ("Y", "9"), ("X", "2"), ("X", "3")]))).await;
        let of_x: Vec<String> = handler.seen().into_iter().filter(|s| s != "9").collect();
        assert_eq!(of_x, ["1", "2", "3"], "one item's records in sequence order, though later ones sleep less");
    }

    /// Decodes each record as the use cases do.
    struct Decodes;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Needs {
        pk: String,
        count: i64,
    }

    #[async_trait]
    impl RecordHandler for Decodes {
        async fn handle_record(&self, r: &StreamRecord) -> Result<(), RecordError> {
            let _: Needs = from_item(r.change.new_image.clone())?;
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_record_that_cannot_be_decoded_is_a_failure_not_a_skip() {
        let mut records = batch(&[("A", "1"), ("B", "2"), ("C", "3")]);
        for (i, r) in records.iter_mut().enumerate() {
            if i != 1 {
                r.change.new_image.insert("count".into(), crate::ports::tables::AttributeValue::N("1".into()));
            }
        }
        let answer = Decodes.handle(event(records)).await;
        assert_eq!(answered(&answer), ["96", "97"]);
    }

    #[test]
    fn an_answer_naming_a_record_not_in_the_batch_retries_the_whole_batch() {
        let records = batch(&[("A", "1"), ("B", "2")]);
        assert_eq!(retry_from(&records, &batch_failures(["12345".to_owned()])), Some(0));
        assert_eq!(retry_from(&records, &batch_failures(["96".to_owned(), "95".to_owned()])), Some(0));
        assert_eq!(retry_from(&records, &batch_failures(["96".to_owned()])), Some(1));
    }
}
