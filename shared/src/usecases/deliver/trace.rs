//! Tracing a leak: each member's copy of an alert carries their own random token in its link (`?c=`), so the text or
//! link of a copy found outside (posted on a forum, forwarded to the offender) says whose it was, while the alert's
//! delivery items are kept (`DELIVERY_TTL_DAYS`). Only an admin may ask (`staff::Action::TraceCopy`), and the asking
//! is audited like every staff request.

use serde::Serialize;

use super::{DELIVERY_KIND, DELIVERY_SHARDS, DeliveryRecord};
use crate::domain::{AlertId, SubscriptionId};
use crate::ports::tables::{attr_str, from_item, query_all};
use crate::ports::{Index, Query, StoreError, Table, Tables};
use crate::usecases::subscriptions::Channel;

/// Whose copy it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TracedCopy {
    pub alert_id: AlertId,
    pub subscription_id: SubscriptionId,
    pub channel: Channel,
    pub sent_at: Option<String>,
}

/// The alert id and copy token in a text: the first `/alerts/<id>?c=<token>` it holds, however the text wrapped or
/// cut the rest of it.
pub fn copy_in(text: &str) -> Option<(AlertId, String)> {
    let mut rest = text;
    while let Some(at) = rest.find("/alerts/") {
        rest = &rest[at + "/alerts/".len()..];
        let id_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(rest.len());
        let (id, after) = rest.split_at(id_end);
        let Ok(id) = AlertId::parse(id) else { continue };
        let Some(q) = after.strip_prefix("?c=").or_else(|| after.strip_prefix("?C=")) else { continue };
        let token: String = q.chars().take_while(char::is_ascii_alphanumeric).collect();
        if token.len() >= 8 {
            return Some((id, token.to_ascii_uppercase()));
        }
    }
    None
}

/// The member whose copy a leaked text or link was, if its alert's deliveries are still kept.
pub async fn trace_copy(tables: &dyn Tables, text: &str) -> Result<Option<TracedCopy>, StoreError> {
    let Some((alert, token)) = copy_in(text) else { return Ok(None) };
    for shard in 0..DELIVERY_SHARDS {
        let mut q = Query::partition(Index::Primary, DeliveryRecord::partition(&alert, shard));
        q.limit = 1000;
        for item in query_all(tables, Table::Alerts, q).await? {
            if attr_str(&item, "kind") != Some(DELIVERY_KIND) || item.contains_key("notice") {
                continue;
            }
            if attr_str(&item, "copy_token").is_some_and(|t| t.eq_ignore_ascii_case(&token)) {
                let sent_at = attr_str(&item, "sent_at").map(str::to_owned);
                let d: DeliveryRecord = from_item(item)?;
                tracing::info!(alert_id = %alert, "a copy traced");
                return Ok(Some(TracedCopy { alert_id: d.alert_id, subscription_id: d.subscription_id, channel: d.channel, sent_at }));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_is_read_from_a_link_or_a_message_around_it() {
        let id = AlertId::from_digest(&[7u8; 32]);
        let text = format!("ALERT Leeds 14 Mar: Theft. https://num.example.org/alerts/{id}?c=ABCDEFGH2345 Stop texts: ...");
        assert_eq!(copy_in(&text), Some((id.clone(), "ABCDEFGH2345".to_owned())));
        assert_eq!(copy_in(&format!("/alerts/{id}?c=abcdefgh2345")), Some((id.clone(), "ABCDEFGH2345".to_owned())));
        assert_eq!(copy_in(&format!("https://num.example.org/alerts/{id}")), None, "a link without a token names nobody");
        assert_eq!(copy_in("nothing here"), None);
    }
}
