//! `num site`: writes the static site (`infra/web/`) from the very renderer `num serve` and the functions use.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Writes every file of the static site into `out`, creating it if need be. Returns the paths written.
pub fn write(out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut written = Vec::new();
    for (name, content) in shared::http::pages::site_files() {
        let path = out.join(name);
        std::fs::write(&path, content).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
