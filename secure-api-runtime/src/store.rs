//! The shared store: one Redis server that the rate limits and the revocation list of every
//! instance of an app use (feature `redis`; `REDIS_URL`), and what its users do while it
//! cannot be reached.
//!
//! This module holds the connection and its bounds only. What is kept there belongs to the
//! concern that keeps it: the rate limits' script is in `rate`
//! ([`RedisStore::open`] then [`SecurityConfigBuilder::redis`](crate::config::SecurityConfigBuilder::redis)),
//! the revoked token ids in `auth` ([`RedisStore::revocations`]).

use std::fmt;

/// What a user of a shared store (Redis) does while the store cannot be reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailureMode {
    /// Refuse requests the store would have decided: `503 {"error":"Service unavailable"}`.
    /// The default: an outage of the store must not switch brute-force protection off.
    #[default]
    Closed,
    /// Let requests through undecided, logging each one that was.
    Open,
}

impl fmt::Display for FailureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Closed => "closed",
            Self::Open => "open",
        })
    }
}

#[cfg(feature = "redis")]
pub use self::redis_store::{DEFAULT_TIMEOUT, RedisStore};

#[cfg(feature = "redis")]
mod redis_store {
    use std::sync::{Arc, OnceLock};
    use std::time::Duration;

    use redis::aio::{ConnectionManager, ConnectionManagerConfig};

    use super::FailureMode;

    /// The default bound on one Redis call, connection included.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

    /// A Redis server for rate limits and revoked tokens (feature `redis`; `REDIS_URL`).
    ///
    /// Each call is bounded by a timeout; while Redis cannot be reached, the store's users
    /// answer as its [`FailureMode`] says, and the connection is re-established in the
    /// background when Redis returns.
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
        failure: FailureMode,
        timeout: Duration,
        prefix: String,
        /// Whether plain `redis://` beyond loopback is deliberate (`REDIS_ALLOW_PLAINTEXT`).
        plaintext_allowed: bool,
    }

    impl std::fmt::Debug for RedisStore {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("RedisStore")
                .field("failure", &self.inner.failure)
                .field("timeout", &self.inner.timeout)
                .field("prefix", &self.inner.prefix)
                .field("tls", &self.is_tls())
                .finish_non_exhaustive()
        }
    }

    impl RedisStore {
        /// A store on the Redis server at `url`: `redis://host:port/db`, or `rediss://` for
        /// TLS, verified against the system's root certificates. It connects on first use, so
        /// the app starts even while Redis is down, and reconnects by itself.
        pub fn open(url: &str) -> Result<Self, redis::RedisError> {
            Ok(Self::with_client(redis::Client::open(url)?))
        }

        /// A store on the Redis server at the `rediss://` `url`, whose certificate is verified
        /// against `root_certificates` (PEM; `REDIS_CA_CERT`) instead of the system's roots:
        /// for a server whose certificate a private authority issued.
        pub fn open_tls_with_roots(
            url: &str,
            root_certificates: &[u8],
        ) -> Result<Self, redis::RedisError> {
            if !url.starts_with("rediss://") {
                return Err(redis::RedisError::from((
                    redis::ErrorKind::InvalidClientConfig,
                    "root certificates need a rediss:// URL",
                )));
            }
            let certificates = redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(root_certificates.to_vec()),
            };
            Ok(Self::with_client(redis::Client::build_with_tls(
                url,
                certificates,
            )?))
        }

        fn with_client(client: redis::Client) -> Self {
            // The one crypto backend of the binary, also for the Redis client's TLS, which
            // takes the process's default rustls provider.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            Self {
                inner: Arc::new(Inner {
                    client,
                    connection: OnceLock::new(),
                    failure: FailureMode::Closed,
                    timeout: DEFAULT_TIMEOUT,
                    prefix: "secure-api:".to_owned(),
                    plaintext_allowed: false,
                }),
            }
        }

        fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
            let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
                client: shared.client.clone(),
                connection: OnceLock::new(),
                failure: shared.failure,
                timeout: shared.timeout,
                prefix: shared.prefix.clone(),
                plaintext_allowed: shared.plaintext_allowed,
            });
            change(&mut inner);
            Self {
                inner: Arc::new(inner),
            }
        }

        /// What the rate limits do while Redis cannot be reached: refuse with `503`
        /// ([`FailureMode::Closed`], the default) or let requests through
        /// ([`FailureMode::Open`]). Either is logged. The revocation list has its own mode
        /// ([`RedisRevocations::failure_mode`](crate::auth::RedisRevocations::failure_mode)).
        #[must_use]
        pub fn failure_mode(self, failure: FailureMode) -> Self {
            self.with(|inner| inner.failure = failure)
        }

        /// The longest one decision may wait for Redis (default 500 ms); past it, Redis counts
        /// as unreachable for that request.
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

        /// Says that plain `redis://` to a host beyond loopback is deliberate
        /// (`REDIS_ALLOW_PLAINTEXT=true`): production refuses it otherwise, since budgets and
        /// revoked token ids would cross the network in clear.
        #[must_use]
        pub fn allow_plaintext(self, allowed: bool) -> Self {
            self.with(|inner| inner.plaintext_allowed = allowed)
        }

        /// Whether the connection to Redis is TLS (`rediss://`).
        pub fn is_tls(&self) -> bool {
            matches!(
                self.inner.client.get_connection_info().addr(),
                redis::ConnectionAddr::TcpTls { .. }
            )
        }

        /// Whether the store talks to Redis in clear over a network, undeclared: plain TCP to
        /// a host that is not loopback (a name other than `localhost` counts as remote), without
        /// [`allow_plaintext`](Self::allow_plaintext).
        pub(crate) fn undeclared_plaintext(&self) -> Option<&str> {
            match self.inner.client.get_connection_info().addr() {
                redis::ConnectionAddr::Tcp(host, _) if !self.inner.plaintext_allowed => {
                    let bare = host.trim_start_matches('[').trim_end_matches(']');
                    let loopback = bare.eq_ignore_ascii_case("localhost")
                        || bare
                            .parse::<std::net::IpAddr>()
                            .is_ok_and(|ip| ip.is_loopback());
                    (!loopback).then_some(host.as_str())
                }
                _ => None,
            }
        }

        /// `redis over TLS at host:port`, `redis in clear at host:port`, `redis on a unix
        /// socket`, for the posture line: never the URL, which may hold a password.
        pub(crate) fn describe(&self) -> String {
            match self.inner.client.get_connection_info().addr() {
                redis::ConnectionAddr::TcpTls { host, port, .. } => {
                    format!("redis over TLS at {host}:{port}")
                }
                redis::ConnectionAddr::Tcp(host, port) => {
                    format!("redis in clear at {host}:{port}")
                }
                _ => "redis on a unix socket".to_owned(),
            }
        }

        /// The store's own failure mode, the one its rate limits follow.
        pub(crate) fn failure(&self) -> FailureMode {
            self.inner.failure
        }

        /// The prefix of every key.
        pub(crate) fn prefix(&self) -> &str {
            &self.inner.prefix
        }

        /// The connection, made on first use. Cloning a manager is cheap; clones share it.
        pub(crate) fn connection(&self) -> Result<ConnectionManager, String> {
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

        /// `call`, bounded by the store's timeout; every failure as its reason.
        pub(crate) async fn bounded<T>(
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
}
