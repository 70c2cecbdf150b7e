//! Envelope encryption of private data.
//!
//! Each record gets its own data key from the key service. The value is sealed with AES-256-GCM under that key, with
//! the record's encryption context (table, kind, id) as associated data, and stored together with the wrapped data
//! key. Opening asks the key service to unwrap the data key under the same context: a sealed value copied onto another
//! record fails twice over, at the key service and at the AEAD tag.
//!
//! Format, version 1:
//! `0x01 | u16 big-endian length of the wrapped key | wrapped key | 12-byte nonce | ciphertext and 16-byte tag`.
//! The version byte lets the format change; the wrapped key carries the key service's own key id, so master keys
//! can rotate without re-sealing.
//!
//! Format, version 2: `0x02 | 12-byte nonce | ciphertext and 16-byte tag`, with no key inside. The data key is a
//! [`RecordKey`] held in an item of its own (a report's keys: `usecases::report_keys`), and the opener must be given
//! it. Deleting that item is crypto-shredding: a version-2 envelope copied aside before its record was deleted no
//! longer opens, because nothing that could unwrap its key is left. (A version-1 envelope carries its wrapped key, so
//! a copy kept aside opens for as long as the master key exists; those are read still, and no longer written for a
//! report's private records.)

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use serde::{Serialize, de::DeserializeOwned};
use zeroize::Zeroizing;

use crate::ports::{EncryptionContext, KeyError, KeyService};

const VERSION: u8 = 1;
/// Sealed under a record key held elsewhere; see the module's comment.
const VERSION_RECORD_KEY: u8 = 2;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the sealed value does not open under this context")]
    WrongContext,
    #[error("the key service failed")]
    Key(#[from] KeyError),
    #[error("the opened value is not of the expected shape")]
    Shape,
    /// The value was sealed under its record's own key, and that key was not given: it is gone (destroyed at the end
    /// of the record's retention period) or was never made.
    #[error("the record's data key is gone: the value can no longer be opened")]
    NoRecordKey,
    /// The item that holds a record key could not be read or written.
    #[error("the table holding the record's key failed")]
    Store(#[from] crate::ports::StoreError),
}

/// A record's data key, held in an item of its own (wrapped by the key service) rather than inside each envelope.
/// Zeroed on drop.
#[derive(Clone)]
pub struct RecordKey(Zeroizing<[u8; 32]>);

impl RecordKey {
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        Self(key)
    }
}

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(..)")
    }
}

/// AES-256-GCM under `key` with a fresh random nonce, the context as associated data: the nonce and the ciphertext
/// with its tag.
fn encrypt(key: &[u8; 32], ctx: &EncryptionContext, plaintext: &[u8]) -> ([u8; NONCE_LEN], Vec<u8>) {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let aad = ctx.canonical_bytes();
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    (nonce, ct)
}

/// Seals raw bytes under a record key: version 2, no key inside.
fn seal_v2(key: &[u8; 32], ctx: &EncryptionContext, plaintext: &[u8]) -> Vec<u8> {
    let (nonce, ct) = encrypt(key, ctx, plaintext);
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(VERSION_RECORD_KEY);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// The format version of a sealed value (1: wrapped key inside; 2: under a record key held elsewhere).
pub fn version(sealed: &[u8]) -> Option<u8> {
    sealed.first().copied()
}

/// Seals raw bytes under a data key the caller already holds (and whose wrapped form it passes along).
pub fn seal_with(key: &[u8; 32], wrapped: &[u8], ctx: &EncryptionContext, plaintext: &[u8]) -> Vec<u8> {
    let (nonce, ct) = encrypt(key, ctx, plaintext);
    let wrapped_len = u16::try_from(wrapped.len()).expect("a wrapped data key is far shorter than 64 KiB");
    let mut out = Vec::with_capacity(3 + wrapped.len() + NONCE_LEN + ct.len());
    out.push(VERSION);
    out.extend_from_slice(&wrapped_len.to_be_bytes());
    out.extend_from_slice(wrapped);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// The parts of a sealed value.
pub struct Envelope<'a> {
    pub wrapped: &'a [u8],
    nonce: &'a [u8],
    ciphertext: &'a [u8],
}

pub fn parse(sealed: &[u8]) -> Result<Envelope<'_>, SealError> {
    let (&version, rest) = sealed.split_first().ok_or(SealError::Malformed)?;
    if version != VERSION || rest.len() < 2 {
        return Err(SealError::Malformed);
    }
    let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
    let rest = &rest[2..];
    if rest.len() < n + NONCE_LEN + 16 {
        return Err(SealError::Malformed);
    }
    let (wrapped, rest) = rest.split_at(n);
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    Ok(Envelope { wrapped, nonce, ciphertext })
}

/// Opens an envelope with an already unwrapped data key.
pub fn open_with(key: &[u8; 32], env: &Envelope<'_>, ctx: &EncryptionContext) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let cipher = Aes256Gcm::new(key.into());
    let aad = ctx.canonical_bytes();
    cipher
        .decrypt(Nonce::from_slice(env.nonce), Payload { msg: env.ciphertext, aad: &aad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::WrongContext)
}

/// Seals one record's private values under one data key: a fresh one whose wrapped form goes inside each envelope
/// (version 1), or a record key held in its own item (version 2, [`Sealer::under`]).
pub struct Sealer {
    ctx: EncryptionContext,
    key: Zeroizing<[u8; 32]>,
    /// `None` for a record key: nothing of the key goes into the envelope.
    wrapped: Option<Vec<u8>>,
}

impl Sealer {
    /// Asks the key service for the record's data key.
    pub async fn for_record(keys: &dyn KeyService, ctx: EncryptionContext) -> Result<Self, SealError> {
        let dk = keys.generate_data_key(&ctx).await?;
        Ok(Self { ctx, key: dk.plaintext, wrapped: Some(dk.wrapped) })
    }

    /// Seals under a record key held elsewhere (version 2): the value opens only while that key's item exists.
    pub fn under(key: &RecordKey, ctx: EncryptionContext) -> Self {
        Self { ctx, key: key.0.clone(), wrapped: None }
    }

    pub fn seal_bytes(&self, plaintext: &[u8]) -> Vec<u8> {
        match &self.wrapped {
            Some(wrapped) => seal_with(&self.key, wrapped, &self.ctx, plaintext),
            None => seal_v2(&self.key, &self.ctx, plaintext),
        }
    }

    /// Seals a value as JSON. The JSON buffer is zeroed after use.
    pub fn seal_json<T: Serialize>(&self, value: &T) -> Vec<u8> {
        let json = Zeroizing::new(serde_json::to_vec(value).expect("domain values always serialise"));
        self.seal_bytes(&json)
    }
}

/// Opens a sealed value: unwraps its data key under `ctx`, then decrypts. A value sealed under a record key (version
/// 2) does not open here: see [`open_bytes_in`].
pub async fn open_bytes(keys: &dyn KeyService, sealed: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<Vec<u8>>, SealError> {
    open_bytes_in(keys, None, sealed, ctx).await
}

/// Opens a sealed value of either version: version 1 with the key wrapped inside it, version 2 with `record_key`
/// (`None` when the record's key is gone, and then it fails with `NoRecordKey`).
pub async fn open_bytes_in(
    keys: &dyn KeyService,
    record_key: Option<&RecordKey>,
    sealed: &[u8],
    ctx: &EncryptionContext,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if version(sealed) == Some(VERSION_RECORD_KEY) {
        let rest = &sealed[1..];
        if rest.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed);
        }
        let key = record_key.ok_or(SealError::NoRecordKey)?;
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        return open_with(&key.0, &Envelope { wrapped: &[], nonce, ciphertext }, ctx);
    }
    let env = parse(sealed)?;
    let key = keys.decrypt_data_key(env.wrapped, ctx).await.map_err(|e| match e {
        KeyError::ContextMismatch => SealError::WrongContext,
        e => SealError::Key(e),
    })?;
    open_with(&key, &env, ctx)
}

/// Opens a value sealed with `Sealer::seal_json`.
pub async fn open_json<T: DeserializeOwned>(keys: &dyn KeyService, sealed: &[u8], ctx: &EncryptionContext) -> Result<T, SealError> {
    let bytes = open_bytes(keys, sealed, ctx).await?;
    serde_json::from_slice(&bytes).map_err(|_| SealError::Shape)
}

/// Opens a value sealed under a shared data key: the key was wrapped under `key_ctx` (the keyring entry) and the
/// value sealed with `record_ctx` as associated data, so it opens only on its own record.
pub async fn open_shared(
    keys: &dyn KeyService,
    sealed: &[u8],
    key_ctx: &EncryptionContext,
    record_ctx: &EncryptionContext,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let env = parse(sealed)?;
    let key = keys.decrypt_data_key(env.wrapped, key_ctx).await.map_err(|e| match e {
        KeyError::ContextMismatch => SealError::WrongContext,
        e => SealError::Key(e),
    })?;
    open_with(&key, &env, record_ctx)
}

/// The stored form of a private value: sealed bytes that open to a `T`. The type parameter says what a record's
/// sealed attribute holds, so a report's sealed parts are never read as a contact and sealed bytes are never mistaken
/// for plaintext. It is stored as a DynamoDB binary attribute (`B`); `Debug` shows its length only.
pub struct Sealed<T> {
    bytes: Vec<u8>,
    of: std::marker::PhantomData<fn() -> T>,
}

impl<T> Sealed<T> {
    /// Wraps bytes that were sealed elsewhere (a value sealed under a shared data key, say).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes, of: std::marker::PhantomData }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl<T: Serialize> Sealed<T> {
    /// Seals `value` as JSON under the sealer's record key.
    pub fn seal(sealer: &Sealer, value: &T) -> Self {
        Self::from_bytes(sealer.seal_json(value))
    }
}

impl<T: DeserializeOwned> Sealed<T> {
    /// Opens a value sealed with `Sealed::seal` on the record named by `ctx`.
    pub async fn open(&self, keys: &dyn KeyService, ctx: &EncryptionContext) -> Result<T, SealError> {
        open_json(keys, &self.bytes, ctx).await
    }

    /// Opens a value of either version: one sealed under a record key needs `record_key` (see [`open_bytes_in`]).
    pub async fn open_in(&self, keys: &dyn KeyService, record_key: Option<&RecordKey>, ctx: &EncryptionContext) -> Result<T, SealError> {
        let bytes = open_bytes_in(keys, record_key, &self.bytes, ctx).await?;
        serde_json::from_slice(&bytes).map_err(|_| SealError::Shape)
    }
}

impl<T> Clone for Sealed<T> {
    fn clone(&self) -> Self {
        Self::from_bytes(self.bytes.clone())
    }
}

impl<T> PartialEq for Sealed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<T> Eq for Sealed<T> {}

impl<T> Default for Sealed<T> {
    fn default() -> Self {
        Self::from_bytes(Vec::new())
    }
}

impl<T> std::fmt::Debug for Sealed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed<{}>({} bytes)", std::any::type_name::<T>(), self.bytes.len())
    }
}

impl<T> std::ops::Deref for Sealed<T> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl<T> Serialize for Sealed<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.bytes)
    }
}

impl<'de, T> serde::Deserialize<'de> for Sealed<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_bytes_b::deserialize(d).map(Self::from_bytes)
    }
}

/// Stores sealed bytes as a DynamoDB binary attribute (`B`), not as a list of numbers.
pub mod serde_bytes_b {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::LocalKeys;
    use crate::ports::tables::{AttributeValue, from_item, to_item};

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Record {
        sealed: Sealed<String>,
    }

    #[tokio::test]
    async fn a_sealed_value_is_stored_as_binary_opens_on_its_own_record_only_and_never_prints() {
        let dir = tempfile::tempdir().unwrap();
        let keys = LocalKeys::open_or_create(dir.path()).unwrap();
        let ctx = EncryptionContext::new("reports", "report", "R-1");
        let sealer = Sealer::for_record(&keys, ctx.clone()).await.unwrap();
        let rec = Record { sealed: Sealed::seal(&sealer, &"CANARYsealedqz".to_owned()) };

        let item = to_item(&rec).unwrap();
        assert!(matches!(item.get("sealed"), Some(AttributeValue::B(_))), "{item:?}");
        let back: Record = from_item(item).unwrap();
        assert_eq!(back, rec);
        assert!(!format!("{back:?}").contains("CANARY"));
        assert!(format!("{back:?}").contains("bytes"));

        assert_eq!(back.sealed.open(&keys, &ctx).await.unwrap(), "CANARYsealedqz");
        let other = EncryptionContext::new("reports", "report", "R-2");
        assert!(matches!(back.sealed.open(&keys, &other).await, Err(SealError::WrongContext)));
    }

    #[tokio::test]
    async fn a_value_sealed_under_a_record_key_holds_no_key_and_opens_only_with_that_key() {
        let dir = tempfile::tempdir().unwrap();
        let keys = LocalKeys::open_or_create(dir.path()).unwrap();
        let ctx = EncryptionContext::new("reports", "message", "R-1/M1");
        let key = RecordKey::new(keys.generate_data_key(&ctx).await.unwrap().plaintext);
        let sealed: Sealed<String> = Sealed::seal(&Sealer::under(&key, ctx.clone()), &"CANARYrecordkey".to_owned());
        assert_eq!(version(&sealed), Some(2));
        assert_eq!(sealed.len(), 1 + NONCE_LEN + "\"CANARYrecordkey\"".len() + 16, "nonce, ciphertext and tag only");

        assert_eq!(sealed.open_in(&keys, Some(&key), &ctx).await.unwrap(), "CANARYrecordkey");
        assert!(matches!(sealed.open_in(&keys, None, &ctx).await, Err(SealError::NoRecordKey)), "the key gone, it does not open");
        assert!(matches!(sealed.open(&keys, &ctx).await, Err(SealError::NoRecordKey)));
        let other = RecordKey::new(keys.generate_data_key(&ctx).await.unwrap().plaintext);
        assert!(matches!(sealed.open_in(&keys, Some(&other), &ctx).await, Err(SealError::WrongContext)));
        let elsewhere = EncryptionContext::new("reports", "message", "R-2/M1");
        assert!(matches!(sealed.open_in(&keys, Some(&key), &elsewhere).await, Err(SealError::WrongContext)));
    }
}
