//! The one error type of a secure API, and the rule that keeps internals away from clients.
//!
//! A client only ever sees `{"error": "<generic message>", "requestId": "..."}`. The full story of
//! an error (its cause chain, a rejection's text, why a token was refused) goes to `tracing`, next
//! to the same request id, so an operator can find it and an attacker cannot.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

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

    /// An error with `status` and its generic message (see [`generic_message`]). A status that
    /// is not an error (`2xx`, `3xx`) is answered as `500` and logged.
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
    /// through on errors reach the client (see [`is_error_header`]).
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.get_or_insert_default().append(name, value);
        self
    }

    /// The status the client receives.
    pub fn status_code(&self) -> StatusCode {
        match &self.kind {
            Kind::MissingCredentials | Kind::InvalidToken => StatusCode::UNAUTHORIZED,
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

/// The generic message of an error status: what every client sees for it.
pub fn generic_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Authentication required",
        403 => "Access denied",
        404 => "Not found",
        405 => "Method not allowed",
        408 => "Request timeout",
        409 => "Conflict",
        413 => "Payload too large",
        415 => "Unsupported media type",
        429 => "Too many requests",
        503 => "Service unavailable",
        500..=599 => "An unexpected error occurred",
        _ => "Invalid request",
    }
}

/// Whether an error response may carry header `name` to the client. Everything else that a
/// handler, a rejection or a layer put on an error response (`Content-Encoding` of a body that
/// was replaced, cookies, caching validators) is dropped with the body it described.
pub fn is_error_header(name: &HeaderName) -> bool {
    const KEPT: [&str; 8] = [
        "www-authenticate",
        "allow",
        "retry-after",
        "ratelimit",
        "ratelimit-policy",
        "vary",
        "access-control-allow-origin",
        "access-control-allow-credentials",
    ];
    KEPT.contains(&name.as_str())
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

/// What an error response carries to the security layer, which adds the request id to the
/// body, logs the cause and writes the audit record. It travels in the response's extensions.
#[derive(Clone, Debug)]
pub(crate) struct ErrorReport {
    pub(crate) message: Cow<'static, str>,
    pub(crate) decision: Decision,
    pub(crate) cause: Option<Arc<str>>,
    pub(crate) details: Option<Arc<[FieldError]>>,
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
        let mut response = error_response(
            status,
            ErrorReport {
                message,
                decision,
                cause,
                details: self.details,
            },
        );
        if let Some(headers) = self.headers {
            response.headers_mut().extend(*headers);
        }
        response
    }
}

/// Builds the JSON error response (without a request id, which the security layer adds).
pub(crate) fn error_response(status: StatusCode, report: ErrorReport) -> Response {
    let body = error_body(&report.message, report.details.as_deref(), None);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response.extensions_mut().insert(report);
    response
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

/// A configuration that must not start: reported when the config is built, never at request time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// An HMAC secret shorter than its algorithm allows.
    WeakSecret {
        /// The algorithm the secret was given for.
        algorithm: jsonwebtoken::Algorithm,
        /// The least length accepted, in bytes.
        min_bytes: usize,
        /// The length given, in bytes.
        actual_bytes: usize,
    },
    /// A key of one kind given for an algorithm of another.
    AlgorithmMismatch {
        /// The algorithm requested.
        algorithm: jsonwebtoken::Algorithm,
        /// What was given instead.
        key: &'static str,
    },
    /// Key material that does not parse.
    InvalidKey(String),
    /// Several keys where one of them has no `kid`, or two share one.
    AmbiguousKeys(String),
    /// An authentication config without any key.
    NoKeys,
    /// Production mode without a configured secret or key.
    MissingSecret,
    /// An environment variable with a value that does not parse.
    InvalidEnv {
        /// The variable.
        var: &'static str,
        /// What is wrong with it (never the value, which may be a secret).
        reason: String,
    },
    /// A setting outside its allowed range.
    InvalidSetting(String),
    /// No JWT crypto provider could be installed.
    NoCryptoProvider,
}

impl ConfigError {
    #[allow(clippy::needless_pass_by_value)] // used as `map_err(ConfigError::invalid_key)`
    pub(crate) fn invalid_key(error: jsonwebtoken::errors::Error) -> Self {
        Self::InvalidKey(error.to_string())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WeakSecret {
                algorithm,
                min_bytes,
                actual_bytes,
            } => write!(
                f,
                "the {algorithm:?} secret is {actual_bytes} bytes long; it must be at least \
                 {min_bytes} random bytes"
            ),
            Self::AlgorithmMismatch { algorithm, key } => {
                write!(f, "{algorithm:?} cannot be used with {key}")
            }
            Self::InvalidKey(reason) => write!(f, "invalid JWT key: {reason}"),
            Self::AmbiguousKeys(reason) => write!(f, "ambiguous JWT key set: {reason}"),
            Self::NoKeys => f.write_str("the authentication config has no key"),
            Self::MissingSecret => f.write_str(
                "production mode needs a JWT key: set JWT_SECRET (at least 32 bytes) or configure \
                 one in code; refusing to start",
            ),
            Self::InvalidEnv { var, reason } => write!(f, "environment variable {var}: {reason}"),
            Self::InvalidSetting(reason) => f.write_str(reason),
            Self::NoCryptoProvider => f.write_str(
                "no JWT crypto provider could be installed (jsonwebtoken's CryptoProvider)",
            ),
        }
    }
}

impl StdError for ConfigError {}
