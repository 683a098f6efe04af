//! The IETF draft headers `RateLimit-Policy` and `RateLimit`, and `Retry-After`.
//!
//! Both headers are structured-field lists with one item per limit that applied to the request,
//! named by a string: the handler's name for a route's limit, `"api"` for the general one.
//! `q` is the quota, `w` its window in seconds, `r` the requests left and `t` the seconds until
//! one more is available. Seconds are rounded up, so a client that waits `t` is never early.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

use http::{HeaderMap, HeaderName, HeaderValue, header};

use super::Quota;
use crate::digits::push_u64;

const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// One limit's decision about a request, as the headers report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RateItem {
    /// The limit's own part of the headers, written once when the limit was made.
    pub(crate) texts: Arc<ItemTexts>,
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

thread_local! {
    static TEXT: RefCell<String> = RefCell::new(String::with_capacity(128));
}

/// What a limit's items say whatever the request: its name, and its `RateLimit-Policy` item.
#[derive(Debug)]
pub(crate) struct ItemTexts {
    /// `"name"`
    label: String,
    /// `"name";q=5;w=900`
    policy: String,
    /// The `RateLimit-Policy` of a request this limit alone applied to.
    alone: Option<HeaderValue>,
    /// The `RateLimit-Policy` the last time this limit came last, after the limits named by
    /// their addresses: a route meets the same limits in the same order on every request, so
    /// the header is written once, not per request.
    after: Mutex<Option<([usize; INLINE - 1], HeaderValue)>>,
}

/// How many items a request's policy header is remembered for.
const INLINE: usize = 3;

impl PartialEq for ItemTexts {
    fn eq(&self, other: &Self) -> bool {
        self.policy == other.policy
    }
}

impl Eq for ItemTexts {}

impl ItemTexts {
    pub(crate) fn new(name: &str, quota: Quota) -> Self {
        let mut label = String::new();
        push_sf_string(&mut label, name);
        let mut policy = label.clone();
        policy.push_str(";q=");
        push_u64(&mut policy, u64::from(quota.count()));
        policy.push_str(";w=");
        push_u64(&mut policy, quota.period().as_secs());
        Self {
            alone: HeaderValue::from_str(&policy).ok(),
            label,
            policy,
            after: Mutex::new(None),
        }
    }
}

/// The `RateLimit-Policy` header of `items`.
fn policy_value<'a>(
    items: impl Iterator<Item = &'a RateItem> + Clone,
    text: &mut String,
) -> Option<HeaderValue> {
    let mut firsts = [0; INLINE - 1];
    let mut last = None;
    let mut count = 0;
    for item in items.clone() {
        if let Some(previous) = last.replace(item)
            && let Some(slot) = firsts.get_mut(count - 1)
        {
            *slot = Arc::as_ptr(&previous.texts) as usize;
        }
        count += 1;
    }
    let last = last?;
    if count == 1 {
        return last.texts.alone.clone();
    }
    let mut after = (count <= INLINE).then(|| {
        last.texts
            .after
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    });
    if let Some(Some((seen, value))) = after.as_deref()
        && *seen == firsts
    {
        return Some(value.clone());
    }
    text.clear();
    for (i, item) in items.enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&item.texts.policy);
    }
    let value = HeaderValue::from_str(text).ok()?;
    if let Some(after) = after.as_mut() {
        **after = Some((firsts, value.clone()));
    }
    Some(value)
}

/// `"name";r=4;t=180`
fn state_item(text: &mut String, item: &RateItem) {
    text.push_str(&item.texts.label);
    text.push_str(";r=");
    push_u64(text, u64::from(item.remaining));
    text.push_str(";t=");
    push_u64(text, item.reset_secs);
}

/// Adds the headers for `items` to a response.
pub(crate) fn write_headers<'a, I>(items: I, headers: &mut HeaderMap)
where
    I: Iterator<Item = &'a RateItem> + Clone,
{
    if items.clone().next().is_none() {
        return;
    }
    // Each value is written into this thread's scratch text, then copied once into its header.
    TEXT.with(|text| {
        let Ok(mut text) = text.try_borrow_mut() else {
            return;
        };
        if let Some(value) = policy_value(items.clone(), &mut text) {
            headers.insert(RATELIMIT_POLICY, value);
        }
        text.clear();
        for (i, item) in items.clone().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            state_item(&mut text, item);
        }
        if let Ok(value) = HeaderValue::from_str(&text) {
            headers.insert(RATELIMIT, value);
        }
    });
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
                texts: Arc::new(ItemTexts::new("api", "100/15m".parse().unwrap())),
                remaining: 99,
                reset_secs: 9,
                refused: false,
            },
            RateItem {
                texts: Arc::new(ItemTexts::new("login", "5/15m".parse().unwrap())),
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
        // The second time, from what the last limit remembered: the same header.
        let mut again = HeaderMap::new();
        write_headers(items.iter(), &mut again);
        assert_eq!(again["ratelimit-policy"], headers["ratelimit-policy"]);
        // Another limit before it is another policy.
        let other = RateItem {
            texts: Arc::new(ItemTexts::new("other", "1/1s".parse().unwrap())),
            ..items[0].clone()
        };
        let mut different = HeaderMap::new();
        write_headers([other, items[1].clone()].iter(), &mut different);
        assert_eq!(
            different["ratelimit-policy"],
            "\"other\";q=1;w=1, \"login\";q=5;w=900"
        );
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
