//! Notices about an alert already sent: its withdrawal, or a correction. One notice item per delivery of the alert
//! that went out (or may have: `sending`, `unconfirmed`), beside it in the same partition, with the member's sealed
//! contacts and copy token from that delivery; each is then sent once as any delivery is. A member who was never sent
//! the alert is never told about it.

use serde::{Deserialize, Serialize};

use super::{DELIVERY_KIND, DELIVERY_SHARDS, DeliverDeps, DeliverError, DeliveryRecord, DeliveryStatus};
use crate::domain::AlertId;
use crate::ports::tables::{Item, attr_str, from_item, query_all, to_item};
use crate::ports::{Index, Query, Table};

/// What a notice says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// The alert was withdrawn: disregard it.
    Withdrawal,
    /// The alert was corrected: this is version `n`.
    Correction(u32),
}

impl Notice {
    /// The notice's part of its item's sort key: one notice of each kind (and version) per delivery.
    pub fn suffix(self) -> String {
        match self {
            Notice::Withdrawal => "withdrawal".into(),
            Notice::Correction(v) => format!("correction#{v}"),
        }
    }
}

/// Writes the notice items for an alert: one per delivery that went out. Safe to repeat: notices already written stay
/// as they are, so a retried stream record sends nothing twice.
pub async fn fan_out_notices(deps: &DeliverDeps, alert: &AlertId, notice: Notice) -> Result<usize, DeliverError> {
    let now = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut items: Vec<Item> = Vec::new();
    for shard in 0..DELIVERY_SHARDS {
        let mut q = Query::partition(Index::Primary, DeliveryRecord::partition(alert, shard));
        q.limit = 1000;
        for item in query_all(deps.tables.as_ref(), Table::Alerts, q).await? {
            if attr_str(&item, "kind") != Some(DELIVERY_KIND) || item.contains_key("notice") {
                continue;
            }
            let d: DeliveryRecord = from_item(item)?;
            if !matches!(d.status, DeliveryStatus::Sent | DeliveryStatus::Sending | DeliveryStatus::Unconfirmed) {
                continue;
            }
            let mut n = DeliveryRecord {
                status: DeliveryStatus::Pending,
                attempts: 0,
                created_at: now.clone(),
                error_kind: None,
                notice: Some(notice),
                ..d
            };
            let key = n.own_key();
            (n.pk, n.sk) = (key.pk, key.sk);
            items.push(to_item(&n)?);
        }
    }
    let total = items.len();
    let mut written = 0;
    for chunk in items.chunks(500) {
        written += deps.tables.put_new_many(Table::Alerts, chunk.to_vec()).await?;
    }
    tracing::info!(alert_id = %alert, notices = total, new = written, notice = ?notice, "notices fanned out");
    Ok(total)
}
