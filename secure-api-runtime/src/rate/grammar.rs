//! The quota grammar, `COUNT "/" [AMOUNT] UNIT`: one file, compiled into both crates. The
//! runtime parses quotas with it (`Quota: FromStr`); the macro crate includes this very file
//! (`#[path]`) so that `#[secure(rate = "...")]` refuses a bad quota at compile time with the
//! same rule and the same message. It depends on nothing but `core`, and its one table of
//! cases below runs in both crates' tests.

use core::fmt;

/// The longest period a quota may have: 366 days.
pub const MAX_PERIOD_SECS: u64 = 366 * 24 * 60 * 60;

/// Why a quota string was refused. The messages are the compile-time ones too.
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

/// Checks a count and a period in seconds: at least one request, a period from one second to
/// [`MAX_PERIOD_SECS`], and at most one request per microsecond (the Redis backend's unit).
pub(crate) const fn check(count: u32, period_secs: u64) -> Result<(), QuotaError> {
    if count == 0 {
        return Err(QuotaError::ZeroCount);
    }
    if period_secs == 0 {
        return Err(QuotaError::ZeroPeriod);
    }
    if period_secs > MAX_PERIOD_SECS {
        return Err(QuotaError::PeriodTooLong);
    }
    if count as u64 > period_secs * 1_000_000 {
        return Err(QuotaError::TooFine);
    }
    Ok(())
}

/// `5/15m` as `(5, 900)`: the count and the period in seconds, checked.
pub(crate) fn parse(text: &str) -> Result<(u32, u64), QuotaError> {
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
    check(count, period_secs)?;
    Ok((count, period_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quota's text, and what the grammar reads: `(count, period in seconds)` or the reason.
    type Case = (&'static str, Result<(u32, u64), QuotaError>);

    /// Every case of the grammar, for both crates.
    const CASES: &[Case] = &[
        ("5/15m", Ok((5, 900))),
        ("3/1h", Ok((3, 3_600))),
        ("100/15m", Ok((100, 900))),
        ("10/s", Ok((10, 1))),
        ("1/30s", Ok((1, 30))),
        ("7/1d", Ok((7, 86_400))),
        ("2/366d", Ok((2, MAX_PERIOD_SECS))),
        ("1000000/1s", Ok((1_000_000, 1))),
        ("5", Err(QuotaError::Syntax)),
        ("", Err(QuotaError::Syntax)),
        ("5/15x", Err(QuotaError::UnknownUnit)),
        ("5/15", Err(QuotaError::MissingUnit)),
        ("0/1m", Err(QuotaError::ZeroCount)),
        ("5/0s", Err(QuotaError::ZeroPeriod)),
        ("-5/1m", Err(QuotaError::BadCount)),
        ("/1m", Err(QuotaError::BadCount)),
        ("5 /1m", Err(QuotaError::BadCount)),
        ("5/ 1m", Err(QuotaError::UnknownUnit)),
        ("5/1.5m", Err(QuotaError::UnknownUnit)),
        ("5/1m/2", Err(QuotaError::UnknownUnit)),
        ("4294967296/1m", Err(QuotaError::CountTooLarge)),
        ("5/367d", Err(QuotaError::PeriodTooLong)),
        ("5/99999999999999999999s", Err(QuotaError::PeriodTooLong)),
        ("5/9999999999999999d", Err(QuotaError::PeriodTooLong)),
        ("2000000/1s", Err(QuotaError::TooFine)),
    ];

    #[test]
    fn the_grammar_reads_every_case_as_documented() {
        for (text, expected) in CASES {
            assert_eq!(parse(text), *expected, "{text}");
        }
    }
}
