//! What one request costs, counted rather than timed: allocations per request (a counting
//! allocator, all threads) and, run under callgrind by `benches/instructions.sh`, instructions
//! per request (all threads). Counts do not depend on the machine's load, so they can be
//! compared from run to run where timings cannot.
//!
//! Three routes answer `GET /api/posts/{id}` with the same post as JSON, in process through
//! `tower::ServiceExt::oneshot`:
//!
//! - `bare`: the handler on bare axum;
//! - `public`: `#[secure(public)]`, with the envelope (request id, headers, audit record);
//! - `secured`: `#[secure(auth, owner = "author_id", or = "is_published", rate = ...)]` with
//!   the general limit by address too: a verified bearer token (1,000 users in turn), the
//!   owner check through a resource loader, both rate limits, the audit record as JSON lines
//!   (`JsonLogs` writing to `io::sink`), the headers and the `Sanitized` response.
//!
//! Start-up does not count: the cost per request is `(count at 4N - count at N) / 3N`.
//!
//! - `cargo bench --bench overhead`: allocations per request for each route, and the budget
//!   (the secured route at most bare axum + 8).
//! - `bash benches/instructions.sh`: instructions per request for each route under callgrind,
//!   and the budget (the secured route at most bare axum + 8,000).
//! - `overhead --route secured --requests N` (the bench binary): serves N requests of one route
//!   and exits; the script runs it under callgrind.

use std::net::SocketAddr;

use axum::body::Body;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use http::{HeaderValue, Request, Uri, header};
use http_body_util::BodyExt;
use secure_api::authz::Resource;
use secure_api::prelude::*;
use secure_api::routing::get;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tower::ServiceExt;

#[global_allocator]
static ALLOCATOR: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const SECRET: &str = "a benchmark secret that is long enough!!";
const USERS: usize = 1_000;
const DEFAULT_REQUESTS: usize = 2_000;
/// The secured route's allocations may exceed bare axum's by this many (DESIGN.md).
const ALLOCATION_BUDGET: f64 = 8.0;

#[derive(Clone, Sanitized)]
struct Post {
    id: u64,
    author_id: String,
    title: String,
    is_published: bool,
}

/// Post `id` belongs to `user-{id % 1000}`; ids of an even thousand are published.
fn post(id: u64) -> Post {
    Post {
        id,
        author_id: format!("user-{}", id % USERS as u64),
        title: "Secure by construction".to_owned(),
        is_published: (id / USERS as u64).is_multiple_of(2),
    }
}

impl Resource<()> for Post {
    type Id = u64;

    async fn load(id: u64, _state: &()) -> Result<Option<Self>, ApiError> {
        Ok(Some(post(id)))
    }
}

#[secure(auth, owner = "author_id", or = "is_published", rate = "1000000/1s")]
async fn secured(post: Owned<Post>) -> Json<Post> {
    Json(post.into_inner())
}

#[secure(public)]
async fn public(Path(id): Path<u64>) -> Json<Post> {
    Json(post(id))
}

#[derive(serde::Serialize)]
struct BarePost {
    id: u64,
    author_id: String,
    title: String,
    is_published: bool,
}

async fn bare(axum::extract::Path(id): axum::extract::Path<u64>) -> axum::Json<BarePost> {
    let Post {
        id,
        author_id,
        title,
        is_published,
    } = post(id);
    axum::Json(BarePost {
        id,
        author_id,
        title,
        is_published,
    })
}

/// The post request `n` asks for: one of user `n % 1000`'s, of an odd thousand, so
/// unpublished, and only its owner passes the secured route's check.
fn path_id(n: usize) -> usize {
    n % USERS + USERS * (2 * (n / USERS) + 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Bare,
    Public,
    Secured,
}

impl Route {
    const ALL: [Self; 3] = [Self::Bare, Self::Public, Self::Secured];

    fn name(self) -> &'static str {
        match self {
            Self::Bare => "bare",
            Self::Public => "public",
            Self::Secured => "secured",
        }
    }
}

/// One route's app and the requests it is sent.
struct Client {
    app: tower::util::BoxCloneSyncService<
        Request<Body>,
        axum::response::Response,
        std::convert::Infallible,
    >,
    route: Route,
    /// The path of each request in turn.
    paths: Vec<Uri>,
    /// Each user's `Authorization` header; every route is sent the same requests.
    tokens: Vec<HeaderValue>,
    sent: usize,
}

impl Client {
    fn new(route: Route) -> Self {
        let auth = secure_api::auth::AuthConfig::builder()
            .key(secure_api::auth::JwtKey::hs256(SECRET).unwrap())
            .build()
            .unwrap();
        let tokens = (0..USERS)
            .map(|user| {
                let token = auth
                    .mint(&secure_api::auth::TokenRequest::new(format!("user-{user}")))
                    .unwrap()
                    .token;
                HeaderValue::from_maybe_shared(Bytes::from(format!("Bearer {token}"))).unwrap()
            })
            .collect();
        let config = secure_api::SecurityConfig::builder()
            .auth(auth)
            .build()
            .unwrap();
        let app = match route {
            Route::Bare => tower::util::BoxCloneSyncService::new(
                axum::Router::new()
                    .route("/api/posts/{id}", axum::routing::get(bare))
                    .into_service(),
            ),
            Route::Public => tower::util::BoxCloneSyncService::new(
                secure_api::Router::new()
                    .route("/api/posts/{id}", get(public))
                    .with_config(config)
                    .into_service(),
            ),
            Route::Secured => tower::util::BoxCloneSyncService::new(
                secure_api::Router::new()
                    .route("/api/posts/{id}", get(secured))
                    .rate_limit("/api", "1000000/1s")
                    .with_config(config)
                    .into_service(),
            ),
        };
        Self {
            app,
            route,
            paths: (0..USERS * 7)
                .map(|n| {
                    let path = format!("/api/posts/{}", path_id(n));
                    Uri::from_maybe_shared(Bytes::from(path)).unwrap()
                })
                .collect(),
            tokens,
            sent: 0,
        }
    }

    /// Sends one request (user `n % 1000` asks for a post of their own) and reads the answer.
    /// Every route gets the same request, token included, built from parts made beforehand,
    /// so that what differs between the counts is the server's work.
    async fn send(&mut self) {
        let n = self.sent % self.paths.len();
        self.sent += 1;
        let mut request = Request::new(Body::empty());
        *request.uri_mut() = self.paths[n].clone();
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, self.tokens[n % USERS].clone());
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([203, 0, 113, 9], 4711))));
        let response = self.app.clone().oneshot(request).await.unwrap();
        assert_eq!(
            response.status(),
            200,
            "{} refused a request",
            self.route.name()
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(!body.is_empty());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|at| args.get(at + 1))
    };
    let requests = value("--requests").map_or(DEFAULT_REQUESTS, |n| n.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _logs = secure_api::audit::JsonLogs::to_writer(std::io::sink())
        .init()
        .unwrap();
    if let Some(route) = value("--route") {
        let route = *Route::ALL
            .iter()
            .find(|r| r.name() == route)
            .expect("--route bare|public|secured");
        runtime.block_on(async {
            let mut client = Client::new(route);
            for _ in 0..requests {
                client.send().await;
            }
        });
        return;
    }
    println!("allocations per request, (count at 4N - count at N) / 3N with N = {requests}\n");
    println!(
        "{:<10} {:>12} {:>14}",
        "route", "allocations", "vs bare axum"
    );
    let mut bare = 0.0;
    let mut secured = 0.0;
    for route in Route::ALL {
        let per_request = runtime.block_on(async {
            let mut client = Client::new(route);
            for _ in 0..requests {
                client.send().await;
            }
            let region = Region::new(ALLOCATOR);
            for _ in 0..3 * requests {
                client.send().await;
            }
            #[allow(clippy::cast_precision_loss)]
            let per_request = region.change().allocations as f64 / (3 * requests) as f64;
            per_request
        });
        if route == Route::Bare {
            bare = per_request;
        }
        if route == Route::Secured {
            secured = per_request;
        }
        println!(
            "{:<10} {per_request:>12.1} {:>+14.1}",
            route.name(),
            per_request - bare
        );
    }
    let verdict = if secured - bare <= ALLOCATION_BUDGET {
        "met"
    } else {
        "NOT met"
    };
    println!("\nbudget: secured at most bare axum + {ALLOCATION_BUDGET}: {verdict}");
}
