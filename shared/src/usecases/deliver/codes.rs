//! Verification codes, from the subscribers stream: each new round of codes goes out once, under a claim on its
//! code generation, each contact's own code to that contact only (and only while that contact waits for it).

use async_trait::async_trait;

use super::{CONCURRENCY, DeliverDeps, DeliverError};
use crate::messages::{approved_email, approved_sms, code_email, code_sms, sign_in_code_email, sign_in_code_sms};
use crate::ports::messaging::{EmailMessage, SmsMessage};
use crate::ports::stream::{Change, StreamRecord};
use crate::ports::tables::{AttributeValue, attr_str, from_item};
use crate::ports::{Condition, StoreError, Table, Update};
use crate::stream_batch::{RecordError, RecordHandler};
use crate::usecases::subscriptions::{
    Channel, SIGN_IN_KIND, SUBSCRIPTION_KIND, SignInRecord, SubscriptionRecord, SubscriptionStatus, get_subscription,
};

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
        let live = matches!(
            SubscriptionStatus::of(new, "status"),
            Some(SubscriptionStatus::Pending | SubscriptionStatus::PendingApproval | SubscriptionStatus::Active)
        );
        if attr_str(new, "kind") == Some(SUBSCRIPTION_KIND) && approved_now(rec) {
            return self.tell_approved(rec).await;
        }
        if attr_str(new, "kind") == Some(SIGN_IN_KIND) && rec.change.old_image.get("round") != new.get("round") {
            return self.send_sign_in_code(rec).await;
        }
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
            Condition::In(
                "status".into(),
                vec![SubscriptionStatus::Pending.into(), SubscriptionStatus::PendingApproval.into(), SubscriptionStatus::Active.into()],
            ),
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

/// Staff approved the request in this change: it waited, and now it is active.
fn approved_now(rec: &StreamRecord) -> bool {
    SubscriptionStatus::of(&rec.change.old_image, "status") == Some(SubscriptionStatus::PendingApproval)
        && SubscriptionStatus::of(&rec.change.new_image, "status") == Some(SubscriptionStatus::Active)
}

impl SubscriberStreamHandler {
    /// A member's sign-in code, to the one verified contact it was asked for, in the member's language. Each round of
    /// codes is sent under its own idempotency key, so a retried record sends nothing new.
    async fn send_sign_in_code(&self, rec: &StreamRecord) -> Result<(), DeliverError> {
        let sign_in: SignInRecord = from_item(rec.change.new_image.clone())?;
        let Some(sub) = get_subscription(self.deps.tables.as_ref(), &sign_in.subscription_id).await? else { return Ok(()) };
        if sub.status != SubscriptionStatus::Active {
            return Ok(());
        }
        let contact = sub.open(self.deps.keys.as_ref()).await?;
        let code = sign_in.open_code(self.deps.keys.as_ref()).await?;
        let idem = format!("signin:{}:{}:{}", sign_in.subscription_id, sign_in.round, sign_in.channel.as_str());
        let sent = match (sign_in.channel, &contact.email, &contact.phone) {
            (Channel::Email, Some(to), _) => {
                let (subject, text) = sign_in_code_email(&code, sign_in.language);
                self.deps.email.send_email(&EmailMessage { to: to.clone(), subject, text, unsubscribe_url: None }, &idem).await
            }
            (Channel::Sms, _, Some(to)) => {
                self.deps.sms.send_sms(&SmsMessage { to: to.clone(), text: sign_in_code_sms(&code, sign_in.language) }, &idem).await
            }
            _ => return Ok(()),
        };
        match sent {
            Ok(_) => {
                tracing::info!(subscription_id = %sign_in.subscription_id, "sign-in code sent");
                Ok(())
            }
            Err(e) if e.is_retryable() => Err(DeliverError::Transient),
            Err(e) => {
                tracing::warn!(subscription_id = %sign_in.subscription_id, error.kind = e.kind(), "sign-in code not sent");
                Ok(())
            }
        }
    }

    /// Tells a newly approved member, in their language, on each verified channel; once (a claim on the record, so a
    /// retried record sends nothing twice).
    async fn tell_approved(&self, rec: &StreamRecord) -> Result<(), DeliverError> {
        let sub: SubscriptionRecord = from_item(rec.change.new_image.clone())?;
        let key = SubscriptionRecord::key(&sub.subscription_id);
        let claim = Update::default().set("approved_notice_sent", AttributeValue::Bool(true));
        let cond = Condition::And(vec![
            Condition::AttrNotExists("approved_notice_sent".into()),
            Condition::Equals("status".into(), SubscriptionStatus::Active.as_attr()),
        ]);
        match self.deps.tables.update(Table::Subscribers, &key, claim, cond).await {
            Ok(_) => {}
            Err(StoreError::ConditionFailed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let contact = sub.open(self.deps.keys.as_ref()).await?;
        let site = &self.deps.site_url;
        for channel in sub.verified_channels() {
            let idem = format!("approved:{}:{}", sub.subscription_id, channel.as_str());
            let sent = match (channel, &contact.email, &contact.phone) {
                (Channel::Email, Some(to), _) => {
                    let (subject, text) = approved_email(site, sub.language);
                    self.deps.email.send_email(&EmailMessage { to: to.clone(), subject, text, unsubscribe_url: None }, &idem).await
                }
                (Channel::Sms, _, Some(to)) => {
                    self.deps.sms.send_sms(&SmsMessage { to: to.clone(), text: approved_sms(site, sub.language) }, &idem).await
                }
                _ => continue,
            };
            if let Err(e) = sent {
                // The member is a member either way; they see it when they sign in. Not retried: no second message.
                tracing::warn!(subscription_id = %sub.subscription_id, channel = channel.as_str(), error.kind = e.kind(), "approval notice not sent");
            }
        }
        tracing::info!(subscription_id = %sub.subscription_id, "approval notice sent");
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
