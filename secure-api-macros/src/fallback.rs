//! What a derive emits when the type's attributes are wrong: the errors, and impls of the
//! derive's traits that are never meant to run (thiserror's `fallback.rs` does the same). Uses
//! of the type then compile, so one mistake is one error, at the attribute, not a cascade of
//! "not `Sanitized`" and "not `Serialize`" at every handler that sends it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

/// `Sanitized`, `Serialize`, `Debug` and `Schema`, unreachable.
pub(crate) fn sanitized(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        impl #impl_generics ::secure_api::Sanitized for #ident #ty_generics #where_clause {
            fn __sanitized_by_derive(_: ::secure_api::__private::SanitizedToken) {}
        }

        impl #impl_generics ::secure_api::__private::serde::Serialize for #ident #ty_generics #where_clause {
            fn serialize<__S>(&self, _: __S) -> ::core::result::Result<__S::Ok, __S::Error>
            where
                __S: ::secure_api::__private::serde::Serializer,
            {
                ::core::unreachable!()
            }
        }

        impl #impl_generics ::core::fmt::Debug for #ident #ty_generics #where_clause {
            fn fmt(&self, _: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::unreachable!()
            }
        }

        impl #impl_generics ::secure_api::__private::Schema for #ident #ty_generics #where_clause {
            fn schema(
                _: &mut ::secure_api::__private::Components,
            ) -> ::secure_api::__private::serde_json::Value {
                ::core::unreachable!()
            }
        }
    }
}

/// `Input` and `InputSchema`, unreachable. A generic type gets none: it is refused anyway,
/// and an impl would only repeat the error.
pub(crate) fn input(input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() {
        return TokenStream::new();
    }
    let ident = &input.ident;
    quote! {
        impl ::secure_api::Input for #ident {
            fn wire_name(_: &str) -> ::core::option::Option<&'static str> {
                ::core::unreachable!()
            }
        }

        impl ::secure_api::__private::InputSchema for #ident {
            fn input_schema(
                _: &mut ::secure_api::__private::Components,
            ) -> ::secure_api::__private::serde_json::Value {
                ::core::unreachable!()
            }
        }
    }
}
