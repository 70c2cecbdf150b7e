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

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use serde::{Serialize, de::DeserializeOwned};
use zeroize::Zeroizing;

use crate::ports::{EncryptionContext, KeyError, KeyService};

const VERSION: u8 = 1;
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
}

/// Seals raw bytes under a data key the caller already holds (and whose wrapped form it passes along).
pub fn seal_with(key: &[u8; 32], wrapped: &[u8], ctx: &EncryptionContext, plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let aad = ctx.canonical_bytes();
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
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

/// Seals one record's private values under one fresh data key.
pub struct Sealer {
    ctx: EncryptionContext,
    key: Zeroizing<[u8; 32]>,
    wrapped: Vec<u8>,
}

impl Sealer {
    /// Asks the key service for the record's data key.
    pub async fn for_record(keys: &dyn KeyService, ctx: EncryptionContext) -> Result<Self, SealError> {
        let dk = keys.generate_data_key(&ctx).await?;
        Ok(Self { ctx, key: dk.plaintext, wrapped: dk.wrapped })
    }

    pub fn seal_bytes(&self, plaintext: &[u8]) -> Vec<u8> {
        seal_with(&self.key, &self.wrapped, &self.ctx, plaintext)
    }

    /// Seals a value as JSON. The JSON buffer is zeroed after use.
    pub fn seal_json<T: Serialize>(&self, value: &T) -> Vec<u8> {
        let json = Zeroizing::new(serde_json::to_vec(value).expect("domain values always serialise"));
        self.seal_bytes(&json)
    }
}

/// Opens a sealed value: unwraps its data key under `ctx`, then decrypts.
pub async fn open_bytes(keys: &dyn KeyService, sealed: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<Vec<u8>>, SealError> {
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
