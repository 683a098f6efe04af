//! The audit record: one structured `tracing` event per request, target `secure_api::audit`.
//!
//! The record names who did what and what the framework decided; it never holds a token, a
//! password, a body or a query string. The route is the matched template (`/posts/{id}`), never
//! the raw path, and an unknown path is recorded as `<unmatched>`: no client-controlled text
//! reaches the record, so none can forge a line.
//!
//! With [`JsonLogs`] installed for the process, a record goes straight into the log writer's
//! queue as one JSON line, of the same shape the `tracing` event would have, without the
//! event's dispatch; otherwise it is one `tracing` event (target `secure_api::audit`), for
//! whatever subscriber the application installed. Either way there is exactly one per request.

mod json;
mod logs;
mod queue;

pub use logs::{JsonLogs, LogGuard};

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use http::StatusCode;

/// The target of audit events, for filtering: `RUST_LOG=secure_api::audit=info`.
pub const AUDIT_TARGET: &str = "secure_api::audit";

/// What the framework decided about a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Decision {
    /// The policy let the request through to the handler.
    Allowed,
    /// No credentials, or credentials that failed verification (`401`).
    Unauthenticated,
    /// Authenticated but not permitted (`403`).
    Forbidden,
    /// The route or resource does not exist, or is hidden from this caller (`404`).
    NotFound,
    /// Refused by a rate limit (`429`).
    RateLimited,
    /// The request could not be read or failed validation (`400`, `405`, `413`, `415`).
    InvalidInput,
    /// The server failed (`5xx`).
    Error,
    /// The client went away before the answer was ready (recorded with status `499`); the
    /// handler may have run.
    Cancelled,
    /// Refused over plain HTTP because it carried a credential or a write (`403`).
    InsecureTransport,
    /// hyper could not parse the request and answered it itself (`400`, `431`): method and
    /// route are `-`, and the record names the client's address.
    Malformed,
}

impl Decision {
    /// The name written in the audit record.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::RateLimited => "rate_limited",
            Self::InvalidInput => "invalid_input",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
            Self::Malformed => "malformed",
            Self::InsecureTransport => "insecure_transport",
        }
    }

    /// The decision implied by a status when no error report says more.
    pub(crate) fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::Unauthenticated,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            429 => Self::RateLimited,
            400..=499 => Self::InvalidInput,
            500..=599 => Self::Error,
            _ => Self::Allowed,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything one audit record holds.
pub(crate) struct AuditRecord<'a> {
    pub(crate) request_id: &'a str,
    /// The method, or `-` for a request that could not be parsed.
    pub(crate) method: &'a str,
    pub(crate) route: &'a str,
    pub(crate) status: StatusCode,
    pub(crate) user_id: Option<&'a str>,
    pub(crate) decision: Decision,
    pub(crate) latency: Duration,
    /// The client's address, through trusted proxies (the socket peer for a request hyper
    /// answered itself).
    pub(crate) client_ip: Option<IpAddr>,
    /// The scheme of the credential presented: `bearer`, or `other`.
    pub(crate) auth_scheme: Option<&'static str>,
    /// The verified credential's id (a token's `jti`), never the credential.
    pub(crate) credential_id: Option<&'a str>,
    /// What the request acted on, as the handler named it (`AuditTarget`); the field
    /// `acted_on`, since `target` is every line's metadata.
    pub(crate) target: Option<&'a str>,
}

impl AuditRecord<'_> {
    fn latency_us(&self) -> u64 {
        u64::try_from(self.latency.as_micros()).unwrap_or(u64::MAX)
    }
}

/// Writes one audit record.
pub(crate) fn record(event: &AuditRecord<'_>) {
    if logs::write_audit_line(event) {
        return;
    }
    let latency_us = event.latency_us();
    tracing::info!(
        target: AUDIT_TARGET,
        request_id = event.request_id,
        method = event.method,
        route = event.route,
        status = event.status.as_u16(),
        user_id = event.user_id,
        client_ip = event.client_ip.as_ref().map(tracing::field::display),
        auth_scheme = event.auth_scheme,
        credential_id = event.credential_id,
        acted_on = event.target,
        decision = event.decision.as_str(),
        latency_us,
        "request"
    );
}

/// Records a request hyper answered itself because it could not parse it (`400`, or `431` for
/// a head past its ceiling), from the error that ended the connection. Other ends (a client
/// gone, a timeout) answered nothing and are not requests.
pub(crate) fn record_unparsed(error: &hyper::Error, client: IpAddr) {
    if !error.is_parse() {
        return;
    }
    let status = if error.is_parse_too_large() {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    } else {
        StatusCode::BAD_REQUEST
    };
    let request_id = crate::request_id::RequestId::generate();
    record(&AuditRecord {
        request_id: request_id.as_str(),
        method: "-",
        route: "-",
        status,
        user_id: None,
        decision: Decision::Malformed,
        latency: Duration::ZERO,
        client_ip: Some(client),
        auth_scheme: None,
        credential_id: None,
        target: None,
    });
}
