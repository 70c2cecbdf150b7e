//! Lambda's part on one machine: reads a table's change log from a consumer's checkpoint, hands batches to a stream
//! handler, and honours partial batch failures as Lambda does with `ReportBatchItemFailures`: the checkpoint moves up
//! to the record before the first failure, and the batch is retried from there after a backoff. A record that keeps
//! failing past `max_retries` is set aside (logged, and kept in the dead-letter list) so the records behind it flow,
//! as an OnFailure destination would.

use std::sync::Arc;
use std::time::Duration;

use crate::ports::StoreError;
use crate::ports::stream::{ChangeStream, StreamEvent, StreamHandler};
use crate::ports::tables::Table;

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
            let first_failed = response.batch_item_failures.iter().filter_map(|f| f.item_identifier.clone()).min();
            let Some(first_failed) = first_failed else {
                self.stream.set_checkpoint(&self.consumer, &last).await?;
                return Ok(polled);
            };
            polled.failed += 1;
            // Everything before the first failure is done.
            if let Some(done) = records.iter().filter_map(|r| r.change.sequence_number.clone()).take_while(|s| *s < first_failed).last() {
                self.stream.set_checkpoint(&self.consumer, &done).await?;
                retries = 0;
            }
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
                    tracing::warn!(consumer = %self.consumer, error.kind = %e, "stream poll failed");
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
