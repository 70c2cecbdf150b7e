//! The key service on KMS.
//!
//! Data keys come from GenerateDataKey (AES_256) under the symmetric data key, with the record's encryption context;
//! the wrapped form stored in each envelope is KMS's CiphertextBlob. Decrypt names the key id and passes the same
//! context, so a wrapped key moved to another record (or made under another key) is refused by KMS itself:
//! `InvalidCiphertextException` or `IncorrectKeyException`, both `KeyError::ContextMismatch`.
//!
//! Keyed hashes come from GenerateMac (HMAC_SHA_256) under a separate HMAC key. KMS has one key for every purpose,
//! so the purpose goes into the message (`"subscriber-contact\0" + message`): a hash made for one purpose never equals
//! one made for another. The audit chain's links are the exception: they use a key of their own (`AUDIT_KEY_ID`),
//! whose key policy lets only the admin API (to append) and the audit verifier role use it.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, MacAlgorithmSpec};
use zeroize::{Zeroize, Zeroizing};

use super::Failure;
use crate::ports::{DataKey, EncryptionContext, KeyError, KeyService, MacPurpose};

/// GenerateMac takes at most 4096 bytes of message.
const MAX_MAC_MESSAGE: usize = 4096;

#[derive(Clone)]
pub struct KmsKeys {
    client: Client,
    data_key_id: String,
    /// Only functions that compute blind indexes have one (and the permission to use it).
    mac_key_id: Option<String>,
    /// Only the function that appends to the audit log has one.
    audit_key_id: Option<String>,
}

fn key_error<E: aws_sdk_kms::error::ProvideErrorMetadata>(
    operation: &str,
    err: aws_sdk_kms::error::SdkError<E, aws_sdk_kms::config::http::HttpResponse>,
) -> KeyError {
    let f = Failure::of(&err);
    tracing::debug!(operation, code = f.code.as_deref().unwrap_or("-"), transient = f.transient, "kms call failed");
    key_error_of(&f, operation)
}

pub(crate) fn key_error_of(f: &Failure, operation: &str) -> KeyError {
    if f.is("InvalidCiphertextException") || f.is("IncorrectKeyException") {
        return KeyError::ContextMismatch;
    }
    // KMS messages name keys and reasons, never the plaintext or context values we pass.
    let e = f.describe(&format!("kms {operation}"), true);
    if f.transient { KeyError::Unavailable(e) } else { KeyError::Other(e) }
}

fn context(ctx: &EncryptionContext) -> HashMap<String, String> {
    ctx.pairs().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Copies a 32-byte secret out of the SDK's buffer and wipes the buffer.
fn take_key(blob: Option<Blob>) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let mut bytes = blob.ok_or_else(|| KeyError::Other(anyhow::anyhow!("kms answered without a plaintext key")))?.into_inner();
    let mut key = Zeroizing::new([0u8; 32]);
    let ok = bytes.len() == 32;
    if ok {
        key.copy_from_slice(&bytes);
    }
    bytes.zeroize();
    if ok { Ok(key) } else { Err(KeyError::Other(anyhow::anyhow!("kms answered with a key that is not 256 bits"))) }
}

impl KmsKeys {
    pub fn new(client: Client, data_key_id: impl Into<String>, mac_key_id: Option<String>) -> Self {
        Self { client, data_key_id: data_key_id.into(), mac_key_id, audit_key_id: None }
    }

    /// Adds the HMAC key of the audit chain (`MacPurpose::AuditChain`).
    pub fn with_audit_key(mut self, audit_key_id: impl Into<String>) -> Self {
        self.audit_key_id = Some(audit_key_id.into());
        self
    }

    /// A cheap call that opens the connection and checks the data key is there (needs `kms:DescribeKey`).
    pub async fn warm_up(&self) -> Result<(), KeyError> {
        self.client.describe_key().key_id(&self.data_key_id).send().await.map_err(|e| key_error("DescribeKey", e))?;
        Ok(())
    }
}

/// The message KMS hashes: the purpose, a NUL, then the message (a purpose never contains NUL).
pub fn mac_message(purpose: MacPurpose, message: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut m = Zeroizing::new(Vec::with_capacity(purpose.as_str().len() + 1 + message.len()));
    m.extend_from_slice(purpose.as_str().as_bytes());
    m.push(0);
    m.extend_from_slice(message);
    m
}

#[async_trait]
impl KeyService for KmsKeys {
    async fn generate_data_key(&self, ctx: &EncryptionContext) -> Result<DataKey, KeyError> {
        let out = self
            .client
            .generate_data_key()
            .key_id(&self.data_key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context(ctx)))
            .send()
            .await
            .map_err(|e| key_error("GenerateDataKey", e))?;
        let plaintext = take_key(out.plaintext)?;
        let wrapped =
            out.ciphertext_blob.ok_or_else(|| KeyError::Other(anyhow::anyhow!("kms answered without a ciphertext blob")))?.into_inner();
        Ok(DataKey { plaintext, wrapped })
    }

    async fn decrypt_data_key(&self, wrapped: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        let out = self
            .client
            .decrypt()
            .key_id(&self.data_key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .set_encryption_context(Some(context(ctx)))
            .send()
            .await
            .map_err(|e| key_error("Decrypt", e))?;
        take_key(out.plaintext)
    }

    async fn mac(&self, purpose: MacPurpose, message: &[u8]) -> Result<[u8; 32], KeyError> {
        let key_id = match purpose {
            MacPurpose::AuditChain => self
                .audit_key_id
                .as_deref()
                .ok_or_else(|| KeyError::Other(anyhow::anyhow!("this function has no audit chain key (AUDIT_KEY_ID)")))?,
            _ => self.mac_key_id.as_deref().ok_or_else(|| KeyError::Other(anyhow::anyhow!("this function has no MAC key (MAC_KEY_ID)")))?,
        };
        let msg = mac_message(purpose, message);
        if msg.len() > MAX_MAC_MESSAGE {
            return Err(KeyError::Other(anyhow::anyhow!("a keyed-hash message is longer than KMS takes ({MAX_MAC_MESSAGE} bytes)")));
        }
        let out = self
            .client
            .generate_mac()
            .key_id(key_id)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(msg.as_slice()))
            .send()
            .await
            .map_err(|e| key_error("GenerateMac", e))?;
        let mac = out.mac.ok_or_else(|| KeyError::Other(anyhow::anyhow!("kms answered without a mac")))?.into_inner();
        mac.try_into().map_err(|_| KeyError::Other(anyhow::anyhow!("kms answered with a mac that is not 256 bits")))
    }
}
