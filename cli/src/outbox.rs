//! `num outbox`: what the local server has "sent".

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;
use shared::adapters::Outbox;
use shared::adapters::outbox::OutboxEntry;

/// What `num outbox` was asked for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only the messages about this subscription or alert id (their idempotency key names it), optionally with a channel
    /// after a colon (`S-...:email`).
    pub about: Option<String>,
    /// Wait up to this long until at least `count` messages are there.
    pub wait: Option<Duration>,
    pub count: usize,
    /// Print only the verification code of the newest code message.
    pub code: bool,
    pub json: bool,
}

/// Whether the message is about `id`: a subscription or alert id, optionally with a channel after a colon
/// (`S-...:sms`, each contact's code is its own message).
fn is_about(e: &OutboxEntry, id: &str) -> bool {
    id.trim().split(':').filter(|w| !w.is_empty()).all(|want| e.idempotency_key.split(':').any(|part| part.eq_ignore_ascii_case(want)))
}

fn is_code(e: &OutboxEntry) -> bool {
    e.idempotency_key.starts_with("code:")
}

/// The first run of six or more digits in a message: its verification code.
fn code_in(body: &str) -> Option<&str> {
    body.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() >= 6)
}

fn matching(dir: &Path, q: &Query) -> anyhow::Result<Vec<OutboxEntry>> {
    Ok(Outbox::read(dir)?
        .into_iter()
        .filter(|e| q.about.as_deref().is_none_or(|id| is_about(e, id)))
        .filter(|e| !q.code || is_code(e))
        .collect())
}

fn what(q: &Query) -> String {
    let kind = if q.code { "verification code message" } else { "message" };
    match &q.about {
        Some(id) => format!("{kind} about {id}"),
        None => kind.to_owned(),
    }
}

/// Reads the outbox (waiting for messages when asked) and renders the answer.
pub fn run(dir: &Path, q: &Query) -> anyhow::Result<String> {
    let started = Instant::now();
    let entries = loop {
        let entries = matching(dir, q)?;
        match q.wait {
            Some(limit) if entries.len() < q.count.max(1) => {
                if started.elapsed() >= limit {
                    bail!(
                        "waited {} s for {} {}(s) in the outbox in {}, and {} came. Is `num serve` running with this \
                         data folder? `num outbox` lists what is there.",
                        limit.as_secs(),
                        q.count.max(1),
                        what(q),
                        dir.display(),
                        entries.len()
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            _ => break entries,
        }
    };
    if q.code {
        let Some(code) = entries.iter().rev().find_map(|e| code_in(&e.body)) else {
            bail!("there is no {} in the outbox in {}: subscribe first, or add --wait SECONDS", what(q), dir.display());
        };
        return Ok(format!("{code}\n"));
    }
    if q.json {
        return Ok(serde_json::to_string_pretty(&entries)? + "\n");
    }
    if entries.is_empty() {
        return Ok(match &q.about {
            Some(_) => format!("There is no {} in the outbox in {}.\n", what(q), dir.display()),
            None => format!("The outbox in {} is empty.\n", dir.display()),
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_the_first_run_of_six_digits() {
        assert_eq!(code_in("Your code to start safety alerts is 042117. It works for 30 minutes."), Some("042117"));
        assert_eq!(code_in("It works for 30 minutes."), None);
    }
}
