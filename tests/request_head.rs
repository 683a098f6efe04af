//! The request head and the early `413` over real loopback sockets, as an attacker sends them:
//! the framework's own limits on header bytes, header count and URI length (answered with the
//! full envelope), hyper's own answers to what it cannot parse (still audited), and a `413`
//! a client that writes its whole body before reading still receives.
//!
//! Each test runs on a current-thread runtime with `JsonLogs` as that thread's subscriber, so
//! the audit records it reads are its own server's.

mod common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use secure_api::audit::JsonLogs;
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use secure_api::transport::HeadLimits;
use serde::Deserialize;
use serde_json::Value;
use validator::Validate;

#[secure(public)]
async fn hello() -> &'static str {
    "hello"
}

#[derive(Deserialize, Validate, Input)]
struct Note {
    #[validate(length(min = 1, max = 200))]
    title: String,
}

#[secure(public)]
async fn create_note(Json(note): Json<Note>) -> StatusCode {
    let _ = note.title;
    StatusCode::CREATED
}

/// A server of its own on a free port, with `limits` (or the defaults), and its audit lines.
struct Server {
    address: SocketAddr,
    logs: Buffer,
    _scope: tracing::subscriber::DefaultGuard,
    _guard: secure_api::audit::LogGuard,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn start(limits: Option<HeadLimits>) -> Self {
        let logs = Buffer::default();
        let (subscriber, guard) = JsonLogs::to_writer(logs.clone()).filter("info").build();
        let scope = tracing::subscriber::set_default(subscriber);
        let mut config = secure_api::SecurityConfig::builder().auth(hs256_config().auth().clone());
        if let Some(limits) = limits {
            config = config.head_limits(limits);
        }
        let app = secure_api::Router::new()
            .route("/hello", get(hello))
            .route("/notes", post(create_note))
            .with_config(config.build().unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = secure_api::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        tokio::spawn(std::future::IntoFuture::into_future(server));
        Self {
            address,
            logs,
            _scope: scope,
            _guard: guard,
            _stop: stop,
        }
    }

    /// Sends `request` as it is, then reads until the server closes the connection (or 5 s).
    async fn raw(&self, request: Vec<u8>) -> String {
        self.send(request).await.1
    }

    /// As `raw`, with whether the whole request could be written.
    async fn send(&self, request: Vec<u8>) -> (std::io::Result<()>, String) {
        let address = self.address;
        tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(address).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            // The whole request first, as a client that reads only afterwards does.
            let written = stream.write_all(&request);
            let mut response = Vec::new();
            let _ = stream.read_to_end(&mut response);
            assert!(
                !response.is_empty(),
                "no answer; writing the request gave {written:?}"
            );
            (written, String::from_utf8_lossy(&response).into_owned())
        })
        .await
        .unwrap()
    }

    /// The audit records written so far, once the log writer had time to write them.
    async fn audit_records(&self) -> Vec<Value> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let text = String::from_utf8(self.logs.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|line| line["target"] == "secure_api::audit")
            .collect()
    }
}

fn get_with(path: &str, extra_headers: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra_headers}\r\n")
        .into_bytes()
}

/// A framework answer: the status, a JSON error body, the security headers and a request id.
fn assert_enveloped(response: &str, status: &str) {
    assert!(
        response.starts_with(&format!("HTTP/1.1 {status}")),
        "{response:.300}"
    );
    let head = response
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .to_ascii_lowercase();
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    assert!(head.contains("x-request-id: "), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    let body: Value = serde_json::from_str(body).unwrap();
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn a_header_over_the_head_limit_gets_the_frameworks_431() {
    let server = Server::start(None).await;
    let big = format!("X-Big: {}\r\n", "a".repeat(20 * 1024));
    let response = server.raw(get_with("/hello", &big)).await;
    assert_enveloped(&response, "431");
    let records = server.audit_records().await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["status"], 431);
    assert_eq!(records[0]["decision"], "invalid_input");
    // Just under the limit is served.
    let fits = format!("X-Big: {}\r\n", "a".repeat(15 * 1024));
    let response = server.raw(get_with("/hello", &fits)).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response:.200}");
}

#[tokio::test]
async fn a_uri_over_the_limit_gets_the_frameworks_414() {
    let server = Server::start(None).await;
    let path = format!("/hello?q={}", "a".repeat(10 * 1024));
    let response = server.raw(get_with(&path, "")).await;
    assert_enveloped(&response, "414");
    let records = server.audit_records().await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["status"], 414);
}

#[tokio::test]
async fn more_headers_than_allowed_get_the_frameworks_431() {
    let limits = HeadLimits::default().max_headers(20);
    let server = Server::start(Some(limits)).await;
    let many = numbered_headers(30);
    let response = server.raw(get_with("/hello", &many)).await;
    assert_enveloped(&response, "431");
    let few = numbered_headers(10);
    let response = server.raw(get_with("/hello", &few)).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response:.200}");
}

/// `count` headers `X-H0: v` to `X-H{count - 1}: v`.
fn numbered_headers(count: usize) -> String {
    (0..count).fold(String::new(), |mut headers, i| {
        let _ = write!(headers, "X-H{i}: v\r\n");
        headers
    })
}

#[test]
fn limits_hyper_would_answer_first_are_refused_at_start_up() {
    let too_many = secure_api::SecurityConfig::builder()
        .auth(hs256_config().auth().clone())
        .head_limits(HeadLimits::default().max_headers(101))
        .build();
    let error = too_many
        .expect_err("more than hyper's 100 headers")
        .to_string();
    assert!(error.contains("100"), "{error}");
    let too_big = secure_api::SecurityConfig::builder()
        .auth(hs256_config().auth().clone())
        .head_limits(HeadLimits::default().max_header_bytes(1024 * 1024))
        .build();
    assert!(too_big.is_err(), "a head limit past hyper's ceiling");
    let config = secure_api::SecurityConfig::from_lookup(|name| match name {
        "MAX_HEADER_BYTES" => Some("4096".into()),
        "MAX_HEADERS" => Some("50".into()),
        "MAX_URI_BYTES" => Some("2048".into()),
        _ => None,
    })
    .unwrap();
    let limits = config.head_limits();
    assert_eq!(
        (limits.header_bytes(), limits.headers(), limits.uri_bytes()),
        (4096, 50, 2048)
    );
}

/// hyper's own answers carry no body or headers of ours; each is still one audit record.
fn assert_malformed_record(records: &[Value], status: u64) {
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["status"], status, "{record}");
    assert_eq!(record["decision"], "malformed", "{record}");
    assert_eq!(record["method"], "-", "{record}");
    assert_eq!(record["route"], "-", "{record}");
    assert_eq!(record["client_ip"], "127.0.0.1", "{record}");
    let id = record["request_id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a fresh request id: {record}");
}

#[tokio::test]
async fn a_malformed_request_line_is_answered_by_hyper_and_audited() {
    let server = Server::start(None).await;
    let response = server.raw(b"GARBAGE\r\n\r\n".to_vec()).await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert_malformed_record(&server.audit_records().await, 400);
}

#[tokio::test]
async fn a_head_past_hypers_ceiling_is_answered_by_hyper_and_audited() {
    let server = Server::start(None).await;
    let huge = format!("X-Huge: {}\r\n", "a".repeat(1024 * 1024));
    let response = server.raw(get_with("/hello", &huge)).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response:.200}");
    assert_malformed_record(&server.audit_records().await, 431);
}

#[tokio::test]
async fn a_client_writing_an_oversized_body_before_reading_still_gets_413() {
    let server = Server::start(None).await;
    let body = vec![b'a'; 8 * 1024 * 1024];
    let mut request = format!(
        "POST /notes HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let (written, response) = server.send(request).await;
    // Python's `http.client` gives up at a failed write, before it reads the answer.
    assert!(
        written.is_ok(),
        "the body could not be written: {written:?}"
    );
    assert_enveloped(&response, "413");
    assert!(
        response.to_ascii_lowercase().contains("connection: close"),
        "{response:.400}"
    );
}
