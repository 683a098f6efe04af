//! Rate limiting: how often a client may call a route, and the app's general limit.
//!
//! A route declares its limit in its policy, checked at compile time:
//!
//! ```
//! use secure_api::prelude::*;
//!
//! #[secure(public, rate = "5/15m", rate_message = "Too many login attempts")]
//! async fn login() -> StatusCode { StatusCode::NO_CONTENT }
//!
//! #[secure(auth, rate = "100/15m")] // by verified user, the default on `auth` routes
//! async fn feed() -> StatusCode { StatusCode::NO_CONTENT }
//! ```
//!
//! and the router adds general limits by path prefix, with the same quota syntax checked when
//! the app starts: `Router::new()...rate_limit("/api", "100/15m")`.
//!
//! - **Algorithm**: GCRA, exactly as `governor` computes it: with `5/15m` a fresh client makes 5
//!   requests at once, the sixth is refused, and one more becomes available every 3 minutes.
//!   Refused requests spend nothing. Concurrent requests are decided one at a time per client,
//!   so no burst gets more through than the quota.
//! - **Key**: the client address on `public` routes (checked before any token or database
//!   work), the verified user on `auth` routes (checked right after authentication); `key =
//!   "ip"` or `key = "user"` chooses. The address is the socket peer, or the rightmost
//!   untrusted `X-Forwarded-For` hop when the peer is a trusted proxy ([`TrustedProxies`]).
//!   IPv6 clients count by their /64.
//! - **Answers**: every limited response carries `RateLimit-Policy` and `RateLimit` (the IETF
//!   draft's structured fields: `"login";q=5;w=900` and `"login";r=4;t=180`), one item per
//!   limit that applied. A refusal is `429 {"error":"Too many requests"}` (or the route's
//!   `rate_message`) with `Retry-After`, in whole seconds rounded up.
//! - **Where the counts live**: in this process's memory by default (a sharded GCRA limiter, with a
//!   cap on clients and idle clients reclaimed), or on Redis for several instances of an app
//!   (feature `redis`, `REDIS_URL`), where one Lua script decides each request atomically by the
//!   Redis server's clock.

mod account;
mod gcra;
mod grammar;
mod headers;
mod key;
mod limits;
pub(crate) mod memory;
mod quota;
#[cfg(feature = "redis")]
mod redis;

pub use crate::client_ip::{InvalidCidr, TrustedProxies};
pub use crate::store::FailureMode;
#[cfg(feature = "redis")]
pub use crate::store::{DEFAULT_TIMEOUT as DEFAULT_REDIS_TIMEOUT, RedisStore};
pub(crate) use account::{AccountKey, AccountKeys};
pub use account::{AccountRule, MIN_KEY_SECRET_BYTES};
pub(crate) use headers::{RateItem, write_headers};
pub(crate) use key::ClientKey;
pub(crate) use limits::{
    GeneralLimit, HandlerLimit, Limiter, RateLimits, RateSettings, RouteId, RouteLimit, covers,
};
pub use memory::DEFAULT_MAX_KEYS;
pub(crate) use memory::MemoryLimiter;
pub use quota::{MAX_PERIOD_SECS, Quota, QuotaError};

/// A quota given at run time, as [`Router::rate_limit`](crate::Router::rate_limit) takes it: a
/// [`Quota`], or its text, which is checked when the router is built.
pub trait IntoQuota {
    /// The quota, or why the text is not one.
    fn into_quota(self) -> Result<Quota, QuotaError>;
}

impl IntoQuota for Quota {
    fn into_quota(self) -> Result<Quota, QuotaError> {
        Ok(self)
    }
}

impl IntoQuota for &str {
    fn into_quota(self) -> Result<Quota, QuotaError> {
        self.parse()
    }
}

impl IntoQuota for &String {
    fn into_quota(self) -> Result<Quota, QuotaError> {
        self.parse()
    }
}

impl IntoQuota for String {
    fn into_quota(self) -> Result<Quota, QuotaError> {
        self.parse()
    }
}

pub use crate::kinds::RateKey;

/// A route's declared limit: `rate = "5/15m"`, with its key and refusal message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateRule {
    quota: Quota,
    key: RateKey,
    message: Option<&'static str>,
}

impl RateRule {
    /// `quota`, counted by `key`.
    pub const fn new(quota: Quota, key: RateKey) -> Self {
        Self {
            quota,
            key,
            message: None,
        }
    }

    /// The message a refused client reads instead of `Too many requests`.
    #[must_use]
    pub const fn message(self, message: &'static str) -> Self {
        Self {
            message: Some(message),
            ..self
        }
    }

    /// The quota.
    pub const fn quota(&self) -> Quota {
        self.quota
    }

    /// What the limit counts by.
    pub const fn key(&self) -> RateKey {
        self.key
    }

    /// The route's own refusal message, if it sets one.
    pub const fn refusal_message(&self) -> Option<&'static str> {
        self.message
    }
}
