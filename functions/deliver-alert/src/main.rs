//! Reads the alerts and subscribers streams: fans a published alert out to one delivery item per (alert, subscriber,
//! channel), sends each by SES or SNS once, and sends verification codes. The composition root.
//!
//! Least privilege: no access to the reports table at all. Decrypt under the alerts and contact-key contexts only,
//! through a five-minute cache of opened data keys, so one alert to ten thousand members costs a handful of KMS
//! calls. SES SendEmail from the configured identity and configuration set; SNS Publish to phone numbers.

mod event_handler;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use shared::adapters::aws::{DynamoTables, KmsKeys, SesEmail, SnsSms, load_sdk_config};
use shared::adapters::key_cache::CachedKeys;
use shared::adapters::{RetryPolicy, Retrying};
use shared::config::{DataKeyConfig, EmailConfig, SiteConfig, SmsConfig, TableNames};
use shared::ports::{SystemClock, Table};
use shared::usecases::deliver::{AlertStreamHandler, DeliverDeps, SubscriberStreamHandler};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let names = TableNames::from_env(&[Table::Alerts, Table::Subscribers])?;
    let data_key = DataKeyConfig::from_env()?;
    let email = EmailConfig::from_env()?;
    let sms = SmsConfig::from_env()?;
    let site = SiteConfig::from_env()?;

    let sdk = load_sdk_config().await;
    let tables = DynamoTables::new(aws_sdk_dynamodb::Client::new(&sdk), names);
    let keys = KmsKeys::new(aws_sdk_kms::Client::new(&sdk), data_key.data_key_id, None);
    tables.warm_up(Table::Alerts).await.context("the alerts table cannot be reached")?;
    keys.warm_up().await.context("the data key cannot be reached")?;

    let policy = RetryPolicy::default();
    let deps = DeliverDeps {
        tables: Arc::new(Retrying::new(tables, policy)),
        keys: Arc::new(CachedKeys::new(Retrying::new(keys, policy), Duration::from_secs(300))),
        email: Arc::new(Retrying::new(SesEmail::new(aws_sdk_sesv2::Client::new(&sdk), email), policy)),
        sms: Arc::new(Retrying::new(SnsSms::new(aws_sdk_sns::Client::new(&sdk), sms), policy)),
        clock: Arc::new(SystemClock),
        site_url: site.site_url,
    };
    let handlers =
        event_handler::Handlers { alerts: AlertStreamHandler::new(deps.clone()), subscribers: SubscriberStreamHandler::new(deps) };
    tracing::info!("deliver-alert ready");
    lambda_runtime::run(lambda_runtime::service_fn(|event| event_handler::function_handler(&handlers, event))).await
}
