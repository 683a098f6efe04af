//! Procedural macros of `secure-api`. Use them through the `secure-api` crate; generated code
//! names only `::secure_api::__private` paths.

mod errors;
mod secure;

use proc_macro::TokenStream;

/// Declares who may call a handler; the secure router accepts no handler without it.
///
/// | option | meaning |
/// |---|---|
/// | `public` | anyone may call the route; an `Authorization` header is ignored (take `Option<AuthUser>` for optional login) |
/// | `auth` | a verified bearer token is required, else `401` |
///
/// The attribute keeps the handler a plain `async fn` and adds, in front of its arguments, a
/// guard that enforces the policy before any of them is extracted. Every argument's rejection
/// becomes a generic JSON error, so no extractor's text (serde's messages, type names) reaches
/// a client.
///
/// ```
/// use secure_api::prelude::*;
/// use secure_api::routing::get;
///
/// #[secure(public)]
/// async fn health() -> &'static str {
///     "ok"
/// }
///
/// #[secure(auth)]
/// async fn me(user: AuthUser) -> ApiResult<String> {
///     Ok(user.id().to_owned())
/// }
///
/// let app: secure_api::Router = secure_api::Router::new()
///     .route("/health", get(health))
///     .route("/api/v1/me", get(me));
/// ```
///
/// A policy must be declared, and a contradictory one is refused:
///
/// ```compile_fail
/// use secure_api::prelude::*;
///
/// #[secure(public, auth)] // error: `auth` contradicts `public`
/// async fn health() -> &'static str {
///     "ok"
/// }
/// ```
///
/// So is a handler that was not annotated at all, where it is routed:
///
/// ```compile_fail,E0277
/// async fn health() -> &'static str {
///     "ok"
/// }
///
/// // error: `fn() -> ... {health}` has no security policy
/// let app = secure_api::Router::new().route("/health", secure_api::routing::get(health));
/// ```
///
/// Set `SECURE_API_DEBUG=1` while building to print each expansion.
#[proc_macro_attribute]
pub fn secure(args: TokenStream, item: TokenStream) -> TokenStream {
    secure::expand(args.into(), &item.into()).into()
}
