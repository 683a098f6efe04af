//! `SecurityConfig::from_env`: the environment variables of the table in the module docs.

use std::str::FromStr;
use std::time::Duration;

use super::{Mode, SecurityConfig, SecurityConfigBuilder};
use crate::auth::{Algorithm, AuthConfig, JwtKey};
use crate::error::ConfigError;
use crate::store::FailureMode;
use crate::transport::{Cors, HttpsPolicy};

impl SecurityConfig {
    /// Like [`from_env`](Self::from_env), with variables looked up by `lookup` (for tests and
    /// for apps that keep settings elsewhere).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::builder_from_lookup(lookup)?.build()
    }

    /// Reads the environment as [`from_env`](Self::from_env) does, then lets `change` add what
    /// only code can give before the config is checked and built:
    ///
    /// ```
    /// use secure_api::SecurityConfig;
    /// use secure_api::auth::MemoryRevocations;
    ///
    /// let config = SecurityConfig::from_env_with(|builder| {
    ///     builder.configure_auth(|auth| auth.issuer("https://blog.example").revocation_store(MemoryRevocations::default()))
    /// })?;
    /// assert_eq!(config.auth().issuer(), Some("https://blog.example"));
    /// # Ok::<(), secure_api::ConfigError>(())
    /// ```
    pub fn from_env_with(
        change: impl FnOnce(SecurityConfigBuilder) -> SecurityConfigBuilder,
    ) -> Result<Self, ConfigError> {
        Self::from_lookup_with(|name| std::env::var(name).ok(), change)
    }

    /// [`from_env_with`](Self::from_env_with), with variables looked up by `lookup`.
    pub fn from_lookup_with(
        lookup: impl Fn(&str) -> Option<String>,
        change: impl FnOnce(SecurityConfigBuilder) -> SecurityConfigBuilder,
    ) -> Result<Self, ConfigError> {
        change(Self::builder_from_lookup(lookup)?).build()
    }

    fn builder_from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<SecurityConfigBuilder, ConfigError> {
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
        builder = head_env(&var, builder)?;
        builder = connection_env(&var, builder)?;
        builder = rate_env(&var, builder)?;
        builder = transport_env(&var, builder)?;
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
        // Identity providers, by discovery or by key-set URL; several separated by commas.
        for issuer in list(var("JWT_ISSUER_URL").as_deref()) {
            auth = auth.issuer_url(issuer);
        }
        for url in list(var("JWKS_URL").as_deref()) {
            auth = auth.jwks_url(url);
        }
        if let Some(typ) = var("JWT_TOKEN_TYPE") {
            auth = auth.token_type(typ);
        }
        if let Some(leeway) = var("JWT_LEEWAY_SECS") {
            auth = auth.leeway(Duration::from_secs(parse_env("JWT_LEEWAY_SECS", &leeway)?));
        }
        if let Some(ttl) = var("JWT_TTL_SECS") {
            auth = auth.token_ttl(Duration::from_secs(parse_env("JWT_TTL_SECS", &ttl)?));
        }
        let revocation_failure = failure_mode(&var, "REVOCATION_REDIS_FAILURE")?;
        #[cfg(feature = "redis")]
        if let Some(store) = &builder.redis {
            // Revoked tokens move to Redis with the limits, so every instance refuses them.
            auth = auth.revocation_store(store.revocations().failure_mode(revocation_failure));
        }
        #[cfg(not(feature = "redis"))]
        let _ = revocation_failure;
        builder.auth_settings = auth;
        builder.key = key;
        Ok(builder)
    }
}

/// The items of a comma-separated variable, trimmed, empty ones left out.
fn list(value: Option<&str>) -> Vec<String> {
    value
        .into_iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(String::from)
        .collect()
}

/// The head limits: `MAX_HEADER_BYTES`, `MAX_HEADERS` and `MAX_URI_BYTES`.
fn head_env(
    var: &impl Fn(&str) -> Option<String>,
    builder: SecurityConfigBuilder,
) -> Result<SecurityConfigBuilder, ConfigError> {
    let mut limits = builder.head_limits;
    if let Some(bytes) = var("MAX_HEADER_BYTES") {
        limits = limits.max_header_bytes(parse_env("MAX_HEADER_BYTES", &bytes)?);
    }
    if let Some(count) = var("MAX_HEADERS") {
        limits = limits.max_headers(parse_env("MAX_HEADERS", &count)?);
    }
    if let Some(bytes) = var("MAX_URI_BYTES") {
        limits = limits.max_uri_bytes(parse_env("MAX_URI_BYTES", &bytes)?);
    }
    Ok(builder.head_limits(limits))
}

/// The connection caps `serve` applies: `MAX_CONNECTIONS` and `MAX_CONNECTIONS_PER_CLIENT`.
fn connection_env(
    var: &impl Fn(&str) -> Option<String>,
    builder: SecurityConfigBuilder,
) -> Result<SecurityConfigBuilder, ConfigError> {
    let mut limits = builder.connections;
    let at_least_one = |name: &'static str, value: &str| match parse_env(name, value)? {
        0 => Err(ConfigError::InvalidEnv {
            var: name,
            reason: "must be at least 1".into(),
        }),
        count => Ok(count),
    };
    if let Some(count) = var("MAX_CONNECTIONS") {
        limits.max_connections = at_least_one("MAX_CONNECTIONS", &count)?;
    }
    if let Some(count) = var("MAX_CONNECTIONS_PER_CLIENT") {
        limits.max_connections_per_client = at_least_one("MAX_CONNECTIONS_PER_CLIENT", &count)?;
    }
    Ok(builder.connections(limits))
}

/// The transport variables: `PUBLIC_URL`, `HTTPS_ONLY`, `HTTPS_REDIRECT`,
/// `CORS_ALLOWED_ORIGINS`, `CORS_ALLOW_CREDENTIALS` and `REQUEST_TIMEOUT_SECS`.
fn transport_env(
    var: &impl Fn(&str) -> Option<String>,
    mut builder: SecurityConfigBuilder,
) -> Result<SecurityConfigBuilder, ConfigError> {
    let mut https = HttpsPolicy::default();
    if let Some(origin) = var("PUBLIC_URL") {
        https = https
            .public_origin(origin.trim())
            .map_err(|e| ConfigError::InvalidEnv {
                var: "PUBLIC_URL",
                reason: e.to_string(),
            })?;
    }
    if let Some(only) = var("HTTPS_ONLY") {
        https = https.assume_https(parse_bool("HTTPS_ONLY", &only)?);
    }
    if let Some(redirect) = var("HTTPS_REDIRECT") {
        https = https.plain_http(redirect.parse()?);
    }
    builder = builder.https(https);
    if let Some(origins) = var("CORS_ALLOWED_ORIGINS") {
        let mut cors =
            Cors::allow_origins(origins.split(',')).map_err(|e| ConfigError::InvalidEnv {
                var: "CORS_ALLOWED_ORIGINS",
                reason: e.to_string(),
            })?;
        if let Some(credentials) = var("CORS_ALLOW_CREDENTIALS") {
            cors = cors.allow_credentials(parse_bool("CORS_ALLOW_CREDENTIALS", &credentials)?);
        }
        builder = builder.cors(cors);
    }
    if let Some(tls) = crate::tls::TlsConfig::from_lookup(var)? {
        builder = builder.tls(tls);
    }
    if let Some(secs) = var("REQUEST_TIMEOUT_SECS") {
        builder = builder.request_timeout(Duration::from_secs(parse_env(
            "REQUEST_TIMEOUT_SECS",
            &secs,
        )?));
    }
    Ok(builder)
}

/// `closed` (the default) or `open`.
fn failure_mode(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<FailureMode, ConfigError> {
    match var(name)
        .map(|mode| mode.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("closed") => Ok(FailureMode::Closed),
        Some("open") => Ok(FailureMode::Open),
        Some(_) => Err(ConfigError::InvalidEnv {
            var: name,
            reason: "expected `closed` or `open`".into(),
        }),
    }
}

fn parse_bool(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::InvalidEnv {
            var,
            reason: "expected `true` or `false`".into(),
        }),
    }
}

/// The rate-limit variables: `TRUSTED_PROXIES`, `RATE_LIMIT_MAX_KEYS`, `RATE_LIMIT_KEY_SECRET`,
/// `REDIS_URL`, `REDIS_CA_CERT`, `REDIS_ALLOW_PLAINTEXT` and `RATE_LIMIT_REDIS_FAILURE`.
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
    if let Some(secret) = var("RATE_LIMIT_KEY_SECRET") {
        if secret.len() < crate::rate::MIN_KEY_SECRET_BYTES {
            return Err(ConfigError::InvalidEnv {
                var: "RATE_LIMIT_KEY_SECRET",
                reason: format!(
                    "must be at least {} bytes",
                    crate::rate::MIN_KEY_SECRET_BYTES
                ),
            });
        }
        builder = builder.rate_key_secret(secret);
    }
    let redis_failure = failure_mode(var, "RATE_LIMIT_REDIS_FAILURE")?;
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
        let store = match var("REDIS_CA_CERT") {
            Some(_) if !url.starts_with("rediss://") => {
                return Err(ConfigError::InvalidEnv {
                    var: "REDIS_CA_CERT",
                    reason: "root certificates are for TLS: REDIS_URL must be rediss://".into(),
                });
            }
            Some(path) => {
                let roots = read_file("REDIS_CA_CERT", &path)?;
                crate::store::RedisStore::open_tls_with_roots(&url, &roots)
            }
            None => crate::store::RedisStore::open(&url),
        };
        let allow_plaintext = match var("REDIS_ALLOW_PLAINTEXT") {
            Some(value) => parse_bool("REDIS_ALLOW_PLAINTEXT", &value)?,
            None => false,
        };
        let store = store
            .map_err(|e| ConfigError::InvalidEnv {
                var: "REDIS_URL",
                reason: e.to_string(),
            })?
            .failure_mode(redis_failure)
            .allow_plaintext(allow_plaintext);
        builder = builder.redis(store);
    }
    #[cfg(not(feature = "redis"))]
    let _ = redis_failure;
    Ok(builder)
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
