//! The request pipeline of DESIGN.md, steps 2 to 6, for one route's policy.
//!
//! Step 1 (request id, declared body size) runs in the security layer before routing reaches
//! the handler; step 7 (input) runs in the extractors the macro places after the guard; steps 8
//! and 9 are the handler and the security layer again. Read top to bottom, [`enforce`] is the
//! order every `#[secure]` request goes through, stopping at the first refusal.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use http::request::Parts;

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::policy::{Access, Policy, RoutePolicy};

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
    // 2. rate limit by client IP: comes with the rate limiting issue.
    // 3. authentication: a verified bearer token, or 401.
    if policy.access() == Access::Authenticated {
        authenticate(parts).await?;
    }
    // 4. rate limit by user, 5. roles and scopes, 6. ownership: come with their issues.
    Ok(())
}
