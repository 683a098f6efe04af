//! The type and its attributes -> the [`InputType`] model. serde's attributes come from the
//! crate's one reader ([`crate::serde_attrs`]); its mistakes are left to serde's own derive,
//! which sits beside this one and reports them. `#[input(...)]` is this derive's and is
//! checked here.

use syn::{Data, DeriveInput, Fields};

use super::bounds::FieldOptions;
use super::model::{InputField, InputType};
use crate::errors::Errors;
use crate::serde_attrs::{Container, FieldAttrs};

pub(super) fn input_type<'a>(input: &'a DeriveInput, errors: &mut Errors) -> InputType<'a> {
    let serde = Container::read(&input.attrs);
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Some(named),
            _ => None,
        },
        _ => None,
    };
    if named.is_none() {
        errors.at(
            &input.ident,
            "`Input` is derived for structs with named fields",
        );
    }
    let fields = named
        .into_iter()
        .flat_map(|named| &named.named)
        .filter_map(|field| {
            let ident = field.ident.as_ref()?;
            let rust = syn::ext::IdentExt::unraw(ident).to_string();
            let attrs = FieldAttrs::read(field);
            let wire = attrs
                .rename
                .deserialize
                .clone()
                .unwrap_or_else(|| serde.deserialized_field(&rust));
            Some(InputField {
                field,
                rust,
                wire,
                serde: attrs,
                options: FieldOptions::read(field, errors),
            })
        })
        .collect();
    InputType {
        ident: &input.ident,
        allow_unknown: allow_unknown_fields(input, errors),
        default_all: serde.default,
        fields,
    }
}

/// `#[input(allow_unknown_fields)]` on the type; any other `input` option is an error.
pub(super) fn allow_unknown_fields(input: &DeriveInput, errors: &mut Errors) -> bool {
    let mut allow_unknown = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("input")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("allow_unknown_fields") {
                allow_unknown = true;
                Ok(())
            } else {
                Err(meta.error("unknown `input` option; expected `allow_unknown_fields`"))
            }
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    allow_unknown
}
