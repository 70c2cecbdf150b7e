//! Tells the staff on duty that something waits for them, and nothing more: the composition root.
//!
//! Two triggers: the reports table's stream (a new report opens its case where the reporter allowed contact, and the
//! caseworkers on duty are sent a notice without any content), and an EventBridge Scheduler schedule every minute
//! (reviewers on duty are reminded of drafts that waited past `DRAFT_REMINDER_MINUTES`), and an hourly schedule that
//! applies the retention policy (`usecases::retention`: a closed case's private parts and their keys deleted after
//! their period, each deletion counted in the audit log).
//!
//! Least privilege: never opens a report (Decrypt under the rota's context only: staff contacts); writes only case,
//! marker and mirror attributes to the reports table; reads the alerts table's index of drafts; SES from the
//! configured identity and SNS to phone numbers.

mod event_handler;

use std::sync::Arc;

use shared::adapters::aws::{CoreClients, SesEmail, SnsSms};
use shared::adapters::{RetryPolicy, Retrying};
use shared::config::{EmailConfig, Env, SiteConfig, SmsConfig};
use shared::ports::{SystemClock, Table};
use shared::usecases::duty::{ArrivalHandler, DutyDeps, reminder_minutes_from};

// Lambda hands an instance one event at a time: one thread, no pool of workers to start (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let email = EmailConfig::from_env()?;
    let sms = SmsConfig::from_env()?;
    let site = SiteConfig::from_env()?;
    let draft_reminder_minutes = reminder_minutes_from(&Env)?;
    let core = CoreClients::from_env(&[Table::Reports, Table::Alerts, Table::Audit], false).await?;
    let policy = RetryPolicy::default();
    let deps = DutyDeps {
        tables: core.tables,
        keys: core.keys,
        clock: Arc::new(SystemClock),
        email: Arc::new(Retrying::new(SesEmail::new(core.aws.clone(), email), policy)),
        sms: Arc::new(Retrying::new(SnsSms::new(core.aws.clone(), sms), policy)),
        site_url: site.site_url,
        draft_reminder_minutes,
    };
    let arrivals = ArrivalHandler { deps };
    tracing::info!("staff-notices ready");
    lambda_runtime::run(lambda_runtime::service_fn(|event| event_handler::function_handler(&arrivals, event))).await
}
