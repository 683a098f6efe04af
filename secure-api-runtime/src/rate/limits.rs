//! The live limiters of one app, made when the router is finished.
//!
//! Each route's limit is its own limiter (named after its handler), and each general limit is
//! one limiter shared by every route under its prefix, whenever that route was added. The
//! pipeline asks which limiters cover a request ([`RateLimits::covering`],
//! [`RateLimits::route`]) and has each [`Limiter`] decide, in the order of DESIGN.md, stopping
//! at the first refusal, so a refused request spends nothing further down.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use http::StatusCode;

use super::headers::{ItemTexts, RateItem, ceil_secs};
use super::key::{ClientKey, Unavailable, api_key_key};
use super::{AccountKeys, AccountRule, MemoryLimiter, Quota, RateKey, RateRule};
use crate::client_ip::ip_key;
use crate::error::ApiError;

/// A general limit as the router records it: `.rate_limit("/api", "100/15m")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GeneralLimit {
    pub(crate) prefix: String,
    pub(crate) quota: Quota,
}

/// A limit a handler checks itself, as the router records it: `.limit("invite", "5/1h")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HandlerLimit {
    pub(crate) name: String,
    pub(crate) quota: Quota,
}

/// A limiter's name for the headers, which limiters hold as `&'static str`: made once per
/// limit at start-up, so the leak is bounded by the app's own declarations.
fn static_name(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

/// The name of the general limits in the headers.
const GENERAL_NAME: &str = "api";

/// A route's handler, by its module, name and line (as its policy records them), which is
/// what a route's own limiter is kept under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RouteId {
    pub(crate) module: &'static str,
    pub(crate) handler: &'static str,
    pub(crate) line: u32,
}

/// Hashes the line and the name's length only: route ids come from the app's own code, not
/// from clients, and this is looked up on every request; equality still compares them whole.
impl std::hash::Hash for RouteId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.line) << 32 | self.handler.len() as u64);
    }
}

/// The hash of a [`RouteId`]: its one number, mixed by a multiplication. No key is needed,
/// since no client chooses a route id.
#[derive(Default)]
pub(crate) struct RouteHasher(u64);

impl std::hash::Hasher for RouteHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A route's own limits, as the router hands them over.
#[derive(Clone, Debug)]
pub(crate) struct RouteLimit {
    pub(crate) route: RouteId,
    /// One method and path the handler serves, `GET /posts/{id}`: the shared store's key of its
    /// budgets, so that moving or renaming the handler keeps them.
    pub(crate) endpoint: String,
    pub(crate) rule: Option<RateRule>,
    pub(crate) account: Option<AccountRule>,
    /// `rate_name`: routes of one name share their budgets.
    pub(crate) name: Option<&'static str>,
}

/// What the limiters are kept on, and how many clients one may remember.
#[derive(Clone, Debug)]
pub(crate) struct RateSettings {
    pub(crate) max_keys: usize,
    #[cfg(feature = "redis")]
    pub(crate) redis: Option<super::RedisStore>,
    /// The secret account keys are hashed with (`RATE_LIMIT_KEY_SECRET`); random without.
    pub(crate) account_secret: Option<Arc<[u8]>>,
}

/// Every limiter of one app.
pub(crate) struct RateLimits {
    routes: HashMap<RouteId, Arc<Limiter>, BuildHasherDefault<RouteHasher>>,
    accounts: HashMap<RouteId, Arc<Limiter>, BuildHasherDefault<RouteHasher>>,
    general: Vec<(String, Limiter)>,
    handler: HashMap<String, Limiter>,
    account_keys: AccountKeys,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes: Vec<_> = self
            .routes
            .values()
            .map(|limiter| (limiter.name, limiter.quota))
            .collect();
        let general: Vec<_> = self
            .general
            .iter()
            .map(|(prefix, limiter)| (prefix, limiter.quota))
            .collect();
        f.debug_struct("RateLimits")
            .field("routes", &routes)
            .field("general", &general)
            .finish_non_exhaustive()
    }
}

/// One limit, with its counts.
pub(crate) struct Limiter {
    name: &'static str,
    quota: Quota,
    message: Option<&'static str>,
    texts: Arc<ItemTexts>,
    store: Store,
}

enum Store {
    Memory {
        limiter: MemoryLimiter,
        /// The limiter's time zero. Tokio's clock, so tests can pause and advance it.
        epoch: tokio::time::Instant,
    },
    #[cfg(feature = "redis")]
    Redis(super::redis::RedisLimiter),
}

/// The limiters of each `rate_name`, by their header name, with what they count.
#[derive(Default)]
struct Named(HashMap<String, (Quota, Option<RateKey>, Arc<Limiter>)>);

impl Named {
    /// The limiter of `name`, made by `make` the first time; routes of one name must count
    /// `quota` by `key` alike.
    fn limiter(
        &mut self,
        name: String,
        quota: Quota,
        key: Option<RateKey>,
        make: &dyn Fn(&'static str) -> Limiter,
    ) -> Result<Arc<Limiter>, crate::error::ConfigError> {
        if let Some((earlier, earlier_key, limiter)) = self.0.get(&name) {
            if (*earlier, *earlier_key) != (quota, key) {
                return Err(crate::error::ConfigError::InvalidSetting(format!(
                    "routes named `{name}` share one budget, so they need one quota counted one \
                     way: {earlier} and {quota} differ"
                )));
            }
            return Ok(Arc::clone(limiter));
        }
        let leaked = static_name(name.clone());
        let limiter = Arc::new(make(leaked));
        self.0.insert(name, (quota, key, Arc::clone(&limiter)));
        Ok(limiter)
    }
}

impl RateLimits {
    /// The limiters for `routes` and `general`, or `None` when nothing is limited.
    pub(crate) fn build(
        routes: &[RouteLimit],
        general: &[GeneralLimit],
        handler: &[HandlerLimit],
        settings: &RateSettings,
    ) -> Result<Option<Self>, crate::error::ConfigError> {
        let mut limits = Self {
            routes: HashMap::default(),
            accounts: HashMap::default(),
            general: Vec::new(),
            handler: HashMap::new(),
            account_keys: AccountKeys::new(settings.account_secret.as_deref())?,
        };
        let mut named = Named::default();
        for RouteLimit {
            route,
            rule,
            account,
            name,
            ..
        } in routes
        {
            let (route, rule, account, name) = (*route, *rule, *account, *name);
            // A handler serving several endpoints is keyed by the first of them in order, the
            // same on every instance and after any refactoring that keeps the endpoints.
            let endpoint = routes
                .iter()
                .filter(|other| other.route == route)
                .map(|other| other.endpoint.as_str())
                .min()
                .unwrap_or_default();
            let message = rule.and_then(|rule| rule.refusal_message());
            // One limiter per handler, even when it serves several paths or methods; one per
            // `rate_name`, whichever routes carry it.
            if let Some(rule) = rule
                && !limits.routes.contains_key(&route)
            {
                let limiter = if let Some(name) = name {
                    named.limiter(name.to_owned(), rule.quota(), Some(rule.key()), &|n| {
                        Limiter::new(n, &format!("named:{n}"), rule.quota(), settings)
                            .with_message(message)
                    })?
                } else {
                    let id = format!("route:{endpoint}");
                    Arc::new(
                        Limiter::new(route.handler, &id, rule.quota(), settings)
                            .with_message(message),
                    )
                };
                limits.routes.insert(route, limiter);
            }
            if let Some(account) = account
                && !limits.accounts.contains_key(&route)
            {
                let base = name.unwrap_or(route.handler);
                let header = format!("{base}.account");
                // A refused client reads the route's message either way.
                let limiter = if name.is_some() {
                    named.limiter(header, account.quota(), None, &|n| {
                        Limiter::new(n, &format!("named:{n}"), account.quota(), settings)
                            .with_message(message)
                    })?
                } else {
                    let id = format!("account:{endpoint}");
                    let leaked = static_name(header);
                    Arc::new(
                        Limiter::new(leaked, &id, account.quota(), settings).with_message(message),
                    )
                };
                limits.accounts.insert(route, limiter);
            }
        }
        for (index, limit) in general.iter().enumerate() {
            // Several limits on one prefix (`100/15m` and `1000/1d`) keep separate counts.
            let twins = general[..index]
                .iter()
                .filter(|earlier| *earlier == limit)
                .count();
            let id = format!("general:{}:{}#{twins}", limit.prefix, limit.quota);
            let limiter = Limiter::new(GENERAL_NAME, &id, limit.quota, settings);
            limits.general.push((limit.prefix.clone(), limiter));
        }
        for limit in handler {
            let name = static_name(limit.name.clone());
            let id = format!("handler:{name}");
            let limiter = Limiter::new(name, &id, limit.quota, settings);
            limits.handler.insert(limit.name.clone(), limiter);
        }
        #[cfg(feature = "redis")]
        if settings.redis.is_some()
            && settings.account_secret.is_none()
            && !limits.accounts.is_empty()
        {
            tracing::warn!(
                target: "secure_api::rate",
                "limits by account on Redis without RATE_LIMIT_KEY_SECRET: each instance hashes \
                 account names with its own random key, so instances do not share those budgets"
            );
        }
        let any = !limits.routes.is_empty()
            || !limits.accounts.is_empty()
            || !limits.general.is_empty()
            || !limits.handler.is_empty();
        Ok(any.then_some(limits))
    }

    /// The route's limit by account.
    pub(crate) fn account(&self, route: RouteId) -> Option<&Limiter> {
        self.accounts.get(&route).map(|limiter| &**limiter)
    }

    /// The limit a handler checks itself, by its name.
    pub(crate) fn handler_limit(&self, name: &str) -> Option<&Limiter> {
        self.handler.get(name)
    }

    /// How account names become limiter keys.
    pub(crate) fn account_keys(&self) -> &AccountKeys {
        &self.account_keys
    }

    /// The general limits by their prefix, in the order they were added.
    pub(crate) fn general(&self) -> &[(String, Limiter)] {
        &self.general
    }

    /// The route's own limiter.
    pub(crate) fn route(&self, route: RouteId) -> Option<&Limiter> {
        self.routes.get(&route).map(|limiter| &**limiter)
    }
}

/// Whether a general limit on `prefix` covers the route template `path`, segment-wise:
/// `/api` covers `/api` and `/api/v1/posts`, not `/apis`.
pub(crate) fn covers(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty()
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl Limiter {
    fn new(name: &'static str, id: &str, quota: Quota, settings: &RateSettings) -> Self {
        #[cfg(feature = "redis")]
        if let Some(redis) = &settings.redis {
            return Self {
                name,
                quota,
                message: None,
                texts: Arc::new(ItemTexts::new(name, quota)),
                store: Store::Redis(super::redis::RedisLimiter::new(redis, id, quota)),
            };
        }
        let _ = id;
        Self {
            name,
            quota,
            message: None,
            texts: Arc::new(ItemTexts::new(name, quota)),
            store: Store::Memory {
                limiter: MemoryLimiter::new(quota, settings.max_keys),
                epoch: tokio::time::Instant::now(),
            },
        }
    }

    fn with_message(self, message: Option<&'static str>) -> Self {
        Self { message, ..self }
    }

    /// Decides one request of `client`: its item for the headers, or `None` when a shared
    /// store could not decide and lets requests through (fail open); a store that fails
    /// closed answers `503`. A refusal is an item with `refused` set: see
    /// [`refusal`](Self::refusal).
    pub(crate) async fn decide(&self, client: ClientKey<'_>) -> Result<Option<RateItem>, ApiError> {
        match self.check(client).await {
            Ok(item) => Ok(Some(item)),
            Err(unavailable) if unavailable.fail_open => {
                tracing::warn!(
                    target: "secure_api::rate",
                    limit = self.name,
                    reason = &*unavailable.reason,
                    "rate limit store unavailable: request let through unlimited (fail open)"
                );
                Ok(None)
            }
            Err(unavailable) => Err(ApiError::unavailable().with_reason(format!(
                "rate limit \"{}\" store unavailable (fail closed): {}",
                self.name, unavailable.reason
            ))),
        }
    }

    /// The answer to a request this limit refused: `429`, with the route's message if it has one.
    pub(crate) fn refusal(&self) -> ApiError {
        let error = match self.message {
            Some(message) => ApiError::client(StatusCode::TOO_MANY_REQUESTS, message),
            None => ApiError::status(StatusCode::TOO_MANY_REQUESTS),
        };
        error.with_reason(format!(
            "rate limit \"{}\" ({}) exceeded",
            self.name, self.quota
        ))
    }

    /// The decision at once, for a limit kept in memory; `None` for one whose store must be
    /// asked ([`decide`](Self::decide) then).
    #[cfg_attr(
        not(feature = "redis"),
        expect(
            clippy::unnecessary_wraps,
            reason = "`None` is the Redis store's answer"
        )
    )]
    pub(crate) fn decide_now(&self, client: ClientKey<'_>) -> Option<RateItem> {
        match &self.store {
            Store::Memory { limiter, epoch } => Some(self.memory_item(limiter, *epoch, client)),
            #[cfg(feature = "redis")]
            Store::Redis(_) => None,
        }
    }

    fn memory_item(
        &self,
        limiter: &MemoryLimiter,
        epoch: tokio::time::Instant,
        client: ClientKey<'_>,
    ) -> RateItem {
        let now = tokio::time::Instant::now().duration_since(epoch);
        let check = match client {
            ClientKey::Ip(address) => {
                let (key, len) = ip_key(address);
                limiter.check_at(&key[..len], now)
            }
            ClientKey::User(id) => limiter.check_at(id.as_bytes(), now),
            ClientKey::ApiKey(id) => limiter.check_at(&api_key_key(id), now),
            ClientKey::Account(key) => limiter.check_at(key, now),
        };
        let outcome = check.outcome();
        RateItem {
            texts: Arc::clone(&self.texts),
            remaining: outcome.remaining,
            reset_secs: ceil_secs(outcome.reset, 1_000_000_000),
            refused: !outcome.allowed,
        }
    }

    #[cfg_attr(not(feature = "redis"), allow(clippy::unused_async))]
    async fn check(&self, client: ClientKey<'_>) -> Result<RateItem, Unavailable> {
        match &self.store {
            Store::Memory { limiter, epoch } => Ok(self.memory_item(limiter, *epoch, client)),
            #[cfg(feature = "redis")]
            Store::Redis(limiter) => {
                // Boxed: the Redis call's future is large, and every request's future would
                // carry its room inline, in-memory limits included.
                let outcome = Box::pin(limiter.check(client)).await?;
                Ok(RateItem {
                    texts: Arc::clone(&self.texts),
                    remaining: outcome.remaining,
                    reset_secs: ceil_secs(outcome.reset, super::redis::TICKS_PER_SEC),
                    refused: !outcome.allowed,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn prefixes_cover_whole_segments() {
        assert!(covers("/api", "/api"));
        assert!(covers("/api", "/api/v1/posts/{id}"));
        assert!(covers("/api/", "/api/v1"));
        assert!(!covers("/api", "/apis"));
        assert!(!covers("/api", "/health"));
        assert!(covers("/", "/health"));
        assert!(covers("", "/health"));
    }
}
