//! Rate limits in memory, through the real router: quotas, the exact GCRA timing on tokio's
//! paused clock, headers, keys (address, trusted proxies, IPv6, user), the general limit, the
//! pipeline order, and the limiter held against `governor`'s.

mod common;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::*;
use secure_api::__private::MemoryLimiter;
use secure_api::authz::Resource;
use secure_api::prelude::*;
use secure_api::rate::{Quota, TrustedProxies};
use secure_api::routing::SecureService;
use secure_api::routing::{get, post};
use secure_api::{Router, SecurityConfig};
use serde_json::json;
use tower::ServiceExt;

#[secure(public, rate = "5/15m", rate_message = "Too many login attempts")]
async fn login() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public)]
async fn open_a() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public)]
async fn open_b() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "2/1m")]
async fn limited() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(auth, rate = "2/1m")]
async fn by_user() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(auth, rate = "10/1m")]
async fn ten_per_minute() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[derive(serde::Deserialize, validator::Validate, Input)]
struct Login {
    #[validate(length(min = 3, max = 254))]
    email: String,
    #[validate(length(min = 1, max = 128))]
    password: String,
}

/// Every attempt fails, as a password guess does.
#[secure(public, rate = "100/1m", account_rate = "3/1m", account_key = "email")]
async fn guess(Json(login): Json<Login>) -> StatusCode {
    let _ = login.password;
    StatusCode::UNAUTHORIZED
}

/// Two ways in to one account (a token login and a cookie login) share one budget by name.
#[secure(public, rate = "3/1m", rate_name = "login")]
async fn token_login() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "3/1m", rate_name = "login")]
async fn cookie_login() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, rate = "5/1m", rate_name = "login")]
async fn other_quota_login() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[derive(serde::Deserialize, validator::Validate, Input)]
struct Invite {
    #[validate(length(min = 3, max = 254))]
    email: String,
}

/// A limit on a key only the handler knows: invitations to one address.
#[secure(public)]
async fn invite(
    limits: secure_api::rate::Limits,
    Json(invite): Json<Invite>,
) -> ApiResult<StatusCode> {
    limits.check("invite", &invite.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A handler checking a limit nobody declared: a server bug, answered `500`.
#[secure(public)]
async fn undeclared(limits: secure_api::rate::Limits) -> ApiResult<StatusCode> {
    limits.check("nowhere", "key").await?;
    Ok(StatusCode::ACCEPTED)
}

const CLIENT: [u8; 4] = [203, 0, 113, 9];

/// The app as one service, so that every request meets the same limiters.
fn service(router: Router) -> SecureService {
    router.with_config(hs256_config()).into_service()
}

fn from(peer: impl Into<std::net::IpAddr>, request: http::Request<Body>) -> http::Request<Body> {
    let mut request = request;
    let peer = SocketAddr::new(peer.into(), 40_000);
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

fn post_from(peer: impl Into<std::net::IpAddr>, uri: &str) -> http::Request<Body> {
    from(peer, http::Request::post(uri).body(Body::empty()).unwrap())
}

fn get_from(peer: impl Into<std::net::IpAddr>, uri: &str) -> http::Request<Body> {
    from(peer, get_request(uri))
}

async fn call(app: &SecureService, request: http::Request<Body>) -> Reply {
    read(app.clone().oneshot(request).await.unwrap()).await
}

fn token_for(user: &str) -> String {
    let mut claims = valid_claims();
    claims["sub"] = json!(user);
    hs256_token(&claims)
}

#[tokio::test(start_paused = true)]
async fn five_attempts_pass_then_the_sixth_waits_exactly_one_interval() {
    let app = service(Router::new().route("/login", post(login)));
    for remaining in (0..5).rev() {
        let reply = call(&app, post_from(CLIENT, "/login")).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
        assert_eq!(
            reply.header("ratelimit-policy"),
            Some("\"login\";q=5;w=900")
        );
        let state = format!("\"login\";r={remaining};t=180");
        assert_eq!(reply.header("ratelimit"), Some(state.as_str()));
        assert_eq!(reply.header("retry-after"), None);
    }
    let refused = call(&app, post_from(CLIENT, "/login")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.body_without_request_id(),
        json!({"error": "Too many login attempts"})
    );
    assert_eq!(refused.header("retry-after"), Some("180"));
    assert_eq!(refused.header("ratelimit"), Some("\"login\";r=0;t=180"));
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some("\"login\";q=5;w=900")
    );
    assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));

    // 100 s later the first refill is 80 s away; a refused attempt spends nothing.
    tokio::time::advance(Duration::from_secs(100)).await;
    let refused = call(&app, post_from(CLIENT, "/login")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), Some("80"));
    // One interval after the burst: exactly one attempt passes.
    tokio::time::advance(Duration::from_secs(80)).await;
    let reply = call(&app, post_from(CLIENT, "/login")).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.header("ratelimit"), Some("\"login\";r=0;t=180"));
    let refused = call(&app, post_from(CLIENT, "/login")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), Some("180"));
}

#[tokio::test(start_paused = true)]
async fn after_a_long_idle_exactly_the_burst_passes() {
    let app = service(Router::new().route("/login", post(login)));
    call(&app, post_from(CLIENT, "/login")).await;
    tokio::time::advance(Duration::from_secs(10 * 3600)).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(
            call(&app, post_from(CLIENT, "/login"))
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [204, 204, 204, 204, 204, 429, 429]);
}

#[tokio::test(start_paused = true)]
async fn clients_have_their_own_budgets_and_cannot_forge_another_address() {
    let app = service(Router::new().route("/limited", post(limited)));
    for _ in 0..2 {
        assert_eq!(call(&app, post_from(CLIENT, "/limited")).await.status, 204);
    }
    // Rotating X-Forwarded-For from an untrusted peer changes nothing.
    for forged in ["1.1.1.1", "2.2.2.2", "198.51.100.1, 3.3.3.3"] {
        let mut request = post_from(CLIENT, "/limited");
        request
            .headers_mut()
            .insert("x-forwarded-for", forged.parse().unwrap());
        assert_eq!(call(&app, request).await.status, 429, "{forged}");
    }
    assert_eq!(
        call(&app, post_from([203, 0, 113, 10], "/limited"))
            .await
            .status,
        204
    );
    // The IPv4-mapped form of the same client is the same client.
    let mapped: std::net::Ipv6Addr = "::ffff:203.0.113.9".parse().unwrap();
    assert_eq!(call(&app, post_from(mapped, "/limited")).await.status, 429);
}

#[tokio::test(start_paused = true)]
async fn ipv6_clients_count_by_their_64() {
    let app = service(Router::new().route("/limited", post(limited)));
    let one: std::net::Ipv6Addr = "2001:db8:1:2::1".parse().unwrap();
    let same_64: std::net::Ipv6Addr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
    let other_64: std::net::Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(call(&app, post_from(one, "/limited")).await.status, 204);
    assert_eq!(call(&app, post_from(same_64, "/limited")).await.status, 204);
    assert_eq!(call(&app, post_from(one, "/limited")).await.status, 429);
    assert_eq!(
        call(&app, post_from(other_64, "/limited")).await.status,
        204
    );
}

#[tokio::test(start_paused = true)]
async fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
    let config = SecurityConfig::builder()
        .auth(hs256_config().auth().clone())
        .trusted_proxies("10.0.0.0/8".parse::<TrustedProxies>().unwrap())
        .build()
        .unwrap();
    let app = Router::new()
        .route("/limited", post(limited))
        .with_config(config)
        .into_service();
    let through_proxy = |forwarded: &str| {
        let mut request = post_from([10, 0, 0, 2], "/limited");
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
        request
    };
    // The client forged the left entry; the proxy appended the real one on the right.
    for _ in 0..2 {
        let reply = call(&app, through_proxy("6.6.6.6, 198.51.100.7")).await;
        assert_eq!(reply.status, 204);
    }
    assert_eq!(
        call(&app, through_proxy("7.7.7.7, 198.51.100.7"))
            .await
            .status,
        429
    );
    assert_eq!(call(&app, through_proxy("198.51.100.8")).await.status, 204);
}

#[tokio::test]
async fn a_server_without_peer_addresses_fails_closed() {
    let app = service(Router::new().route("/limited", post(limited)));
    let request = http::Request::post("/limited").body(Body::empty()).unwrap();
    let reply = call(&app, request).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        reply.body_without_request_id(),
        json!({"error": "An unexpected error occurred"})
    );
}

#[tokio::test(start_paused = true)]
async fn the_general_limit_covers_routes_added_before_and_after_it_in_one_budget() {
    let app = service(
        Router::new()
            .route("/api/a", get(open_a))
            .rate_limit("/api", "3/1m")
            .route("/api/b", get(open_b))
            .route("/apis", get(limited))
            .route("/login", post(login)),
    );
    let mut statuses = Vec::new();
    for path in ["/api/a", "/api/b", "/api/a", "/api/b"] {
        statuses.push(call(&app, get_from(CLIENT, path)).await.status.as_u16());
    }
    assert_eq!(statuses, [204, 204, 204, 429]);
    let refused = call(&app, get_from(CLIENT, "/api/b")).await;
    assert_eq!(refused.header("ratelimit"), Some("\"api\";r=0;t=20"));
    assert_eq!(refused.header("retry-after"), Some("20"));
    // `/apis` and `/login` are not under `/api`: their own limits only.
    let reply = call(&app, get_from(CLIENT, "/apis")).await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("ratelimit-policy"),
        Some("\"limited\";q=2;w=60")
    );
    assert_eq!(call(&app, post_from(CLIENT, "/login")).await.status, 204);
}

/// Probes are requests too: unknown paths and wrong methods under a limited prefix spend its
/// budget, before routing, so a scan cannot go on unlimited beside the real routes.
#[tokio::test(start_paused = true)]
async fn unknown_paths_and_wrong_methods_under_a_prefix_count_against_its_limit() {
    let app = service(
        Router::new()
            .route("/api/a", get(open_a))
            .rate_limit("/api", "5/1m")
            .route("/elsewhere", get(open_b)),
    );
    let probes = [
        get_from(CLIENT, "/api/nowhere"),
        get_from(CLIENT, "/api/a/deeper"),
        get_from(CLIENT, "/api"),
        post_from(CLIENT, "/api/a"),
    ];
    let mut statuses = Vec::new();
    for probe in probes {
        let reply = call(&app, probe).await;
        statuses.push(reply.status.as_u16());
        assert!(reply.header("ratelimit").is_some(), "{statuses:?}");
    }
    assert_eq!(statuses, [404, 404, 404, 405]);
    // Outside the prefix, nothing is counted against it.
    assert_eq!(call(&app, get_from(CLIENT, "/nowhere")).await.status, 404);
    let last = call(&app, get_from(CLIENT, "/api/a")).await;
    assert_eq!(last.status, 204);
    assert_eq!(last.header("ratelimit"), Some("\"api\";r=0;t=12"));
    assert_eq!(
        call(&app, get_from(CLIENT, "/api/nowhere")).await.status,
        429
    );
    assert_eq!(call(&app, get_from(CLIENT, "/api/a")).await.status, 429);
    // Another client has its own budget.
    assert_eq!(
        call(&app, get_from([198, 51, 100, 1], "/api/a"))
            .await
            .status,
        204
    );
}

#[tokio::test(start_paused = true)]
async fn routes_of_one_rate_name_share_one_budget() {
    let app = service(
        Router::new()
            .route("/token", post(token_login))
            .route("/cookie", post(cookie_login)),
    );
    let mut statuses = Vec::new();
    for path in ["/token", "/cookie", "/token", "/cookie", "/token"] {
        let reply = call(&app, post_from(CLIENT, path)).await;
        assert_eq!(
            reply.header("ratelimit-policy"),
            Some("\"login\";q=3;w=60"),
            "{path}"
        );
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, [204, 204, 204, 429, 429]);
}

#[test]
#[should_panic(expected = "routes named `login` share one budget")]
fn routes_of_one_rate_name_with_other_quotas_stop_start_up() {
    let _ = service(
        Router::new()
            .route("/token", post(token_login))
            .route("/other", post(other_quota_login)),
    );
}

#[tokio::test(start_paused = true)]
async fn a_handler_checks_a_declared_limit_on_its_own_key() {
    let router = Router::new()
        .route("/invitations", post(invite))
        .route("/undeclared", post(undeclared))
        .limit("invite", "2/1m");
    let table = router.inventory().to_string();
    assert!(
        table.contains("LIMIT   invite: 2/1m (checked by handlers)"),
        "{table}"
    );
    let app = service(router);
    let to = |email: &str| {
        let body = serde_json::json!({ "email": email }).to_string();
        from(CLIENT, post_json("/invitations", &body))
    };
    assert_eq!(call(&app, to("ada@example.com")).await.status, 202);
    let second = call(&app, to("ADA@example.com ")).await;
    assert_eq!(second.status, 202);
    assert_eq!(second.header("ratelimit"), Some("\"invite\";r=0;t=30"));
    let refused = call(&app, to("ada@example.com")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.body_without_request_id(),
        serde_json::json!({ "error": "Too many requests" })
    );
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some("\"invite\";q=2;w=60")
    );
    assert_eq!(call(&app, to("bob@example.com")).await.status, 202);
    let undeclared = post_from(CLIENT, "/undeclared");
    assert_eq!(call(&app, undeclared).await.status, 500);
}

#[test]
#[should_panic(expected = "public routes without a rate limit (require_limits): GET /open")]
fn require_limits_refuses_a_public_route_that_no_limit_covers() {
    let _ = service(
        Router::new()
            .route("/open", get(open_a))
            .route("/limited", post(limited))
            .route("/me", post(by_user))
            .require_limits(),
    );
}

#[test]
fn an_unlimited_public_route_is_named_in_a_warning_and_covered_ones_pass() {
    let logs = Captured::default();
    let _guard = logs.install();
    let _ = service(
        Router::new()
            .route("/api/a", get(open_a))
            .rate_limit("/api", "10/1m")
            .route("/limited", post(limited))
            .require_limits(),
    );
    assert!(logs.events("secure_api::routing").is_empty());
    let _ = service(Router::new().route("/open", get(open_b)));
    let warnings = logs.events("secure_api::routing");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].fields["routes"], "GET /open");
}

fn guess_from(peer: [u8; 4], email: &str) -> http::Request<Body> {
    let body = serde_json::json!({ "email": email, "password": "hunter2" }).to_string();
    from(peer, post_json("/login", &body))
}

/// Guesses at one account from many addresses: the address limit never sees more than one
/// from each, the account's limit counts them all, under any spelling of the account.
#[tokio::test(start_paused = true)]
async fn a_limit_by_account_counts_attempts_on_it_from_every_address() {
    let app = service(Router::new().route("/login", post(guess)));
    let spellings = [
        "ada@example.com",
        "Ada@Example.com",
        "  ada@example.com ",
        "\u{ff41}\u{ff44}\u{ff41}@example.com",
        "ADA@EXAMPLE.COM",
    ];
    let mut statuses = Vec::new();
    for (i, email) in spellings.into_iter().enumerate() {
        let reply = call(
            &app,
            guess_from([198, 51, 100, u8::try_from(i).unwrap()], email),
        )
        .await;
        statuses.push(reply.status.as_u16());
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(reply.header("retry-after"), Some("20"));
            assert_eq!(
                reply.header("ratelimit-policy"),
                Some("\"guess\";q=100;w=60, \"guess.account\";q=3;w=60")
            );
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    // Another account has its own budget, from an address already seen.
    let reply = call(&app, guess_from([198, 51, 100, 0], "bob@example.com")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.header("ratelimit"),
        Some("\"guess\";r=98;t=1, \"guess.account\";r=2;t=20")
    );
    // A body that fails validation names no account and spends none of its budget.
    let invalid = from([198, 51, 100, 9], post_json("/login", r#"{"email":"x"}"#));
    assert_eq!(call(&app, invalid).await.status, StatusCode::BAD_REQUEST);
    tokio::time::advance(Duration::from_secs(20)).await;
    assert_eq!(
        call(&app, guess_from(CLIENT, "ada@example.com"))
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "one attempt back after one interval"
    );
}

#[tokio::test(start_paused = true)]
async fn a_general_limit_and_a_route_limit_both_apply_and_routes_never_share() {
    let app = service(
        Router::new()
            .route("/api/limited", post(limited))
            .route("/api/login", post(login))
            .rate_limit("/api", "100/15m"),
    );
    let reply = call(&app, post_from(CLIENT, "/api/limited")).await;
    assert_eq!(
        reply.header("ratelimit-policy"),
        Some("\"api\";q=100;w=900, \"limited\";q=2;w=60")
    );
    assert_eq!(
        reply.header("ratelimit"),
        Some("\"api\";r=99;t=9, \"limited\";r=1;t=30")
    );
    call(&app, post_from(CLIENT, "/api/limited")).await;
    let refused = call(&app, post_from(CLIENT, "/api/limited")).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("30"));
    // The login route's budget is untouched by the other route's requests.
    let reply = call(&app, post_from(CLIENT, "/api/login")).await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("ratelimit"),
        Some("\"api\";r=96;t=9, \"login\";r=4;t=180")
    );
}

#[tokio::test(start_paused = true)]
async fn a_nested_router_limit_covers_its_prefix() {
    let api = Router::new()
        .route("/a", get(open_a))
        .rate_limit("/", "1/1m");
    let app = service(Router::new().nest("/api/v1", api).route("/b", get(open_b)));
    assert_eq!(call(&app, get_from(CLIENT, "/api/v1/a")).await.status, 204);
    assert_eq!(call(&app, get_from(CLIENT, "/api/v1/a")).await.status, 429);
    assert_eq!(call(&app, get_from(CLIENT, "/b")).await.status, 204);
}

#[tokio::test(start_paused = true)]
async fn authenticated_routes_count_by_verified_user_after_authentication() {
    let app = service(Router::new().route("/mine", get(by_user)));
    let alice = token_for("alice");
    let bob = token_for("bob");
    for _ in 0..2 {
        let reply = call(&app, from(CLIENT, get_with_token("/mine", &alice))).await;
        assert_eq!(reply.status, 204);
    }
    let refused = call(&app, from(CLIENT, get_with_token("/mine", &alice))).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("30"));
    // Same address, another user: a budget of its own. No peer address is needed either.
    let reply = call(&app, get_with_token("/mine", &bob)).await;
    assert_eq!(reply.status, 204);
    // Without a valid token the answer is 401, and nobody's budget is spent.
    let reply = call(&app, from(CLIENT, get_request("/mine"))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("ratelimit"), None);
    assert_eq!(call(&app, get_with_token("/mine", &bob)).await.status, 204);
}

#[tokio::test(start_paused = true)]
async fn a_flood_is_refused_before_any_token_work() {
    let app = service(
        Router::new()
            .route("/mine", get(by_user))
            .rate_limit("/", "1/1m"),
    );
    let first = call(&app, from(CLIENT, get_request("/mine"))).await;
    assert_eq!(first.status, 401);
    // An exhausted address limit answers 429 even to a forged token: it was never verified.
    let forged = call(&app, from(CLIENT, get_with_token("/mine", "not.a.token"))).await;
    assert_eq!(forged.status, 429);
}

#[derive(Clone, Sanitized)]
struct Note {
    owner: String,
}

#[derive(Clone, Default)]
struct Loads(Arc<AtomicUsize>);

impl Resource<Loads> for Note {
    type Id = u64;

    async fn load(_id: u64, loads: &Loads) -> Result<Option<Self>, ApiError> {
        loads.0.fetch_add(1, Ordering::SeqCst);
        Ok(Some(Note {
            owner: "alice".into(),
        }))
    }
}

#[secure(auth, owner = "owner", rate = "1/1m")]
async fn read_note(note: Owned<Note>) -> Json<Note> {
    Json(note.into_inner())
}

#[tokio::test(start_paused = true)]
async fn the_resource_loader_does_not_run_when_rate_limiting_refuses() {
    let loads = Loads::default();
    let app = Router::new()
        .route("/notes/{id}", get(read_note))
        .with_state(loads.clone())
        .with_config(hs256_config())
        .into_service();
    let alice = token_for("alice");
    assert_eq!(
        call(&app, get_with_token("/notes/1", &alice)).await.status,
        200
    );
    assert_eq!(loads.0.load(Ordering::SeqCst), 1);
    let refused = call(&app, get_with_token("/notes/1", &alice)).await;
    assert_eq!(refused.status, 429);
    assert_eq!(loads.0.load(Ordering::SeqCst), 1, "refused before loading");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_against_ten_admit_exactly_ten() {
    let app = service(Router::new().route("/ten", get(ten_per_minute)));
    let token = token_for("alice");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let app = app.clone();
            let token = token.clone();
            tokio::spawn(async move { call(&app, get_with_token("/ten", &token)).await.status })
        })
        .collect();
    let mut admitted = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap().as_u16() {
            204 => admitted += 1,
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((admitted, refused), (10, 40));
}

#[tokio::test(start_paused = true)]
async fn refusals_are_audited_as_rate_limited() {
    let logs = Captured::default();
    let _guard = logs.install();
    let app = service(Router::new().route("/limited", post(limited)));
    for _ in 0..3 {
        call(&app, post_from(CLIENT, "/limited")).await;
    }
    let decisions: Vec<String> = logs
        .events("secure_api::audit")
        .iter()
        .map(|event| event.fields["decision"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(decisions, ["allowed", "allowed", "rate_limited"]);
    // The address is the audit record's `client_ip`, and in no other line.
    for event in logs.events("secure_api::audit") {
        assert_eq!(event.fields["client_ip"], "203.0.113.9");
    }
    let elsewhere = logs
        .events("secure_api::rate")
        .iter()
        .chain(&logs.events("secure_api::error"))
        .any(|event| {
            serde_json::to_string(&event.fields)
                .unwrap()
                .contains("203.0.113.9")
        });
    assert!(!elsewhere, "a client address outside the audit record");
}

#[test]
#[should_panic(expected = "secure-api: invalid rate limit for `/api`: unknown time unit")]
fn a_bad_general_quota_stops_start_up() {
    let _: Router = Router::new().rate_limit("/api", "100/15x");
}

/// The in-memory limiter decides exactly as `governor` does for the same quota, on a long
/// irregular sequence of request times.
#[test]
fn the_limiter_agrees_with_governor() {
    use governor::clock::FakeRelativeClock;
    for (text, count, interval) in [("5/15m", 5, 180), ("3/1h", 3, 1200), ("10/1s", 10, 0)] {
        let quota: Quota = text.parse().unwrap();
        let ours = MemoryLimiter::new(quota, 16);
        let interval = if interval == 0 {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(interval)
        };
        let clock = FakeRelativeClock::default();
        let reference = governor::RateLimiter::direct_with_clock(
            governor::Quota::with_period(interval)
                .unwrap()
                .allow_burst(NonZeroU32::new(count).unwrap()),
            clock.clone(),
        );
        let mut now = Duration::ZERO;
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut allowed = 0;
        for step in 0..5_000 {
            // Gaps from nothing to a little over two intervals, in milliseconds.
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let gap_ms = (seed >> 33) % (2 * u64::try_from(interval.as_millis()).unwrap() + 50);
            let gap = Duration::from_millis(if step % 7 < 4 { 0 } else { gap_ms });
            now += gap;
            clock.advance(gap);
            let mine = ours.check_at(b"client", now).is_allowed();
            assert_eq!(
                mine,
                reference.check().is_ok(),
                "{text}, request {step} at {now:?}"
            );
            allowed += usize::from(mine);
        }
        assert!(
            allowed > 100 && allowed < 5_000,
            "{text}: the sequence tests both answers"
        );
    }
}

#[test]
#[should_panic(expected = "the rate limit prefix `api` must start with `/`")]
fn a_general_limit_prefix_must_be_a_path() {
    let _: Router = Router::new().rate_limit("api", "1/1h");
}

fn strict_routes() -> Router {
    #[secure(public, rate = "1/1h")]
    async fn login() -> StatusCode {
        StatusCode::NO_CONTENT
    }
    Router::new().route("/strict", post(login))
}

fn lenient_routes() -> Router {
    #[secure(public, rate = "100/1m")]
    async fn login() -> StatusCode {
        StatusCode::NO_CONTENT
    }
    Router::new().route("/lenient", post(login))
}

#[tokio::test(start_paused = true)]
async fn handlers_of_one_name_in_one_module_keep_their_own_limits() {
    let app = service(strict_routes().merge(lenient_routes()));
    let lenient = call(&app, post_from(CLIENT, "/lenient")).await;
    assert_eq!(
        lenient.header("ratelimit-policy"),
        Some("\"login\";q=100;w=60")
    );
    assert_eq!(call(&app, post_from(CLIENT, "/strict")).await.status, 204);
    assert_eq!(call(&app, post_from(CLIENT, "/strict")).await.status, 429);
    assert_eq!(call(&app, post_from(CLIENT, "/lenient")).await.status, 204);
}
