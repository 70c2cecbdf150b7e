//! Local staff accounts: what `num staff add` creates and the local console's sign-in checks. A name, a role, an
//! argon2id hash of the password and a TOTP secret (sealed with the local key), kept in the audit table under
//! `STAFF#<name>`. In the cloud Cognito holds staff accounts and none of this is used.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::domain::passphrase::{HashSlots, hash_secret};
use crate::ports::tables::{from_item, to_item};
use crate::ports::{Condition, EncryptionContext, Key, StoreError, Table, Update};
use crate::seal::{Sealed, Sealer};
use crate::staff::{Role, Staff};
use crate::usecases::Deps;

use super::totp;

const ACCOUNT_KIND: &str = "staff_account";
/// Wrong tries (password or code) before an account waits.
pub const MAX_FAILURES: i64 = 5;
/// How long it waits then.
pub const LOCK_MINUTES: i64 = 15;
/// The shortest password `num staff add` takes.
pub const MIN_PASSWORD: usize = 12;
/// The issuer an authenticator app shows beside the code.
pub const TOTP_ISSUER: &str = "Safety alerts staff (local)";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRecord {
    pub pk: String,
    pub sk: String,
    pub kind: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub totp_sealed: Sealed<String>,
    pub created_at: i64,
    #[serde(default)]
    pub failures: i64,
    #[serde(default)]
    pub locked_until: i64,
    /// The step of the last code taken: a code is good once.
    #[serde(default)]
    pub last_step: i64,
}

impl AccountRecord {
    pub fn key(name: &str) -> Key {
        Key::new(format!("STAFF#{}", name.trim().to_lowercase()), "ACCOUNT")
    }

    fn context(name: &str) -> EncryptionContext {
        EncryptionContext::new(Table::Audit.as_str(), ACCOUNT_KIND, &name.trim().to_lowercase())
    }
}

/// What `num staff add` prints once.
pub struct NewAccount {
    pub name: String,
    pub role: Role,
    /// Present where the password was made here (none was given).
    pub generated_password: Option<Zeroizing<String>>,
    pub totp_secret: String,
    pub otpauth_uri: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the name is 2 to 40 letters, digits, dots, dashes or underscores")]
    InvalidName,
    #[error("the password is shorter than {MIN_PASSWORD} characters")]
    ShortPassword,
    #[error("there is already a staff account of that name")]
    Exists,
    #[error("the store failed")]
    Store(#[from] StoreError),
    #[error("sealing failed")]
    Seal(#[from] crate::seal::SealError),
    #[error("the password could not be hashed")]
    Hash(#[from] crate::domain::passphrase::HashError),
}

pub fn valid_name(name: &str) -> bool {
    let n = name.trim();
    (2..=40).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Creates an account: the password given (or one made here) hashed, a new TOTP secret sealed.
pub async fn add(deps: &Deps, name: &str, role: Role, password: Option<String>) -> Result<NewAccount, AccountError> {
    use rand::RngCore;
    let name = name.trim();
    if !valid_name(name) {
        return Err(AccountError::InvalidName);
    }
    let password = password.map(Zeroizing::new);
    let (password, generated) = match password {
        Some(p) if p.trim().chars().count() < MIN_PASSWORD => return Err(AccountError::ShortPassword),
        Some(p) => (Zeroizing::new(p.trim().to_owned()), false),
        None => {
            let raw = crate::domain::ids::random_base32(20);
            let grouped: Vec<&str> = (0..4).map(|i| &raw[i * 5..i * 5 + 5]).collect();
            (Zeroizing::new(grouped.join("-")), true)
        }
    };
    let mut secret = Zeroizing::new(vec![0u8; totp::SECRET_BYTES]);
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let secret_b32 = totp::base32(&secret);
    let hash = HashSlots::global().hash(password.clone()).await?;
    let sealer = Sealer::for_record(deps.keys.as_ref(), AccountRecord::context(name)).await?;
    let key = AccountRecord::key(name);
    let rec = AccountRecord {
        pk: key.pk,
        sk: key.sk,
        kind: ACCOUNT_KIND.into(),
        name: name.to_owned(),
        role,
        password_hash: hash,
        totp_sealed: Sealed::seal(&sealer, &secret_b32),
        created_at: deps.clock.now().timestamp(),
        failures: 0,
        locked_until: 0,
        last_step: 0,
    };
    match deps.tables.put(Table::Audit, to_item(&rec)?, Condition::NotExists).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) => return Err(AccountError::Exists),
        Err(e) => return Err(e.into()),
    }
    Ok(NewAccount {
        name: name.to_owned(),
        role,
        generated_password: generated.then_some(password),
        otpauth_uri: totp::otpauth_uri(TOTP_ISSUER, name, &secret),
        totp_secret: secret_b32,
    })
}

/// Why a sign-in was refused. The person is told the same in every case.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// No such name, a wrong password, a wrong or used code, or an account waiting after too many tries.
    #[error("the name, password or code is wrong, or the account is waiting")]
    Refused,
    #[error("the store failed")]
    Store(#[from] StoreError),
    #[error("opening the secret failed")]
    Seal(#[from] crate::seal::SealError),
    #[error("the password could not be checked")]
    Hash(#[from] crate::domain::passphrase::HashError),
}

/// A hash of nothing anyone knows, checked for a name that has no account, so both take the same argon2 work.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_secret("no account has this password, it is only here to take time"))
}

/// Checks a name, password and code; the staff member they prove, or `Refused`. Every wrong try counts against the
/// account (after `MAX_FAILURES` it waits `LOCK_MINUTES`), and each code is taken once.
pub async fn sign_in(deps: &Deps, name: &str, password: &str, code: &str) -> Result<Staff, SignInError> {
    let now = deps.clock.now().timestamp();
    let key = AccountRecord::key(name);
    let found: Option<AccountRecord> =
        if valid_name(name) { deps.tables.get(Table::Audit, &key).await?.map(from_item).transpose()? } else { None };
    let phc = found.as_ref().map_or_else(|| dummy_hash().to_owned(), |a| a.password_hash.clone());
    let password_ok = HashSlots::global().verify(Zeroizing::new(password.to_owned()), phc).await?;
    let Some(account) = found else { return Err(SignInError::Refused) };
    let secret = Zeroizing::new(account.totp_sealed.open(deps.keys.as_ref(), &AccountRecord::context(&account.name)).await?);
    let secret = Zeroizing::new(totp::from_base32(&secret).unwrap_or_default());
    let step = totp::matching_step(&secret, code, now);
    let fresh = step.is_some_and(|s| s > account.last_step);
    if !password_ok || !fresh || account.locked_until > now {
        if account.locked_until <= now {
            let failures = account.failures + 1;
            let update = if failures >= MAX_FAILURES {
                Update::default().set("failures", num(0)).set("locked_until", num(now + LOCK_MINUTES * 60))
            } else {
                Update::default().set("failures", num(failures))
            };
            deps.tables.update(Table::Audit, &key, update, Condition::Exists).await?;
        }
        tracing::info!(role = account.role.as_str(), "console sign-in refused");
        return Err(SignInError::Refused);
    }
    let step = step.unwrap_or_default();
    // Taking the code is conditional on the step seen, so two sign-ins with one code cannot both pass.
    let update = Update::default().set("failures", num(0)).set("last_step", num(step));
    let cond = Condition::Equals("last_step".into(), num(account.last_step));
    match deps.tables.update(Table::Audit, &key, update, cond).await {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => return Err(SignInError::Refused),
        Err(e) => return Err(e.into()),
    }
    Ok(Staff { subject: account.name, role: account.role })
}

fn num(n: i64) -> crate::ports::tables::AttributeValue {
    crate::ports::tables::AttributeValue::N(n.to_string())
}
