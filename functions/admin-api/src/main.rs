//! The Lambda behind every `/admin` path: the composition root.
//!
//! Staff identity comes from the HTTP API's JWT authorizer (Cognito); the function checks the issuer, audience, expiry
//! and role group again (`STAFF_ISSUER`, `STAFF_AUDIENCE`) and never reads a bearer token itself, so a token minted by
//! `num staff token` can authorise nothing here. Least privilege: see infra/template.yaml (alerts, reports read,
//! audit, subscribers for the help desk; the data key with the reports, alerts and contact-key contexts; the HMAC key).

mod http_handler;

use std::sync::Arc;

use anyhow::Context;
use shared::adapters::aws::{DynamoTables, KmsKeys, load_sdk_config};
use shared::adapters::{RetryPolicy, Retrying};
use shared::config::{DataKeyConfig, MacKeyConfig, TableNames};
use shared::http::admin::{AdminDeps, StaffAuth};
use shared::lambda::StaffIdentityConfig;
use shared::ports::{SystemClock, Table};
use shared::ratelimit::Limiter;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let names = TableNames::from_env(&[Table::Alerts, Table::Reports, Table::Audit, Table::Subscribers])?;
    let data_key = DataKeyConfig::from_env()?;
    let mac_key = MacKeyConfig::from_env()?;
    let identity = StaffIdentityConfig::from_env()?;

    let sdk = load_sdk_config().await;
    let tables = DynamoTables::new(aws_sdk_dynamodb::Client::new(&sdk), names);
    let keys = KmsKeys::new(aws_sdk_kms::Client::new(&sdk), data_key.data_key_id, Some(mac_key.mac_key_id));
    tables.warm_up(Table::Alerts).await.context("the alerts table cannot be reached")?;
    keys.warm_up().await.context("the data key cannot be reached")?;

    let policy = RetryPolicy::default();
    let keys: Arc<dyn shared::ports::KeyService> = Arc::new(Retrying::new(keys, policy));
    let deps = AdminDeps {
        tables: Arc::new(Retrying::new(tables, policy)),
        keys,
        clock: Arc::new(SystemClock),
        auth: StaffAuth::Authorizer,
        limiter: Arc::new(Limiter::default()),
    };
    tracing::info!("admin-api ready");
    lambda_http::run(lambda_http::service_fn(|req| http_handler::function_handler(&deps, &identity, req))).await
}
