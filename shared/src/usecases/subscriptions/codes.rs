//! Verification codes: one per contact, stored only as a keyed hash (HMAC through the key port, so nobody who reads
//! the table can search the million codes offline), and sent within limits: per contact (by its blind index), and a
//! daily budget across the deployment after which no more codes go out (alerts never stop).

use chrono::{DateTime, Duration, Timelike, Utc};

use super::{Channel, SubscriptionDeps};
use crate::config::{ConfigError, Env, Source};
use crate::domain::SubscriptionId;
use crate::ports::tables::AttributeValue;
use crate::ports::{Condition, Key, KeyError, KeyService, MacPurpose, StoreError, Table, Update};

/// Codes sent to one contact in a clock hour, and in a day (UTC), at most.
pub const CODES_PER_CONTACT_PER_HOUR: i64 = 3;
pub const CODES_PER_CONTACT_PER_DAY: i64 = 10;
/// Codes sent across the deployment in a day (UTC), unless `CODE_BUDGET_PER_DAY` says otherwise.
pub const DEFAULT_CODE_BUDGET_PER_DAY: i64 = 1000;
/// The log line the template's alarm counts (a metric filter on the subscriptions and admin functions' logs).
pub const BUDGET_SPENT_LOG: &str = "daily code budget spent";

/// How many codes may go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLimits {
    pub per_contact_per_hour: i64,
    pub per_contact_per_day: i64,
    pub budget_per_day: i64,
}

impl Default for CodeLimits {
    fn default() -> Self {
        Self {
            per_contact_per_hour: CODES_PER_CONTACT_PER_HOUR,
            per_contact_per_day: CODES_PER_CONTACT_PER_DAY,
            budget_per_day: DEFAULT_CODE_BUDGET_PER_DAY,
        }
    }
}

impl CodeLimits {
    /// The defaults, with the daily budget from `CODE_BUDGET_PER_DAY` where it is set.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let mut limits = Self::default();
        if let Some(raw) = src.var("CODE_BUDGET_PER_DAY").filter(|v| !v.trim().is_empty()) {
            limits.budget_per_day = raw.trim().parse::<i64>().ok().filter(|n| *n >= 0).ok_or(ConfigError::Invalid {
                name: "CODE_BUDGET_PER_DAY",
                reason: "give a whole number of codes a day, 0 or more".into(),
            })?;
        }
        Ok(limits)
    }
}

/// Why no code was sent. Nothing was stored and nothing sent; `until` is when asking again can work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefusal {
    #[error("too many codes for this contact")]
    Contact { until: DateTime<Utc> },
    #[error("the day's code budget is spent")]
    Budget { until: DateTime<Utc> },
}

impl CodeRefusal {
    pub fn until(&self) -> DateTime<Utc> {
        match self {
            CodeRefusal::Contact { until } | CodeRefusal::Budget { until } => *until,
        }
    }
}

/// Why codes could not be reserved.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    #[error(transparent)]
    Refused(#[from] CodeRefusal),
    #[error("the subscribers table failed")]
    Store(#[from] StoreError),
}

pub(super) fn six_digit_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Codes for some contacts, no two alike (so one code can never verify two contacts).
pub(super) fn distinct_codes(n: usize) -> Vec<String> {
    let mut codes: Vec<String> = Vec::with_capacity(n);
    while codes.len() < n {
        let c = six_digit_code();
        if !codes.contains(&c) {
            codes.push(c);
        }
    }
    codes
}

/// The keyed hash of a code: bound to the subscription, the channel, the contact's blind index and the code's
/// generation, so a code verifies only the contact it was sent to, and only in its own round.
pub(super) async fn code_mac(
    keys: &dyn KeyService,
    id: &SubscriptionId,
    channel: Channel,
    index: &str,
    generation: i64,
    code: &str,
) -> Result<[u8; 32], KeyError> {
    let message = zeroize::Zeroizing::new(format!("{id}\0{}\0{index}\0{generation}\0{code}", channel.as_str()));
    keys.mac(MacPurpose::SubscriptionCode, message.as_bytes()).await
}

/// Whether `code` is the one whose MAC is stored (hex), compared in constant time.
pub(super) async fn code_matches(
    keys: &dyn KeyService,
    id: &SubscriptionId,
    channel: Channel,
    index: &str,
    generation: i64,
    code: &str,
    stored_hex: &str,
) -> Result<bool, KeyError> {
    use subtle::ConstantTimeEq;
    let Ok(stored) = hex::decode(stored_hex) else { return Ok(false) };
    let mac = code_mac(keys, id, channel, index, generation, code).await?;
    Ok(stored.len() == mac.len() && bool::from(mac.ct_eq(stored.as_slice())))
}

fn counter_key(pk: String, bucket: String) -> Key {
    Key::new(pk, bucket)
}

fn next_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    let start = now.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
    start + Duration::hours(1)
}

fn next_day(now: DateTime<Utc>) -> DateTime<Utc> {
    let start = now.date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now);
    start + Duration::days(1)
}

/// Counts one code for each contact (by blind index) against its hourly and daily limits, and `indexes.len()` codes
/// against the day's budget. A refusal takes its counts back, so a refused request changes nothing. The counters are
/// items of the subscribers table that the table's TTL removes a day after their window.
pub(super) async fn reserve_codes(deps: &SubscriptionDeps, limits: &CodeLimits, indexes: &[String]) -> Result<(), ReserveError> {
    let now = deps.clock.now();
    let (hour_end, day_end) = (next_hour(now), next_day(now));
    let mut counted: Vec<(Key, i64)> = Vec::new();
    let mut refusal = None;
    'contacts: for hex in indexes {
        for (bucket, max, until) in [
            (now.format("H%Y-%m-%dT%H").to_string(), limits.per_contact_per_hour, hour_end),
            (now.format("D%Y-%m-%d").to_string(), limits.per_contact_per_day, day_end),
        ] {
            let key = counter_key(format!("CODES#{hex}"), bucket);
            let n = count(deps, &key, 1, until).await?;
            counted.push((key, 1));
            if n > max {
                refusal = Some(CodeRefusal::Contact { until });
                break 'contacts;
            }
        }
    }
    if refusal.is_none() {
        let key = counter_key("CODES#budget".into(), now.format("D%Y-%m-%d").to_string());
        let n = count(deps, &key, indexes.len() as i64, day_end).await?;
        counted.push((key, indexes.len() as i64));
        if n > limits.budget_per_day {
            tracing::warn!(budget = limits.budget_per_day, "{BUDGET_SPENT_LOG}");
            refusal = Some(CodeRefusal::Budget { until: day_end });
        }
    }
    let Some(refusal) = refusal else { return Ok(()) };
    for (key, n) in counted {
        // A count not taken back only makes the limit stricter until its window ends.
        if let Err(e) = deps.tables.update(Table::Subscribers, &key, Update::default().add("count", -n), Condition::Exists).await {
            tracing::warn!(error.kind = %crate::error::Chain(&e), "a code count was not taken back");
        }
    }
    Err(refusal.into())
}

async fn count(deps: &SubscriptionDeps, key: &Key, n: i64, window_end: DateTime<Utc>) -> Result<i64, StoreError> {
    let expires = (window_end + Duration::days(1)).timestamp();
    let update = Update::default()
        .add("count", n)
        .set("kind", crate::ports::tables::s("code_count"))
        .set("expires_at", AttributeValue::N(expires.to_string()));
    let item = deps.tables.update(Table::Subscribers, key, update, Condition::Always).await?;
    Ok(match item.get("count") {
        Some(AttributeValue::N(n)) => n.parse::<i64>().unwrap_or(i64::MAX),
        _ => i64::MAX,
    })
}
