//! The send state machine, from the alerts stream: a publication fans out; each new delivery item is claimed
//! (`pending` → `sending`), sent, and marked (`sent`, back to `pending` for a retry, `unconfirmed` or `failed`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    CONCURRENCY, DELIVERY_KIND, DeliverDeps, DeliverError, DeliveryRecord, DeliveryStatus, MAX_ATTEMPTS, Notice, SendFailure, fan_out,
    fan_out_notices, status_is,
};
use crate::domain::AlertId;
use crate::domain::alert::Alert;
use crate::messages::{AlertCopy, render_email, render_sms};
use crate::ports::messaging::{EmailMessage, SendError, SmsMessage};
use crate::ports::stream::{Change, StreamRecord};
use crate::ports::tables::{AttributeValue, attr_str, from_item, s};
use crate::ports::{StoreError, Table, Update};
use crate::stream_batch::{RecordError, RecordHandler};
use crate::usecases::alerts::{ALERT_KIND, AlertRecord, AlertStatus};
use crate::usecases::subscriptions::{Channel, open_contact, sms_stop_token};

/// An alert's content as opened: when, and which version.
type Opened = (Instant, u32, Arc<Alert>);

/// What the alerts stream handler does: fans out publications and sends delivery items.
pub struct AlertStreamHandler {
    deps: DeliverDeps,
    alerts: Mutex<HashMap<AlertId, Opened>>,
}

impl AlertStreamHandler {
    pub fn new(deps: DeliverDeps) -> Self {
        Self { deps, alerts: Mutex::new(HashMap::new()) }
    }

    /// The alert's record as it is now and its content, opened once per version per process rather than once per
    /// message (the record is read every time: a correction must never go out as the version before it).
    async fn alert(&self, id: &AlertId) -> Result<Option<(AlertRecord, Arc<Alert>)>, DeliverError> {
        let Some(item) = self.deps.tables.get(Table::Alerts, &AlertRecord::key(id)).await? else { return Ok(None) };
        let rec: AlertRecord = from_item(item)?;
        if !matches!(rec.status, AlertStatus::Published | AlertStatus::Withdrawn) {
            return Ok(None);
        }
        if let Some((at, version, a)) = self.alerts.lock().unwrap_or_else(|e| e.into_inner()).get(id)
            && *version == rec.version
            && at.elapsed() < Duration::from_secs(600)
        {
            return Ok(Some((rec, a.clone())));
        }
        let alert = Arc::new(rec.open(self.deps.keys.as_ref()).await?);
        self.alerts.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), (Instant::now(), rec.version, alert.clone()));
        Ok(Some((rec, alert)))
    }

    async fn on_record(&self, rec: &StreamRecord) -> Result<(), DeliverError> {
        let new = &rec.change.new_image;
        let change = Change::of(rec);
        match attr_str(new, "kind") {
            Some(ALERT_KIND) if matches!(change, Some(Change::Modify | Change::Insert)) => {
                let now_published = AlertStatus::of(new, "status") == Some(AlertStatus::Published);
                let was_published = AlertStatus::of(&rec.change.old_image, "status") == Some(AlertStatus::Published);
                if now_published && !was_published {
                    let alert: AlertRecord = from_item(new.clone())?;
                    fan_out(&self.deps, &alert).await?;
                }
                let withdrawn = AlertStatus::of(new, "status") == Some(AlertStatus::Withdrawn);
                let version = |img: &crate::ports::Item| match img.get("version") {
                    Some(AttributeValue::N(n)) => n.parse::<u32>().unwrap_or(1),
                    _ => 1,
                };
                if was_published && withdrawn {
                    fan_out_notices(
                        &self.deps,
                        &AlertId::parse(attr_str(new, "alert_id").unwrap_or_default())
                            .map_err(|_| StoreError::Other(anyhow::anyhow!("an alert item without a valid alert_id")))?,
                        Notice::Withdrawal,
                    )
                    .await?;
                } else if was_published && now_published && version(new) > version(&rec.change.old_image) {
                    let id = AlertId::parse(attr_str(new, "alert_id").unwrap_or_default())
                        .map_err(|_| StoreError::Other(anyhow::anyhow!("an alert item without a valid alert_id")))?;
                    fan_out_notices(&self.deps, &id, Notice::Correction(version(new))).await?;
                }
                Ok(())
            }
            Some(DELIVERY_KIND) if change == Some(Change::Insert) => {
                let d: DeliveryRecord = from_item(new.clone())?;
                self.send(&d).await
            }
            _ => Ok(()),
        }
    }

    async fn send(&self, d: &DeliveryRecord) -> Result<(), DeliverError> {
        let key = d.own_key();
        // Read the item as it is now: a retried record may be long settled.
        let Some(item) = self.deps.tables.get(Table::Alerts, &key).await? else { return Ok(()) };
        let current: DeliveryRecord = from_item(item)?;
        match current.status {
            DeliveryStatus::Pending => {}
            DeliveryStatus::Sending => {
                // A previous run claimed it and never finished: the message may have gone. Never risk a second one.
                let update = Update::default().set("status", DeliveryStatus::Unconfirmed);
                match self.deps.tables.update(Table::Alerts, &key, update, status_is(DeliveryStatus::Sending)).await {
                    Ok(_) | Err(StoreError::ConditionFailed) => {}
                    Err(e) => return Err(e.into()),
                }
                tracing::warn!(alert_id = %d.alert_id, subscription_id = %d.subscription_id, channel = d.channel.as_str(), "delivery unconfirmed after an interrupted send");
                return Ok(());
            }
            DeliveryStatus::Sent | DeliveryStatus::Failed | DeliveryStatus::Unconfirmed => return Ok(()),
        }
        let Some((rec, alert)) = self.alert(&d.alert_id).await? else { return Ok(()) };
        // What is still to be said: an alert since withdrawn is not sent, a correction superseded by another is not.
        let due = match d.notice {
            None => rec.status == AlertStatus::Published,
            Some(Notice::Withdrawal) => rec.status == AlertStatus::Withdrawn,
            Some(Notice::Correction(v)) => rec.status == AlertStatus::Published && rec.version == v,
        };
        if !due {
            return Ok(());
        }
        let contact = open_contact(self.deps.keys.as_ref(), &current.sealed, &current.contact_key_id, &current.subscription_id).await?;
        if let (Channel::Sms, Some(to)) = (d.channel, &contact.phone) {
            match self.deps.sms.opted_out(to).await {
                Ok(false) => {}
                Ok(true) => {
                    let now = self.deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                    let update = Update::default()
                        .set("status", DeliveryStatus::Failed)
                        .set("failed_at", s(now))
                        .set("error_kind", SendFailure::OptedOut);
                    match self.deps.tables.update(Table::Alerts, &key, update, status_is(DeliveryStatus::Pending)).await {
                        Ok(_) | Err(StoreError::ConditionFailed) => {}
                        Err(e) => return Err(e.into()),
                    }
                    tracing::info!(alert_id = %d.alert_id, subscription_id = %d.subscription_id, "text not sent: the number opted out with the provider");
                    return Ok(());
                }
                // The check is a courtesy: the provider keeps its own list whatever happens, so the text goes.
                Err(e) => {
                    tracing::warn!(alert_id = %d.alert_id, error.kind = e.kind(), "the opt-out check failed; sending the text")
                }
            }
        }
        let attempts = current.attempts + 1;
        let claim = Update::default().set("status", DeliveryStatus::Sending).set("attempts", AttributeValue::N(attempts.to_string()));
        match self.deps.tables.update(Table::Alerts, &key, claim, status_is(DeliveryStatus::Pending)).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let idem = match d.notice {
            None => format!("{}:{}:{}", d.alert_id, d.subscription_id, d.channel.as_str()),
            Some(n) => format!("{}:{}:{}:{}", d.alert_id, d.subscription_id, d.channel.as_str(), n.suffix()),
        };
        let copy = AlertCopy { alert: &d.alert_id, token: current.copy_token.as_deref(), notice: d.notice };
        let unsubscribe_url = format!("{}/unsubscribe?token={}", self.deps.site_url, contact.unsubscribe_token);
        let result = match (d.channel, &contact.email, &contact.phone) {
            (Channel::Email, Some(to), _) => {
                let (subject, text) = render_email(&alert, &copy, &self.deps.site_url, &unsubscribe_url, current.language);
                self.deps
                    .email
                    .send_email(&EmailMessage { to: to.clone(), subject, text, unsubscribe_url: Some(unsubscribe_url) }, &idem)
                    .await
            }
            (Channel::Sms, _, Some(to)) => {
                let stop_url = format!("{}/stop/{}", self.deps.site_url, sms_stop_token(&contact.unsubscribe_token));
                let text = render_sms(&alert, &copy, &self.deps.site_url, &stop_url, current.language);
                self.deps.sms.send_sms(&SmsMessage { to: to.clone(), text }, &idem).await
            }
            _ => Err(SendError::Rejected(anyhow::anyhow!("the subscription has no contact for this channel"))),
        };
        drop(contact);
        let now = self.deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (update, outcome) = match &result {
            Ok(id) => (
                Update::default().set("status", DeliveryStatus::Sent).set("sent_at", s(now)).set("provider_message_id", s(id.0.clone())),
                Ok(()),
            ),
            // The provider certainly did not take it: the stream sends again.
            Err(SendError::NotTaken(_)) if attempts < MAX_ATTEMPTS => (
                Update::default().set("status", DeliveryStatus::Pending).set("error_kind", SendFailure::Transient),
                Err(DeliverError::Transient),
            ),
            // It may have gone (a timeout, a lost answer): never risk a second message.
            Err(SendError::Unknown(_)) => {
                (Update::default().set("status", DeliveryStatus::Unconfirmed).set("error_kind", SendFailure::NoAnswer), Ok(()))
            }
            Err(e) => (
                Update::default()
                    .set("status", DeliveryStatus::Failed)
                    .set("failed_at", s(now))
                    .set("error_kind", if e.is_retryable() { SendFailure::GaveUp } else { SendFailure::Permanent }),
                Ok(()),
            ),
        };
        self.deps.tables.update(Table::Alerts, &key, update, status_is(DeliveryStatus::Sending)).await?;
        match &result {
            Ok(_) => {
                tracing::info!(alert_id = %d.alert_id, subscription_id = %d.subscription_id, channel = d.channel.as_str(), attempts, "delivery sent")
            }
            Err(e) => {
                tracing::warn!(alert_id = %d.alert_id, subscription_id = %d.subscription_id, channel = d.channel.as_str(), attempts, error.kind = e.kind(), "delivery not sent")
            }
        }
        outcome
    }
}

#[async_trait]
impl RecordHandler for AlertStreamHandler {
    /// Sends to different members overlap; the runner keeps one item's records in order.
    fn concurrency(&self) -> usize {
        CONCURRENCY
    }

    async fn handle_record(&self, record: &StreamRecord) -> Result<(), RecordError> {
        Ok(self.on_record(record).await?)
    }
}
