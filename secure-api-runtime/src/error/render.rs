//! Rendering an error for the client, once: `{"error", "details"?, "requestId"}` with the
//! request id of the request being answered, the headers an error may carry, and a report for
//! the pipeline, which logs the cause and records the decision without touching the body again.

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

use super::{ApiError, FieldError, Kind};
use crate::audit::Decision;
use crate::request_id::RequestId;

/// What an error response tells the pipeline, in the response's extensions: what to log and
/// record, and what its body was rendered with, in case it must be rendered again (an error
/// made outside the request's own task has no request id yet).
#[derive(Clone, Debug)]
pub(crate) struct ErrorReport {
    pub(crate) message: Cow<'static, str>,
    pub(crate) decision: Decision,
    pub(crate) cause: Option<Arc<str>>,
    pub(crate) details: Option<Arc<[FieldError]>>,
    /// The request id in the body, if it has one.
    pub(crate) rendered_for: Option<RequestId>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let decision = self.decision();
        let cause = self.log_text().map(Arc::from);
        let fixed = self.fixed_message();
        let message = match self.kind {
            Kind::Client { status, message } if status.is_client_error() => message,
            _ => Cow::Borrowed(fixed),
        };
        let report = ErrorReport {
            message,
            decision,
            cause,
            details: self.details,
            rendered_for: RequestId::current(),
        };
        let mut response = render(status, &report);
        if let Some(headers) = self.headers {
            response.headers_mut().extend(*headers);
        }
        response.extensions_mut().insert(report);
        response
    }
}

/// The JSON error response of `report`, with the request id it names.
pub(crate) fn render(status: StatusCode, report: &ErrorReport) -> Response {
    let request_id = report.rendered_for.as_ref().map(RequestId::as_str);
    let body = error_body(&report.message, report.details.as_deref(), request_id);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Makes `response`, an error answered by anyone, what a client may see: a report's body with
/// `request_id` (rendered again only when it was rendered for no request or another one), or
/// for an error without a report (a handler's own `(StatusCode, text)`, axum's `405`) the
/// generic message of its status. Only the headers an error may carry survive. Returns the
/// response and the report.
pub(crate) fn for_client(mut response: Response, request_id: RequestId) -> (Response, ErrorReport) {
    let status = response.status();
    let mut report = response
        .extensions_mut()
        .remove::<ErrorReport>()
        .unwrap_or_else(|| ErrorReport {
            message: Cow::Borrowed(generic_message(status)),
            decision: Decision::from_status(status),
            cause: status
                .is_server_error()
                .then(|| Arc::from("a handler or layer answered with a server error")),
            details: None,
            rendered_for: None,
        });
    let has_our_body = report.rendered_for == Some(request_id)
        && response.headers().get(header::CONTENT_TYPE)
            == Some(&HeaderValue::from_static("application/json"));
    if has_our_body {
        // Rendered once already: drop what an error may not carry, keep the body.
        retain_error_headers(response.headers_mut());
        return (response, report);
    }
    report.rendered_for = Some(request_id);
    let mut fresh = render(status, &report);
    for (name, value) in response.headers() {
        if is_error_header(name) {
            fresh.headers_mut().append(name.clone(), value.clone());
        }
    }
    (fresh, report)
}

fn retain_error_headers(headers: &mut HeaderMap) {
    let refused: Vec<HeaderName> = headers
        .keys()
        .filter(|name| !is_error_header(name) && *name != header::CONTENT_TYPE)
        .cloned()
        .collect();
    for name in refused {
        headers.remove(name);
    }
}

/// The generic message of an error status: what every client sees for it.
pub(crate) fn generic_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Authentication required",
        403 => "Access denied",
        404 => "Not found",
        405 => "Method not allowed",
        408 => "Request timeout",
        409 => "Conflict",
        413 => "Payload too large",
        414 => "URI too long",
        415 => "Unsupported media type",
        429 => "Too many requests",
        431 => "Request headers too large",
        503 => "Service unavailable",
        500..=599 => "An unexpected error occurred",
        _ => "Invalid request",
    }
}

/// Whether an error response may carry header `name` to the client. Everything else that a
/// handler, a rejection or a layer put on an error response (`Content-Encoding` of a body that
/// was replaced, cookies, caching validators) is dropped with the body it described.
pub(crate) fn is_error_header(name: &HeaderName) -> bool {
    const KEPT: [&str; 9] = [
        "www-authenticate",
        "allow",
        "retry-after",
        "ratelimit",
        "ratelimit-policy",
        "vary",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        // The framework's own `Connection: close` after a refused body.
        "connection",
    ];
    KEPT.contains(&name.as_str())
}

/// `{"error": message, "requestId": id}`, with the message JSON-escaped.
pub(crate) fn error_body(
    message: &str,
    details: Option<&[FieldError]>,
    request_id: Option<&str>,
) -> String {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        error: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        details: Option<&'a [FieldError]>,
        #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
        request_id: Option<&'a str>,
    }
    serde_json::to_string(&Body {
        error: message,
        details,
        request_id,
    })
    // Serializing two strings cannot fail; the fallback keeps this path free of panics anyway.
    .unwrap_or_else(|_| String::from(r#"{"error":"An unexpected error occurred"}"#))
}
