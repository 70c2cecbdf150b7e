use chrono::{DateTime, NaiveDate, Utc};

/// Time, behind a port so tests can move it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The latest calendar date anywhere in the UK and Ireland now (UTC+1 in summer), so an incident from earlier
    /// tonight, local time, is never "in the future".
    fn today_local(&self) -> NaiveDate {
        (self.now() + chrono::Duration::hours(1)).date_naive()
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved.
#[derive(Debug)]
pub struct FixedClock(std::sync::Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(t))
    }

    pub fn advance(&self, d: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
