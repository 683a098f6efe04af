//! The schema probes generated code calls: they find a type's schema when it has one, without
//! requiring one. Reached only through `secure_api::__private`.

use std::marker::PhantomData;

use serde_json::{Value, json};

use super::{Components, InputSchema, Schema};

/// Finds the schema of a type that has one, and `{}` otherwise, without requiring it: generated
/// code calls `(&&SchemaProbe::<T>::new()).schema(components)`, and method resolution picks
/// [`KnownSchema`] when `T: Schema` and [`UnknownSchema`] otherwise. For inputs it calls
/// `(&&&SchemaProbe::<T>::new()).schema(components)`, which tries [`KnownInputSchema`] first.
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
    /// The type's input schema.
    fn schema(&self, components: &mut Components) -> Value;
}

impl<T: InputSchema + ?Sized> KnownInputSchema for &&SchemaProbe<T> {
    fn schema(&self, components: &mut Components) -> Value {
        T::input_schema(components)
    }
}

/// The probe's answer when the type has a schema.
pub trait KnownSchema {
    /// The type's schema.
    fn schema(&self, components: &mut Components) -> Value;
}

impl<T: Schema + ?Sized> KnownSchema for &SchemaProbe<T> {
    fn schema(&self, components: &mut Components) -> Value {
        T::schema(components)
    }
}

/// The probe's answer for any other type.
pub trait UnknownSchema {
    /// `{}`: any value.
    fn schema(&self, components: &mut Components) -> Value;
}

impl<T: ?Sized> UnknownSchema for SchemaProbe<T> {
    fn schema(&self, _: &mut Components) -> Value {
        json!({})
    }
}
