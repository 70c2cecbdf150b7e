//! The Lambda behind `POST /reports`: the composition root. Configuration is read, and the AWS client and the
//! adapters are built once per container; the first connections open during start-up (the init phase), so the
//! first report does not pay for them.
//!
//! Least privilege: this function reads `REPORTS_TABLE` and `DATA_KEY_ID` only, and needs `dynamodb:PutItem` (and
//! `DescribeTable`) on the reports table, `kms:GenerateDataKey` (and `DescribeKey`) on the data key. Nothing that reads.

mod http_handler;

use std::sync::Arc;

use shared::adapters::aws::CoreClients;
use shared::ports::tables::insert_only;
use shared::ports::{SystemClock, Table};
use shared::usecases::submit_report::SubmitDeps;

// Lambda hands an instance one event at a time: one thread, no pool of workers to start (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let core = CoreClients::from_env(&[Table::Reports], false).await?;
    let deps = SubmitDeps { tables: insert_only(core.tables), keys: core.keys, clock: Arc::new(SystemClock) };
    tracing::info!("submit-report ready");
    lambda_http::run(lambda_http::service_fn(|req| http_handler::function_handler(&deps, req))).await
}
