//! Fan-out: one delivery item per (alert, subscriber, channel) for every member of a published alert's regions.

use std::collections::BTreeSet;

use super::{DELIVERY_KIND, DELIVERY_TTL_DAYS, DeliverDeps, DeliverError, DeliveryRecord, DeliveryStatus};
use crate::ports::tables::{Item, attr_str, from_item, query_all, to_item};
use crate::ports::{Index, Query, SortCondition, Table};
use crate::usecases::alerts::AlertRecord;
use crate::usecases::subscriptions::{MEMBERSHIP_KIND, Membership};

/// Writes the delivery items for a published alert. Safe to repeat: items already written stay as they are.
pub async fn fan_out(deps: &DeliverDeps, alert: &AlertRecord) -> Result<usize, DeliverError> {
    let mut seen = BTreeSet::new();
    let mut items: Vec<Item> = Vec::new();
    let at = deps.clock.now();
    let now = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let expires_at = (at + chrono::Duration::days(DELIVERY_TTL_DAYS)).timestamp();
    for region in &alert.regions {
        let mut q = Query::partition(Index::Primary, Membership::partition(*region));
        q.sort = SortCondition::BeginsWith("SUB#".into());
        q.limit = 1000;
        for item in query_all(deps.tables.as_ref(), Table::Subscribers, q).await? {
            if attr_str(&item, "kind") != Some(MEMBERSHIP_KIND) {
                continue;
            }
            let m: Membership = from_item(item)?;
            for ch in &m.channels {
                if !seen.insert((m.subscription_id.clone(), *ch)) {
                    continue;
                }
                let key = DeliveryRecord::key(&alert.alert_id, &m.subscription_id, *ch);
                items.push(to_item(&DeliveryRecord {
                    pk: key.pk,
                    sk: key.sk,
                    kind: DELIVERY_KIND.into(),
                    alert_id: alert.alert_id.clone(),
                    subscription_id: m.subscription_id.clone(),
                    channel: *ch,
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    created_at: now.clone(),
                    contact_key_id: m.contact_key_id.clone(),
                    sealed: m.sealed.clone(),
                    error_kind: None,
                    expires_at: Some(expires_at),
                    language: m.language,
                    copy_token: Some(crate::domain::ids::random_base32(12)),
                    notice: None,
                })?);
            }
        }
    }
    let total = items.len();
    let mut written = 0;
    for chunk in items.chunks(500) {
        written += deps.tables.put_new_many(Table::Alerts, chunk.to_vec()).await?;
    }
    tracing::info!(alert_id = %alert.alert_id, deliveries = total, new = written, "alert fanned out");
    Ok(total)
}
