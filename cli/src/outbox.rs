//! `num outbox`: what the local server has "sent".

use std::path::Path;

use shared::adapters::Outbox;

pub fn render(dir: &Path, json: bool) -> anyhow::Result<String> {
    let entries = Outbox::read(dir)?;
    if json {
        return Ok(serde_json::to_string_pretty(&entries)? + "\n");
    }
    if entries.is_empty() {
        return Ok(format!("The outbox in {} is empty.\n", dir.display()));
    }
    let mut out = String::new();
    for e in &entries {
        out += &format!("--- {}  {}  to {}\n", e.time, e.channel, e.to);
        if let Some(s) = &e.subject {
            out += &format!("Subject: {s}\n");
        }
        out += &e.body;
        if !e.body.ends_with('\n') {
            out.push('\n');
        }
    }
    out += &format!("--- {} message{}\n", entries.len(), if entries.len() == 1 { "" } else { "s" });
    Ok(out)
}
