//! The audit record: one structured `tracing` event per request, target `secure_api::audit`.
//!
//! The record names who did what and what the framework decided; it never holds a token, a
//! password, a body or a query string. The route is the matched template (`/posts/{id}`), never
//! the raw path, and an unknown path is recorded as `<unmatched>`: no client-controlled text
//! reaches the record, so none can forge a line.

mod json;
mod logs;

pub use logs::{JsonLogs, LogGuard};

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use http::{Method, StatusCode};

use crate::rate::RateItem;

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

/// Per-request facts that the pipeline learns deep inside and the audit record needs at the end.
///
/// It travels in the request's extensions; the security layer keeps a second handle.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuditContext {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    user_id: OnceLock<Arc<str>>,
    /// What each rate limit that applied decided, for the response headers.
    rate: Mutex<Vec<RateItem>>,
}

impl AuditContext {
    /// Records the verified user id (the first verification wins; later ones are the same token).
    pub(crate) fn set_user(&self, id: &Arc<str>) {
        let _ = self.shared.user_id.set(Arc::clone(id));
    }

    pub(crate) fn user_id(&self) -> Option<&str> {
        self.shared.user_id.get().map(|id| &**id)
    }

    /// Records a rate limit's decision.
    pub(crate) fn add_rate_item(&self, item: RateItem) {
        self.shared
            .rate
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(item);
    }

    /// The rate limits' decisions so far.
    pub(crate) fn take_rate_items(&self) -> Vec<RateItem> {
        std::mem::take(
            &mut *self
                .shared
                .rate
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

/// Everything one audit record holds.
pub(crate) struct AuditRecord<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) method: &'a Method,
    pub(crate) route: &'a str,
    pub(crate) status: StatusCode,
    pub(crate) user_id: Option<&'a str>,
    pub(crate) decision: Decision,
    pub(crate) latency: Duration,
}

/// Writes one audit record.
pub(crate) fn record(event: &AuditRecord<'_>) {
    let latency_us = u64::try_from(event.latency.as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        target: AUDIT_TARGET,
        request_id = event.request_id,
        method = event.method.as_str(),
        route = event.route,
        status = event.status.as_u16(),
        user_id = event.user_id,
        decision = event.decision.as_str(),
        latency_us,
        "request"
    );
}
