//! Adapters for the ports: embedded ones for one machine (feature `embedded`), cloud ones for AWS (feature `aws`), and
//! a retry wrapper, a pacer for senders and a key cache for either.
//!
//! No Lambda turns on `embedded`: the SQLite tables, the local master key file, the outbox file and the change-log
//! poller are compiled into `num` and the tests only.

#[cfg(feature = "aws-core")]
pub mod aws;
#[cfg(any(test, feature = "mocks"))]
pub mod faults;
pub mod key_cache;
#[cfg(feature = "embedded")]
pub mod local_keys;
#[cfg(feature = "embedded")]
pub mod outbox;
pub mod pace;
pub mod retry;
#[cfg(feature = "embedded")]
pub mod sqlite;
#[cfg(feature = "embedded")]
pub mod stream_poller;

#[cfg(feature = "embedded")]
pub use local_keys::LocalKeys;
#[cfg(feature = "embedded")]
pub use outbox::Outbox;
pub use pace::Paced;
pub use retry::{RetryPolicy, Retrying};
#[cfg(feature = "embedded")]
pub use sqlite::SqliteTables;
