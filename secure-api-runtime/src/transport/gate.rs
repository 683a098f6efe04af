//! The gate: step 1 of the pipeline, the answers given before any other work.
//!
//! A head over its limits is refused (`431`, `414`), plain HTTP in production is redirected to
//! HTTPS (or refused `403` when it already carries a credential or a write: [`PlainHttp`]), and a body declared larger than the limit is refused with `413`, before routing
//! reaches a policy guard. The pipeline asks the gate just inside the CORS layer, so these
//! answers carry the CORS headers an allowed origin needs to read them, and like every answer
//! they get the security headers, the JSON error shape and an audit record.
//!
//! A refused body is not left unread: a client that writes its whole body before it reads (as
//! Python's `http.client` does) would see its connection reset mid-write and never the `413`.
//! So the answer says `Connection: close` and the body is read and thrown away, up to
//! [`LINGER_BYTES`] or [`LINGER_TIME`], before the connection closes (RFC 9112, 9.6).

use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, Version, header};

use super::{PlainHttp, Scheme, TransportSettings};
use crate::audit::Decision;
use crate::error::ApiError;

/// The most of a refused body read and thrown away before the connection closes.
pub(crate) const LINGER_BYTES: usize = 16 * 1024 * 1024;
/// The longest a refused body is read before the connection closes.
pub(crate) const LINGER_TIME: Duration = Duration::from_secs(5);

/// The early answer to a request, if it gets one.
pub(crate) fn early_answer(
    settings: &TransportSettings,
    scheme: Scheme,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<EarlyAnswer> {
    if let Some(refusal) = settings.head.refusal(method, uri, headers) {
        return Some(EarlyAnswer::Answer(refusal.into_response()));
    }
    // Plain HTTP is only ever known from a trusted proxy.
    if scheme == Scheme::Http && settings.plain_http != PlainHttp::Serve {
        if settings.plain_http == PlainHttp::RedirectSafe && sent_in_the_clear(method, headers) {
            return Some(EarlyAnswer::Answer(
                ApiError::client(StatusCode::FORBIDDEN, "HTTPS required")
                    .with_reason("credentials or a write over plain HTTP")
                    .with_decision(Decision::InsecureTransport)
                    .into_response(),
            ));
        }
        // 308 keeps the method and the body; the origin is the configured one, never the
        // client's `Host`.
        return Some(EarlyAnswer::Answer(match settings.https.location(uri) {
            Some(location) => (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, location)],
            )
                .into_response(),
            None => {
                ApiError::internal("no public origin to redirect plain HTTP to").into_response()
            }
        }));
    }
    if declared_length(headers).is_some_and(|len| len > settings.body_limit) {
        return Some(EarlyAnswer::RefuseBody(
            ApiError::payload_too_large()
                .with_reason("declared Content-Length over the body limit")
                .into_response(),
        ));
    }
    None
}

/// What the gate answers.
pub(crate) enum EarlyAnswer {
    /// This answer.
    Answer(Response),
    /// This answer, and the body is refused unread: see [`EarlyAnswer::respond`].
    RefuseBody(Response),
}

impl EarlyAnswer {
    /// The response; for a refused HTTP/1 body, with `Connection: close`, while the body is
    /// drained in the background so that the client can finish writing and read the answer.
    pub(crate) fn respond(self, version: Version, body: Body) -> Response {
        match self {
            Self::Answer(response) => response,
            Self::RefuseBody(mut response) => {
                // HTTP/2 refuses one stream, not the connection: dropping the body resets it.
                if version <= Version::HTTP_11
                    && let Ok(runtime) = tokio::runtime::Handle::try_current()
                {
                    response
                        .headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    runtime.spawn(drain(body));
                }
                response
            }
        }
    }
}

/// Reads and throws away `body`, up to [`LINGER_BYTES`] or [`LINGER_TIME`].
async fn drain(mut body: Body) {
    let read = async {
        let mut total = 0usize;
        while total < LINGER_BYTES {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
            match frame {
                Some(Ok(frame)) => total += frame.data_ref().map_or(0, axum::body::Bytes::len),
                _ => return,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, read).await;
}

/// Whether a plain-HTTP request has already sent what it should not have: a credential, or
/// a request that may change something. Redirecting it would hide that from the client.
fn sent_in_the_clear(method: &Method, headers: &HeaderMap) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
        || headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key(header::COOKIE)
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
