//! The audit log as an application writes it with `JsonLogs`: one JSON line per request with
//! the right decision and fields, never a token, a password, a body or a query string, and no
//! client-made newline splitting a record.
//!
//! Each test scopes its subscriber to its own thread (`set_default`) and runs on a
//! current-thread runtime, so tests running side by side never see each other's lines.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::*;
use secure_api::audit::{AuditTarget, JsonLogs};
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;
use tower::ServiceExt;
use validator::Validate;

#[derive(Deserialize, Validate, Input)]
struct Login {
    #[validate(email, length(max = 254))]
    email: String,
    #[validate(length(min = 12, max = 128))]
    password: String,
}

#[secure(public, rate = "3/1m")]
async fn login(Json(login): Json<Login>) -> StatusCode {
    let _ = (login.email, login.password);
    StatusCode::NO_CONTENT
}

#[secure(auth)]
async fn me(user: AuthUser) -> String {
    user.id().to_owned()
}

#[secure(auth, role = "admin")]
async fn admin() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[derive(Deserialize, Validate, Input)]
struct Note {
    #[validate(length(min = 1, max = 200))]
    title: String,
}

/// An application that logs a client's field, as applications do.
#[secure(public)]
async fn create_note(Json(note): Json<Note>) -> StatusCode {
    tracing::info!(title = %note.title, "note created");
    StatusCode::CREATED
}

#[secure(public)]
async fn post_by_id(Path(id): Path<u64>) -> String {
    id.to_string()
}

/// A handler that names what it acted on.
#[secure(auth)]
async fn close(user: AuthUser, target: AuditTarget) -> StatusCode {
    target.set(format!("account:{}", user.id()));
    StatusCode::NO_CONTENT
}

const PASSWORD: &str = "correct horse battery staple";
const SECRET_QUERY: &str = "s3cr3t-query-value";

fn from_client(mut request: http::Request<Body>) -> http::Request<Body> {
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([203, 0, 113, 9], 4000))));
    request
}

/// Sends each request to one app while `JsonLogs` is this thread's subscriber, then returns
/// every line written, flushed.
async fn logged(requests: Vec<http::Request<Body>>) -> (Vec<Value>, String) {
    let buffer = Buffer::default();
    let (subscriber, guard) = JsonLogs::to_writer(buffer.clone()).filter("info").build();
    let scope = tracing::subscriber::set_default(subscriber);
    let app = secure_api::Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/admin", get(admin))
        .route("/posts/{id}", get(post_by_id))
        .route("/notes", post(create_note))
        .route("/close", post(close))
        .with_config(hs256_config())
        .into_service();
    for request in requests {
        app.clone().oneshot(from_client(request)).await.unwrap();
    }
    drop(scope);
    assert_eq!(guard.dropped_lines(), 0);
    drop(guard);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect();
    (lines, text)
}

fn audit_records(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|line| line["target"] == "secure_api::audit")
        .collect()
}

/// A failed login or a probe can be traced: who (the client's address), with what kind of
/// credential, which verified token, and what the handler acted on; never the credential.
#[tokio::test]
async fn records_name_the_client_the_scheme_the_verified_token_and_the_target() {
    let mut claims = valid_claims();
    claims["jti"] = serde_json::json!("token-7");
    let token = hs256_token(&claims);
    let mut close = get_with_token("/close", &token);
    *close.method_mut() = http::Method::POST;
    let mut basic = get_request("/me");
    basic.headers_mut().insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_static("Basic YWRhOnB3"),
    );
    let requests = vec![
        get_with_token("/me", &token),
        get_with_token("/me", "not.a.token"),
        basic,
        get_request("/nowhere"),
        close,
    ];
    let (lines, text) = logged(requests).await;
    let records = audit_records(&lines);
    let fields = |i: usize| {
        let record = records[i];
        (
            record["client_ip"].as_str(),
            record["auth_scheme"].as_str(),
            record["credential_id"].as_str(),
            record["acted_on"].as_str(),
        )
    };
    let client = Some("203.0.113.9");
    assert_eq!(fields(0), (client, Some("bearer"), Some("token-7"), None));
    // An unverified token's `jti` is the client's text: not recorded.
    assert_eq!(fields(1), (client, Some("bearer"), None, None));
    // Another scheme's name is the client's text too.
    assert_eq!(fields(2), (client, Some("other"), None, None));
    assert_eq!(fields(3), (client, None, None, None));
    assert_eq!(
        fields(4),
        (
            client,
            Some("bearer"),
            Some("token-7"),
            Some("account:user-1")
        )
    );
    assert!(!text.contains(&token), "a token in the log");
    assert!(!text.contains("YWRhOnB3"), "a credential in the log");
}

#[tokio::test]
async fn one_record_per_request_with_the_decision_and_no_secrets() {
    let token = hs256_token(&valid_claims());
    let login_body = format!(r#"{{"email":"ada@example.com","password":"{PASSWORD}"}}"#);
    let requests = vec![
        get_with_token("/me", &token),
        get_with_token("/me", "not.a.token"),
        get_with_token("/admin", &token),
        get_request(&format!("/posts/7?token={SECRET_QUERY}")),
        get_request("/posts/not-a-number"),
        get_request("/nowhere"),
        post_json("/login", &login_body),
        post_json("/login", r#"{"email":"nope","password":"short"}"#),
        post_json("/login", &login_body),
        post_json("/login", &login_body),
    ];
    let (lines, text) = logged(requests).await;
    let records = audit_records(&lines);
    let summary: Vec<(&str, &str, u64, &str, Option<&str>)> = records
        .iter()
        .map(|record| {
            (
                record["method"].as_str().unwrap(),
                record["route"].as_str().unwrap(),
                record["status"].as_u64().unwrap(),
                record["decision"].as_str().unwrap(),
                record["user_id"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("GET", "/me", 200, "allowed", Some("user-1")),
            ("GET", "/me", 401, "unauthenticated", None),
            ("GET", "/admin", 403, "forbidden", Some("user-1")),
            ("GET", "/posts/{id}", 200, "allowed", None),
            ("GET", "/posts/{id}", 404, "not_found", None),
            ("GET", "<unmatched>", 404, "not_found", None),
            ("POST", "/login", 204, "allowed", None),
            ("POST", "/login", 400, "invalid_input", None),
            ("POST", "/login", 204, "allowed", None),
            ("POST", "/login", 429, "rate_limited", None),
        ]
    );
    for record in &records {
        let id = record["request_id"].as_str().unwrap();
        assert_eq!(id.len(), 36, "a server-made UUID: {id}");
        assert!(record["latency_us"].is_u64());
    }
    for secret in [
        token.as_str(),
        "not.a.token",
        PASSWORD,
        SECRET_QUERY,
        "ada@example.com",
        "not-a-number",
    ] {
        assert!(
            !text.contains(secret),
            "`{secret}` reached the log:\n{text}"
        );
    }
}

#[tokio::test]
async fn a_client_made_newline_cannot_forge_a_line() {
    let forged = r#"{"decision":"allowed","route":"/admin"}"#;
    let requests = vec![
        // Percent-encoded in the path: the record names the route template, never the path.
        get_request(&format!("/posts/1%0A{}", urlencode(forged))),
        // JSON-escaped in a body field name: the framework does not log it at all.
        post_json(
            "/login",
            &format!(r#"{{"email\n{}":"x"}}"#, forged.replace('"', "\\\"")),
        ),
        // JSON-escaped in a body field the application logs.
        post_json(
            "/notes",
            &format!(r#"{{"title":"first\n{}"}}"#, forged.replace('"', "\\\"")),
        ),
    ];
    let (lines, text) = logged(requests).await;
    // Every line parsed as JSON (see `logged`), and no line is a forged record.
    assert_eq!(audit_records(&lines).len(), 3, "{text}");
    for line in &lines {
        assert_ne!(line["route"], "/admin", "a forged record: {line}");
    }
    let titles: Vec<&str> = lines
        .iter()
        .filter(|line| line["message"] == "note created")
        .filter_map(|line| line["title"].as_str())
        .collect();
    assert_eq!(titles, [format!("first\n{forged}")], "{text}");
    assert!(
        !text.contains("email\\n"),
        "the refused field name is not logged:\n{text}"
    );
}

fn urlencode(text: &str) -> String {
    use std::fmt::Write as _;
    text.bytes().fold(String::new(), |mut encoded, byte| {
        let _ = write!(encoded, "%{byte:02X}");
        encoded
    })
}

/// A log destination that takes 20 ms per line, like a slow terminal or a full pipe.
struct SlowWriter(Buffer);

impl Write for SlowWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        std::thread::sleep(std::time::Duration::from_millis(20));
        self.0.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_slow_writer_never_holds_up_requests_and_drops_are_counted() {
    let buffer = Buffer::default();
    let (subscriber, guard) = JsonLogs::to_writer(SlowWriter(buffer.clone()))
        .buffered_lines(4)
        .build();
    let started = std::time::Instant::now();
    tracing::subscriber::with_default(subscriber, || {
        for n in 0..100 {
            tracing::info!(target: "secure_api::audit", n, "request");
        }
    });
    // Written one by one, the 100 lines would take 2 s.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "logging blocked for {:?}",
        started.elapsed()
    );
    let dropped = guard.dropped_lines();
    assert!(
        dropped > 0,
        "nothing was dropped: the test did not saturate the writer"
    );
    drop(guard);
    let written = String::from_utf8(buffer.0.lock().unwrap().clone())
        .unwrap()
        .lines()
        .count();
    assert_eq!(written + dropped, 100, "every line is written or counted");
}

#[secure(public)]
async fn slow_side_effect(State(runs): State<Arc<std::sync::atomic::AtomicUsize>>) -> StatusCode {
    runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    StatusCode::NO_CONTENT
}

#[tokio::test]
async fn a_request_whose_client_went_away_is_still_recorded() {
    let buffer = Buffer::default();
    let (subscriber, guard) = JsonLogs::to_writer(buffer.clone()).build();
    let scope = tracing::subscriber::set_default(subscriber);
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = secure_api::Router::new()
        .route("/work", post(slow_side_effect))
        .with_state(Arc::clone(&runs))
        .with_config(hs256_config())
        .into_service();
    let request = http::Request::post("/work").body(Body::empty()).unwrap();
    // The client gives up after 50 ms: hyper drops the response future, as here.
    let answer = tokio::time::timeout(
        std::time::Duration::from_millis(50),
        app.oneshot(from_client(request)),
    )
    .await;
    assert!(
        answer.is_err(),
        "the handler answered before the client left"
    );
    assert_eq!(
        runs.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the handler ran"
    );
    drop(scope);
    drop(guard);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let records = audit_records(&lines);
    assert_eq!(records.len(), 1, "{text}");
    assert_eq!(records[0]["decision"], "cancelled");
    assert_eq!(records[0]["status"], 499);
    assert_eq!(records[0]["route"], "/work");
}

/// A destination that refuses everything, like a closed pipe.
struct BrokenPipe;

impl Write for BrokenPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn lines_the_writer_refuses_are_counted_as_lost() {
    let (subscriber, guard) = JsonLogs::to_writer(BrokenPipe).build();
    tracing::subscriber::with_default(subscriber, || {
        for n in 0..10 {
            tracing::info!(target: "secure_api::audit", n, "request");
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while guard.dropped_lines() < 10 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(guard.dropped_lines(), 10);
}
