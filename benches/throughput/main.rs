//! Three servers of the same endpoint, `GET /api/posts/{id}` over the same 1,000 in-memory posts,
//! over real HTTP on loopback, side by side in one run:
//!
//! - **bare axum**: the handler alone on `axum::serve`, no security.
//! - **hand-written axum**: the same work as the secured route, assembled from each crate's
//!   docs: a `jsonwebtoken` extractor verifying every request's bearer token (HS256, `exp`
//!   required, 401 JSON otherwise), `tower_governor` limiting by peer address and `governor`'s
//!   keyed limiter by user, an owner-or-published check (404 JSON otherwise), tower-http's six
//!   security headers and `x-request-id`, and one JSON `tracing` line per request through
//!   `tracing-subscriber` and `tracing-appender` to a sink.
//! - **secured**: `#[secure(auth, owner = "author_id", or = "is_published", rate = ...)]` with
//!   a `Resource` loader, the general limit `.rate_limit("/api", ...)`, JSON audit lines through
//!   `JsonLogs` to the same kind of sink, served by `secure_api::serve`.
//!
//! Post `i` belongs to `user-{i}` and every other post is published; each request asks for a
//! post its own user owns, with tokens of 1,000 users used in turn, so every request is allowed.
//! The rate quotas are so large that nothing is ever refused. The secured side remembers the
//! tokens it verified (while unexpired), which is one reason it can beat the hand-written stack,
//! which checks every request's signature anew.
//!
//! Each server has its own tokio runtime (2 worker threads) and the load its own: 32 keep-alive
//! HTTP/1.1 connections from this process. Rounds alternate between the servers; the summary
//! gives each server's median requests/s over the rounds, its p50 and p99 latency over all
//! requests, and the ratios against DESIGN.md's budgets: secured at least 0.85x bare axum and
//! at least 1.2x the hand-written stack.
//!
//! Run with `cargo bench --bench throughput`; `ROUND_SECS` (default 3) and `ROUNDS` (default 5)
//! change the rounds, `ONLY=secured` (or `bare`, `hand-written`) loads one server alone, for a
//! profiler, and `AXUM_SERVE=1` serves the secured app with `axum::serve` instead, to
//! tell the server loop's cost from the pipeline's.

// Request counts and rates are reported, not computed with: precision is no concern.
#![allow(clippy::cast_precision_loss)]

mod bare;
mod client;
mod handwritten;
mod secured;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use client::Reply;

/// Users and posts: post `i` belongs to `user-{i}`.
const USERS: u64 = 1_000;
const SECRET: &str = "a benchmark secret that is long enough!!";
/// The headers both secured servers must send, as `name: value` in lowercase.
const SECURITY_HEADERS: [&str; 6] = [
    "x-content-type-options: nosniff",
    "x-frame-options: deny",
    "content-security-policy: default-src 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
    "cache-control: no-store",
    "referrer-policy: no-referrer",
    "cross-origin-resource-policy: same-origin",
];
const BUDGET_BARE: f64 = 0.85;
const BUDGET_HANDWRITTEN: f64 = 1.2;

/// One post's fields, which each server wraps in its own type.
struct PostData {
    id: u64,
    author_id: String,
    title: String,
    is_published: bool,
}

fn posts() -> impl Iterator<Item = PostData> {
    (0..USERS).map(|id| PostData {
        id,
        author_id: user(id),
        title: format!("Post number {id}"),
        is_published: id.is_multiple_of(2),
    })
}

fn user(id: u64) -> String {
    format!("user-{id}")
}

fn request(post: u64, token: Option<&str>) -> Vec<u8> {
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    format!("GET /api/posts/{post} HTTP/1.1\r\nHost: bench\r\n{auth}\r\n").into_bytes()
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let round = Duration::from_secs_f64(env_or("ROUND_SECS", 3.0_f64).max(0.1));
    let rounds = env_or("ROUNDS", 5_usize).max(1);

    let auth = secure_api::auth::AuthConfig::builder()
        .key(secure_api::auth::JwtKey::hs256(SECRET).unwrap())
        .build()
        .unwrap();
    let tokens: Vec<String> = (0..USERS)
        .map(|id| {
            let request = secure_api::auth::TokenRequest::new(user(id));
            auth.mint(&request).unwrap().token
        })
        .collect();

    // The secured app's logs are the process's global subscriber; the hand-written app's are
    // installed on its own worker threads only.
    let (secured_address, _audit_logs) = secured::start(auth);
    let (handwritten_address, _handwritten_logs) = handwritten::start(SECRET);
    let bare_address = bare::start();

    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    load.block_on(check(
        bare_address,
        handwritten_address,
        secured_address,
        &tokens,
    ));

    let with_tokens: Arc<[Vec<u8>]> = (0..USERS)
        .map(|id| request(id, Some(&tokens[usize::try_from(id).unwrap()])))
        .collect();
    let without: Arc<[Vec<u8>]> = (0..USERS).map(|id| request(id, None)).collect();
    let servers = [
        ("bare axum", bare_address, without),
        (
            "hand-written",
            handwritten_address,
            Arc::clone(&with_tokens),
        ),
        ("secured", secured_address, with_tokens),
    ];

    println!(
        "{} keep-alive connections, {rounds} alternating rounds of {round:?}\n",
        client::CONNECTIONS
    );
    println!(
        "{:<8} {:>16} {:>16} {:>16}",
        "round", "bare axum rps", "hand-written rps", "secured rps"
    );
    let mut rates = vec![Vec::new(); servers.len()];
    let mut latencies = vec![Vec::new(); servers.len()];
    let only = std::env::var("ONLY").ok();
    for number in 1..=rounds {
        print!("{number:<8}");
        for (i, (name, address, requests)) in servers.iter().enumerate() {
            if only.as_deref().is_some_and(|only| only != *name) {
                print!(" {:>16}", "-");
                continue;
            }
            let result = load.block_on(client::load(*address, Arc::clone(requests), round));
            print!(" {:>16.0}", result.rate);
            std::io::stdout().flush().unwrap();
            rates[i].push(result.rate);
            latencies[i].extend(result.latencies);
        }
        println!();
    }

    println!(
        "\n{:<14} {:>12} {:>10} {:>10}",
        "server", "median rps", "p50", "p99"
    );
    let mut medians = Vec::new();
    for (i, (name, ..)) in servers.iter().enumerate() {
        if rates[i].is_empty() {
            continue;
        }
        let median = median(&mut rates[i]);
        let (p50, p99) = percentiles(&mut latencies[i]);
        println!("{name:<14} {median:>12.0} {p50:>10.1?} {p99:>10.1?}");
        medians.push(median);
    }
    println!();
    if only.is_some() {
        return;
    }
    ratio("secured / bare axum", medians[2] / medians[0], BUDGET_BARE);
    ratio(
        "secured / hand-written",
        medians[2] / medians[1],
        BUDGET_HANDWRITTEN,
    );
}

/// Every server answers, and the two secured ones really check.
async fn check(bare: SocketAddr, handwritten: SocketAddr, secured: SocketAddr, tokens: &[String]) {
    let owned = request(7, Some(&tokens[7]));
    let bare_reply = client::one(bare, &request(7, None)).await;
    assert_eq!(bare_reply.status, 200, "bare axum: {}", bare_reply.text);
    for (name, address) in [("hand-written", handwritten), ("secured", secured)] {
        let reply = client::one(address, &owned).await;
        assert_eq!(reply.status, 200, "{name}, owned post: {}", reply.text);
        assert_eq!(reply.body(), bare_reply.body(), "{name} answers other JSON");
        assert_headers(name, &reply);
        let cases = [
            ("no token", request(7, None), 401),
            (
                "a foreign unpublished post",
                request(1, Some(&tokens[0])),
                404,
            ),
            (
                "a foreign published post",
                request(2, Some(&tokens[0])),
                200,
            ),
        ];
        for (case, request, status) in cases {
            let reply = client::one(address, &request).await;
            assert_eq!(reply.status, status, "{name}, {case}: {}", reply.text);
            assert!(reply.body().starts_with('{'), "{name}, {case}: not JSON");
            assert_headers(name, &reply);
        }
    }
}

fn assert_headers(name: &str, reply: &Reply) {
    let head = reply.head().to_ascii_lowercase();
    for header in SECURITY_HEADERS.iter().chain(&["x-request-id: "]) {
        assert!(head.contains(header), "{name} did not send `{header}`");
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        f64::midpoint(values[middle - 1], values[middle])
    } else {
        values[middle]
    }
}

/// p50 and p99 of latencies in nanoseconds.
fn percentiles(nanos: &mut [u32]) -> (Duration, Duration) {
    nanos.sort_unstable();
    let at = |fraction: f64| {
        // The rank is within the slice, and a latency well within `u32` nanoseconds.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rank = ((nanos.len() - 1) as f64 * fraction).round() as usize;
        Duration::from_nanos(nanos.get(rank).copied().unwrap_or_default().into())
    };
    (at(0.50), at(0.99))
}

fn ratio(name: &str, value: f64, budget: f64) {
    let verdict = if value >= budget { "met" } else { "NOT met" };
    println!("{name:<24} {value:>6.2}x   budget >= {budget:.2}x: {verdict}");
}

/// Binds a loopback port and serves it from a thread of its own on a runtime of its own (two
/// worker threads, plus whatever `runtime` was given), so that each server's logging setup
/// stays its own.
fn serve_on_own_runtime<F, Fut>(
    name: &str,
    mut runtime: tokio::runtime::Builder,
    serve: F,
) -> SocketAddr
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let runtime = runtime
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                // On a worker thread, like the connections it spawns.
                tokio::spawn(serve(listener)).await.unwrap().unwrap();
            });
        })
        .unwrap();
    address
}
