//! `#[derive(Input)]`: what the validating extractors need to know of a body or query type:
//! the wire name of each field (after serde's renames), and whether unknown fields are allowed;
//! a size bound for each field ([`bounds`]); and its schema for the OpenAPI document
//! ([`schema`]).
//!
//! ```text
//! // Input:
//! #[derive(Deserialize, Validate, Input)]
//! #[serde(rename_all = "camelCase")]
//! struct ListPosts { per_page: u32 }
//!
//! // Output:
//! impl ::secure_api::Input for ListPosts {
//!     const ALLOW_UNKNOWN_FIELDS: bool = false;
//!     fn wire_name(field: &str) -> Option<&'static str> {
//!         match field { "per_page" => Some("perPage"), _ => None }
//!     }
//! }
//! ```

mod bounds;
mod schema;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::errors::Errors;
use crate::sanitized::rename::RenameRule;

/// The errors, with the fallback impls that keep uses of the type from repeating them.
fn refused(input: &DeriveInput, mut errors: TokenStream) -> TokenStream {
    errors.extend(crate::fallback::input(input));
    errors
}

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let (rename_all, allow_unknown, default_all) = container_attrs(input, &mut errors);
    if !input.generics.params.is_empty() {
        errors.at(
            &input.generics,
            "`Input` types cannot be generic; name a concrete type",
        );
    }
    let fields = if let Data::Struct(data) = &input.data
        && let Fields::Named(named) = &data.fields
    {
        named.named.iter().collect::<Vec<_>>()
    } else {
        errors.at(
            &input.ident,
            "`Input` is derived for structs with named fields",
        );
        Vec::new()
    };
    let options: Vec<bounds::FieldOptions> = fields
        .iter()
        .map(|field| bounds::FieldOptions::read(field, &mut errors))
        .collect();
    if errors.count() > 0 {
        return refused(input, errors.to_compile_errors());
    }
    let mut bounds = bounds::Bounds {
        checks: Vec::new(),
        unbounded: Vec::new(),
        each: Vec::new(),
    };
    let mut flattened = false;
    let mut schema_fields = Vec::new();
    let arms: Vec<TokenStream> = fields
        .iter()
        .zip(&options)
        .filter_map(|(field, options)| {
            let ident = field.ident.as_ref()?;
            let rust = syn::ext::IdentExt::unraw(ident).to_string();
            let (wire, flattens) = wire_name(field, &rust, rename_all);
            flattened |= flattens;
            if !bounds::is_skipped(field) {
                bounds::field(&mut bounds, field, &wire, options);
            }
            let arm = quote!(#rust => ::core::option::Option::Some(#wire),);
            schema_fields.push(schema::SchemaField {
                wire_name: wire,
                field,
                each: options.each,
            });
            Some(arm)
        })
        .collect();
    if flattened && !allow_unknown {
        // serde buffers a flattened type's input, and fields it does not know then go unseen.
        let error = syn::Error::new_spanned(
            &input.ident,
            "`#[serde(flatten)]` hides unknown fields from the check against mass assignment; \
             list the fields instead, or opt out with `#[input(allow_unknown_fields)]`",
        );
        return refused(input, error.to_compile_error());
    }
    // Each field's type, or the item type of its list or option, may be an input type with
    // names of its own; the probe finds out without requiring it.
    let nested_arms = fields.iter().filter_map(|field| {
        let rust = syn::ext::IdentExt::unraw(field.ident.as_ref()?).to_string();
        let inner = item_type(&field.ty);
        Some(quote! {
            #rust => (&&::secure_api::__private::NestedNames::<#inner>::new()).names(),
        })
    });
    let ident = &input.ident;
    let schema = schema::schema(ident, &schema_fields, !allow_unknown, default_all);
    let checks = bounds.checks(ident);
    let input_items = bounds.input_items();
    quote! {
        #schema

        #checks

        impl ::secure_api::Input for #ident {
            const ALLOW_UNKNOWN_FIELDS: bool = #allow_unknown;
            #input_items

            fn schema(
                components: &mut ::secure_api::__private::Components,
            ) -> ::secure_api::__private::serde_json::Value {
                <Self as ::secure_api::__private::InputSchema>::input_schema(components)
            }

            fn wire_name(field: &str) -> ::core::option::Option<&'static str> {
                match field {
                    #(#arms)*
                    _ => ::core::option::Option::None,
                }
            }

            fn nested(field: &str) -> ::core::option::Option<::secure_api::__private::WireNames> {
                #[allow(unused_imports)]
                use ::secure_api::__private::{NamesOfInput as _, NoNames as _};
                match field {
                    #(#nested_arms)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    }
}

/// The name a client sends for the field `rust` (after `rename_all` and its own `rename`), and
/// whether the field is `#[serde(flatten)]`.
fn wire_name(field: &syn::Field, rust: &str, rename_all: Option<RenameRule>) -> (String, bool) {
    let mut wire = rename_all.map_or_else(|| rust.to_owned(), |rule| rule.apply_to_field(rust));
    let mut flattened = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("flatten") {
                flattened = true;
            } else if meta.path.is_ident("rename") {
                if let Some(name) = deserialize_name(&meta)? {
                    wire = name;
                }
            } else if meta.input.peek(syn::Token![=]) {
                let _ = meta.value()?.parse::<syn::Expr>()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _ = meta.parse_nested_meta(|_| Ok(()));
            }
            Ok(())
        });
    }
    (wire, flattened)
}

/// `T` of `Option<T>`, `Vec<T>`, `Box<T>` and `VecDeque<T>`, peeled repeatedly: the type whose
/// fields validator reports inside a field.
fn item_type(ty: &syn::Type) -> &syn::Type {
    if let syn::Type::Path(path) = ty
        && let Some(segment) = path.path.segments.last()
        && ["Option", "Vec", "Box", "VecDeque"]
            .iter()
            .any(|name| segment.ident == name)
        && let syn::PathArguments::AngleBracketed(args) = &segment.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return item_type(inner);
    }
    ty
}

/// The name a `rename` or `rename_all` gives for reading: `= "name"`, or the `deserialize`
/// of `(serialize = "...", deserialize = "...")`.
fn deserialize_name(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Option<String>> {
    if meta.input.peek(syn::Token![=]) {
        return Ok(Some(meta.value()?.parse::<LitStr>()?.value()));
    }
    let mut name = None;
    meta.parse_nested_meta(|inner| {
        let value = inner.value()?.parse::<LitStr>()?;
        if inner.path.is_ident("deserialize") {
            name = Some(value.value());
        }
        Ok(())
    })?;
    Ok(name)
}

/// `#[serde(rename_all)]`, `#[input(allow_unknown_fields)]` and `#[serde(default)]` of the
/// type.
fn container_attrs(input: &DeriveInput, errors: &mut Errors) -> (Option<RenameRule>, bool, bool) {
    let mut rename_all = None;
    let mut allow_unknown = false;
    let mut default_all = false;
    for attr in &input.attrs {
        if attr.path().is_ident("serde") {
            // Only the renames matter here; serde's own derive checks everything else.
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") {
                    if let Some(rule) = deserialize_name(&meta)? {
                        rename_all = RenameRule::from_name(&rule);
                    }
                } else if meta.path.is_ident("default") {
                    default_all = true;
                    if meta.input.peek(syn::Token![=]) {
                        let _ = meta.value()?.parse::<syn::Expr>()?;
                    }
                } else if meta.input.peek(syn::Token![=]) {
                    let _ = meta.value()?.parse::<syn::Expr>()?;
                } else if meta.input.peek(syn::token::Paren) {
                    let _ = meta.parse_nested_meta(|_| Ok(()));
                }
                Ok(())
            });
        } else if attr.path().is_ident("input") {
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
    }
    (rename_all, allow_unknown, default_all)
}

#[cfg(test)]
mod tests;
