//! The key service: data keys for envelope encryption and a keyed hash for blind indexes.
//!
//! In the cloud this is KMS (GenerateDataKey and Decrypt under an encryption context, GenerateMac); on one machine it
//! is a local master key file. Both wrap data keys so that the wrapped form opens only under the same context.

use std::collections::BTreeMap;

use async_trait::async_trait;
use zeroize::Zeroizing;

/// What a sealed value belongs to: table, item kind and id, and never personal data. The same map is KMS's
/// encryption context and the AEAD's associated data, so a value copied onto another record does not open.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    pub fn new(table: &str, kind: &str, id: &str) -> Self {
        let mut m = BTreeMap::new();
        m.insert("table".to_owned(), table.to_owned());
        m.insert("kind".to_owned(), kind.to_owned());
        m.insert("id".to_owned(), id.to_owned());
        Self(m)
    }

    pub fn pairs(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// A canonical byte form (sorted keys, length-prefixed) for use as associated data.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in &self.0 {
            for s in [k, v] {
                out.extend_from_slice(&(s.len() as u32).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
        out
    }
}

/// A fresh 256-bit data key: the plaintext (zeroed on drop) and the form wrapped by the key service.
pub struct DataKey {
    pub plaintext: Zeroizing<[u8; 32]>,
    pub wrapped: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The wrapped key does not open under this context (tampered, or moved from another record). Never retried.
    #[error("the data key does not open under this encryption context")]
    ContextMismatch,
    /// The key service could not be reached or refused for a reason that may pass (throttling, network).
    #[error("the key service is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("key service error")]
    Other(#[source] anyhow::Error),
}

/// Which keyed hash a blind index uses. One key per purpose, so a hash from one index can't be matched in another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacPurpose {
    /// Blind index of a subscriber's email or phone.
    SubscriberContact,
    /// Local staff tokens (never used in the cloud, where Cognito signs them).
    StaffToken,
    /// Alert ids derived from report ids, so drafting is idempotent yet an alert id does not reveal its report.
    AlertId,
    /// A subscription's verification code, bound to the subscription, the contact it was sent to and its generation:
    /// a stored code MAC cannot be searched offline for the code without the key.
    SubscriptionCode,
    /// The links of the audit log's chain. In the cloud a key of its own, which only the function that appends to the
    /// log (and a verifier role) may use: a function that may use the blind-index key can't forge a link.
    AuditChain,
    /// The offender index: an offender's phone numbers, emails, handles and registrations, normalised
    /// (`usecases::offenders`), so the checker and the links between reports need no identifier in the clear.
    OffenderIdentifier,
    /// The signature of an exported police package: whoever holds the document and may use the key checks it was
    /// issued by the scheme and not changed.
    PoliceExport,
}

impl MacPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            MacPurpose::SubscriberContact => "subscriber-contact",
            MacPurpose::StaffToken => "staff-token",
            MacPurpose::AlertId => "alert-id",
            MacPurpose::SubscriptionCode => "subscription-code",
            MacPurpose::AuditChain => "audit-chain",
            MacPurpose::OffenderIdentifier => "offender-identifier",
            MacPurpose::PoliceExport => "police-export",
        }
    }
}

#[async_trait]
pub trait KeyService: Send + Sync {
    /// A new data key for one record. Each call returns a different key.
    async fn generate_data_key(&self, ctx: &EncryptionContext) -> Result<DataKey, KeyError>;
    /// Opens a wrapped data key. A key wrapped under another context fails with `ContextMismatch`.
    async fn decrypt_data_key(&self, wrapped: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<[u8; 32]>, KeyError>;
    /// A keyed hash (HMAC-SHA256) of `message`: equal inputs give equal outputs, and without the key nobody can
    /// compute or test one.
    async fn mac(&self, purpose: MacPurpose, message: &[u8]) -> Result<[u8; 32], KeyError>;
}

#[async_trait]
impl<T: KeyService + ?Sized> KeyService for std::sync::Arc<T> {
    async fn generate_data_key(&self, ctx: &EncryptionContext) -> Result<DataKey, KeyError> {
        (**self).generate_data_key(ctx).await
    }
    async fn decrypt_data_key(&self, wrapped: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        (**self).decrypt_data_key(wrapped, ctx).await
    }
    async fn mac(&self, purpose: MacPurpose, message: &[u8]) -> Result<[u8; 32], KeyError> {
        (**self).mac(purpose, message).await
    }
}
