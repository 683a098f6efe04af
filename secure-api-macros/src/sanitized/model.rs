//! The checked model of a `#[derive(Sanitized)]` type.

use syn::{Generics, Ident, Path, Type};

pub(crate) struct View<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    /// The name given to the serializer (`#[serde(rename)]` on the type, or its own).
    pub(crate) wire_name: String,
    pub(crate) shape: Shape<'a>,
    /// `#[sanitized(from = "Model")]`: build the view from a model with fields of the same names.
    pub(crate) from: Option<Path>,
}

pub(crate) enum Shape<'a> {
    Struct(Vec<Field<'a>>),
    /// An enum of unit variants, serialized as their (renamed) names.
    UnitEnum(Vec<Variant<'a>>),
}

pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) wire_name: String,
    pub(crate) publish: Publish,
    pub(crate) skip_if: Option<Path>,
}

/// What a field's value does in a response.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Publish {
    /// Serialized; its type must be `Sanitized`.
    Checked,
    /// Serialized as it is (`#[trusted]`); its type only needs `Serialize`.
    Trusted,
    /// Never serialized, `[redacted]` in `Debug` (`#[sensitive]`).
    Never,
}

pub(crate) struct Variant<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) wire_name: String,
}
