//! The runtime of `secure-api`: the request pipeline that `#[secure(...)]` handlers run on.
//!
//! Use it through the `secure-api` crate, which re-exports everything here with the macros.
//! Read top-down, the modules are the request's path, and no module imports one above it
//! (`tests/floors` checks this on the source, and fails naming the import that breaks it):
//!
//! ```text
//! serve              the server loop: connections, caps, TLS handshake, graceful shutdown
//! routing handler argument   the secure router, inventory, OpenAPI; the handler and argument rules
//! config             assembles each concern's own settings, in code or from the environment
//! pipeline           the nine steps of DESIGN.md in order, and the one service that runs them
//! policy             what a route declared
//! auth authz rate validate transport tls connection extract schema   one concern each
//! error audit sanitize client_ip request_id digits store             the ground floor
//! ```
//!
//! What the steps of one request share travels in one typed context (`pipeline`), the only
//! entry the framework puts in a request's extensions.

pub mod argument;
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
mod kinds;
pub mod pipeline;
pub mod policy;
#[cfg(test)]
mod properties;
pub mod rate;
pub mod request_id;
pub mod routing;
pub mod sanitize;
pub mod schema;
pub mod serve;
pub mod store;
pub mod testing;
pub mod tls;
pub mod transport;
pub mod validate;

pub use argument::{LastArgument, SecureArgument};
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
    pub use crate::validate::{Form, Json, Query};
    pub use crate::{ApiError, ApiResult, AuthUser};
    pub use axum::extract::{Path, State};
    pub use http::StatusCode;
}

/// Items generated code names through `::secure_api::__private`. Not a public API: anything here
/// may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::argument::{
        AccountBody, AccountName, assert_argument, assert_last_argument, assert_raw_body_argument,
    };
    pub use crate::authz::owner::OwnershipRule;
    pub use crate::authz::resource::OwnedLoader;
    pub use crate::authz::{DenyAs, OwnerId, Requirement};

    /// Whether `owner` is the verified user; the macro spans calls to it at the `owner` string,
    /// so a field of the wrong type is reported there.
    pub fn owner_matches<O: OwnerId + ?Sized>(owner: &O, user_id: &str) -> bool {
        owner.is_user(user_id)
    }
    /// A quota `#[secure]` has checked at compile time, in a constant expression.
    pub const fn quota(count: u32, period_secs: u64) -> crate::rate::Quota {
        crate::rate::Quota::macro_checked(count, period_secs)
    }
    pub use crate::handler::{Secured, SecuredFuture};
    pub use crate::pipeline::Guard;
    pub use crate::policy::builder::PolicyBuilder;
    pub use crate::policy::{InputKind, Policy, RoutePolicy};
    pub use crate::rate::memory::{Check, MemoryLimiter};
    pub use crate::rate::{AccountRule, Quota, RateKey, RateRule};
    pub use crate::sanitize::{RawResponse, Redacted, SanitizedToken, sanitized};
    pub use crate::schema::probe::{KnownInputSchema, KnownSchema, SchemaProbe, UnknownSchema};
    pub use crate::schema::response::{KnownResponse, UnknownResponse};
    pub use crate::schema::table::{Field as FieldSchema, any_value};
    pub use crate::schema::{
        Bound, Components, Constraint, InputSchema, IntoBound, Schema, SchemaFn,
    };
    pub use crate::validate::bounded::{
        BoundedItems, EachText, assert_bounded, assert_bounded_items, assert_each_text,
    };
    pub use crate::validate::describe::{ArgumentProbe, InputArgument, NoInput};
    pub use crate::validate::details::check_each;
    pub use crate::validate::names::{NamesOfInput, NestedNames, NoNames, WireNames};
    pub use crate::validate::{FieldError, InputFn};
    pub use axum;
    pub use http;
    pub use serde;
    pub use serde_json;
}
