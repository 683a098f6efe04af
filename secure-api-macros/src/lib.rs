//! Procedural macros of `secure-api`. Use them through the `secure-api` crate; generated code
//! names only `::secure_api::__private` paths.

// The quota grammar, the runtime's own file: one rule and one message for both crates.
mod errors;
mod fallback;
#[path = "../../secure-api-runtime/src/rate/grammar.rs"]
#[allow(dead_code, unreachable_pub)] // the runtime-only variant, and its public error type
mod grammar;
// The kinds of a policy (`Access`, `DenyAs`, `RateKey`), the runtime's own file.
mod input;
#[path = "../../secure-api-runtime/src/kinds.rs"]
#[allow(dead_code, unreachable_pub)] // the inventory's names, and the runtime's public types
mod kinds;
mod sanitized;
mod secure;
mod serde_attrs;

use proc_macro::TokenStream;

/// Declares who may call a handler; the secure router accepts no handler without it.
///
/// | option | meaning |
/// |---|---|
/// | `public` | anyone may call the route; an `Authorization` header is ignored (take `Option<AuthUser>` for optional login) |
/// | `auth` | a verified credential of any scheme the app configured (a bearer token; an API key with `AuthConfigBuilder::api_keys`; a browser session's cookie with `AuthConfigBuilder::sessions`, its unsafe requests CSRF-checked), else `401` with a challenge for each |
/// | `auth = "bearer"`, `auth = "api_key"`, `auth = "session"`, `auth = any("bearer", "session")` | the same, narrowed to those schemes (names checked at compile time) |
/// | `role = "admin"`, `role = any("a", "b")`, `role = all("a", "b")` | roles the token must carry, else `403` (needs `auth`) |
/// | `scope = "posts:write"`, `any(...)`, `all(...)` | scopes the token must carry, else `403` (needs `auth`) |
/// | `owner = "author_id"` | the handler's `Owned<T>` argument is loaded by its path id and its `author_id` field must be the verified user id, else `404` (needs `auth`) |
/// | `or = "is_published"` | a `bool` field of the resource that grants access too (needs `owner`) |
/// | `deny = 403` | answer `403` rather than `404` for a resource that exists but is not the caller's (needs `owner`) |
/// | `raw_response` | the handler may return `impl IntoResponse` or a raw `Response`, unchecked; the route's policy records it |
/// | `raw_body` | the handler may take the body as it came (`Bytes`, `String`, `Request`) and checks it itself, for instance with `secure_api::validate::json::<T>(&bytes)` after a webhook's signature check; the route's policy records it |
/// | `rate = "5/15m"` | at most 5 requests per 15 minutes per client (GCRA: the budget refills one request per 3 minutes), else `429` with `Retry-After`; units `s`, `m`, `h`, `d`, checked at compile time |
/// | `key = "ip"`, `key = "user"`, `key = "api_key"` | what `rate` counts by: the client address (the default on `public` routes, checked before any token work), the verified user (the default on `auth` routes, checked right after authentication), or the API key, so that each of a user's keys has its own budget (requests with another credential count by their user) |
/// | `account_rate = "10/15m"`, `account_key = "email"` | a second limit, per account: keyed by a string field of the validated body (the last argument, `Json<T>` or `Form<T>`), checked right after validation, whether or not the account exists; the name is normalized (trimmed, NFKC, lowercased) and kept only as a keyed hash. Checked at compile time: the field must exist and be a `String` |
/// | `rate_name = "login"` | the name the route's limits go by in the headers and the inventory; routes of one name share their budgets (a token login and a cookie login), and must declare the same quotas |
/// | `rate_message = "Too many login attempts"` | the text a client refused by `rate` reads, instead of `Too many requests` |
///
/// Every argument is checked by its type, at the argument: it must be a `SecureArgument`, one
/// that reads only the request's head and cannot hand the handler unchecked input, or, as the
/// last argument (axum reads the body from the last only), a `LastArgument`. The prelude's `Json<T>`, `Query<T>` and
/// `Form<T>` read and validate before the handler runs (`T` derives `Deserialize`,
/// `validator::Validate` and `secure_api::Input`), under any name or alias; axum's own, an
/// `Option` or `Result` around an input, and an undeclared raw body are refused. The handler's
/// return type must be a `SecureResponse`: `Json<T>` with `T: Sanitized`, a status,
/// text, a redirect, an `ApiError`, or a `Result`/status tuple of these.
///
/// Checks run in a fixed order, whatever the order of the handler's arguments: authentication,
/// roles and scopes, the resource and its owner, and only then the handler's other arguments
/// (a body, a query). A stranger never learns anything from a validation error about someone
/// else's resource.
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
/// #[secure(public, rate = "5/15m", rate_message = "Too many login attempts")]
/// async fn login() -> StatusCode {
///     StatusCode::NO_CONTENT
/// }
///
/// let app: secure_api::Router = secure_api::Router::new()
///     .route("/health", get(health))
///     .route("/api/v1/me", get(me))
///     .route("/api/v1/auth/login", secure_api::routing::post(login))
///     .rate_limit("/api", "100/15m");
/// ```
///
/// Ownership, with a read rule: the author, or anyone once the post is published.
///
/// ```
/// use secure_api::authz::Resource;
/// use secure_api::prelude::*;
/// use secure_api::routing::get;
///
/// struct Post { author_id: String, is_published: bool, title: String }
///
/// impl Resource<()> for Post {
///     type Id = u64;
///     async fn load(id: u64, _state: &()) -> Result<Option<Self>, ApiError> {
///         Ok(Some(Post { author_id: "ada".into(), is_published: id == 1, title: "hi".into() }))
///     }
/// }
///
/// #[secure(auth, owner = "author_id", or = "is_published")]
/// async fn read_post(post: Owned<Post>) -> String {
///     post.title.clone()
/// }
///
/// let app: secure_api::Router = secure_api::Router::new().route("/posts/{id}", get(read_post));
/// ```
///
/// The owner field is checked by the compiler:
///
/// ```compile_fail,E0609
/// # use secure_api::authz::Resource;
/// # use secure_api::prelude::*;
/// # struct Post { author_id: String }
/// # impl Resource<()> for Post {
/// #     type Id = u64;
/// #     async fn load(_: u64, _: &()) -> Result<Option<Self>, ApiError> { Ok(None) }
/// # }
/// #[secure(auth, owner = "writer_id")] // error[E0609]: no field `writer_id` on type `&Post`
/// async fn read_post(post: Owned<Post>) -> String {
///     post.author_id.clone()
/// }
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
/// A rate limit is read at compile time:
///
/// ```compile_fail
/// use secure_api::prelude::*;
///
/// #[secure(public, rate = "5/15x")] // error: invalid quota `5/15x`: unknown time unit; ...
/// async fn login() -> StatusCode {
///     StatusCode::NO_CONTENT
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

/// Makes a type sendable in responses by declaring what it publishes.
///
/// The derive writes the type's `Serialize` and `Debug`: `#[sensitive]` fields appear in
/// neither (`Debug` prints `[redacted]`), every other field's type must be `Sanitized` too, and
/// `#[trusted]` publishes a field of a foreign type as it is. serde's `rename`, `rename_all` and
/// `skip_serializing_if` are honoured; other serde attributes are refused. A field named like a
/// secret (`password`, `*token*`, `*hash*`, `api_key`, `salt`, `otp`, ...) must be marked
/// `#[sensitive]` or `#[expose]`. `#[sanitized(from = "Model")]` adds `From<Model>`.
///
/// It also writes the type's `Schema` for the OpenAPI document (`Router::openapi`), from the
/// same fields: a `#[sensitive]` field is absent from the document as from every response.
///
/// ```
/// use secure_api::Sanitized;
///
/// struct UserRow { id: i64, email: String, password_hash: String }
///
/// #[derive(Sanitized)]
/// #[serde(rename_all = "camelCase")]
/// #[sanitized(from = "UserRow")]
/// struct UserView {
///     id: i64,
///     email: String,
///     #[sensitive]
///     password_hash: String,
/// }
///
/// let view = UserView::from(UserRow { id: 1, email: "a@b.example".into(), password_hash: "$argon2id$...".into() });
/// assert_eq!(serde_json::to_string(&view).unwrap(), r#"{"id":1,"email":"a@b.example"}"#);
/// assert!(format!("{view:?}").contains("password_hash: [redacted]"));
/// ```
///
/// A field that looks secret must say what it is:
///
/// ```compile_fail
/// #[derive(secure_api::Sanitized)]
/// struct Session {
///     refresh_token: String, // error: `refresh_token` looks like a secret (a token)
/// }
/// ```
#[proc_macro_derive(Sanitized, attributes(sensitive, expose, trusted, serde, sanitized))]
pub fn derive_sanitized(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    sanitized::derive(&input).into()
}

/// Makes a type usable as a validated `Json`, `Query` or `Form` argument of a `#[secure]`
/// handler: it records each field's wire name (after serde's renames) for error details.
/// Unknown fields are refused unless the type says `#[input(allow_unknown_fields)]`.
///
/// Every field it reads has a size bound, checked by the field's type at compile time:
///
/// - a string, list or map needs `#[validate(length(max = N))]` (or `equal`; a `min` alone
///   bounds nothing, and neither does a `custom` function, which the macro cannot see into);
/// - the strings of a list need `#[input(each(length(max = N)))]` (with an optional `min`),
///   checked after validator's rules and reported as `tags[3]`;
/// - numbers, `bool`, `char`, UUIDs, addresses, dates and nested `Input` types are bounded
///   already, and a type of your own that cannot grow says so with
///   `impl secure_api::validate::Bounded for Status {}`;
/// - a field unbounded on purpose says `#[input(unbounded)]` (the body limit still holds), and
///   the route inventory lists it for every route that reads the type.
///
/// It also writes the type's `InputSchema` for the OpenAPI document: the fields by their wire names,
/// which are required (not `Option`, no `#[serde(default)]`), whether unknown ones are refused,
/// and the bounds of its `length`, `range`, `email` and `url` rules.
///
/// ```
/// use secure_api::prelude::*;
/// use serde::Deserialize;
/// use validator::Validate;
///
/// #[derive(Deserialize, Validate, Input)]
/// #[serde(rename_all = "camelCase")]
/// struct CreatePost {
///     #[validate(length(min = 3, max = 200))]
///     title: String,
///     #[validate(length(max = 10))]
///     #[input(each(length(min = 1, max = 50)))]
///     tags: Option<Vec<String>>,
/// }
///
/// #[secure(auth)]
/// async fn create(user: AuthUser, Json(post): Json<CreatePost>) -> StatusCode {
///     let _ = (user, post); // INSERT ..., author_id = user.id()
///     StatusCode::CREATED
/// }
/// ```
///
/// A body type without it is refused at the argument:
///
/// ```compile_fail,E0277
/// use secure_api::prelude::*;
///
/// #[derive(serde::Deserialize)]
/// struct CreatePost { title: String }
///
/// #[secure(auth)]
/// async fn create(Json(post): Json<CreatePost>) -> StatusCode { // error: not a validated input
///     StatusCode::CREATED
/// }
/// ```
///
/// And so is a field without a size bound, at its type:
///
/// ```compile_fail,E0277
/// use secure_api::Input;
///
/// #[derive(serde::Deserialize, validator::Validate, Input)]
/// struct CreatePost {
///     #[validate(length(min = 3))]
///     title: String, // error: `String` has no size bound
/// }
/// ```
#[proc_macro_derive(Input, attributes(input, serde))]
pub fn derive_input(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    input::derive(&input).into()
}
