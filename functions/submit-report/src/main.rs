//! The Lambda behind `POST /reports`: the composition root. Configuration is read, the SDK configuration is loaded
//! and the clients are built once per container; the first connections open during start-up (the init phase), so the
//! first report does not pay for them.
//!
//! Least privilege: this function reads `REPORTS_TABLE` and `DATA_KEY_ID` only, and needs `dynamodb:PutItem` (and
//! `DescribeTable`) on the reports table, `kms:GenerateDataKey` (and `DescribeKey`) on the data key. Nothing that reads.

mod http_handler;

use std::sync::Arc;

use anyhow::Context;
use shared::adapters::aws::{DynamoTables, KmsKeys, load_sdk_config};
use shared::adapters::{RetryPolicy, Retrying};
use shared::config::{DataKeyConfig, TableNames};
use shared::ports::{SystemClock, Table};
use shared::usecases::submit_report::SubmitDeps;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_logging();
    let tables_config = TableNames::from_env(&[Table::Reports])?;
    let key_config = DataKeyConfig::from_env()?;

    let sdk = load_sdk_config().await;
    let tables = DynamoTables::new(aws_sdk_dynamodb::Client::new(&sdk), tables_config);
    let keys = KmsKeys::new(aws_sdk_kms::Client::new(&sdk), key_config.data_key_id, None);
    tables.warm_up(Table::Reports).await.context("the reports table cannot be reached")?;
    keys.warm_up().await.context("the data key cannot be reached")?;

    let policy = RetryPolicy::default();
    let deps = SubmitDeps {
        tables: Arc::new(Retrying::new(tables, policy)),
        keys: Arc::new(Retrying::new(keys, policy)),
        clock: Arc::new(SystemClock),
    };
    tracing::info!("submit-report ready");
    lambda_http::run(lambda_http::service_fn(|req| http_handler::function_handler(&deps, req))).await
}

/// JSON logs. Our crates log at `NUM_LOG` (info unless set; trace is refused), everything else at info at most: the
/// Lambda runtime logs whole events at trace, and an event here is a report.
fn init_logging() {
    let level = match std::env::var("NUM_LOG").as_deref() {
        Ok("error") => "error",
        Ok("warn") => "warn",
        Ok("debug") => "debug",
        _ => "info",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("info,shared={level},submit_report={level}"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .with_writer(std::io::stderr)
        .try_init();
}
