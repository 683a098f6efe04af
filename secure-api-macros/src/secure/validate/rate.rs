//! `rate = "5/15m"`, `key = "ip" | "user"` and `rate_message = "..."` -> a checked [`Rate`].
//!
//! The quota grammar is the runtime's (`secure_api::rate::Quota`), checked here so that a bad
//! quota is a compile error on its string. A proc-macro crate cannot call the runtime, so this
//! is a copy of its rules with the same messages; both are tested on the same cases.

use syn::{Expr, ExprLit, Lit, LitStr};

use super::super::model::{Access, AccountRate, Field, Rate, RateKey};
use super::super::parse::RawOption;
use crate::errors::Errors;

/// The longest period a quota may have: 366 days, as in the runtime.
const MAX_PERIOD_SECS: u64 = 366 * 24 * 60 * 60;

/// The rate options of a handler, read together because they only make sense together.
#[derive(Default)]
pub(crate) struct RateOptions<'a> {
    rate: Option<&'a RawOption>,
    key: Option<&'a RawOption>,
    message: Option<&'a RawOption>,
    account_rate: Option<&'a RawOption>,
    account_key: Option<&'a RawOption>,
    name: Option<&'a RawOption>,
}

impl<'a> RateOptions<'a> {
    /// Keeps `option`, one of `rate`, `key`, `rate_message`, `account_rate`, `account_key`
    /// and `rate_name`.
    pub(crate) fn take(&mut self, option: &'a RawOption) {
        let slot = match option.name.to_string().as_str() {
            "rate" => &mut self.rate,
            "key" => &mut self.key,
            "rate_message" => &mut self.message,
            "account_rate" => &mut self.account_rate,
            "account_key" => &mut self.account_key,
            _ => &mut self.name,
        };
        *slot = Some(option);
    }

    /// Checks the options against the route's access: the route's own limit, its limit by
    /// account, and their name.
    pub(crate) fn check(
        &self,
        access: Access,
        errors: &mut Errors,
    ) -> (Option<Rate>, Option<AccountRate>, Option<String>) {
        let rate = self.route_limit(access, errors);
        let field = self.account_key.and_then(|option| {
            super::options::field(option, ("account_key", "body"), "email", errors)
        });
        let account = account(self.account_rate, self.account_key, field, errors);
        let has_limit = rate.is_some() || account.is_some();
        let name = self.name.and_then(|option| name(option, has_limit, errors));
        (rate, account, name)
    }

    /// `rate`, `key` and `rate_message`; `None` when there is no `rate`.
    fn route_limit(&self, access: Access, errors: &mut Errors) -> Option<Rate> {
        let Some(rate) = self.rate else {
            for option in [self.key, self.message].into_iter().flatten() {
                let name = &option.name;
                errors.at(
                    name,
                    format!("`{name}` belongs to a rate limit: add `rate = \"5/15m\"` first"),
                );
            }
            return None;
        };
        let quota = quota(rate, errors);
        let key = self.key.and_then(|option| key(option, access, errors));
        let message = self.message.and_then(|option| message(option, errors));
        let (count, period_secs) = quota?;
        Some(Rate {
            count,
            period_secs,
            key,
            message,
        })
    }
}

fn string<'a>(option: &'a RawOption, usage: &str, errors: &mut Errors) -> Option<&'a LitStr> {
    match &option.value {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        })) => Some(lit),
        Some(other) => {
            errors.at(other, usage);
            None
        }
        None => {
            errors.at(&option.name, usage);
            None
        }
    }
}

/// `account_rate` and `account_key`, which only make sense together.
fn account(
    rate: Option<&RawOption>,
    key: Option<&RawOption>,
    field: Option<Field>,
    errors: &mut Errors,
) -> Option<AccountRate> {
    match (rate, key) {
        (None, None) => None,
        (Some(rate), None) => {
            errors.at(
                &rate.name,
                "`account_rate` counts by a field of the body: add `account_key = \"email\"` (a \
                 string field of the handler's `Json<T>` or `Form<T>`)",
            );
            None
        }
        (None, Some(key)) => {
            errors.at(
                &key.name,
                "`account_key` names what a limit by account counts by: add `account_rate = \
                 \"10/15m\"` too",
            );
            None
        }
        (Some(rate), Some(_)) => {
            let usage = "`account_rate` takes a quota `N/<duration>`: `account_rate = \"10/15m\"` \
                         allows 10 requests per account per 15 minutes";
            let (count, period_secs) = quota_of(rate, usage, errors)?;
            Some(AccountRate {
                count,
                period_secs,
                field: field?,
            })
        }
    }
}

/// `rate_name = "login"`: a name for the headers, shared by the routes that should share their
/// budgets (a token login and a cookie login).
fn name(option: &RawOption, has_limit: bool, errors: &mut Errors) -> Option<String> {
    let usage = "`rate_name` names the route's limits so routes share one budget: \
                 `rate_name = \"login\"` (letters, digits, `_` and `-`)";
    let lit = string(option, usage, errors)?;
    let name = lit.value();
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        errors.at(lit, usage);
        return None;
    }
    if !has_limit {
        errors.at(
            &option.name,
            "`rate_name` names a rate limit: add `rate = \"5/15m\"` (or `account_rate`) first",
        );
        return None;
    }
    Some(name)
}

fn quota(option: &RawOption, errors: &mut Errors) -> Option<(u32, u64)> {
    let usage = "`rate` takes a quota `N/<duration>`: `rate = \"5/15m\"` allows 5 requests per \
                 15 minutes; the units are `s`, `m`, `h` and `d`";
    quota_of(option, usage, errors)
}

fn quota_of(option: &RawOption, usage: &str, errors: &mut Errors) -> Option<(u32, u64)> {
    let lit = string(option, usage, errors)?;
    match parse_quota(&lit.value()) {
        Ok(quota) => Some(quota),
        Err(reason) => {
            errors.at(lit, format!("invalid quota `{}`: {reason}", lit.value()));
            None
        }
    }
}

/// The runtime's `Quota::from_str`, with its messages.
fn parse_quota(text: &str) -> Result<(u32, u64), &'static str> {
    let (count, duration) = text
        .split_once('/')
        .ok_or("a quota is written `N/<duration>`, such as `5/15m` or `100/1h`")?;
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the count before `/` must be a whole number, such as `5` in `5/15m`");
    }
    let count: u32 = count
        .parse()
        .map_err(|_| "the count is too large (at most 4294967295)")?;
    let unit_at = duration
        .find(|c: char| !c.is_ascii_digit())
        .ok_or("the duration needs a unit: `s`, `m`, `h` or `d`, such as `15m` in `5/15m`")?;
    let (amount, unit) = duration.split_at(unit_at);
    let unit_secs: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => {
            return Err(
                "unknown time unit; use `s`, `m`, `h` or `d` after an optional number, such as `15m`",
            );
        }
    };
    let too_long = "the duration is too long (at most 366 days)";
    let amount: u64 = if amount.is_empty() {
        1
    } else {
        amount.parse().map_err(|_| too_long)?
    };
    let period_secs = amount.checked_mul(unit_secs).ok_or(too_long)?;
    if count == 0 {
        return Err("a quota of zero requests refuses everything; remove the route instead");
    }
    if period_secs == 0 {
        return Err("the duration must be longer than zero");
    }
    if period_secs > MAX_PERIOD_SECS {
        return Err(too_long);
    }
    if u64::from(count) > period_secs * 1_000_000 {
        return Err("the quota allows more than one request per microsecond");
    }
    Ok((count, period_secs))
}

fn key(option: &RawOption, access: Access, errors: &mut Errors) -> Option<RateKey> {
    let usage = "`key` is `\"ip\"` (count by client address) or `\"user\"` (count by verified \
                 user, the default on `auth` routes)";
    let lit = string(option, usage, errors)?;
    match lit.value().as_str() {
        "ip" => Some(RateKey::Ip),
        "user" if access == Access::Public => {
            errors.at(
                lit,
                "`key = \"user\"` needs `auth`: a public route has no verified user to count by",
            );
            None
        }
        "user" => Some(RateKey::User),
        _ => {
            errors.at(lit, usage);
            None
        }
    }
}

fn message(option: &RawOption, errors: &mut Errors) -> Option<String> {
    let usage = "`rate_message` is the text a refused client reads: \
                 `rate_message = \"Too many login attempts\"`";
    let lit = string(option, usage, errors)?;
    let text = lit.value();
    if text.trim().is_empty() || text.chars().any(char::is_control) {
        errors.at(lit, "a `rate_message` is one line of text, not empty");
        return None;
    }
    Some(text)
}
