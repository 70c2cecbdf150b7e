//! One staff request: under `/staff` the console (its own session), else the staff API, where the authorizer's
//! claims become the staff identity; then the shared handler decides.

use lambda_http::Request;
use shared::http::admin::AdminDeps;
use shared::http::console::ConsoleDeps;
use shared::lambda::{Reply, StaffIdentityConfig, from_shared, to_shared};

pub async fn function_handler(
    deps: &AdminDeps,
    console: Option<&ConsoleDeps>,
    identity: &StaffIdentityConfig,
    req: Request,
) -> Result<Reply, lambda_http::Error> {
    let req = to_shared(req, Some(identity), deps.clock.now().timestamp());
    let path = req.uri().path();
    let res = if path == "/staff" || path.starts_with("/staff/") {
        match console {
            Some(c) => shared::http::console::handle(c, req).await,
            None => shared::http::console::unavailable(),
        }
    } else {
        shared::http::admin::handle(deps, req).await
    };
    Ok(from_shared(res))
}
