//! `num staff token`: a bearer token for the local server.

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
