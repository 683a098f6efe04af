//! The runtime of `secure-api`: the request pipeline that `#[secure(...)]` handlers run on.
//!
//! Use it through the `secure-api` crate, which re-exports everything here with the macros.
//! Read top-down, the modules are the request's path:
//!
//! ```text
//! serve              the server loop: connections, TLS, timeouts, graceful shutdown
//! transport          the envelope of every request: HTTPS, CORS, headers, errors, audit
//! routing            the secure router (knows every route's policy, builds the stack)
//! pipeline           steps 2-6 of the request pipeline for one policy
//! policy             what a route declared
//! rate               rate limits: quotas, limiters, client addresses
//! auth authz validate sanitize schema extract   one concern each
//! error config audit handler             the ground floor
//! ```

pub mod audit;
pub mod auth;
pub mod authz;
pub mod client_ip;
pub mod config;
pub mod connection;
mod digits;
pub mod error;
mod extract;
mod handler;
pub mod pipeline;
pub mod policy;
pub mod rate;
pub mod request_id;
pub mod routing;
pub mod sanitize;
pub mod schema;
pub mod serve;
pub mod tls;
pub mod transport;
pub mod validate;

pub use auth::AuthUser;
pub use config::{Mode, SecurityConfig};
pub use error::{ApiError, ApiResult, ConfigError};
pub use handler::{ExtractableHandler, SecureHandler};
pub use request_id::{REQUEST_ID_HEADER, RequestId};
pub use routing::Router;
pub use sanitize::{Sanitized, SecureResponse};
pub use schema::Schema;
pub use serve::serve;
pub use validate::Input;

/// The runtime's part of `secure_api::prelude`.
pub mod prelude {
    pub use crate::authz::Owned;
    pub use crate::{ApiError, ApiResult, AuthUser};
    pub use axum::Json;
    pub use axum::extract::{Path, Query, State};
    pub use http::StatusCode;
}

/// Items generated code names through `::secure_api::__private`. Not a public API: anything here
/// may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::authz::{DenyAs, OwnedLoader, OwnerId, OwnershipRule, Requirement};
    pub use crate::extract::Extract;

    /// Whether `owner` is the verified user; the macro spans calls to it at the `owner` string,
    /// so a field of the wrong type is reported there.
    pub fn owner_matches<O: OwnerId + ?Sized>(owner: &O, user_id: &str) -> bool {
        owner.is_user(user_id)
    }
    pub use crate::handler::Secured;
    pub use crate::pipeline::Guard;
    pub use crate::policy::{InputKind, Policy, RoutePolicy};
    pub use crate::rate::{Quota, RateKey, RateRule};
    pub use crate::sanitize::{RawResponse, Redacted, SanitizedToken, sanitized};
    pub use crate::schema::response::{KnownResponse, UnknownResponse};
    pub use crate::schema::{
        Components, Constraint, InputSchema, KnownInputSchema, KnownSchema, ObjectSchema, Schema,
        SchemaProbe, UnknownSchema, constrain, string_enum,
    };
    pub use crate::validate::{
        Checked, NamesOfInput, NestedNames, NoNames, ValidForm, ValidJson, ValidQuery, WireNames,
        check_form, check_json, check_query,
    };
    pub use axum;
    pub use http;
    pub use serde;
    pub use serde_json;
}
