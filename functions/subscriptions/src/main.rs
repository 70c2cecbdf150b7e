//! The Lambda behind `POST /subscriptions`, `POST /subscriptions/verify`, `GET|POST /unsubscribe` and the members'
//! page `GET /alerts/{id}`: the composition root.
//!
//! Least privilege: the subscribers table (read and write), GetItem on the alerts table for the members' page, the
//! data key (GenerateDataKey/Decrypt for the contact keyring and alerts) and GenerateMac on the HMAC key.

mod http_handler;

use std::sync::Arc;

use anyhow::Context;
use shared::adapters::aws::{DynamoTables, KmsKeys, load_sdk_config};
use shared::adapters::{RetryPolicy, Retrying};
use shared::config::{DataKeyConfig, MacKeyConfig, TableNames};
use shared::ports::{SystemClock, Table};
use shared::ratelimit::Limiter;
use shared::usecases::subscriptions::SubscriptionDeps;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let names = TableNames::from_env(&[Table::Subscribers, Table::Alerts])?;
    let data_key = DataKeyConfig::from_env()?;
    let mac_key = MacKeyConfig::from_env()?;

    let sdk = load_sdk_config().await;
    let tables = DynamoTables::new(aws_sdk_dynamodb::Client::new(&sdk), names);
    let keys = KmsKeys::new(aws_sdk_kms::Client::new(&sdk), data_key.data_key_id, Some(mac_key.mac_key_id));
    tables.warm_up(Table::Subscribers).await.context("the subscribers table cannot be reached")?;
    keys.warm_up().await.context("the data key cannot be reached")?;

    let policy = RetryPolicy::default();
    let deps = SubscriptionDeps {
        tables: Arc::new(Retrying::new(tables, policy)),
        keys: Arc::new(Retrying::new(keys, policy)),
        clock: Arc::new(SystemClock),
    };
    let limiter = Limiter::default();
    tracing::info!("subscriptions ready");
    lambda_http::run(lambda_http::service_fn(|req| http_handler::function_handler(&deps, &limiter, req))).await
}
