//! Every cross-crate test in one binary (one link, one run). The contract suite is `contract::embedded::*` and
//! `contract::aws::*`; `scripts/test` counts each.

mod audit_chain;
mod aws_casework;
mod aws_costs;
mod aws_errors;
mod aws_pipeline;
mod aws_privacy;
mod aws_requests;
mod aws_signing;
mod casework;
mod checker;
mod contract;
mod fanout;
mod follow_up;
mod lifecycle;
mod members;
mod pipeline;
mod police;
mod privacy;
mod report_submission;
mod retention;
mod sealing;
mod staff_access;
mod static_site;
mod subscription_codes;
mod tls_roots;
