//! `num audit verify`: checks the local audit log's hash chain.

use std::path::Path;

use shared::adapters::SqliteTables;
use shared::usecases::audit::{Verdict, verify as verify_chain};

/// Whether the chain holds, and a sentence saying so.
pub async fn verify(dir: &Path) -> anyhow::Result<(bool, String)> {
    if !dir.join(SqliteTables::FILE_NAME).exists() {
        anyhow::bail!("there is no database in {}; give the server's --data-dir", dir.display());
    }
    let tables = SqliteTables::open(dir)?;
    Ok(match verify_chain(&tables).await? {
        Verdict::Intact { entries } => (true, format!("the audit log is intact: {entries} entries, every hash holds")),
        Verdict::Altered { seq } => (false, format!("entry {seq} was changed after it was written")),
        Verdict::Missing { seq } => (false, format!("entry {seq} is missing")),
    })
}
