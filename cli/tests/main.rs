//! The `num` binary's integration tests, in one binary: the real server stops cleanly and keeps what it
//! acknowledged, the README's walk-through runs as written, and verification codes hold against a running server.

mod audit;
mod codes;
mod serve;
mod walkthrough;
