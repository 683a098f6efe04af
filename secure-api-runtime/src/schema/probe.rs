//! The schema probes generated code calls: they find the function giving a type's schema when
//! it has one, without requiring one. Reached only through `secure_api::__private`.

use std::marker::PhantomData;

use super::{InputSchema, Schema, SchemaFn};

/// Finds the schema function of a type that has one, and one giving `{}` otherwise, without
/// requiring it: generated code calls `(&&SchemaProbe::<T>::new()).schema_fn()`, and method
/// resolution picks [`KnownSchema`] when `T: Schema` and [`UnknownSchema`] otherwise. For
/// inputs it calls `(&&&SchemaProbe::<T>::new()).schema_fn()`, which tries
/// [`KnownInputSchema`] first. A function, not a schema, so that a derive's table of fields
/// holds it (`schema::table`).
pub struct SchemaProbe<T: ?Sized>(PhantomData<fn(&T)>);

impl<T: ?Sized> SchemaProbe<T> {
    /// A probe for `T`.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T: ?Sized> Default for SchemaProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The probe's answer when the type is an input with a schema of what it accepts.
pub trait KnownInputSchema {
    /// The function giving the type's input schema.
    fn schema_fn(&self) -> SchemaFn;
}

impl<T: InputSchema + ?Sized> KnownInputSchema for &&SchemaProbe<T> {
    fn schema_fn(&self) -> SchemaFn {
        T::input_schema
    }
}

/// The probe's answer when the type has a schema.
pub trait KnownSchema {
    /// The function giving the type's schema.
    fn schema_fn(&self) -> SchemaFn;
}

impl<T: Schema + ?Sized> KnownSchema for &SchemaProbe<T> {
    fn schema_fn(&self) -> SchemaFn {
        T::schema
    }
}

/// The probe's answer for any other type.
pub trait UnknownSchema {
    /// A function giving `{}`: any value.
    fn schema_fn(&self) -> SchemaFn;
}

impl<T: ?Sized> UnknownSchema for SchemaProbe<T> {
    fn schema_fn(&self) -> SchemaFn {
        super::table::any_value
    }
}
