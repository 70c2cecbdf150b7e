//! One batch of the reports stream, through the one batch runner (see `shared::stream_batch`).

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_runtime::LambdaEvent;
use shared::ports::stream::StreamHandler;

pub async fn function_handler(
    handler: &dyn StreamHandler,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    Ok(handler.handle(event.payload).await)
}
