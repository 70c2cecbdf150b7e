//! The contact keyring: one data key a month, shared by that month's subscriptions, under which each record's
//! contacts are sealed with the record's own context as associated data.

use super::SubscriberPrivate;
use super::records::SubscriptionRecord;
use crate::domain::SubscriptionId;
use crate::ports::tables::{AttributeValue, Item, s};
use crate::ports::{Clock, Condition, EncryptionContext, Key, KeyError, KeyService, StoreError, Table, Tables};
use crate::seal::{self, SealError, Sealed};

// ---- the shared contact key ----

fn keyring_key(id: &str) -> Key {
    Key::new("KEYRING#contacts", id)
}

pub(super) fn keyring_context(id: &str) -> EncryptionContext {
    EncryptionContext::new(Table::Subscribers.as_str(), "contact_key", id)
}

/// The current month's contact key: its id and the key itself. Created on first use; two writers racing agree on
/// whichever wrote first.
pub(super) async fn current_contact_key(
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
pub async fn open_contact(
    keys: &dyn KeyService,
    sealed: &Sealed<SubscriberPrivate>,
    key_id: &str,
    id: &SubscriptionId,
) -> Result<SubscriberPrivate, SealError> {
    let bytes = seal::open_shared(keys, sealed, &keyring_context(key_id), &SubscriptionRecord::context(id)).await?;
    serde_json::from_slice(&bytes).map_err(|_| SealError::Shape)
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
