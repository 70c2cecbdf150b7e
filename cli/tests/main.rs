//! The `num` binary's integration tests, in one binary: the real server stops cleanly and keeps what it
//! acknowledged, and the README's walk-through runs as written.

mod audit;
mod serve;
mod walkthrough;
