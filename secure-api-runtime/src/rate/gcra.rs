//! The generic cell rate algorithm, as one pure function of a key's state and the time.
//!
//! A key's whole state is its theoretical arrival time (TAT): the time at which its budget would
//! be full again. A request at `now` passes when `tat - now <= interval * (count - 1)`, and then
//! moves the TAT one interval later. These are `governor`'s rules (`Gcra::test_and_update`);
//! the in-memory store runs them in Rust and the Redis store in Lua, and both report through
//! [`Gcra::outcome`], so the headers are the same whichever store decided.
//!
//! Times are in ticks: nanoseconds in memory, microseconds on Redis.

use super::Quota;

/// A quota in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Gcra {
    /// Ticks between two refills (`period / count`).
    interval: u64,
    /// How far the TAT may run ahead of now: `interval * (count - 1)`.
    tolerance: u64,
    count: u32,
}

/// What one decision found, in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) allowed: bool,
    /// Requests still allowed right now.
    pub(crate) remaining: u32,
    /// Ticks until `remaining` grows by one; for a refusal, until the next request may pass.
    pub(crate) reset: u64,
}

impl Gcra {
    /// The quota counted in ticks of `ticks_per_sec`.
    pub(crate) fn new(quota: Quota, ticks_per_sec: u64) -> Self {
        let period = quota.period().as_secs().saturating_mul(ticks_per_sec);
        // `Quota` guarantees at least one request per microsecond, so this is at least 1.
        let interval = (period / u64::from(quota.count())).max(1);
        Self {
            interval,
            tolerance: interval * u64::from(quota.count() - 1),
            count: quota.count(),
        }
    }

    /// Ticks between two refills.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn interval(&self) -> u64 {
        self.interval
    }

    /// How far the TAT may run ahead of now.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn tolerance(&self) -> u64 {
        self.tolerance
    }

    /// Decides one request at `now` for a key whose TAT is `tat` (`None` for a key never seen
    /// or forgotten, which is a full budget). Returns the outcome and, when allowed, the new TAT.
    pub(crate) fn decide(&self, tat: Option<u64>, now: u64) -> (Outcome, Option<u64>) {
        let tat = tat.unwrap_or(now).max(now);
        let ahead = tat - now;
        if ahead > self.tolerance {
            (self.outcome(false, ahead), None)
        } else {
            let new_tat = tat.saturating_add(self.interval);
            (self.outcome(true, new_tat - now), Some(new_tat))
        }
    }

    /// A refusal that asks the client to come back after one interval: for a client the
    /// limiter has no room to remember.
    pub(crate) fn refusal_for_one_interval(&self) -> Outcome {
        self.outcome(false, self.tolerance + self.interval)
    }

    /// The outcome of a decision, from how far the key's TAT runs ahead of now: after the
    /// update for an allowed request, before it for a refused one.
    pub(crate) fn outcome(&self, allowed: bool, ahead: u64) -> Outcome {
        if !allowed {
            return Outcome {
                allowed,
                remaining: 0,
                reset: ahead.saturating_sub(self.tolerance),
            };
        }
        // `ahead` covers `used` whole intervals (the last one perhaps partly); each of them is
        // a request not yet refilled.
        let used = ahead.div_ceil(self.interval).max(1);
        Outcome {
            allowed,
            remaining: u32::try_from(u64::from(self.count).saturating_sub(used)).unwrap_or(0),
            reset: ahead - self.interval * (used - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    fn login() -> Gcra {
        Gcra::new("5/15m".parse().unwrap(), SEC)
    }

    #[test]
    fn a_fresh_key_spends_the_whole_count_then_waits_one_interval() {
        let gcra = login();
        let mut tat = None;
        for remaining in (0..5).rev() {
            let (outcome, new_tat) = gcra.decide(tat, 0);
            assert!(outcome.allowed);
            assert_eq!(outcome.remaining, remaining);
            assert_eq!(outcome.reset, 180 * SEC);
            tat = new_tat;
        }
        let (refused, unchanged) = gcra.decide(tat, 0);
        assert_eq!(
            refused,
            Outcome {
                allowed: false,
                remaining: 0,
                reset: 180 * SEC
            }
        );
        assert_eq!(unchanged, None);
        // A refusal does not spend budget: one interval later exactly one request passes.
        let (allowed, tat) = gcra.decide(tat, 180 * SEC);
        assert!(allowed.allowed && allowed.remaining == 0);
        assert!(!gcra.decide(tat, 180 * SEC).0.allowed);
    }

    #[test]
    fn reset_counts_down_to_the_next_refill() {
        let gcra = login();
        let (_, tat) = gcra.decide(None, 0);
        let (_, tat) = gcra.decide(tat, 0);
        // Two spent at 0; at 100 s the first refill is 80 s away.
        let (outcome, _) = gcra.decide(tat, 100 * SEC);
        assert_eq!((outcome.remaining, outcome.reset), (2, 80 * SEC));
    }

    #[test]
    fn after_a_long_idle_the_budget_is_full_and_no_more() {
        let gcra = login();
        let (_, mut tat) = gcra.decide(None, 0);
        let later = 10 * 3600 * SEC;
        let mut passed = 0;
        while gcra.decide(tat, later).0.allowed {
            tat = gcra.decide(tat, later).1;
            passed += 1;
        }
        assert_eq!(passed, 5);
    }
}
