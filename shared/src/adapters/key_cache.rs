//! A short-lived cache of opened data keys, and a counter of key-service calls.
//!
//! Delivering one alert to thousands of subscribers opens the same few data keys again and again (the alert's, and
//! the shared key that seals subscriber contacts). Asking KMS each time would cost a call per message and hit its
//! request quota; this cache keeps an opened key for a few minutes, in memory only, zeroed when dropped.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::ports::{DataKey, EncryptionContext, KeyError, KeyService, MacPurpose};

/// Opened keys by a digest of (wrapped key, context), with the time each was opened.
type Opened = HashMap<[u8; 32], (Instant, Zeroizing<[u8; 32]>)>;

pub struct CachedKeys<K> {
    inner: K,
    ttl: Duration,
    max_entries: usize,
    opened: Mutex<Opened>,
    calls: AtomicU64,
}

impl<K: KeyService> CachedKeys<K> {
    pub fn new(inner: K, ttl: Duration) -> Self {
        Self { inner, ttl, max_entries: 1024, opened: Mutex::new(HashMap::new()), calls: AtomicU64::new(0) }
    }

    /// How many calls reached the key service behind the cache.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    fn slot(wrapped: &[u8], ctx: &EncryptionContext) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update((wrapped.len() as u64).to_be_bytes());
        h.update(wrapped);
        h.update(ctx.canonical_bytes());
        h.finalize().into()
    }
}

#[async_trait]
impl<K: KeyService> KeyService for CachedKeys<K> {
    async fn generate_data_key(&self, ctx: &EncryptionContext) -> Result<DataKey, KeyError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.generate_data_key(ctx).await
    }

    async fn decrypt_data_key(&self, wrapped: &[u8], ctx: &EncryptionContext) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        let slot = Self::slot(wrapped, ctx);
        {
            let map = self.opened.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, key)) = map.get(&slot)
                && at.elapsed() < self.ttl
            {
                return Ok(key.clone());
            }
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        let key = self.inner.decrypt_data_key(wrapped, ctx).await?;
        let mut map = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (at, _)| at.elapsed() < self.ttl);
        if map.len() < self.max_entries {
            map.insert(slot, (Instant::now(), key.clone()));
        }
        Ok(key)
    }

    async fn mac(&self, purpose: MacPurpose, message: &[u8]) -> Result<[u8; 32], KeyError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.mac(purpose, message).await
    }
}
