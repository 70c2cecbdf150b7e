//! Where the labelled report cases are. The repository's own (`shared/tests/cases`, described in its README) are always
//! there and every test runs on them. The house folder beside the repository (`../shared`) is optional: where it is
//! present, its example reports are an extra corpus; where it is absent, the run says so once, in one line.
//!
//! This file is the one place in the Rust code that names `../shared`. The `shared` crate's tests and benchmark and
//! the `num-tests` crate include it (`#[path]`); both crates sit one folder below the repository's root.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// The repository's root, from the including crate's folder (`shared/` or `tests/`). Read when the test runs (cargo
/// sets `CARGO_MANIFEST_DIR` for it), not compiled in: two checkouts that share one target folder (a fresh clone
/// tested beside the working one) may run each other's test binaries, and each must read its own files.
pub fn repo() -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    crate_dir.parent().map_or_else(|| crate_dir.join(".."), Path::to_path_buf)
}

/// The house folder beside the repository: optional, never needed for a test to pass.
fn house() -> PathBuf {
    repo().join("..").join("shared")
}

/// The repository's own labelled cases.
pub fn own_cases() -> PathBuf {
    repo().join("shared").join("tests").join("cases")
}

/// One of the repository's own cases by its id (`28-leeds-parlour-maid-and-van`).
pub fn own_case(id: &str) -> PathBuf {
    own_cases().join(format!("{id}.json"))
}

/// The house's example reports, where the house folder sits beside the repository. Where it does not, says so once
/// on the terminal (not through the test harness's captured output, so a passing run shows it too).
pub fn house_examples() -> Option<PathBuf> {
    let dir = house().join("examples").join("reports");
    if dir.is_dir() {
        return Some(dir);
    }
    static SAID: Once = Once::new();
    SAID.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "../shared not found: the extra corpus and drift checks are not run; every in-repo test still runs"
        );
    });
    None
}
