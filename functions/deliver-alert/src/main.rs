//! Reads the alerts and subscribers streams: fans a published alert out to one delivery item per (alert, subscriber,
//! channel), sends each by SES or SNS once, and sends verification codes. The composition root.
//!
//! Least privilege: no access to the reports table at all. Decrypt under the alerts and contact-key contexts only,
//! through a five-minute cache of opened data keys, so one alert to ten thousand members costs a handful of KMS
//! calls. SES SendEmail from the configured identity and configuration set; SNS Publish to phone numbers; both paced
//! to the configured send rates.

mod event_handler;

use std::sync::Arc;
use std::time::Duration;

use shared::adapters::aws::{CoreClients, SesEmail, SnsSms};
use shared::adapters::key_cache::CachedKeys;
use shared::adapters::{Paced, RetryPolicy, Retrying};
use shared::config::{EmailConfig, SendRates, SiteConfig, SmsConfig};
use shared::ports::{SystemClock, Table};
use shared::usecases::deliver::{AlertStreamHandler, DeliverDeps, SubscriberStreamHandler};

// Lambda hands an instance one event at a time: one thread, no pool of workers to start (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let email = EmailConfig::from_env()?;
    let sms = SmsConfig::from_env()?;
    let site = SiteConfig::from_env()?;
    let rates = SendRates::from_env()?;
    let core = CoreClients::from_env(&[Table::Alerts, Table::Subscribers], false).await?;
    let policy = RetryPolicy::default();
    let deps = DeliverDeps {
        tables: core.tables,
        keys: Arc::new(CachedKeys::new(core.keys, Duration::from_secs(300))),
        // Paced inside the retries: every attempt waits for its slot (docs/performance.md, "Fan-out").
        email: Arc::new(Retrying::new(Paced::new(SesEmail::new(core.aws.clone(), email), rates.email_per_second), policy)),
        sms: Arc::new(Retrying::new(Paced::new(SnsSms::new(core.aws.clone(), sms), rates.sms_per_second), policy)),
        clock: Arc::new(SystemClock),
        site_url: site.site_url,
    };
    let handlers =
        event_handler::Handlers { alerts: AlertStreamHandler::new(deps.clone()), subscribers: SubscriberStreamHandler::new(deps) };
    tracing::info!("deliver-alert ready");
    lambda_runtime::run(lambda_runtime::service_fn(|event| event_handler::function_handler(&handlers, event))).await
}
