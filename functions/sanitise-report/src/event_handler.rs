//! One batch of the reports stream.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_runtime::LambdaEvent;
use shared::ports::stream::StreamHandler;

pub async fn function_handler(
    handler: &dyn StreamHandler,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let records = event.payload.records.len();
    let response = handler.handle(event.payload).await;
    tracing::info!(records, failed = response.batch_item_failures.len(), "batch handled");
    Ok(response)
}
