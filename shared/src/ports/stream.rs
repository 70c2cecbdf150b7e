//! Change streams. In the cloud Lambda polls a table's DynamoDB stream and calls a handler with a batch; on one
//! machine the embedded tables keep a change log that yields records of the very same shape, and a poller (see
//! `adapters::stream_poller`) plays Lambda's part, honouring partial batch failures.

use async_trait::async_trait;
pub use aws_lambda_events::dynamodb::{Event as StreamEvent, EventRecord as StreamRecord};
pub use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use super::tables::{StoreError, Table};

/// What a stream record says happened to its item (the record's `eventName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Insert,
    Modify,
    Remove,
}

impl Change {
    /// The change a record describes; `None` for a name DynamoDB does not send.
    pub fn of(record: &StreamRecord) -> Option<Self> {
        match record.event_name.as_str() {
            "INSERT" => Some(Change::Insert),
            "MODIFY" => Some(Change::Modify),
            "REMOVE" => Some(Change::Remove),
            _ => None,
        }
    }
}

/// Reads a table's change log in order.
#[async_trait]
pub trait ChangeStream: Send + Sync {
    /// Up to `limit` records of `table` with a sequence number greater than `after` (all, when `None`), oldest first.
    async fn read(&self, table: Table, after: Option<&str>, limit: usize) -> Result<Vec<StreamRecord>, StoreError>;
    /// The last sequence number a consumer has finished with.
    async fn checkpoint(&self, consumer: &str) -> Result<Option<String>, StoreError>;
    /// Records that a consumer has finished with everything up to and including `sequence`.
    async fn set_checkpoint(&self, consumer: &str, sequence: &str) -> Result<(), StoreError>;
}

/// A stream handler: what a Lambda on a table stream does with one batch. It answers with the sequence numbers of
/// the records that failed; Lambda (or the poller) retries from the first of them.
#[async_trait]
pub trait StreamHandler: Send + Sync {
    async fn handle(&self, event: StreamEvent) -> DynamoDbEventResponse;
}

/// The answer for a batch in which the records with these sequence numbers failed.
pub fn batch_failures(sequence_numbers: impl IntoIterator<Item = String>) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for seq in sequence_numbers {
        let mut f = DynamoDbBatchItemFailure::default();
        f.item_identifier = Some(seq);
        response.batch_item_failures.push(f);
    }
    response
}
