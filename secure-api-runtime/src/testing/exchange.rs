//! One request of a probe, served in process by a fresh app, as the app's own server would
//! serve it: with a peer address (its own per app) and marked as arriving over TLS.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;

use crate::SecurityConfig;
use crate::routing::{Router, SecureService};
use crate::transport::TlsConnection;

/// A fresh app: its service, its config, and the client address its probes come from.
pub(super) struct App {
    service: SecureService,
    pub(super) config: SecurityConfig,
    peer: SocketAddr,
}

/// What a probe saw of an answer.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) text: String,
    /// Whether the body was cut off: over [`BODY_CAP`], or still streaming after
    /// [`BODY_WAIT`].
    pub(super) incomplete: bool,
}

/// The most of an answer's body the audit reads.
const BODY_CAP: usize = 4 << 20;
/// How long the audit waits for an answer's body.
const BODY_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl Answer {
    /// The body as JSON, if it is.
    pub(super) fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.text).ok()
    }

    /// The body without its `requestId`, to compare two answers.
    pub(super) fn without_request_id(&self) -> String {
        match self.json() {
            Some(Value::Object(mut object)) => {
                object.remove("requestId");
                Value::Object(object).to_string()
            }
            _ => self.text.clone(),
        }
    }

    /// `401 Invalid token`, say: what a report shows of an answer.
    pub(super) fn summary(&self) -> String {
        let error = self
            .json()
            .and_then(|body| body.get("error")?.as_str().map(str::to_owned));
        match error {
            Some(error) => format!("{} {error}", self.status.as_u16()),
            None => self.status.as_u16().to_string(),
        }
    }
}

/// What a probe sends as a request's body.
#[derive(Debug)]
pub(super) enum Payload {
    /// No body.
    Empty,
    /// A body with its `Content-Length`.
    Sized(Vec<u8>),
    /// A body of no declared length, as `Transfer-Encoding: chunked` sends one.
    Chunked(Vec<u8>),
}

impl From<Option<Vec<u8>>> for Payload {
    fn from(body: Option<Vec<u8>>) -> Self {
        body.map_or(Self::Empty, Self::Sized)
    }
}

/// Each app's client address: 198.18.0.0/15, the benchmarking range, one per app (or per
/// request, for the probe of a limit by account).
static NEXT_PEER: AtomicU32 = AtomicU32::new(1);

fn next_peer() -> SocketAddr {
    let n = NEXT_PEER.fetch_add(1, Ordering::Relaxed);
    let ip = Ipv4Addr::from(u32::from(Ipv4Addr::new(198, 18, 0, 0)) | (n & 0x1_ffff));
    SocketAddr::from((ip, 40_000))
}

/// A body of chunks that says nothing of its length.
struct Chunks(std::collections::VecDeque<axum::body::Bytes>);

impl hyper::body::Body for Chunks {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Ready(
            self.0
                .pop_front()
                .map(|chunk| Ok(hyper::body::Frame::data(chunk))),
        )
    }
}

impl App {
    pub(super) fn new(router: Router) -> Self {
        let (service, config) = router.finish();
        Self {
            service,
            config,
            peer: next_peer(),
        }
    }

    /// The app's next requests come from another client address.
    pub(super) fn move_to_new_address(&mut self) {
        self.peer = next_peer();
    }

    /// Sends `method path` with `headers` and `body`.
    pub(super) async fn send(
        &self,
        method: &Method,
        path: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Payload,
    ) -> Answer {
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, "audit.invalid");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let body = match body {
            Payload::Sized(bytes) => {
                request = request.header(header::CONTENT_LENGTH, bytes.len());
                Body::from(bytes)
            }
            Payload::Chunked(bytes) => {
                // A stream's length is unknown until its end: what hyper hands the app for a
                // chunked body.
                request = request.header(header::TRANSFER_ENCODING, "chunked");
                let chunks = bytes
                    .chunks(64 * 1024)
                    .map(axum::body::Bytes::copy_from_slice)
                    .collect();
                Body::new(Chunks(chunks))
            }
            Payload::Empty => Body::empty(),
        };
        let mut request = request
            .body(body)
            .unwrap_or_else(|_| http::Request::new(Body::empty()));
        request.extensions_mut().insert(ConnectInfo(self.peer));
        request.extensions_mut().insert(TlsConnection);
        let response = match self.service.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        // Bounded: a streaming answer (events, a download) neither hangs the audit nor fills
        // its memory; what arrived in time is what is checked.
        let limited = http_body_util::Limited::new(body, BODY_CAP);
        let read = tokio::time::timeout(BODY_WAIT, limited.collect()).await;
        let (bytes, incomplete) = match read {
            Ok(Ok(collected)) => (collected.to_bytes(), false),
            Ok(Err(_)) | Err(_) => (axum::body::Bytes::new(), true),
        };
        Answer {
            status: parts.status,
            headers: parts.headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            incomplete,
        }
    }
}
