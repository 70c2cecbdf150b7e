//! The Lambda behind every `/admin` path: the composition root.
//!
//! Staff identity comes from the HTTP API's JWT authorizer (Cognito); the function checks the issuer, audience, expiry
//! and role group again (`STAFF_ISSUER`, `STAFF_AUDIENCE`) and never reads a bearer token itself, so a token minted by
//! `num staff token` can authorise nothing here. Least privilege: see infra/template.yaml (alerts, reports read,
//! audit, subscribers for the help desk; the data key with the reports, alerts and contact-key contexts; the HMAC key).

mod http_handler;

use std::sync::Arc;

use shared::adapters::aws::CoreClients;
use shared::http::admin::{AdminDeps, StaffAuth};
use shared::lambda::StaffIdentityConfig;
use shared::ports::{SystemClock, Table};
use shared::ratelimit::Limiter;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::init_logging(env!("CARGO_PKG_NAME"));
    let identity = StaffIdentityConfig::from_env()?;
    let core = CoreClients::from_env(&[Table::Alerts, Table::Reports, Table::Audit, Table::Subscribers], true).await?;
    let deps = AdminDeps {
        tables: core.tables,
        keys: core.keys,
        clock: Arc::new(SystemClock),
        auth: StaffAuth::Authorizer,
        limiter: Arc::new(Limiter::default()),
    };
    tracing::info!("admin-api ready");
    lambda_http::run(lambda_http::service_fn(|req| http_handler::function_handler(&deps, &identity, req))).await
}
