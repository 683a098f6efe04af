//! The checked model of a `#[derive(Input)]` type: what expansion needs, read once.

use syn::{Field, Ident};

use super::bounds::FieldOptions;
use crate::serde_attrs::FieldAttrs;

pub(super) struct InputType<'a> {
    pub(super) ident: &'a Ident,
    /// `#[input(allow_unknown_fields)]`.
    pub(super) allow_unknown: bool,
    /// `#[serde(default)]` on the type: no field is required.
    pub(super) default_all: bool,
    pub(super) fields: Vec<InputField<'a>>,
}

pub(super) struct InputField<'a> {
    pub(super) field: &'a Field,
    /// The field's Rust name, raw identifiers unprefixed (`r#type` is `type`).
    pub(super) rust: String,
    /// The name a client sends: its `rename`, the type's `rename_all`, or its own.
    pub(super) wire: String,
    pub(super) serde: FieldAttrs,
    pub(super) options: FieldOptions,
}
