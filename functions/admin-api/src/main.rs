//! The Lambda behind every `/admin` path: the composition root.
//!
//! Staff identity comes from the HTTP API's JWT authorizer (Cognito); the function checks the issuer, audience, expiry
//! and role group again (`STAFF_ISSUER`, `STAFF_AUDIENCE`) and never reads a bearer token itself, so a token minted by
//! `num staff token` can authorise nothing here. Least privilege: see infra/template.yaml (alerts, reports read,
//! audit, subscribers for the help desk; the data key with the reports, alerts and contact-key contexts; the HMAC key).
//!
//! The staff console (`/staff/`) is served here too, with no authorizer in front: it signs staff in through Cognito's
//! managed login itself (`STAFF_LOGIN_URL`, returning to `SITE_URL`); without those (no custom domain) it answers
//! that it is not set up.

mod http_handler;
mod token_client;

use std::sync::Arc;

use shared::adapters::aws::CoreClients;
use shared::http::admin::{AdminDeps, StaffAuth};
use shared::http::console::oidc::Cognito;
use shared::http::console::{ConsoleDeps, SignIn};
use shared::lambda::StaffIdentityConfig;
use shared::ports::{SystemClock, Table};
use shared::ratelimit::Limiter;

// Lambda hands an instance one event at a time: one thread, no pool of workers to start (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
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
    let setting = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let console = match (setting("STAFF_LOGIN_URL"), setting("SITE_URL")) {
        (Some(login), Some(site)) => {
            let cognito = Cognito {
                login,
                client_id: identity.audience.clone(),
                issuer: identity.issuer.clone(),
                site: site.clone(),
                http: Arc::new(token_client::HttpsForm::new()?),
            };
            Some(ConsoleDeps { admin: deps.clone(), sign_in: SignIn::Cognito(Arc::new(cognito)), origin: Some(site) })
        }
        _ => None,
    };
    tracing::info!(console = console.is_some(), "admin-api ready");
    lambda_http::run(lambda_http::service_fn(|req| http_handler::function_handler(&deps, console.as_ref(), &identity, req))).await
}
