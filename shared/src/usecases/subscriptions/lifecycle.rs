//! A subscription's life: subscribe (stored pending, a code on its way), verify the code, activate, and end it by
//! the unsubscribe link, by a STOP reply, or when a newer subscription of the same contact replaces it.

use super::SubscriptionDeps;
use super::keyring::{KeyringError, current_contact_key};
use super::records::{
    MEMBERSHIP_KIND, Membership, SUBSCRIPTION_KIND, SubscriberPrivate, SubscriptionRecord, contact_index, get_subscription, index_key,
    pending_index_key, subscription_id, unsubscribe_key,
};
use super::request::{RequestError, SubscribeRequest, ValidSubscribeRequest};
use super::{Channel, SubscriptionStatus};
use crate::domain::ids::random_base32;
use crate::domain::passphrase::{hash_secret, verify_secret};
use crate::domain::{PhoneNumber, SubscriptionId};
use crate::ports::tables::{AttributeValue, s, to_item};
use crate::ports::{Condition, KeyError, StoreError, Table, Tables, Update};
use crate::seal::{self, Sealed};
use crate::usecases::records::{Lookup, follow};

pub const CODE_TTL_MINUTES: i64 = 30;
pub const MAX_CODE_ATTEMPTS: i64 = 5;
/// An unverified subscription is removed after a week (DynamoDB TTL on `expires_at`).
pub const PENDING_TTL_DAYS: i64 = 7;

/// Why a subscription was not stored. Nothing a member can see was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("the request is not valid")]
    Invalid(#[from] RequestError),
    /// An import stored the subscription and then could not find it again.
    #[error("the imported subscription is gone")]
    Gone,
    #[error("the contact key could not be had")]
    Keyring(#[from] KeyringError),
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
    #[error("the key service failed")]
    Key(#[from] KeyError),
    #[error("hashing the code failed")]
    Hashing(#[source] tokio::task::JoinError),
}

/// Why a code did not start a subscription.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// No pending subscription has this id (or the id is not one).
    #[error("there is no subscription with this id")]
    Unknown,
    #[error("the subscription was ended")]
    Unsubscribed,
    /// Too many wrong codes: only a fresh code lets the member in.
    #[error("too many wrong codes")]
    Locked,
    #[error("the code has expired")]
    Expired,
    #[error("the subscription changed meanwhile")]
    Changed,
    #[error("the code is wrong")]
    WrongCode,
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
    #[error("checking the code failed")]
    Hashing(#[source] tokio::task::JoinError),
}

/// Why an unsubscribe link did nothing.
#[derive(Debug, thiserror::Error)]
pub enum UnsubscribeError {
    #[error("the unsubscribe token is not valid")]
    InvalidToken,
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
}

/// Why a STOP reply could not be acted on.
#[derive(Debug, thiserror::Error)]
pub enum StopError {
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
    #[error("the key service failed")]
    Key(#[from] KeyError),
}

pub(super) fn six_digit_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Parses and checks a subscription request, then stores it pending verification. A code for each contact goes out
/// from the table's stream.
pub async fn subscribe(deps: &SubscriptionDeps, req: SubscribeRequest) -> Result<SubscriptionId, SubscribeError> {
    store_pending(deps, req, true).await
}

async fn store_pending(deps: &SubscriptionDeps, req: SubscribeRequest, with_code: bool) -> Result<SubscriptionId, SubscribeError> {
    let ValidSubscribeRequest { email, phone, regions, channels } = ValidSubscribeRequest::try_from(req)?;

    let mut indexes = Vec::new();
    if let Some(e) = &email {
        indexes.push(contact_index(deps.keys.as_ref(), &format!("email:{}", e.canonical())).await?);
    }
    if let Some(p) = &phone {
        indexes.push(contact_index(deps.keys.as_ref(), &format!("phone:{}", p.as_str())).await?);
    }
    let id = SubscriptionId::new();
    let code = with_code.then(six_digit_code);
    let token = random_base32(24);
    let now = deps.clock.now();
    let (key_id, key, wrapped) = current_contact_key(deps.tables.as_ref(), deps.keys.as_ref(), deps.clock.as_ref()).await?;
    let private = SubscriberPrivate { email, phone, unsubscribe_token: token.clone(), code: code.clone() };
    let json = zeroize::Zeroizing::new(serde_json::to_vec(&private).expect("contacts serialise"));
    let sealed = Sealed::from_bytes(seal::seal_with(&key, &wrapped, &SubscriptionRecord::context(&id), &json));
    let code_hash = match code {
        Some(code) => Some(tokio::task::spawn_blocking(move || hash_secret(&code)).await.map_err(SubscribeError::Hashing)?),
        None => None,
    };
    let key_ = SubscriptionRecord::key(&id);
    let rec = SubscriptionRecord {
        pk: key_.pk,
        sk: key_.sk,
        kind: SUBSCRIPTION_KIND.into(),
        subscription_id: id.clone(),
        status: SubscriptionStatus::Pending,
        regions,
        channels,
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        verified_at: None,
        code_hash,
        code_expires_at: (now + chrono::Duration::minutes(CODE_TTL_MINUTES)).timestamp(),
        code_attempts: 0,
        code_generation: 1,
        contact_key_id: key_id,
        sealed,
        contact_indexes: indexes,
        expires_at: Some((now + chrono::Duration::days(PENDING_TTL_DAYS)).timestamp()),
    };
    // The unsubscribe lookup first: if the second write fails, an orphan lookup points at nothing and harms nobody.
    Lookup { key: unsubscribe_key(&token), kind: "unsubscribe_token", points_to: id.as_str(), expires_at: None }
        .put(deps.tables.as_ref(), Table::Subscribers, Condition::NotExists)
        .await?;
    deps.tables.put(Table::Subscribers, to_item(&rec)?, Condition::NotExists).await?;
    // The help desk finds a member who never got in by the contact they give: the newest pending subscription of it.
    for hex in &rec.contact_indexes {
        Lookup {
            key: pending_index_key(hex),
            kind: "pending_index",
            points_to: id.as_str(),
            expires_at: Some(rec.expires_at.unwrap_or_default()),
        }
        .put(deps.tables.as_ref(), Table::Subscribers, Condition::Always)
        .await?;
    }
    tracing::info!(subscription_id = %id, channels = rec.channels.len(), regions = rec.regions.len(), "subscription pending");
    Ok(id)
}

/// Checks a code. Five wrong tries, or a code older than 30 minutes, and the member subscribes again for a new one.
pub async fn verify(deps: &SubscriptionDeps, id: &str, code: &str) -> Result<(), VerifyError> {
    let id = SubscriptionId::parse(id).map_err(|_| VerifyError::Unknown)?;
    let rec = get_subscription(deps.tables.as_ref(), &id).await?.ok_or(VerifyError::Unknown)?;
    match rec.status {
        // Answered as any wrong code is: a 200 here would confirm to anyone holding the id that the subscription is
        // live, whatever code they sent.
        SubscriptionStatus::Active => return Err(VerifyError::WrongCode),
        SubscriptionStatus::Unsubscribed => return Err(VerifyError::Unsubscribed),
        SubscriptionStatus::Pending => {}
    }
    if rec.code_attempts >= MAX_CODE_ATTEMPTS {
        return Err(VerifyError::Locked);
    }
    if deps.clock.now().timestamp() > rec.code_expires_at {
        return Err(VerifyError::Expired);
    }
    // Count the try before checking it, so parallel guesses cannot get past the limit.
    let attempts_cond = Condition::And(vec![
        Condition::Equals("status".into(), SubscriptionStatus::Pending.into()),
        Condition::Equals("code_generation".into(), AttributeValue::N(rec.code_generation.to_string())),
    ]);
    let counted = deps
        .tables
        .update(Table::Subscribers, &SubscriptionRecord::key(&id), Update::default().add("code_attempts", 1), attempts_cond)
        .await;
    match counted {
        Ok(item) => {
            let attempts = match item.get("code_attempts") {
                Some(AttributeValue::N(n)) => n.parse::<i64>().unwrap_or(i64::MAX),
                _ => i64::MAX,
            };
            if attempts > MAX_CODE_ATTEMPTS {
                return Err(VerifyError::Locked);
            }
        }
        Err(StoreError::ConditionFailed) => return Err(VerifyError::Changed),
        Err(e) => return Err(e.into()),
    }
    let code = code.trim().to_owned();
    let hash = rec.code_hash.clone().unwrap_or_default();
    let ok = tokio::task::spawn_blocking(move || code.len() == 6 && verify_secret(&code, &hash)).await.map_err(VerifyError::Hashing)?;
    if !ok {
        return Err(VerifyError::WrongCode);
    }
    Ok(activate(deps, rec).await?)
}

/// Imports a member who already verified their contacts elsewhere (moving a scheme's existing list over, or seeding a
/// benchmark): stored as `subscribe` stores it, then made active without a code. Never reachable from the public API.
pub async fn import_verified(deps: &SubscriptionDeps, req: SubscribeRequest) -> Result<SubscriptionId, SubscribeError> {
    let id = store_pending(deps, req, false).await?;
    let rec = get_subscription(deps.tables.as_ref(), &id).await?.ok_or(SubscribeError::Gone)?;
    activate(deps, rec).await?;
    Ok(id)
}

async fn activate(deps: &SubscriptionDeps, rec: SubscriptionRecord) -> Result<(), StoreError> {
    let id = rec.subscription_id.clone();
    // The same contact may hold an older subscription: the newest verified one replaces it.
    for hex in &rec.contact_indexes {
        if let Some(old_id) = follow(deps.tables.as_ref(), Table::Subscribers, &index_key(hex), subscription_id).await?
            && old_id != id
        {
            end_subscription(deps.tables.as_ref(), &old_id).await?;
        }
        Lookup { key: index_key(hex), kind: "contact_index", points_to: id.as_str(), expires_at: None }
            .put(deps.tables.as_ref(), Table::Subscribers, Condition::Always)
            .await?;
    }
    write_memberships(deps.tables.as_ref(), &rec, &rec.channels).await?;
    let now = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let update =
        Update::default().set("status", SubscriptionStatus::Active).set("verified_at", s(now)).remove("code_hash").remove("expires_at");
    deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(&id), update, Condition::Exists).await?;
    tracing::info!(subscription_id = %id, "subscription active");
    Ok(())
}

async fn write_memberships(tables: &dyn Tables, rec: &SubscriptionRecord, channels: &[Channel]) -> Result<(), StoreError> {
    for region in &rec.regions {
        let k = Membership::key(*region, &rec.subscription_id);
        let m = Membership {
            pk: k.pk,
            sk: k.sk,
            kind: MEMBERSHIP_KIND.into(),
            subscription_id: rec.subscription_id.clone(),
            channels: channels.to_vec(),
            contact_key_id: rec.contact_key_id.clone(),
            sealed: rec.sealed.clone(),
        };
        tables.put(Table::Subscribers, to_item(&m)?, Condition::Always).await?;
    }
    Ok(())
}

/// Ends a subscription: out of every region's list, its contact indexes released. Repeating it changes nothing.
pub async fn end_subscription(tables: &dyn Tables, id: &SubscriptionId) -> Result<(), StoreError> {
    let Some(rec) = get_subscription(tables, id).await? else { return Ok(()) };
    for region in &rec.regions {
        tables.delete(Table::Subscribers, &Membership::key(*region, id), Condition::Always).await?;
    }
    for hex in &rec.contact_indexes {
        match tables.delete(Table::Subscribers, &index_key(hex), Condition::Equals("subscription_id".into(), s(id.as_str()))).await {
            Ok(()) | Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
    }
    tables
        .update(
            Table::Subscribers,
            &SubscriptionRecord::key(id),
            Update::default().set("status", SubscriptionStatus::Unsubscribed).remove("code_hash"),
            Condition::Exists,
        )
        .await?;
    tracing::info!(subscription_id = %id, "subscription ended");
    Ok(())
}

/// The unsubscribe link of every email. An unknown token is refused without saying more.
pub async fn unsubscribe(deps: &SubscriptionDeps, token: &str) -> Result<(), UnsubscribeError> {
    if token.trim().is_empty() || token.len() > 100 {
        return Err(UnsubscribeError::InvalidToken);
    }
    let id = follow(deps.tables.as_ref(), Table::Subscribers, &unsubscribe_key(token), subscription_id)
        .await?
        .ok_or(UnsubscribeError::InvalidToken)?;
    Ok(end_subscription(deps.tables.as_ref(), &id).await?)
}

/// An SMS reply of STOP from a number: text alerts to it end at once; a subscription left with no channel ends.
pub async fn sms_stop(deps: &SubscriptionDeps, from: &PhoneNumber) -> Result<bool, StopError> {
    let hex = contact_index(deps.keys.as_ref(), &format!("phone:{}", from.as_str())).await?;
    let Some(id) = follow(deps.tables.as_ref(), Table::Subscribers, &index_key(&hex), subscription_id).await? else { return Ok(false) };
    let Some(rec) = get_subscription(deps.tables.as_ref(), &id).await? else { return Ok(false) };
    let channels: Vec<Channel> = rec.channels.iter().copied().filter(|c| *c != Channel::Sms).collect();
    if channels.is_empty() {
        end_subscription(deps.tables.as_ref(), &id).await?;
    } else {
        let ch = crate::ports::tables::to_attr(&channels)?;
        deps.tables
            .update(Table::Subscribers, &SubscriptionRecord::key(&id), Update::default().set("channels", ch), Condition::Exists)
            .await?;
        if rec.status == SubscriptionStatus::Active {
            write_memberships(deps.tables.as_ref(), &rec, &channels).await?;
        }
        match deps.tables.delete(Table::Subscribers, &index_key(&hex), Condition::Equals("subscription_id".into(), s(id.as_str()))).await {
            Ok(()) | Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(subscription_id = %id, "text alerts stopped by reply");
    Ok(true)
}
