//! Replies to texts, from the SNS topic a two-way SMS number publishes them to: the composition root. A reply whose
//! first word is STOP (or another stop word) ends text alerts to the number it came from; anything else is dropped.
//! A failure is an error to Lambda, which invokes again (SNS delivers asynchronously, with retries).
//!
//! Least privilege: GetItem, PutItem, UpdateItem and DeleteItem on the subscribers table (a membership is rewritten
//! without its text channel, the number's index released), GenerateMac for the number's blind index, and Decrypt of
//! the member's contact key alone, to seal their contacts again without the number.

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use shared::adapters::aws::CoreClients;
use shared::ports::{SystemClock, Table};
use shared::usecases::sms_replies::{SnsEvent, on_inbound_sms};
use shared::usecases::subscriptions::SubscriptionDeps;

// Lambda hands an instance one event at a time: one thread, no pool of workers to start (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let core = CoreClients::from_env(&[Table::Subscribers], true).await?;
    let deps = SubscriptionDeps { tables: core.tables, keys: core.keys, clock: Arc::new(SystemClock) };
    tracing::info!("sms-replies ready");
    lambda_runtime::run(lambda_runtime::service_fn(|event: LambdaEvent<SnsEvent>| {
        let deps = &deps;
        async move {
            for record in &event.payload.records {
                on_inbound_sms(deps, &record.sns.message).await.inspect_err(|e| {
                    tracing::error!(error.kind = %shared::error::Chain(e), "sms reply not acted on");
                })?;
            }
            Ok::<(), lambda_runtime::Error>(())
        }
    }))
    .await
}
