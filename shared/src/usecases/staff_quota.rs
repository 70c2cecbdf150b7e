//! How often one member of staff may take an action that tests personal data: a help-desk lookup tells whether a
//! contact is a member, so a member of staff may make only so many in an hour.
//!
//! The count lives in the audit table (one item per staff member, action and clock hour, expiring a day later), so
//! it holds across every instance of the function and across restarts, on both backends. The window is the clock
//! hour (UTC): at most `limit` lookups between 10:00:00 and 10:59:59, and a fresh count at 11:00.

use crate::ports::tables::AttributeValue;
use crate::ports::{Condition, Key, StoreError, Table, Update};

/// Help-desk lookups one member of staff may make in one clock hour.
pub const HELPDESK_LOOKUPS_PER_HOUR: u64 = 20;

const WINDOW_SECONDS: i64 = 3600;

/// The limit is spent: trying again can succeed after this many seconds (the start of the next window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    pub retry_after: u64,
}

fn key(action: &str, subject: &str, window_start: i64) -> Key {
    Key::new(format!("QUOTA#{action}#{subject}"), window_start.to_string())
}

/// Counts one use of `action` by `subject` now, and says whether it is within `limit` for this hour. A use beyond the
/// limit is counted too (it changes nothing: the answer stays "no" until the hour ends).
pub async fn take(deps: &super::Deps, action: &str, subject: &str, limit: u64) -> Result<Result<u64, Exhausted>, StoreError> {
    take_in(deps, Table::Audit, action, subject, limit).await
}

/// As `take`, with the count kept in `table` (a function that may not write the audit table keeps its own there).
pub async fn take_in(
    deps: &super::Deps,
    table: Table,
    action: &str,
    subject: &str,
    limit: u64,
) -> Result<Result<u64, Exhausted>, StoreError> {
    let now = deps.clock.now().timestamp();
    let window_start = now - now.rem_euclid(WINDOW_SECONDS);
    let window_end = window_start + WINDOW_SECONDS;
    let update = Update::default().add("count", 1).set("expires_at", AttributeValue::N((window_end + 86_400).to_string()));
    let item = deps.tables.update(table, &key(action, subject, window_start), update, Condition::Always).await?;
    let count = match item.get("count") {
        Some(AttributeValue::N(n)) => n.parse::<u64>().unwrap_or(u64::MAX),
        _ => u64::MAX,
    };
    if count > limit {
        return Ok(Err(Exhausted { retry_after: (window_end - now).max(1) as u64 }));
    }
    Ok(Ok(count))
}
