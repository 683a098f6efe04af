//! The [`InputType`] model -> `impl Input`, the bounds checks and the schema. Infallible: every
//! error was found before.

use proc_macro2::TokenStream;
use quote::quote;

use super::model::InputType;
use super::{bounds, schema};

pub(super) fn input_impl(model: &InputType<'_>) -> TokenStream {
    let mut bounds = bounds::Bounds {
        checks: Vec::new(),
        unbounded: Vec::new(),
        each: Vec::new(),
    };
    for field in model.fields.iter().filter(|f| !f.serde.skip_deserializing) {
        bounds::field(&mut bounds, field.field, &field.wire, &field.options);
    }
    let arms = model.fields.iter().map(|field| {
        let (rust, wire) = (&field.rust, &field.wire);
        quote!(#rust => ::core::option::Option::Some(#wire),)
    });
    // Each field's type, or the item type of its list or option, may be an input type with
    // names of its own; the probe finds out without requiring it.
    let nested_arms = model.fields.iter().map(|field| {
        let rust = &field.rust;
        let inner = item_type(&field.field.ty);
        quote! {
            #rust => (&&::secure_api::__private::NestedNames::<#inner>::new()).names(),
        }
    });
    let ident = model.ident;
    let allow_unknown = model.allow_unknown;
    let schema = schema::schema(model);
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

/// `T` of `Option<T>`, `Vec<T>`, `Box<T>` and `VecDeque<T>`, peeled repeatedly: the type whose
/// fields validator reports inside a field.
pub(super) fn item_type(ty: &syn::Type) -> &syn::Type {
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
