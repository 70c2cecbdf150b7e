//! Verification codes, from the subscribers stream: each new round of codes goes out once, under a claim on its
//! code generation, each contact's own code to that contact only (and only while that contact waits for it).

use async_trait::async_trait;

use super::{CONCURRENCY, DeliverDeps, DeliverError};
use crate::messages::{code_email, code_sms};
use crate::ports::messaging::{EmailMessage, SmsMessage};
use crate::ports::stream::{Change, StreamRecord};
use crate::ports::tables::{AttributeValue, attr_str, from_item};
use crate::ports::{Condition, StoreError, Table, Update};
use crate::stream_batch::{RecordError, RecordHandler};
use crate::usecases::subscriptions::{Channel, SUBSCRIPTION_KIND, SubscriptionRecord, SubscriptionStatus};

/// What the subscribers stream handler does: sends each new code to the one contact it is for.
pub struct SubscriberStreamHandler {
    deps: DeliverDeps,
}

impl SubscriberStreamHandler {
    pub fn new(deps: DeliverDeps) -> Self {
        Self { deps }
    }

    async fn on_record(&self, rec: &StreamRecord) -> Result<(), DeliverError> {
        let new = &rec.change.new_image;
        let live = matches!(SubscriptionStatus::of(new, "status"), Some(SubscriptionStatus::Pending | SubscriptionStatus::Active));
        if attr_str(new, "kind") != Some(SUBSCRIPTION_KIND) || !live {
            return Ok(());
        }
        if rec.change.old_image.get("code_generation") == new.get("code_generation") && Change::of(rec) != Some(Change::Insert) {
            return Ok(());
        }
        let sub: SubscriptionRecord = from_item(new.clone())?;
        // Claim this code generation, so a retry never sends the same code twice.
        let key = SubscriptionRecord::key(&sub.subscription_id);
        let gen_value = AttributeValue::N(sub.code_generation.to_string());
        let claim = Update::default().set("code_sent_generation", gen_value.clone());
        let cond = Condition::And(vec![
            Condition::Equals("code_generation".into(), gen_value.clone()),
            Condition::In("status".into(), vec![SubscriptionStatus::Pending.into(), SubscriptionStatus::Active.into()]),
        ]);
        let current = self.deps.tables.get(Table::Subscribers, &key).await?;
        if current.as_ref().and_then(|i| i.get("code_sent_generation")) == Some(&gen_value) {
            return Ok(());
        }
        match self.deps.tables.update(Table::Subscribers, &key, claim, cond).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let contact = sub.open(self.deps.keys.as_ref()).await?;
        let waiting = sub.waiting_channels();
        let mut transient = false;
        for channel in waiting {
            let Some(code) = contact.code_for(channel) else { continue };
            let idem = format!("code:{}:{}:{}", sub.subscription_id, sub.code_generation, channel.as_str());
            let sent = match (channel, &contact.email, &contact.phone) {
                (Channel::Email, Some(to), _) => {
                    let (subject, text) = code_email(code);
                    let msg = EmailMessage { to: to.clone(), subject, text, unsubscribe_url: None };
                    self.deps.email.send_email(&msg, &idem).await
                }
                (Channel::Sms, _, Some(to)) => self.deps.sms.send_sms(&SmsMessage { to: to.clone(), text: code_sms(code) }, &idem).await,
                _ => continue,
            };
            if let Err(e) = sent {
                tracing::warn!(subscription_id = %sub.subscription_id, channel = channel.as_str(), error.kind = e.kind(), "verification code not sent");
                transient |= e.is_retryable();
            }
        }
        drop(contact);
        if transient {
            // Give the claim back so the stream's retry sends the code again; a permanent refusal is final, and so is
            // a send that may have gone (no second code: the member can ask for a new one, as the help desk can).
            let release = Update::default().remove("code_sent_generation");
            self.deps.tables.update(Table::Subscribers, &key, release, Condition::Equals("code_sent_generation".into(), gen_value)).await?;
            return Err(DeliverError::Transient);
        }
        tracing::info!(subscription_id = %sub.subscription_id, "verification code sent");
        Ok(())
    }
}

#[async_trait]
impl RecordHandler for SubscriberStreamHandler {
    fn concurrency(&self) -> usize {
        CONCURRENCY
    }

    async fn handle_record(&self, record: &StreamRecord) -> Result<(), RecordError> {
        Ok(self.on_record(record).await?)
    }
}
