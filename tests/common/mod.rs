//! Helpers shared by the integration tests: configs, token crafting, requests, log capture.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt;
use secure_api::SecurityConfig;
use secure_api::auth::{AuthConfig, JwtKey};
use secure_api::prelude::StatusCode;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A `Write` into memory that the test reads after the logs are flushed.
#[derive(Clone, Default)]
pub struct Buffer(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub const SECRET: &str = "test-secret-that-is-long-enough-0123456789";
pub const ISSUER: &str = "secure-api-tests";
pub const AUDIENCE: &str = "secure-api-tests-aud";

pub const RSA_PRIVATE: &str = include_str!("../keys/rsa-private.pem");
pub const RSA_PUBLIC: &str = include_str!("../keys/rsa-public.pem");
pub const EC_PRIVATE: &str = include_str!("../keys/ec-private.pem");
pub const EC_PUBLIC: &str = include_str!("../keys/ec-public.pem");
pub const ED_PRIVATE: &str = include_str!("../keys/ed-private.pem");
pub const ED_PUBLIC: &str = include_str!("../keys/ed-public.pem");

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// HS256 with issuer and audience required.
pub fn hs256_config() -> SecurityConfig {
    config_with(
        AuthConfig::builder()
            .key(JwtKey::hs256(SECRET).unwrap())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap(),
    )
}

pub fn config_with(auth: AuthConfig) -> SecurityConfig {
    SecurityConfig::builder().auth(auth).build().unwrap()
}

/// Claims a valid token carries under [`hs256_config`].
pub fn valid_claims() -> Value {
    let now = now();
    json!({
        "sub": "user-1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "roles": ["editor"],
        "scope": "posts:read posts:write",
    })
}

/// Signs `claims` with HS256 and [`SECRET`], with the given extra header fields.
pub fn hs256_token(claims: &Value) -> String {
    sign(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
}

pub fn sign(
    header: &jsonwebtoken::Header,
    claims: &Value,
    key: &jsonwebtoken::EncodingKey,
) -> String {
    // Make sure a provider exists even if no config was built yet in this process.
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
    jsonwebtoken::encode(header, claims, key).unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token assembled by hand: header and claims JSON, and a signature segment as given.
pub fn raw_token(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        signature
    )
}

/// What a client sees of a response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The body without the per-request `requestId`, after checking it matches the header.
    pub fn body_without_request_id(&self) -> Value {
        let mut body = self.body.clone();
        if let Some(object) = body.as_object_mut()
            && let Some(id) = object.remove("requestId")
        {
            assert_eq!(Some(id.as_str().unwrap()), self.header("x-request-id"));
        }
        body
    }
}

pub async fn send(app: secure_api::Router, request: http::Request<Body>) -> Reply {
    let response = app.into_service().oneshot(request).await.unwrap();
    read(response).await
}

pub async fn read(response: axum::response::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

pub fn get_request(uri: &str) -> http::Request<Body> {
    http::Request::get(uri).body(Body::empty()).unwrap()
}

pub fn get_with_token(uri: &str, token: &str) -> http::Request<Body> {
    http::Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

pub fn post_json(uri: &str, body: &str) -> http::Request<Body> {
    http::Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// Every event the code under test logs on this thread, with its target and fields, while the
/// guard lives. Use a current-thread runtime (`#[tokio::test]`'s default) so that spawned tasks
/// log on the test's thread.
///
/// One global subscriber forwards each event to the capture of the thread it happens on. A
/// thread-scoped subscriber (`set_default`) would be simpler, but tracing caches each call
/// site's interest process-wide, and a test on another thread that hits a call site first can
/// leave it disabled for everyone.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<Event>>>);

#[derive(Clone, Debug)]
pub struct Event {
    pub target: String,
    pub fields: serde_json::Map<String, Value>,
}

impl Captured {
    pub fn install(&self) -> CaptureGuard {
        use tracing_subscriber::layer::SubscriberExt;
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(CaptureLayer),
            )
            .expect("no other global subscriber in the tests");
        });
        SINK.with(|sink| *sink.borrow_mut() = Some(self.clone()));
        CaptureGuard
    }

    pub fn events(&self, target: &str) -> Vec<Event> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.target == target)
            .cloned()
            .collect()
    }

    /// Everything logged, as one text, to search for leaks.
    pub fn all_text(&self) -> String {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| format!("{} {}", e.target, Value::Object(e.fields.clone())))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

thread_local! {
    static SINK: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

/// Stops capturing on this thread when dropped.
pub struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        SINK.with(|sink| *sink.borrow_mut() = None);
    }
}

struct CaptureLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CaptureLayer {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(captured) = SINK.with(|sink| sink.borrow().clone()) else {
            return;
        };
        let mut fields = serde_json::Map::new();
        event.record(&mut FieldVisitor(&mut fields));
        captured.0.lock().unwrap().push(Event {
            target: event.metadata().target().to_owned(),
            fields,
        });
    }
}

struct FieldVisitor<'a>(&'a mut serde_json::Map<String, Value>);

impl tracing::field::Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), format!("{value:?}").into());
    }
}

/// Whether a Python tool is installed; when it is not, fails under CI and says SKIPPED
/// otherwise.
pub fn python_tool_installed(module: &str, package: &str) -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        skip_or_fail(
            &format!("{package} is not installed"),
            &format!("pip install {package}"),
        );
    }
    found
}

/// A test that needs a tool the machine lacks: fails under CI, where `.ci/run` installs it;
/// elsewhere says loudly that it is skipped (on stderr, past the harness's capture), and how
/// to get the tool.
pub fn skip_or_fail(reason: &str, hint: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{reason} (CI is set, so this fails instead of skipping)"
    );
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr(),
        format_args!("\n*** SKIPPED: {reason}; {hint} ***\n\n"),
    );
}

/// Panics with a tool's report unless it exited successfully.
pub fn assert_tool_succeeded(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Where schemathesis reads the OpenAPI document from.
pub enum Document {
    /// This document, written to a file first.
    Written(Value),
    /// The document the server serves at this URL.
    Served(String),
}

/// Runs schemathesis against the server at `base_url`: it generates valid and invalid requests
/// for every operation of `document`, with `token` and without, and checks every answer against
/// the document (statuses, content types, bodies against their schemas, no 5xx, invalid input
/// refused, valid input accepted, a missing token refused). `extra` adds arguments. Panics with
/// its report when it finds anything.
pub async fn assert_schemathesis_passes(
    document: Document,
    base_url: String,
    token: &str,
    extra: &[&str],
) {
    // schemathesis keeps its state in its working directory: a scratch one, not the repository.
    let scratch = std::env::temp_dir().join(format!("secure-api-st-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir(&scratch).unwrap();
    let location = match document {
        Document::Written(document) => {
            std::fs::write(scratch.join("openapi.json"), document.to_string()).unwrap();
            "openapi.json".to_owned()
        }
        Document::Served(url) => url,
    };
    let mut command = std::process::Command::new("python3");
    command
        .current_dir(&scratch)
        .args(["-m", "schemathesis.cli", "run", &location])
        .args(["--url", &base_url])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", "all", "--max-examples", "25", "--seed", "1"])
        .args(["--no-color", "--generation-database", "none"])
        .args(extra);
    // The server under test runs on this runtime, which must keep serving meanwhile.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("python3 runs");
    std::fs::remove_dir_all(&scratch).unwrap();
    assert_tool_succeeded(&output);
}

// Finding Redis: `REDIS_URL`, else the default local server, checked with a raw `PING`.

/// `host:port` of a `redis://[user:password@]host[:port][/db]` URL.
pub fn redis_address(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    }
}

/// Whether a Redis server answers `PING` at `address` within a second (`-NOAUTH` counts: the
/// server is there, and the URL carries its password).
pub async fn answers_ping(address: &str) -> bool {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
        tokio::io::AsyncWriteExt::write_all(&mut stream, b"PING\r\n")
            .await
            .ok()?;
        let mut reply = Vec::new();
        let mut buffer = [0_u8; 64];
        while !reply.ends_with(b"\r\n") {
            let read = tokio::io::AsyncReadExt::read(&mut stream, &mut buffer)
                .await
                .ok()?;
            if read == 0 {
                return None;
            }
            reply.extend_from_slice(&buffer[..read]);
        }
        Some(reply.starts_with(b"+PONG") || reply.starts_with(b"-NOAUTH"))
    };
    tokio::time::timeout(std::time::Duration::from_secs(1), exchange)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// The shared server's URL, or `None` when the test is to be skipped (see [`skip_or_fail`]).
pub async fn shared_redis() -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    if answers_ping(&redis_address(&url)).await {
        Some(url)
    } else {
        skip_or_fail(
            &format!("no Redis answers PING at {url}"),
            "start one with `redis-server --daemonize yes`",
        );
        None
    }
}
