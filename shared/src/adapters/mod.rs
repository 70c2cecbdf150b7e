//! Adapters for the ports: embedded ones for one machine, cloud ones for AWS (feature `aws`), and a retry wrapper
//! for either.

#[cfg(feature = "aws-core")]
pub mod aws;
#[cfg(any(test, feature = "mocks"))]
pub mod faults;
pub mod key_cache;
pub mod local_keys;
pub mod outbox;
pub mod retry;
pub mod sqlite;
pub mod stream_poller;

pub use local_keys::LocalKeys;
pub use outbox::Outbox;
pub use retry::{RetryPolicy, Retrying};
pub use sqlite::SqliteTables;
