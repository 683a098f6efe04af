//! Transport: what every request and response of the app gets around the policy.
//!
//! One module per job, each a step the pipeline calls: `https` (whether a request came over
//! HTTPS, and the redirect of plain HTTP), `gate` (the answers given before any other work:
//! a head over its limits, the redirect, a declared body over the limit), `head` (the limits
//! on a request's head), `headers` (the security headers of every response) and `cors` (cross-origin requests). The request id is
//! [`crate::request_id`]; error bodies are [`crate::error`]'s; the audit record is
//! [`crate::audit`]'s. Nothing here keeps state between requests.

mod cors;
pub(crate) mod gate;
mod head;
mod headers;
mod https;
mod origin;

pub use crate::request_id::{REQUEST_ID_HEADER, RequestId};
pub use cors::Cors;
pub use head::{
    DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADERS, DEFAULT_MAX_URI_BYTES, HYPER_HEAD_CEILING,
    HeadLimits,
};
pub use headers::{DEFAULT_HSTS, SecurityHeaders};
pub use https::{HttpsPolicy, PlainHttp, TlsConnection};

pub(crate) use headers::HeaderTemplates;
pub(crate) use https::Scheme;

use std::time::Duration;

/// The transport settings the pipeline reads on every request, as the config assembled them.
#[derive(Clone, Debug)]
pub(crate) struct TransportSettings {
    pub(crate) https: HttpsPolicy,
    /// What becomes of plain HTTP reported by a trusted proxy (the mode's default or the
    /// policy's own choice, decided when the config was built).
    pub(crate) plain_http: PlainHttp,
    pub(crate) headers: HeaderTemplates,
    pub(crate) head: HeadLimits,
    pub(crate) body_limit: usize,
    pub(crate) request_timeout: Duration,
}
