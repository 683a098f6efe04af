//! [`AuthUser`]: the verified caller, as an extractor.

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, header};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::api_key::{API_KEY_HEADER, verify_key};
use super::config::AuthConfig;
use super::identity::Identity;
use super::session::{CookieName, cookie, verify_session};
use crate::error::ApiError;
use crate::kinds::Schemes;

/// The caller, verified from their credential: a bearer token, an API key or a browser
/// session, whichever the route accepts; the same caller whatever the scheme. Every field
/// comes from the credential, never from the request body, so a client cannot claim to be
/// someone else.
///
/// `C` is the application's own view of the claims, deserialized from the verified payload:
///
/// ```
/// use secure_api::prelude::*;
///
/// #[derive(serde::Deserialize)]
/// struct MyClaims { tenant: String }
///
/// #[secure(auth)]
/// async fn whoami(user: AuthUser<MyClaims>) -> String {
///     format!("{} of {}", user.id(), user.claims().tenant)
/// }
/// ```
///
/// On an `auth` route the policy has already verified the token, so extracting `AuthUser` costs
/// no second verification. `Option<AuthUser>` serves routes where login is optional: no
/// credential (no `Authorization` header or another scheme, no API key, no session cookie)
/// gives `None`, and a present but bad token or key still answers `401`. A session cookie of
/// no live session gives `None` too: browsers keep sending an ended session's cookie.
pub struct AuthUser<C = NoClaims> {
    identity: Arc<Identity>,
    claims: C,
}

impl<C> AuthUser<C> {
    /// The user id: the token's `sub`.
    pub fn id(&self) -> &str {
        &self.identity.subject
    }

    /// The roles of the token's roles claim (default `roles`).
    pub fn roles(&self) -> &[String] {
        &self.identity.roles
    }

    /// The scopes of the token's scope claim (default `scope`, space-separated).
    pub fn scopes(&self) -> &[String] {
        &self.identity.scopes
    }

    /// Whether the token grants `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.identity.roles.iter().any(|r| r == role)
    }

    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.identity.scopes.iter().any(|s| s == scope)
    }

    /// The OAuth client the token was issued to: RFC 9068's `client_id` claim, or `azp` where
    /// a provider names it so.
    pub fn client_id(&self) -> Option<&str> {
        self.identity.client_id.as_deref()
    }

    /// The token's id (`jti`), which [`AuthConfig::revoke`] takes.
    pub fn token_id(&self) -> Option<&str> {
        self.identity.token_id.as_deref()
    }

    /// When the token expires, in seconds since the Unix epoch.
    pub fn expires_at(&self) -> u64 {
        self.identity.expires_at
    }

    /// The application's typed claims.
    pub fn claims(&self) -> &C {
        &self.claims
    }

    /// Every claim of the verified token, as JSON.
    pub fn raw_claims(&self) -> &Value {
        &self.identity.claims
    }
}

impl<C> fmt::Debug for AuthUser<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthUser")
            .field("id", &self.id())
            .field("roles", &self.roles())
            .field("scopes", &self.scopes())
            .finish_non_exhaustive()
    }
}

impl<C: Clone> Clone for AuthUser<C> {
    fn clone(&self) -> Self {
        Self {
            identity: Arc::clone(&self.identity),
            claims: self.claims.clone(),
        }
    }
}

/// The default claims view of [`AuthUser`]: reads nothing beyond id, roles and scopes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoClaims;

impl<'de> Deserialize<'de> for NoClaims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| NoClaims)
    }
}

impl<C: DeserializeOwned> AuthUser<C> {
    /// The caller of a verified `identity`, with the application's view of its claims.
    pub(crate) fn with_claims(identity: Arc<Identity>) -> Result<Self, ApiError> {
        // Not serde's text, which quotes claim values.
        let claims = C::deserialize(&identity.claims).map_err(|_| {
            ApiError::invalid_token(format!(
                "token claims do not fit {}",
                std::any::type_name::<C>()
            ))
        })?;
        Ok(Self { identity, claims })
    }
}

/// Verifies the request's credential: step 3 of the pipeline, for the policy guard of `auth`
/// routes (with the schemes the route accepts) and for an [`AuthUser`] on a public one (with
/// every scheme). A request is judged on the one credential it presents: a bearer token and an
/// API key together are refused, and a credential of a scheme the route does not accept is no
/// login (never a fallback to another). The session cookie, which a browser sends on its own,
/// counts only when no header credential is presented: a client that sends a token means it.
pub(crate) async fn authenticate(
    config: &AuthConfig,
    headers: &HeaderMap,
    accepted: Schemes,
    cookie_name: CookieName,
) -> Result<Arc<Identity>, ApiError> {
    let accepted = accepted.intersection(config.schemes());
    let api_key = if takes_api_keys(config) {
        api_key_of(headers)?
    } else {
        None
    };
    let bearer = match bearer_token(headers) {
        Ok(token) => Some(token),
        Err(error) if error.is_missing_credentials() => None,
        Err(error) => return Err(error),
    };
    match (bearer, api_key) {
        (Some(_), Some(_)) => Err(ApiError::invalid_token(
            "both a bearer token and an API key: a request presents one credential",
        )),
        (Some(token), None) if accepted.contains(Schemes::BEARER) => config.verify(token).await,
        (None, Some(key)) if accepted.contains(Schemes::API_KEY) => match config.api_key_store() {
            // Boxed, so that the bearer path's future (every request's) does not grow by it.
            Some(store) => Box::pin(verify_key(store, key)).await,
            None => Err(ApiError::unauthenticated()),
        },
        (Some(_), None) | (None, Some(_)) => Err(not_accepted()),
        (None, None) => {
            let Some(sessions) = config.session_config() else {
                return Err(ApiError::unauthenticated());
            };
            match cookie::presented(headers, cookie_name)? {
                // Boxed, as an API key's is.
                Some(id) if accepted.contains(Schemes::SESSION) => {
                    Box::pin(verify_session(sessions, id)).await
                }
                Some(_) => Err(not_accepted()),
                None => Err(ApiError::unauthenticated()),
            }
        }
    }
}

fn not_accepted() -> ApiError {
    ApiError::unauthenticated().with_reason("a credential of a scheme this route does not accept")
}

/// A `401` with one `WWW-Authenticate` challenge for each scheme of `accepted` the app
/// configured: `Bearer`, `ApiKey header="X-API-Key"`, `Session cookie="__Host-session"` (the
/// request's cookie name). (A `401` carries `Bearer` alone unless a route says otherwise.)
pub(crate) fn with_challenges(
    error: ApiError,
    config: &AuthConfig,
    accepted: Schemes,
    cookie_name: CookieName,
) -> ApiError {
    let accepted = accepted.intersection(config.schemes());
    if error.status_code() != http::StatusCode::UNAUTHORIZED || accepted == Schemes::BEARER {
        return error;
    }
    let mut error = error;
    if accepted.contains(Schemes::BEARER) {
        error = error.with_header(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
    }
    if accepted.contains(Schemes::API_KEY) {
        error = error.with_header(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("ApiKey header=\"X-API-Key\""),
        );
    }
    if accepted.contains(Schemes::SESSION) {
        error = error.with_header(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static(match cookie_name {
                CookieName::Host => "Session cookie=\"__Host-session\"",
                CookieName::Plain => "Session cookie=\"session\"",
            }),
        );
    }
    error
}

/// The scheme of the credential a request presents, for its audit record: `bearer`,
/// `api_key` (only in an app that takes API keys: elsewhere the header is no credential),
/// `session` (likewise), `other` for any other `Authorization` scheme (its name is the
/// client's text, so it is not kept), or `None`.
pub(crate) fn presented_scheme(
    config: &AuthConfig,
    headers: &HeaderMap,
    cookie_name: CookieName,
) -> Option<&'static str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        if takes_api_keys(config) && headers.contains_key(API_KEY_HEADER) {
            return Some("api_key");
        }
        return presents_session_cookie(config, headers, cookie_name).then_some("session");
    };
    let value = value.as_bytes();
    let bearer = value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer ");
    Some(if bearer { "bearer" } else { "other" })
}

/// Whether the request presents a credential in a header: a bearer token (perhaps a bad one;
/// another `Authorization` scheme such as `Basic` is none), or an API key where the app
/// takes them. Unlike the session cookie, a browser never sends one on its own.
pub(crate) fn presents_header_credential(config: &AuthConfig, headers: &HeaderMap) -> bool {
    (takes_api_keys(config) && headers.contains_key(API_KEY_HEADER))
        || !matches!(bearer_token(headers), Err(e) if e.is_missing_credentials())
}

/// Whether the request carries a session cookie, where the app takes sessions.
pub(crate) fn presents_session_cookie(
    config: &AuthConfig,
    headers: &HeaderMap,
    cookie_name: CookieName,
) -> bool {
    config.session_config().is_some() && cookie::carries(headers, cookie_name)
}

/// Whether the app takes API keys: without, an `X-API-Key` header means nothing to it and is
/// not even looked up.
fn takes_api_keys(config: &AuthConfig) -> bool {
    config.schemes().contains(Schemes::API_KEY)
}

/// The one `X-API-Key` header's value, if any; several are refused.
fn api_key_of(headers: &HeaderMap) -> Result<Option<&[u8]>, ApiError> {
    let mut values = headers.get_all(API_KEY_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::invalid_api_key("several X-API-Key headers"));
    }
    Ok(Some(value.as_bytes()))
}

/// The token of the one `Authorization: Bearer <token>` header.
///
/// No header, or another scheme (`Basic`), means no bearer credentials were presented:
/// `Authentication required`. Several headers, or an empty token, are refused as an
/// invalid token.
fn bearer_token(headers: &HeaderMap) -> Result<&[u8], ApiError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(ApiError::unauthenticated());
    };
    if values.next().is_some() {
        return Err(ApiError::invalid_token("several Authorization headers"));
    }
    // Bytes, not text: a token is hundreds of bytes, and one seen before is found by its
    // bytes without checking them again (`AuthConfig::verify` checks a new one).
    let value = value.as_bytes();
    let (scheme, token) = match value.iter().position(|&byte| byte == b' ') {
        Some(space) => (&value[..space], &value[space + 1..]),
        None => (value, &[][..]),
    };
    // Auth schemes are case-insensitive (RFC 9110 §11.1).
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(ApiError::unauthenticated().with_reason("Authorization scheme is not Bearer"));
    }
    let token = token.trim_ascii();
    if token.is_empty() {
        return Err(ApiError::invalid_token("empty bearer token"));
    }
    Ok(token)
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(header::AUTHORIZATION, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_token_trimmed() {
        assert_eq!(bearer_token(&headers(&["Bearer abc"])).unwrap(), b"abc");
        assert_eq!(bearer_token(&headers(&["bearer  abc "])).unwrap(), b"abc");
    }

    #[test]
    fn missing_or_foreign_scheme_is_authentication_required() {
        for h in [&[][..], &["Basic dXNlcjpwYXNz"][..], &["Bearer"][..]] {
            let err = bearer_token(&headers(h)).unwrap_err();
            let expected = if h == ["Bearer"] {
                "Invalid token"
            } else {
                "Authentication required"
            };
            assert_eq!(err.message(), expected, "{h:?}");
        }
    }

    #[test]
    fn several_headers_are_refused() {
        let err = bearer_token(&headers(&["Bearer a", "Bearer b"])).unwrap_err();
        assert_eq!(err.message(), "Invalid token");
    }
}
