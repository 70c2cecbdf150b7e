//! Reads the reports table's stream and drafts a sanitised alert for each new report that may be published: the
//! composition root. Partial batch failures are reported by sequence number (ReportBatchItemFailures).
//!
//! Least privilege: no read on the reports table beyond its stream (the new image carries the sealed report), Decrypt
//! under the reports context, GenerateDataKey under the alerts context, GenerateMac for alert ids, PutItem on alerts.

mod event_handler;

use std::sync::Arc;

use shared::adapters::aws::CoreClients;
use shared::ports::{SystemClock, Table};
use shared::usecases::alerts::AlertDeps;
use shared::usecases::draft::SanitiseHandler;

// Lambda hands an instance one event at a time: one thread, no pool of workers to start (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let core = CoreClients::from_env(&[Table::Alerts, Table::Reports], true).await?;
    let handler = SanitiseHandler { deps: AlertDeps { tables: core.tables, keys: core.keys, clock: Arc::new(SystemClock) } };
    tracing::info!("sanitise-report ready");
    lambda_runtime::run(lambda_runtime::service_fn(|event| event_handler::function_handler(&handler, event))).await
}
