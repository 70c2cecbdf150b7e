//! One `POST /reports`. Every outcome, errors included, is an HTTP answer from the shared handler; the function itself
//! never fails an invocation (that would make API Gateway answer 502 and tempt the client to resend).

use lambda_http::Request;
use shared::lambda::{Reply, from_shared, to_shared};
use shared::usecases::submit_report::SubmitDeps;

pub async fn function_handler(deps: &SubmitDeps, req: Request) -> Result<Reply, lambda_http::Error> {
    let req = to_shared(req, None, deps.clock.now().timestamp());
    Ok(from_shared(shared::http::submit::handle(deps, req).await))
}
