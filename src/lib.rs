#![doc = include_str!("../README.md")]
// The crate docs are the README, prose written for people, not code identifiers.
#![allow(clippy::doc_markdown)]

pub use secure_api_macros::{Input, Sanitized, secure};
pub use secure_api_runtime::{
    ApiError, ApiResult, AuthUser, ConfigError, ExtractableHandler, Input, LastArgument, Mode,
    REQUEST_ID_HEADER, RequestId, Router, Sanitized, Schema, SecureArgument, SecureHandler,
    SecureResponse, SecurityConfig, argument, auth, authz, client_ip, config, connection, error,
    pipeline, policy, request_id, routing, schema, serve, store, testing, tls, transport, validate,
};

/// The audit record of every request, its JSON lines ([`audit::JsonLogs`]), and
/// [`audit::AuditTarget`], through which a handler names what a request acted on.
pub mod audit {
    pub use secure_api_runtime::audit::*;
    pub use secure_api_runtime::pipeline::AuditTarget;
}

/// Rate limits: quotas, the limiters, the Redis store, and [`rate::Limits`], through which a
/// handler checks a limit declared with `Router::limit` on a key only it knows.
pub mod rate {
    pub use secure_api_runtime::pipeline::Limits;
    pub use secure_api_runtime::rate::*;
}

/// One import for a handler module: the attribute, the caller, errors, and the axum items
/// handlers commonly need.
pub mod prelude {
    pub use crate::{Input, Sanitized, secure};
    pub use secure_api_runtime::prelude::*;
}

/// The extractors a `#[secure]` handler takes besides the caller (see [`SecureArgument`]):
/// the prelude's validating inputs, and axum's extractors that read only the request's head.
pub mod extract {
    pub use secure_api_runtime::__private::axum::Extension;
    pub use secure_api_runtime::__private::axum::extract::{
        ConnectInfo, FromRequest, FromRequestParts, MatchedPath, OriginalUri, Path, State,
    };
    pub use secure_api_runtime::prelude::{Form, Json, Query};
}

#[doc(hidden)]
pub mod __private {
    pub use secure_api_runtime::__private::*;
}
