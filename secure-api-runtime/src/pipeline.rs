//! The request pipeline of DESIGN.md, steps 2 to 6, for one route's policy.
//!
//! Step 1 (request id, declared body size) runs in the security layer before routing reaches
//! the handler; step 7 (input) runs in the extractors the macro places after the guard; steps 8
//! and 9 are the handler and the security layer again. Read top to bottom, [`enforce`] is the
//! order every `#[secure]` request goes through, stopping at the first refusal.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::policy::{Access, Policy, RoutePolicy};
use crate::rate::RateLimits;

/// The first argument `#[secure]` gives every handler: extracting it enforces the policy `P`
/// before any of the handler's own extractors run.
pub struct Guard<P>(PhantomData<fn() -> P>);

impl<S, P> FromRequestParts<S> for Guard<P>
where
    S: Send + Sync,
    P: RoutePolicy,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        enforce(&P::POLICY, parts).await?;
        Ok(Guard(PhantomData))
    }
}

/// Enforces one policy on one request. Not generic, so every route shares this code.
async fn enforce(policy: &'static Policy, parts: &mut Parts) -> Result<(), ApiError> {
    // The router puts the app's limiters in every request when it has any.
    let limits = parts.extensions.get::<Arc<RateLimits>>().cloned();
    if limits.is_none() && policy.rate_limit().is_some() {
        return Err(ApiError::internal(
            "a rate-limited route was served without its limiter",
        ));
    }
    // 2. rate limits by client address: the general ones covering the route, and a public
    //    route's own, before any token or database work; or 429.
    if let Some(limits) = &limits {
        limits.before_authentication(policy, parts).await?;
    }
    if policy.access() == Access::Public {
        return Ok(());
    }
    // 3. authentication: a verified bearer token, or 401.
    let identity = authenticate(parts).await?;
    // 4. rate limit by verified user; or 429.
    if let Some(limits) = &limits {
        limits
            .after_authentication(policy, &identity.subject, parts)
            .await?;
    }
    // 5. function-level authorization: roles and scopes of the verified token, or 403.
    if !policy.required_roles().is_met_by(&identity.roles) {
        return Err(ApiError::forbidden().with_reason("the token lacks a required role"));
    }
    if !policy.required_scopes().is_met_by(&identity.scopes) {
        return Err(ApiError::forbidden().with_reason("the token lacks a required scope"));
    }
    // 6. object-level authorization runs in the `Owned<T>` loader, which the macro places
    //    right after this guard and before every other argument.
    Ok(())
}
