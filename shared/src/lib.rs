//! The domain library of the safety-reporting platform.
//!
//! Everything that decides anything lives here: the parsed domain types, the sanitiser, sealing, the use cases and the
//! ports with their adapters. The Lambda crates under `functions/` and the `num` binary only wire configuration and
//! clients together and call into this crate.

pub mod adapters;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod i18n;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod messages;
pub mod ports;
pub mod ratelimit;
pub mod sanitiser;
pub mod seal;
pub mod staff;
pub mod stream_batch;
pub mod usecases;
