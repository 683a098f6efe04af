//! The wire names of input types, and the probe through which the derive finds them for a
//! field's type without requiring it to be an input. Reached only through
//! `secure_api::__private`.

use super::Input;

/// The wire names of one input type, and of the input types inside it, for error details.
#[derive(Clone, Copy)]
pub struct WireNames {
    /// [`Input::wire_name`] of the type.
    pub wire_name: fn(&str) -> Option<&'static str>,
    /// [`Input::nested`] of the type.
    pub nested: fn(&str) -> Option<WireNames>,
}

impl WireNames {
    /// The names of input type `T`.
    pub fn of<T: Input>() -> Self {
        Self {
            wire_name: T::wire_name,
            nested: T::nested,
        }
    }
}

/// Finds the wire names of a field's type if it is an `Input`, and none otherwise, without
/// requiring it to be one: the derive calls `(&&NestedNames::<T>::new()).names()`, and method
/// resolution picks [`NamesOfInput`] when `T: Input` and [`NoNames`] otherwise.
pub struct NestedNames<T>(std::marker::PhantomData<fn() -> T>);

impl<T> NestedNames<T> {
    /// A probe for `T`.
    pub const fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T> Default for NestedNames<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The probe's answer when the type is an `Input`.
pub trait NamesOfInput {
    /// The type's names.
    fn names(&self) -> Option<WireNames>;
}

impl<T: Input> NamesOfInput for &NestedNames<T> {
    fn names(&self) -> Option<WireNames> {
        Some(WireNames::of::<T>())
    }
}

/// The probe's answer for any other type.
pub trait NoNames {
    /// No names: the field's own name is used as written.
    fn names(&self) -> Option<WireNames>;
}

impl<T> NoNames for NestedNames<T> {
    fn names(&self) -> Option<WireNames> {
        None
    }
}
