//! How bearer tokens are verified and minted: keys, issuer, audience, leeway, claim names.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Validation;
use jsonwebtoken::crypto::CryptoProvider;

use super::api_key::ApiKeyStore;
use super::cache::VerifiedTokens;
use super::issuer::fetch::checked_url;
use super::issuer::{Location, RemoteKeys, RemoteSettings, Rules};
use super::key::{JwtKey, RECOMMENDED_RSA_BITS};
use super::revocation::{MemoryRevocations, RevocationStore};
use super::session::SessionConfig;
use crate::error::ConfigError;
use crate::kinds::Schemes;

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
    /// Key sets of identity providers, chosen by a token's `iss` before its `kid`.
    pub(crate) remote: Vec<Arc<RemoteKeys>>,
    /// The `typ` header every token must carry (and minted tokens get), if configured.
    pub(crate) token_type: Option<String>,
    /// Where API keys are found, if the app accepts them.
    pub(crate) api_keys: Option<Arc<dyn ApiKeyStore>>,
    /// Browser sessions, if the app accepts them.
    pub(crate) sessions: Option<SessionConfig>,
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

    /// The keys tokens are verified with, given at start-up (an identity provider's keys
    /// are fetched: see [`issuer_urls`](Self::issuer_urls)).
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &JwtKey> {
        self.inner.keys.iter().map(|verification| &verification.key)
    }

    /// The identity providers whose keys are found by discovery
    /// ([`AuthConfigBuilder::issuer_url`]).
    pub fn issuer_urls(&self) -> impl Iterator<Item = &str> {
        self.inner
            .remote
            .iter()
            .filter_map(|remote| match &remote.location {
                Location::Discovery { issuer } => Some(issuer.as_str()),
                Location::KeySet { .. } => None,
            })
    }

    /// The key-set URLs configured without discovery ([`AuthConfigBuilder::jwks_url`]).
    pub fn jwks_urls(&self) -> impl Iterator<Item = &str> {
        self.inner
            .remote
            .iter()
            .filter_map(|remote| match &remote.location {
                Location::KeySet { url } => Some(url.as_str()),
                Location::Discovery { .. } => None,
            })
    }

    /// The schemes the app accepts: bearer tokens always, API keys with a store
    /// ([`AuthConfigBuilder::api_keys`]), browser sessions when configured
    /// ([`AuthConfigBuilder::sessions`]).
    pub fn schemes(&self) -> Schemes {
        let mut schemes = Schemes::BEARER;
        if self.inner.api_keys.is_some() {
            schemes = schemes.union(Schemes::API_KEY);
        }
        if self.inner.sessions.is_some() {
            schemes = schemes.union(Schemes::SESSION);
        }
        schemes
    }

    /// The browser sessions' settings, if the app accepts them.
    pub fn session_config(&self) -> Option<&SessionConfig> {
        self.inner.sessions.as_ref()
    }

    /// Ends every browser session of `subject` (an administrator's revocation, outside a
    /// request; a handler has [`Sessions::end_all`](crate::auth::Sessions::end_all)). How many
    /// there were; none without sessions configured.
    ///
    /// # Errors
    ///
    /// When the session store cannot be reached.
    pub async fn end_sessions(&self, subject: &str) -> Result<usize, super::StoreError> {
        match &self.inner.sessions {
            Some(sessions) => sessions.store().remove_subject(subject).await,
            None => Ok(0),
        }
    }

    /// Where API keys are found, if the app accepts them.
    pub fn api_key_store(&self) -> Option<&dyn ApiKeyStore> {
        self.inner.api_keys.as_deref()
    }

    /// The `typ` header tokens must carry, if configured ([`AuthConfigBuilder::token_type`]).
    pub fn token_type(&self) -> Option<&str> {
        self.inner.token_type.as_deref()
    }

    /// Whether the server may start before an identity provider's first keys arrive
    /// ([`AuthConfigBuilder::start_without_keys`]).
    pub fn starts_without_keys(&self) -> bool {
        self.inner
            .remote
            .first()
            .is_some_and(|remote| remote.settings().start_without_keys)
    }

    /// Fetches the first keys of every identity provider configured, and starts their
    /// background refresh. [`serve`](fn@crate::serve) awaits it before accepting connections; an
    /// app served otherwise (a test with `oneshot`) awaits it itself. Without remote key
    /// sets it returns at once.
    ///
    /// # Errors
    ///
    /// [`ConfigError::KeysUnavailable`] naming the URL and why, when a source gave no keys.
    pub async fn ready(&self) -> Result<(), ConfigError> {
        for remote in &self.inner.remote {
            remote
                .ready()
                .await
                .map_err(|reason| ConfigError::KeysUnavailable {
                    url: remote.location.url(),
                    reason,
                })?;
        }
        Ok(())
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
            .field("remote", &self.inner.remote)
            .field("token_type", &self.inner.token_type)
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
    remote: Vec<Location>,
    remote_settings: RemoteSettings,
    token_type: Option<String>,
    api_keys: Option<Arc<dyn ApiKeyStore>>,
    sessions: Option<SessionConfig>,
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

    /// Verifies the tokens of an OpenID Connect identity provider (Keycloak, Auth0, Entra ID,
    /// Cognito, Okta, Google): its keys are found through
    /// `{issuer}/.well-known/openid-configuration`, whose `issuer` must equal `issuer`
    /// exactly, and its tokens must carry that `iss`. Several may be configured beside local
    /// keys: a token's key set is chosen by its `iss` first, so a `kid` can never select a
    /// local key or another issuer's. Keys are refreshed in the background at the key set's
    /// `max-age` (clamped to 60 s .. 24 h, 300 s by default) and at once for an unknown `kid`
    /// (see [`refresh_on_demand`](Self::refresh_on_demand)). `https` only, or `http` to a
    /// loopback address. Environment: `JWT_ISSUER_URL`.
    ///
    /// ```
    /// use secure_api::auth::AuthConfig;
    ///
    /// let auth = AuthConfig::builder()
    ///     .issuer_url("https://idp.example.com/realms/main")
    ///     .audience("blog-api")
    ///     .token_type("at+jwt")
    ///     .build()?;
    /// assert_eq!(auth.issuer_urls().collect::<Vec<_>>(), ["https://idp.example.com/realms/main"]);
    /// # Ok::<(), secure_api::ConfigError>(())
    /// ```
    pub fn issuer_url(mut self, issuer: impl Into<String>) -> Self {
        self.remote.push(Location::Discovery {
            issuer: issuer.into(),
        });
        self
    }

    /// Verifies tokens with the key set at `url`, fetched and refreshed as an issuer's is, but
    /// without discovery: its tokens must carry the [`issuer`](Self::issuer) configured, if
    /// one is. It takes the place of local keys. Environment: `JWKS_URL`.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.remote.push(Location::KeySet { url: url.into() });
        self
    }

    /// The least time between two fetches of a key set caused by tokens (an unknown `kid`,
    /// keys past their bound), default 10 seconds: a flood of made-up `kid`s costs one fetch
    /// per interval, not one per request.
    pub fn refresh_on_demand(mut self, interval: Duration) -> Self {
        self.remote_settings.refresh_on_demand = interval;
        self
    }

    /// How long an identity provider's last good keys keep verifying tokens while it cannot
    /// be reached (default 24 hours); past it its tokens fail closed with `503`.
    pub fn max_key_age(mut self, age: Duration) -> Self {
        self.remote_settings.max_key_age = age;
        self
    }

    /// Lets [`serve`](fn@crate::serve) start before an identity provider's first keys arrive;
    /// its tokens are answered `503` until they do. By default the server refuses to start.
    pub fn start_without_keys(mut self, start: bool) -> Self {
        self.remote_settings.start_without_keys = start;
        self
    }

    /// The connect and read timeouts of a key fetch (default 5 and 10 seconds). Documents
    /// over 1 MiB are refused, and redirects are never followed.
    pub fn key_fetch_timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.remote_settings.fetch.connect = connect;
        self.remote_settings.fetch.read = read;
        self
    }

    /// Requires every token to carry this `typ` header (compared without case, an
    /// `application/` prefix allowed), and sets it on minted tokens: `at+jwt` for RFC 9068
    /// access tokens, so an ID token or another kind of JWT from the same keys cannot pass
    /// for one (RFC 8725 §3.11).
    pub fn token_type(mut self, typ: impl Into<String>) -> Self {
        self.token_type = Some(typ.into());
        self
    }

    /// Accepts API keys (`X-API-Key: sk_...`) found in `store`, on every `auth` route that does
    /// not narrow itself to other schemes (`#[secure(auth = "bearer")]`). A key acts as its
    /// owner, with the owner's current roles and at most the owner's scopes.
    pub fn api_keys(mut self, store: impl ApiKeyStore) -> Self {
        self.api_keys = Some(Arc::new(store));
        self
    }

    /// [`api_keys`](Self::api_keys) with a store the app keeps a handle on (to create and
    /// revoke keys).
    pub fn api_keys_shared(mut self, store: Arc<dyn ApiKeyStore>) -> Self {
        self.api_keys = Some(store);
        self
    }

    /// Accepts browser sessions: an `HttpOnly` `__Host-session` cookie on a session kept in the
    /// config's store, on every `auth` route that does not narrow itself to other schemes.
    /// Unsafe requests authenticated by it must pass the CSRF check (an allowed origin and the
    /// session's `X-CSRF-Token`). Handlers start and end sessions with the
    /// [`Sessions`](crate::auth::Sessions) extractor.
    pub fn sessions(mut self, sessions: SessionConfig) -> Self {
        self.sessions = Some(sessions);
        self
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
    /// leeway of at most five minutes; session lifetimes that make sense; and a JWT crypto
    /// provider installed for this process.
    pub fn build(self) -> Result<AuthConfig, ConfigError> {
        install_crypto_provider()?;
        if self.keys.is_empty() && self.remote.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        self.check_remote()?;
        if let Some(sessions) = &self.sessions {
            sessions.check()?;
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
        let remote = self
            .remote
            .iter()
            .map(|location| {
                let issuer = self.issuer_of(location).map(str::to_owned);
                let rules = Rules {
                    audience: self.audience.clone(),
                    leeway,
                };
                Arc::new(RemoteKeys::new(
                    location.clone(),
                    issuer,
                    rules,
                    self.remote_settings,
                ))
            })
            .collect();
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
                remote,
                token_type: self.token_type,
                api_keys: self.api_keys,
                sessions: self.sessions,
            }),
        })
    }

    /// Whether keys come from an identity provider (an issuer or key-set URL).
    pub(crate) fn has_remote(&self) -> bool {
        !self.remote.is_empty()
    }

    /// Remote key sets: fetchable URLs, and each issuer's tokens verified by one key set only.
    fn check_remote(&self) -> Result<(), ConfigError> {
        // Local keys verify the tokens of the configured issuer (or of none).
        let mut issuers = HashSet::new();
        if !self.keys.is_empty() {
            issuers.insert(self.issuer.as_deref());
        }
        for location in &self.remote {
            checked_url(&location.url()).map_err(ConfigError::InvalidSetting)?;
            let issuer = self.issuer_of(location);
            if !issuers.insert(issuer) {
                return Err(ConfigError::AmbiguousKeys(format!(
                    "two key sources verify the tokens of issuer `{}`: configure one key set \
                     per issuer (a JWKS URL takes the place of local keys)",
                    issuer.unwrap_or("(none)")
                )));
            }
        }
        Ok(())
    }

    /// The `iss` of a remote source's tokens: a discovered issuer's own, or the configured
    /// issuer for a key-set URL.
    fn issuer_of<'a>(&'a self, location: &'a Location) -> Option<&'a str> {
        match location {
            Location::Discovery { issuer } => Some(issuer),
            Location::KeySet { .. } => self.issuer.as_deref(),
        }
    }
}

/// The rules jsonwebtoken applies for one key: its algorithm only, `exp` and `sub` required,
/// `nbf` checked, `iss`/`aud` required exactly when configured, and a token with an `aud` refused
/// when no audience is configured.
pub(crate) fn validation_for(
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
