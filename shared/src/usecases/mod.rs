//! Use cases: what the system does, written against ports only.

pub mod alerts;
pub mod audit;
pub mod casework;
pub mod deliver;
pub mod draft;
pub mod duty;
pub mod follow_up;
pub mod lifecycle;
pub mod link_requests;
pub mod offenders;
pub mod police;
pub mod records;
pub mod report_keys;
pub mod retention;
pub mod safeguarding;
pub mod sms_replies;
pub mod staff_quota;
pub mod submit_report;
pub mod subscriptions;
pub mod thread;

use std::sync::Arc;

use crate::ports::{Clock, KeyService, Tables};

/// What most use cases are given: the tables, the key service and the clock. (Delivery adds the senders and the
/// site's address; see `deliver::DeliverDeps`.) The names `SubmitDeps`, `AlertDeps`, `SubscriptionDeps` and
/// `AuditDeps` are this one struct.
#[derive(Clone)]
pub struct Deps {
    pub tables: Arc<dyn Tables>,
    pub keys: Arc<dyn KeyService>,
    pub clock: Arc<dyn Clock>,
}
