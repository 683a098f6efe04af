//! [`SecureArgument`] and [`LastArgument`]: the arguments a `#[secure]` handler may take,
//! decided by type.
//!
//! `#[secure]` checks each argument on its own span, so a mistake is one error at the argument.
//! (The compiler quotes this file in those errors; keep it small and stable.)

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Extension, MatchedPath, OriginalUri, Path, Request, State};
use http::{HeaderMap, Method, Uri, Version};

use crate::auth::{AuthConfig, AuthUser, Sessions};
use crate::pipeline::{AuditTarget, Limits};
use crate::request_id::RequestId;
use crate::validate::{Form, Input, Json, Query};

/// An argument a `#[secure]` handler may take anywhere in its list: one that reads only the
/// request's head and cannot hand the handler unchecked input. The verified caller
/// ([`AuthUser`], `Option<AuthUser>`), the prelude's validating [`Query`], `Path`, `State`,
/// `Extension`, `ConnectInfo`, `MatchedPath`, `OriginalUri`, `HeaderMap`, `Method`, `Uri`,
/// `Version`, [`RequestId`], [`AuthConfig`], [`Sessions`], [`AuditTarget`] and [`Limits`];
/// `Owned<T>` is the route's own, through its `owner` rule. A body ([`Json`], [`Form`]) is a [`LastArgument`]: axum reads it from the
/// last argument only.
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
// Every refused argument is reported as this trait's (the others reach it by blanket impls),
// in the last place or another: the notes name each way out.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an argument a `#[secure]` handler takes here",
    label = "not known to be checked before the handler runs, or a body before the last argument",
    note = "a body, query or form: take the prelude's `Json<T>`, `Query<T>` or `Form<T>`, which validate before the handler runs (axum's own do not); a body is the last argument, as in axum",
    note = "the raw body (`Bytes`, `String`, `Request`): declare `raw_body` in `#[secure(...)]`, take it last, then validate with `secure_api::validate::json::<T>(&bytes)`",
    note = "`Option` or `Result` around an input would reach the handler unchecked: take the extractor itself; `Owned<T>` needs the route's `owner = \"field\"` and its own name",
    note = "an extractor of your own that reads only the request's head: `impl secure_api::SecureArgument for MyExtractor {{}}`"
)]
pub trait SecureArgument {}

impl<C> SecureArgument for AuthUser<C> {}
impl<C> SecureArgument for Option<AuthUser<C>> {}
impl<T: Input> SecureArgument for Query<T> {}
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
impl SecureArgument for AuditTarget {}
impl SecureArgument for Limits {}
impl SecureArgument for Sessions {}

/// The last argument of a `#[secure]` handler: any [`SecureArgument`], or a body the prelude
/// validates as it reads it ([`Json`], [`Form`]).
pub trait LastArgument {
    /// What the argument validates as it reads the body (`T` of `Json<T>`), or [`NoBody`].
    /// Checked apart (`T: Input`), so that forgetting `Input` is reported as that.
    #[doc(hidden)]
    type Body: ?Sized;
}

impl<T: SecureArgument> LastArgument for T {
    type Body = NoBody;
}
impl<T> LastArgument for Json<T> {
    type Body = T;
}
impl<T> LastArgument for Form<T> {
    type Body = T;
}

/// The [`LastArgument::Body`] of an argument that reads no body, or the raw one.
#[doc(hidden)]
pub struct NoBody;

/// A body a [`LastArgument`] may read: an [`Input`], or none.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a validated input",
    label = "`Json`, `Query` and `Form` arguments of a `#[secure]` handler must be validated",
    note = "derive `serde::Deserialize`, `validator::Validate` and `secure_api::Input` for it: `#[derive(Deserialize, Validate, Input)]`"
)]
pub trait CheckedBody {}

impl<T: Input> CheckedBody for T {}
impl CheckedBody for NoBody {}

/// The last argument of a route that declares `raw_body`: any [`LastArgument`], or the body
/// as it came (`Bytes`, `String`, `Request`, `Body`), which the handler checks itself.
pub trait RawBodyArgument {
    /// As [`LastArgument::Body`]; [`NoBody`] for the raw body.
    #[doc(hidden)]
    type Body: ?Sized;
}

impl<T: LastArgument> RawBodyArgument for T {
    type Body = T::Body;
}
impl RawBodyArgument for Bytes {
    type Body = NoBody;
}
impl RawBodyArgument for String {
    type Body = NoBody;
}
impl RawBodyArgument for Request {
    type Body = NoBody;
}
impl RawBodyArgument for Body {
    type Body = NoBody;
}

/// The macro's check of an argument before the last, spanned at its type.
#[doc(hidden)]
pub const fn assert_argument<T: SecureArgument + ?Sized>() {}

/// The macro's check of the last argument, spanned at its type.
#[doc(hidden)]
pub const fn assert_last_argument<T: LastArgument + ?Sized>()
where
    T::Body: CheckedBody,
{
}

/// The macro's check of the last argument of a `raw_body` route, spanned at its type.
#[doc(hidden)]
pub const fn assert_raw_body_argument<T: RawBodyArgument + ?Sized>()
where
    T::Body: CheckedBody,
{
}

/// The body a limit by account reads its key from: the prelude's [`Json`] or [`Form`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`account_key` names a field of the body, but the last argument is `{Self}`",
    label = "not a body",
    note = "take the body as the prelude's `Json<T>` or `Form<T>`, as the handler's last argument"
)]
pub trait AccountBody {
    /// The body's type.
    type Fields;
    /// The validated body.
    fn fields(&self) -> &Self::Fields;
}

impl<T> AccountBody for Json<T> {
    type Fields = T;
    fn fields(&self) -> &T {
        &self.0
    }
}

impl<T> AccountBody for Form<T> {
    type Fields = T;
    fn fields(&self) -> &T {
        &self.0
    }
}

/// A field that can name an account for a limit by account: a string.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot name an account",
    label = "`account_key` names a string field of the body",
    note = "a limit by account counts by text the client sent, such as an email: name a `String` field"
)]
pub trait AccountName {
    /// The account's name, as the client sent it.
    fn account_name(&self) -> &str;
}

impl AccountName for String {
    fn account_name(&self) -> &str {
        self
    }
}

impl AccountName for str {
    fn account_name(&self) -> &str {
        self
    }
}
