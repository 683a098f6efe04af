//! The request pipeline of DESIGN.md, in order. Every request of the app goes through it,
//! matched or not, and it stops at the first refusal:
//!
//! 1. `begin` and `gate`: the request id, the scheme, the client address (one
//!    `RequestContext` per request, the only entry the framework puts in the request's
//!    extensions); a head over its limits, plain HTTP and a declared body over the limit
//!    answered; the timeout;
//! 2. `limit_by_address`, before routing: the general limits covering the path, for every
//!    request under their prefix, matched or not;
//! 2. to 5. `enforce`, the route's policy guard: its own limit by client address,
//!    authentication (with the CSRF check of a browser session's unsafe request), the limit
//!    by user, roles and scopes;
//! 6. `load_resource`: object-level authorization;
//! 7. input validation, in the extractors `#[secure]` puts last ([`crate::validate`]), then
//!    `limit_by_account`, keyed by a field of the validated body;
//! 8. the handler;
//! 9. `finish`: the error shape, the security and rate-limit headers, the audit record.
//!
//! Each step is a call into its concern; what the steps share travels in the context.
//! `SecurityLayer` is the one tower service that runs steps 1 and 9 around the router
//! (and the gate just inside the CORS layer, so an allowed origin can read its answers).

mod context;
mod extract;
mod service;
mod settings;

pub use extract::{AuditTarget, Guard, Limits};
pub use service::{GateFuture, GateService, ResponseFuture, SecurityService};
pub(crate) use service::{GateLayer, SecurityLayer};
pub(crate) use settings::AppSettings;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequestParts, MatchedPath, Path};
use axum::response::Response;
use http::Method;
use http::request::Parts;

use crate::audit::{self, AuditRecord, Decision};
use crate::auth::{Identity, authenticate, csrf, record_use, with_challenges};
use crate::authz::{DenyAs, OwnershipRule, Resource};
use crate::client_ip::peer_of;
use crate::error::{self, ApiError};
use crate::policy::{Access, Policy, Schemes};
use crate::rate::{ClientKey, Limiter, RateKey, RateLimits, RouteId, covers};
use crate::request_id::{REQUEST_ID_HEADER, RequestId};
use crate::transport::{self, Scheme, TlsConnection};
use context::RequestContext;

/// Step 1, on the way in: the request's context, made once for every request before routing.
fn begin(
    settings: &Arc<AppSettings>,
    request: &mut http::Request<axum::body::Body>,
) -> RequestContext {
    let peer = peer_of(request.extensions());
    let over_tls = request.extensions().get::<TlsConnection>().is_some();
    let scheme = settings.transport.https.scheme(
        over_tls,
        peer,
        request.headers(),
        &settings.trusted_proxies,
    );
    let context = RequestContext::new(
        Arc::clone(settings),
        RequestId::generate(),
        scheme,
        peer,
        request.headers(),
    );
    request.extensions_mut().insert(context.clone());
    context
}

/// Step 1, just inside CORS: the answers given before any other work (a head over its limits,
/// the redirect of plain HTTP, a declared body over the limit). The timeout runs around the
/// rest.
fn gate(
    context: &RequestContext,
    request: &http::Request<axum::body::Body>,
) -> Option<transport::gate::EarlyAnswer> {
    transport::gate::early_answer(
        &context.settings().transport,
        context.scheme(),
        request.method(),
        request.uri(),
        request.headers(),
    )
}

/// Step 2, just inside CORS and before routing: the general limits by client address that
/// cover the request's path (`.rate_limit("/api", ...)`). They count every request under
/// their prefix, matched or not: an unknown path or a wrong method is a probe like any other.
/// Limits in memory decide here and now; on Redis, [`limit_by_address_later`] does.
fn limit_by_address(
    context: &RequestContext,
    request: &http::Request<axum::body::Body>,
) -> AddressLimits {
    let Some(limits) = context.settings().rate.as_ref() else {
        return AddressLimits::Passed;
    };
    let path = request.uri().path();
    let mut client = None;
    for (decided, (prefix, limiter)) in limits.general().iter().enumerate() {
        if !covers(prefix, path) {
            continue;
        }
        let client = match client_key(&mut client, context) {
            Ok(client) => client,
            Err(error) => return AddressLimits::Refused(error),
        };
        let Some(item) = limiter.decide_now(client) else {
            return AddressLimits::Later { decided };
        };
        let refused = item.refused;
        context.add_rate_item(item);
        if refused {
            return AddressLimits::Refused(limiter.refusal());
        }
    }
    AddressLimits::Passed
}

/// What [`limit_by_address`] decided.
enum AddressLimits {
    Passed,
    Refused(ApiError),
    /// A limit's store must be asked: the general limits from index `decided` on are decided
    /// by [`limit_by_address_later`].
    Later {
        decided: usize,
    },
}

/// Step 2 for limits whose store must be asked (Redis), from the general limit `decided` on.
async fn limit_by_address_later(
    context: &RequestContext,
    path: &str,
    decided: usize,
) -> Result<(), ApiError> {
    let Some(limits) = context.settings().rate.as_ref() else {
        return Ok(());
    };
    let mut client = None;
    // A plain loop: the future holds no iterator adapter across an await.
    for (prefix, limiter) in &limits.general()[decided..] {
        if covers(prefix, path) {
            let client = client_key(&mut client, context)?;
            spend(context, limiter, client).await?;
        }
    }
    Ok(())
}

/// Steps 2 to 5, the policy guard of a route. Not generic, so every route shares this code.
async fn enforce(policy: &'static Policy, parts: &Parts) -> Result<(), ApiError> {
    let context = RequestContext::of(parts)?;
    let route = parts.extensions.get::<MatchedPath>();
    if let Some(route) = route {
        context.set_route(route);
    }
    let limits = context.settings().rate.as_ref();
    let own_limit = match (policy.rate_limit(), limits) {
        (None, _) => None,
        (Some(rule), Some(limits)) => match limits.route(route_id(policy)) {
            Some(limiter) => Some((rule.key(), limiter)),
            None => return Err(ApiError::internal("a rate-limited route has no limiter")),
        },
        (Some(_), None) => {
            return Err(ApiError::internal(
                "a rate-limited route was served without its limiter",
            ));
        }
    };
    // 2. the route's own limit by client address, before any token or database work; or
    //    429. (The general limits covering the path were spent before routing, in
    //    `limit_by_address`.)
    let own_by_ip = own_limit
        .filter(|(key, _)| *key == RateKey::Ip || policy.access() == Access::Public)
        .map(|(_, limiter)| limiter);
    if let Some(limiter) = own_by_ip {
        let client = client_key(&mut None, context)?;
        spend(context, limiter, client).await?;
    }
    if policy.access() == Access::Public {
        return Ok(());
    }
    // 3. authentication: one verified credential of a scheme the route accepts, or 401 with
    //    a challenge for each; for a session cookie on an unsafe method, the CSRF check, or
    //    403.
    let identity = verify(context, parts, policy.schemes())
        .await
        .map_err(|error| {
            let auth = &context.settings().auth;
            with_challenges(error, auth, policy.schemes(), context.cookie_name())
        })?;
    // 4. rate limit by verified user (or API key); or 429.
    match (own_limit, identity.credential_id.as_deref()) {
        (Some((RateKey::ApiKey, limiter)), Some(key_id)) => {
            spend(context, limiter, ClientKey::ApiKey(key_id)).await?;
        }
        (Some((RateKey::User | RateKey::ApiKey, limiter)), _) => {
            spend(context, limiter, ClientKey::User(&identity.subject)).await?;
        }
        _ => {}
    }
    // 5. function-level authorization: roles and scopes of the verified token, or 403.
    if !policy.required_roles().is_met_by(&identity.roles) {
        return Err(ApiError::forbidden().with_reason("the token lacks a required role"));
    }
    if !policy.required_scopes().is_met_by(&identity.scopes) {
        return Err(ApiError::forbidden().with_reason("the token lacks a required scope"));
    }
    Ok(())
}

/// The client's address as a limiter key, resolved the first time it is asked for.
fn client_key(
    client: &mut Option<ClientKey<'static>>,
    context: &RequestContext,
) -> Result<ClientKey<'static>, ApiError> {
    if let Some(client) = *client {
        return Ok(client);
    }
    let key = ClientKey::Ip(context.client_ip()?);
    *client = Some(key);
    Ok(key)
}

/// Step 3: the request's verified identity, verified once whoever asks first (the guard, with
/// the schemes its route accepts, or an `AuthUser` on a public route, with every scheme). A
/// browser session's unsafe request must pass the CSRF check before it counts as verified.
async fn verify(
    context: &RequestContext,
    parts: &Parts,
    accepted: Schemes,
) -> Result<Arc<Identity>, ApiError> {
    if let Some(identity) = context.identity() {
        return Ok(identity);
    }
    let settings = context.settings();
    let identity = authenticate(
        &settings.auth,
        &parts.headers,
        accepted,
        context.cookie_name(),
    )
    .await?;
    if let Some(session) = &identity.session {
        csrf::check(
            &parts.method,
            &parts.headers,
            &settings.csrf_origins,
            &session.csrf_token,
        )?;
        if let Some(sessions) = settings.auth.session_config() {
            record_use(sessions, session).await?;
        }
    }
    context.set_identity(&identity);
    Ok(identity)
}

/// Steps 2 and 4: one limiter decides; its item goes to the response headers.
async fn spend(
    context: &RequestContext,
    limiter: &Limiter,
    client: ClientKey<'_>,
) -> Result<(), ApiError> {
    let Some(item) = limiter.decide(client).await? else {
        return Ok(());
    };
    let refused = item.refused;
    context.add_rate_item(item);
    if refused {
        Err(limiter.refusal())
    } else {
        Ok(())
    }
}

fn route_id(policy: &Policy) -> RouteId {
    RouteId {
        module: policy.module(),
        handler: policy.handler(),
        line: policy.line(),
    }
}

/// Step 7, right after the body is validated, the one step where its fields are known: the
/// route's limit by account (`account_rate`, `account_key`). It counts every attempt on the
/// account, whether the account exists or not, under the account name's keyed hash.
async fn limit_by_account(
    context: &RequestContext,
    policy: &'static Policy,
    account: &str,
) -> Result<(), ApiError> {
    spend_by_name(
        context,
        |limits| limits.account(route_id(policy)),
        account,
        || ApiError::internal("a route limited by account was served without its limiter"),
    )
    .await
}

/// A limit a handler checks itself (`Limits::check`), on a key only it knows, normalized and
/// hashed as an account's name is.
async fn limit_by_name(context: &RequestContext, name: &str, key: &str) -> Result<(), ApiError> {
    spend_by_name(
        context,
        |limits| limits.handler_limit(name),
        key,
        || {
            ApiError::internal(format!(
                "no limit named `{name}`: declare it with Router::limit"
            ))
        },
    )
    .await
}

/// Spends one request on the limiter `pick` finds, counted under the keyed hash of `name` (an
/// account's, or a key only a handler knows); `missing` when the app has no such limiter.
async fn spend_by_name(
    context: &RequestContext,
    pick: impl FnOnce(&RateLimits) -> Option<&Limiter>,
    name: &str,
    missing: impl FnOnce() -> ApiError,
) -> Result<(), ApiError> {
    let found = context
        .settings()
        .rate
        .as_ref()
        .and_then(|limits| Some((pick(limits)?, limits.account_keys())));
    let Some((limiter, keys)) = found else {
        return Err(missing());
    };
    let key = keys.key_of(name);
    spend(context, limiter, ClientKey::Account(&key)).await
}

/// Step 6: the resource the route acts on, loaded by its path id and granted by the route's
/// rule `P` to the verified caller; else `404` (or `403`, as the route or the config says).
async fn load_resource<S, T, P>(parts: &mut Parts, state: &S) -> Result<T, ApiError>
where
    S: Send + Sync,
    T: Resource<S>,
    P: OwnershipRule<T> + crate::policy::RoutePolicy,
{
    let context = RequestContext::of(parts)?;
    // The guard, which runs first, has verified the token of every route with an owner.
    let identity = context.identity().ok_or_else(|| {
        ApiError::internal("Owned<T> on a route whose guard did not authenticate")
    })?;
    let deny_default = context.settings().deny_as;
    let Path(id) = Path::<T::Id>::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::not_found().with_reason("resource id in the path does not parse"))?;
    let Some(resource) = T::load(id, state).await? else {
        return Err(ApiError::not_found().with_reason("no resource with this id"));
    };
    if P::grants(&resource, &identity.subject) {
        return Ok(resource);
    }
    let error = match P::POLICY.deny().unwrap_or(deny_default) {
        DenyAs::NotFound => ApiError::not_found(),
        DenyAs::Forbidden => ApiError::forbidden(),
    };
    Err(error
        .with_reason("the resource is not the caller's")
        .with_decision(Decision::Forbidden))
}

/// Step 9, on the way out: every answer, whoever made it, leaves as a client may see it, with
/// the headers, and is recorded.
fn finish(mut response: Response, context: &RequestContext, exchange: &Exchange) -> Response {
    let status = response.status();
    let request_id = context.request_id();
    let decision = if status.is_client_error() || status.is_server_error() {
        let (for_client, report) = error::for_client(response, request_id);
        response = for_client;
        log_error(status, request_id, report.cause.as_deref());
        report.decision
    } else {
        Decision::Allowed
    };
    let headers = response.headers_mut();
    context
        .settings()
        .transport
        .headers
        .apply(headers, context.scheme() == Scheme::Https);
    headers.insert(REQUEST_ID_HEADER, request_id.header_value());
    context.write_rate_headers(headers);
    record(context, exchange, status, decision);
    response
}

/// What the pipeline's service remembers of a request until its answer.
pub(crate) struct Exchange {
    started: Instant,
    method: Method,
}

fn record(
    context: &RequestContext,
    exchange: &Exchange,
    status: http::StatusCode,
    decision: Decision,
) {
    let request_id = context.request_id();
    audit::record(&AuditRecord {
        request_id: request_id.as_str(),
        method: exchange.method.as_str(),
        route: context.route().map_or("<unmatched>", MatchedPath::as_str),
        status,
        user_id: context.user_id(),
        decision,
        latency: exchange.started.elapsed(),
        client_ip: context.client_address(),
        auth_scheme: context.auth_scheme(),
        credential_id: context.credential_id(),
        target: context.target(),
    });
}

fn log_error(status: http::StatusCode, request_id: RequestId, cause: Option<&str>) {
    let request_id = request_id.as_str();
    if status.is_server_error() {
        tracing::error!(target: "secure_api::error", request_id, status = status.as_u16(), cause, "request failed");
    } else {
        tracing::info!(target: "secure_api::error", request_id, status = status.as_u16(), cause, "request refused");
    }
}
