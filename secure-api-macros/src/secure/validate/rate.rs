//! `rate = "5/15m"`, `key = "ip" | "user" | "api_key"` and `rate_message = "..."` -> a checked [`Rate`].
//!
//! The quota grammar is the runtime's (`secure_api::rate::Quota`), checked here so that a bad
//! quota is a compile error on its string: a proc-macro crate cannot call the runtime, so both
//! crates compile the one file that holds it (`crate::grammar`).

use syn::{Expr, ExprLit, Lit, LitStr};

use super::super::model::{Access, AccountRate, Field, Rate, RateKey, Schemes};
use super::super::parse::RawOption;
use crate::errors::Errors;

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
        schemes: Option<u8>,
        errors: &mut Errors,
    ) -> (Option<Rate>, Option<AccountRate>, Option<String>) {
        let rate = self.route_limit(access, schemes, errors);
        let field = self.account_key.and_then(|option| {
            super::options::field(option, ("account_key", "body"), "email", errors)
        });
        let account = account(self.account_rate, self.account_key, field, errors);
        let has_limit = rate.is_some() || account.is_some();
        let name = self.name.and_then(|option| name(option, has_limit, errors));
        (rate, account, name)
    }

    /// `rate`, `key` and `rate_message`; `None` when there is no `rate`.
    fn route_limit(
        &self,
        access: Access,
        schemes: Option<u8>,
        errors: &mut Errors,
    ) -> Option<Rate> {
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
        let key = self
            .key
            .and_then(|option| key(option, access, schemes, errors));
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
    match crate::grammar::parse(&lit.value()) {
        Ok(quota) => Some(quota),
        Err(reason) => {
            errors.at(lit, format!("invalid quota `{}`: {reason}", lit.value()));
            None
        }
    }
}

fn key(
    option: &RawOption,
    access: Access,
    schemes: Option<u8>,
    errors: &mut Errors,
) -> Option<RateKey> {
    let usage = "`key` is `\"ip\"` (count by client address), `\"user\"` (count by verified \
                 user, the default on `auth` routes) or `\"api_key\"` (count by API key, each \
                 of a user's keys on its own)";
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
        "api_key" if access == Access::Public => {
            errors.at(
                lit,
                "`key = \"api_key\"` needs `auth`: a public route has no verified key to count by",
            );
            None
        }
        "api_key" if schemes.is_some_and(|bits| bits & Schemes::API_KEY.bits() == 0) => {
            errors.at(
                lit,
                "`key = \"api_key\"` on a route that accepts no API key: count by `\"user\"`, \
                 or accept `api_key` in `auth`",
            );
            None
        }
        "api_key" => Some(RateKey::ApiKey),
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
