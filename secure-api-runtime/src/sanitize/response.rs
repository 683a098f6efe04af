//! [`SecureResponse`]: what a `#[secure]` handler may return.
//!
//! (The compiler quotes this trait's message when a handler returns something else; keep this
//! file small and stable.)

use axum::Json;
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::Sanitized;
use crate::error::ApiError;

/// A response a `#[secure]` handler may return: one built from [`Sanitized`] data, or one with
/// no data at all.
///
/// Implemented for `Json<T>` with `T: Sanitized`, `StatusCode`, `()`, text (`&'static str`,
/// `String`), [`Redirect`], [`ApiError`], `Result`s of these, and tuples of a status and/or
/// headers with one of these. `impl IntoResponse` and a raw `Response` cannot be inspected:
/// a route that needs them says `raw_response` in its attribute, and the inventory shows it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the response of a `#[secure]` handler",
    label = "responses are built from `Sanitized` data",
    note = "return `Json<T>` with `#[derive(Sanitized)]` on `T`, a `StatusCode`, `()`, text, a `Redirect`, or a `Result` or status tuple of these; for `impl IntoResponse` or a raw `Response`, add `raw_response` to `#[secure(...)]`"
)]
pub trait SecureResponse: IntoResponse {}

impl<T: Sanitized> SecureResponse for Json<T> {}
impl SecureResponse for StatusCode {}
impl SecureResponse for () {}
impl SecureResponse for &'static str {}
impl SecureResponse for String {}
impl SecureResponse for Redirect {}
impl SecureResponse for ApiError {}
impl<R: SecureResponse, E: SecureResponse> SecureResponse for Result<R, E> {}
impl<R: SecureResponse> SecureResponse for (StatusCode, R) {}
impl<R: SecureResponse> SecureResponse for (HeaderMap, R) {}
impl<R: SecureResponse> SecureResponse for (StatusCode, HeaderMap, R) {}
impl<R, K, V, const N: usize> SecureResponse for ([(K, V); N], R)
where
    R: SecureResponse,
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Display,
{
}
impl<R, K, V, const N: usize> SecureResponse for (StatusCode, [(K, V); N], R)
where
    R: SecureResponse,
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Display,
{
}

/// The response of a route declared `raw_response`: anything axum can send, listed as such in
/// the inventory.
pub struct RawResponse<R>(pub R);

impl<R: IntoResponse> IntoResponse for RawResponse<R> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<R: IntoResponse> SecureResponse for RawResponse<R> {}
