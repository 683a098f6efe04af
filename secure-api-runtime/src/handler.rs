//! The compile-time rule: the secure router takes only handlers annotated with `#[secure(...)]`.
//!
//! `#[secure]` makes a handler return [`Secured<R, P>`], whose constructor only generated code
//! calls, with `P` the route's policy type. [`SecureHandler`] holds exactly for functions whose
//! future yields a `Secured`, so a plain handler is refused by the compiler with the message
//! below. (This file is quoted by the compiler's messages; keep it small and stable.)

use std::future::Future;
use std::marker::PhantomData;

use axum::response::{IntoResponse, Response};

use crate::policy::RoutePolicy;

/// What a `#[secure]` handler returns: its response, tagged with its policy type `P`.
pub struct Secured<R, P> {
    response: R,
    policy: PhantomData<fn() -> P>,
}

impl<R, P> Secured<R, P> {
    /// Only generated code calls this; a hand-made `Secured` would be a route without checks.
    #[doc(hidden)]
    pub fn __new(response: R) -> Self {
        Self {
            response,
            policy: PhantomData,
        }
    }
}

impl<R: IntoResponse, P> IntoResponse for Secured<R, P> {
    fn into_response(self) -> Response {
        self.response.into_response()
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

macro_rules! impl_secure_handler {
    ($($arg:ident),+) => {
        impl<F, Fut, R, P, S, M, $($arg,)+> SecureHandler<(M, $($arg,)+), S> for F
        where
            F: FnOnce($($arg,)+) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = Secured<R, P>> + Send,
            P: RoutePolicy,
        {
            type Policy = P;
        }
    };
}

impl_secure_handler!(T1);
impl_secure_handler!(T1, T2);
impl_secure_handler!(T1, T2, T3);
impl_secure_handler!(T1, T2, T3, T4);
impl_secure_handler!(T1, T2, T3, T4, T5);
impl_secure_handler!(T1, T2, T3, T4, T5, T6);
impl_secure_handler!(T1, T2, T3, T4, T5, T6, T7);
impl_secure_handler!(T1, T2, T3, T4, T5, T6, T7, T8);
impl_secure_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9);
impl_secure_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
impl_secure_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
impl_secure_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);
impl_secure_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13);
impl_secure_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14);
impl_secure_handler!(
    T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15
);
impl_secure_handler!(
    T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16
);
