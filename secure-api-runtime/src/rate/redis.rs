//! Rate limits and revoked tokens on Redis, shared by every instance of an app.
//!
//! Each decision is one Lua script run atomically on the server, with the server's clock
//! (`TIME`), so instances with skewed clocks still share one budget, and concurrent requests
//! from any number of instances never pass more than the quota. The key of a client expires
//! on its own when its budget is full again. Each call is bounded by a timeout; while Redis
//! cannot be reached, the store answers as its [`FailureMode`] says and the connection is
//! re-established in the background when Redis returns.
//!
//! Redis counts in whole microseconds, so a quota's refill interval is rounded down to one: for
//! quotas near the limit of one request per microsecond (`1000000/1s`) that is a real
//! difference; for any quota a person writes it is none.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::FailureMode;
use super::gcra::{Gcra, Outcome};
use super::key::{ClientKey, Unavailable};
use super::quota::Quota;
use crate::auth::{MAX_LEEWAY_SECS, RevocationStore, StoreError, StoreFuture};
use crate::client_ip::ip_label;

/// The Redis store counts in microseconds, the resolution of Redis's `TIME`.
pub(crate) const TICKS_PER_SEC: u64 = 1_000_000;

/// The default bound on one Redis call, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// GCRA on the server. KEYS[1]: the client. ARGV: interval and tolerance in microseconds.
/// Returns {allowed, ahead}: how far the TAT runs ahead of now, after the update when allowed,
/// before it when refused (see `gcra.rs`, which reads the reply).
const GCRA_SCRIPT: &str = r"
redis.replicate_commands()
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local ahead = tat - now
if ahead > tolerance then
  return {0, ahead}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, new_tat - now}
";

/// A Redis server for rate limits and revoked tokens (feature `redis`; `REDIS_URL`).
///
/// ```no_run
/// use secure_api::rate::{FailureMode, RedisStore};
/// use secure_api::SecurityConfig;
///
/// let redis = RedisStore::open("redis://127.0.0.1:6379")?.failure_mode(FailureMode::Closed);
/// let config = SecurityConfig::builder().redis(redis).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    /// Made on first use, inside the runtime that serves requests: the manager spawns its
    /// reconnecting task there, and a config may be built before any runtime exists.
    connection: OnceLock<Result<ConnectionManager, String>>,
    script: redis::Script,
    failure: FailureMode,
    timeout: Duration,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("failure", &self.inner.failure)
            .field("timeout", &self.inner.timeout)
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the Redis server at `url` (`redis://host:port/db`). It connects on first
    /// use, so the app starts even while Redis is down, and reconnects by itself.
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                connection: OnceLock::new(),
                script: redis::Script::new(GCRA_SCRIPT),
                failure: FailureMode::Closed,
                timeout: DEFAULT_TIMEOUT,
                prefix: "secure-api:".to_owned(),
            }),
        })
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            client: shared.client.clone(),
            connection: OnceLock::new(),
            script: shared.script.clone(),
            failure: shared.failure,
            timeout: shared.timeout,
            prefix: shared.prefix.clone(),
        });
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// What to do while Redis cannot be reached: refuse with `503` ([`FailureMode::Closed`],
    /// the default) or let requests through ([`FailureMode::Open`]). Either is logged.
    #[must_use]
    pub fn failure_mode(self, failure: FailureMode) -> Self {
        self.with(|inner| inner.failure = failure)
    }

    /// The longest one decision may wait for Redis (default 500 ms); past it, Redis counts as
    /// unreachable for that request.
    #[must_use]
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with(|inner| inner.timeout = timeout)
    }

    /// The prefix of every key this store writes (default `secure-api:`). Apps sharing one
    /// Redis keep apart by prefix; instances of one app share it.
    #[must_use]
    pub fn key_prefix(self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.with(|inner| inner.prefix = prefix)
    }

    /// The store's revocation list, for [`AuthConfigBuilder::revocation_store`](crate::auth::AuthConfigBuilder::revocation_store):
    /// a token revoked by one instance is refused by all. It fails closed while Redis is
    /// unreachable (tokens are refused with `503`) whatever the store's own failure mode,
    /// unless told otherwise with [`RedisRevocations::failure_mode`]: letting rate limits
    /// through during an outage must not make revoked tokens valid again.
    pub fn revocations(&self) -> RedisRevocations {
        RedisRevocations {
            store: self.clone(),
            failure: FailureMode::Closed,
        }
    }

    /// A limiter for `quota` whose keys start with `id`.
    pub(crate) fn limiter(&self, id: &str, quota: Quota) -> RedisLimiter {
        RedisLimiter {
            store: self.clone(),
            key_prefix: format!("{}rate:{id}:", self.inner.prefix),
            gcra: Gcra::new(quota, TICKS_PER_SEC),
        }
    }

    /// The connection, made on first use. Cloning a manager is cheap; clones share it.
    fn connection(&self) -> Result<ConnectionManager, String> {
        self.inner
            .connection
            .get_or_init(|| {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.inner.timeout))
                    .set_response_timeout(Some(self.inner.timeout))
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_secs(1));
                ConnectionManager::new_lazy_with_config(self.inner.client.clone(), config)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    async fn bounded<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, String> {
        match tokio::time::timeout(self.inner.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {:?}", self.inner.timeout)),
        }
    }
}

/// One route's or general limit's counts on Redis.
pub(crate) struct RedisLimiter {
    store: RedisStore,
    key_prefix: String,
    gcra: Gcra,
}

impl RedisLimiter {
    pub(crate) async fn check(&self, client: ClientKey<'_>) -> Result<Outcome, Unavailable> {
        let key = match client {
            ClientKey::Ip(address) => format!("{}ip:{}", self.key_prefix, ip_label(address)),
            ClientKey::User(id) => format!("{}user:{id}", self.key_prefix),
        };
        let inner = &self.store.inner;
        let unavailable = |reason| Unavailable {
            reason,
            fail_open: inner.failure == FailureMode::Open,
        };
        let mut connection = self.store.connection().map_err(unavailable)?;
        let mut invocation = inner.script.key(key);
        invocation
            .arg(self.gcra.interval())
            .arg(self.gcra.tolerance());
        let reply: Result<(u8, u64), String> = self
            .store
            .bounded(invocation.invoke_async(&mut connection))
            .await;
        match reply {
            Ok((allowed, ahead)) => Ok(self.gcra.outcome(allowed == 1, ahead)),
            Err(reason) => Err(unavailable(reason)),
        }
    }
}

/// Revoked token ids on Redis: see [`RedisStore::revocations`].
#[derive(Clone, Debug)]
pub struct RedisRevocations {
    store: RedisStore,
    failure: FailureMode,
}

impl RedisRevocations {
    /// What a revocation check does while Redis is unreachable: refuse the token with `503`
    /// ([`FailureMode::Closed`], the default) or accept it unchecked ([`FailureMode::Open`],
    /// logged), in which case a revoked token works again for the outage.
    #[must_use]
    pub fn failure_mode(mut self, failure: FailureMode) -> Self {
        self.failure = failure;
        self
    }

    fn key(&self, jti: &str) -> String {
        format!("{}revoked:{jti}", self.store.inner.prefix)
    }

    fn failed(&self, what: &str, reason: String) -> Result<bool, StoreError> {
        if self.failure == FailureMode::Open {
            tracing::warn!(
                target: "secure_api::auth",
                reason,
                "revocation store unavailable: {what} skipped (fail open)"
            );
            Ok(false)
        } else {
            Err(StoreError(reason))
        }
    }
}

impl RevocationStore for RedisRevocations {
    fn revoke<'a>(
        &'a self,
        jti: &'a str,
        expires_at: u64,
    ) -> StoreFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.store.connection().map_err(StoreError)?;
            // Kept until the token could no longer pass even within the largest leeway.
            let until = expires_at.saturating_add(MAX_LEEWAY_SECS);
            let mut command = redis::cmd("SET");
            command.arg(self.key(jti)).arg(1).arg("EXAT").arg(until);
            // Revoking is never skipped: a logout that did not happen must say so.
            self.store
                .bounded(command.query_async::<()>(&mut connection))
                .await
                .map_err(StoreError)
        })
    }

    fn is_revoked<'a>(&'a self, jti: &'a str) -> StoreFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut command = redis::cmd("EXISTS");
            command.arg(self.key(jti));
            let answer = match self.store.connection() {
                Ok(mut connection) => {
                    self.store
                        .bounded(command.query_async::<bool>(&mut connection))
                        .await
                }
                Err(reason) => Err(reason),
            };
            match answer {
                Ok(revoked) => Ok(revoked),
                Err(reason) => self.failed("revocation check", reason),
            }
        })
    }
}
