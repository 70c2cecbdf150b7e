//! The smallest Lambda the runtime crate allows: it answers each event with the event. `scripts/bench-cold-start`
//! builds it with the same profile as the functions and measures it the same way, as the floor the functions are
//! compared with.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move { Ok::<Value, Error>(event.payload) })).await
}
