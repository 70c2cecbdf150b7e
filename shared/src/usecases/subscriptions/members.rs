//! Members signing in by a code sent to a verified contact, their sessions, and what they change themselves.
//!
//! Signing in answers the same whatever the contact: a code goes only to an active member's verified contact, so the
//! answer tells nobody who is a member. The code is sealed in its own item (kind `sign_in_code`) and sent from the
//! subscribers stream, as verification codes are; only its keyed hash is compared. A session is a random token held by
//! the browser (an HttpOnly cookie) and stored only as its SHA-256: it ends after 30 minutes unused, after 8 hours in
//! any case, and at once on signing out.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::codes::{code_mac, code_matches, distinct_codes};
use super::keyring::{KeyringError, current_contact_key, keyring_context};
use super::lifecycle::{VerifyError, end_subscription, write_memberships_of};
use super::records::{Membership, SubscriptionRecord, contact_index, get_subscription, index_key, subscription_id};
use super::{Channel, SubscriptionDeps, SubscriptionStatus};
use crate::domain::ids::random_base32;
use crate::domain::{Email, PhoneNumber, Region, SubscriptionId};
use crate::i18n::Lang;
use crate::ports::tables::{AttributeValue, from_item, s, to_attr, to_item};
use crate::ports::{Condition, EncryptionContext, Key, KeyError, StoreError, Table, Update};
use crate::seal::{self, SealError};
use crate::usecases::records::follow;

pub const SIGN_IN_KIND: &str = "sign_in_code";
pub const SESSION_KIND: &str = "member_session";
pub const SIGN_IN_CODE_MINUTES: i64 = 10;
pub const MAX_SIGN_IN_ATTEMPTS: i64 = 5;
/// Codes a contact may be sent in an hour: more asks are answered as usual and send nothing.
pub const SIGN_IN_CODES_PER_HOUR: i64 = 3;
pub const SESSION_IDLE_MINUTES: i64 = 30;
pub const SESSION_MAX_HOURS: i64 = 8;

/// A sign-in code waiting for one contact.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub subscription_id: SubscriptionId,
    pub channel: Channel,
    /// Which code this is (the MAC's generation; a new code is a new round, and the stream sends each round once).
    pub round: i64,
    pub code_mac: String,
    #[serde(default)]
    pub attempts: i64,
    pub code_expires_at: i64,
    /// When this hour's count of codes began, and how many went out in it.
    pub window_start: i64,
    pub sent_in_window: i64,
    pub contact_key_id: String,
    /// The code, sealed under the month's contact key with this item's context: only the sender opens it.
    #[serde(with = "crate::seal::serde_bytes_b")]
    pub sealed_code: Vec<u8>,
    pub language: Lang,
    /// The table's TTL removes it an hour after its last code.
    pub expires_at: i64,
}

impl SignInRecord {
    pub fn key(index: &str) -> Key {
        Key::new(format!("CONTACT#{index}"), "SIGNIN")
    }

    pub fn context(id: &SubscriptionId) -> EncryptionContext {
        EncryptionContext::new(Table::Subscribers.as_str(), SIGN_IN_KIND, id.as_str())
    }

    /// The code, for the sender.
    pub async fn open_code(&self, keys: &dyn crate::ports::KeyService) -> Result<zeroize::Zeroizing<String>, SealError> {
        let bytes =
            seal::open_shared(keys, &self.sealed_code, &keyring_context(&self.contact_key_id), &Self::context(&self.subscription_id))
                .await?;
        Ok(zeroize::Zeroizing::new(String::from_utf8(bytes.to_vec()).map_err(|_| SealError::Shape)?))
    }
}

/// A signed-in member's session, stored under the hash of its token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub subscription_id: SubscriptionId,
    pub started_at: i64,
    pub last_seen: i64,
    /// The table's TTL removes it at the latest end.
    pub expires_at: i64,
}

impl SessionRecord {
    pub fn key(token: &str) -> Key {
        Key::new(format!("SESSION#{}", hex::encode(Sha256::digest(token.trim().as_bytes()))), "SESSION")
    }
}

/// Why signing in did not work.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("neither an email address nor a phone number was given")]
    MissingContact,
    #[error("the email address is not valid")]
    InvalidEmail(String),
    #[error("the phone number is not valid")]
    InvalidPhone(String),
    /// Wrong, expired, used up, or no code was sent: one answer for all.
    #[error("the code is wrong")]
    WrongCode,
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
    #[error("the key service failed")]
    Key(#[from] KeyError),
    #[error("the contact key could not be had")]
    Keyring(#[from] KeyringError),
}

/// Why a member's own change did not work.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("no region was chosen")]
    MissingRegions,
    #[error("no channel was chosen")]
    MissingChannels,
    #[error("a channel without a verified contact was chosen")]
    UnverifiedChannel,
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
    #[error("the contacts could not be sealed again")]
    Contacts(#[source] VerifyError),
}

/// The contact as it was typed, as its channel and blind index.
async fn contact_of(deps: &SubscriptionDeps, email: Option<&str>, phone: Option<&str>) -> Result<(Channel, String), SignInError> {
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    let phone = phone.map(str::trim).filter(|p| !p.is_empty());
    match (email, phone) {
        (Some(e), _) => {
            let e = Email::parse(e).map_err(SignInError::InvalidEmail)?;
            Ok((Channel::Email, contact_index(deps.keys.as_ref(), &format!("email:{}", e.canonical())).await?))
        }
        (None, Some(p)) => {
            let p = PhoneNumber::parse(p).map_err(SignInError::InvalidPhone)?;
            Ok((Channel::Sms, contact_index(deps.keys.as_ref(), &format!("phone:{}", p.as_str())).await?))
        }
        (None, None) => Err(SignInError::MissingContact),
    }
}

/// The active member whose verified contact has this index, if any.
async fn member_by_index(deps: &SubscriptionDeps, channel: Channel, index: &str) -> Result<Option<SubscriptionRecord>, StoreError> {
    let Some(id) = follow(deps.tables.as_ref(), Table::Subscribers, &index_key(index), subscription_id).await? else { return Ok(None) };
    let Some(rec) = get_subscription(deps.tables.as_ref(), &id).await? else { return Ok(None) };
    let verified = rec.check(channel).is_some_and(|c| c.verified_at.is_some() && c.index == index);
    Ok((rec.status == SubscriptionStatus::Active && verified).then_some(rec))
}

/// `POST /members/sign-in`: a code goes to the contact if it is an active member's verified contact (and it has not
/// had its codes for the hour). The answer is the same in every case.
pub async fn request_sign_in(deps: &SubscriptionDeps, email: Option<&str>, phone: Option<&str>) -> Result<(), SignInError> {
    let (channel, index) = contact_of(deps, email, phone).await?;
    let Some(rec) = member_by_index(deps, channel, &index).await? else {
        tracing::info!("sign-in asked for a contact that is not an active member's");
        return Ok(());
    };
    let now = deps.clock.now().timestamp();
    let key = SignInRecord::key(&index);
    let previous: Option<SignInRecord> = deps.tables.get(Table::Subscribers, &key).await?.map(from_item).transpose()?;
    let (window_start, sent) = match &previous {
        Some(p) if now - p.window_start < 3600 => (p.window_start, p.sent_in_window),
        _ => (now, 0),
    };
    if sent >= SIGN_IN_CODES_PER_HOUR {
        tracing::info!(subscription_id = %rec.subscription_id, "sign-in code not sent: the hour's codes are spent");
        return Ok(());
    }
    let round = previous.as_ref().map_or(1, |p| p.round + 1);
    let code = zeroize::Zeroizing::new(distinct_codes(1).remove(0));
    let mac = code_mac(deps.keys.as_ref(), &rec.subscription_id, channel, &index, -round, &code).await?;
    let (key_id, data_key, wrapped) = current_contact_key(deps.tables.as_ref(), deps.keys.as_ref(), deps.clock.as_ref()).await?;
    let sealed_code = seal::seal_with(&data_key, &wrapped, &SignInRecord::context(&rec.subscription_id), code.as_bytes());
    let item = SignInRecord {
        pk: key.pk,
        sk: key.sk,
        kind: SIGN_IN_KIND.into(),
        subscription_id: rec.subscription_id.clone(),
        channel,
        round,
        code_mac: hex::encode(mac),
        attempts: 0,
        code_expires_at: now + SIGN_IN_CODE_MINUTES * 60,
        window_start,
        sent_in_window: sent + 1,
        contact_key_id: key_id,
        sealed_code,
        language: rec.language,
        expires_at: now + 3600,
    };
    deps.tables.put(Table::Subscribers, to_item(&item)?, Condition::Always).await?;
    tracing::info!(subscription_id = %rec.subscription_id, channel = channel.as_str(), "sign-in code on its way");
    Ok(())
}

/// A new session: the token for the browser, and when it ends at the latest (RFC 3339).
pub struct NewSession {
    pub token: String,
    pub expires_at: String,
    pub subscription_id: SubscriptionId,
}

/// `POST /members/sign-in/verify`: the code sent to that contact starts a session. Wrong, expired or spent codes all
/// get one answer; each try counts, and after five the code is dead.
pub async fn verify_sign_in(
    deps: &SubscriptionDeps,
    email: Option<&str>,
    phone: Option<&str>,
    code: &str,
) -> Result<NewSession, SignInError> {
    let (channel, index) = contact_of(deps, email, phone).await?;
    let key = SignInRecord::key(&index);
    let Some(item) = deps.tables.get(Table::Subscribers, &key).await? else { return Err(SignInError::WrongCode) };
    let rec: SignInRecord = from_item(item)?;
    let now = deps.clock.now().timestamp();
    if rec.channel != channel || now > rec.code_expires_at || rec.attempts >= MAX_SIGN_IN_ATTEMPTS {
        return Err(SignInError::WrongCode);
    }
    // Count the try first, so parallel guesses cannot get past the limit.
    let cond = Condition::And(vec![
        Condition::Equals("round".into(), AttributeValue::N(rec.round.to_string())),
        Condition::Equals("attempts".into(), AttributeValue::N(rec.attempts.to_string())),
    ]);
    match deps.tables.update(Table::Subscribers, &key, Update::default().add("attempts", 1), cond).await {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => return Err(SignInError::WrongCode),
        Err(e) => return Err(e.into()),
    }
    let code = code.trim();
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    if !well_formed || !code_matches(deps.keys.as_ref(), &rec.subscription_id, channel, &index, -rec.round, code, &rec.code_mac).await? {
        return Err(SignInError::WrongCode);
    }
    // Used once: the code goes (only this round's).
    match deps.tables.delete(Table::Subscribers, &key, Condition::Equals("code_mac".into(), s(rec.code_mac.clone()))).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) => return Err(SignInError::WrongCode),
        Err(e) => return Err(e.into()),
    }
    // Still a member now (not declined, not ended since the code went).
    if member_by_index(deps, channel, &index).await?.is_none() {
        return Err(SignInError::WrongCode);
    }
    let token = random_base32(32);
    let k = SessionRecord::key(&token);
    let ends = now + SESSION_MAX_HOURS * 3600;
    let session = SessionRecord {
        pk: k.pk,
        sk: k.sk,
        kind: SESSION_KIND.into(),
        subscription_id: rec.subscription_id.clone(),
        started_at: now,
        last_seen: now,
        expires_at: ends,
    };
    deps.tables.put(Table::Subscribers, to_item(&session)?, Condition::NotExists).await?;
    tracing::info!(subscription_id = %rec.subscription_id, "member signed in");
    let expires_at = chrono::DateTime::from_timestamp(ends, 0).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(NewSession { token, expires_at, subscription_id: rec.subscription_id })
}

/// The member a session token belongs to, while the session lives and the member is active; the session's idle clock
/// starts again. A session past its time is deleted.
pub async fn member_of_session(deps: &SubscriptionDeps, token: &str) -> Result<Option<SubscriptionRecord>, StoreError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let key = SessionRecord::key(token);
    let Some(item) = deps.tables.get(Table::Subscribers, &key).await? else { return Ok(None) };
    let session: SessionRecord = from_item(item)?;
    let now = deps.clock.now().timestamp();
    if now - session.last_seen > SESSION_IDLE_MINUTES * 60 || now >= session.expires_at {
        deps.tables.delete(Table::Subscribers, &key, Condition::Always).await?;
        return Ok(None);
    }
    if now - session.last_seen >= 60 {
        let touch = Update::default().set("last_seen", AttributeValue::N(now.to_string()));
        match deps.tables.update(Table::Subscribers, &key, touch, Condition::Exists).await {
            Ok(_) | Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
    }
    let rec = get_subscription(deps.tables.as_ref(), &session.subscription_id).await?;
    Ok(rec.filter(|r| r.status == SubscriptionStatus::Active))
}

/// Signing out: the session is gone from the table, so the token opens nothing even if it was copied.
pub async fn sign_out(deps: &SubscriptionDeps, token: &str) -> Result<(), StoreError> {
    deps.tables.delete(Table::Subscribers, &SessionRecord::key(token), Condition::Always).await
}

/// A member's own settings: regions, channels (only those with a verified contact) and language.
pub async fn update_settings(
    deps: &SubscriptionDeps,
    rec: &SubscriptionRecord,
    regions: &[Region],
    channels: &[Channel],
    language: Lang,
) -> Result<SubscriptionRecord, MemberError> {
    if regions.is_empty() {
        return Err(MemberError::MissingRegions);
    }
    if channels.is_empty() {
        return Err(MemberError::MissingChannels);
    }
    let available: Vec<Channel> =
        [Channel::Email, Channel::Sms].into_iter().filter(|c| rec.check(*c).is_some_and(|k| k.verified_at.is_some())).collect();
    if channels.iter().any(|c| !available.contains(c)) {
        return Err(MemberError::UnverifiedChannel);
    }
    let update = Update::default()
        .set("regions", to_attr(&regions.to_vec())?)
        .set("channels", to_attr(&channels.to_vec())?)
        .set("language", to_attr(&language)?);
    let cond = Condition::Equals("status".into(), SubscriptionStatus::Active.as_attr());
    let item = deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(&rec.subscription_id), update, cond).await?;
    let now: SubscriptionRecord = from_item(item)?;
    for r in rec.regions.iter().filter(|r| !now.regions.contains(r)) {
        deps.tables.delete(Table::Subscribers, &Membership::key(*r, &rec.subscription_id), Condition::Always).await?;
    }
    write_memberships_of(deps, &now).await.map_err(MemberError::Contacts)?;
    tracing::info!(subscription_id = %rec.subscription_id, "member changed their settings");
    Ok(now)
}

/// Leaving: as the unsubscribe link does, and the session ends with it.
pub async fn leave(deps: &SubscriptionDeps, rec: &SubscriptionRecord, token: &str) -> Result<(), StoreError> {
    end_subscription(deps.tables.as_ref(), &rec.subscription_id).await?;
    sign_out(deps, token).await
}
