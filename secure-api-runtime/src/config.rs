//! [`SecurityConfig`]: the whole security configuration of an app, in code or from the environment.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `SECURE_API_ENV` | `development` or `production` | `development` |
//! | `JWT_SECRET` | HMAC secret, raw text, at least 32 bytes | development: an ephemeral random secret, with a warning; production: refuse to start |
//! | `JWT_ALGORITHM` | `HS256`, `HS384`, `HS512` with `JWT_SECRET`; `RS256`, `ES256`, `EdDSA`, ... with `JWT_PUBLIC_KEY_FILE` | `HS256`, or required with a public key |
//! | `JWT_PUBLIC_KEY_FILE` / `JWT_PRIVATE_KEY_FILE` | PEM files of an asymmetric key pair (the private one only to mint) | none |
//! | `JWT_ISSUER` / `JWT_AUDIENCE` | required `iss` / `aud`, also set on minted tokens | not checked |
//! | `JWT_LEEWAY_SECS` | clock leeway for `exp`, `nbf`, `iat` | 30 |
//! | `JWT_TTL_SECS` | lifetime of minted tokens | 900 |
//! | `BODY_LIMIT_BYTES` | largest accepted request body | 1048576 (1 MiB) |
//! | `TRUSTED_PROXIES` | comma-separated addresses and CIDR blocks whose `X-Forwarded-For` is believed | none |
//! | `RATE_LIMIT_MAX_KEYS` | most clients one in-memory limiter remembers at once | 1000000 |
//! | `REDIS_URL` | keep rate limits and revoked tokens on this Redis (feature `redis`) | in memory |
//! | `RATE_LIMIT_REDIS_FAILURE` | `closed` (answer `503`) or `open` (let through) while Redis is unreachable | `closed` |

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Algorithm, AuthConfig, JwtKey};
use crate::authz::DenyAs;
use crate::error::ConfigError;
use crate::rate::{DEFAULT_MAX_KEYS, FailureMode, TrustedProxies};

/// The default largest request body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

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
///
/// let config = SecurityConfig::builder()
///     .mode(Mode::Production)
///     .auth(AuthConfig::builder().key(JwtKey::hs256("a secret of at least thirty-two bytes!!")?).build()?)
///     .build()?;
/// # Ok::<(), secure_api::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct SecurityConfig {
    inner: Arc<Settings>,
}

struct Settings {
    mode: Mode,
    auth: AuthConfig,
    body_limit: usize,
    deny_as: DenyAs,
    trusted_proxies: TrustedProxies,
    rate_max_keys: usize,
    #[cfg(feature = "redis")]
    redis: Option<crate::rate::RedisStore>,
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

    /// Like [`from_env`](Self::from_env), with variables looked up by `lookup` (for tests and
    /// for apps that keep settings elsewhere).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let mut builder = Self::builder();
        if let Some(mode) = var("SECURE_API_ENV") {
            builder = builder.mode(match mode.to_ascii_lowercase().as_str() {
                "development" | "dev" => Mode::Development,
                "production" | "prod" => Mode::Production,
                _ => {
                    return Err(ConfigError::InvalidEnv {
                        var: "SECURE_API_ENV",
                        reason: "expected `development` or `production`".into(),
                    });
                }
            });
        }
        if let Some(limit) = var("BODY_LIMIT_BYTES") {
            builder = builder.body_limit(parse_env("BODY_LIMIT_BYTES", &limit)?);
        }
        builder = rate_env(&var, builder)?;
        let algorithm = var("JWT_ALGORITHM")
            .map(|alg| {
                Algorithm::from_str(&alg).map_err(|_| ConfigError::InvalidEnv {
                    var: "JWT_ALGORITHM",
                    reason: "not a supported JWT algorithm".into(),
                })
            })
            .transpose()?;
        let key = match (var("JWT_SECRET"), var("JWT_PUBLIC_KEY_FILE")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::InvalidEnv {
                    var: "JWT_SECRET",
                    reason: "set either JWT_SECRET or JWT_PUBLIC_KEY_FILE, not both".into(),
                });
            }
            (Some(secret), None) => {
                Some(JwtKey::hmac(algorithm.unwrap_or(Algorithm::HS256), secret)?)
            }
            (None, Some(path)) => {
                let algorithm = algorithm.ok_or(ConfigError::InvalidEnv {
                    var: "JWT_ALGORITHM",
                    reason: "required with JWT_PUBLIC_KEY_FILE".into(),
                })?;
                let mut key =
                    JwtKey::public_pem(algorithm, read_file("JWT_PUBLIC_KEY_FILE", &path)?)?;
                if let Some(path) = var("JWT_PRIVATE_KEY_FILE") {
                    key = key.with_signing_pem(read_file("JWT_PRIVATE_KEY_FILE", &path)?)?;
                }
                Some(key)
            }
            (None, None) => None,
        };
        let mut auth = AuthConfig::builder();
        if let Some(issuer) = var("JWT_ISSUER") {
            auth = auth.issuer(issuer);
        }
        if let Some(audience) = var("JWT_AUDIENCE") {
            auth = auth.audience(audience);
        }
        if let Some(leeway) = var("JWT_LEEWAY_SECS") {
            auth = auth.leeway(Duration::from_secs(parse_env("JWT_LEEWAY_SECS", &leeway)?));
        }
        if let Some(ttl) = var("JWT_TTL_SECS") {
            auth = auth.token_ttl(Duration::from_secs(parse_env("JWT_TTL_SECS", &ttl)?));
        }
        #[cfg(feature = "redis")]
        if let Some(store) = &builder.redis {
            // Revoked tokens move to Redis with the limits, so every instance refuses them.
            auth = auth.revocation_store(store.revocations());
        }
        builder.auth_settings = auth;
        builder.key = key;
        builder.build()
    }

    /// Development or production.
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// The authentication config (which also mints and revokes tokens).
    pub fn auth(&self) -> &AuthConfig {
        &self.inner.auth
    }

    /// The largest request body accepted, in bytes.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
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

    /// The Redis store of rate limits, when one is configured.
    #[cfg(feature = "redis")]
    pub fn redis(&self) -> Option<&crate::rate::RedisStore> {
        self.inner.redis.as_ref()
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
            .finish_non_exhaustive()
    }
}

/// Builds a [`SecurityConfig`].
#[derive(Default)]
#[must_use]
pub struct SecurityConfigBuilder {
    mode: Mode,
    auth: Option<AuthConfig>,
    // Set by `from_lookup`: settings and key from the environment, used when `auth` is not given.
    auth_settings: crate::auth::AuthConfigBuilder,
    key: Option<JwtKey>,
    body_limit: Option<usize>,
    deny_as: DenyAs,
    trusted_proxies: TrustedProxies,
    rate_max_keys: Option<usize>,
    #[cfg(feature = "redis")]
    redis: Option<crate::rate::RedisStore>,
}

impl SecurityConfigBuilder {
    /// Development (the default) or production.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
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

    /// Keeps rate limits on Redis, shared by every instance of the app. Give the same store's
    /// [`revocations`](crate::rate::RedisStore::revocations) to the auth config to share
    /// revoked tokens too (`from_env` does both from `REDIS_URL`).
    #[cfg(feature = "redis")]
    pub fn redis(mut self, store: crate::rate::RedisStore) -> Self {
        self.redis = Some(store);
        self
    }

    /// Checks and builds the config.
    pub fn build(self) -> Result<SecurityConfig, ConfigError> {
        let auth = match (self.auth, self.key) {
            (Some(auth), _) => auth,
            (None, Some(key)) => self.auth_settings.key(key).build()?,
            (None, None) if self.mode == Mode::Production => {
                return Err(ConfigError::MissingSecret);
            }
            (None, None) => self.auth_settings.key(ephemeral_key()?).build()?,
        };
        let rate_max_keys = self.rate_max_keys.unwrap_or(DEFAULT_MAX_KEYS);
        if rate_max_keys == 0 {
            return Err(ConfigError::InvalidSetting(
                "rate_max_keys must be at least 1".into(),
            ));
        }
        Ok(SecurityConfig {
            inner: Arc::new(Settings {
                mode: self.mode,
                auth,
                body_limit: self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
                deny_as: self.deny_as,
                trusted_proxies: self.trusted_proxies,
                rate_max_keys,
                #[cfg(feature = "redis")]
                redis: self.redis,
            }),
        })
    }
}

/// The rate-limit variables: `TRUSTED_PROXIES`, `RATE_LIMIT_MAX_KEYS`, `REDIS_URL` and
/// `RATE_LIMIT_REDIS_FAILURE`.
fn rate_env(
    var: &impl Fn(&str) -> Option<String>,
    mut builder: SecurityConfigBuilder,
) -> Result<SecurityConfigBuilder, ConfigError> {
    if let Some(proxies) = var("TRUSTED_PROXIES") {
        let proxies =
            proxies
                .parse()
                .map_err(|e: crate::rate::InvalidCidr| ConfigError::InvalidEnv {
                    var: "TRUSTED_PROXIES",
                    reason: e.to_string(),
                })?;
        builder = builder.trusted_proxies(proxies);
    }
    if let Some(max) = var("RATE_LIMIT_MAX_KEYS") {
        builder = builder.rate_max_keys(parse_env("RATE_LIMIT_MAX_KEYS", &max)?);
    }
    let redis_failure = match var("RATE_LIMIT_REDIS_FAILURE").map(|m| m.to_ascii_lowercase()) {
        None => FailureMode::Closed,
        Some(mode) if mode == "closed" => FailureMode::Closed,
        Some(mode) if mode == "open" => FailureMode::Open,
        Some(_) => {
            return Err(ConfigError::InvalidEnv {
                var: "RATE_LIMIT_REDIS_FAILURE",
                reason: "expected `closed` or `open`".into(),
            });
        }
    };
    let redis_url = var("REDIS_URL");
    #[cfg(not(feature = "redis"))]
    if redis_url.is_some() {
        return Err(ConfigError::InvalidEnv {
            var: "REDIS_URL",
            reason: "this build has no Redis support: enable the `redis` feature of \
                     secure-api, or unset REDIS_URL"
                .into(),
        });
    }
    #[cfg(feature = "redis")]
    if let Some(url) = redis_url {
        let store = crate::rate::RedisStore::open(&url)
            .map_err(|e| ConfigError::InvalidEnv {
                var: "REDIS_URL",
                reason: e.to_string(),
            })?
            .failure_mode(redis_failure);
        builder = builder.redis(store);
    }
    #[cfg(not(feature = "redis"))]
    let _ = redis_failure;
    Ok(builder)
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

fn parse_env<T: FromStr>(var: &'static str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::InvalidEnv {
        var,
        reason: "not a valid non-negative number".into(),
    })
}

fn read_file(var: &'static str, path: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| ConfigError::InvalidEnv {
        var,
        reason: format!("cannot read {path}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<SecurityConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        SecurityConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn production_without_secret_refuses_to_start() {
        assert_eq!(
            from(&[("SECURE_API_ENV", "production")]).unwrap_err(),
            ConfigError::MissingSecret
        );
    }

    #[test]
    fn development_without_secret_uses_an_ephemeral_key() {
        let config = from(&[]).unwrap();
        assert_eq!(config.mode(), Mode::Development);
        assert!(
            config
                .auth()
                .mint(&crate::auth::TokenRequest::new("u"))
                .is_ok()
        );
    }

    #[test]
    fn short_secret_is_refused() {
        let err = from(&[("JWT_SECRET", "short")]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::WeakSecret {
                actual_bytes: 5,
                min_bytes: 32,
                ..
            }
        ));
    }

    #[test]
    fn settings_are_read() {
        let config = from(&[
            ("SECURE_API_ENV", "production"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("JWT_ISSUER", "iss"),
            ("JWT_AUDIENCE", "aud"),
            ("JWT_TTL_SECS", "60"),
            ("BODY_LIMIT_BYTES", "10"),
        ])
        .unwrap();
        assert_eq!(config.auth().issuer(), Some("iss"));
        assert_eq!(config.auth().audience(), Some("aud"));
        assert_eq!(config.auth().token_ttl(), Duration::from_secs(60));
        assert_eq!(config.body_limit(), 10);
    }

    #[test]
    fn rate_settings_are_read_and_checked() {
        let config = from(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.0.1"),
            ("RATE_LIMIT_MAX_KEYS", "5000"),
        ])
        .unwrap();
        assert!(
            config
                .trusted_proxies()
                .contains("10.2.3.4".parse().unwrap())
        );
        assert!(
            !config
                .trusted_proxies()
                .contains("192.168.0.2".parse().unwrap())
        );
        assert_eq!(config.rate_max_keys(), 5000);
        assert_eq!(from(&[]).unwrap().rate_max_keys(), DEFAULT_MAX_KEYS);

        let err = from(&[("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable TRUSTED_PROXIES: `proxy.internal` is not an IP address or a \
             CIDR block such as `10.0.0.0/8`"
        );
        let err = from(&[("RATE_LIMIT_REDIS_FAILURE", "sometimes")]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::InvalidEnv {
                var: "RATE_LIMIT_REDIS_FAILURE",
                ..
            }
        ));
        assert!(matches!(
            from(&[("RATE_LIMIT_MAX_KEYS", "0")]).unwrap_err(),
            ConfigError::InvalidSetting(_)
        ));
    }

    #[cfg(feature = "redis")]
    #[test]
    fn a_redis_url_moves_limits_and_revocations_to_redis() {
        // The store connects lazily: building the config needs no server.
        let config = from(&[
            ("REDIS_URL", "redis://127.0.0.1:1/"),
            ("RATE_LIMIT_REDIS_FAILURE", "open"),
        ])
        .unwrap();
        let redis = config.redis().expect("a Redis store");
        assert!(format!("{redis:?}").contains("Open"));
        assert!(matches!(
            from(&[("REDIS_URL", "not a url")]).unwrap_err(),
            ConfigError::InvalidEnv {
                var: "REDIS_URL",
                ..
            }
        ));
    }

    #[cfg(not(feature = "redis"))]
    #[test]
    fn a_redis_url_without_the_feature_stops_start_up() {
        assert!(matches!(
            from(&[("REDIS_URL", "redis://127.0.0.1/")]).unwrap_err(),
            ConfigError::InvalidEnv {
                var: "REDIS_URL",
                ..
            }
        ));
    }

    #[test]
    fn bad_values_name_the_variable_but_not_the_value() {
        let err = from(&[("JWT_LEEWAY_SECS", "soon")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable JWT_LEEWAY_SECS: not a valid non-negative number"
        );
        let err = from(&[("SECURE_API_ENV", "staging")]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::InvalidEnv {
                var: "SECURE_API_ENV",
                ..
            }
        ));
    }
}
