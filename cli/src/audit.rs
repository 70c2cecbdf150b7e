//! `num audit verify`: checks the local audit log's chain, and the chain against anchors taken from outside the table.

use std::path::Path;

use anyhow::{Context, bail};
use shared::adapters::{LocalKeys, SqliteTables};
use shared::usecases::audit::{Anchors, verify as verify_chain};

/// Where anchors come from: a head given by hand, and log files (`-` for standard input).
#[derive(Debug, Default, Clone)]
pub struct AnchorSources {
    pub heads: Vec<String>,
    pub files: Vec<std::path::PathBuf>,
}

/// Whether the chain holds, and a sentence saying so.
pub async fn verify(dir: &Path, sources: &AnchorSources) -> anyhow::Result<(bool, String)> {
    if !dir.join(SqliteTables::FILE_NAME).exists() {
        bail!("there is no database in {}; give the server's --data-dir", dir.display());
    }
    if !dir.join(LocalKeys::FILE_NAME).exists() {
        bail!("there is no master key in {}: the chain's links cannot be checked without it; give the server's --data-dir", dir.display());
    }
    let mut anchors = Anchors::new();
    for head in &sources.heads {
        let Some((seq, link)) = Anchors::parse_head(head) else {
            bail!("--head {head:?} is not <entry number>:<link>; copy audit_seq and audit_mac from an `audit entry` log line");
        };
        if let Err(conflict) = anchors.add(seq, &link) {
            return Ok((false, conflict.to_string()));
        }
    }
    for file in &sources.files {
        let text = if file.as_os_str() == "-" {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading anchors from standard input")?;
            s
        } else {
            let bytes = std::fs::read(file).with_context(|| format!("reading the anchors file {}", file.display()))?;
            String::from_utf8_lossy(&bytes).into_owned()
        };
        match anchors.add_log_lines(&text) {
            Ok(0) => bail!(
                "{} holds no `audit entry` log line (with audit_seq and audit_mac); give the log of the server or function that appended",
                file.display()
            ),
            Ok(_) => {}
            Err(conflict) => return Ok((false, conflict.to_string())),
        }
    }
    let tables = SqliteTables::open(dir)?;
    let keys = LocalKeys::open_or_create(dir)?;
    let verdict = verify_chain(&tables, &keys, &anchors).await?;
    Ok((verdict.is_intact(), verdict.describe()))
}
