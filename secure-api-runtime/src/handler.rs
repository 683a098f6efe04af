//! The compile-time rule: the secure router takes only handlers annotated with `#[secure(...)]`.
//!
//! `#[secure]` makes a handler return its future tagged with `P`, the route's policy type: a
//! [`SecuredFuture<F, P>`], or a future yielding [`Secured<R, P>`]; only generated code calls
//! their constructors. [`SecureHandler`] holds exactly for functions whose call is so tagged,
//! so a plain handler is refused by the compiler with the message below. (This file is quoted
//! by the compiler's messages; keep it small and stable.)

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};

use crate::extract::generic_rejection;
use crate::pipeline::Guard;
use crate::policy::RoutePolicy;
use crate::sanitize::SecureResponse;

/// What a `#[secure]` handler returns: its response, tagged with its policy type `P`.
pub struct Secured<R, P> {
    /// The handler's response, or the refusal of a check generated code runs after the
    /// extractors (a limit by account).
    response: Result<R, crate::error::ApiError>,
    policy: PhantomData<fn() -> P>,
}

impl<R: SecureResponse, P> Secured<R, P> {
    /// Only generated code calls this; a hand-made `Secured` would be a route without checks.
    /// The bound is where a handler's response type is checked: the macro spans this call at
    /// the handler's return type.
    #[doc(hidden)]
    pub fn __new(response: R) -> Self {
        Self {
            response: Ok(response),
            policy: PhantomData,
        }
    }
}

/// What a `#[secure]` handler that needs no `async` wrapper of its own returns: the handler's
/// future, tagged with the policy `P`. Awaiting it awaits the handler's own future, so a route
/// compiles neither a state machine nor a `poll` of its own around the handler.
#[doc(hidden)]
#[must_use = "futures do nothing unless awaited"]
pub struct SecuredFuture<F, P> {
    future: F,
    policy: PhantomData<fn() -> P>,
}

impl<F, P> SecuredFuture<F, P> {
    /// Only generated code calls this, spanned at the handler's return type, where the
    /// bound checks it as [`Secured::__new`] does.
    #[doc(hidden)]
    pub fn __new<R: SecureResponse>(future: F) -> Self
    where
        F: Future<Output = R>,
    {
        Self {
            future,
            policy: PhantomData,
        }
    }
}

impl<F: Future, P> IntoFuture for SecuredFuture<F, P> {
    type Output = F::Output;
    type IntoFuture = F;

    fn into_future(self) -> F {
        self.future
    }
}

/// What a `#[secure]` handler's call returns, tagged with its policy `P`: a [`SecuredFuture`],
/// or the future of an `async` wrapper answering a [`Secured`].
#[doc(hidden)]
pub trait PolicyTagged<P> {}

impl<F, P> PolicyTagged<P> for SecuredFuture<F, P> {}

impl<Fut, R, P> PolicyTagged<P> for Fut where Fut: Future<Output = Secured<R, P>> {}

impl<R, P> Secured<R, P> {
    /// The refusal of a check generated code runs before the handler, after its extractors.
    #[doc(hidden)]
    pub fn __refused(error: crate::error::ApiError) -> Self {
        Self {
            response: Err(error),
            policy: PhantomData,
        }
    }
}

impl<R: IntoResponse, P> IntoResponse for Secured<R, P> {
    fn into_response(self) -> Response {
        match self.response {
            Ok(response) => response.into_response(),
            Err(error) => error.into_response(),
        }
    }
}

/// A handler annotated with `#[secure(...)]`, with its declared policy.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no security policy",
    label = "this handler is not annotated with `#[secure(...)]`",
    note = "declare who may call it: `#[secure(public)]` for anyone, `#[secure(auth)]` for a caller with a verified bearer token"
)]
pub trait SecureHandler<T, S>: Clone + Send + Sync + Sized + 'static {
    /// The route's policy, as declared on the handler.
    type Policy: RoutePolicy;
}

/// A handler whose arguments can all be extracted from a request to a router with state `S`.
///
/// The router checks this apart from [`SecureHandler`], so each failure names its own problem:
/// a missing policy there, an argument that is no extractor here.
#[diagnostic::on_unimplemented(
    message = "an argument of `{Self}` cannot be extracted from a request",
    label = "not every argument of this handler is an extractor for this router",
    note = "each argument must implement `FromRequestParts` (the last one may implement `FromRequest` instead) for the router's state; `State<T>` needs the router's state to be `T` or to implement `FromRef`"
)]
pub trait ExtractableHandler<T, S>: Clone + Send + Sync + Sized + 'static {
    /// The handler as axum routes it.
    #[doc(hidden)]
    type Route: Handler<T, S>;

    /// Wraps the handler for axum.
    #[doc(hidden)]
    fn into_route(self) -> Self::Route;
}

/// A `#[secure]` handler as axum routes it: the router's own `Handler` implementation, so the
/// bounds a route checks are [`SecureHandler`] and [`ExtractableHandler`], not axum's generic one.
#[derive(Clone)]
pub struct SecureRoute<F>(F);

macro_rules! impl_secure_handler {
    ([$($part:ident),*], $last:ident) => {
        impl<F, Fut, S, M, $($part,)* $last> ExtractableHandler<(M, $($part,)* $last,), S> for F
        where
            F: FnOnce($($part,)* $last) -> Fut + Clone + Send + Sync + 'static,
            Fut: IntoFuture<IntoFuture: Send> + Send,
            Fut::Output: IntoResponse,
            S: Send + Sync + 'static,
            $($part: FromRequestParts<S, Rejection: 'static> + Send,)*
            $last: FromRequest<S, M, Rejection: 'static> + Send,
        {
            type Route = SecureRoute<F>;

            fn into_route(self) -> SecureRoute<F> {
                SecureRoute(self)
            }
        }

        impl<F, Fut, S, M, $($part,)* $last> Handler<(M, $($part,)* $last,), S> for SecureRoute<F>
        where
            F: FnOnce($($part,)* $last) -> Fut + Clone + Send + Sync + 'static,
            Fut: IntoFuture<IntoFuture: Send> + Send,
            Fut::Output: IntoResponse,
            S: Send + Sync + 'static,
            $($part: FromRequestParts<S, Rejection: 'static> + Send,)*
            $last: FromRequest<S, M, Rejection: 'static> + Send,
        {
            type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

            #[allow(non_snake_case, unused_mut)]
            fn call(self, request: Request, state: S) -> Self::Future {
                // As axum's own handlers: every argument but the last from the parts, in order
                // (the policy guard is the first), then the last one from the whole request.
                // Each rejection becomes the generic error of its class (`generic_rejection`),
                // so no extractor's own text reaches a client.
                Box::pin(async move {
                    let (mut parts, body) = request.into_parts();
                    $(
                        let $part = match $part::from_request_parts(&mut parts, &state).await {
                            Ok(value) => value,
                            Err(rejection) => return generic_rejection(rejection).into_response(),
                        };
                    )*
                    let request = Request::from_parts(parts, body);
                    let $last = match $last::from_request(request, &state).await {
                        Ok(value) => value,
                        Err(rejection) => return generic_rejection(rejection).into_response(),
                    };
                    (self.0)($($part,)* $last).await.into_response()
                })
            }
        }
    };
}

/// `SecureHandler` holds for functions whose first argument is the guard of the same policy `P`
/// that their output is tagged with: a route listed with a policy is a route that enforces it,
/// since a `Guard<P>` only exists once the pipeline has run `P`.
macro_rules! impl_secure_handler_policy {
    ($($arg:ident),*) => {
        impl<F, Fut, P, S, M, $($arg,)*> SecureHandler<(M, Guard<P>, $($arg,)*), S> for F
        where
            F: FnOnce(Guard<P>, $($arg,)*) -> Fut + Clone + Send + Sync + 'static,
            Fut: PolicyTagged<P>,
            P: RoutePolicy,
        {
            type Policy = P;
        }

    };
}

// A handler without arguments never comes from `#[secure]`, which adds the guard; this impl lets
// a plain one pass the extractor check, so that its only error is the missing policy.
impl<F, Fut, S> ExtractableHandler<((),), S> for F
where
    F: FnOnce() -> Fut + Clone + Send + Sync + 'static,
    Fut: IntoFuture<IntoFuture: Send> + Send,
    Fut::Output: IntoResponse,
    S: Send + Sync + 'static,
{
    type Route = SecureRoute<F>;

    fn into_route(self) -> SecureRoute<F> {
        SecureRoute(self)
    }
}

impl<F, Fut, S> Handler<((),), S> for SecureRoute<F>
where
    F: FnOnce() -> Fut + Clone + Send + Sync + 'static,
    Fut: IntoFuture<IntoFuture: Send> + Send,
    Fut::Output: IntoResponse,
    S: Send + Sync + 'static,
{
    type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, _request: Request, _state: S) -> Self::Future {
        Box::pin(async move { (self.0)().await.into_response() })
    }
}

impl_secure_handler!([], T1);
impl_secure_handler!([T1], T2);
impl_secure_handler!([T1, T2], T3);
impl_secure_handler!([T1, T2, T3], T4);
impl_secure_handler!([T1, T2, T3, T4], T5);
impl_secure_handler!([T1, T2, T3, T4, T5], T6);
impl_secure_handler!([T1, T2, T3, T4, T5, T6], T7);
impl_secure_handler!([T1, T2, T3, T4, T5, T6, T7], T8);
impl_secure_handler!([T1, T2, T3, T4, T5, T6, T7, T8], T9);
impl_secure_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9], T10);
impl_secure_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9, T10], T11);
impl_secure_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11], T12);
impl_secure_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12], T13);
impl_secure_handler!(
    [T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13],
    T14
);
impl_secure_handler!(
    [T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14],
    T15
);
impl_secure_handler!(
    [
        T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15
    ],
    T16
);

impl_secure_handler_policy!();
impl_secure_handler_policy!(T2);
impl_secure_handler_policy!(T2, T3);
impl_secure_handler_policy!(T2, T3, T4);
impl_secure_handler_policy!(T2, T3, T4, T5);
impl_secure_handler_policy!(T2, T3, T4, T5, T6);
impl_secure_handler_policy!(T2, T3, T4, T5, T6, T7);
impl_secure_handler_policy!(T2, T3, T4, T5, T6, T7, T8);
impl_secure_handler_policy!(T2, T3, T4, T5, T6, T7, T8, T9);
impl_secure_handler_policy!(T2, T3, T4, T5, T6, T7, T8, T9, T10);
impl_secure_handler_policy!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
impl_secure_handler_policy!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);
impl_secure_handler_policy!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13);
impl_secure_handler_policy!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14);
impl_secure_handler_policy!(T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15);
impl_secure_handler_policy!(
    T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16
);
