//! [`Sessions`]: what a handler starts and ends sessions with.

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method};

use super::cookie::{CookieName, SessionCookie};
use super::verify::ended;
use super::{SessionConfig, SessionRecord, csrf, id_hash, millis, random_token};
use crate::auth::identity::Identity;
use crate::auth::revocation::StoreError;
use crate::error::ApiError;

/// The browser sessions of the app, as a handler sees them on one request: an extractor,
/// available when the app configured sessions
/// ([`AuthConfigBuilder::sessions`](crate::auth::AuthConfigBuilder::sessions)).
///
/// ```
/// use secure_api::auth::{SessionRequest, Sessions};
/// use secure_api::prelude::*;
///
/// #[derive(Sanitized)]
/// struct LoggedIn {
///     #[expose]
///     csrf_token: String,
/// }
///
/// // After checking the password (see the blog example):
/// #[secure(public, rate = "5/15m")]
/// async fn log_in(sessions: Sessions) -> ApiResult<(secure_api::auth::SessionCookie, Json<LoggedIn>)> {
///     let started = sessions.start(SessionRequest::new("user-1").role("author")).await?;
///     Ok((started.cookie, Json(LoggedIn { csrf_token: started.csrf_token })))
/// }
/// ```
pub struct Sessions {
    config: SessionConfig,
    cookie: CookieName,
    /// The hash of the session id the request's cookie holds, verified or not.
    presented: Option<[u8; 32]>,
    /// The identity the request was authenticated with, when by its session (and so, for an
    /// unsafe method, past the CSRF check).
    current: Option<Arc<Identity>>,
    /// What the CSRF check of a session not verified on this request needs: a public route
    /// that ends the cookie's session checks it here.
    evidence: Option<Box<Evidence>>,
}

/// The parts of a request the CSRF check reads, with the allowed origins.
pub(crate) struct Evidence {
    pub(crate) method: Method,
    pub(crate) headers: HeaderMap,
    pub(crate) origins: Vec<HeaderValue>,
}

impl Sessions {
    pub(crate) fn new(
        config: SessionConfig,
        cookie: CookieName,
        presented: Option<&str>,
        current: Option<Arc<Identity>>,
        evidence: impl FnOnce() -> Evidence,
    ) -> Self {
        let current = current.filter(|identity| identity.session.is_some());
        let evidence = (current.is_none() && presented.is_some()).then(|| Box::new(evidence()));
        Self {
            config,
            cookie,
            presented: presented.map(id_hash),
            current,
            evidence,
        }
    }

    /// Starts a session for `request`'s user and answers its cookie and CSRF token. The new
    /// session always has a new id: an id planted in the browser before login (fixation) is
    /// never the one after. The session the request came with is ended when it is this user's
    /// (a login again; another's cannot be ended by whoever knows only this user's password).
    /// Call it again when the user's privileges change. When the user has the most live
    /// sessions allowed, the oldest are ended.
    ///
    /// # Errors
    ///
    /// `503` when the store cannot be reached; `500` without random bytes.
    pub async fn start(&self, request: SessionRequest) -> Result<StartedSession, ApiError> {
        let store = self.config.store();
        if let Some(presented) = &self.presented {
            let verified = self.current.is_some();
            let same_user = || async {
                let record = store
                    .find(presented)
                    .await
                    .map_err(StoreError::into_unavailable)?;
                Ok::<_, ApiError>(record.is_some_and(|record| record.subject == request.subject))
            };
            if verified || same_user().await? {
                store
                    .remove(presented)
                    .await
                    .map_err(StoreError::into_unavailable)?;
            }
        }
        let now = self.config.creation_time();
        let id = random_token().map_err(|error| ApiError::internal(error.0))?;
        let csrf_token = random_token().map_err(|error| ApiError::internal(error.0))?;
        let expires_at_ms = now.saturating_add(millis(self.config.absolute_timeout));
        let record = SessionRecord {
            id_hash: id_hash(&id),
            subject: request.subject,
            roles: request.roles,
            scopes: request.scopes,
            csrf_token: csrf_token.clone(),
            created_at_ms: now,
            last_seen_at_ms: now,
            expires_at_ms,
        };
        store
            .create(&record)
            .await
            .map_err(StoreError::into_unavailable)?;
        self.keep_newest(&record.subject, now).await?;
        Ok(StartedSession {
            cookie: SessionCookie::set(self.cookie, &id, self.config.same_site),
            csrf_token,
            expires_at: expires_at_ms / 1000,
        })
    }

    /// Ends the user's ended sessions, and the oldest live ones past the cap (`now` in
    /// milliseconds). Run after the new session is stored: logins at the same time each see
    /// all the others' sessions, so however they interleave, no more than the cap survive.
    async fn keep_newest(&self, subject: &str, now: u64) -> Result<(), ApiError> {
        let store = self.config.store();
        let mut live = Vec::new();
        for record in store
            .of_subject(subject)
            .await
            .map_err(StoreError::into_unavailable)?
        {
            if ended(&self.config, &record, now).is_some() {
                store
                    .remove(&record.id_hash)
                    .await
                    .map_err(StoreError::into_unavailable)?;
            } else {
                live.push((record.created_at_ms, record.id_hash));
            }
        }
        // Newest first: what is past the cap is the oldest.
        live.sort_unstable_by(|a, b| b.cmp(a));
        for (_, id_hash) in live.iter().skip(self.config.max_per_user) {
            store
                .remove(id_hash)
                .await
                .map_err(StoreError::into_unavailable)?;
        }
        Ok(())
    }

    /// Ends the session the request came with (logout) and answers the cookie that makes the
    /// browser forget it. The user's other sessions stay. On a route where the session was
    /// not verified (a public one), the cookie's session must pass the CSRF check here, as it
    /// would have there: another site cannot log the user out.
    ///
    /// # Errors
    ///
    /// `403` when an unverified session's unsafe request fails the CSRF check; `503` when the
    /// store cannot be reached.
    pub async fn end(&self) -> Result<SessionCookie, ApiError> {
        let Some(presented) = &self.presented else {
            return Ok(self.removal());
        };
        let store = self.config.store();
        if let Some(evidence) = &self.evidence {
            let Some(record) = store
                .find(presented)
                .await
                .map_err(StoreError::into_unavailable)?
            else {
                return Ok(self.removal());
            };
            csrf::check(
                &evidence.method,
                &evidence.headers,
                &evidence.origins,
                &record.csrf_token,
            )?;
        }
        store
            .remove(presented)
            .await
            .map_err(StoreError::into_unavailable)?;
        Ok(self.removal())
    }

    /// Ends every session of `subject`: after a password reset, or an administrator's
    /// revocation. Their tokens are the app's to revoke ([`AuthConfig::revoke`](crate::auth::AuthConfig::revoke)).
    ///
    /// # Errors
    ///
    /// `503` when the store cannot be reached.
    pub async fn end_all(&self, subject: &str) -> Result<usize, ApiError> {
        self.config
            .store()
            .remove_subject(subject)
            .await
            .map_err(StoreError::into_unavailable)
    }

    /// The cookie that makes the browser forget its session.
    pub fn removal(&self) -> SessionCookie {
        SessionCookie::removal(self.cookie, self.config.same_site)
    }

    /// The CSRF token of the session the request was authenticated by, for a page that
    /// reloaded and lost it.
    pub fn csrf_token(&self) -> Option<&str> {
        let session = self.current.as_ref()?.session.as_ref()?;
        Some(&session.csrf_token)
    }

    /// When the request's session ends however busy, in seconds since the Unix epoch.
    pub fn expires_at(&self) -> Option<u64> {
        self.current.as_ref().map(|identity| identity.expires_at)
    }
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("cookie", &self.cookie.as_str())
            .field("authenticated", &self.current.is_some())
            .finish_non_exhaustive()
    }
}

/// Who a new session is for, with what it grants: [`Sessions::start`] takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct SessionRequest {
    subject: String,
    roles: Vec<String>,
    scopes: Vec<String>,
}

impl SessionRequest {
    /// A session for the user `subject`, with no role or scope.
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            roles: Vec::new(),
            scopes: Vec::new(),
        }
    }

    /// Grants a role.
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Grants a scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }
}

/// A started session: its cookie for the response, and the CSRF token for the page.
#[non_exhaustive]
pub struct StartedSession {
    /// The `Set-Cookie` of the session: return it beside the body.
    pub cookie: SessionCookie,
    /// The token unsafe requests must carry in `X-CSRF-Token`: hand it to the page in the
    /// body, never in a cookie.
    pub csrf_token: String,
    /// When the session ends however busy, in seconds since the Unix epoch.
    pub expires_at: u64,
}

impl fmt::Debug for StartedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartedSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
