//! The embedded key service: a 256-bit master key in a file of the data folder, readable by its owner alone.
//!
//! Data keys are wrapped with AES-256-GCM under the master key, with the encryption context as associated data, so a
//! wrapped key opens only under the context it was made for, as with KMS. Keyed hashes use HMAC-SHA256 under a key
//! derived from the master key for each purpose.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::ports::{DataKey, EncryptionContext, KeyError, KeyService, MacPurpose};

/// The first byte of every wrapped key: which local master key wrapped it.
const KEY_VERSION: u8 = 1;

pub struct LocalKeys {
    master: Zeroizing<[u8; 32]>,
}

#[derive(Debug, thiserror::Error)]
pub enum LocalKeyError {
    #[error(
        "the master key {path} can be read by others (mode {mode:o}); it must be readable by its owner alone. Run `chmod 600 {path}` and start again"
    )]
    LoosePermissions { path: String, mode: u32 },
    #[error(
        "the master key {path} is damaged: it must hold exactly 32 bytes. Restore it from your backup; without it the sealed data cannot be opened"
    )]
    Damaged { path: String },
    #[error("cannot use the master key {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl LocalKeys {
    pub const FILE_NAME: &'static str = "master.key";

    /// Opens the master key in `dir`, creating it (mode 0600) on first run. Refuses a key file that group or others
    /// may read or write.
    pub fn open_or_create(dir: &Path) -> Result<Self, LocalKeyError> {
        let path = dir.join(Self::FILE_NAME);
        let shown = path.display().to_string();
        let io = |source| LocalKeyError::Io { path: shown.clone(), source };
        fs::create_dir_all(dir).map_err(io)?;
        match fs::read(&path) {
            Ok(bytes) => {
                check_permissions(&path)?;
                let bytes = Zeroizing::new(bytes);
                let master: [u8; 32] = bytes.as_slice().try_into().map_err(|_| LocalKeyError::Damaged { path: shown.clone() })?;
                Ok(Self { master: Zeroizing::new(master) })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut master = Zeroizing::new([0u8; 32]);
                rand::rngs::OsRng.fill_bytes(master.as_mut());
                write_private(&path, master.as_ref()).map_err(io)?;
                Ok(Self { master })
            }
            Err(e) => Err(io(e)),
        }
    }

    fn mac_key(&self, purpose: MacPurpose) -> [u8; 32] {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(self.master.as_ref()).expect("HMAC takes any key length");
        m.update(b"num-mac-key-v1:");
        m.update(purpose.as_str().as_bytes());
        m.finalize().into_bytes().into()
    }
}

#[cfg(unix)]
fn check_permissions(path: &PathBuf) -> Result<(), LocalKeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        fs::metadata(path).map_err(|source| LocalKeyError::Io { path: path.display().to_string(), source })?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(LocalKeyError::LoosePermissions { path: path.display().to_string(), mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &PathBuf) -> Result<(), LocalKeyError> {
    Ok(())
}

/// Creates a new file that only its owner can read, failing if it exists (never overwrite a key).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn wrap_aad(ctx: &EncryptionContext) -> Vec<u8> {
    let mut aad = b"num-wrap-v1".to_vec();
    aad.extend_from_slice(&ctx.canonical_bytes());
    aad
}

#[async_trait]
impl KeyService for LocalKeys {
    async fn generate_data_key(&self, ctx: &EncryptionContext) -> Result<DataKey, KeyError> {
        let mut plaintext = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(plaintext.as_mut());
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new(self.master.as_ref().into());
        let aad = wrap_aad(ctx);
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_ref(), aad: &aad })
            .map_err(|_| KeyError::Other(anyhow::anyhow!("wrapping a data key failed")))?;
        let mut wrapped = Vec::with_capacity(1 + 12 + ct.len());
        wrapped.push(KEY_VERSION);
        wrapped.extend_from_slice(&nonce);
        wrapped.extend_from_slice(&ct);
        Ok(DataKey { plaintext, wrapped })
    }

    async fn decrypt_data_key(&self, wrapped: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        if wrapped.len() != 1 + 12 + 48 || wrapped[0] != KEY_VERSION {
            return Err(KeyError::ContextMismatch);
        }
        let cipher = Aes256Gcm::new(self.master.as_ref().into());
        let aad = wrap_aad(ctx);
        let pt = Zeroizing::new(
            cipher
                .decrypt(Nonce::from_slice(&wrapped[1..13]), Payload { msg: &wrapped[13..], aad: &aad })
                .map_err(|_| KeyError::ContextMismatch)?,
        );
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&pt);
        Ok(key)
    }

    async fn mac(&self, purpose: MacPurpose, message: &[u8]) -> Result<[u8; 32], KeyError> {
        let key = Zeroizing::new(self.mac_key(purpose));
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref()).expect("HMAC takes any key length");
        m.update(message);
        Ok(m.finalize().into_bytes().into())
    }
}
