//! [`Quota`]: how many requests a client may make in a period, written `N/<duration>`.
//!
//! The grammar is `COUNT "/" [AMOUNT] UNIT`, where `COUNT` and `AMOUNT` are whole numbers from 1
//! and `UNIT` is `s`, `m`, `h` or `d`: `5/15m`, `3/1h`, `100/15m`, `10/s`. No spaces, no signs,
//! no fractions. `#[secure(rate = "...")]` checks the same grammar at compile time: both crates
//! compile the one file that holds it (`grammar.rs`), with its one table of cases.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub use super::grammar::{MAX_PERIOD_SECS, QuotaError};

/// How many requests a client may make in a period: `5/15m` is five per fifteen minutes.
///
/// The limiter is a GCRA (the generic cell rate algorithm, as `governor` implements it): a fresh
/// client may spend the whole count at once, and the budget refills one request at a time, at
/// one request per `period / count` (every 3 minutes for `5/15m`).
///
/// ```
/// use secure_api::rate::Quota;
/// use std::time::Duration;
///
/// let quota: Quota = "5/15m".parse()?;
/// assert_eq!(quota.count(), 5);
/// assert_eq!(quota.period(), Duration::from_secs(900));
/// assert_eq!(quota.refill_interval(), Duration::from_secs(180));
/// assert_eq!(quota.to_string(), "5/15m");
/// assert!("5/15x".parse::<Quota>().is_err());
/// # Ok::<(), secure_api::rate::QuotaError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quota {
    count: u32,
    period_secs: u64,
}

impl Quota {
    /// `count` requests per `period`.
    pub fn new(count: u32, period: Duration) -> Result<Self, QuotaError> {
        if period.subsec_nanos() != 0 {
            return Err(QuotaError::FractionalPeriod);
        }
        Self::checked(count, period.as_secs())
    }

    /// A quota the `#[secure]` macro has already checked (through `__private::quota`).
    ///
    /// # Panics
    ///
    /// When the parts break the rules of [`Quota::new`], which the macro never emits.
    pub(crate) const fn macro_checked(count: u32, period_secs: u64) -> Self {
        match Self::checked(count, period_secs) {
            Ok(quota) => quota,
            Err(_) => panic!("secure-api: the macro emitted an invalid quota"),
        }
    }

    const fn checked(count: u32, period_secs: u64) -> Result<Self, QuotaError> {
        match super::grammar::check(count, period_secs) {
            Ok(()) => Ok(Self { count, period_secs }),
            Err(error) => Err(error),
        }
    }

    /// The number of requests a fresh client may make at once.
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// The period the count is spread over.
    pub const fn period(&self) -> Duration {
        Duration::from_secs(self.period_secs)
    }

    /// How often one more request becomes available: `period / count`.
    pub fn refill_interval(&self) -> Duration {
        self.period() / self.count
    }
}

impl FromStr for Quota {
    type Err = QuotaError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (count, period_secs) = super::grammar::parse(text)?;
        Ok(Self { count, period_secs })
    }
}

impl TryFrom<&str> for Quota {
    type Error = QuotaError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        text.parse()
    }
}

/// Writes the quota in its shortest form: `5/15m`, `3/1h`, `100/90s`.
impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (amount, unit) = [(86_400, "d"), (3_600, "h"), (60, "m")]
            .into_iter()
            .find(|(secs, _)| self.period_secs.is_multiple_of(*secs))
            .map_or((self.period_secs, "s"), |(secs, unit)| {
                (self.period_secs / secs, unit)
            });
        write!(f, "{}/{amount}{unit}", self.count)
    }
}

impl std::error::Error for QuotaError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_in_the_shortest_unit_and_round_trips() {
        for text in ["5/15m", "3/1h", "10/1s", "100/90s", "2/1d", "4/36h"] {
            let quota: Quota = text.parse().unwrap();
            assert_eq!(quota.to_string().parse::<Quota>().unwrap(), quota);
        }
        assert_eq!("10/s".parse::<Quota>().unwrap().to_string(), "10/1s");
        assert_eq!("1/60m".parse::<Quota>().unwrap().to_string(), "1/1h");
    }
}
