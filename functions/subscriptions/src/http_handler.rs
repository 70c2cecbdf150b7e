//! One public subscription request, answered by the shared handler.

use lambda_http::Request;
use shared::lambda::{Reply, from_shared, to_shared};
use shared::ratelimit::Limiter;
use shared::usecases::subscriptions::{SubscriptionDeps, Vetting};

pub async fn function_handler(
    deps: &SubscriptionDeps,
    limiter: &Limiter,
    vetting: Vetting,
    req: Request,
) -> Result<Reply, lambda_http::Error> {
    let req = to_shared(req, None, deps.clock.now().timestamp());
    Ok(from_shared(shared::http::public::handle(deps, limiter, vetting, req).await))
}
