//! [`AuthUser`]: the verified caller, as an extractor.

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, header};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::config::AuthConfig;
use super::identity::Identity;
use crate::error::ApiError;

/// The caller, verified from their bearer token. Every field comes from the token, never from
/// the request body, so a client cannot claim to be someone else.
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
/// no second verification. `Option<AuthUser>` serves routes where login is optional: no bearer
/// token (no `Authorization` header, or another scheme) gives `None`, and a present but bad
/// token still answers `401`.
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

/// Verifies the request's bearer token: step 3 of the pipeline, for the policy guard of `auth`
/// routes and for an [`AuthUser`] on a public one.
pub(crate) async fn authenticate(
    config: &AuthConfig,
    headers: &HeaderMap,
) -> Result<Arc<Identity>, ApiError> {
    config.verify(bearer_token(headers)?).await
}

/// Whether the request presents no bearer credentials at all (no `Authorization` header, or
/// another scheme such as `Basic`): for `Option<AuthUser>`, no login.
/// The scheme of the credential a request presents, for its audit record: `bearer`, `other`
/// for any other `Authorization` scheme (its name is the client's text, so it is not kept), or
/// `None`.
pub(crate) fn presented_scheme(headers: &HeaderMap) -> Option<&'static str> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let bearer = value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer ");
    Some(if bearer { "bearer" } else { "other" })
}

pub(crate) fn presents_no_bearer(headers: &HeaderMap) -> bool {
    matches!(bearer_token(headers), Err(e) if e.is_missing_credentials())
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
