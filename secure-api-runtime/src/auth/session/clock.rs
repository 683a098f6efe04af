//! [`Clock`]: the time sessions are measured by, which a test can set.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::time::{SystemTime, UNIX_EPOCH};

/// The time session lifetimes are measured by: the system's, or a [`ManualClock`] a test
/// moves. Stores are handed the times, so a database or Redis needs no clock of its own.
#[derive(Clone, Default)]
pub struct Clock(Option<ManualClock>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// Now, in milliseconds since the Unix epoch: sessions are ordered by it, and logins a
    /// second apart are not rare.
    pub fn now_ms(&self) -> u64 {
        self.0.as_ref().map_or_else(system_ms, ManualClock::now_ms)
    }
}

fn system_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::system()"),
            Some(manual) => write!(f, "ManualClock({} ms)", manual.now_ms()),
        }
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Self(Some(manual))
    }
}

/// A clock that moves only when told: for tests of idle and absolute timeouts. Clones share
/// the time.
///
/// ```
/// use std::time::Duration;
/// use secure_api::auth::{Clock, ManualClock};
///
/// let manual = ManualClock::starting_now();
/// let clock = Clock::from(manual.clone());
/// let before = clock.now_ms();
/// manual.advance(Duration::from_secs(31 * 60));
/// assert_eq!(clock.now_ms(), before + 31 * 60 * 1000);
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock at the system's time now.
    pub fn starting_now() -> Self {
        Self(Arc::new(AtomicU64::new(system_ms())))
    }

    /// A clock at `unix_seconds`.
    pub fn at(unix_seconds: u64) -> Self {
        Self(Arc::new(AtomicU64::new(unix_seconds.saturating_mul(1000))))
    }

    /// Moves the clock on by `by` (whole milliseconds).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.0.fetch_add(by, Ordering::SeqCst);
    }

    /// Its time, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}
