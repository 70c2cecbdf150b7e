//! Lambda's part on one machine: reads a table's change log from a consumer's checkpoint, hands batches to a stream
//! handler (which runs them with `stream_batch::run_batch`, as the Lambda handlers do), and honours partial batch failures as Lambda does with `ReportBatchItemFailures`: the checkpoint moves up
//! to the record before the first failure, and the batch is retried from there after a backoff. A record that keeps
//! failing past `max_retries` is set aside (logged, and kept in the dead-letter list) so the records behind it flow,
//! as an OnFailure destination would.

use std::sync::Arc;
use std::time::Duration;

use crate::ports::StoreError;
use crate::ports::stream::{ChangeStream, StreamEvent, StreamHandler};
use crate::ports::tables::Table;
use crate::stream_batch::retry_from;

pub struct StreamPoller {
    pub stream: Arc<dyn ChangeStream>,
    pub table: Table,
    /// The consumer's name: its checkpoint is kept under it.
    pub consumer: String,
    pub handler: Arc<dyn StreamHandler>,
    pub batch_size: usize,
    pub max_retries: u32,
    /// The first backoff after a failure; doubled each retry.
    pub backoff: Duration,
    /// Sequence numbers set aside after too many failures.
    pub dead_letters: std::sync::Mutex<Vec<String>>,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Polled {
    pub records: usize,
    pub failed: usize,
}

impl StreamPoller {
    pub fn new(stream: Arc<dyn ChangeStream>, table: Table, consumer: &str, handler: Arc<dyn StreamHandler>) -> Self {
        Self {
            stream,
            table,
            consumer: consumer.to_owned(),
            handler,
            batch_size: 100,
            max_retries: 5,
            backoff: Duration::from_millis(200),
            dead_letters: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Reads one batch from the checkpoint and hands it over, retrying failed records with backoff until they pass or
    /// are set aside. Returns how many records the batch held.
    pub async fn poll_once(&self) -> Result<Polled, StoreError> {
        let mut retries = 0u32;
        let mut polled = Polled::default();
        loop {
            let from = self.stream.checkpoint(&self.consumer).await?;
            let records = self.stream.read(self.table, from.as_deref(), self.batch_size).await?;
            if records.is_empty() {
                return Ok(polled);
            }
            polled.records = polled.records.max(records.len());
            let last = records.last().and_then(|r| r.change.sequence_number.clone()).unwrap_or_default();
            let mut event = StreamEvent::default();
            event.records = records.clone();
            let response = self.handler.handle(event).await;
            // Where Lambda would retry from, by position in the batch (sequence numbers are not ordered as strings).
            let Some(first_failed) = retry_from(&records, &response) else {
                self.stream.set_checkpoint(&self.consumer, &last).await?;
                return Ok(polled);
            };
            polled.failed += 1;
            // Everything before the first failure is done.
            if let Some(done) = first_failed.checked_sub(1).and_then(|i| records[i].change.sequence_number.as_deref()) {
                self.stream.set_checkpoint(&self.consumer, done).await?;
                retries = 0;
            }
            let first_failed = records[first_failed].change.sequence_number.clone().unwrap_or_default();
            retries += 1;
            if retries > self.max_retries {
                tracing::error!(consumer = %self.consumer, sequence = %first_failed, "stream record set aside after repeated failures");
                self.dead_letters.lock().unwrap_or_else(|e| e.into_inner()).push(first_failed.clone());
                self.stream.set_checkpoint(&self.consumer, &first_failed).await?;
                return Ok(polled);
            }
            tokio::time::sleep(self.backoff * 2u32.saturating_pow(retries - 1)).await;
        }
    }

    /// Polls until the log holds nothing new (for tests, benchmarks and tools).
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let p = self.poll_once().await?;
            if p.records == 0 {
                return Ok(total);
            }
            total += p.records;
        }
    }

    /// Polls for ever, sleeping briefly when there is nothing to do. Stops when `stop` resolves, between batches.
    pub async fn run(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let idle = match self.poll_once().await {
                Ok(p) => p.records == 0,
                Err(e) => {
                    tracing::warn!(consumer = %self.consumer, error.kind = %crate::error::Chain(&e), "stream poll failed");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::adapters::SqliteTables;
    use crate::ports::stream::{StreamHandler, StreamRecord};
    use crate::ports::tables::{Condition, Item, Tables, attr_str, s};
    use crate::stream_batch::{RecordError, RecordHandler};

    /// Fails the records whose sort key is listed, `times` times each; notes what it was given.
    struct FailsOn {
        fail: Mutex<Vec<(String, u32)>>,
        seen: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl RecordHandler for FailsOn {
        fn concurrency(&self) -> usize {
            4
        }
        async fn handle_record(&self, r: &StreamRecord) -> Result<(), RecordError> {
            let sk = attr_str(&r.change.keys, "sk").unwrap_or_default().to_owned();
            self.seen.lock().unwrap().push(sk.clone());
            let mut fail = self.fail.lock().unwrap();
            match fail.iter_mut().find(|(k, n)| *k == sk && *n > 0) {
                Some((_, n)) => {
                    *n -= 1;
                    Err("injected".into())
                }
                None => Ok(()),
            }
        }
    }

    #[tokio::test]
    async fn the_poller_retries_exactly_what_the_lambda_handler_answers_for_the_same_batch() {
        let tables = Arc::new(SqliteTables::in_memory().unwrap());
        for i in 0..6 {
            let mut item = Item::default();
            item.insert("pk".into(), s(format!("P{i}")));
            item.insert("sk".into(), s(i.to_string()));
            tables.put(Table::Alerts, item, Condition::Always).await.unwrap();
        }
        let records = tables.read(Table::Alerts, None, 100).await.unwrap();
        let seqs: Vec<String> = records.iter().map(|r| r.change.sequence_number.clone().unwrap()).collect();
        let handler = |times| Arc::new(FailsOn { fail: Mutex::new(vec![("3".into(), times)]), seen: Mutex::new(Vec::new()) });

        // What the Lambda handler answers for this batch: record 3 and all after it.
        let mut event = StreamEvent::default();
        event.records = records;
        let lambda = handler(1).handle(event).await;
        let answered: Vec<String> = lambda.batch_item_failures.iter().filter_map(|f| f.item_identifier.clone()).collect();
        assert_eq!(answered, seqs[3..]);

        // The poller, given the same batch, keeps 0..2 as done and retries from 3 once: nothing before 3 runs twice.
        let h = handler(1);
        let mut poller = StreamPoller::new(tables.clone(), Table::Alerts, "test", h.clone());
        poller.backoff = Duration::from_millis(1);
        assert_eq!(poller.poll_once().await.unwrap(), Polled { records: 6, failed: 1 });
        let mut seen = h.seen.lock().unwrap().clone();
        seen[..4].sort();
        seen[4..].sort();
        assert_eq!(seen[..4], ["0", "1", "2", "3"], "records after the failure are not started");
        assert_eq!(seen[4..], ["3", "4", "5"], "the retry starts at the reported record");
        assert_eq!(tables.checkpoint("test").await.unwrap().as_deref(), Some(seqs[5].as_str()));

        // A record that keeps failing is set aside after the retries, and the rest flow.
        let h = handler(u32::MAX);
        let mut poller = StreamPoller::new(tables.clone(), Table::Alerts, "test-2", h.clone());
        poller.backoff = Duration::from_millis(1);
        poller.max_retries = 2;
        poller.drain().await.unwrap();
        assert_eq!(*poller.dead_letters.lock().unwrap(), [seqs[3].clone()]);
        assert_eq!(h.seen.lock().unwrap().iter().filter(|s| *s == "3").count(), 3);
        assert_eq!(tables.checkpoint("test-2").await.unwrap().as_deref(), Some(seqs[5].as_str()));
    }
}
