//! Use cases: what the system does, written against ports only.

pub mod alerts;
pub mod audit;
pub mod deliver;
pub mod draft;
pub mod records;
pub mod submit_report;
pub mod subscriptions;
