//! Lambda's part for DynamoDB streams in tests.
//!
//! `DynamoStreams` reads a table's stream from the emulator (DescribeTable for the stream ARN, DescribeStream,
//! GetShardIterator, GetRecords) and hands back `aws_lambda_events` records, the very shape a Lambda gets: it
//! implements the `ChangeStream` port, like the embedded SQLite change log.
//!
//! `pump` then plays the event source mapping over any `ChangeStream`: it reads batches after the consumer's
//! checkpoint, calls a `StreamHandler`, and honours a partial batch response: records before the first failed
//! sequence number are done, the batch is retried from that record, at most `max_retries` times; then, as Lambda does
//! with `MaximumRetryAttempts`, that record is given up (reported in `Pumped::discarded`) and the stream moves on.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_dynamodbstreams::types::{ShardIteratorType, StreamViewType as SdkViewType};
use shared::config::TableNames;
use shared::ports::stream::{ChangeStream, StreamEvent, StreamHandler, StreamRecord};
use shared::ports::{Item, StoreError, Table};
use shared::stream_batch::retry_from;

/// A table stream on the emulator, read through the DynamoDB Streams API.
pub struct DynamoStreams {
    dynamo: aws_sdk_dynamodb::Client,
    streams: aws_sdk_dynamodbstreams::Client,
    names: TableNames,
    region: String,
    arns: Mutex<HashMap<Table, String>>,
    checkpoints: Mutex<HashMap<String, String>>,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(anyhow::anyhow!("dynamodb streams {what}: {e}"))
}

impl DynamoStreams {
    pub fn new(sdk: &aws_config::SdkConfig, names: TableNames) -> Self {
        Self {
            dynamo: aws_sdk_dynamodb::Client::new(sdk),
            streams: aws_sdk_dynamodbstreams::Client::new(sdk),
            names,
            region: sdk.region().map(|r| r.to_string()).unwrap_or_default(),
            arns: Mutex::new(HashMap::new()),
            checkpoints: Mutex::new(HashMap::new()),
        }
    }

    async fn stream_arn(&self, table: Table) -> Result<String, StoreError> {
        if let Some(arn) = self.arns.lock().unwrap().get(&table) {
            return Ok(arn.clone());
        }
        let name = self.names.name(table).ok_or_else(|| StoreError::Other(anyhow::anyhow!("no table for {}", table.as_str())))?;
        let out = self.dynamo.describe_table().table_name(name).send().await.map_err(|e| unavailable("DescribeTable", e))?;
        let arn =
            out.table.and_then(|t| t.latest_stream_arn).ok_or_else(|| StoreError::Other(anyhow::anyhow!("table {name} has no stream")))?;
        self.arns.lock().unwrap().insert(table, arn.clone());
        Ok(arn)
    }

    /// Converts one SDK stream record into the record a Lambda receives.
    fn to_lambda(&self, table: Table, arn: &str, r: aws_sdk_dynamodbstreams::types::Record) -> StreamRecord {
        let mut rec = StreamRecord::default();
        let d = r.dynamodb.unwrap_or_else(|| aws_sdk_dynamodbstreams::types::StreamRecord::builder().build());
        rec.aws_region = r.aws_region.unwrap_or_else(|| self.region.clone());
        rec.event_id = r.event_id.unwrap_or_default();
        rec.event_name = r.event_name.map(|n| n.as_str().to_owned()).unwrap_or_default();
        rec.event_source = r.event_source;
        rec.event_version = r.event_version;
        rec.event_source_arn = Some(arn.to_owned());
        rec.table_name = self.names.name(table).map(str::to_owned);
        rec.change.keys = d.keys.map(Item::from).unwrap_or_default();
        rec.change.new_image = d.new_image.map(Item::from).unwrap_or_default();
        rec.change.old_image = d.old_image.map(Item::from).unwrap_or_default();
        rec.change.sequence_number = d.sequence_number;
        rec.change.size_bytes = d.size_bytes.unwrap_or_default();
        rec.change.stream_view_type = d.stream_view_type.and_then(|v| match v {
            SdkViewType::NewAndOldImages => Some(aws_lambda_events::dynamodb::StreamViewType::NewAndOldImages),
            SdkViewType::NewImage => Some(aws_lambda_events::dynamodb::StreamViewType::NewImage),
            SdkViewType::OldImage => Some(aws_lambda_events::dynamodb::StreamViewType::OldImage),
            SdkViewType::KeysOnly => Some(aws_lambda_events::dynamodb::StreamViewType::KeysOnly),
            _ => None,
        });
        if let Some(t) = d.approximate_creation_date_time {
            rec.change.approximate_creation_date_time = chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default();
        }
        rec
    }
}

#[async_trait]
impl ChangeStream for DynamoStreams {
    /// Reads the first shard (moto keeps one shard per table; real streams split shards over time, which this test
    /// bridge does not follow).
    async fn read(&self, table: Table, after: Option<&str>, limit: usize) -> Result<Vec<StreamRecord>, StoreError> {
        let arn = self.stream_arn(table).await?;
        let desc = self.streams.describe_stream().stream_arn(&arn).send().await.map_err(|e| unavailable("DescribeStream", e))?;
        let shard_id = desc
            .stream_description
            .and_then(|d| d.shards)
            .and_then(|s| s.into_iter().next())
            .and_then(|s| s.shard_id)
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("the stream has no shard")))?;
        let mut req = self.streams.get_shard_iterator().stream_arn(&arn).shard_id(shard_id);
        req = match after {
            Some(seq) => req.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(seq),
            None => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        let mut iterator = req.send().await.map_err(|e| unavailable("GetShardIterator", e))?.shard_iterator;
        let mut out = Vec::new();
        // Follow the shard's iterators while pages come back empty (a real shard may answer empty pages before its
        // records) or hold only records that real DynamoDB would not have written (see `is_noop`).
        for _ in 0..50 {
            let Some(it) = iterator.take() else { break };
            let page = self
                .streams
                .get_records()
                .shard_iterator(it)
                .limit(limit.clamp(1, 1000) as i32)
                .send()
                .await
                .map_err(|e| unavailable("GetRecords", e))?;
            let records = page.records.unwrap_or_default();
            if records.is_empty() {
                break;
            }
            out.extend(records.into_iter().map(|r| self.to_lambda(table, &arn, r)).filter(|r| !is_noop(r)));
            if !out.is_empty() {
                break;
            }
            iterator = page.next_shard_iterator;
        }
        out.truncate(limit);
        Ok(out)
    }

    async fn checkpoint(&self, consumer: &str) -> Result<Option<String>, StoreError> {
        Ok(self.checkpoints.lock().unwrap().get(consumer).cloned())
    }

    async fn set_checkpoint(&self, consumer: &str, sequence: &str) -> Result<(), StoreError> {
        self.checkpoints.lock().unwrap().insert(consumer.to_owned(), sequence.to_owned());
        Ok(())
    }
}

/// Moto writes a MODIFY record for a write that changes nothing (the same item put again, an attribute set to the
/// value it has); DynamoDB writes none. Dropping them here keeps the records what a Lambda would get.
fn is_noop(r: &StreamRecord) -> bool {
    r.event_name == "MODIFY" && r.change.old_image == r.change.new_image
}

/// What one `pump` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pumped {
    /// Handler calls made.
    pub batches: usize,
    /// Records the handler finished with.
    pub delivered: usize,
    /// Sequence numbers given up after `max_retries` retries.
    pub discarded: Vec<String>,
}

/// Plays the event source mapping until the stream has nothing more after the consumer's checkpoint.
pub async fn pump(
    stream: &dyn ChangeStream,
    table: Table,
    consumer: &str,
    handler: &dyn StreamHandler,
    batch_size: usize,
    max_retries: u32,
) -> Result<Pumped, StoreError> {
    let mut done = Pumped::default();
    let mut retries_of: HashMap<String, u32> = HashMap::new();
    loop {
        let after = stream.checkpoint(consumer).await?;
        let records = stream.read(table, after.as_deref(), batch_size).await?;
        if records.is_empty() {
            return Ok(done);
        }
        let seqs: Vec<String> = records.iter().map(|r| r.change.sequence_number.clone().unwrap_or_default()).collect();
        let mut event = StreamEvent::default();
        event.records = records.clone();
        let event_records = records;
        let response = handler.handle(event).await;
        done.batches += 1;
        // Lambda retries from the lowest failed sequence number in the batch; unknown identifiers fail the batch.
        let failed_at = retry_from(&event_records, &response);
        match failed_at {
            None => {
                done.delivered += seqs.len();
                stream.set_checkpoint(consumer, seqs.last().expect("a non-empty batch")).await?;
            }
            Some(i) => {
                done.delivered += i;
                if i > 0 {
                    stream.set_checkpoint(consumer, &seqs[i - 1]).await?;
                }
                let n = retries_of.entry(seqs[i].clone()).or_insert(0);
                *n += 1;
                if *n > max_retries {
                    done.discarded.push(seqs[i].clone());
                    stream.set_checkpoint(consumer, &seqs[i]).await?;
                }
            }
        }
    }
}
