//! Adapters for the ports: embedded ones for one machine, cloud ones for AWS.

pub mod key_cache;
pub mod local_keys;
pub mod outbox;
pub mod sqlite;
pub mod stream_poller;

pub use local_keys::LocalKeys;
pub use outbox::Outbox;
pub use sqlite::SqliteTables;
