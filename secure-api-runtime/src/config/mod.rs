//! [`SecurityConfig`]: the whole security configuration of an app, in code or from the environment.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `SECURE_API_ENV` | `development` or `production` (which needs `TLS_CERT`/`TLS_KEY`, `HTTPS_ONLY` or `TRUSTED_PROXIES`, to tell HTTPS requests) | `development` |
//! | `JWT_SECRET` | HMAC secret, raw text, at least 32 bytes | development: an ephemeral random secret, with a warning; production: refuse to start |
//! | `JWT_ALGORITHM` | `HS256`, `HS384`, `HS512` with `JWT_SECRET`; `RS256`, `ES256`, `EdDSA`, ... with `JWT_PUBLIC_KEY_FILE` | `HS256`, or required with a public key |
//! | `JWT_PUBLIC_KEY_FILE` / `JWT_PRIVATE_KEY_FILE` | PEM files of an asymmetric key pair (the private one only to mint); RSA under 2048 bits refused, under 3072 warned | none |
//! | `JWT_ISSUER` / `JWT_AUDIENCE` | required `iss` / `aud`, also set on minted tokens; production requires both with a public key | not checked |
//! | `JWT_ISSUER_URL` | OpenID Connect issuers (comma-separated) whose tokens are verified with keys found by discovery, refreshed, and chosen by the token's `iss`; production requires `JWT_AUDIENCE` | none |
//! | `JWKS_URL` | a key set fetched and refreshed without discovery, in place of local keys; its tokens carry `JWT_ISSUER` (required in production) | none |
//! | `JWT_TOKEN_TYPE` | the `typ` header every token must carry and minted tokens get (`at+jwt` for RFC 9068 access tokens) | not checked |
//! | `JWT_LEEWAY_SECS` | clock leeway for `exp`, `nbf`, `iat` | 30 |
//! | `JWT_TTL_SECS` | lifetime of minted tokens | 900 |
//! | `BODY_LIMIT_BYTES` | largest accepted request body | 1048576 (1 MiB) |
//! | `MAX_HEADER_BYTES` | most bytes of request line plus headers, else `431` (at most 32768) | 16384 |
//! | `MAX_HEADERS` | most headers in a request, else `431` (at most 100) | 100 |
//! | `MAX_URI_BYTES` | longest request URI, else `414` | 8192 |
//! | `MAX_CONNECTIONS` | most connections `serve` serves at once; the rest wait in the backlog | 10000 |
//! | `MAX_CONNECTIONS_PER_CLIENT` | most connections one client (IPv4 address, IPv6 /64) holds; trusted proxies exempt | 256 |
//! | `TRUSTED_PROXIES` | comma-separated addresses and CIDR blocks whose `X-Forwarded-For` is believed | none |
//! | `RATE_LIMIT_MAX_KEYS` | most clients one in-memory limiter remembers at once | 1000000 |
//! | `RATE_LIMIT_KEY_SECRET` | the secret account names of limits by account are hashed with (at least 32 bytes; the same on every instance sharing Redis) | random per process |
//! | `REDIS_URL` | keep rate limits and revoked tokens on this Redis (feature `redis`): `rediss://` for TLS; production refuses plain `redis://` beyond loopback | in memory |
//! | `REDIS_CA_CERT` | PEM file of the root certificates a `rediss://` server is verified against | the system's roots |
//! | `REDIS_ALLOW_PLAINTEXT` | `true`: plain `redis://` to a remote host in production is deliberate | `false` |
//! | `RATE_LIMIT_REDIS_FAILURE` | `closed` (answer `503`) or `open` (let through) while Redis is unreachable | `closed` |
//! | `REVOCATION_REDIS_FAILURE` | the same for revocation checks: `open` accepts tokens unchecked during an outage | `closed` |
//! | `PUBLIC_URL` | the public HTTPS origin plain HTTP is redirected to (`https://api.example.com`) | none |
//! | `HTTPS_ONLY` | `true`: every request came over HTTPS (HSTS on every response) | `false` |
//! | `HTTPS_REDIRECT` | plain HTTP reported by a trusted proxy: `safe` redirects credential-less `GET`/`HEAD` with `308` and refuses the rest `403`, `all` redirects everything, `off` serves it (`true` is `safe`) | `safe` in production, `off` in development |
//! | `CORS_ALLOWED_ORIGINS` | comma-separated origins allowed cross-origin, or `*` | none: CORS off |
//! | `CORS_ALLOW_CREDENTIALS` | `true`: browsers may send credentials cross-origin (not with `*`) | `false` |
//! | `REQUEST_TIMEOUT_SECS` | longest time a request may take before `408` | 30 |
//! | `TLS_CERT` / `TLS_KEY` | PEM files of the certificate chain and key `serve` terminates TLS with | plain HTTP |

use std::fmt;
use std::sync::Arc;

use crate::auth::{AuthConfig, AuthConfigBuilder, JwtKey};
use crate::authz::DenyAs;
use crate::client_ip::TrustedProxies;
use crate::connection::ConnectionLimits;
use crate::error::ConfigError;
use crate::pipeline::AppSettings;
use crate::rate::{DEFAULT_MAX_KEYS, RateLimits, RateSettings};
use crate::transport::{Cors, HeadLimits, HttpsPolicy, SecurityHeaders, TransportSettings};

/// The default largest request body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The default longest time a request may take, body and handler included: 30 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether the app runs for development or in production.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Missing secrets are generated, with a loud warning.
    #[default]
    Development,
    /// Missing secrets stop start-up.
    Production,
}

/// The security configuration of an app. Cloning is cheap.
///
/// ```
/// use secure_api::{Mode, SecurityConfig};
/// use secure_api::auth::{AuthConfig, JwtKey};
/// use secure_api::transport::HttpsPolicy;
///
/// let config = SecurityConfig::builder()
///     .mode(Mode::Production)
///     .auth(AuthConfig::builder().key(JwtKey::hs256("a secret of at least thirty-two bytes!!")?).build()?)
///     // TLS ends at the load balancer in front, which sets no `X-Forwarded-Proto`.
///     .https(HttpsPolicy::default().assume_https(true))
///     .build()?;
/// # Ok::<(), secure_api::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct SecurityConfig {
    inner: Arc<Settings>,
}

struct Settings {
    mode: Mode,
    /// Whether the mode was chosen (in code or by `SECURE_API_ENV`), not defaulted.
    mode_declared: bool,
    auth: AuthConfig,
    /// Whether the key is development's random one.
    ephemeral_key: bool,
    body_limit: usize,
    head_limits: HeadLimits,
    deny_as: DenyAs,
    trusted_proxies: TrustedProxies,
    rate_max_keys: usize,
    rate_key_secret: Option<Arc<[u8]>>,
    #[cfg(feature = "redis")]
    redis: Option<crate::store::RedisStore>,
    headers: SecurityHeaders,
    https: HttpsPolicy,
    cors: Option<Cors>,
    request_timeout: std::time::Duration,
    tls: Option<crate::tls::TlsConfig>,
    connections: ConnectionLimits,
}

impl SecurityConfig {
    /// Starts a config in code.
    pub fn builder() -> SecurityConfigBuilder {
        SecurityConfigBuilder::default()
    }

    /// Reads the config from the environment variables listed in the module docs.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Development or production.
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// Whether the mode was chosen, in code or by `SECURE_API_ENV`, rather than defaulted to
    /// development. `secure_api::serve` refuses a defaulted mode on a non-loopback address.
    pub fn mode_declared(&self) -> bool {
        self.inner.mode_declared
    }

    /// The authentication config (which also mints and revokes tokens).
    pub fn auth(&self) -> &AuthConfig {
        &self.inner.auth
    }

    /// The largest request body accepted, in bytes.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// The limits on a request's head: header bytes, header count, URI length.
    pub fn head_limits(&self) -> &HeadLimits {
        &self.inner.head_limits
    }

    /// How routes without their own `deny` answer a caller who may not touch an existing
    /// resource (default `404`, as for a missing one).
    pub fn deny_as(&self) -> DenyAs {
        self.inner.deny_as
    }

    /// The proxies whose `X-Forwarded-For` is believed (default: none).
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.inner.trusted_proxies
    }

    /// The most clients one in-memory limiter remembers at once.
    pub fn rate_max_keys(&self) -> usize {
        self.inner.rate_max_keys
    }

    /// The security headers of every response.
    pub fn security_headers(&self) -> &SecurityHeaders {
        &self.inner.headers
    }

    /// How plain HTTP is treated: HSTS, the redirect, the public origin.
    pub fn https(&self) -> &HttpsPolicy {
        &self.inner.https
    }

    /// Cross-origin requests, when allowed.
    pub fn cors(&self) -> Option<&Cors> {
        self.inner.cors.as_ref()
    }

    /// The longest time a request may take before it is answered `408`.
    pub fn request_timeout(&self) -> std::time::Duration {
        self.inner.request_timeout
    }

    /// The certificate `serve` terminates TLS with, when one is configured.
    pub fn tls(&self) -> Option<&crate::tls::TlsConfig> {
        self.inner.tls.as_ref()
    }

    /// The Redis store of rate limits, when one is configured.
    #[cfg(feature = "redis")]
    pub fn redis(&self) -> Option<&crate::store::RedisStore> {
        self.inner.redis.as_ref()
    }

    /// The limits on connections `secure_api::serve` applies.
    pub fn connections(&self) -> &ConnectionLimits {
        &self.inner.connections
    }

    /// The rate limiters' own settings.
    pub(crate) fn rate_settings(&self) -> RateSettings {
        RateSettings {
            max_keys: self.inner.rate_max_keys,
            #[cfg(feature = "redis")]
            redis: self.inner.redis.clone(),
            account_secret: self.inner.rate_key_secret.clone(),
        }
    }

    /// What the pipeline reads on every request, with the app's limiters.
    pub(crate) fn pipeline_settings(&self, rate: Option<RateLimits>) -> AppSettings {
        let settings = &self.inner;
        AppSettings {
            auth: settings.auth.clone(),
            transport: TransportSettings {
                https: settings.https.clone(),
                plain_http: settings
                    .https
                    .plain_http_in(settings.mode == Mode::Production),
                headers: settings.headers.templates(),
                head: settings.head_limits,
                body_limit: settings.body_limit,
                request_timeout: settings.request_timeout,
            },
            trusted_proxies: settings.trusted_proxies.clone(),
            deny_as: settings.deny_as,
            rate,
            csrf_origins: self.csrf_origins(),
            plain_session_cookie: settings.mode == Mode::Development,
        }
    }

    /// The origins a browser session's unsafe requests may come from: `PUBLIC_URL` and
    /// `CORS_ALLOWED_ORIGINS` (but `*`, which allows no origin in particular).
    pub(crate) fn csrf_origins(&self) -> Vec<http::HeaderValue> {
        let settings = &self.inner;
        let cors = settings.cors.iter().flat_map(Cors::listed_origins);
        settings
            .https
            .origin_value()
            .into_iter()
            .chain(cors)
            .cloned()
            .collect()
    }
}

impl fmt::Debug for SecurityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityConfig")
            .field("mode", &self.inner.mode)
            .field("auth", &self.inner.auth)
            .field("body_limit", &self.inner.body_limit)
            .field("deny_as", &self.inner.deny_as)
            .field("trusted_proxies", &self.inner.trusted_proxies)
            .field("rate_max_keys", &self.inner.rate_max_keys)
            .field("https", &self.inner.https)
            .field("cors", &self.inner.cors)
            .field("request_timeout", &self.inner.request_timeout)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SecurityConfig`].
#[derive(Default)]
#[must_use]
pub struct SecurityConfigBuilder {
    mode: Mode,
    mode_declared: bool,
    auth: Option<AuthConfig>,
    // Set by `from_lookup`: settings and key from the environment, used when `auth` is not given.
    auth_settings: AuthConfigBuilder,
    key: Option<JwtKey>,
    body_limit: Option<usize>,
    head_limits: HeadLimits,
    deny_as: DenyAs,
    trusted_proxies: TrustedProxies,
    rate_max_keys: Option<usize>,
    rate_key_secret: Option<Arc<[u8]>>,
    #[cfg(feature = "redis")]
    pub(super) redis: Option<crate::store::RedisStore>,
    headers: SecurityHeaders,
    https: HttpsPolicy,
    cors: Option<Cors>,
    request_timeout: Option<std::time::Duration>,
    tls: Option<crate::tls::TlsConfig>,
    connections: ConnectionLimits,
}

impl SecurityConfigBuilder {
    /// Development (the default) or production.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self.mode_declared = true;
        self
    }

    /// The authentication config. Without one, development mode generates an ephemeral secret
    /// (with a warning) and production mode refuses to build.
    pub fn auth(mut self, auth: AuthConfig) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The largest request body accepted, in bytes (default 1 MiB). Larger bodies answer `413`.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// The limits on a request's head (default: see [`HeadLimits`]). Over them: `431`, or
    /// `414` for the URI.
    pub fn head_limits(mut self, limits: HeadLimits) -> Self {
        self.head_limits = limits;
        self
    }

    /// How routes without their own `deny` answer a caller who may not touch an existing
    /// resource: [`DenyAs::NotFound`] (the default) or [`DenyAs::Forbidden`].
    pub fn deny_as(mut self, deny: DenyAs) -> Self {
        self.deny_as = deny;
        self
    }

    /// The proxies whose `X-Forwarded-For` is believed when they are the socket peer. Without
    /// any, the socket peer is always the client.
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The most clients one in-memory limiter remembers at once (default 1,000,000). When a
    /// limiter is full of clients still inside their window, new clients are refused with
    /// `429` until entries expire, rather than evicting someone's count.
    pub fn rate_max_keys(mut self, max_keys: usize) -> Self {
        self.rate_max_keys = Some(max_keys);
        self
    }

    /// The secret that limits by account hash account names with (`RATE_LIMIT_KEY_SECRET`, at
    /// least 32 bytes). Instances sharing a Redis store need the same one to share budgets;
    /// without it each process draws its own.
    pub fn rate_key_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.rate_key_secret = Some(Arc::from(secret.as_ref()));
        self
    }

    /// Keeps rate limits on Redis, shared by every instance of the app. Give the same store's
    /// [`revocations`](crate::store::RedisStore::revocations) to the auth config to share
    /// revoked tokens too (`from_env` does both from `REDIS_URL`).
    #[cfg(feature = "redis")]
    pub fn redis(mut self, store: crate::store::RedisStore) -> Self {
        self.redis = Some(store);
        self
    }

    /// The security headers of every response (default: see [`SecurityHeaders`]).
    pub fn security_headers(mut self, headers: SecurityHeaders) -> Self {
        self.headers = headers;
        self
    }

    /// How plain HTTP is treated (default: HSTS only on requests known to be HTTPS, and in
    /// production a `308` redirect of plain HTTP reported by a trusted proxy).
    pub fn https(mut self, https: HttpsPolicy) -> Self {
        self.https = https;
        self
    }

    /// Allows cross-origin requests from browsers (default: none).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// The longest time a request may take, reading its body included, before it is answered
    /// `408` (default 30 seconds).
    pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The certificate `secure_api::serve` terminates TLS with (`TLS_CERT`/`TLS_KEY`).
    pub fn tls(mut self, tls: crate::tls::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The limits on connections `secure_api::serve` applies (default: see
    /// [`ConnectionLimits`]).
    pub fn connections(mut self, limits: ConnectionLimits) -> Self {
        self.connections = limits;
        self
    }

    /// Changes the authentication settings read so far (from the environment, with
    /// [`SecurityConfig::from_env_with`]) in code: a revocation store, an issuer, claim names.
    /// The key is still the one configured, or the environment's. Ignored when a whole
    /// [`AuthConfig`] was given with [`auth`](Self::auth).
    pub fn configure_auth(
        mut self,
        change: impl FnOnce(AuthConfigBuilder) -> AuthConfigBuilder,
    ) -> Self {
        self.auth_settings = change(self.auth_settings);
        self
    }

    /// Checks and builds the config.
    pub fn build(self) -> Result<SecurityConfig, ConfigError> {
        let remote = self.auth_settings.has_remote();
        let generated_key = self.auth.is_none() && self.key.is_none() && !remote;
        let auth = match (self.auth, self.key) {
            (Some(auth), _) => auth,
            (None, Some(key)) => self.auth_settings.key(key).build()?,
            // An identity provider's keys (`JWT_ISSUER_URL`, `JWKS_URL`) are the key.
            (None, None) if remote => self.auth_settings.build()?,
            (None, None) if self.mode == Mode::Production => {
                return Err(ConfigError::MissingSecret);
            }
            (None, None) => self.auth_settings.key(ephemeral_key()?).build()?,
        };
        // A public key's private half is held elsewhere (an identity provider, another
        // service), which may sign tokens for other APIs with it: only `iss` and `aud` tell
        // a token meant for this one.
        if self.mode == Mode::Production {
            check_provider_audience(&auth)?;
        }
        if self.mode == Mode::Production
            && auth.keys().any(JwtKey::is_asymmetric)
            && (auth.issuer().is_none() || auth.audience().is_none())
        {
            return Err(ConfigError::InvalidSetting(
                "production verifies tokens with a public key, whose private half may sign \
                 tokens for other APIs too: set JWT_ISSUER and JWT_AUDIENCE, so that only \
                 tokens issued for this API are accepted"
                    .into(),
            ));
        }
        let rate_max_keys = self.rate_max_keys.unwrap_or(DEFAULT_MAX_KEYS);
        if rate_max_keys == 0 {
            return Err(ConfigError::InvalidSetting(
                "rate_max_keys must be at least 1".into(),
            ));
        }
        self.https
            .check(self.mode == Mode::Production, &self.trusted_proxies)?;
        // Production must be able to tell which requests came over HTTPS, or bearer tokens go
        // over plain HTTP unnoticed and HSTS is never sent.
        if self.mode == Mode::Production
            && self.tls.is_none()
            && !self.https.assumes_https()
            && self.trusted_proxies.is_empty()
        {
            return Err(ConfigError::InvalidSetting(
                "production needs to know which requests came over HTTPS: set TLS_CERT and \
                 TLS_KEY (secure_api::serve terminates TLS), HTTPS_ONLY=true (TLS ends in front \
                 of the app, on a path that sets no X-Forwarded-Proto), or TRUSTED_PROXIES (a \
                 proxy reports the scheme)"
                    .into(),
            ));
        }
        #[cfg(feature = "redis")]
        if self.mode == Mode::Production
            && let Some(host) = self.redis.as_ref().and_then(|r| r.undeclared_plaintext())
        {
            return Err(ConfigError::InvalidSetting(format!(
                "production sends rate limits and revoked tokens to Redis at {host} in clear: \
                 use a rediss:// URL in REDIS_URL (TLS), or set REDIS_ALLOW_PLAINTEXT=true if \
                 the network to it is private by other means"
            )));
        }
        if let Some(cors) = &self.cors {
            cors.check()?;
        }
        self.head_limits.check()?;
        if self
            .rate_key_secret
            .as_ref()
            .is_some_and(|secret| secret.len() < crate::rate::MIN_KEY_SECRET_BYTES)
        {
            return Err(ConfigError::InvalidSetting(format!(
                "the rate limit key secret must be at least {} bytes",
                crate::rate::MIN_KEY_SECRET_BYTES
            )));
        }
        let request_timeout = self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        if request_timeout.is_zero() {
            return Err(ConfigError::InvalidSetting(
                "the request timeout must be longer than zero".into(),
            ));
        }
        Ok(SecurityConfig {
            inner: Arc::new(Settings {
                mode: self.mode,
                mode_declared: self.mode_declared,
                auth,
                ephemeral_key: generated_key,
                body_limit: self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
                head_limits: self.head_limits,
                deny_as: self.deny_as,
                trusted_proxies: self.trusted_proxies,
                rate_max_keys,
                rate_key_secret: self.rate_key_secret,
                #[cfg(feature = "redis")]
                redis: self.redis,
                headers: self.headers,
                https: self.https,
                cors: self.cors,
                request_timeout,
                tls: self.tls,
                connections: self.connections,
            }),
        })
    }
}

/// An identity provider issues tokens for every API it serves: only `aud` tells one meant for
/// this API (its `iss` is checked by discovery, a key-set URL's by `JWT_ISSUER`).
fn check_provider_audience(auth: &AuthConfig) -> Result<(), ConfigError> {
    let key_set_url = auth.jwks_urls().next().is_some();
    let provider = key_set_url || auth.issuer_urls().next().is_some();
    if provider && (auth.audience().is_none() || (key_set_url && auth.issuer().is_none())) {
        return Err(ConfigError::InvalidSetting(
            "production takes tokens from an identity provider, which issues them for other \
             APIs too: set JWT_AUDIENCE (and JWT_ISSUER with JWKS_URL), so that only tokens \
             issued for this API are accepted"
                .into(),
        ));
    }
    Ok(())
}

/// A random HS256 key for development, announced loudly: its tokens die with the process and
/// are not shared between instances.
fn ephemeral_key() -> Result<JwtKey, ConfigError> {
    let mut secret = [0u8; 64];
    getrandom::fill(&mut secret).map_err(|e| {
        ConfigError::InvalidKey(format!("no randomness for an ephemeral secret: {e}"))
    })?;
    let warning = "SECURITY WARNING: no JWT secret configured; using an ephemeral random secret \
                   for development. Tokens stop working when the process restarts and are not \
                   accepted by other instances. Set JWT_SECRET (at least 32 bytes); with \
                   SECURE_API_ENV=production a missing secret stops start-up.";
    tracing::warn!(target: "secure_api::config", "{warning}");
    if !tracing::dispatcher::has_been_set() {
        eprintln!("{warning}");
    }
    JwtKey::hs256(secret)
}

mod env;
mod posture;

pub(crate) use posture::RouteCounts;
#[cfg(test)]
mod tests;
