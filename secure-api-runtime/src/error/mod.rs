//! The one error type of a secure API, and the rule that keeps internals away from clients.
//!
//! A client only ever sees `{"error": "<generic message>", "requestId": "..."}`. The full story of
//! an error (its cause chain, a rejection's text, why a token was refused) goes to `tracing`, next
//! to the same request id, so an operator can find it and an attacker cannot.

mod config;
mod render;

pub use config::ConfigError;
pub(crate) use render::for_client;
pub(crate) use render::{generic_message, is_error_header};

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::audit::Decision;

/// The result type of secure handlers: `Ok` is the response, `Err` a safe [`ApiError`].
pub type ApiResult<T, E = ApiError> = Result<T, E>;

/// An error a secure handler (or the framework) answers with.
///
/// The client gets a fixed, generic message per kind; only [`ApiError::client`] sends text the
/// application chose. Any other error converts with `?` into an internal error (`500`) whose text
/// is logged and never sent:
///
/// ```
/// use secure_api::ApiError;
///
/// fn load() -> Result<String, ApiError> {
///     let text = std::fs::read_to_string("/no/such/file")?; // logged, answered as a generic 500
///     Ok(text)
/// }
/// assert_eq!(load().unwrap_err().status_code(), secure_api::prelude::StatusCode::INTERNAL_SERVER_ERROR);
/// ```
///
/// `ApiError` deliberately does not implement [`std::error::Error`]: that is what lets every other
/// error convert into it with `?`.
pub struct ApiError {
    kind: Kind,
    cause: Option<Cause>,
    headers: Option<Box<HeaderMap>>,
    details: Option<Arc<[FieldError]>>,
    decision: Option<Decision>,
}

/// One problem with one input field, as the client receives it in `details`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field as the client named it: `title`, `author.name`, `tags[3]`.
    pub field: String,
    /// What is wrong, for a person; never the submitted value.
    pub message: String,
}

type Cause = Box<dyn StdError + Send + Sync + 'static>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// 401 without credentials.
    MissingCredentials,
    /// 401 with credentials that were refused.
    InvalidToken,
    /// 401 with an API key that was refused.
    InvalidApiKey,
    /// Any other framework error: the status, with its generic message.
    Status(StatusCode),
    /// 400 with field details.
    InvalidInput,
    /// A message the application chose for the client.
    Client {
        status: StatusCode,
        message: Cow<'static, str>,
    },
    /// 500; the cause is logged.
    Internal,
}

impl ApiError {
    /// `401 {"error":"Authentication required"}` with `WWW-Authenticate: Bearer`: no credentials
    /// were presented.
    pub fn unauthenticated() -> Self {
        Self::of(Kind::MissingCredentials)
    }

    /// `401 {"error":"Invalid token"}` with `WWW-Authenticate: Bearer`: credentials were presented
    /// and refused. Every reason gives the same answer; `reason` is only logged.
    pub fn invalid_token(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::of(Kind::InvalidToken).with_reason(reason)
    }

    /// `401 {"error":"Invalid API key"}`: an `X-API-Key` was presented and refused. Every
    /// reason gives the same answer; `reason` is only logged.
    pub fn invalid_api_key(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::of(Kind::InvalidApiKey).with_reason(reason)
    }

    /// `403 {"error":"Access denied"}`.
    pub fn forbidden() -> Self {
        Self::status(StatusCode::FORBIDDEN)
    }

    /// `404 {"error":"Not found"}`.
    pub fn not_found() -> Self {
        Self::status(StatusCode::NOT_FOUND)
    }

    /// `400 {"error":"Invalid request"}`: the request could not be read (malformed JSON, a wrong
    /// type). The input validation layer answers field-level problems with its own shape.
    pub fn bad_request() -> Self {
        Self::status(StatusCode::BAD_REQUEST)
    }

    /// `413 {"error":"Payload too large"}`.
    pub fn payload_too_large() -> Self {
        Self::status(StatusCode::PAYLOAD_TOO_LARGE)
    }

    /// `415 {"error":"Unsupported media type"}`.
    pub fn unsupported_media_type() -> Self {
        Self::status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
    }

    /// `405 {"error":"Method not allowed"}`.
    pub fn method_not_allowed() -> Self {
        Self::status(StatusCode::METHOD_NOT_ALLOWED)
    }

    /// `503 {"error":"Service unavailable"}`: a dependency the policy needs (a shared store) did
    /// not answer, and the route fails closed.
    pub fn unavailable() -> Self {
        Self::status(StatusCode::SERVICE_UNAVAILABLE)
    }

    /// An error with `status` and its generic message, the same for every client (`404 Not
    /// found`, `429 Too many requests`, any `5xx` `An unexpected error occurred`). A status
    /// that is not an error (`2xx`, `3xx`) is answered as `500` and logged.
    pub fn status(status: StatusCode) -> Self {
        if status.is_client_error() || status.is_server_error() {
            Self::of(Kind::Status(status))
        } else {
            Self::internal(format!(
                "ApiError::status used with non-error status {status}"
            ))
        }
    }

    /// A deliberate message for the client, such as `409 {"error":"Email already registered"}`.
    ///
    /// This is the only constructor whose text reaches the client, so write it for them. `status`
    /// should be a client error (`4xx`); any other status is sent as `400` and the mistake is
    /// logged, because a server error must never carry application text.
    pub fn client(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self::of(Kind::Client {
            status,
            message: message.into(),
        })
    }

    /// `400 {"error":"Invalid input","details":[{"field","message"}]}`: the request was read, and
    /// these fields are wrong.
    pub fn invalid_input(details: impl Into<Vec<FieldError>>) -> Self {
        /// A request cannot make its answer grow without bound: the first problems are enough.
        const MAX_DETAILS: usize = 20;
        let mut details = details.into();
        details.truncate(MAX_DETAILS);
        let mut error = Self::of(Kind::InvalidInput);
        error.details = Some(details.into());
        error
    }

    /// `500 {"error":"An unexpected error occurred"}`; `error` is logged with the request id.
    pub fn internal(error: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self {
            kind: Kind::Internal,
            cause: Some(error.into()),
            headers: None,
            details: None,
            decision: None,
        }
    }

    /// Attaches a reason for the log to any error; it is never sent to the client.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.cause = Some(Box::new(Reason(reason.into())));
        self
    }

    /// Adds a response header, such as `Retry-After`. Only the headers the security layer lets
    /// through on errors reach the client: `WWW-Authenticate`, `Allow`, `Retry-After`, the
    /// rate-limit headers, `Vary`, and CORS's `Access-Control-Allow-Origin` and
    /// `-Credentials`; the rest are dropped with the body they described.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.get_or_insert_default().append(name, value);
        self
    }

    /// The status the client receives.
    pub fn status_code(&self) -> StatusCode {
        match &self.kind {
            Kind::MissingCredentials | Kind::InvalidToken | Kind::InvalidApiKey => {
                StatusCode::UNAUTHORIZED
            }
            Kind::Status(status) => *status,
            Kind::Client { status, .. } if status.is_client_error() => *status,
            Kind::InvalidInput | Kind::Client { .. } => StatusCode::BAD_REQUEST,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message the client receives.
    pub fn message(&self) -> &str {
        match &self.kind {
            Kind::Client { status, message } if status.is_client_error() => message,
            _ => self.fixed_message(),
        }
    }

    /// The framework's own message for every kind but a well-formed client message.
    fn fixed_message(&self) -> &'static str {
        match self.kind {
            Kind::MissingCredentials => "Authentication required",
            Kind::InvalidToken => "Invalid token",
            Kind::InvalidApiKey => "Invalid API key",
            Kind::InvalidInput => "Invalid input",
            _ => generic_message(self.status_code()),
        }
    }

    /// Whether this is the "no credentials presented" error.
    pub(crate) fn is_missing_credentials(&self) -> bool {
        self.kind == Kind::MissingCredentials
    }

    /// What the audit log records for this error.
    pub fn decision(&self) -> Decision {
        self.decision
            .unwrap_or_else(|| Decision::from_status(self.status_code()))
    }

    /// Records a decision other than the status implies: a resource hidden as `404` because it
    /// is not the caller's is `forbidden` in the audit log, so probing shows there.
    #[must_use]
    pub(crate) fn with_decision(mut self, decision: Decision) -> Self {
        self.decision = Some(decision);
        self
    }

    fn of(kind: Kind) -> Self {
        Self {
            kind,
            cause: None,
            headers: None,
            details: None,
            decision: None,
        }
    }

    /// The log text: the cause and its sources, or a note about a misused status.
    fn log_text(&self) -> Option<String> {
        let mut text = match &self.kind {
            Kind::Client { status, .. } if !status.is_client_error() => Some(format!(
                "ApiError::client used with non-4xx status {status}; sent as 400"
            )),
            _ => None,
        };
        if let Some(cause) = &self.cause {
            let mut chain = cause.to_string();
            let mut source = cause.source();
            while let Some(next) = source {
                chain.push_str(": ");
                chain.push_str(&next.to_string());
                source = next.source();
            }
            text = Some(match text {
                Some(note) => format!("{note}; {chain}"),
                None => chain,
            });
        }
        text
    }
}

impl<E> From<E> for ApiError
where
    E: StdError + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        Self::internal(error)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status_code().as_u16())
            .field("message", &self.message())
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

/// A plain-text reason, kept for the log.
#[derive(Debug)]
struct Reason(Cow<'static, str>);

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Reason {}
