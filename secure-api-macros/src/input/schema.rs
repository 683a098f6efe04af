//! The OpenAPI description of an input type: `impl InputSchema`.
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
//!         components.named_input::<Self>(|components| ObjectSchema::new()
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
            let each = input.options.each;
            let ty = &field.ty;
            let (mut constraints, required_rule) = constraints(field);
            if let Some((min, max)) = each {
                let min = min.map_or_else(
                    || quote!(::core::option::Option::None),
                    |min| quote!(::core::option::Option::Some(::secure_api::__private::serde_json::Value::from(#min))),
                );
                constraints.push(quote! {
                    ::secure_api::__private::Constraint::Each(::std::boxed::Box::new(
                        ::secure_api::__private::Constraint::Length {
                            min: #min,
                            max: ::core::option::Option::Some(::secure_api::__private::serde_json::Value::from(#max)),
                            equal: ::core::option::Option::None,
                        },
                    ))
                });
            }
            // validator's `required` refuses a missing `Option`. With aliases, which one name
            // is sent is a rule over the names, not a property of each.
            let must_send = required_rule || !default_all && !serde.default && !is_option(ty);
            let required = must_send && serde.aliases.is_empty();
            // A field read by a function of its own is not described by its type.
            let schema = if serde.deserialize_with {
                quote!(::secure_api::__private::serde_json::Value::Object(
                    ::core::default::Default::default()
                ))
            } else {
                quote!((&&&::secure_api::__private::SchemaProbe::<#ty>::new()).schema(__components))
            };
            let aliases = &serde.aliases;
            let one_name = (!aliases.is_empty()).then(|| {
                quote!(let __object = __object.one_name_of(&[#wire_name #(, #aliases)*], #must_send);)
            });
            quote! {
                let __schema = #schema;
                #(let __schema = ::secure_api::__private::constrain(__schema, &#constraints);)*
                #(let __object = __object.field(#aliases, __schema.clone(), false);)*
                let __object = __object.field(#wire_name, __schema, #required);
                #one_name
            }
        });
    quote! {
        impl ::secure_api::__private::InputSchema for #ident {
            fn input_schema(
                __components: &mut ::secure_api::__private::Components,
            ) -> ::secure_api::__private::serde_json::Value {
                __components.named_input::<Self>(|__components| {
                    #[allow(unused_imports)]
                    use ::secure_api::__private::{
                        KnownInputSchema as _, KnownSchema as _, UnknownSchema as _,
                    };
                    let _ = &__components;
                    let __object = ::secure_api::__private::ObjectSchema::new();
                    #(#fields)*
                    __object.build(#closed)
                })
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
fn constraints(field: &Field) -> (Vec<TokenStream>, bool) {
    let mut constraints = Vec::new();
    let mut required = false;
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
                Some("required") => {
                    required = true;
                    constraints.push(quote!(::secure_api::__private::Constraint::Required));
                    skip_value(&meta)?;
                }
                _ => skip_value(&meta)?,
            }
            Ok(())
        });
    }
    (constraints, required)
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
