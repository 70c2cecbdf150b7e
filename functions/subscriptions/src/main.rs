//! The Lambda behind `POST /subscriptions`, `POST /subscriptions/verify`, `GET|POST /unsubscribe` and the members'
//! page `GET /alerts/{id}`, and the reporter's follow-up (`/follow-up...`): the composition root.
//!
//! Least privilege: the subscribers table (read and write), GetItem on the alerts table for the members' page, the
//! data key (GenerateDataKey/Decrypt for the contact keyring and alerts) and GenerateMac on the HMAC key; for the
//! follow-up, reads and adds on the reports table and the data key under kind `message` only.

mod http_handler;

use std::sync::Arc;

use shared::adapters::aws::CoreClients;
use shared::ports::{SystemClock, Table};
use shared::ratelimit::Limiter;
use shared::usecases::subscriptions::{CodeLimits, SubscriptionDeps, Vetting};

// Lambda hands an instance one event at a time: one thread, no pool of workers to start (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    // A budget that is not a number stops start-up with a sentence naming CODE_BUDGET_PER_DAY.
    CodeLimits::from_env()?;
    // Vetting is on unless the deployment says VETTING=off; anything else stops start-up.
    let vetting = Vetting::from_env()?;
    let core = CoreClients::from_env(&[Table::Subscribers, Table::Alerts, Table::Reports], true).await?;
    let deps = SubscriptionDeps { tables: core.tables, keys: core.keys, clock: Arc::new(SystemClock) };
    let limiter = Limiter::default();
    tracing::info!("subscriptions ready");
    lambda_http::run(lambda_http::service_fn(|req| http_handler::function_handler(&deps, &limiter, vetting, req))).await
}
