//! The secure router: axum's `Router`, but every route has a declared policy.
//!
//! [`Router`] and [`get`], [`post`], [`put`], [`patch`], [`delete`] mirror axum's names, so
//! moving an app over is a change of imports. What is missing is missing on purpose: there is no
//! `route_service`, `nest_service` or `fallback`, because a service or fallback of one's own would
//! answer clients around the policy check. Unknown paths answer the framework's JSON `404`, and
//! a method a path does not serve answers `405` with `Allow`.

mod inventory;
mod method;
mod openapi;

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::Request;
use axum::response::IntoResponse;
use axum::routing::Route;
use axum::routing::future::RouteFuture;
use http::Method;
use tower::util::Either;
use tower::util::future::EitherResponseFuture;
use tower::{Layer, Service};
use tower_http::cors::Cors;

pub use inventory::Inventory;
pub use method::{MethodRouter, delete, get, head, options, patch, post, put, trace};
pub use openapi::OpenApiDocument;

use crate::authz::DenyAs;
use crate::config::SecurityConfig;
use crate::error::ApiError;
use crate::pipeline::{
    GateFuture, GateLayer, GateService, ResponseFuture, SecurityLayer, SecurityService,
};
use crate::policy::Policy;
use crate::rate::{GeneralLimit, HandlerLimit, IntoQuota, RateLimits, RouteId, RouteLimit};

/// A route of the secure router, as the inventory lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    /// The HTTP method.
    pub method: Method,
    /// The path template, with nesting prefixes (`/api/v1/posts/{id}`).
    pub path: String,
    /// The declared policy.
    pub policy: Policy,
}

/// A router that only takes `#[secure]` handlers.
///
/// ```
/// use secure_api::prelude::*;
/// use secure_api::routing::get;
///
/// #[secure(public)]
/// async fn health() -> &'static str { "ok" }
///
/// let app: secure_api::Router = secure_api::Router::new().route("/health", get(health));
/// assert_eq!(app.routes()[0].path, "/health");
/// ```
///
/// A handler without a policy does not compile:
///
/// ```compile_fail,E0277
/// use secure_api::routing::get;
///
/// async fn health() -> &'static str { "ok" }
///
/// let app: secure_api::Router = secure_api::Router::new().route("/health", get(health));
/// //                                                       ^^^^^^ `fn() -> ... {health}` has no security policy
/// ```
#[must_use]
#[derive(Clone)]
pub struct Router<S = ()> {
    inner: axum::Router<S>,
    routes: Vec<RouteInfo>,
    general_limits: Vec<GeneralLimit>,
    handler_limits: Vec<HandlerLimit>,
    /// `require_limits`: a public route without a rate limit stops start-up.
    require_limits: bool,
    config: Option<SecurityConfig>,
}

impl<S> std::fmt::Debug for Router<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.routes)
            .field("general_limits", &self.general_limits)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S> Default for Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// An empty router. Give it a config with [`with_config`](Self::with_config); without one,
    /// it reads [`SecurityConfig::from_env`] when it is turned into a service.
    pub fn new() -> Self {
        Self {
            inner: axum::Router::new(),
            routes: Vec::new(),
            general_limits: Vec::new(),
            handler_limits: Vec::new(),
            require_limits: false,
            config: None,
        }
    }

    /// Routes `path` to the `#[secure]` handlers of `method_router`.
    ///
    /// # Panics
    ///
    /// Like axum, on an invalid path or one already routed for the same method.
    pub fn route(mut self, path: &str, method_router: MethodRouter<S>) -> Self {
        self.routes.extend(
            method_router
                .policies
                .into_iter()
                .map(|(method, policy)| RouteInfo {
                    method,
                    path: path.to_owned(),
                    policy,
                }),
        );
        self.inner = self.inner.route(path, method_router.inner);
        self
    }

    /// Serves `router`'s routes under the prefix `path` (`/api/v1`).
    ///
    /// # Panics
    ///
    /// Like axum, on an invalid prefix; and when `router` has a config of its own: an app has
    /// one security config, given to the outermost router, so that a nested router never
    /// silently trusts another's tokens.
    pub fn nest(mut self, path: &str, router: Router<S>) -> Self {
        assert!(
            router.config.is_none(),
            "secure-api: a nested router has its own SecurityConfig; give the config to the \
             outermost router only"
        );
        let prefix = path.trim_end_matches('/');
        self.routes
            .extend(router.routes.into_iter().map(|route| RouteInfo {
                // As axum serves them: a nested `/` is the prefix itself.
                path: if route.path == "/" {
                    prefix.to_owned()
                } else {
                    format!("{prefix}{}", route.path)
                },
                ..route
            }));
        self.general_limits
            .extend(router.general_limits.into_iter().map(|limit| GeneralLimit {
                prefix: format!("{prefix}{}", limit.prefix.trim_end_matches('/')),
                ..limit
            }));
        self.handler_limits.extend(router.handler_limits);
        self.inner = self.inner.nest(path, router.inner);
        self
    }

    /// Adds `other`'s routes to this router.
    ///
    /// # Panics
    ///
    /// Like axum, when the two routers serve the same path and method; and when `other` has a
    /// config of its own (see [`nest`](Self::nest)).
    pub fn merge(mut self, other: Router<S>) -> Self {
        assert!(
            other.config.is_none(),
            "secure-api: a merged router has its own SecurityConfig; give the config to the \
             outermost router only"
        );
        self.routes.extend(other.routes);
        self.general_limits.extend(other.general_limits);
        self.handler_limits.extend(other.handler_limits);
        self.require_limits |= other.require_limits;
        self.inner = self.inner.merge(other.inner);
        self
    }

    /// Wraps the routes added so far in a tower layer, as axum's `Router::layer` does. The
    /// security envelope (request id, error shape, headers, audit) always stays outermost.
    ///
    /// A layer runs before the route's policy guard, so it sees requests that the policy will
    /// refuse: a layer that answers by itself (a cache) answers around the policy. Prefer
    /// [`route_layer`](Self::route_layer) for layers that should only see matched routes, and
    /// keep answering layers out of a secure app.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.inner = self.inner.layer(layer);
        self
    }

    /// Wraps the routes added so far in a tower layer that runs only for matched routes, as
    /// axum's `Router::route_layer` does.
    pub fn route_layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.inner = self.inner.route_layer(layer);
        self
    }

    /// Gives the router its state, as axum's `Router::with_state` does.
    pub fn with_state<S2>(self, state: S) -> Router<S2> {
        Router {
            inner: self.inner.with_state(state),
            routes: self.routes,
            general_limits: self.general_limits,
            handler_limits: self.handler_limits,
            require_limits: self.require_limits,
            config: self.config,
        }
    }

    /// Limits every route under `prefix` (a path template prefix, by whole segments: `/api`
    /// covers `/api/v1/posts`, not `/apis`) to `quota` per client address, in one budget that
    /// all of them share: the article's general API limit, `.rate_limit("/api", "100/15m")`.
    ///
    /// It covers the routes under `prefix` whether they were added before or after this call,
    /// and applies on top of a route's own `rate`. It is checked before authentication, so a
    /// flood is refused before any token or database work. Responses name it `"api"` in the
    /// `RateLimit` headers.
    ///
    /// # Panics
    ///
    /// When `quota` is text that is not a quota (`"5/15x"`), with the reason: a bad quota must
    /// stop the app at start-up. Parse with [`Quota::from_str`](crate::rate::Quota) first to
    /// handle the error yourself. Also when `prefix` does not start with `/`, since it would
    /// cover nothing.
    pub fn rate_limit(mut self, prefix: &str, quota: impl IntoQuota) -> Self {
        assert!(
            prefix.starts_with('/'),
            "secure-api: the rate limit prefix `{prefix}` must start with `/`, as paths do"
        );
        let quota = quota.into_quota().unwrap_or_else(|error| {
            panic!("secure-api: invalid rate limit for `{prefix}`: {error}")
        });
        self.general_limits.push(GeneralLimit {
            prefix: prefix.to_owned(),
            quota,
        });
        self
    }

    /// Declares a limit that handlers check themselves, for keys only a handler knows (an
    /// invitation's address, a one-time code's target): `limits.check("invite", &key)` through
    /// the [`Limits`](crate::pipeline::Limits) extractor. Its `429` carries the same headers and
    /// body as a declared limit, it is named `name` in them, and the inventory lists it. Keys
    /// are normalized and hashed as a limit by account's are.
    ///
    /// # Panics
    ///
    /// When `quota` is not a quota, when `name` is not letters, digits, `_` and `-`, or when a
    /// limit of that name is declared twice: a mistake that must stop the app at start-up.
    pub fn limit(mut self, name: &str, quota: impl IntoQuota) -> Self {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        assert!(
            valid,
            "secure-api: the limit name `{name}` must be letters, digits, `_` and `-`"
        );
        assert!(
            !self.handler_limits.iter().any(|limit| limit.name == name),
            "secure-api: the limit `{name}` is declared twice"
        );
        let quota = quota
            .into_quota()
            .unwrap_or_else(|error| panic!("secure-api: invalid limit `{name}`: {error}"));
        self.handler_limits.push(HandlerLimit {
            name: name.to_owned(),
            quota,
        });
        self
    }

    /// Makes a `public` route that no rate limit covers (neither its own `rate` nor a general
    /// [`rate_limit`](Self::rate_limit)) stop start-up, instead of the warning it otherwise
    /// gets: anyone may call such a route as often as they like.
    pub fn require_limits(mut self) -> Self {
        self.require_limits = true;
        self
    }

    /// Sets the security configuration.
    pub fn with_config(mut self, config: SecurityConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The general limits (`rate_limit`), for the self-audit.
    #[cfg(feature = "testing")]
    pub(crate) fn general_limits(&self) -> &[GeneralLimit] {
        &self.general_limits
    }

    /// The config given with [`with_config`](Self::with_config), if any.
    #[cfg(feature = "testing")]
    pub(crate) fn config(&self) -> Option<&SecurityConfig> {
        self.config.as_ref()
    }

    /// Every route with its method and declared policy: the router's inventory. A route
    /// without a policy cannot be added, so the list is complete.
    pub fn routes(&self) -> &[RouteInfo] {
        &self.routes
    }

    /// An OpenAPI 3.1 document of the app, from the same policies the pipeline enforces: paths,
    /// methods and path parameters; the bearer `securityScheme` and each operation's `security`
    /// (`[]` on public routes); the error answers each route can give (`400`, `401`, `403`,
    /// `404`, `413`, `415`, `429`, `500`, with the error schema), and the declared policy as
    /// `x-secure-api`. Bodies, query parameters and success responses are described by the
    /// schemas of their `Input` and `Sanitized` types, in `components.schemas`; see
    /// [`crate::schema`].
    ///
    /// The document is a response a `#[secure(public)]` handler can return (serve it at
    /// `/openapi.json`), and [`OpenApiDocument::json`] reads it.
    pub fn openapi(&self, title: &str, version: &str) -> OpenApiDocument {
        let issuers: Vec<&str> = self
            .config
            .as_ref()
            .map(|config| config.auth().issuer_urls().collect())
            .unwrap_or_default();
        let configured = self
            .config
            .as_ref()
            .map_or(crate::policy::Schemes::BEARER, |config| {
                config.auth().schemes()
            });
        OpenApiDocument::new(openapi::document(
            title,
            version,
            &self.routes,
            &self.general_limits,
            &issuers,
            configured,
        ))
    }

    /// The inventory: every route with its policy and the general limits that cover it,
    /// printable as a table (`{}`) and as JSON ([`Inventory::to_json`]) for a CI job to diff.
    ///
    /// The `deny` column uses the router's config when it has one ([`with_config`](Self::with_config)),
    /// and the default (`404`) otherwise.
    pub fn inventory(&self) -> Inventory {
        let default_deny = self
            .config
            .as_ref()
            .map_or_else(DenyAs::default, SecurityConfig::deny_as);
        let inventory = Inventory::new(
            &self.routes,
            &self.general_limits,
            &self.handler_limits,
            default_deny,
        );
        match &self.config {
            Some(config) => inventory.with_token_sources(config.auth()),
            None => inventory,
        }
    }
}

impl<S> Router<S> {
    /// The `public` routes no rate limit covers, as `METHOD path`.
    fn unlimited_public_routes(&self) -> Vec<String> {
        self.routes
            .iter()
            .filter(|route| route.policy.access() == crate::policy::Access::Public)
            .filter(|route| route.policy.rate_limit().is_none())
            .filter(|route| {
                !self
                    .general_limits
                    .iter()
                    .any(|limit| crate::rate::covers(&limit.prefix, &route.path))
            })
            .map(|route| format!("{} {}", route.method.as_str(), route.path))
            .collect()
    }

    /// Warns of public routes without a rate limit, or with `require_limits` stops start-up.
    fn check_public_limits(&self) {
        let unlimited = self.unlimited_public_routes();
        if unlimited.is_empty() {
            return;
        }
        let list = unlimited.join(", ");
        assert!(
            !self.require_limits,
            "secure-api cannot start: public routes without a rate limit (require_limits): \
             {list}; give each a `rate` or cover it with `Router::rate_limit`"
        );
        tracing::warn!(
            target: "secure_api::routing",
            routes = %list,
            "public routes without a rate limit: anyone may call them as often as they like"
        );
    }
}

/// Stops start-up when an `auth` route accepts no scheme the app configured
/// (`auth = "api_key"` without an API-key store): nobody could ever call it.
fn check_schemes(routes: &[RouteInfo], auth: &crate::auth::AuthConfig) {
    let unreachable: Vec<String> = routes
        .iter()
        .filter(|route| route.policy.access() == crate::policy::Access::Authenticated)
        .filter(|route| {
            route
                .policy
                .schemes()
                .intersection(auth.schemes())
                .is_empty()
        })
        .map(|route| format!("{} {}", route.method.as_str(), route.path))
        .collect();
    assert!(
        unreachable.is_empty(),
        "secure-api cannot start: routes accept only schemes the app does not configure: {}; \
         give AuthConfigBuilder::api_keys a store or AuthConfigBuilder::sessions a config, or \
         accept `bearer`",
        unreachable.join(", ")
    );
}

impl Router<()> {
    /// The finished app: the pipeline around the router, with its config. Nothing can be
    /// added to it afterwards, which is why users get a service, not a router to extend.
    pub(crate) fn finish(mut self) -> (SecureService, SecurityConfig) {
        self.check_public_limits();
        let config = self.config.take().unwrap_or_else(|| {
            SecurityConfig::from_env()
                .unwrap_or_else(|error| panic!("secure-api cannot start: {error}"))
        });
        check_schemes(&self.routes, config.auth());
        let public = self
            .routes
            .iter()
            .filter(|route| route.policy.access() == crate::policy::Access::Public)
            .count();
        config.log_posture(crate::config::RouteCounts {
            public,
            authenticated: self.routes.len() - public,
        });
        let route_limits: Vec<RouteLimit> = self
            .routes
            .iter()
            .filter_map(|route| {
                let policy = &route.policy;
                let (rule, account) = (policy.rate_limit(), policy.account_limit());
                (rule.is_some() || account.is_some()).then_some(RouteLimit {
                    route: RouteId {
                        module: policy.module(),
                        handler: policy.handler(),
                        line: policy.line(),
                    },
                    endpoint: format!("{} {}", route.method.as_str(), route.path),
                    rule,
                    account,
                    name: policy.limits_name(),
                })
            })
            .collect();
        let rate = RateLimits::build(
            &route_limits,
            &self.general_limits,
            &self.handler_limits,
            &config.rate_settings(),
        )
        .unwrap_or_else(|error| panic!("secure-api cannot start: {error}"));
        let settings = Arc::new(config.pipeline_settings(rate));
        let body_limit = settings.transport.body_limit;
        // The gate inside CORS, so an allowed origin can read its answers (a redirect, a 413,
        // a 408) too; the pipeline's service outermost, so every answer, matched or not,
        // gets the JSON error shape, the headers and the audit record.
        // `with_state` turns every handler into its route once, here, rather than on each
        // request (axum's own make-services do the same).
        let router = GateLayer { body_limit }.layer(self.inner.fallback(not_found).with_state(()));
        let inner = match config.cors() {
            Some(cors) => Either::Left(cors.layer().layer(router)),
            None => Either::Right(router),
        };
        (
            SecureService(SecurityLayer::new(settings).layer(inner)),
            config,
        )
    }

    /// A `tower` service for the app, for tests (`ServiceExt::oneshot`) and custom servers.
    ///
    /// # Panics
    ///
    /// When no config was given and the environment's is invalid (production mode without a
    /// secret); build it with [`SecurityConfig::from_env`] yourself to handle that error.
    pub fn into_service(self) -> SecureService {
        self.finish().0
    }

    /// A make-service for `axum::serve` that records each connection's peer address, which
    /// address-keyed limits need (`into_make_service_with_connect_info::<SocketAddr>()`).
    /// [`crate::serve()`] does this and more: header timeouts, connection caps, TLS.
    ///
    /// # Panics
    ///
    /// As [`into_service`](Self::into_service).
    pub fn into_make_service_with_connect_info<C>(
        self,
    ) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, C> {
        self.into_axum().into_make_service_with_connect_info()
    }

    /// The app as an axum router, for axum's own make-services.
    fn into_axum(self) -> axum::Router {
        axum::Router::new().fallback_service(self.into_service())
    }
}

/// The finished app: the request pipeline around the router. Clone it per connection; call it
/// with any request body axum accepts.
#[derive(Clone)]
pub struct SecureService(
    SecurityService<Either<Cors<GateService<axum::Router>>, GateService<axum::Router>>>,
);

impl std::fmt::Debug for SecureService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureService").finish_non_exhaustive()
    }
}

impl<B> Service<http::Request<B>> for SecureService
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = ResponseFuture<
        EitherResponseFuture<
            tower_http::cors::ResponseFuture<GateFuture<RouteFuture<Infallible>>>,
            GateFuture<RouteFuture<Infallible>>,
        >,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        Service::<http::Request<B>>::poll_ready(&mut self.0, cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        self.0.call(request)
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found().with_reason("no route matches the path")
}
