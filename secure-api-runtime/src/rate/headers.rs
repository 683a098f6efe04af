//! The IETF draft headers `RateLimit-Policy` and `RateLimit`, and `Retry-After`.
//!
//! Both headers are structured-field lists with one item per limit that applied to the request,
//! named by a string: the handler's name for a route's limit, `"api"` for the general one.
//! `q` is the quota, `w` its window in seconds, `r` the requests left and `t` the seconds until
//! one more is available. Seconds are rounded up, so a client that waits `t` is never early.

use std::fmt::Write;

use http::{HeaderMap, HeaderName, HeaderValue, header};

use super::Quota;

const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// One limit's decision about a request, as the headers report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RateItem {
    pub(crate) name: &'static str,
    pub(crate) quota: Quota,
    pub(crate) remaining: u32,
    /// Seconds, rounded up, until one more request is available.
    pub(crate) reset_secs: u64,
    pub(crate) refused: bool,
}

/// Seconds in `ticks` of `ticks_per_sec`, rounded up.
pub(crate) fn ceil_secs(ticks: u64, ticks_per_sec: u64) -> u64 {
    ticks.div_ceil(ticks_per_sec)
}

/// Adds the headers for `items` to a response.
pub(crate) fn write_headers(items: &[RateItem], headers: &mut HeaderMap) {
    if items.is_empty() {
        return;
    }
    let mut policy = String::new();
    let mut state = String::new();
    for (i, item) in items.iter().enumerate() {
        let separator = if i == 0 { "" } else { ", " };
        // Names are Rust identifiers or "api": nothing to escape in a structured-field string.
        let _ = write!(
            policy,
            "{separator}\"{}\";q={};w={}",
            item.name,
            item.quota.count(),
            item.quota.period().as_secs()
        );
        let _ = write!(
            state,
            "{separator}\"{}\";r={};t={}",
            item.name, item.remaining, item.reset_secs
        );
    }
    let retry_after = items
        .iter()
        .filter(|item| item.refused)
        .map(|item| item.reset_secs)
        .max();
    for (name, value) in [(RATELIMIT_POLICY, policy), (RATELIMIT, state)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_item_per_limit_and_retry_after_on_refusal() {
        let items = [
            RateItem {
                name: "api",
                quota: "100/15m".parse().unwrap(),
                remaining: 99,
                reset_secs: 9,
                refused: false,
            },
            RateItem {
                name: "login",
                quota: "5/15m".parse().unwrap(),
                remaining: 0,
                reset_secs: 180,
                refused: true,
            },
        ];
        let mut headers = HeaderMap::new();
        write_headers(&items, &mut headers);
        assert_eq!(
            headers["ratelimit-policy"],
            "\"api\";q=100;w=900, \"login\";q=5;w=900"
        );
        assert_eq!(
            headers["ratelimit"],
            "\"api\";r=99;t=9, \"login\";r=0;t=180"
        );
        assert_eq!(headers["retry-after"], "180");
        assert_eq!(ceil_secs(1, 1_000_000), 1);
        assert_eq!(ceil_secs(180_000_000, 1_000_000), 180);
    }
}
