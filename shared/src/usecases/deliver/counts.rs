//! Delivery counts for staff: how many of an alert's deliveries are pending, sent, failed or unconfirmed.

use serde::Serialize;

use super::{DELIVERY_SHARDS, DeliveryRecord, DeliveryStatus};
use crate::domain::AlertId;
use crate::ports::tables::query_all;
use crate::ports::{Index, Query, StoreError, Table, Tables};

/// Delivery counts for staff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
    /// Sends interrupted after the message may have gone: not repeated, not known to have arrived.
    pub unconfirmed: u64,
}

pub async fn delivery_counts(tables: &dyn Tables, alert: &AlertId) -> Result<DeliveryCounts, StoreError> {
    let mut c = DeliveryCounts::default();
    for shard in 0..DELIVERY_SHARDS {
        let mut q = Query::partition(Index::Primary, DeliveryRecord::partition(alert, shard));
        q.limit = 1000;
        for item in query_all(tables, Table::Alerts, q).await? {
            // Notices about the alert (a withdrawal, a correction) are not deliveries of it.
            if item.contains_key("notice") {
                continue;
            }
            match DeliveryStatus::of(&item, "status") {
                Some(DeliveryStatus::Pending | DeliveryStatus::Sending) => c.pending += 1,
                Some(DeliveryStatus::Sent) => c.sent += 1,
                Some(DeliveryStatus::Failed) => c.failed += 1,
                Some(DeliveryStatus::Unconfirmed) => c.unconfirmed += 1,
                None => {}
            }
        }
    }
    Ok(c)
}
