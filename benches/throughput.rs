//! A fully secured route against the same handler on bare axum, over real HTTP on loopback, in
//! one run (DESIGN.md's budget: at least 90% of bare axum's requests per second).
//!
//! The secured route has everything on: a verified bearer token, an owner check through a
//! resource loader, a rate limit by user and the general limit by address, the audit record
//! (written as JSON lines to a sink through `JsonLogs`), the security headers and the
//! `Sanitized` response; it is served by `secure_api::serve`. The bare route is the same
//! handler body on `axum::serve`. Both answer the same JSON. The load is 32 keep-alive HTTP/1.1
//! connections from this process, so client and server share the machine alike for both.
//!
//! Run with `cargo bench --bench throughput`. To see where the difference goes: `NO_LOGS=1`
//! leaves the audit records unwritten (no subscriber), and `AXUM_SERVE=1` serves the secured
//! app with `axum::serve` instead of `secure_api::serve`.

// Request counts and rates are reported, not computed with: precision is no concern.
#![allow(clippy::cast_precision_loss)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use secure_api::authz::Resource;
use secure_api::prelude::*;
use secure_api::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 32;
const ROUND: Duration = Duration::from_secs(3);
const ROUNDS: usize = 3;
const SECRET: &str = "a benchmark secret that is long enough!!";

#[derive(Clone, Sanitized)]
struct Post {
    id: u64,
    author_id: String,
    title: String,
    published: bool,
}

fn post(id: u64) -> Post {
    Post {
        id,
        author_id: "ada".to_owned(),
        title: "Secure by construction".to_owned(),
        published: true,
    }
}

/// The same post for bare axum, which serializes it with serde as it is.
#[derive(serde::Serialize)]
struct BarePost {
    id: u64,
    author_id: String,
    title: String,
    published: bool,
}

impl Resource<()> for Post {
    type Id = u64;

    async fn load(id: u64, _state: &()) -> Result<Option<Self>, ApiError> {
        Ok(Some(post(id)))
    }
}

#[secure(auth, owner = "author_id", rate = "1000000/1s")]
async fn secured(post: Owned<Post>) -> Json<Post> {
    Json(post.into_inner())
}

async fn bare(axum::extract::Path(id): axum::extract::Path<u64>) -> axum::Json<BarePost> {
    let Post {
        id,
        author_id,
        title,
        published,
    } = post(id);
    axum::Json(BarePost {
        id,
        author_id,
        title,
        published,
    })
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let _logs = std::env::var_os("NO_LOGS").is_none().then(|| {
        secure_api::audit::JsonLogs::to_writer(std::io::sink())
            .init()
            .unwrap()
    });
    let auth = secure_api::auth::AuthConfig::builder()
        .key(secure_api::auth::JwtKey::hs256(SECRET).unwrap())
        .build()
        .unwrap();
    let token = auth
        .mint(&secure_api::auth::TokenRequest::new("ada"))
        .unwrap()
        .token;
    let config = secure_api::SecurityConfig::builder()
        .auth(auth)
        .build()
        .unwrap();

    let secured_app = secure_api::Router::new()
        .route("/posts/{id}", get(secured))
        .rate_limit("/posts", "1000000/1s")
        .with_config(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let secured_address = listener.local_addr().unwrap();
    if std::env::var_os("AXUM_SERVE").is_some() {
        let make = secured_app.into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, make).await.unwrap() });
    } else {
        tokio::spawn(secure_api::serve(listener, secured_app).into_future());
    }

    let bare_app = axum::Router::new().route("/posts/{id}", axum::routing::get(bare));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, bare_app).await.unwrap() });

    let secured_request =
        format!("GET /posts/7 HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n");
    let bare_request = "GET /posts/7 HTTP/1.1\r\nHost: bench\r\n\r\n".to_owned();
    // Both answer, and the secured one really checks: no token is a 401.
    assert!(
        one(secured_address, &secured_request)
            .await
            .starts_with("HTTP/1.1 200")
    );
    assert!(
        one(secured_address, &bare_request)
            .await
            .starts_with("HTTP/1.1 401")
    );
    assert!(
        one(bare_address, &bare_request)
            .await
            .starts_with("HTTP/1.1 200")
    );

    println!("{CONNECTIONS} keep-alive connections, {ROUNDS} alternating rounds of {ROUND:?}\n");
    println!(
        "{:<8} {:>16} {:>16} {:>8}",
        "round", "bare axum rps", "secured rps", "ratio"
    );
    let (mut bare_total, mut secured_total) = (0.0, 0.0);
    for round in 1..=ROUNDS {
        let bare_rps = load(bare_address, &bare_request).await;
        let secured_rps = load(secured_address, &secured_request).await;
        bare_total += bare_rps;
        secured_total += secured_rps;
        println!(
            "{round:<8} {bare_rps:>16.0} {secured_rps:>16.0} {:>7.1}%",
            100.0 * secured_rps / bare_rps
        );
    }
    println!(
        "{:<8} {:>16.0} {:>16.0} {:>7.1}%",
        "all",
        bare_total / ROUNDS as f64,
        secured_total / ROUNDS as f64,
        100.0 * secured_total / bare_total
    );
}

/// One request on a fresh connection; the response head and body as text.
async fn one(address: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buffer = Vec::new();
    read_response(&mut stream, &mut buffer).await;
    String::from_utf8_lossy(&buffer).into_owned()
}

/// Requests per second over `ROUND`, from `CONNECTIONS` keep-alive connections.
async fn load(address: SocketAddr, request: &str) -> f64 {
    let deadline = Instant::now() + ROUND;
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let request = request.as_bytes().to_vec();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(address).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let mut buffer = Vec::with_capacity(4096);
                let mut done = 0u64;
                while Instant::now() < deadline {
                    stream.write_all(&request).await.unwrap();
                    buffer.clear();
                    read_response(&mut stream, &mut buffer).await;
                    assert!(buffer.starts_with(b"HTTP/1.1 200"), "a refused request");
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0u64;
    for client in clients {
        total += client.await.unwrap();
    }
    total as f64 / ROUND.as_secs_f64()
}

/// Reads one response (head, then a `content-length` body) into `buffer`.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |value| value.trim().parse().unwrap());
            while buffer.len() < end + 4 + length {
                let read = stream.read(&mut chunk).await.unwrap();
                assert!(read > 0, "connection closed mid-response");
                buffer.extend_from_slice(&chunk[..read]);
            }
            return;
        }
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "connection closed before a response");
        buffer.extend_from_slice(&chunk[..read]);
    }
}
