//! [`Quota`]: how many requests a client may make in a period, written `N/<duration>`.
//!
//! The grammar is `COUNT "/" [AMOUNT] UNIT`, where `COUNT` and `AMOUNT` are whole numbers from 1
//! and `UNIT` is `s`, `m`, `h` or `d`: `5/15m`, `3/1h`, `100/15m`, `10/s`. No spaces, no signs,
//! no fractions. `#[secure(rate = "...")]` checks the same grammar at compile time (the macro
//! crate cannot call this code, so it carries its own copy of these rules; the UI tests and the
//! tests below hold both to the same cases).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The longest period a quota may have: 366 days.
pub const MAX_PERIOD_SECS: u64 = 366 * 24 * 60 * 60;

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

    /// A quota the `#[secure]` macro has already checked: generated code only.
    ///
    /// # Panics
    ///
    /// When the parts break the rules of [`Quota::new`], which the macro never emits.
    #[doc(hidden)]
    pub const fn __checked(count: u32, period_secs: u64) -> Self {
        match Self::checked(count, period_secs) {
            Ok(quota) => quota,
            Err(_) => panic!("secure-api: the macro emitted an invalid quota"),
        }
    }

    const fn checked(count: u32, period_secs: u64) -> Result<Self, QuotaError> {
        if count == 0 {
            return Err(QuotaError::ZeroCount);
        }
        if period_secs == 0 {
            return Err(QuotaError::ZeroPeriod);
        }
        if period_secs > MAX_PERIOD_SECS {
            return Err(QuotaError::PeriodTooLong);
        }
        // The Redis backend counts in microseconds: at most one request per microsecond.
        if count as u64 > period_secs * 1_000_000 {
            return Err(QuotaError::TooFine);
        }
        Ok(Self { count, period_secs })
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
        let (count, duration) = text.split_once('/').ok_or(QuotaError::Syntax)?;
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QuotaError::BadCount);
        }
        // Digits only, so the only failure left is a count too large for `u32`.
        let count: u32 = count.parse().map_err(|_| QuotaError::CountTooLarge)?;
        let unit_at = duration
            .find(|c: char| !c.is_ascii_digit())
            .ok_or(QuotaError::MissingUnit)?;
        let (amount, unit) = duration.split_at(unit_at);
        let unit_secs: u64 = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 60 * 60,
            "d" => 24 * 60 * 60,
            _ => return Err(QuotaError::UnknownUnit),
        };
        let amount: u64 = if amount.is_empty() {
            1
        } else {
            amount.parse().map_err(|_| QuotaError::PeriodTooLong)?
        };
        let period_secs = amount
            .checked_mul(unit_secs)
            .ok_or(QuotaError::PeriodTooLong)?;
        Self::checked(count, period_secs)
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

/// Why a quota string was refused. The messages are the same as the compile-time ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuotaError {
    /// No `/` between the count and the duration.
    Syntax,
    /// The count is not a whole number.
    BadCount,
    /// The count does not fit in 32 bits.
    CountTooLarge,
    /// The count is zero.
    ZeroCount,
    /// The duration has no unit.
    MissingUnit,
    /// The unit is not `s`, `m`, `h` or `d`.
    UnknownUnit,
    /// The duration is zero.
    ZeroPeriod,
    /// The duration is longer than [`MAX_PERIOD_SECS`].
    PeriodTooLong,
    /// More than one request per microsecond.
    TooFine,
    /// A period with a fraction of a second.
    FractionalPeriod,
}

impl fmt::Display for QuotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Syntax => "a quota is written `N/<duration>`, such as `5/15m` or `100/1h`",
            Self::BadCount => "the count before `/` must be a whole number, such as `5` in `5/15m`",
            Self::CountTooLarge => "the count is too large (at most 4294967295)",
            Self::ZeroCount => "a quota of zero requests refuses everything; remove the route instead",
            Self::MissingUnit => {
                "the duration needs a unit: `s`, `m`, `h` or `d`, such as `15m` in `5/15m`"
            }
            Self::UnknownUnit => {
                "unknown time unit; use `s`, `m`, `h` or `d` after an optional number, such as `15m`"
            }
            Self::ZeroPeriod => "the duration must be longer than zero",
            Self::PeriodTooLong => "the duration is too long (at most 366 days)",
            Self::TooFine => "the quota allows more than one request per microsecond",
            Self::FractionalPeriod => "the period must be a whole number of seconds",
        })
    }
}

impl std::error::Error for QuotaError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let cases = [
            ("5/15m", 5, 900),
            ("3/1h", 3, 3_600),
            ("100/15m", 100, 900),
            ("10/s", 10, 1),
            ("1/30s", 1, 30),
            ("7/1d", 7, 86_400),
            ("2/366d", 2, MAX_PERIOD_SECS),
            ("1000000/1s", 1_000_000, 1),
        ];
        for (text, count, secs) in cases {
            let quota: Quota = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (quota.count(), quota.period().as_secs()),
                (count, secs),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_the_bad_forms_with_their_reason() {
        let cases = [
            ("5", QuotaError::Syntax),
            ("", QuotaError::Syntax),
            ("5/15x", QuotaError::UnknownUnit),
            ("5/15", QuotaError::MissingUnit),
            ("0/1m", QuotaError::ZeroCount),
            ("5/0s", QuotaError::ZeroPeriod),
            ("-5/1m", QuotaError::BadCount),
            ("/1m", QuotaError::BadCount),
            ("5 /1m", QuotaError::BadCount),
            ("5/ 1m", QuotaError::UnknownUnit),
            ("5/1.5m", QuotaError::UnknownUnit),
            ("5/1m/2", QuotaError::UnknownUnit),
            ("4294967296/1m", QuotaError::CountTooLarge),
            ("5/367d", QuotaError::PeriodTooLong),
            ("5/99999999999999999999s", QuotaError::PeriodTooLong),
            ("5/9999999999999999d", QuotaError::PeriodTooLong),
            ("2000000/1s", QuotaError::TooFine),
        ];
        for (text, error) in cases {
            assert_eq!(text.parse::<Quota>(), Err(error), "{text}");
        }
    }

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
