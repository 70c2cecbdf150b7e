//! The `num` command's pieces, as a library so tests can build the local server in-process.

pub mod audit;
pub mod logging;
pub mod outbox;
pub mod sanitise;
pub mod serve;
pub mod site;
pub mod staff;
