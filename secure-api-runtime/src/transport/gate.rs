//! The gate: step 1 of the pipeline, the answers given before any other work.
//!
//! Plain HTTP in production is redirected to HTTPS, and a body declared larger than the limit
//! is refused with `413`, before routing reaches a policy guard. The pipeline asks the gate
//! just inside the CORS layer, so these answers carry the CORS headers an allowed origin needs
//! to read them, and like every answer they get the security headers, the JSON error shape and
//! an audit record.

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, Uri, header};

use super::{Scheme, TransportSettings};
use crate::error::ApiError;

/// The early answer to a request, if it gets one.
pub(crate) fn early_answer(
    settings: &TransportSettings,
    scheme: Scheme,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    // Plain HTTP is only ever known from a trusted proxy.
    if scheme == Scheme::Http && settings.redirect_plain_http {
        // 308 keeps the method and the body; the origin is the configured one, never the
        // client's `Host`.
        return Some(match settings.https.location(uri) {
            Some(location) => (
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, location)],
            )
                .into_response(),
            None => {
                ApiError::internal("no public origin to redirect plain HTTP to").into_response()
            }
        });
    }
    if declared_length(headers).is_some_and(|len| len > settings.body_limit) {
        return Some(
            ApiError::payload_too_large()
                .with_reason("declared Content-Length over the body limit")
                .into_response(),
        );
    }
    None
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
