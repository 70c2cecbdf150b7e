//! The console's sessions: a random id in an HttpOnly, SameSite=Strict cookie scoped to `/staff` (Secure everywhere
//! but plain-HTTP localhost), and a record on the server under the id's SHA-256, with an idle and an absolute end.
//! The record holds the staff member's name and role, the session's CSRF token, and, signed in through Cognito, the
//! tokens (sealed). Nothing of the session is ever in script-readable storage. Records are kept in the audit table,
//! whose function may put and update but never delete: an ended session is marked so, and the table's TTL removes it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::ids::random_base32;
use crate::ports::tables::{AttributeValue, from_item, to_item};
use crate::ports::{Condition, Key, StoreError, Table, Update};
use crate::seal::Sealed;
use crate::staff::{Role, Staff};
use crate::usecases::Deps;

/// The cookie's name.
pub const COOKIE: &str = "num_staff";
/// A session unused this long ends.
pub const IDLE_MINUTES: i64 = 30;
/// A session ends this long after sign-in, used or not (a working day).
pub const MAX_HOURS: i64 = 10;
const KIND: &str = "console_session";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub subject: String,
    pub role: Role,
    pub csrf: String,
    pub started_at: i64,
    pub last_seen: i64,
    /// The absolute end; the table's TTL removes the record after it.
    pub expires_at: i64,
    /// Signed in through Cognito: the refresh token (sealed) and when the ID token ends.
    #[serde(default, skip_serializing_if = "Sealed::is_empty")]
    pub refresh_sealed: Sealed<String>,
    #[serde(default)]
    pub id_expires_at: i64,
}

impl SessionRecord {
    pub fn staff(&self) -> Staff {
        Staff { subject: self.subject.clone(), role: self.role }
    }

    /// Whether a form's token is this session's.
    pub fn csrf_ok(&self, given: &str) -> bool {
        !given.is_empty() && bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes()))
    }
}

pub fn key(token: &str) -> Key {
    Key::new(format!("CONSOLE#{}", hex::encode(Sha256::digest(token.trim().as_bytes()))), "SESSION")
}

/// The sealing context of a session's Cognito tokens.
pub fn context(token: &str) -> crate::ports::EncryptionContext {
    crate::ports::EncryptionContext::new(Table::Audit.as_str(), KIND, &key(token).pk)
}

/// Starts a session; the token for the cookie, and the record.
pub async fn start(
    deps: &Deps,
    staff: &Staff,
    refresh_sealed: Sealed<String>,
    id_expires_at: i64,
) -> Result<(String, SessionRecord), StoreError> {
    let token = new_token();
    let rec = start_with(deps, &token, staff, refresh_sealed, id_expires_at).await?;
    Ok((token, rec))
}

/// A fresh session id (160 bits).
pub fn new_token() -> String {
    random_base32(32)
}

/// Starts a session under a token made with [`new_token`] (so what is sealed for it can name it first).
pub async fn start_with(
    deps: &Deps,
    token: &str,
    staff: &Staff,
    refresh_sealed: Sealed<String>,
    id_expires_at: i64,
) -> Result<SessionRecord, StoreError> {
    let now = deps.clock.now().timestamp();
    let k = key(token);
    let rec = SessionRecord {
        pk: k.pk,
        sk: k.sk,
        kind: KIND.into(),
        subject: staff.subject.clone(),
        role: staff.role,
        csrf: random_base32(32),
        started_at: now,
        last_seen: now,
        expires_at: now + MAX_HOURS * 3600,
        refresh_sealed,
        id_expires_at,
    };
    deps.tables.put(Table::Audit, to_item(&rec)?, Condition::NotExists).await?;
    Ok(rec)
}

/// The live session of a token; its idle clock starts again. A session past either end, or ended, is none.
pub async fn current(deps: &Deps, token: &str) -> Result<Option<SessionRecord>, StoreError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 64 {
        return Ok(None);
    }
    let k = key(token);
    let Some(item) = deps.tables.get(Table::Audit, &k).await? else { return Ok(None) };
    let rec: SessionRecord = from_item(item)?;
    let now = deps.clock.now().timestamp();
    if now - rec.last_seen > IDLE_MINUTES * 60 || now >= rec.expires_at {
        return Ok(None);
    }
    if now - rec.last_seen >= 30 {
        let touch = Update::default().set("last_seen", AttributeValue::N(now.to_string()));
        match deps.tables.update(Table::Audit, &k, touch, Condition::Exists).await {
            Ok(_) | Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(rec))
}

/// Keeps a refreshed ID token's end (and a new refresh token, where Cognito sent one).
pub async fn refreshed(deps: &Deps, token: &str, id_expires_at: i64, refresh_sealed: Option<Sealed<String>>) -> Result<(), StoreError> {
    let mut update = Update::default().set("id_expires_at", AttributeValue::N(id_expires_at.to_string()));
    if let Some(r) = refresh_sealed {
        update = update.set("refresh_sealed", crate::ports::tables::to_attr(&r)?);
    }
    deps.tables.update(Table::Audit, &key(token), update, Condition::Exists).await.map(|_| ())
}

/// Ends a session: its end is set to the past, so the cookie opens nothing even if it was copied, and the sealed
/// refresh token goes. The table's TTL removes the record; the function never deletes from the audit table.
pub async fn end(deps: &Deps, token: &str) -> Result<(), StoreError> {
    // Now, not 0: DynamoDB's TTL leaves alone items whose time is more than five years past.
    let now = deps.clock.now().timestamp();
    let update = Update::default().set("expires_at", AttributeValue::N(now.to_string())).remove("refresh_sealed");
    match deps.tables.update(Table::Audit, &key(token), update, Condition::Exists).await {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The `Set-Cookie` value that holds a session (`None`: the one that removes it).
pub fn cookie(token: Option<&str>, local: bool) -> String {
    let secure = if local { "" } else { "; Secure" };
    match token {
        Some(t) => format!("{COOKIE}={t}; Path=/staff; Max-Age={}; HttpOnly; SameSite=Strict{secure}", MAX_HOURS * 3600),
        None => format!("{COOKIE}=; Path=/staff; Max-Age=0; HttpOnly; SameSite=Strict{secure}"),
    }
}
