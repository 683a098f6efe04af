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

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Algorithm, AuthConfig, JwtKey};
use crate::authz::DenyAs;
use crate::error::ConfigError;

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
}

impl fmt::Debug for SecurityConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityConfig")
            .field("mode", &self.inner.mode)
            .field("auth", &self.inner.auth)
            .field("body_limit", &self.inner.body_limit)
            .field("deny_as", &self.inner.deny_as)
            .finish()
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
        Ok(SecurityConfig {
            inner: Arc::new(Settings {
                mode: self.mode,
                auth,
                body_limit: self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
                deny_as: self.deny_as,
            }),
        })
    }
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
