//! Use cases: what the system does, written against ports only.

pub mod submit_report;
