//! One staff request: the authorizer's claims become the staff identity, then the shared handler decides.

use lambda_http::{Body, Request, Response};
use shared::http::admin::AdminDeps;
use shared::lambda::{StaffIdentityConfig, from_shared, to_shared};

pub async fn function_handler(
    deps: &AdminDeps,
    identity: &StaffIdentityConfig,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let req = to_shared(req, Some(identity), deps.clock.now().timestamp());
    Ok(from_shared(shared::http::admin::handle(deps, req).await))
}
