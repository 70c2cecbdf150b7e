//! Reads the reports table's stream and drafts a sanitised alert for each new report that may be published: the
//! composition root. Partial batch failures are reported by sequence number (ReportBatchItemFailures).
//!
//! Least privilege: no read on the reports table beyond its stream (the new image carries the sealed report), Decrypt
//! under the reports context, GenerateDataKey under the alerts context, GenerateMac for alert ids, PutItem on alerts.

mod event_handler;

use std::sync::Arc;

use anyhow::Context;
use shared::adapters::aws::{DynamoTables, KmsKeys, load_sdk_config};
use shared::adapters::{RetryPolicy, Retrying};
use shared::config::{DataKeyConfig, MacKeyConfig, TableNames};
use shared::ports::{SystemClock, Table};
use shared::usecases::alerts::AlertDeps;
use shared::usecases::draft::SanitiseHandler;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let names = TableNames::from_env(&[Table::Alerts, Table::Reports])?;
    let data_key = DataKeyConfig::from_env()?;
    let mac_key = MacKeyConfig::from_env()?;

    let sdk = load_sdk_config().await;
    let tables = DynamoTables::new(aws_sdk_dynamodb::Client::new(&sdk), names);
    let keys = KmsKeys::new(aws_sdk_kms::Client::new(&sdk), data_key.data_key_id, Some(mac_key.mac_key_id));
    tables.warm_up(Table::Alerts).await.context("the alerts table cannot be reached")?;
    keys.warm_up().await.context("the data key cannot be reached")?;

    let policy = RetryPolicy::default();
    let handler = SanitiseHandler {
        deps: AlertDeps {
            tables: Arc::new(Retrying::new(tables, policy)),
            keys: Arc::new(Retrying::new(keys, policy)),
            clock: Arc::new(SystemClock),
        },
    };
    tracing::info!("sanitise-report ready");
    lambda_runtime::run(lambda_runtime::service_fn(|event| event_handler::function_handler(&handler, event))).await
}
