//! One batch from either stream (the alerts table's or the subscribers table's). Each record goes to the handler for
//! its item kind (subscriptions to the code sender, everything else to the alert handler, which ignores what is not
//! an alert or a delivery), through the one batch runner, so the answer is the one the embedded poller would get.

use async_trait::async_trait;
use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_runtime::LambdaEvent;
use shared::ports::stream::{StreamHandler, StreamRecord};
use shared::ports::tables::attr_str;
use shared::stream_batch::{RecordError, RecordHandler};
use shared::usecases::deliver::{AlertStreamHandler, SubscriberStreamHandler};
use shared::usecases::subscriptions::SUBSCRIPTION_KIND;

pub struct Handlers {
    pub alerts: AlertStreamHandler,
    pub subscribers: SubscriberStreamHandler,
}

#[async_trait]
impl RecordHandler for Handlers {
    fn concurrency(&self) -> usize {
        self.alerts.concurrency().min(self.subscribers.concurrency())
    }

    async fn handle_record(&self, record: &StreamRecord) -> Result<(), RecordError> {
        if attr_str(&record.change.new_image, "kind") == Some(SUBSCRIPTION_KIND) {
            self.subscribers.handle_record(record).await
        } else {
            self.alerts.handle_record(record).await
        }
    }
}

pub async fn function_handler(h: &Handlers, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    Ok(h.handle(event.payload).await)
}
