//! Verifying a bearer token into an [`Identity`], and minting tokens with the same config.
//!
//! jsonwebtoken checks the signature (with the one algorithm pinned to the key), `exp`, `nbf`,
//! `iss` and `aud`. This module adds what it leaves out: keys chosen by `kid` from the configured
//! set only, headers that point elsewhere for keys refused, `iat` in the future refused, the shape
//! of `sub`, roles and scopes checked, and revoked ids refused.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::{Header, TokenData};
use serde_json::{Map, Value};

use super::config::{AuthConfig, VerificationKey};
use super::identity::Identity;
use super::issuer::RemoteKeys;
use super::revocation::unix_now;
use crate::error::ApiError;

impl AuthConfig {
    /// Verifies a bearer token (the text after `Bearer `).
    ///
    /// Every failure is the same `401 Invalid token` for the client; the reason is attached to
    /// the error for the log. A token verified before is taken from the cache while unexpired
    /// (see `cache.rs`); whether it was revoked is asked every time.
    pub(crate) async fn verify(&self, token: &[u8]) -> Result<Arc<Identity>, ApiError> {
        let now = unix_now();
        let leeway = self.inner.leeway.as_secs();
        let identity = if let Some(identity) = self.inner.verified.get(token, now, leeway) {
            // Only tokens that were text entered the cache, so this one is text too.
            identity
        } else {
            // A header value holds no control characters but tab: ASCII is visible ASCII.
            let token = Some(token)
                .filter(|bytes| bytes.is_ascii())
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .ok_or_else(|| ApiError::invalid_token("bearer token is not visible ASCII"))?;
            // Boxed: the verification of a new token (which may fetch keys) is rare, and its
            // future would otherwise grow every request's future, which is moved and
            // allocated whole.
            let identity = Arc::new(Box::pin(self.verify_signed(token)).await?);
            self.inner.verified.insert(token, &identity, now, leeway);
            identity
        };
        if let Some(jti) = &identity.token_id {
            let revoked = match self.inner.revocations.is_revoked_now(jti) {
                Some(revoked) => Ok(revoked),
                None => self.inner.revocations.is_revoked(jti).await,
            };
            match revoked {
                Ok(false) => {}
                Ok(true) => return Err(ApiError::invalid_token("token has been revoked")),
                Err(error) => return Err(ApiError::unavailable().with_reason(error.to_string())),
            }
        }
        Ok(identity)
    }

    /// Everything but the revocation check. The key set is chosen by the token's `iss` first
    /// (an identity provider's, or the local keys), then the key by its `kid`; a `kid` an
    /// issuer's cached set lacks refetches that set once (see `issuer`).
    async fn verify_signed(&self, token: &str) -> Result<Identity, ApiError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| {
            ApiError::invalid_token(format!("unreadable token header: {}", reason(&e)))
        })?;
        refuse_foreign_key_headers(&header)?;
        self.check_type(&header)?;
        let kid = header.kid.as_deref();
        let (claims, keys_valid_until) = match self.remote_for(token)? {
            None => (decode(token, self.key_for(&header)?)?, u64::MAX),
            Some(remote) => {
                let mut keys = remote.keys().await?;
                if kid.is_some() && keys.key(kid).is_none() {
                    remote.refresh_on_demand(keys.generation()).await;
                    keys = remote.keys().await?;
                }
                let key = keys.key(kid).ok_or_else(|| {
                    ApiError::invalid_token(if kid.is_some() {
                        "token names a kid its issuer's key set lacks"
                    } else {
                        "token has no kid and its issuer has several keys"
                    })
                })?;
                (decode(token, key)?, keys.valid_until())
            }
        };
        let mut identity = self.identity_from(claims)?;
        identity.keys_valid_until = keys_valid_until;
        Ok(identity)
    }

    /// The identity provider whose keys verify `token`, by the `iss` it claims (checked again
    /// when it is verified); `None` for the local keys, which take the tokens of no configured
    /// issuer.
    fn remote_for(&self, token: &str) -> Result<Option<&Arc<RemoteKeys>>, ApiError> {
        let remote = &self.inner.remote;
        if remote.is_empty() {
            return Ok(None);
        }
        if let Some(issuer) = unverified_issuer(token)
            && let Some(found) = remote
                .iter()
                .find(|source| source.issuer.as_deref() == Some(issuer.as_str()))
        {
            return Ok(Some(found));
        }
        if !self.inner.keys.is_empty() {
            return Ok(None);
        }
        // A key-set URL configured without an issuer takes what no issuer claimed.
        remote
            .iter()
            .find(|source| source.issuer.is_none())
            .map(Some)
            .ok_or_else(|| ApiError::invalid_token("token from an issuer that is not configured"))
    }

    /// The `typ` header, when one is required: `at+jwt` or `application/at+jwt`, any case.
    fn check_type(&self, header: &Header) -> Result<(), ApiError> {
        let Some(required) = &self.inner.token_type else {
            return Ok(());
        };
        let typ = header.typ.as_deref().unwrap_or_default();
        let bare = match typ.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
            _ => typ,
        };
        if bare.eq_ignore_ascii_case(required) {
            Ok(())
        } else {
            Err(ApiError::invalid_token(
                "token `typ` is not the required type",
            ))
        }
    }

    /// The key for this token: the one its `kid` names, or the only key when it names none.
    fn key_for(&self, header: &Header) -> Result<&VerificationKey, ApiError> {
        match (&header.kid, self.inner.keys.as_slice()) {
            (Some(kid), keys) => keys
                .iter()
                .find(|k| k.key.kid.as_deref() == Some(kid.as_str()))
                .ok_or_else(|| ApiError::invalid_token("token names an unknown kid")),
            (None, [only]) => Ok(only),
            (None, _) => Err(ApiError::invalid_token(
                "token has no kid and several keys are configured",
            )),
        }
    }

    fn identity_from(&self, claims: Map<String, Value>) -> Result<Identity, ApiError> {
        let now = unix_now();
        // jsonwebtoken leaves `iat` alone; a token issued in the future is forged or from a
        // badly wrong clock, and is refused either way.
        match claims.get("iat") {
            None => {}
            Some(iat) => match iat.as_u64() {
                Some(iat) if iat <= now + self.inner.leeway.as_secs() => {}
                Some(_) => return Err(ApiError::invalid_token("token `iat` is in the future")),
                None => return Err(ApiError::invalid_token("token `iat` is not a number")),
            },
        }
        let subject = match claims.get("sub") {
            Some(Value::String(sub)) if !sub.is_empty() => Arc::from(sub.as_str()),
            _ => {
                return Err(ApiError::invalid_token(
                    "token `sub` is not a non-empty string",
                ));
            }
        };
        let expires_at = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or_else(|| ApiError::invalid_token("token `exp` is not a number"))?;
        let token_id = match claims.get("jti") {
            None => None,
            Some(Value::String(jti)) => Some(jti.clone()),
            Some(_) => return Err(ApiError::invalid_token("token `jti` is not a string")),
        };
        let roles = match claims.get(&self.inner.claims.roles) {
            None | Some(Value::Null) => Vec::new(),
            Some(value) => string_list(value).ok_or_else(|| {
                ApiError::invalid_token("token roles claim is not a string array")
            })?,
        };
        // RFC 9068 names the claim `scope`; Entra ID and Okta send `scp`, as a string or an
        // array. The configured claim is read first, `scp` when it is absent.
        let scope = claims
            .get(&self.inner.claims.scope)
            .filter(|value| !value.is_null())
            .or_else(|| claims.get("scp"));
        let scopes = match scope {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(scope)) => scope.split_whitespace().map(String::from).collect(),
            Some(value) => string_list(value)
                .ok_or_else(|| ApiError::invalid_token("token scope claim is malformed"))?,
        };
        // RFC 9068's `client_id`; `azp` where a provider names the client so (Google, Entra ID).
        let client_id = match claims.get("client_id").or_else(|| claims.get("azp")) {
            None | Some(Value::Null) => None,
            Some(Value::String(client)) => Some(client.clone()),
            Some(_) => return Err(ApiError::invalid_token("token `client_id` is not a string")),
        };
        Ok(Identity {
            subject,
            roles,
            scopes,
            client_id,
            token_id,
            credential_id: None,
            expires_at,
            keys_valid_until: u64::MAX,
            claims: Value::Object(claims),
            session: None,
        })
    }
}

/// The claims of `token`, verified with `key`.
fn decode(token: &str, key: &VerificationKey) -> Result<Map<String, Value>, ApiError> {
    jsonwebtoken::decode::<Map<String, Value>>(token, &key.key.decoding, &key.validation)
        .map(|TokenData { claims, .. }| claims)
        .map_err(|e| ApiError::invalid_token(format!("token rejected: {}", reason(&e))))
}

/// The `iss` a token claims, read before its signature is checked, only to choose the key set
/// that checks it (and `iss` with it).
fn unverified_issuer(token: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Claimed {
        iss: Option<String>,
    }
    jsonwebtoken::dangerous::insecure_decode_claims::<Claimed>(token)
        .ok()?
        .iss
}

/// Why jsonwebtoken refused a token, for the log. Never serde's text: it quotes claim values,
/// which may be personal data.
fn reason(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::Json(_) => String::from("JSON of an unexpected shape"),
        ErrorKind::Base64(_) => String::from("not base64url"),
        ErrorKind::Utf8(_) => String::from("not UTF-8"),
        _ => error.to_string(),
    }
}

/// A token may point at keys elsewhere (`jku`, `x5u`) or carry its own (`jwk`, `x5c`). Keys come
/// only from the configured set, so such a token is refused outright rather than half-trusted;
/// so is a `crit` header, whose extensions this verifier cannot honour (RFC 7515 §4.1.11).
fn refuse_foreign_key_headers(header: &Header) -> Result<(), ApiError> {
    let foreign = [
        ("jku", header.jku.is_some()),
        ("jwk", header.jwk.is_some()),
        ("x5u", header.x5u.is_some()),
        ("x5c", header.x5c.is_some()),
        ("crit", header.crit.is_some()),
    ];
    match foreign.iter().find(|(_, present)| *present) {
        Some((name, _)) => Err(ApiError::invalid_token(format!(
            "token header `{name}` is not accepted"
        ))),
        None => Ok(()),
    }
}

fn string_list(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|item| item.as_str().map(String::from))
        .collect()
}

/// What to put in a minted token, beyond the registered claims the config sets.
///
/// ```
/// use secure_api::auth::TokenRequest;
///
/// let request = TokenRequest::new("user-42").role("admin").scope("posts:write");
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct TokenRequest {
    subject: String,
    roles: Vec<String>,
    scopes: Vec<String>,
    extra: Map<String, Value>,
}

impl TokenRequest {
    /// A token for `subject` (the `sub` claim: the user id).
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            ..Self::default()
        }
    }

    /// Adds a role.
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Adds roles.
    pub fn roles<I: IntoIterator<Item = R>, R: Into<String>>(mut self, roles: I) -> Self {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// Adds a scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Adds a claim of the application's own. The registered claims (`sub`, `exp`, `iat`,
    /// `nbf`, `jti`, `iss`, `aud`) and the role and scope claims are the config's: a claim of
    /// one of those names is ignored, so no extra claim can grant a role.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }
}

/// A freshly minted token.
#[derive(Clone, PartialEq, Eq)]
pub struct MintedToken {
    /// The compact JWT, for the `Authorization: Bearer` header.
    pub token: String,
    /// Its random id (`jti`), which revocation uses.
    pub token_id: String,
    /// When it expires, in seconds since the Unix epoch.
    pub expires_at: u64,
    /// Its lifetime in seconds (`expires_in` of an OAuth token response).
    pub expires_in: u64,
}

impl fmt::Debug for MintedToken {
    // A token is a credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintedToken")
            .field("token", &"[redacted]")
            .field("token_id", &self.token_id)
            .field("expires_at", &self.expires_at)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Minting failed: the config has no signing key, or the key refused to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintError(String);

impl fmt::Display for MintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot mint a token: {}", self.0)
    }
}

impl std::error::Error for MintError {}

impl AuthConfig {
    /// Mints a token with `sub`, `iat`, `nbf`, `exp` (now plus the configured lifetime), a
    /// random `jti`, `iss` and `aud` when configured, and the request's roles, scopes and claims,
    /// signed with the first key that can sign.
    pub fn mint(&self, request: &TokenRequest) -> Result<MintedToken, MintError> {
        let now = unix_now();
        let expires_in = self.inner.token_ttl.as_secs();
        let expires_at = now + expires_in;
        let token_id = uuid::Uuid::new_v4().to_string();

        let mut claims = request.extra.clone();
        for reserved in [
            "sub",
            "iat",
            "nbf",
            "exp",
            "jti",
            "iss",
            "aud",
            self.inner.claims.roles.as_str(),
            self.inner.claims.scope.as_str(),
        ] {
            claims.remove(reserved);
        }
        if !request.roles.is_empty() {
            claims.insert(
                self.inner.claims.roles.clone(),
                request.roles.clone().into(),
            );
        }
        if !request.scopes.is_empty() {
            claims.insert(
                self.inner.claims.scope.clone(),
                request.scopes.join(" ").into(),
            );
        }
        claims.insert("sub".into(), request.subject.clone().into());
        claims.insert("iat".into(), now.into());
        claims.insert("nbf".into(), now.into());
        claims.insert("exp".into(), expires_at.into());
        claims.insert("jti".into(), token_id.clone().into());
        if let Some(issuer) = &self.inner.issuer {
            claims.insert("iss".into(), issuer.clone().into());
        }
        if let Some(audience) = &self.inner.audience {
            claims.insert("aud".into(), audience.clone().into());
        }

        let token = self.sign(&claims)?;
        Ok(MintedToken {
            token,
            token_id,
            expires_at,
            expires_in,
        })
    }

    /// Signs `claims` as they are, with the first key that can sign, its `kid` and the
    /// configured `typ`: what [`mint`](Self::mint) does once it has the claims, and what the
    /// self-audit forges its expired and misaddressed tokens with.
    pub(crate) fn sign(&self, claims: &Map<String, Value>) -> Result<String, MintError> {
        let signer = self
            .inner
            .keys
            .iter()
            .find(|k| k.key.can_sign())
            .ok_or_else(|| MintError("no configured key can sign".into()))?;
        let mut header = Header::new(signer.key.algorithm);
        header.kid.clone_from(&signer.key.kid);
        if let Some(typ) = &self.inner.token_type {
            header.typ = Some(typ.clone());
        }
        let encoding = signer
            .key
            .encoding
            .as_ref()
            .ok_or_else(|| MintError("no configured key can sign".into()))?;
        jsonwebtoken::encode(&header, claims, encoding).map_err(|e| MintError(e.to_string()))
    }

    /// Revokes a token by its id until its expiry: every instance sharing the store refuses it.
    pub async fn revoke(&self, token_id: &str, expires_at: u64) -> Result<(), super::StoreError> {
        self.inner.revocations.revoke(token_id, expires_at).await
    }
}
