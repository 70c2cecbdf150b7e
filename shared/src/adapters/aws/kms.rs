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
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::{AwsClient, Failure, KMS, read_answer};
use crate::ports::{DataKey, EncryptionContext, KeyError, KeyService, MacPurpose};

/// GenerateMac takes at most 4096 bytes of message.
const MAX_MAC_MESSAGE: usize = 4096;

#[derive(Clone)]
pub struct KmsKeys {
    client: AwsClient,
    data_key_id: String,
    /// Only functions that compute blind indexes have one (and the permission to use it).
    mac_key_id: Option<String>,
    /// Only the function that appends to the audit log has one.
    audit_key_id: Option<String>,
}

/// The request of every operation used, as KMS's JSON takes it; binary fields in base64.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Request<'a> {
    key_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_spec: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_context: Option<HashMap<&'a str, &'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ciphertext_blob: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mac_algorithm: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// What the operations answer that is read here. `Plaintext` is a data key: wiped with the answer it came in.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    plaintext: Option<String>,
    ciphertext_blob: Option<String>,
    mac: Option<String>,
}

impl Drop for Answer {
    fn drop(&mut self) {
        if let Some(p) = self.plaintext.as_mut() {
            p.zeroize();
        }
    }
}

pub(crate) fn key_error_of(f: &Failure, operation: &str) -> KeyError {
    if f.is("InvalidCiphertextException") || f.is("IncorrectKeyException") {
        return KeyError::ContextMismatch;
    }
    // KMS messages name keys and reasons, never the plaintext or context values we pass.
    let e = f.describe(&format!("kms {operation}"), true);
    if f.transient { KeyError::Unavailable(e) } else { KeyError::Other(e) }
}

fn context(ctx: &EncryptionContext) -> HashMap<&str, &str> {
    ctx.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn missing(what: &str) -> KeyError {
    KeyError::Other(anyhow::anyhow!("kms answered without {what}"))
}

/// A base64 field of an answer, decoded.
fn decoded(field: Option<&String>, what: &str) -> Result<Vec<u8>, KeyError> {
    STANDARD
        .decode(field.ok_or_else(|| missing(what))?)
        .map_err(|_| KeyError::Other(anyhow::anyhow!("kms answered with {what} that is not base64")))
}

/// The 256-bit plaintext key of an answer; every copy made on the way is wiped.
fn take_key(answer: &Answer) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let bytes = Zeroizing::new(decoded(answer.plaintext.as_ref(), "a plaintext key")?);
    if bytes.len() != 32 {
        return Err(KeyError::Other(anyhow::anyhow!("kms answered with a key that is not 256 bits")));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&bytes);
    Ok(key)
}

impl KmsKeys {
    pub fn new(client: AwsClient, data_key_id: impl Into<String>, mac_key_id: Option<String>) -> Self {
        Self { client, data_key_id: data_key_id.into(), mac_key_id, audit_key_id: None }
    }

    /// Adds the HMAC key of the audit chain (`MacPurpose::AuditChain`).
    pub fn with_audit_key(mut self, audit_key_id: impl Into<String>) -> Self {
        self.audit_key_id = Some(audit_key_id.into());
        self
    }

    /// One call. Our copy of the answer is wiped once read, and so is the decoded key: for GenerateDataKey and Decrypt
    /// the answer holds the plaintext key. The connection's own read buffer (hyper's, and rustls' before it), which the
    /// answer may have shared, is not ours to wipe: it is reused, and overwritten by the connection's next answer.
    async fn call(&self, operation: &str, request: &Request<'_>) -> Result<Answer, KeyError> {
        let fail = |f: Failure| {
            tracing::debug!(operation, code = f.code.as_deref().unwrap_or("-"), transient = f.transient, "kms call failed");
            key_error_of(&f, operation)
        };
        let body = self.client.json_call(&KMS, "application/x-amz-json-1.1", "TrentService", operation, request).await.map_err(fail)?;
        let body = Zeroizing::new(Vec::from(body));
        read_answer(&body).map_err(fail)
    }

    /// A cheap call that opens the connection and checks the data key is there (needs `kms:DescribeKey`).
    pub async fn warm_up(&self) -> Result<(), KeyError> {
        self.call("DescribeKey", &Request { key_id: &self.data_key_id, ..Request::default() }).await?;
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
        let request =
            Request { key_id: &self.data_key_id, key_spec: Some("AES_256"), encryption_context: Some(context(ctx)), ..Request::default() };
        let answer = self.call("GenerateDataKey", &request).await?;
        let plaintext = take_key(&answer)?;
        let wrapped = decoded(answer.ciphertext_blob.as_ref(), "a ciphertext blob")?;
        Ok(DataKey { plaintext, wrapped })
    }

    async fn decrypt_data_key(&self, wrapped: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        let request = Request {
            key_id: &self.data_key_id,
            ciphertext_blob: Some(STANDARD.encode(wrapped)),
            encryption_context: Some(context(ctx)),
            ..Request::default()
        };
        take_key(&self.call("Decrypt", &request).await?)
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
        let request =
            Request { key_id, mac_algorithm: Some("HMAC_SHA_256"), message: Some(STANDARD.encode(msg.as_slice())), ..Request::default() };
        let answer = self.call("GenerateMac", &request).await;
        // The message can hold a contact detail (an email address, for its blind index): its base64 copy is wiped.
        if let Some(mut m) = request.message {
            m.zeroize();
        }
        let mac = decoded(answer?.mac.as_ref(), "a mac")?;
        mac.try_into().map_err(|_| KeyError::Other(anyhow::anyhow!("kms answered with a mac that is not 256 bits")))
    }
}
