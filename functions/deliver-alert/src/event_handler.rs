//! One batch from either stream. Records go to the handler for their item kind (subscriptions to the code sender,
//! everything else to the alert handler, which ignores what is not an alert or a delivery), so one function serves
//! both streams; the failures of both are reported together, in sequence order.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_runtime::LambdaEvent;
use shared::ports::stream::StreamHandler;
use shared::ports::tables::attr_str;
use shared::usecases::deliver::{AlertStreamHandler, SubscriberStreamHandler};
use shared::usecases::subscriptions::SUBSCRIPTION_KIND;

pub struct Handlers {
    pub alerts: AlertStreamHandler,
    pub subscribers: SubscriberStreamHandler,
}

pub async fn function_handler(h: &Handlers, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let records = event.payload.records.len();
    let (subs, rest): (Vec<_>, Vec<_>) =
        event.payload.records.into_iter().partition(|r| attr_str(&r.change.new_image, "kind") == Some(SUBSCRIPTION_KIND));
    let mut response = DynamoDbEventResponse::default();
    for (handler, records) in [(&h.subscribers as &dyn StreamHandler, subs), (&h.alerts as &dyn StreamHandler, rest)] {
        if !records.is_empty() {
            let mut e = Event::default();
            e.records = records;
            response.batch_item_failures.extend(handler.handle(e).await.batch_item_failures);
        }
    }
    response.batch_item_failures.sort_by(|a, b| a.item_identifier.cmp(&b.item_identifier));
    tracing::info!(records, failed = response.batch_item_failures.len(), "batch handled");
    Ok(response)
}
