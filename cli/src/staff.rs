//! `num staff token`: a bearer token for the local server; `num staff add`: an account for the local console.

use std::path::Path;

use anyhow::bail;
use shared::adapters::LocalKeys;
use shared::staff::{Claims, LOCAL_AUDIENCE, LOCAL_ISSUER, Role, sign_local_token};

pub const TOKEN_LIFETIME_SECS: i64 = 3600;

pub async fn token(dir: &Path, role: &str, name: &str) -> anyhow::Result<String> {
    let Some(role) = Role::parse(role) else {
        bail!("'{role}' is not a role. Use one of: caseworker, reviewer, office_manager, admin.");
    };
    if name.trim().is_empty() || name.len() > 80 {
        bail!("give a name of 1 to 80 characters with --name");
    }
    let keys = LocalKeys::open_or_create(dir)?;
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        iss: LOCAL_ISSUER.into(),
        aud: LOCAL_AUDIENCE.into(),
        sub: name.trim().to_owned(),
        groups: vec![role.as_str().to_owned()],
        iat: now,
        exp: now + TOKEN_LIFETIME_SECS,
    };
    sign_local_token(&keys, &claims).await.map_err(|e| anyhow::anyhow!(e.message))
}

/// Creates a local console account; what to print (the password where it was made here, the TOTP secret).
pub async fn add(dir: &Path, role: &str, name: &str, password: Option<String>) -> anyhow::Result<String> {
    use shared::http::console::accounts::{self, AccountError};
    let Some(role) = Role::parse(role) else {
        bail!("'{role}' is not a role. Use one of: caseworker, reviewer, office_manager, admin.");
    };
    let local = crate::serve::Local::open(dir)?;
    let deps = shared::usecases::Deps { tables: local.tables.clone(), keys: local.keys.clone(), clock: local.admin.clock.clone() };
    let made = match accounts::add(&deps, name, role, password).await {
        Ok(m) => m,
        Err(e @ (AccountError::InvalidName | AccountError::ShortPassword | AccountError::Exists)) => bail!("{e}"),
        Err(e) => return Err(anyhow::Error::new(e)),
    };
    let mut out = format!("staff account added: {} ({})\n", made.name, made.role.as_str());
    if let Some(p) = &made.generated_password {
        out.push_str(&format!("password: {}\n", p.as_str()));
    }
    out.push_str(&format!("totp secret: {}\n", made.totp_secret));
    out.push_str(&format!("otpauth uri: {}\n", made.otpauth_uri));
    out.push_str("Add the secret to an authenticator app now: it is not shown again. Sign in at /staff/sign-in.\n");
    Ok(out)
}
