//! The checked [`View`] -> `Serialize`, `Sanitized`, `Debug`, `Schema` and optionally `From`.
//!
//! ```text
//! // Input:
//! #[derive(Sanitized)]
//! #[serde(rename_all = "camelCase")]
//! struct UserView { id: i64, created_at: String, #[sensitive] password_hash: String }
//!
//! // Output (paths through ::secure_api::__private):
//! impl Serialize for UserView {
//!     fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
//!         let mut state = s.serialize_struct("UserView", 2)?;
//!         state.serialize_field("id", sanitized(&self.id))?;          // i64: Sanitized
//!         state.serialize_field("createdAt", sanitized(&self.created_at))?;
//!         state.end()                                                 // no password_hash
//!     }
//! }
//! impl Sanitized for UserView {}
//! impl Debug for UserView { /* password_hash: [redacted] */ }
//! impl Schema for UserView { /* an object of "id" and "createdAt": no password_hash */ }
//! ```

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{GenericParam, Generics, parse_quote};

use super::model::{Field, Publish, Shape, View};

pub(crate) fn view(view: &View<'_>) -> TokenStream {
    let serialize = serialize(view);
    let debug = debug(view);
    let schema = schema(view);
    let from = from(view);
    let ident = view.ident;
    let sanitized_generics = bounded(view.generics, &parse_quote!(::secure_api::Sanitized));
    let (impl_generics, ty_generics, where_clause) = sanitized_generics.split_for_impl();
    quote! {
        #serialize
        impl #impl_generics ::secure_api::Sanitized for #ident #ty_generics #where_clause {
            fn __sanitized_by_derive(_: ::secure_api::__private::SanitizedToken) {}
        }
        #debug
        #schema
        #from
    }
}

/// The type's generics with `bound` on every type parameter, as serde's derive adds
/// `T: Serialize`.
fn bounded(generics: &Generics, bound: &syn::TypeParamBound) -> Generics {
    let mut generics = generics.clone();
    for param in &mut generics.params {
        if let GenericParam::Type(param) = param {
            param.bounds.push(bound.clone());
        }
    }
    generics
}

fn serialize(view: &View<'_>) -> TokenStream {
    let ident = view.ident;
    let name = &view.wire_name;
    let generics = bounded(view.generics, &parse_quote!(::secure_api::Sanitized));
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let body = match &view.shape {
        Shape::Struct(fields) => {
            let sent: Vec<&Field<'_>> = fields
                .iter()
                .filter(|f| f.publish != Publish::Never)
                .collect();
            let counts = sent.iter().map(|field| {
                let member = field.ident;
                if let Some(skip) = &field.skip_if {
                    quote!(usize::from(!#skip(&self.#member)))
                } else {
                    quote!(1usize)
                }
            });
            let writes = sent.iter().map(|field| serialize_field(field));
            quote! {
                use ::secure_api::__private::serde::ser::SerializeStruct as _;
                let __len = 0usize #(+ #counts)*;
                let mut __state = __serializer.serialize_struct(#name, __len)?;
                #(#writes)*
                __state.end()
            }
        }
        Shape::UnitEnum(variants) => {
            let arms = variants.iter().enumerate().map(|(index, variant)| {
                let variant_ident = variant.ident;
                let wire = &variant.wire_name;
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                quote!(Self::#variant_ident => __serializer.serialize_unit_variant(#name, #index, #wire),)
            });
            quote! {
                match *self {
                    #(#arms)*
                }
            }
        }
    };
    quote! {
        impl #impl_generics ::secure_api::__private::serde::Serialize for #ident #ty_generics #where_clause {
            fn serialize<__S>(&self, __serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error>
            where
                __S: ::secure_api::__private::serde::Serializer,
            {
                #body
            }
        }
    }
}

/// One field: checked to be `Sanitized` at its type's span (unless `#[trusted]`), and skipped
/// when its `skip_serializing_if` says so.
fn serialize_field(field: &Field<'_>) -> TokenStream {
    let member = field.ident;
    let wire = &field.wire_name;
    let ty = field.ty;
    let value = if field.publish == Publish::Trusted {
        quote!(&self.#member)
    } else {
        quote_spanned!(ty.span()=> ::secure_api::__private::sanitized::<#ty>(&self.#member))
    };
    let write = quote!(__state.serialize_field(#wire, #value)?;);
    match &field.skip_if {
        Some(skip) => quote! {
            if #skip(&self.#member) {
                __state.skip_field(#wire)?;
            } else {
                #write
            }
        },
        None => write,
    }
}

fn debug(view: &View<'_>) -> TokenStream {
    let ident = view.ident;
    let name = ident.to_string();
    let generics = bounded(view.generics, &parse_quote!(::secure_api::Sanitized));
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let body = match &view.shape {
        Shape::Struct(fields) => {
            let entries = fields.iter().map(|field| {
                let member = field.ident;
                let label = member.to_string();
                match field.publish {
                    // The value is touched, not printed, so a field kept only for the model's
                    // sake is not reported as never read.
                    Publish::Never => quote!(.field(#label, {
                        let _ = &self.#member;
                        &::secure_api::__private::Redacted
                    })),
                    // Through the same check as serialization, so a field that is not
                    // `Sanitized` gets that one error, not a second one about `Debug`.
                    Publish::Checked => {
                        let ty = field.ty;
                        quote_spanned!(ty.span()=>
                            .field(#label, ::secure_api::__private::sanitized::<#ty>(&self.#member))
                        )
                    }
                    Publish::Trusted => quote!(.field(#label, &self.#member)),
                }
            });
            quote!(__f.debug_struct(#name) #(#entries)* .finish())
        }
        Shape::UnitEnum(variants) => {
            let arms = variants.iter().map(|variant| {
                let variant_ident = variant.ident;
                let label = variant_ident.to_string();
                quote!(Self::#variant_ident => __f.write_str(#label),)
            });
            quote!(match *self { #(#arms)* })
        }
    };
    quote! {
        impl #impl_generics ::core::fmt::Debug for #ident #ty_generics #where_clause {
            fn fmt(&self, __f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #body
            }
        }
    }
}

/// The OpenAPI description of what `Serialize` writes: the published fields by their wire
/// names, each required unless it may be skipped, and nothing else. A field's type with no
/// schema of its own (a `#[trusted]` foreign type) is described as any value; the probe finds
/// out without requiring `Schema`, so a field that is not `Sanitized` gets that one error.
fn schema(view: &View<'_>) -> TokenStream {
    let ident = view.ident;
    let generics = bounded(
        view.generics,
        &parse_quote!(::secure_api::__private::Schema),
    );
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let body = match &view.shape {
        Shape::Struct(fields) => {
            // The secret fields' names, never in the document, for the self-audit to look for.
            let sensitive: Vec<String> = fields
                .iter()
                .filter(|f| f.publish == Publish::Never)
                .flat_map(|field| {
                    let rust = field.ident.to_string();
                    let wire = field.wire_name.clone();
                    if rust == wire {
                        vec![rust]
                    } else {
                        vec![rust, wire]
                    }
                })
                .collect();
            let fields = fields
                .iter()
                .filter(|f| f.publish != Publish::Never)
                .map(|field| {
                    let wire = &field.wire_name;
                    let ty = field.ty;
                    let required = field.skip_if.is_none();
                    quote! {
                        ::secure_api::__private::FieldSchema {
                            name: #wire,
                            aliases: &[],
                            schema: (&&::secure_api::__private::SchemaProbe::<#ty>::new()).schema_fn(),
                            rules: &[],
                            required: #required,
                        }
                    }
                });
            quote! {
                #[allow(unused_imports)]
                use ::secure_api::__private::{KnownSchema as _, UnknownSchema as _};
                __components.output_object(
                    ::core::any::type_name::<Self>(),
                    &[#(#fields),*],
                    &[#(#sensitive),*],
                )
            }
        }
        Shape::UnitEnum(variants) => {
            let names = variants.iter().map(|variant| &variant.wire_name);
            quote!(__components.output_enum(::core::any::type_name::<Self>(), &[#(#names),*]))
        }
    };
    quote! {
        impl #impl_generics ::secure_api::__private::Schema for #ident #ty_generics #where_clause {
            fn schema(
                __components: &mut ::secure_api::__private::Components,
            ) -> ::secure_api::__private::serde_json::Value {
                #body
            }
        }
    }
}

/// `impl From<Model> for View`, moving each field of the view from the model's field of the
/// same name: the article's `sanitizeUser(user)` in one line, with the compiler checking names.
fn from(view: &View<'_>) -> Option<TokenStream> {
    let model = view.from.as_ref()?;
    let Shape::Struct(fields) = &view.shape else {
        return None;
    };
    let ident = view.ident;
    let (impl_generics, ty_generics, where_clause) = view.generics.split_for_impl();
    let members = fields.iter().map(|field| field.ident);
    Some(quote! {
        impl #impl_generics ::core::convert::From<#model> for #ident #ty_generics #where_clause {
            fn from(__model: #model) -> Self {
                Self { #(#members: __model.#members),* }
            }
        }
    })
}
