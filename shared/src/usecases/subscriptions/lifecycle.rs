//! A subscription's life: subscribe (stored pending, a code on its way to each contact), verify each contact by its
//! own code (a verified contact joins the region lists), and end it by the unsubscribe link, by a STOP reply, or
//! contact by contact when a newer subscription verifies the same contact.

use super::SubscriptionDeps;
use super::codes::{CodeLimits, CodeRefusal, ReserveError, code_mac, code_matches, distinct_codes, reserve_codes};
use super::keyring::{KeyringError, current_contact_key, keyring_context};
use super::records::{
    MEMBERSHIP_KIND, Membership, SUBSCRIPTION_KIND, SubscriberPrivate, SubscriptionRecord, check_attr, contact_index, get_subscription,
    index_key, pending_index_key, sms_stop_key, sms_stop_token, subscription_id, unsubscribe_key,
};
use super::request::{RequestError, SubscribeRequest, ValidSubscribeRequest};
use super::{Channel, SubscriptionStatus};
use crate::domain::ids::random_base32;
use crate::domain::{PhoneNumber, SubscriptionId};
use crate::ports::tables::{AttributeValue, from_item, s, to_attr, to_item};
use crate::ports::{Condition, KeyError, StoreError, Table, Tables, Update};
use crate::seal::{self, SealError, Sealed};
use crate::usecases::records::{Lookup, POINTS_TO, follow};

pub const CODE_TTL_MINUTES: i64 = 30;

/// Whether a verified request waits for staff to approve it (the default) or is a member at once (a deployment that
/// vets members some other way: the template's `Vetting` parameter, `num serve --no-vetting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Vetting {
    #[default]
    On,
    Off,
}

impl Vetting {
    /// `VETTING` as the template sets it: `on` (or unset) or `off`; anything else is refused at start-up.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("VETTING").as_deref() {
            Err(_) | Ok("on") => Ok(Vetting::On),
            Ok("off") => Ok(Vetting::Off),
            Ok(other) => Err(format!("VETTING must be on or off, not {other:?}")),
        }
    }
}

/// The statuses in which a subscription's codes still count.
pub(crate) const LIVE: [SubscriptionStatus; 3] =
    [SubscriptionStatus::Pending, SubscriptionStatus::PendingApproval, SubscriptionStatus::Active];
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
    /// Too many codes for a contact, or the day's code budget is spent: nothing was stored or sent.
    #[error("no code can be sent now")]
    Refused(#[from] CodeRefusal),
}

impl From<ReserveError> for SubscribeError {
    fn from(e: ReserveError) -> Self {
        match e {
            ReserveError::Refused(r) => Self::Refused(r),
            ReserveError::Store(s) => Self::Store(s),
        }
    }
}

/// Why a code did not verify a contact.
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
    #[error("the key service failed")]
    Key(#[from] KeyError),
    #[error("the contacts could not be opened or sealed again")]
    Seal(#[from] SealError),
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
    #[error("the contacts could not be opened or sealed again")]
    Seal(#[from] SealError),
}

/// Parses and checks a subscription request, then stores it pending verification, within the default code limits.
/// A code for each contact goes out from the table's stream.
pub async fn subscribe(deps: &SubscriptionDeps, req: SubscribeRequest) -> Result<SubscriptionId, SubscribeError> {
    subscribe_within(deps, req, &CodeLimits::default()).await
}

/// As `subscribe`, with the code limits given (the deployment's daily budget).
pub async fn subscribe_within(
    deps: &SubscriptionDeps,
    req: SubscribeRequest,
    limits: &CodeLimits,
) -> Result<SubscriptionId, SubscribeError> {
    store_pending(deps, req, Some(limits)).await
}

async fn store_pending(
    deps: &SubscriptionDeps,
    req: SubscribeRequest,
    limits: Option<&CodeLimits>,
) -> Result<SubscriptionId, SubscribeError> {
    let ValidSubscribeRequest { email, phone, regions, channels, language } = ValidSubscribeRequest::try_from(req)?;

    let email_index = match &email {
        Some(e) => Some(contact_index(deps.keys.as_ref(), &format!("email:{}", e.canonical())).await?),
        None => None,
    };
    let sms_index = match &phone {
        Some(p) => Some(contact_index(deps.keys.as_ref(), &format!("phone:{}", p.as_str())).await?),
        None => None,
    };
    let indexes: Vec<String> = [&email_index, &sms_index].into_iter().flatten().cloned().collect();
    // Count the codes before anything is stored: a refusal leaves no trace a member could see.
    if let Some(limits) = limits {
        reserve_codes(deps, limits, &indexes).await?;
    }
    let id = SubscriptionId::new();
    let generation = 1;
    let mut codes = if limits.is_some() { distinct_codes(2) } else { Vec::new() };
    let sms_code = if limits.is_some() && phone.is_some() { codes.pop() } else { None };
    let email_code = if limits.is_some() && email.is_some() { codes.pop() } else { None };
    let mac_of = async |channel: Channel, index: &Option<String>, code: &Option<String>| -> Result<Option<String>, KeyError> {
        match (index, code) {
            (Some(index), Some(code)) => Ok(Some(hex::encode(code_mac(deps.keys.as_ref(), &id, channel, index, generation, code).await?))),
            _ => Ok(None),
        }
    };
    let email_code_mac = mac_of(Channel::Email, &email_index, &email_code).await?;
    let sms_code_mac = mac_of(Channel::Sms, &sms_index, &sms_code).await?;
    let token = random_base32(24);
    let now = deps.clock.now();
    let (key_id, key, wrapped) = current_contact_key(deps.tables.as_ref(), deps.keys.as_ref(), deps.clock.as_ref()).await?;
    let private = SubscriberPrivate { email, phone, unsubscribe_token: token.clone(), email_code, sms_code };
    let json = zeroize::Zeroizing::new(serde_json::to_vec(&private).expect("contacts serialise"));
    drop(private);
    let sealed = Sealed::from_bytes(seal::seal_with(&key, &wrapped, &SubscriptionRecord::context(&id), &json));
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
        ended_at: None,
        code_expires_at: (now + chrono::Duration::minutes(CODE_TTL_MINUTES)).timestamp(),
        code_generation: generation,
        email_index,
        email_code_mac,
        email_attempts: 0,
        email_verified_at: None,
        sms_index,
        sms_code_mac,
        sms_attempts: 0,
        sms_verified_at: None,
        contact_key_id: key_id,
        sealed,
        expires_at: Some((now + chrono::Duration::days(PENDING_TTL_DAYS)).timestamp()),
        language,
        approved_at: None,
    };
    // The unsubscribe and stop-texts lookups first: if a later write fails, an orphan lookup points at nothing and
    // harms nobody.
    Lookup { key: unsubscribe_key(&token), kind: "unsubscribe_token", points_to: id.as_str(), expires_at: None }
        .put(deps.tables.as_ref(), Table::Subscribers, Condition::NotExists)
        .await?;
    Lookup { key: sms_stop_key(&sms_stop_token(&token)), kind: "sms_stop_token", points_to: id.as_str(), expires_at: None }
        .put(deps.tables.as_ref(), Table::Subscribers, Condition::NotExists)
        .await?;
    deps.tables.put(Table::Subscribers, to_item(&rec)?, Condition::NotExists).await?;
    // The help desk finds a member who never got in by the contact they give: the newest pending subscription of it.
    for hex in &indexes {
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

/// Checks a code against each contact still waiting for its own: the contact it was sent to, and only that one,
/// becomes verified and joins the region lists. Five wrong tries on a contact, or a code older than 30 minutes, and
/// the member asks for a new one.
pub async fn verify(deps: &SubscriptionDeps, id: &str, code: &str, vetting: Vetting) -> Result<SubscriptionStatus, VerifyError> {
    let id = SubscriptionId::parse(id).map_err(|_| VerifyError::Unknown)?;
    let rec = get_subscription(deps.tables.as_ref(), &id).await?.ok_or(VerifyError::Unknown)?;
    if matches!(rec.status, SubscriptionStatus::Unsubscribed | SubscriptionStatus::Declined) {
        return Err(VerifyError::Unsubscribed);
    }
    let waiting = rec.waiting_channels();
    // Every contact verified: answered as any wrong code is, since a 200 here would confirm to anyone holding the id
    // that the subscription is live, whatever code they sent.
    if waiting.is_empty() {
        return Err(VerifyError::WrongCode);
    }
    let open = |r: &SubscriptionRecord, c: Channel| r.check(c).is_some_and(|k| k.attempts < MAX_CODE_ATTEMPTS);
    if !waiting.iter().any(|c| open(&rec, *c)) {
        return Err(VerifyError::Locked);
    }
    if deps.clock.now().timestamp() > rec.code_expires_at {
        return Err(VerifyError::Expired);
    }
    // Count the try against every waiting contact before checking it, so parallel guesses cannot get past the limit.
    let mut count = Update::default();
    for c in &waiting {
        count = count.add(&check_attr(*c, "attempts"), 1);
    }
    let cond = Condition::And(vec![
        Condition::In("status".into(), LIVE.iter().map(|s| s.as_attr()).collect()),
        Condition::Equals("code_generation".into(), AttributeValue::N(rec.code_generation.to_string())),
    ]);
    let counted: SubscriptionRecord = match deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(&id), count, cond).await {
        Ok(item) => from_item(item)?,
        Err(StoreError::ConditionFailed) => return Err(VerifyError::Changed),
        Err(e) => return Err(e.into()),
    };
    let code = code.trim();
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    let mut any_open = false;
    for c in waiting {
        let Some(check) = counted.check(c) else { continue };
        if check.attempts > MAX_CODE_ATTEMPTS {
            continue;
        }
        any_open = true;
        let Some(stored) = check.code_mac.as_deref() else { continue };
        if well_formed && code_matches(deps.keys.as_ref(), &id, c, &check.index, counted.code_generation, code, stored).await? {
            return verify_contact(deps, &counted, c, stored, vetting).await;
        }
    }
    Err(if any_open { VerifyError::WrongCode } else { VerifyError::Locked })
}

/// Imports a member who already verified their contacts elsewhere (moving a scheme's existing list over, or seeding a
/// benchmark): stored as `subscribe` stores it, without a code and outside the code limits, then each contact made
/// verified. Never reachable from the public API.
pub async fn import_verified(deps: &SubscriptionDeps, req: SubscribeRequest) -> Result<SubscriptionId, SubscribeError> {
    let id = store_pending(deps, req, None).await?;
    let rec = get_subscription(deps.tables.as_ref(), &id).await?.ok_or(SubscribeError::Gone)?;
    let now = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut update = Update::default().set("status", SubscriptionStatus::Active).set("verified_at", s(now.clone())).remove("expires_at");
    for c in &rec.channels {
        update = update.set(&check_attr(*c, "verified_at"), s(now.clone()));
    }
    let item = deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(&id), update, Condition::Exists).await?;
    let rec: SubscriptionRecord = from_item(item)?;
    for c in rec.verified_channels() {
        take_over_contact(deps, &rec, c).await.map_err(|e| match e {
            VerifyError::Store(s) => SubscribeError::Store(s),
            VerifyError::Key(k) => SubscribeError::Key(k),
            _ => SubscribeError::Gone,
        })?;
    }
    write_memberships(deps, &rec).await.map_err(|e| match e {
        VerifyError::Store(s) => SubscribeError::Store(s),
        VerifyError::Key(k) => SubscribeError::Key(k),
        _ => SubscribeError::Gone,
    })?;
    tracing::info!(subscription_id = %id, "subscription imported");
    Ok(id)
}

/// One contact's code matched: an older subscription of the same contact loses that contact (and ends if it has no
/// other), the contact's index points here, and the region lists carry the channels verified so far.
async fn verify_contact(
    deps: &SubscriptionDeps,
    rec: &SubscriptionRecord,
    channel: Channel,
    mac: &str,
    vetting: Vetting,
) -> Result<SubscriptionStatus, VerifyError> {
    let id = &rec.subscription_id;
    take_over_contact(deps, rec, channel).await?;
    let now = deps.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    // A request staff have not approved waits, out of every list, however many of its codes are right.
    let status = if vetting == Vetting::On && rec.approved_at.is_none() && rec.status != SubscriptionStatus::Active {
        SubscriptionStatus::PendingApproval
    } else {
        SubscriptionStatus::Active
    };
    let mut update = Update::default()
        .set("status", status)
        .set(&check_attr(channel, "verified_at"), s(now.clone()))
        .remove(&check_attr(channel, "code_mac"))
        .remove("expires_at");
    if rec.verified_at.is_none() {
        update = update.set("verified_at", s(now));
    }
    // Only the code checked, and only once.
    let cond = Condition::And(vec![
        Condition::Equals(check_attr(channel, "code_mac"), s(mac)),
        Condition::Equals("code_generation".into(), AttributeValue::N(rec.code_generation.to_string())),
    ]);
    let item = match deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(id), update, cond).await {
        Ok(item) => item,
        Err(StoreError::ConditionFailed) => return Err(VerifyError::Changed),
        Err(e) => return Err(e.into()),
    };
    let now_rec: SubscriptionRecord = from_item(item)?;
    write_memberships(deps, &now_rec).await?;
    if status == SubscriptionStatus::PendingApproval {
        super::vetting::enqueue(deps.tables.as_ref(), &now_rec, &now_rec.verified_at.clone().unwrap_or_default()).await?;
    }
    tracing::info!(subscription_id = %id, channel = channel.as_str(), status = status.as_str(), "contact verified");
    Ok(status)
}

/// Points a verified contact's index at `rec`; the subscription it pointed to before loses that contact.
async fn take_over_contact(deps: &SubscriptionDeps, rec: &SubscriptionRecord, channel: Channel) -> Result<(), VerifyError> {
    let Some(check) = rec.check(channel) else { return Ok(()) };
    let id = &rec.subscription_id;
    if let Some(old_id) = follow(deps.tables.as_ref(), Table::Subscribers, &index_key(&check.index), subscription_id).await?
        && &old_id != id
    {
        drop_contact(deps, &old_id, channel).await?;
    }
    Lookup { key: index_key(&check.index), kind: "contact_index", points_to: id.as_str(), expires_at: None }
        .put(deps.tables.as_ref(), Table::Subscribers, Condition::Always)
        .await?;
    Ok(())
}

/// A copy of the contacts for delivery: only the verified ones, with the unsubscribe token and no code.
async fn sealed_for_delivery(deps: &SubscriptionDeps, rec: &SubscriptionRecord, channels: &[Channel]) -> Result<Vec<u8>, VerifyError> {
    let mut private = rec.open(deps.keys.as_ref()).await?;
    private.email_code = None;
    private.sms_code = None;
    for c in [Channel::Email, Channel::Sms] {
        if !channels.contains(&c) {
            private.forget(c);
        }
    }
    reseal(deps, rec, &private).await
}

/// Seals `private` again for `rec`, under the same month's key.
async fn reseal(deps: &SubscriptionDeps, rec: &SubscriptionRecord, private: &SubscriberPrivate) -> Result<Vec<u8>, VerifyError> {
    let json = zeroize::Zeroizing::new(serde_json::to_vec(private).expect("contacts serialise"));
    let env = seal::parse(&rec.sealed)?;
    let key = deps.keys.decrypt_data_key(env.wrapped, &keyring_context(&rec.contact_key_id)).await?;
    Ok(seal::seal_with(&key, env.wrapped, &SubscriptionRecord::context(&rec.subscription_id), &json))
}

/// Writes (or clears) the region lists for `rec` as it now stands.
pub(super) async fn write_memberships_of(deps: &SubscriptionDeps, rec: &SubscriptionRecord) -> Result<(), VerifyError> {
    write_memberships(deps, rec).await
}

/// Each region's list holds the subscription with its verified channels only; with none, it is in no list.
async fn write_memberships(deps: &SubscriptionDeps, rec: &SubscriptionRecord) -> Result<(), VerifyError> {
    let channels = rec.verified_channels();
    // Only an active (approved, or not vetted) subscription is in any list: that is what keeps alerts from anyone
    // staff have not approved.
    if channels.is_empty() || rec.status != SubscriptionStatus::Active {
        for region in &rec.regions {
            deps.tables.delete(Table::Subscribers, &Membership::key(*region, &rec.subscription_id), Condition::Always).await?;
        }
        return Ok(());
    }
    let sealed = Sealed::from_bytes(sealed_for_delivery(deps, rec, &channels).await?);
    for region in &rec.regions {
        let k = Membership::key(*region, &rec.subscription_id);
        let m = Membership {
            pk: k.pk,
            sk: k.sk,
            kind: MEMBERSHIP_KIND.into(),
            subscription_id: rec.subscription_id.clone(),
            channels: channels.clone(),
            contact_key_id: rec.contact_key_id.clone(),
            sealed: sealed.clone(),
            language: rec.language,
        };
        deps.tables.put(Table::Subscribers, to_item(&m)?, Condition::Always).await?;
    }
    Ok(())
}

/// A subscription loses one contact (a newer one verified it, or it replied STOP): the contact is taken out of its
/// sealed copy, its index released, and the region lists keep only the verified channels left. With no contact
/// left, the subscription ends.
async fn drop_contact(deps: &SubscriptionDeps, id: &SubscriptionId, channel: Channel) -> Result<(), VerifyError> {
    let Some(rec) = get_subscription(deps.tables.as_ref(), id).await? else { return Ok(()) };
    if rec.status == SubscriptionStatus::Unsubscribed || !rec.channels.contains(&channel) {
        return Ok(());
    }
    let remaining: Vec<Channel> = rec.channels.iter().copied().filter(|c| *c != channel).collect();
    if remaining.is_empty() {
        end_subscription(deps.tables.as_ref(), id).await?;
        return Ok(());
    }
    let mut private = rec.open(deps.keys.as_ref()).await?;
    private.forget(channel);
    let sealed = reseal(deps, &rec, &private).await?;
    drop(private);
    let mut update = Update::default().set("channels", to_attr(&remaining)?).set("sealed", AttributeValue::B(sealed));
    for what in ["index", "code_mac", "attempts", "verified_at"] {
        update = update.remove(&check_attr(channel, what));
    }
    let still_verified = remaining.iter().any(|c| rec.check(*c).is_some_and(|k| k.verified_at.is_some()));
    if !still_verified {
        // What is left still waits for its code: not a member of any list until it is verified.
        update = update.set("status", SubscriptionStatus::Pending);
    }
    let item = deps.tables.update(Table::Subscribers, &SubscriptionRecord::key(id), update, Condition::Exists).await?;
    let now_rec: SubscriptionRecord = from_item(item)?;
    write_memberships(deps, &now_rec).await?;
    if let Some(check) = rec.check(channel) {
        release(deps.tables.as_ref(), &index_key(&check.index), id).await?;
    }
    tracing::info!(subscription_id = %id, channel = channel.as_str(), "a contact left the subscription");
    Ok(())
}

/// Deletes a lookup item if it still points to `id`.
async fn release(tables: &dyn Tables, key: &crate::ports::Key, id: &SubscriptionId) -> Result<(), StoreError> {
    match tables.delete(Table::Subscribers, key, Condition::Equals(POINTS_TO.into(), s(id.as_str()))).await {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Ends a subscription: out of every region's list, its contact indexes released, and its record cut down to its id,
/// status and when it ended (the sealed contacts, indexes and codes are gone). Repeating it changes nothing.
pub async fn end_subscription(tables: &dyn Tables, id: &SubscriptionId) -> Result<(), StoreError> {
    let key = SubscriptionRecord::key(id);
    let Some(item) = tables.get(Table::Subscribers, &key).await? else { return Ok(()) };
    let rec: SubscriptionRecord = from_item(item.clone())?;
    for region in &rec.regions {
        tables.delete(Table::Subscribers, &Membership::key(*region, id), Condition::Always).await?;
    }
    // Out of the vetting queue too: an ended request is nobody's to approve.
    tables.delete(Table::Subscribers, &super::vetting::ApprovalRequest::key(id), Condition::Always).await?;
    for hex in rec.contact_indexes() {
        release(tables, &index_key(&hex), id).await?;
        release(tables, &pending_index_key(&hex), id).await?;
    }
    // Everything but what says that it was and that it ended goes (an update, not a put: the staff function may
    // update subscriptions but not write them whole).
    const KEPT: [&str; 6] = ["pk", "sk", "kind", "subscription_id", "status", "ended_at"];
    let gone: Vec<&String> = item.keys().filter(|k| !KEPT.contains(&k.as_str())).collect();
    if rec.status == SubscriptionStatus::Unsubscribed && gone.is_empty() {
        return Ok(());
    }
    let mut update = Update::default().set("status", SubscriptionStatus::Unsubscribed);
    if rec.ended_at.is_none() {
        update = update.set("ended_at", s(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
    }
    for name in gone {
        update = update.remove(name);
    }
    tables.update(Table::Subscribers, &key, update, Condition::Exists).await?;
    tracing::info!(subscription_id = %id, "subscription ended");
    Ok(())
}

/// The live subscription an unsubscribe token belongs to, read only (the link's page shows what would stop).
pub async fn subscription_of_token(deps: &SubscriptionDeps, token: &str) -> Result<Option<SubscriptionRecord>, StoreError> {
    if token.trim().is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let Some(id) = follow(deps.tables.as_ref(), Table::Subscribers, &unsubscribe_key(token), subscription_id).await? else {
        return Ok(None);
    };
    Ok(get_subscription(deps.tables.as_ref(), &id).await?.filter(|r| r.status != SubscriptionStatus::Unsubscribed))
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

/// Why a stop link did nothing.
#[derive(Debug, thiserror::Error)]
pub enum StopLinkError {
    #[error("the stop link's token is not valid")]
    InvalidToken,
    #[error("stopping texts failed")]
    Stop(#[from] StopError),
}

/// The stop link at the end of every text (`/stop/{token}`): text alerts to that subscription end at once; email
/// alerts go on, and a subscription left with no channel ends. Repeating it changes nothing more.
pub async fn stop_texts(deps: &SubscriptionDeps, token: &str) -> Result<(), StopLinkError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 40 {
        return Err(StopLinkError::InvalidToken);
    }
    let id = follow(deps.tables.as_ref(), Table::Subscribers, &sms_stop_key(token), subscription_id)
        .await
        .map_err(StopError::from)?
        .ok_or(StopLinkError::InvalidToken)?;
    let Some(rec) = get_subscription(deps.tables.as_ref(), &id).await.map_err(StopError::from)? else { return Ok(()) };
    if rec.status == SubscriptionStatus::Unsubscribed || !rec.channels.contains(&Channel::Sms) {
        return Ok(());
    }
    drop_contact(deps, &id, Channel::Sms).await.map_err(stop_error)?;
    tracing::info!(subscription_id = %id, "text alerts stopped by link");
    Ok(())
}

fn stop_error(e: VerifyError) -> StopError {
    match e {
        VerifyError::Key(k) => StopError::Key(k),
        VerifyError::Seal(s) => StopError::Seal(s),
        VerifyError::Store(s) => StopError::Store(s),
        other => StopError::Store(StoreError::Other(anyhow::anyhow!("{other}"))),
    }
}

/// An SMS reply of STOP from a number: text alerts to it end at once; a subscription left with no channel ends.
pub async fn sms_stop(deps: &SubscriptionDeps, from: &PhoneNumber) -> Result<bool, StopError> {
    let hex = contact_index(deps.keys.as_ref(), &format!("phone:{}", from.as_str())).await?;
    let Some(id) = follow(deps.tables.as_ref(), Table::Subscribers, &index_key(&hex), subscription_id).await? else { return Ok(false) };
    if get_subscription(deps.tables.as_ref(), &id).await?.is_none() {
        return Ok(false);
    }
    drop_contact(deps, &id, Channel::Sms).await.map_err(stop_error)?;
    release(deps.tables.as_ref(), &index_key(&hex), &id).await?;
    tracing::info!(subscription_id = %id, "text alerts stopped by reply");
    Ok(true)
}
