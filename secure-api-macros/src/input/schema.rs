//! The OpenAPI description of an input type: `impl Schema`.
//!
//! ```text
//! // Input:
//! #[derive(Deserialize, Validate, Input)]
//! #[serde(rename_all = "camelCase")]
//! struct NewPost { #[validate(length(min = 3, max = 200))] title: String, tags: Option<Vec<String>> }
//!
//! // Output (paths through ::secure_api::__private):
//! impl Schema for NewPost {
//!     fn schema(components: &mut Components) -> Value {
//!         components.named::<Self>(|components| ObjectSchema::new()
//!             .field("title", constrain(<String's schema>, &Constraint::Length { min: 3, max: 200 }), true)
//!             .field("tags", <Option<Vec<String>>'s schema>, false)
//!             .build(true))                                   // unknown fields are refused
//!     }
//! }
//! ```
//!
//! Nothing here reports an error: serde's and validator's derives own their attributes and
//! report their mistakes; what cannot be read is simply not described.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Expr, Field, Ident, Type};

/// One field as the schema sees it.
pub(super) struct SchemaField<'a> {
    pub(super) wire_name: String,
    pub(super) field: &'a Field,
}

/// `impl Schema for #ident`. `closed` when unknown fields are refused; `default_all` when the
/// type says `#[serde(default)]`, so that no field is required.
pub(super) fn schema(
    ident: &Ident,
    fields: &[SchemaField<'_>],
    closed: bool,
    default_all: bool,
) -> TokenStream {
    let fields = fields.iter().filter_map(|SchemaField { wire_name, field }| {
        let serde = SerdeField::read(field);
        if serde.skipped || serde.flattened {
            return None;
        }
        let ty = &field.ty;
        let required = !default_all && !serde.default && !is_option(ty);
        let constraints = constraints(field);
        Some(quote! {
            .field(
                #wire_name,
                {
                    let __schema = (&&::secure_api::__private::SchemaProbe::<#ty>::new()).schema(__components);
                    #(let __schema = ::secure_api::__private::constrain(__schema, &#constraints);)*
                    __schema
                },
                #required,
            )
        })
    });
    quote! {
        impl ::secure_api::__private::Schema for #ident {
            fn schema(
                __components: &mut ::secure_api::__private::Components,
            ) -> ::secure_api::__private::serde_json::Value {
                __components.named::<Self>(|__components| {
                    #[allow(unused_imports)]
                    use ::secure_api::__private::{KnownSchema as _, UnknownSchema as _};
                    let _ = &__components;
                    ::secure_api::__private::ObjectSchema::new() #(#fields)* .build(#closed)
                })
            }
        }
    }
}

/// What serde's field attributes say about the field's presence.
#[derive(Default)]
struct SerdeField {
    /// `default` or `default = "..."`: it may be left out.
    default: bool,
    /// `skip` or `skip_deserializing`: it is not read at all.
    skipped: bool,
    /// `flatten`: its fields are the type's own; they are not described.
    flattened: bool,
}

impl SerdeField {
    fn read(field: &Field) -> Self {
        let mut read = Self::default();
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("default") {
                    read.default = true;
                } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_deserializing") {
                    read.skipped = true;
                } else if meta.path.is_ident("flatten") {
                    read.flattened = true;
                }
                skip_value(&meta)
            });
        }
        read
    }
}

/// Consumes `= value` or `(...)` after a meta's path, whatever it holds.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

/// serde leaves a missing `Option` field `None`; like serde, this goes by the type's name.
fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// The `#[validate(...)]` rules of a field that have a JSON Schema counterpart, as
/// `Constraint` expressions.
fn constraints(field: &Field) -> Vec<TokenStream> {
    let mut constraints = Vec::new();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("validate")) {
        let _ = attr.parse_nested_meta(|meta| {
            let rule = meta.path.get_ident().map(ToString::to_string);
            match rule.as_deref() {
                Some("length") => {
                    let [min, max, equal] = bounds(&meta, ["min", "max", "equal"])?;
                    constraints.push(quote! {
                        ::secure_api::__private::Constraint::Length { min: #min, max: #max, equal: #equal }
                    });
                }
                Some("range") => {
                    let [min, max, exclusive_min, exclusive_max] =
                        bounds(&meta, ["min", "max", "exclusive_min", "exclusive_max"])?;
                    constraints.push(quote! {
                        ::secure_api::__private::Constraint::Range {
                            min: #min, max: #max, exclusive_min: #exclusive_min, exclusive_max: #exclusive_max,
                        }
                    });
                }
                Some("email") => {
                    constraints.push(quote!(::secure_api::__private::Constraint::Email));
                    skip_value(&meta)?;
                }
                Some("url") => {
                    constraints.push(quote!(::secure_api::__private::Constraint::Url));
                    skip_value(&meta)?;
                }
                _ => skip_value(&meta)?,
            }
            Ok(())
        });
    }
    constraints
}

/// The values of `names` inside `rule(...)`, as `Option<Value>` expressions.
fn bounds<const N: usize>(
    meta: &syn::meta::ParseNestedMeta<'_>,
    names: [&str; N],
) -> syn::Result<[TokenStream; N]> {
    let mut values: [Option<Expr>; N] = std::array::from_fn(|_| None);
    meta.parse_nested_meta(|inner| {
        match names.iter().position(|name| inner.path.is_ident(name)) {
            Some(index) => values[index] = Some(inner.value()?.parse()?),
            None => skip_value(&inner)?,
        }
        Ok(())
    })?;
    Ok(values.map(|value| {
        value.map_or_else(
            || quote!(::core::option::Option::None),
            // Any number type validator takes, `u128` included; one JSON cannot hold is left out.
            |value| quote!(::secure_api::__private::serde_json::to_value(&(#value)).ok()),
        )
    }))
}
