//! The OpenAPI description of an input type: `impl InputSchema`, as a table of its fields that
//! one function of the runtime turns into the schema (`Components::input_object`), so that a
//! type adds data to the user's crate, not code.
//!
//! ```text
//! // Input:
//! #[derive(Deserialize, Validate, Input)]
//! #[serde(rename_all = "camelCase")]
//! struct NewPost { #[validate(length(min = 3, max = 200))] title: String, tags: Option<Vec<String>> }
//!
//! // Output (paths through ::secure_api::__private):
//! impl InputSchema for NewPost {
//!     fn input_schema(components: &mut Components) -> Value {
//!         components.input_object(type_name::<Self>(), &[
//!             FieldSchema { name: "title", aliases: &[], schema: <String's schema fn>,
//!                           rules: &[Constraint::Length { min: IntoBound::bound(3), max: IntoBound::bound(200),
//!                                                   equal: Bound::None }],
//!                           required: true },
//!             FieldSchema { name: "tags", aliases: &[], schema: <its schema fn>, rules: &[], required: false },
//!         ], true)                                            // unknown fields are refused
//!     }
//! }
//! ```
//!
//! Nothing here reports an error: serde's and validator's derives own their attributes and
//! report their mistakes; what cannot be read is simply not described.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Expr, Field, Type};

use super::model::InputType;
use crate::serde_attrs::skip_value;

/// `impl InputSchema` for the model's type: closed when unknown fields are refused; no field
/// required when the type says `#[serde(default)]`.
pub(super) fn schema(model: &InputType<'_>) -> TokenStream {
    let (ident, closed, default_all) = (model.ident, !model.allow_unknown, model.default_all);
    let fields = model
        .fields
        .iter()
        // A skipped field is not read; a flattened one's fields are the type's own, and are
        // not described.
        .filter(|input| !input.serde.skip_deserializing && !input.serde.flatten)
        .map(|input| {
            let (field, serde, wire_name) = (input.field, &input.serde, &input.wire);
            let ty = &field.ty;
            let (mut rules, required_rule) = rules(field);
            if let Some((min, max)) = input.options.each {
                let min = min.map_or_else(no_bound, |min| bound(&min));
                let max = bound(&max);
                rules.push(quote! {
                    ::secure_api::__private::Constraint::EachLength { min: #min, max: #max }
                });
            }
            // validator's `required` refuses a missing `Option`.
            let must_send = required_rule || !default_all && !serde.default && !is_option(ty);
            // A field read by a function of its own is not described by its type.
            let schema = if serde.deserialize_with {
                quote!(::secure_api::__private::any_value)
            } else {
                quote!((&&&::secure_api::__private::SchemaProbe::<#ty>::new()).schema_fn())
            };
            let aliases = &serde.aliases;
            quote! {
                ::secure_api::__private::FieldSchema {
                    name: #wire_name,
                    aliases: &[#(#aliases),*],
                    schema: #schema,
                    rules: &[#(#rules),*],
                    required: #must_send,
                }
            }
        });
    quote! {
        impl ::secure_api::__private::InputSchema for #ident {
            fn input_schema(
                __components: &mut ::secure_api::__private::Components,
            ) -> ::secure_api::__private::serde_json::Value {
                #[allow(unused_imports)]
                use ::secure_api::__private::{
                    KnownInputSchema as _, KnownSchema as _, UnknownSchema as _,
                };
                __components.input_object(
                    ::core::any::type_name::<Self>(),
                    &[#(#fields),*],
                    #closed,
                )
            }
        }
    }
}

/// serde leaves a missing `Option` field `None`; like serde, this goes by the type's name.
fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// The `#[validate(...)]` rules of a field that have a JSON Schema counterpart, as
/// `Constraint` expressions, and whether it has the `required` rule.
fn rules(field: &Field) -> (Vec<TokenStream>, bool) {
    let mut rules = Vec::new();
    let mut required = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("validate")) {
        let _ = attr.parse_nested_meta(|meta| {
            let rule = meta.path.get_ident().map(ToString::to_string);
            match rule.as_deref() {
                Some("length") => {
                    let [min, max, equal] = bounds(&meta, ["min", "max", "equal"])?;
                    rules.push(quote! {
                        ::secure_api::__private::Constraint::Length { min: #min, max: #max, equal: #equal }
                    });
                }
                Some("range") => {
                    let [min, max, exclusive_min, exclusive_max] =
                        bounds(&meta, ["min", "max", "exclusive_min", "exclusive_max"])?;
                    rules.push(quote! {
                        ::secure_api::__private::Constraint::Range {
                            min: #min, max: #max, exclusive_min: #exclusive_min, exclusive_max: #exclusive_max,
                        }
                    });
                }
                Some("email") => {
                    rules.push(quote!(::secure_api::__private::Constraint::Email));
                    skip_value(&meta)?;
                }
                Some("url") => {
                    rules.push(quote!(::secure_api::__private::Constraint::Url));
                    skip_value(&meta)?;
                }
                Some("required") => {
                    required = true;
                    rules.push(quote!(::secure_api::__private::Constraint::Required));
                    skip_value(&meta)?;
                }
                _ => skip_value(&meta)?,
            }
            Ok(())
        });
    }
    (rules, required)
}

/// The values of `names` inside `rule(...)`, as `Bound` expressions.
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
            no_bound,
            // Any number type validator takes, `u128` included; one JSON cannot hold is left out.
            |value| bound(&value),
        )
    }))
}

fn no_bound() -> TokenStream {
    quote!(::secure_api::__private::Bound::None)
}

/// A bound as written, converted by the runtime.
fn bound(value: &impl quote::ToTokens) -> TokenStream {
    quote!(::secure_api::__private::IntoBound::bound(#value))
}
