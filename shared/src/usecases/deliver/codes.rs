//! Verification codes, from the subscribers stream: each new code of a pending subscription goes to its contacts
//! once, under a claim on its code generation.

use async_trait::async_trait;

use super::{CONCURRENCY, DeliverDeps, DeliverError};
use crate::messages::{code_email, code_sms};
use crate::ports::messaging::{EmailMessage, SmsMessage};
use crate::ports::stream::{Change, StreamRecord};
use crate::ports::tables::{AttributeValue, attr_str, from_item};
use crate::ports::{Condition, StoreError, Table, Update};
use crate::stream_batch::{RecordError, RecordHandler};
use crate::usecases::subscriptions::{SUBSCRIPTION_KIND, SubscriptionRecord, SubscriptionStatus};

/// What the subscribers stream handler does: sends each new code to the contacts of a pending subscription.
pub struct SubscriberStreamHandler {
    deps: DeliverDeps,
}

impl SubscriberStreamHandler {
    pub fn new(deps: DeliverDeps) -> Self {
        Self { deps }
    }

    async fn on_record(&self, rec: &StreamRecord) -> Result<(), DeliverError> {
        let new = &rec.change.new_image;
        if attr_str(new, "kind") != Some(SUBSCRIPTION_KIND) || SubscriptionStatus::of(new, "status") != Some(SubscriptionStatus::Pending) {
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
            Condition::Equals("status".into(), SubscriptionStatus::Pending.into()),
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
        let Some(code) = contact.code.clone() else { return Ok(()) };
        let idem = format!("code:{}:{}", sub.subscription_id, sub.code_generation);
        let mut transient = false;
        if let Some(to) = &contact.email {
            let (subject, text) = code_email(&code);
            let msg = EmailMessage { to: to.clone(), subject, text, unsubscribe_url: None };
            if let Err(e) = self.deps.email.send_email(&msg, &idem).await {
                tracing::warn!(subscription_id = %sub.subscription_id, error.kind = e.kind(), "verification email not sent");
                transient |= e.is_retryable();
            }
        }
        if let Some(to) = &contact.phone {
            let msg = SmsMessage { to: to.clone(), text: code_sms(&code) };
            if let Err(e) = self.deps.sms.send_sms(&msg, &idem).await {
                tracing::warn!(subscription_id = %sub.subscription_id, error.kind = e.kind(), "verification text not sent");
                transient |= e.is_retryable();
            }
        }
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
