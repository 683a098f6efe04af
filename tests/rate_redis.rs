//! Rate limits and revoked tokens on Redis, through the real router: several instances of one
//! app share one budget and one revocation list, concurrent requests never pass more than the
//! quota, and an outage of Redis answers `503` (fail closed) or lets requests through (fail
//! open), promptly, and recovers on its own when Redis returns.
//!
//! Finding Redis: the tests that share a server use `REDIS_URL`, else `redis://127.0.0.1:6379`,
//! and check it with a raw `PING` first. When none answers they fail if `CI` is set, and
//! otherwise say `SKIPPED` on stderr (past the test harness's capture) and pass; start one with
//! `redis-server --daemonize yes`. Each test writes under its own random key prefix, so tests
//! running in parallel never share a budget. The outage tests never stop the shared server: each
//! runs its own `redis-server` child on a free port, killed when the test ends, even on panic.

mod common;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::*;
use secure_api::SecurityConfig;
use secure_api::auth::{AuthConfig, JwtKey, TokenRequest};
use secure_api::prelude::*;
use secure_api::rate::{FailureMode, RedisStore};
use secure_api::routing::get;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

/// The address every `oneshot` request comes from.
const CLIENT: ([u8; 4], u16) = ([203, 0, 113, 9], 4000);

/// The longest an answer may take while Redis is down: the store's timeout is 500 ms.
const PROMPT: Duration = Duration::from_secs(3);

/// How many clients the concurrency test runs at once, against a quota of 10.
const CLIENTS: usize = 50;

/// How long Redis may take to come back, and the app to notice it did.
const RECOVERY: Duration = Duration::from_secs(10);

#[secure(public, rate = "10/1m")]
async fn h() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(auth, rate = "3/1m")]
async fn feed(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

fn app(config: SecurityConfig) -> secure_api::Router {
    secure_api::Router::new()
        .route("/x", get(h))
        .route("/api/x", get(h))
        .route("/feed", get(feed))
        .route("/me", get(me))
        .rate_limit("/api", "100/15m")
        .with_config(config)
}

type Service = secure_api::routing::SecureService;

/// One instance of the app: its own connection to Redis, under the app's key prefix, with
/// revoked tokens on Redis too; limits and revocations answer an outage as `failure` says.
fn instance(url: &str, prefix: &str, failure: FailureMode) -> (SecurityConfig, Service) {
    instance_with(url, prefix, failure, failure)
}

fn instance_with(
    url: &str,
    prefix: &str,
    limits: FailureMode,
    revocations: FailureMode,
) -> (SecurityConfig, Service) {
    let store = RedisStore::open(url)
        .unwrap()
        .key_prefix(prefix)
        .failure_mode(limits);
    let auth = AuthConfig::builder()
        .key(JwtKey::hs256(SECRET).unwrap())
        .revocation_store(store.revocations().failure_mode(revocations))
        .build()
        .unwrap();
    let config = SecurityConfig::builder()
        .auth(auth)
        .redis(store)
        .build()
        .unwrap();
    (config.clone(), app(config).into_service())
}

fn unique_prefix() -> String {
    format!("test-{}:", uuid::Uuid::new_v4())
}

/// Sends `request` from [`CLIENT`].
async fn call(service: &Service, request: http::Request<Body>) -> Reply {
    call_from(CLIENT, service, request).await
}

async fn call_from(
    client: impl Into<SocketAddr>,
    service: &Service,
    mut request: http::Request<Body>,
) -> Reply {
    request.extensions_mut().insert(ConnectInfo(client.into()));
    read(service.clone().oneshot(request).await.unwrap()).await
}

/// As [`call`], and fails if the answer takes longer than [`PROMPT`].
async fn call_promptly(service: &Service, request: http::Request<Body>) -> Reply {
    tokio::time::timeout(PROMPT, call(service, request))
        .await
        .expect("the app hung instead of answering while Redis is down")
}

/// `RateLimit: "api";r=97;t=28, "h";r=7;t=18` as `[("api", 97, 28), ("h", 7, 18)]`.
fn rate_items(reply: &Reply) -> Vec<(String, u64, u64)> {
    let header = reply.header("ratelimit").expect("a RateLimit header");
    header
        .split(", ")
        .map(|item| {
            let mut fields = item.split(';');
            let name = fields.next().unwrap().trim_matches('"').to_owned();
            let mut value = |key| fields.next()?.strip_prefix(key)?.parse().ok();
            (name, value("r=").unwrap(), value("t=").unwrap())
        })
        .collect()
}

/// A refusal, whose `Retry-After` is at most `interval` seconds: one request's share of the window.
fn assert_too_many(reply: &Reply, interval: u64) {
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{reply:?}");
    assert_eq!(
        reply.body_without_request_id(),
        json!({"error": "Too many requests"})
    );
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=interval).contains(&retry), "Retry-After {retry}");
}

fn assert_unavailable(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{reply:?}");
    assert_eq!(
        reply.body_without_request_id(),
        json!({"error": "Service unavailable"})
    );
    assert!(reply.header("ratelimit").is_none(), "{reply:?}");
}

/// A `redis-server` of the test's own, on a free port, to stop and start again. Killed on drop.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    /// A running server, or `None` when the test is to be skipped (no `redis-server`).
    async fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self { port, child: None };
        match server.spawn() {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                skip_or_fail(
                    "no `redis-server` on PATH for the outage tests",
                    "install redis-server",
                );
                return None;
            }
            Err(error) => panic!("cannot start redis-server: {error}"),
        }
        server.wait_until_ready().await;
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        Ok(())
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + RECOVERY;
        let address = format!("127.0.0.1:{}", self.port);
        while !answers_ping(&address).await {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("redis-server on port {} exited: {status}", self.port);
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The outage: the server is killed, as a crash would.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server back on the same port, empty.
    async fn restart(&mut self) {
        self.stop();
        self.spawn().unwrap();
        self.wait_until_ready().await;
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

// Shared budgets.

#[tokio::test]
async fn two_instances_share_one_budget() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let prefix = unique_prefix();
    let (_, first) = instance(&url, &prefix, FailureMode::Closed);
    let (_, second) = instance(&url, &prefix, FailureMode::Closed);

    let mut allowed = 0;
    for n in 0..30_u64 {
        let service = if n % 2 == 0 { &first } else { &second };
        let reply = call(service, get_request("/api/x")).await;
        // The general limit counts every request, refused or not: it is checked first.
        let items = rate_items(&reply);
        assert_eq!(items[0].0, "api", "{reply:?}");
        assert_eq!(items[0].1, 99 - n, "{reply:?}");
        if n < 10 {
            assert_eq!(
                reply.status,
                StatusCode::NO_CONTENT,
                "request {n}: {reply:?}"
            );
            assert_eq!(
                reply.header("ratelimit-policy"),
                Some(r#""api";q=100;w=900, "h";q=10;w=60"#)
            );
            // One count across both instances: 9, 8, ... whichever instance answers.
            let (name, remaining, reset) = &items[1];
            assert_eq!((name.as_str(), *remaining), ("h", 9 - n), "{reply:?}");
            assert!((1..=60).contains(reset), "{reply:?}");
            assert!(reply.header("retry-after").is_none());
            allowed += 1;
        } else {
            assert_too_many(&reply, 6);
            assert_eq!((items[1].0.as_str(), items[1].1), ("h", 0), "{reply:?}");
        }
    }
    assert_eq!(allowed, 10);

    // Another address has its own budget, on both instances.
    let reply = call_from(([198, 51, 100, 7], 5000), &second, get_request("/x")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    assert_eq!(rate_items(&reply)[0].1, 9);
}

/// One raw HTTP/1.1 `GET /x` over its own connection, sent when every task is connected.
async fn raw_get(address: SocketAddr, start: Arc<tokio::sync::Barrier>) -> String {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    start.wait().await;
    stream
        .write_all(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_pass_exactly_the_quota() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let (config, _) = instance(&url, &unique_prefix(), FailureMode::Closed);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let app = app(config).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).await.unwrap();
    });

    let start = Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(raw_get(address, start.clone())))
        .collect();
    let (mut allowed, mut refused) = (0, 0);
    for task in tasks {
        let response = tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .expect("a request hung")
            .unwrap();
        let status = response.split(' ').nth(1).unwrap_or_default();
        let lower = response.to_ascii_lowercase();
        match status {
            "204" => allowed += 1,
            "429" => {
                assert!(lower.contains("\r\nretry-after: "), "{response}");
                refused += 1;
            }
            _ => panic!("unexpected answer: {response}"),
        }
        assert!(lower.contains("\r\nratelimit: \"h\";r="), "{response}");
    }
    server.abort();
    assert_eq!((allowed, refused), (10, 40));
}

#[tokio::test]
async fn users_are_counted_across_instances_whatever_their_address() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let prefix = unique_prefix();
    let (first_config, first) = instance(&url, &prefix, FailureMode::Closed);
    let (second_config, second) = instance(&url, &prefix, FailureMode::Closed);
    // Two tokens of user A, one minted by each instance: the limit counts the user, not the token.
    let alice = [
        first_config
            .auth()
            .mint(&TokenRequest::new("alice"))
            .unwrap(),
        second_config
            .auth()
            .mint(&TokenRequest::new("alice"))
            .unwrap(),
    ];
    let bob = first_config.auth().mint(&TokenRequest::new("bob")).unwrap();

    for n in 0..3_u64 {
        let (service, token) = if n % 2 == 0 {
            (&first, &alice[0])
        } else {
            (&second, &alice[1])
        };
        let reply = call(service, get_with_token("/feed", &token.token)).await;
        assert_eq!(reply.status, StatusCode::OK, "request {n}: {reply:?}");
        assert_eq!(reply.text, "alice");
        assert_eq!(reply.header("ratelimit-policy"), Some(r#""feed";q=3;w=60"#));
        let items = rate_items(&reply);
        assert_eq!((items[0].0.as_str(), items[0].1), ("feed", 2 - n));
    }
    for (service, token) in [(&second, &alice[0]), (&first, &alice[1])] {
        assert_too_many(
            &call(service, get_with_token("/feed", &token.token)).await,
            20,
        );
    }

    // Bob, from the same address, on either instance, still has his whole budget.
    for (n, service) in [&second, &first].into_iter().enumerate() {
        let reply = call(service, get_with_token("/feed", &bob.token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert_eq!(reply.text, "bob");
        assert_eq!(rate_items(&reply)[0].1, 2 - n as u64);
    }
}

// Redis going away and coming back.

#[tokio::test]
async fn an_outage_fails_closed_or_open_promptly_and_recovers() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let (_, closed) = instance(&redis.url(), &unique_prefix(), FailureMode::Closed);
    let (_, open) = instance(&redis.url(), &unique_prefix(), FailureMode::Open);
    for service in [&closed, &open] {
        let reply = call(service, get_request("/x")).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
        assert_eq!(rate_items(&reply)[0].1, 9);
    }

    redis.stop();
    // Several times: the broken connection first, then reconnection attempts.
    for _ in 0..3 {
        assert_unavailable(&call_promptly(&closed, get_request("/x")).await);
        let reply = call_promptly(&open, get_request("/x")).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
        assert!(reply.header("ratelimit").is_none(), "{reply:?}");
        assert!(reply.header("ratelimit-policy").is_none(), "{reply:?}");
    }

    redis.restart().await;
    // The app notices on its own; until then it keeps answering promptly as its mode says.
    let deadline = Instant::now() + RECOVERY;
    let first = loop {
        let reply = call_promptly(&closed, get_request("/x")).await;
        if reply.status == StatusCode::NO_CONTENT {
            break reply;
        }
        assert_unavailable(&reply);
        assert!(Instant::now() < deadline, "no recovery within {RECOVERY:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The restarted server is empty: a fresh budget, enforced again.
    assert_eq!(rate_items(&first)[0].1, 9, "{first:?}");
    for n in 1..10_u64 {
        let reply = call(&closed, get_request("/x")).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "request {n}: {reply:?}"
        );
        assert_eq!(rate_items(&reply)[0].1, 9 - n);
    }
    assert_too_many(&call(&closed, get_request("/x")).await, 6);

    let deadline = Instant::now() + RECOVERY;
    loop {
        let reply = call_promptly(&open, get_request("/x")).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
        if reply.header("ratelimit").is_some() {
            assert_eq!(rate_items(&reply)[0].1, 9, "{reply:?}");
            break;
        }
        assert!(Instant::now() < deadline, "no recovery within {RECOVERY:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// Revoked tokens.

#[tokio::test]
async fn a_token_revoked_on_one_instance_is_refused_by_all() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let prefix = unique_prefix();
    let (first_config, first) = instance(&url, &prefix, FailureMode::Closed);
    let (_, second) = instance(&url, &prefix, FailureMode::Closed);
    let revoked = first_config
        .auth()
        .mint(&TokenRequest::new("user-1"))
        .unwrap();
    let kept = first_config
        .auth()
        .mint(&TokenRequest::new("user-1"))
        .unwrap();
    for service in [&first, &second] {
        let reply = call(service, get_with_token("/me", &revoked.token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }

    first_config
        .auth()
        .revoke(&revoked.token_id, revoked.expires_at)
        .await
        .unwrap();

    for service in [&second, &first] {
        let reply = call(service, get_with_token("/me", &revoked.token)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
        assert_eq!(
            reply.body_without_request_id(),
            json!({"error": "Invalid token"})
        );
        let reply = call(service, get_with_token("/me", &kept.token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert_eq!(reply.text, "user-1");
    }

    // Another app on the same Redis, under another prefix, has its own list.
    let (_, other_app) = instance(&url, &unique_prefix(), FailureMode::Closed);
    let reply = call(&other_app, get_with_token("/me", &revoked.token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

#[tokio::test]
async fn revocation_checks_fail_closed_or_open_while_redis_is_down() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let (closed_config, closed) = instance(&redis.url(), &unique_prefix(), FailureMode::Closed);
    let (open_config, open) = instance(&redis.url(), &unique_prefix(), FailureMode::Open);
    // Limits that fail open do not make revocation checks fail open: they have their own
    // setting, closed unless chosen.
    let (_, open_limits_only) = instance_with(
        &redis.url(),
        &unique_prefix(),
        FailureMode::Open,
        FailureMode::Closed,
    );
    let token = closed_config
        .auth()
        .mint(&TokenRequest::new("user-1"))
        .unwrap();
    for service in [&closed, &open, &open_limits_only] {
        let reply = call(service, get_with_token("/me", &token.token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }

    redis.stop();
    for _ in 0..3 {
        assert_unavailable(&call_promptly(&closed, get_with_token("/me", &token.token)).await);
        assert_unavailable(
            &call_promptly(&open_limits_only, get_with_token("/me", &token.token)).await,
        );
        let reply = call_promptly(&open, get_with_token("/me", &token.token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert_eq!(reply.text, "user-1");
    }
    // Revoking is never skipped, whatever the mode: the caller learns it did not happen.
    for config in [&closed_config, &open_config] {
        let revoking = config.auth().revoke(&token.token_id, token.expires_at);
        let result = tokio::time::timeout(PROMPT, revoking).await.unwrap();
        assert!(
            result.is_err(),
            "a revocation reported done while Redis is down"
        );
    }

    redis.restart().await;
    let deadline = Instant::now() + RECOVERY;
    while call_promptly(&closed, get_with_token("/me", &token.token))
        .await
        .status
        != StatusCode::OK
    {
        assert!(Instant::now() < deadline, "no recovery within {RECOVERY:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    closed_config
        .auth()
        .revoke(&token.token_id, token.expires_at)
        .await
        .unwrap();
    let reply = call(&closed, get_with_token("/me", &token.token)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:?}");
}

#[tokio::test]
async fn two_general_limits_on_one_prefix_keep_separate_counts() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let store = RedisStore::open(&url).unwrap().key_prefix(unique_prefix());
    let config = SecurityConfig::builder()
        .auth(hs256_config().auth().clone())
        .redis(store)
        .build()
        .unwrap();
    // The article's 100 per 15 minutes, and a daily cap beside it.
    let service = secure_api::Router::new()
        .route("/api/x", get(me_or_public))
        .rate_limit("/api", "100/15m")
        .rate_limit("/api", "1000/1d")
        .with_config(config)
        .into_service();
    for n in 0..20_u32 {
        let reply = call(&service, get_request("/api/x")).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "request {n}: {reply:?}"
        );
        let expected = format!("\"api\";r={};t=9, \"api\";r={};t=87", 99 - n, 999 - n);
        assert_eq!(
            reply.header("ratelimit"),
            Some(expected.as_str()),
            "{reply:?}"
        );
    }
    // A probe of an unknown path under the prefix spends both budgets too.
    let probe = call(&service, get_request("/api/nowhere")).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND, "{probe:?}");
    assert_eq!(
        probe.header("ratelimit"),
        Some("\"api\";r=79;t=9, \"api\";r=979;t=87"),
        "{probe:?}"
    );
}

#[secure(public)]
async fn me_or_public() -> StatusCode {
    StatusCode::NO_CONTENT
}

// Limits by account.

#[derive(serde::Deserialize, validator::Validate, Input)]
struct Login {
    #[validate(length(min = 3, max = 254))]
    email: String,
}

#[secure(public, account_rate = "3/1m", account_key = "email")]
async fn guess(Json(login): Json<Login>) -> StatusCode {
    let _ = login.email;
    StatusCode::UNAUTHORIZED
}

/// One instance limiting by account on Redis, hashing account names with `secret`.
fn account_instance(url: &str, prefix: &str, secret: &str) -> Service {
    let store = RedisStore::open(url).unwrap().key_prefix(prefix);
    let config = SecurityConfig::builder()
        .auth(hs256_config().auth().clone())
        .redis(store)
        .rate_key_secret(secret)
        .build()
        .unwrap();
    secure_api::Router::new()
        .route("/login", secure_api::routing::post(guess))
        .with_config(config)
        .into_service()
}

/// The names of Redis keys that start with `prefix`, asked for with a raw `KEYS`.
async fn keys_under(address: &str, prefix: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let pattern = format!("{prefix}*");
    let command = format!("*2\r\n$4\r\nKEYS\r\n${}\r\n{pattern}\r\n", pattern.len());
    stream.write_all(command.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let mut buffer = [0_u8; 4096];
    // A short reply: whatever arrives within 200 ms.
    while let Ok(Ok(read)) =
        tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await
    {
        if read == 0 {
            break;
        }
        reply.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn account_budgets_are_shared_on_redis_under_hashed_keys_only() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let prefix = unique_prefix();
    let secret = "a rate key secret of thirty-two bytes!!";
    let first = account_instance(&url, &prefix, secret);
    let second = account_instance(&url, &prefix, secret);
    let body = json!({ "email": "Ada@Example.com" }).to_string();
    let mut statuses = Vec::new();
    for n in 0..5_u8 {
        let service = if n % 2 == 0 { &first } else { &second };
        let peer = ([198, 51, 100, n], 4000);
        let reply = call_from(peer, service, post_json("/login", &body)).await;
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    let keys = keys_under(&redis_address(&url), &prefix).await;
    assert!(keys.contains("account:"), "{keys}");
    let lowered = keys.to_lowercase();
    assert!(
        !lowered.contains("ada") && !lowered.contains("example"),
        "an account name in a Redis key: {keys}"
    );
}

/// The same endpoint's handler, before and after a refactoring moved it to another module.
mod before {
    use secure_api::prelude::*;
    #[secure(public, rate = "3/1m")]
    pub async fn posts() -> StatusCode {
        StatusCode::NO_CONTENT
    }
}

mod after {
    pub(crate) mod moved {
        use secure_api::prelude::*;
        #[secure(public, rate = "3/1m")]
        pub async fn list_posts() -> StatusCode {
            StatusCode::NO_CONTENT
        }
    }
}

/// A budget on Redis is the endpoint's: a deployment that moves or renames the handler keeps
/// every client's count (a key by module path would hand everyone a fresh budget).
#[tokio::test]
async fn budgets_survive_a_handler_moving_to_another_module() {
    let Some(url) = shared_redis().await else {
        return;
    };
    let prefix = unique_prefix();
    let deployment = |router: secure_api::Router| {
        let store = RedisStore::open(&url).unwrap().key_prefix(&prefix);
        let config = SecurityConfig::builder()
            .auth(hs256_config().auth().clone())
            .redis(store)
            .build()
            .unwrap();
        router.with_config(config).into_service()
    };
    let old = deployment(secure_api::Router::new().route("/posts", get(before::posts)));
    for _ in 0..2 {
        assert_eq!(
            call(&old, get_request("/posts")).await.status,
            StatusCode::NO_CONTENT
        );
    }
    let new = deployment(secure_api::Router::new().route("/posts", get(after::moved::list_posts)));
    let reply = call(&new, get_request("/posts")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    assert_eq!(rate_items(&reply)[0].1, 0, "{reply:?}");
    assert_too_many(&call(&new, get_request("/posts")).await, 60);
}

/// What the load saw, by phase of the outage.
#[derive(Default)]
struct Seen {
    /// (phase, status, whether the answer carried `RateLimit`).
    answers: Vec<(u8, StatusCode, bool)>,
    slowest: Duration,
}

const UP: u8 = 0;
const DOWN: u8 = 1;
const BACK: u8 = 2;

/// Redis killed while 32 clients keep calling, then started again: every answer comes
/// promptly and is the configured one (`503` closed, unlimited `204` open), and the limits are
/// back with no restart of the app.
#[tokio::test]
async fn an_outage_under_load_answers_as_configured_and_recovers() {
    use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    for failure in [FailureMode::Closed, FailureMode::Open] {
        let (_, service) = instance(&redis.url(), &unique_prefix(), failure);
        let phase = Arc::new(AtomicU8::new(UP));
        let stop = Arc::new(AtomicBool::new(false));
        let next_client = Arc::new(AtomicU32::new(0));
        let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
        let workers: Vec<_> = (0..32)
            .map(|_| {
                let (service, phase, stop) = (service.clone(), phase.clone(), stop.clone());
                let (next_client, seen) = (next_client.clone(), seen.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        // A new address each time: within every limit while Redis counts.
                        let n = next_client.fetch_add(1, Ordering::Relaxed).to_be_bytes();
                        let client = ([10, n[1], n[2], n[3]], 4000);
                        let asked = phase.load(Ordering::Relaxed);
                        let started = Instant::now();
                        let reply = tokio::time::timeout(
                            PROMPT,
                            call_from(client, &service, get_request("/x")),
                        )
                        .await
                        .expect("an answer within 3 s, Redis up or down");
                        let mut seen = seen.lock().unwrap();
                        seen.slowest = seen.slowest.max(started.elapsed());
                        let limited = reply.header("ratelimit").is_some();
                        // A request in flight while the phase changed may answer either way.
                        let phase = if phase.load(Ordering::Relaxed) == asked {
                            asked
                        } else {
                            u8::MAX
                        };
                        seen.answers.push((phase, reply.status, limited));
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Between phases, either answer: requests in flight when Redis dies, or before the
        // app has reconnected.
        phase.store(u8::MAX, Ordering::Relaxed);
        redis.stop();
        // Requests already at Redis when it died may still answer as if up: settle first.
        tokio::time::sleep(Duration::from_secs(1)).await;
        phase.store(DOWN, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(1)).await;
        phase.store(u8::MAX, Ordering::Relaxed);
        redis.restart().await;
        // Recovery: the app reconnects on its own within RECOVERY; measure after it.
        let deadline = Instant::now() + RECOVERY;
        loop {
            let reply = call_from(([192, 0, 2, 200], 1), &service, get_request("/x")).await;
            if reply.status == StatusCode::NO_CONTENT && reply.header("ratelimit").is_some() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{failure:?}: no recovery within {RECOVERY:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        phase.store(BACK, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.await.unwrap();
        }

        let seen = seen.lock().unwrap();
        let count = |wanted: u8| seen.answers.iter().filter(|a| a.0 == wanted).count();
        assert!(
            count(UP) > 10 && count(DOWN) > 10 && count(BACK) > 10,
            "{failure:?}"
        );
        for &(phase, status, limited) in &seen.answers {
            let expected = match (phase, failure) {
                (UP | BACK, _) => (StatusCode::NO_CONTENT, true),
                (DOWN, FailureMode::Closed) => (StatusCode::SERVICE_UNAVAILABLE, false),
                (DOWN, FailureMode::Open) => (StatusCode::NO_CONTENT, false),
                _ => continue,
            };
            assert_eq!((status, limited), expected, "{failure:?}, phase {phase}");
        }
        eprintln!(
            "{failure:?}: {} answers ({} up, {} down, {} back), slowest {:?}",
            seen.answers.len(),
            count(UP),
            count(DOWN),
            count(BACK),
            seen.slowest
        );
    }
}
