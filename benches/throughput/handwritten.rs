//! The secured route's work by hand on axum, assembled the way each crate's docs show it.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, MatchedPath, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tower::ServiceBuilder;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tracing_appender::non_blocking::WorkerGuard;

use crate::bare::{PlainPost, PlainPosts};

#[derive(Clone)]
struct AppState {
    posts: PlainPosts,
    keys: Arc<Keys>,
    per_user: Arc<DefaultKeyedRateLimiter<String>>,
}

/// Built once: the key, and the rules every token is held to (HS256, `exp` required).
struct Keys {
    decoding: DecodingKey,
    validation: Validation,
}

#[derive(serde::Deserialize)]
struct Claims {
    sub: String,
}

/// The caller, from a bearer token verified on this very request.
struct CurrentUser(String);

/// The caller's id, passed to the log line in the response's extensions.
#[derive(Clone)]
struct LoggedUser(String);

enum Refusal {
    Unauthorized,
    TooManyRequests,
    NotFound,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, error) = match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "Invalid token"),
            Self::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
            Self::NotFound => (StatusCode::NOT_FOUND, "Not found"),
        };
        (status, Json(serde_json::json!({ "error": error }))).into_response()
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(Refusal::Unauthorized)?;
        let keys = &state.keys;
        let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation)
            .map_err(|_| Refusal::Unauthorized)?;
        let user = data.claims.sub;
        state
            .per_user
            .check_key(&user)
            .map_err(|_| Refusal::TooManyRequests)?;
        Ok(Self(user))
    }
}

/// The owner, or anyone once published; anyone else gets a 404 as for a missing post.
async fn read_post(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<u64>,
) -> (Extension<LoggedUser>, Result<Json<PlainPost>, Refusal>) {
    let post = state
        .posts
        .get(&id)
        .filter(|post| post.author_id == user || post.is_published)
        .cloned()
        .map(Json)
        .ok_or(Refusal::NotFound);
    (Extension(LoggedUser(user)), post)
}

/// One JSON line per request.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let request_id = request.headers().get("x-request-id").cloned();
    let response = next.run(request).await;
    let user = response.extensions().get::<LoggedUser>();
    tracing::info!(
        request_id = request_id.as_ref().and_then(|id| id.to_str().ok()),
        method = method.as_str(),
        route = route.as_ref().map(MatchedPath::as_str),
        status = response.status().as_u16(),
        user_id = user.map(|user| user.0.as_str()),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

/// Serves on a port of its own; the guard keeps the log writer running.
pub(crate) fn start(secret: &str) -> (SocketAddr, WorkerGuard) {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp"]);
    let keys = Keys {
        decoding: DecodingKey::from_secret(secret.as_bytes()).unwrap(),
        validation,
    };
    let per_user = RateLimiter::keyed(Quota::per_second(NonZeroU32::new(1_000_000).unwrap()));
    let state = AppState {
        posts: crate::bare::plain_posts(),
        keys: Arc::new(keys),
        per_user: Arc::new(per_user),
    };

    // By peer address, as tower_governor's README has it, background clean-up included: one
    // more request every microsecond, bursts of a million.
    let by_address = GovernorConfigBuilder::default()
        .per_nanosecond(1_000)
        .burst_size(1_000_000)
        .finish()
        .unwrap();
    let limiter = Arc::clone(by_address.limiter());
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(60));
            limiter.retain_recent();
        }
    });

    let set =
        |name, value| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    let app = axum::Router::new()
        .route("/api/posts/{id}", get(read_post))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .layer(set(header::X_FRAME_OPTIONS, "DENY"))
                .layer(set(
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
                ))
                .layer(set(header::CACHE_CONTROL, "no-store"))
                .layer(set(header::REFERRER_POLICY, "no-referrer"))
                .layer(set(
                    header::HeaderName::from_static("cross-origin-resource-policy"),
                    "same-origin",
                ))
                .layer(middleware::from_fn(log_request))
                .layer(GovernorLayer::new(by_address)),
        )
        .with_state(state);

    // The subscriber is this server's workers' default, the process's global one being the
    // secured app's: `subscriber::set_default` of one shared dispatcher, its guard leaked.
    let (writer, guard) = tracing_appender::non_blocking(std::io::sink());
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(writer)
        .finish();
    let logs = tracing::Dispatch::new(subscriber);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.on_thread_start(move || std::mem::forget(tracing::dispatcher::set_default(&logs)));
    let address = crate::serve_on_own_runtime("hand-written", runtime, |listener| {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).into_future()
    });
    (address, guard)
}
