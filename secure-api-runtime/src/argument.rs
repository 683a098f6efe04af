//! [`SecureArgument`]: the arguments a `#[secure]` handler may take, decided by type.
//!
//! `#[secure]` checks each argument on its own span, so a mistake is one error at the argument.
//! (The compiler quotes this file in those errors; keep it small and stable.)

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Extension, MatchedPath, OriginalUri, Path, Request, State};
use http::{HeaderMap, Method, Uri, Version};

use crate::auth::{AuthConfig, AuthUser};
use crate::request_id::RequestId;
use crate::validate::{Form, Input, Json, Query};

/// An argument a `#[secure]` handler may take: one that cannot hand the handler unchecked
/// input. The verified caller ([`AuthUser`], `Option<AuthUser>`), the prelude's validating
/// [`Json`], [`Query`] and [`Form`], `Path`, `State`, `Extension`, `ConnectInfo`,
/// `MatchedPath`, `OriginalUri`, `HeaderMap`, `Method`, `Uri`, `Version`, [`RequestId`] and
/// [`AuthConfig`]; `Owned<T>` is the route's own, through its `owner` rule.
///
/// An extractor of your own that reads only the request's head (its headers, its path)
/// implements it to be taken:
///
/// ```
/// use axum::extract::FromRequestParts;
/// use http::request::Parts;
/// use secure_api::prelude::*;
///
/// struct Tenant(String);
///
/// impl<S: Send + Sync> FromRequestParts<S> for Tenant {
///     type Rejection = ApiError;
///
///     async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
///         let name = parts.headers.get("x-tenant").and_then(|v| v.to_str().ok());
///         name.map(|name| Tenant(name.to_owned())).ok_or_else(ApiError::bad_request)
///     }
/// }
///
/// impl secure_api::SecureArgument for Tenant {}
///
/// #[secure(public)]
/// async fn home(Tenant(tenant): Tenant) -> String { tenant }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an argument a `#[secure]` handler takes",
    label = "not known to be checked before the handler runs",
    note = "a body, query or form: take the prelude's `Json<T>`, `Query<T>` or `Form<T>`, which validate before the handler runs (axum's own do not)",
    note = "the raw body (`Bytes`, `String`, `Request`): declare `raw_body` in `#[secure(...)]`, then validate with `secure_api::validate::json::<T>(&bytes)`",
    note = "`Option` or `Result` around an input would reach the handler unchecked: take the extractor itself; `Owned<T>` needs the route's `owner = \"field\"` and its own name",
    note = "an extractor of your own that reads only the request's head: `impl secure_api::SecureArgument for MyExtractor {{}}`"
)]
pub trait SecureArgument {}

impl<C> SecureArgument for AuthUser<C> {}
impl<C> SecureArgument for Option<AuthUser<C>> {}
impl<T: Input> SecureArgument for Json<T> {}
impl<T: Input> SecureArgument for Query<T> {}
impl<T: Input> SecureArgument for Form<T> {}
impl<T> SecureArgument for Path<T> {}
impl<S> SecureArgument for State<S> {}
impl<T> SecureArgument for Extension<T> {}
impl<T> SecureArgument for ConnectInfo<T> {}
impl SecureArgument for MatchedPath {}
impl SecureArgument for OriginalUri {}
impl SecureArgument for HeaderMap {}
impl SecureArgument for Method {}
impl SecureArgument for Uri {}
impl SecureArgument for Version {}
impl SecureArgument for RequestId {}
impl SecureArgument for AuthConfig {}

/// An argument of a route that declares `raw_body`: any [`SecureArgument`], or the body as
/// it came (`Bytes`, `String`, `Request`, `Body`), which the handler checks itself.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an argument a `#[secure]` handler takes, even with `raw_body`",
    label = "not known to be checked before the handler runs",
    note = "a `raw_body` route takes the body as `Bytes`, `String`, `Request` or `Body`, and any argument a `#[secure]` handler takes"
)]
pub trait RawBodyArgument {}

impl<T: SecureArgument> RawBodyArgument for T {}
impl RawBodyArgument for Bytes {}
impl RawBodyArgument for String {}
impl RawBodyArgument for Request {}
impl RawBodyArgument for Body {}

/// The macro's check of one argument, spanned at its type.
#[doc(hidden)]
pub const fn assert_argument<T: SecureArgument + ?Sized>() {}

/// The macro's check of one argument of a `raw_body` route, spanned at its type.
#[doc(hidden)]
pub const fn assert_raw_body_argument<T: RawBodyArgument + ?Sized>() {}
