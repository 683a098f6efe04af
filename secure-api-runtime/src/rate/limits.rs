//! The live limiters of one app, made when the router is finished, and how a request meets them.
//!
//! Each route's limit is its own limiter (named after its handler), and each general limit is
//! one limiter shared by every route under its prefix, whenever that route was added. The
//! pipeline calls [`RateLimits::before_authentication`] (limits by address: the general ones,
//! then a public route's own) and [`RateLimits::after_authentication`] (a limit by user), and
//! stops at the first refusal, so a refused request spends nothing further down.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::MatchedPath;
use http::StatusCode;
use http::request::Parts;

use super::client::{client_ip, ip_key};
use super::headers::{RateItem, ceil_secs};
use super::{MemoryLimiter, Quota, RateKey};
use crate::audit::AuditContext;
use crate::config::SecurityConfig;
use crate::error::ApiError;
use crate::policy::{Access, Policy};
use crate::routing::RouteInfo;

/// A general limit as the router records it: `.rate_limit("/api", "100/15m")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GeneralLimit {
    pub(crate) prefix: String,
    pub(crate) quota: Quota,
}

/// The name of the general limits in the headers.
const GENERAL_NAME: &str = "api";

/// Every limiter of one app.
pub(crate) struct RateLimits {
    /// By the handler's module, name and line.
    routes: HashMap<RouteKey, Limiter>,
    general: Vec<(String, Limiter)>,
    config: SecurityConfig,
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

/// A handler: its module, name and line (`Policy::module`, `handler`, `line`).
type RouteKey = (&'static str, &'static str, u32);

fn route_key(policy: &Policy) -> RouteKey {
    (policy.module(), policy.handler(), policy.line())
}

/// Who a request is counted as.
#[derive(Clone, Copy)]
pub(crate) enum ClientKey<'a> {
    Ip(IpAddr),
    User(&'a str),
}

struct Limiter {
    name: &'static str,
    quota: Quota,
    message: Option<&'static str>,
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

/// A shared store could not decide.
pub(crate) struct Unavailable {
    pub(crate) reason: String,
    /// The store's choice: let the request through (`true`) or refuse it.
    pub(crate) fail_open: bool,
}

impl RateLimits {
    /// The limiters for `routes` and `general`, or `None` when nothing is limited.
    pub(crate) fn build(
        routes: &[RouteInfo],
        general: &[GeneralLimit],
        config: &SecurityConfig,
    ) -> Option<Arc<Self>> {
        let mut limits = Self {
            routes: HashMap::new(),
            general: Vec::new(),
            config: config.clone(),
        };
        for route in routes {
            let policy = &route.policy;
            let Some(rule) = policy.rate_limit() else {
                continue;
            };
            // Handlers of one name in one module (local to different functions) are told
            // apart by their line; the line joins the shared store's key only then, so that
            // editing a file does not reset every budget on the next deployment.
            let namesake = routes.iter().any(|other| {
                let other = &other.policy;
                other.rate_limit().is_some()
                    && (other.module(), other.handler()) == (policy.module(), policy.handler())
                    && other.line() != policy.line()
            });
            // One limiter per handler, even when it serves several paths or methods.
            limits.routes.entry(route_key(policy)).or_insert_with(|| {
                let mut id = format!("route:{}::{}", policy.module(), policy.handler());
                if namesake {
                    id = format!("{id}@{}", policy.line());
                }
                Limiter::new(policy.handler(), &id, rule.quota(), config)
                    .with_message(rule.refusal_message())
            });
        }
        for (index, limit) in general.iter().enumerate() {
            // Several limits on one prefix (`100/15m` and `1000/1d`) keep separate counts.
            let twins = general[..index]
                .iter()
                .filter(|earlier| *earlier == limit)
                .count();
            let id = format!("general:{}:{}#{twins}", limit.prefix, limit.quota);
            let limiter = Limiter::new(GENERAL_NAME, &id, limit.quota, config);
            limits.general.push((limit.prefix.clone(), limiter));
        }
        (!limits.routes.is_empty() || !limits.general.is_empty()).then(|| Arc::new(limits))
    }

    /// Step 2 of the pipeline: the limits by client address that cover this route.
    pub(crate) async fn before_authentication(
        &self,
        policy: &Policy,
        parts: &Parts,
    ) -> Result<(), ApiError> {
        let path = parts
            .extensions
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let own = policy
            .rate_limit()
            .filter(|rule| rule.key() == RateKey::Ip || policy.access() == Access::Public)
            .and_then(|_| self.routes.get(&route_key(policy)));
        let covered = |prefix: &str| path.is_some_and(|path| covers(prefix, path));
        if own.is_none() && !self.general.iter().any(|(prefix, _)| covered(prefix)) {
            return Ok(());
        }
        let client = ClientKey::Ip(client_ip(parts, self.config.trusted_proxies())?);
        // A plain loop: the future must not hold iterator adapters with closures across awaits.
        for (prefix, limiter) in &self.general {
            if path.is_some_and(|path| covers(prefix, path)) {
                self.apply(limiter, client, parts).await?;
            }
        }
        if let Some(limiter) = own {
            self.apply(limiter, client, parts).await?;
        }
        Ok(())
    }

    /// Step 4 of the pipeline: the route's limit by verified user.
    pub(crate) async fn after_authentication(
        &self,
        policy: &Policy,
        user_id: &str,
        parts: &Parts,
    ) -> Result<(), ApiError> {
        let by_user = policy
            .rate_limit()
            .is_some_and(|rule| rule.key() == RateKey::User);
        match self.routes.get(&route_key(policy)) {
            Some(limiter) if by_user => self.apply(limiter, ClientKey::User(user_id), parts).await,
            _ => Ok(()),
        }
    }

    async fn apply(
        &self,
        limiter: &Limiter,
        client: ClientKey<'_>,
        parts: &Parts,
    ) -> Result<(), ApiError> {
        let item = match limiter.check(client).await {
            Ok(item) => item,
            Err(unavailable) => return unavailable_store(limiter, &unavailable),
        };
        let refused = item.refused;
        if let Some(audit) = parts.extensions.get::<AuditContext>() {
            audit.add_rate_item(item);
        }
        if !refused {
            return Ok(());
        }
        let error = match limiter.message {
            Some(message) => ApiError::client(StatusCode::TOO_MANY_REQUESTS, message),
            None => ApiError::status(StatusCode::TOO_MANY_REQUESTS),
        };
        Err(error.with_reason(format!(
            "rate limit \"{}\" ({}) exceeded",
            limiter.name, limiter.quota
        )))
    }
}

/// The store could not decide: refuse (`503`) or let through, as the store is configured.
fn unavailable_store(limiter: &Limiter, unavailable: &Unavailable) -> Result<(), ApiError> {
    let reason = &*unavailable.reason;
    if unavailable.fail_open {
        tracing::warn!(
            target: "secure_api::rate",
            limit = limiter.name,
            reason,
            "rate limit store unavailable: request let through unlimited (fail open)"
        );
        return Ok(());
    }
    Err(ApiError::unavailable().with_reason(format!(
        "rate limit \"{}\" store unavailable (fail closed): {reason}",
        limiter.name
    )))
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
    fn new(name: &'static str, id: &str, quota: Quota, config: &SecurityConfig) -> Self {
        #[cfg(feature = "redis")]
        if let Some(redis) = config.redis() {
            return Self {
                name,
                quota,
                message: None,
                store: Store::Redis(redis.limiter(id, quota)),
            };
        }
        let _ = id;
        Self {
            name,
            quota,
            message: None,
            store: Store::Memory {
                limiter: MemoryLimiter::new(quota, config.rate_max_keys()),
                epoch: tokio::time::Instant::now(),
            },
        }
    }

    fn with_message(self, message: Option<&'static str>) -> Self {
        Self { message, ..self }
    }

    #[cfg_attr(not(feature = "redis"), allow(clippy::unused_async))]
    async fn check(&self, client: ClientKey<'_>) -> Result<RateItem, Unavailable> {
        let (outcome, ticks_per_sec) = match &self.store {
            Store::Memory { limiter, epoch } => {
                let now = tokio::time::Instant::now().duration_since(*epoch);
                let check = match client {
                    ClientKey::Ip(address) => {
                        let (key, len) = ip_key(address);
                        limiter.check_at(&key[..len], now)
                    }
                    ClientKey::User(id) => limiter.check_at(id.as_bytes(), now),
                };
                (check.outcome(), 1_000_000_000)
            }
            #[cfg(feature = "redis")]
            Store::Redis(limiter) => (limiter.check(client).await?, super::redis::TICKS_PER_SEC),
        };
        Ok(RateItem {
            name: self.name,
            quota: self.quota,
            remaining: outcome.remaining,
            reset_secs: ceil_secs(outcome.reset, ticks_per_sec),
            refused: !outcome.allowed,
        })
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
