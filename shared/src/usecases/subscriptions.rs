//! Members subscribe to alerts for regions, by email, SMS or both.
//!
//! Contacts are sealed. A keyed hash of each contact (a blind index) finds an existing subscription for the same email
//! or phone without storing either in the clear, so the same contact never holds two active subscriptions.
//! Subscribing does not tell a caller whether a contact is already subscribed: the answer is always "a code is on its
//! way", and the code goes to the contact itself.
//!
//! Contacts are sealed under a data key shared by all subscriptions of a month (a keyring entry), with each record's
//! own context as the AEAD's associated data: delivering one alert to ten thousand members then opens one data key,
//! not ten thousand, while a sealed contact still opens only on its own record. A per-record key would cost a KMS call
//! per message; caching cannot help there, since every key would be different.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::ids::random_base32;
use crate::domain::passphrase::{hash_secret, verify_secret};
pub use crate::domain::status::{Channel, SubscriptionStatus};
use crate::domain::{Email, PhoneNumber, Region, SubscriptionId};
use crate::ports::tables::{AttributeValue, Item, from_item, s, to_item};
use crate::ports::{Clock, Condition, EncryptionContext, Key, KeyError, KeyService, MacPurpose, StoreError, Table, Tables, Update};
use crate::seal::{self, SealError};
use crate::usecases::records::{Lookup, follow};
use crate::usecases::submit_report::serde_bytes_b;

pub const CODE_TTL_MINUTES: i64 = 30;
pub const MAX_CODE_ATTEMPTS: i64 = 5;
/// An unverified subscription is removed after a week (DynamoDB TTL on `expires_at`).
pub const PENDING_TTL_DAYS: i64 = 7;

/// What is sealed for a subscription: the contacts, the unsubscribe token, and the code while it is pending.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriberPrivate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    pub unsubscribe_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl Drop for SubscriberPrivate {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.unsubscribe_token.zeroize();
        if let Some(c) = self.code.as_mut() {
            c.zeroize();
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub subscription_id: SubscriptionId,
    pub status: SubscriptionStatus,
    pub regions: Vec<Region>,
    pub channels: Vec<Channel>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_hash: Option<String>,
    #[serde(default)]
    pub code_expires_at: i64,
    #[serde(default)]
    pub code_attempts: i64,
    #[serde(default)]
    pub code_generation: i64,
    pub contact_key_id: String,
    #[serde(with = "serde_bytes_b")]
    pub sealed: Vec<u8>,
    #[serde(default)]
    pub contact_indexes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

pub const SUBSCRIPTION_KIND: &str = "subscription";
pub const MEMBERSHIP_KIND: &str = "membership";

impl SubscriptionRecord {
    pub fn key(id: &SubscriptionId) -> Key {
        Key::new(format!("SUB#{id}"), "SUB")
    }

    pub fn context(id: &SubscriptionId) -> EncryptionContext {
        EncryptionContext::new(Table::Subscribers.as_str(), "contact", id.as_str())
    }

    pub async fn open(&self, keys: &dyn KeyService) -> Result<SubscriberPrivate, SealError> {
        open_contact(keys, &self.sealed, &self.contact_key_id, &self.subscription_id).await
    }
}

/// A subscriber's place in a region's list: what delivery reads to fan an alert out, with a copy of the sealed contact
/// so no second read is needed per subscriber.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub subscription_id: SubscriptionId,
    pub channels: Vec<Channel>,
    pub contact_key_id: String,
    #[serde(with = "serde_bytes_b")]
    pub sealed: Vec<u8>,
}

impl Membership {
    pub fn partition(region: Region) -> String {
        format!("REGION#{}", region.as_str())
    }

    pub fn key(region: Region, id: &SubscriptionId) -> Key {
        Key::new(Self::partition(region), format!("SUB#{id}"))
    }
}

// ---- the shared contact key ----

fn keyring_key(id: &str) -> Key {
    Key::new("KEYRING#contacts", id)
}

fn keyring_context(id: &str) -> EncryptionContext {
    EncryptionContext::new(Table::Subscribers.as_str(), "contact_key", id)
}

/// The current month's contact key: its id and the key itself. Created on first use; two writers racing agree on
/// whichever wrote first.
async fn current_contact_key(
    tables: &dyn Tables,
    keys: &dyn KeyService,
    clock: &dyn Clock,
) -> Result<(String, zeroize::Zeroizing<[u8; 32]>, Vec<u8>), KeyringError> {
    let id = clock.now().format("%Y-%m").to_string();
    let ctx = keyring_context(&id);
    for _ in 0..2 {
        if let Some(item) = tables.get(Table::Subscribers, &keyring_key(&id)).await? {
            let Some(AttributeValue::B(wrapped)) = item.get("wrapped") else {
                return Err(KeyringError::NoWrappedKey);
            };
            let key = keys.decrypt_data_key(wrapped, &ctx).await?;
            return Ok((id, key, wrapped.clone()));
        }
        let dk = keys.generate_data_key(&ctx).await?;
        let k = keyring_key(&id);
        let mut item = Item::default();
        item.insert("pk".into(), s(k.pk));
        item.insert("sk".into(), s(k.sk));
        item.insert("kind".into(), s("contact_key"));
        item.insert("wrapped".into(), AttributeValue::B(dk.wrapped.clone()));
        match tables.put(Table::Subscribers, item, Condition::NotExists).await {
            Ok(()) => return Ok((id, dk.plaintext, dk.wrapped)),
            Err(StoreError::ConditionFailed) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(KeyringError::Busy)
}

/// Opens a contact sealed under a month's shared key.
pub async fn open_contact(keys: &dyn KeyService, sealed: &[u8], key_id: &str, id: &SubscriptionId) -> Result<SubscriberPrivate, SealError> {
    let bytes = seal::open_shared(keys, sealed, &keyring_context(key_id), &SubscriptionRecord::context(id)).await?;
    serde_json::from_slice(&bytes).map_err(|_| SealError::Shape)
}

// ---- use cases ----

pub type SubscriptionDeps = super::Deps;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    pub regions: Vec<String>,
    pub channels: Vec<String>,
}

/// What is wrong with a subscription request (or a help-desk lookup): each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The sentence says what is wrong with the address (it does not quote it).
    #[error("the email address is not valid")]
    InvalidEmail(String),
    #[error("the phone number is not valid")]
    InvalidPhone(String),
    #[error("neither an email address nor a phone number was given")]
    MissingContact,
    #[error("no region was chosen")]
    MissingRegions,
    #[error("region {index} is not a region")]
    InvalidRegion { index: usize, given: String },
    #[error("no channel was chosen")]
    MissingChannels,
    #[error("channel {index} is neither email nor sms")]
    InvalidChannel { index: usize },
    #[error("email alerts were chosen without an email address")]
    MissingEmail,
    #[error("text alerts were chosen without a phone number")]
    MissingPhone,
    #[error("text alerts were chosen for a number that is not a UK or Irish mobile")]
    NotAMobile,
    #[error("an email address was given without choosing email alerts")]
    UnusedEmail,
    #[error("a phone number was given without choosing text alerts")]
    UnusedPhone,
}

/// Why the month's shared contact key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("the keyring entry has no wrapped key")]
    NoWrappedKey,
    #[error("the keyring entry kept changing under concurrent writers")]
    Busy,
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
    #[error("the key service failed")]
    Key(#[from] KeyError),
}

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

/// Why the help desk could not look a contact up.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error("the contact is not valid")]
    Invalid(#[from] RequestError),
    #[error("not exactly one of email or phone was given")]
    OneContact,
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
    #[error("hashing the code failed")]
    Hashing(#[source] tokio::task::JoinError),
}

/// A contact's blind index: HMAC of its canonical form, hex.
async fn contact_index(keys: &dyn KeyService, canonical: &str) -> Result<String, KeyError> {
    let mac = keys.mac(MacPurpose::SubscriberContact, canonical.as_bytes()).await?;
    Ok(hex::encode(mac))
}

fn index_key(hex: &str) -> Key {
    Key::new(format!("CONTACT#{hex}"), "CONTACT")
}

fn pending_index_key(hex: &str) -> Key {
    Key::new(format!("CONTACT#{hex}"), "PENDING")
}

fn unsubscribe_key(token: &str) -> Key {
    let digest = Sha256::digest(crate::domain::ids::normalise_base32(token).as_bytes());
    Key::new(format!("UNSUB#{}", hex::encode(digest)), "UNSUB")
}

/// Reads the id a lookup item points to.
fn subscription_id(s: &str) -> Option<SubscriptionId> {
    SubscriptionId::parse(s).ok()
}

fn six_digit_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Parses and checks a subscription request, then stores it pending verification. A code for each contact goes out
/// from the table's stream.
pub async fn subscribe(deps: &SubscriptionDeps, req: SubscribeRequest) -> Result<SubscriptionId, SubscribeError> {
    store_pending(deps, req, true).await
}

async fn store_pending(deps: &SubscriptionDeps, req: SubscribeRequest, with_code: bool) -> Result<SubscriptionId, SubscribeError> {
    let email = req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| Email::parse(e).map_err(RequestError::InvalidEmail))
        .transpose()?;
    let phone = req
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| PhoneNumber::parse(p).map_err(RequestError::InvalidPhone))
        .transpose()?;
    if email.is_none() && phone.is_none() {
        return Err(RequestError::MissingContact.into());
    }
    if req.regions.is_empty() {
        return Err(RequestError::MissingRegions.into());
    }
    let mut regions = Vec::new();
    for (index, r) in req.regions.iter().enumerate() {
        let region = Region::parse(r).ok_or_else(|| RequestError::InvalidRegion { index, given: r.chars().take(40).collect() })?;
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    if req.channels.is_empty() {
        return Err(RequestError::MissingChannels.into());
    }
    let mut channels = Vec::new();
    for (index, c) in req.channels.iter().enumerate() {
        let Some(ch) = Channel::parse(c) else { return Err(RequestError::InvalidChannel { index }.into()) };
        if !channels.contains(&ch) {
            channels.push(ch);
        }
    }
    if channels.contains(&Channel::Email) && email.is_none() {
        return Err(RequestError::MissingEmail.into());
    }
    if channels.contains(&Channel::Sms) {
        match &phone {
            None => return Err(RequestError::MissingPhone.into()),
            Some(p) if !p.is_mobile() => return Err(RequestError::NotAMobile.into()),
            _ => {}
        }
    }
    if email.is_some() && !channels.contains(&Channel::Email) {
        return Err(RequestError::UnusedEmail.into());
    }
    if phone.is_some() && !channels.contains(&Channel::Sms) {
        return Err(RequestError::UnusedPhone.into());
    }

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
    let sealed = seal::seal_with(&key, &wrapped, &SubscriptionRecord::context(&id), &json);
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

pub async fn get_subscription(tables: &dyn Tables, id: &SubscriptionId) -> Result<Option<SubscriptionRecord>, StoreError> {
    match tables.get(Table::Subscribers, &SubscriptionRecord::key(id)).await? {
        Some(item) => Ok(Some(from_item(item)?)),
        None => Ok(None),
    }
}

/// Checks a code. Five wrong tries, or a code older than 30 minutes, and the member subscribes again for a new one.
pub async fn verify(deps: &SubscriptionDeps, id: &str, code: &str) -> Result<(), VerifyError> {
    let id = SubscriptionId::parse(id).map_err(|_| VerifyError::Unknown)?;
    let rec = get_subscription(deps.tables.as_ref(), &id).await?.ok_or(VerifyError::Unknown)?;
    match rec.status {
        SubscriptionStatus::Active => return Ok(()),
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

// ---- the office manager's help desk ----

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
            locked: r.status == SubscriptionStatus::Pending && r.code_attempts >= MAX_CODE_ATTEMPTS,
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
}

/// Finds the subscription of one exact email or phone, through the blind index: the active one, else the newest
/// pending one. There is no way to list members.
pub async fn find_by_contact(deps: &SubscriptionDeps, req: &FindRequest) -> Result<Option<SubscriptionView>, FindError> {
    let canonical = match (
        req.email.as_deref().map(str::trim).filter(|e| !e.is_empty()),
        req.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()),
    ) {
        (Some(e), None) => format!("email:{}", Email::parse(e).map_err(RequestError::InvalidEmail)?.canonical()),
        (None, Some(p)) => format!("phone:{}", PhoneNumber::parse(p).map_err(RequestError::InvalidPhone)?.as_str()),
        _ => return Err(FindError::OneContact),
    };
    let hex = contact_index(deps.keys.as_ref(), &canonical).await?;
    for key in [index_key(&hex), pending_index_key(&hex)] {
        if let Some(id) = follow(deps.tables.as_ref(), Table::Subscribers, &key, subscription_id).await?
            && let Some(rec) = get_subscription(deps.tables.as_ref(), &id).await?
            && rec.status != SubscriptionStatus::Unsubscribed
        {
            return Ok(Some(SubscriptionView::from(&rec)));
        }
    }
    Ok(None)
}

/// Sends a pending member a fresh code: the old one stops working, the count of wrong tries starts again.
pub async fn resend_code(deps: &SubscriptionDeps, id: &SubscriptionId) -> Result<(), ResendError> {
    let rec = get_subscription(deps.tables.as_ref(), id).await?.ok_or(ResendError::Unknown)?;
    if rec.status != SubscriptionStatus::Pending {
        return Err(ResendError::NotPending);
    }
    let mut private = rec.open(deps.keys.as_ref()).await?;
    let code = six_digit_code();
    private.code = Some(code.clone());
    let json = zeroize::Zeroizing::new(serde_json::to_vec(&private).expect("contacts serialise"));
    let env = seal::parse(&rec.sealed)?;
    let key = deps.keys.decrypt_data_key(env.wrapped, &keyring_context(&rec.contact_key_id)).await?;
    let sealed = seal::seal_with(&key, env.wrapped, &SubscriptionRecord::context(id), &json);
    let code_hash = tokio::task::spawn_blocking(move || hash_secret(&code)).await.map_err(ResendError::Hashing)?;
    let now = deps.clock.now();
    let update = Update::default()
        .set("sealed", AttributeValue::B(sealed))
        .set("code_hash", s(code_hash))
        .set("code_attempts", AttributeValue::N("0".into()))
        .set("code_generation", AttributeValue::N((rec.code_generation + 1).to_string()))
        .set("code_expires_at", AttributeValue::N((now + chrono::Duration::minutes(CODE_TTL_MINUTES)).timestamp().to_string()))
        .set("expires_at", AttributeValue::N((now + chrono::Duration::days(PENDING_TTL_DAYS)).timestamp().to_string()));
    let cond = Condition::And(vec![
        Condition::Equals("status".into(), SubscriptionStatus::Pending.into()),
        Condition::Equals("code_generation".into(), AttributeValue::N(rec.code_generation.to_string())),
    ]);
    match deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(id), update, cond).await {
        Ok(_) => {
            tracing::info!(subscription_id = %id, "verification code renewed");
            Ok(())
        }
        Err(StoreError::ConditionFailed) => Err(ResendError::Changed),
        Err(e) => Err(e.into()),
    }
}
