//! Authentication: bearer JWTs verified with algorithms pinned to configured keys.
//!
//! - [`JwtKey`]: one key, pinned to one algorithm (`HS256`/`384`/`512`, `RS*`, `PS*`, `ES256`/`384`, `EdDSA`);
//!   HMAC secrets shorter than the hash are refused when the key is made.
//! - [`AuthConfig`]: the key set (chosen by `kid`, never by a token's own key headers), issuer,
//!   audience, leeway, claim names, token lifetime and revocation store. It also mints tokens.
//! - Identity providers: [`AuthConfigBuilder::issuer_url`] (OpenID Connect discovery) and
//!   [`AuthConfigBuilder::jwks_url`] fetch their keys, refresh them in the background and at
//!   once for an unknown `kid` (at most once per 10 s, single-flight), keep the last good ones
//!   for a bound while the provider is down, then fail closed with `503`. A token's key set
//!   is chosen by its `iss` before its `kid`, so a `kid` never selects another issuer's key
//!   or a local one. [`AuthConfig::ready`] awaits the first keys; `serve` does it itself.
//! - API keys ([`ApiKeyStore`]) and browser sessions ([`SessionConfig`], [`Sessions`]): the
//!   other two schemes, each verified into the same caller.
//! - [`AuthUser`]: the verified caller, as an extractor.
//!
//! Verification requires `exp` and `sub`, checks `nbf` and refuses an `iat` in the future, each
//! within the leeway; requires `iss` and `aud` exactly when they are configured; and refuses a
//! revoked `jti`. Every failure answers the same `401 {"error":"Invalid token"}` with
//! `WWW-Authenticate: Bearer`; the reason is logged with the request id.

mod api_key;
mod cache;
mod config;
mod identity;
mod issuer;
mod key;
#[cfg(feature = "redis")]
mod redis;
mod revocation;
mod session;
mod token;
mod user;

pub use api_key::{
    API_KEY_HEADER, ApiKeyRecord, ApiKeyStore, KeyOwner, MemoryApiKeys, NewKey, ParsedKey,
    generate_key, parse_key, secret_hash,
};
pub use config::{AuthConfig, AuthConfigBuilder, ClaimNames, DEFAULT_LEEWAY, DEFAULT_TOKEN_TTL};
pub use jsonwebtoken::Algorithm;
#[cfg(feature = "testing")]
pub(crate) use key::PublicForm;
pub use key::{JwtKey, MIN_HMAC_SECRET_BYTES, MIN_RSA_BITS, RECOMMENDED_RSA_BITS};
#[cfg(feature = "redis")]
pub use redis::RedisRevocations;
pub use revocation::{MemoryRevocations, RevocationStore, StoreError, StoreFuture};
#[cfg(feature = "redis")]
pub use session::RedisSessions;
pub use session::{
    CSRF_HEADER, Clock, DEFAULT_ABSOLUTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_PER_USER,
    ManualClock, MemorySessions, SameSite, SessionConfig, SessionCookie, SessionRecord,
    SessionRequest, SessionStore, Sessions, StartedSession,
};
pub use token::{MintError, MintedToken, TokenRequest};
pub use user::{AuthUser, NoClaims};

pub(crate) use identity::Identity;
pub(crate) use issuer::discovery_url;
pub(crate) use session::{
    CookieName, Evidence as SessionEvidence, cookie as session_cookie, csrf, record_use,
};
pub(crate) use user::{
    authenticate, presented_scheme, presents_header_credential, presents_session_cookie,
    with_challenges,
};
