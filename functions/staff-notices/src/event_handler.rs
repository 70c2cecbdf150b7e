//! One invocation: a batch of the reports stream (it has `Records`), the retention schedule's tick
//! (`{"schedule": "retention"}`), or the staff-notices schedule's tick (anything else).

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use shared::ports::stream::StreamHandler;
use shared::usecases::duty::{ArrivalHandler, run_scheduled};

pub async fn function_handler(arrivals: &ArrivalHandler, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    if event.payload.get("schedule").and_then(Value::as_str) == Some("retention") {
        // The retention policy (`usecases::retention`): an error fails the run, and the next tick carries on where
        // this one stopped.
        let done = shared::usecases::retention::run(&arrivals.deps.core()).await?;
        Ok(serde_json::to_value(done)?)
    } else if event.payload.get("Records").is_some() {
        // New reports: their cases are opened and the caseworkers on duty told. Failures are answered record by
        // record (ReportBatchItemFailures), so the stream retries exactly those.
        let batch: Event = serde_json::from_value(event.payload)?;
        Ok(serde_json::to_value(arrivals.handle(batch).await)?)
    } else {
        // The schedule: drafts that waited too long. An error fails the run, and the next tick tries again (every
        // reminder already sent is marked, so none goes twice).
        let done = run_scheduled(&arrivals.deps).await?;
        tracing::info!(drafts_waiting = done.drafts_waiting, reminders_sent = done.reminders_sent, "scheduled staff notices");
        Ok(serde_json::to_value(done)?)
    }
}
