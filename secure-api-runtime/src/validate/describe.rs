//! What a handler's arguments read, found by their types: for the OpenAPI document and the
//! route inventory. `#[secure]` records one probe per argument; each answers for its type
//! without requiring anything of it.

use super::{Form, Input, Json, Query};
use crate::schema::SchemaFn;

/// An input a handler reads and validates: `Json<T>`, `Query<T>` or `Form<T>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputKind {
    /// A JSON body.
    Json,
    /// Query parameters.
    Query,
    /// A URL-encoded form body.
    Form,
}

/// One input of a route, as its argument's type says.
#[derive(Clone, Copy, Debug)]
pub struct ArgumentInput {
    /// What is read.
    pub kind: InputKind,
    /// The JSON Schema of what is accepted.
    pub schema: SchemaFn,
    /// The wire names of its fields without a size bound (`#[input(unbounded)]`).
    pub unbounded: &'static [&'static str],
}

/// How generated code records a handler's arguments: each one that is an input, in the
/// order written. One function per handler, not one per argument: each would be a closure of
/// its own to compile.
pub type InputFn = fn(&mut Vec<ArgumentInput>);

/// Finds what an argument of type `A` reads: `(&&ArgumentProbe::<A>::new()).input()`, where
/// method resolution picks [`InputArgument`] for the prelude's inputs and [`NoInput`] for any
/// other type.
#[doc(hidden)]
pub struct ArgumentProbe<A>(std::marker::PhantomData<fn() -> A>);

impl<A> ArgumentProbe<A> {
    /// A probe for `A`.
    pub const fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<A> Default for ArgumentProbe<A> {
    fn default() -> Self {
        Self::new()
    }
}

/// The probe's answer for the prelude's `Json`, `Query` and `Form`.
#[doc(hidden)]
pub trait InputArgument {
    /// The input.
    fn input(&self) -> Option<ArgumentInput>;
}

fn input_of<T: Input>(kind: InputKind) -> ArgumentInput {
    ArgumentInput {
        kind,
        schema: T::schema,
        unbounded: T::UNBOUNDED,
    }
}

impl<T: Input> InputArgument for &ArgumentProbe<Json<T>> {
    fn input(&self) -> Option<ArgumentInput> {
        Some(input_of::<T>(InputKind::Json))
    }
}

impl<T: Input> InputArgument for &ArgumentProbe<Query<T>> {
    fn input(&self) -> Option<ArgumentInput> {
        Some(input_of::<T>(InputKind::Query))
    }
}

impl<T: Input> InputArgument for &ArgumentProbe<Form<T>> {
    fn input(&self) -> Option<ArgumentInput> {
        Some(input_of::<T>(InputKind::Form))
    }
}

/// The probe's answer for any other type: no input.
#[doc(hidden)]
pub trait NoInput {
    /// None.
    fn input(&self) -> Option<ArgumentInput>;
}

impl<A> NoInput for ArgumentProbe<A> {
    fn input(&self) -> Option<ArgumentInput> {
        None
    }
}
