//! The office manager's help desk: find a member's subscription by the exact contact they give, and send a pending
//! member a fresh code.

use serde::{Deserialize, Serialize};

use super::codes::{CodeLimits, CodeRefusal, ReserveError, code_mac, distinct_codes, reserve_codes};
use super::keyring::keyring_context;
use super::lifecycle::{CODE_TTL_MINUTES, MAX_CODE_ATTEMPTS, PENDING_TTL_DAYS};
use super::records::{SubscriptionRecord, check_attr, contact_index, get_subscription, index_key, pending_index_key, subscription_id};
use super::request::RequestError;
use super::{Channel, SubscriptionDeps, SubscriptionStatus};
use crate::domain::{Email, PhoneNumber, Region, SubscriptionId};
use crate::ports::tables::{AttributeValue, s};
use crate::ports::{Condition, KeyError, StoreError, Table, Update};
use crate::seal::{self, SealError};
use crate::usecases::records::follow;

/// What the help desk sees of a subscription: never the contacts themselves (the member gave them) nor any code.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionView {
    pub subscription_id: SubscriptionId,
    pub status: SubscriptionStatus,
    pub regions: Vec<Region>,
    pub channels: Vec<Channel>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    /// Too many wrong codes: only a fresh code lets the member in.
    pub locked: bool,
}

impl From<&SubscriptionRecord> for SubscriptionView {
    fn from(r: &SubscriptionRecord) -> Self {
        Self {
            subscription_id: r.subscription_id.clone(),
            status: r.status,
            regions: r.regions.clone(),
            channels: r.channels.clone(),
            created_at: r.created_at.clone(),
            verified_at: r.verified_at.clone(),
            locked: {
                let waiting = r.waiting_channels();
                !waiting.is_empty() && waiting.iter().all(|c| r.check(*c).is_some_and(|k| k.attempts >= MAX_CODE_ATTEMPTS))
            },
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindRequest {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Why the member of staff looks this contact up (the member's call, their ticket): required, kept sealed in the
    /// audit log.
    #[serde(default)]
    pub reason: Option<String>,
}

impl FindRequest {
    /// The reason given, trimmed; a lookup without one is refused before anything is looked up.
    pub fn reason(&self) -> Result<&str, FindError> {
        self.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).ok_or(FindError::MissingReason)
    }
}

/// Finds the subscription of one exact email or phone, through the blind index: the active one, else the newest
/// pending one. There is no way to list members.
pub async fn find_by_contact(deps: &SubscriptionDeps, req: &FindRequest) -> Result<Option<SubscriptionView>, FindError> {
    let hex = contact_index_of(deps, req).await?;
    find_by_index(deps, &hex).await
}

/// The blind index (hex) of the one contact a lookup names: what the audit log records as its target.
pub async fn contact_index_of(deps: &SubscriptionDeps, req: &FindRequest) -> Result<String, FindError> {
    let canonical = match (
        req.email.as_deref().map(str::trim).filter(|e| !e.is_empty()),
        req.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()),
    ) {
        (Some(e), None) => format!("email:{}", Email::parse(e).map_err(RequestError::InvalidEmail)?.canonical()),
        (None, Some(p)) => format!("phone:{}", PhoneNumber::parse(p).map_err(RequestError::InvalidPhone)?.as_str()),
        _ => return Err(FindError::OneContact),
    };
    Ok(contact_index(deps.keys.as_ref(), &canonical).await?)
}

/// Finds the subscription behind one blind index (from [`contact_index_of`]).
pub async fn find_by_index(deps: &SubscriptionDeps, hex: &str) -> Result<Option<SubscriptionView>, FindError> {
    for key in [index_key(hex), pending_index_key(hex)] {
        if let Some(id) = follow(deps.tables.as_ref(), Table::Subscribers, &key, subscription_id).await?
            && let Some(rec) = get_subscription(deps.tables.as_ref(), &id).await?
            && rec.status != SubscriptionStatus::Unsubscribed
        {
            return Ok(Some(SubscriptionView::from(&rec)));
        }
    }
    Ok(None)
}

/// Why the help desk could not look a contact up.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error("the contact is not valid")]
    Invalid(#[from] RequestError),
    #[error("not exactly one of email or phone was given")]
    OneContact,
    #[error("no reason was given for the lookup")]
    MissingReason,
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
    #[error("the key service failed")]
    Key(#[from] KeyError),
}

/// Why a fresh code was not sent.
#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error("there is no subscription with this id")]
    Unknown,
    #[error("the subscription is not waiting for a code")]
    NotPending,
    #[error("the subscription changed meanwhile")]
    Changed,
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
    #[error("sealing the new code failed")]
    Seal(#[from] SealError),
    #[error("the key service failed")]
    Key(#[from] KeyError),
    /// Too many codes for a contact, or the day's code budget is spent: nothing was changed or sent.
    #[error("no code can be sent now")]
    Refused(#[from] CodeRefusal),
}

impl From<ReserveError> for ResendError {
    fn from(e: ReserveError) -> Self {
        match e {
            ReserveError::Refused(r) => Self::Refused(r),
            ReserveError::Store(s) => Self::Store(s),
        }
    }
}

/// Sends a member a fresh code for each contact still waiting for one: the old codes stop working, the count of
/// wrong tries starts again. Codes count against the same limits as a new subscription's.
pub async fn resend_code(deps: &SubscriptionDeps, id: &SubscriptionId) -> Result<(), ResendError> {
    let rec = get_subscription(deps.tables.as_ref(), id).await?.ok_or(ResendError::Unknown)?;
    let waiting: Vec<Channel> = rec.channels.iter().copied().filter(|c| rec.check(*c).is_some_and(|k| k.verified_at.is_none())).collect();
    if rec.status == SubscriptionStatus::Unsubscribed || waiting.is_empty() {
        return Err(ResendError::NotPending);
    }
    let indexes: Vec<String> = waiting.iter().filter_map(|c| rec.check(*c).map(|k| k.index)).collect();
    reserve_codes(deps, &CodeLimits::from_env().unwrap_or_default(), &indexes).await?;
    let generation = rec.code_generation + 1;
    let mut private = rec.open(deps.keys.as_ref()).await?;
    let mut codes = distinct_codes(waiting.len());
    let now = deps.clock.now();
    let mut update = Update::default();
    for c in &waiting {
        let code = codes.pop().unwrap_or_default();
        let index = rec.check(*c).map(|k| k.index).unwrap_or_default();
        let mac = code_mac(deps.keys.as_ref(), id, *c, &index, generation, &code).await?;
        update =
            update.set(&check_attr(*c, "code_mac"), s(hex::encode(mac))).set(&check_attr(*c, "attempts"), AttributeValue::N("0".into()));
        match c {
            Channel::Email => private.email_code = Some(code),
            Channel::Sms => private.sms_code = Some(code),
        }
    }
    let json = zeroize::Zeroizing::new(serde_json::to_vec(&private).expect("contacts serialise"));
    drop(private);
    let env = seal::parse(&rec.sealed)?;
    let key = deps.keys.decrypt_data_key(env.wrapped, &keyring_context(&rec.contact_key_id)).await?;
    let sealed = seal::seal_with(&key, env.wrapped, &SubscriptionRecord::context(id), &json);
    update = update
        .set("sealed", AttributeValue::B(sealed))
        .set("code_generation", AttributeValue::N(generation.to_string()))
        .set("code_expires_at", AttributeValue::N((now + chrono::Duration::minutes(CODE_TTL_MINUTES)).timestamp().to_string()));
    if rec.status == SubscriptionStatus::Pending {
        update = update.set("expires_at", AttributeValue::N((now + chrono::Duration::days(PENDING_TTL_DAYS)).timestamp().to_string()));
    }
    let cond = Condition::And(vec![
        Condition::Equals("status".into(), rec.status.into()),
        Condition::Equals("code_generation".into(), AttributeValue::N(rec.code_generation.to_string())),
    ]);
    match deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(id), update, cond).await {
        Ok(_) => {
            tracing::info!(subscription_id = %id, contacts = waiting.len(), "verification codes renewed");
            Ok(())
        }
        Err(StoreError::ConditionFailed) => Err(ResendError::Changed),
        Err(e) => Err(e.into()),
    }
}
