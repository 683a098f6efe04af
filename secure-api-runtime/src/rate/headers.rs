//! The IETF draft headers `RateLimit-Policy` and `RateLimit`, and `Retry-After`.
//!
//! Both headers are structured-field lists with one item per limit that applied to the request,
//! named by a string: the handler's name for a route's limit, `"api"` for the general one.
//! `q` is the quota, `w` its window in seconds, `r` the requests left and `t` the seconds until
//! one more is available. Seconds are rounded up, so a client that waits `t` is never early.

use http::{HeaderMap, HeaderName, HeaderValue, header};

use super::Quota;
use crate::digits::push_u64;

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

/// A name as the inside of a structured-field string: printable ASCII, `"` and `\\` escaped.
/// Names are Rust identifiers, which may hold non-ASCII letters; those become `_`.
fn push_sf_string(text: &mut String, name: &str) {
    text.push('"');
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                text.push('\\');
                text.push(c);
            }
            ' '..='~' => text.push(c),
            _ => text.push('_'),
        }
    }
    text.push('"');
}

/// Adds the headers for `items` to a response.
pub(crate) fn write_headers<'a, I>(items: I, headers: &mut HeaderMap)
where
    I: Iterator<Item = &'a RateItem> + Clone,
{
    let count = items.clone().count();
    if count == 0 {
        return;
    }
    let mut policy = String::with_capacity(32 * count);
    let mut state = String::with_capacity(32 * count);
    for (i, item) in items.clone().enumerate() {
        if i > 0 {
            policy.push_str(", ");
            state.push_str(", ");
        }
        push_sf_string(&mut policy, item.name);
        policy.push_str(";q=");
        push_u64(&mut policy, u64::from(item.quota.count()));
        policy.push_str(";w=");
        push_u64(&mut policy, item.quota.period().as_secs());
        push_sf_string(&mut state, item.name);
        state.push_str(";r=");
        push_u64(&mut state, u64::from(item.remaining));
        state.push_str(";t=");
        push_u64(&mut state, item.reset_secs);
    }
    // A refusal waits for every limit it exhausted: the general one it spent its last request
    // of before the route's own refused is no freer than the one that refused.
    let retry_after = items
        .clone()
        .any(|item| item.refused)
        .then(|| {
            items
                .filter(|item| item.refused || item.remaining == 0)
                .map(|item| item.reset_secs)
                .max()
        })
        .flatten();
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
fn sf_string(name: &str) -> String {
    let mut text = String::new();
    push_sf_string(&mut text, name);
    text
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
        write_headers(items.iter(), &mut headers);
        assert_eq!(
            headers["ratelimit-policy"],
            "\"api\";q=100;w=900, \"login\";q=5;w=900"
        );
        assert_eq!(
            headers["ratelimit"],
            "\"api\";r=99;t=9, \"login\";r=0;t=180"
        );
        assert_eq!(headers["retry-after"], "180");
        assert_eq!(sf_string("connexión"), "\"connexi_n\"");

        // The general limit was spent to its last request before the route's own refused:
        // the client must wait for both.
        let spent_general = [
            RateItem {
                remaining: 0,
                reset_secs: 60,
                ..items[0].clone()
            },
            RateItem {
                reset_secs: 20,
                ..items[1].clone()
            },
        ];
        let mut headers = HeaderMap::new();
        write_headers(spent_general.iter(), &mut headers);
        assert_eq!(headers["retry-after"], "60");
        // Allowed answers carry no Retry-After, even with nothing left.
        let mut headers = HeaderMap::new();
        write_headers(spent_general[..1].iter(), &mut headers);
        assert!(headers.get("retry-after").is_none());
        assert_eq!(sf_string("a\"b\\"), "\"a\\\"b\\\\\"");
        assert_eq!(ceil_secs(1, 1_000_000), 1);
        assert_eq!(ceil_secs(180_000_000, 1_000_000), 180);
    }
}
