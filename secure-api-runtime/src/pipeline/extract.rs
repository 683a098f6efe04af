//! The extractors through which handlers meet the pipeline: the policy [`Guard`] `#[secure]`
//! puts first, the resource loader it puts second, and what a handler may ask of the request's
//! context ([`AuthUser`], [`RequestId`], the app's [`AuthConfig`], its [`Sessions`]).

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use http::{HeaderMap, HeaderName, StatusCode, header};
use serde::de::DeserializeOwned;

use super::context::RequestContext;
use crate::auth::{
    AuthConfig, AuthUser, CSRF_HEADER, SessionEvidence, Sessions, presents_header_credential,
    presents_session_cookie, session_cookie,
};
use crate::authz::{OwnedLoader, OwnershipRule, Resource};
use crate::error::ApiError;
use crate::policy::RoutePolicy;
use crate::request_id::RequestId;

/// The first argument `#[secure]` gives every handler: extracting it enforces the policy `P`
/// (steps 2 to 5 of the pipeline) before any of the handler's own extractors run.
pub struct Guard<P> {
    /// The request's context, kept for a check after the extractors: only on a route limited
    /// by account.
    context: Option<RequestContext>,
    policy: PhantomData<fn() -> P>,
}

impl<S, P> FromRequestParts<S> for Guard<P>
where
    S: Send + Sync,
    P: RoutePolicy,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        super::enforce(&P::POLICY, parts).await?;
        let context = if P::POLICY.account_limit().is_some() {
            Some(RequestContext::of(parts)?.clone())
        } else {
            None
        };
        Ok(Guard {
            context,
            policy: PhantomData,
        })
    }
}

impl<P: RoutePolicy> Guard<P> {
    /// Step 7's limit by account, once the body that names the account is validated
    /// (generated code calls it).
    #[doc(hidden)]
    pub async fn __spend_account(&self, account: &str) -> Result<(), ApiError> {
        let context = self.context.as_ref().ok_or_else(|| {
            ApiError::internal("a limit by account on a route whose policy has none")
        })?;
        super::limit_by_account(context, &P::POLICY, account).await
    }
}

/// Step 6: the argument `#[secure]` puts in place of an `Owned<T>`, right after the guard.
impl<S, T, P> FromRequestParts<S> for OwnedLoader<T, P>
where
    S: Send + Sync,
    T: Resource<S>,
    P: OwnershipRule<T> + RoutePolicy,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        super::load_resource::<S, T, P>(parts, state)
            .await
            .map(OwnedLoader::granted)
    }
}

/// On an `auth` route the guard has verified the token, so this costs no second verification;
/// on a public route it verifies the token itself.
impl<S, C> FromRequestParts<S> for AuthUser<C>
where
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let context = RequestContext::of(parts)?;
        Self::with_claims(super::verify(context, parts, crate::policy::Schemes::ANY).await?)
    }
}

/// No credential (no `Authorization` header, or another scheme such as `Basic`; no API key,
/// no session cookie) gives `None`; a present but bad token or key still answers `401`. A
/// session cookie that verifies to no live session is no login either: a browser keeps
/// sending the cookie of a session that ended, and a public page must not lock it out.
impl<S, C> OptionalFromRequestParts<S> for AuthUser<C>
where
    S: Send + Sync,
    C: DeserializeOwned + Send + 'static,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let context = RequestContext::of(parts)?;
        let auth = &context.settings().auth;
        let cookie_only =
            context.identity().is_none() && !presents_header_credential(auth, &parts.headers);
        if cookie_only && !presents_session_cookie(auth, &parts.headers, context.cookie_name()) {
            return Ok(None);
        }
        match super::verify(context, parts, crate::policy::Schemes::ANY).await {
            Ok(identity) => Self::with_claims(identity).map(Some),
            Err(error) if cookie_only && error.status_code() == StatusCode::UNAUTHORIZED => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }
}

/// Names what a request acted on, for its audit record (the field `acted_on`; `target` is
/// the log line's own metadata): the account a login or a
/// password reset was for, once the handler knows it exists. The first name given stays. Never
/// a credential, and nothing the client chose unchecked (an email it typed may not exist).
///
/// ```
/// use secure_api::audit::AuditTarget;
/// use secure_api::prelude::*;
///
/// #[secure(auth)]
/// async fn close_account(user: AuthUser, target: AuditTarget) -> StatusCode {
///     target.set(user.id());
///     StatusCode::NO_CONTENT
/// }
/// ```
pub struct AuditTarget(RequestContext);

impl AuditTarget {
    /// Records `target` as what the request acted on.
    pub fn set(&self, target: impl Into<Box<str>>) {
        self.0.set_target(target.into());
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuditTarget {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        RequestContext::of(parts).map(|context| Self(context.clone()))
    }
}

/// The limits a handler checks itself, declared on the router (`Router::limit`), for keys only
/// the handler knows. A refusal is the `429` of any declared limit, with its headers.
///
/// ```
/// use secure_api::prelude::*;
/// use secure_api::rate::Limits;
/// use secure_api::routing::post;
/// use serde::Deserialize;
/// use validator::Validate;
///
/// #[derive(Deserialize, Validate, Input)]
/// struct Invite {
///     #[validate(email, length(max = 254))]
///     email: String,
/// }
///
/// #[secure(auth)]
/// async fn invite(limits: Limits, Json(invite): Json<Invite>) -> ApiResult<StatusCode> {
///     // At most 3 invitations to one address a day, whoever sends them.
///     limits.check("invite", &invite.email).await?;
///     Ok(StatusCode::ACCEPTED)
/// }
///
/// let app: secure_api::Router = secure_api::Router::new()
///     .route("/invitations", post(invite))
///     .limit("invite", "3/1d");
/// ```
pub struct Limits(RequestContext);

impl Limits {
    /// Spends one request of `key` on the limit `name`; `429` when it has none left.
    ///
    /// # Errors
    ///
    /// The `429` of the limit, or a `500` when no limit `name` was declared on the router.
    pub async fn check(&self, name: &str, key: &str) -> Result<(), ApiError> {
        super::limit_by_name(&self.0, name, key).await
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Limits {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        RequestContext::of(parts).map(|context| Self(context.clone()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        RequestContext::of(parts).map(RequestContext::request_id)
    }
}

/// The router's own config, for handlers that mint or revoke tokens (a login, a logout): the
/// same keys that verify the requests.
impl<S: Send + Sync> FromRequestParts<S> for AuthConfig {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        RequestContext::of(parts).map(|context| context.settings().auth.clone())
    }
}

/// The app's browser sessions, on this request: its cookie's name and the session it came
/// with. A `500` (a server bug) when the app configured no sessions.
impl<S: Send + Sync> FromRequestParts<S> for Sessions {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let context = RequestContext::of(parts)?;
        let config = context.settings().auth.session_config().ok_or_else(|| {
            ApiError::internal(
                "a handler takes Sessions, but the app configured none: \
                 AuthConfigBuilder::sessions",
            )
        })?;
        let name = context.cookie_name();
        // A malformed cookie is no session to end; the new one replaces it.
        let presented = session_cookie::presented(&parts.headers, name)
            .ok()
            .flatten();
        // The headers the CSRF check reads, for a session this request did not verify.
        let evidence = || {
            let mut headers = HeaderMap::new();
            let names = [
                header::ORIGIN,
                HeaderName::from_static("sec-fetch-site"),
                CSRF_HEADER,
            ];
            for name in names {
                for value in parts.headers.get_all(&name) {
                    headers.append(name.clone(), value.clone());
                }
            }
            SessionEvidence {
                method: parts.method.clone(),
                headers,
                origins: context.settings().csrf_origins.clone(),
            }
        };
        Ok(Sessions::new(
            config.clone(),
            name,
            presented,
            context.identity(),
            evidence,
        ))
    }
}
