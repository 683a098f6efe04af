//! How bearer tokens are verified and minted: keys, issuer, audience, leeway, claim names.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Validation;
use jsonwebtoken::crypto::CryptoProvider;

use super::cache::VerifiedTokens;
use super::key::{JwtKey, RECOMMENDED_RSA_BITS};
use super::revocation::{MemoryRevocations, RevocationStore};
use crate::error::ConfigError;

/// The default clock leeway for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// The default lifetime of minted tokens.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);

/// Everything needed to verify (and mint) bearer tokens. Build it with [`AuthConfig::builder`].
///
/// ```
/// use std::time::Duration;
/// use secure_api::auth::{AuthConfig, JwtKey};
///
/// let auth = AuthConfig::builder()
///     .key(JwtKey::hs256("a secret of at least thirty-two bytes!!")?)
///     .issuer("my-api")
///     .audience("my-api")
///     .leeway(Duration::from_secs(10))
///     .build()?;
/// # Ok::<(), secure_api::ConfigError>(())
/// ```
///
/// Cloning is cheap: the config is shared behind an `Arc`.
#[derive(Clone)]
pub struct AuthConfig {
    pub(crate) inner: Arc<AuthSettings>,
}

/// The checked settings behind an [`AuthConfig`].
pub(crate) struct AuthSettings {
    pub(crate) keys: Vec<VerificationKey>,
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) leeway: Duration,
    pub(crate) token_ttl: Duration,
    pub(crate) claims: ClaimNames,
    pub(crate) revocations: Arc<dyn RevocationStore>,
    /// Tokens that passed verification, so that their next requests skip it.
    pub(crate) verified: VerifiedTokens,
}

/// A key with its precomputed validation rules.
pub(crate) struct VerificationKey {
    pub(crate) key: JwtKey,
    pub(crate) validation: Validation,
}

/// The claim names [`AuthUser`](crate::auth::AuthUser) reads roles and scopes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimNames {
    /// A JSON array of role names. Default `roles`.
    pub roles: String,
    /// Scopes: a space-separated string (the OAuth `scope` claim) or an array. Default `scope`.
    pub scope: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            roles: "roles".into(),
            scope: "scope".into(),
        }
    }
}

impl AuthConfig {
    /// Starts a config; at least one key is required.
    pub fn builder() -> AuthConfigBuilder {
        AuthConfigBuilder::default()
    }

    /// The issuer tokens must carry (and minted tokens get), if configured.
    pub fn issuer(&self) -> Option<&str> {
        self.inner.issuer.as_deref()
    }

    /// The audience tokens must carry (and minted tokens get), if configured.
    pub fn audience(&self) -> Option<&str> {
        self.inner.audience.as_deref()
    }

    /// The lifetime of minted tokens.
    pub fn token_ttl(&self) -> Duration {
        self.inner.token_ttl
    }

    /// The store of revoked token ids.
    pub fn revocations(&self) -> &dyn RevocationStore {
        &*self.inner.revocations
    }

    /// The clock leeway allowed for `exp`, `nbf` and `iat`.
    pub fn leeway(&self) -> Duration {
        self.inner.leeway
    }

    /// The claims roles and scopes are read from.
    pub fn claim_names(&self) -> &ClaimNames {
        &self.inner.claims
    }

    /// The keys tokens are verified with.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &JwtKey> {
        self.inner.keys.iter().map(|verification| &verification.key)
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field(
                "keys",
                &self.inner.keys.iter().map(|k| &k.key).collect::<Vec<_>>(),
            )
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("leeway", &self.inner.leeway)
            .field("token_ttl", &self.inner.token_ttl)
            .field("claims", &self.inner.claims)
            .finish_non_exhaustive()
    }
}

/// Builds an [`AuthConfig`]; [`build`](Self::build) checks it.
#[derive(Default)]
#[must_use]
pub struct AuthConfigBuilder {
    keys: Vec<JwtKey>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: Option<Duration>,
    token_ttl: Option<Duration>,
    claims: ClaimNames,
    revocations: Option<Arc<dyn RevocationStore>>,
}

impl AuthConfigBuilder {
    /// Adds a key. With several keys, each needs a distinct `kid`, and tokens must name one.
    pub fn key(mut self, key: JwtKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds every key of a JWKS document (JSON text). Keys are chosen by `kid` from this set
    /// only; a token's own `jku`, `jwk`, `x5u` or `x5c` header is never followed.
    pub fn jwks(mut self, json: &str) -> Result<Self, ConfigError> {
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(json)
            .map_err(|e| ConfigError::InvalidKey(format!("JWKS document: {e}")))?;
        for jwk in &set.keys {
            self.keys.push(JwtKey::from_jwk(jwk)?);
        }
        Ok(self)
    }

    /// Requires tokens to carry this `iss`, and sets it on minted tokens.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Requires tokens to carry this `aud`, and sets it on minted tokens.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Clock skew tolerated for `exp`, `nbf` and `iat` (default 30 seconds, at most 5 minutes).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some(leeway);
        self
    }

    /// Lifetime of minted tokens (default 15 minutes).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = Some(ttl);
        self
    }

    /// The claim that holds roles (default `roles`).
    pub fn roles_claim(mut self, name: impl Into<String>) -> Self {
        self.claims.roles = name.into();
        self
    }

    /// The claim that holds scopes (default `scope`).
    pub fn scope_claim(mut self, name: impl Into<String>) -> Self {
        self.claims.scope = name.into();
        self
    }

    /// Where revoked token ids are kept (default: in this process's memory).
    pub fn revocation_store(mut self, store: impl RevocationStore) -> Self {
        self.revocations = Some(Arc::new(store));
        self
    }

    /// Checks the config: at least one key; with several, distinct `kid`s on all of them; a
    /// leeway of at most five minutes; and a JWT crypto provider installed for this process.
    pub fn build(self) -> Result<AuthConfig, ConfigError> {
        install_crypto_provider()?;
        if self.keys.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        if self.keys.len() > 1 {
            let mut seen = HashSet::new();
            for key in &self.keys {
                let kid = key.kid().ok_or_else(|| {
                    ConfigError::AmbiguousKeys("with several keys, every key needs a `kid`".into())
                })?;
                if !seen.insert(kid) {
                    return Err(ConfigError::AmbiguousKeys(format!(
                        "two keys share the kid `{kid}`"
                    )));
                }
            }
        }
        for key in &self.keys {
            if let Some(bits) = key.rsa_bits().filter(|&bits| bits < RECOMMENDED_RSA_BITS) {
                tracing::warn!(
                    target: "secure_api::config",
                    kid = key.kid().unwrap_or("-"),
                    bits,
                    "an RSA key under {RECOMMENDED_RSA_BITS} bits is below 128-bit security; \
                     for tokens the app mints, prefer EdDSA or ES256"
                );
            }
        }
        let leeway = self.leeway.unwrap_or(DEFAULT_LEEWAY);
        if leeway > Duration::from_secs(super::revocation::MAX_LEEWAY_SECS) {
            return Err(ConfigError::InvalidSetting(
                "a leeway over five minutes accepts expired tokens for too long".into(),
            ));
        }
        let keys = self
            .keys
            .into_iter()
            .map(|key| VerificationKey {
                validation: validation_for(
                    &key,
                    self.issuer.as_deref(),
                    self.audience.as_deref(),
                    leeway,
                ),
                key,
            })
            .collect();
        Ok(AuthConfig {
            inner: Arc::new(AuthSettings {
                keys,
                issuer: self.issuer,
                audience: self.audience,
                leeway,
                token_ttl: self.token_ttl.unwrap_or(DEFAULT_TOKEN_TTL),
                claims: self.claims,
                revocations: self
                    .revocations
                    .unwrap_or_else(|| Arc::new(MemoryRevocations::default())),
                verified: VerifiedTokens::default(),
            }),
        })
    }
}

/// The rules jsonwebtoken applies for one key: its algorithm only, `exp` and `sub` required,
/// `nbf` checked, `iss`/`aud` required exactly when configured, and a token with an `aud` refused
/// when no audience is configured.
fn validation_for(
    key: &JwtKey,
    issuer: Option<&str>,
    audience: Option<&str>,
    leeway: Duration,
) -> Validation {
    let mut validation = Validation::new(key.algorithm);
    validation.algorithms = vec![key.algorithm];
    validation.leeway = leeway.as_secs();
    validation.validate_exp = true;
    validation.validate_nbf = true;
    let mut required = vec!["exp", "sub"];
    match issuer {
        Some(issuer) => {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        None => validation.iss = None,
    }
    match audience {
        Some(audience) => {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        // Still validated: jsonwebtoken then refuses a token that names any audience, as
        // RFC 7519 §4.1.3 requires of a service that is not one. A token minted for another
        // API of the same identity provider must not open this one.
        None => validation.aud = None,
    }
    validation.set_required_spec_claims(&required);
    validation
}

/// jsonwebtoken panics at the first signature if it cannot tell which crypto backend to use
/// (for instance when another crate in the build enables its second backend). Installing ours
/// here, when the config is built, means verification can never panic at request time.
fn install_crypto_provider() -> Result<(), ConfigError> {
    // An error only means a provider is already installed, which is what we need.
    let _ = CryptoProvider::install_default(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER);
    CryptoProvider::try_get_default()
        .map(|_| ())
        .ok_or(ConfigError::NoCryptoProvider)
}
