//! The checked [`Handler`] -> tokens. Infallible: no error is created here.
//!
//! ```text
//! // Input:
//! #[secure(auth)]
//! pub async fn me(user: AuthUser) -> ApiResult<Json<Me>> { body }
//!
//! // Output:
//! #[doc(hidden)] #[allow(non_camel_case_types)]
//! pub struct __secure_api_policy_me;
//! impl RoutePolicy for __secure_api_policy_me {
//!     const POLICY: Policy = Policy::authenticated("me");
//! }
//! pub async fn me(
//!     _: Guard<__secure_api_policy_me>,           // runs the pipeline before any extractor
//!     __secure_api_arg0: Extract<AuthUser>,       // extractor rejections made generic
//! ) -> Secured<ApiResult<Json<Me>>, __secure_api_policy_me> {
//!     async fn __secure_api_handler(user: AuthUser) -> ApiResult<Json<Me>> { body }
//!     Secured::__new(__secure_api_handler(__secure_api_arg0.0).await)
//! }
//! ```
//!
//! The original function survives intact as the inner one, so its body, patterns, return
//! type and spans are exactly what the user wrote.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, GenericParam, ReturnType};

use super::model::{Access, Handler};

pub(crate) fn handler(handler: &Handler) -> TokenStream {
    let function = &handler.function;
    let signature = &function.sig;
    let vis = &function.vis;
    let name = &signature.ident;
    let name_text = name.to_string();
    let policy_type = format_ident!("__secure_api_policy_{}", name);
    let inner_name = format_ident!("__secure_api_handler");

    let policy = match handler.policy.access {
        Access::Public => quote!(::secure_api::__private::Policy::public(#name_text)),
        Access::Authenticated => quote!(::secure_api::__private::Policy::authenticated(#name_text)),
    };

    let (outer_attrs, inner_attrs) = split_attributes(&function.attrs);
    let cfg_attrs: Vec<&Attribute> = outer_attrs
        .iter()
        .copied()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();

    let mut outer_args = Vec::new();
    let mut call_args = Vec::new();
    for (index, arg) in signature.inputs.iter().enumerate() {
        if let FnArg::Typed(arg) = arg {
            let ident = format_ident!("__secure_api_arg{}", index);
            let ty = &arg.ty;
            outer_args.push(quote_spanned! {ty.span()=>
                #ident: ::secure_api::__private::Extract<#ty>
            });
            call_args.push(quote!(#ident.0));
        }
    }

    let output = match &signature.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    let generics = &signature.generics;
    let (_, _, where_clause) = generics.split_for_impl();
    let turbofish = turbofish(generics);

    // Only a handler already reported as not `async` lacks it; not awaiting keeps errors quiet.
    let await_inner = signature.asyncness.map(|_| quote!(.await));
    let mut inner = function.clone();
    inner.attrs = inner_attrs.into_iter().cloned().collect();
    // A handler must be `async` for the router even when its body awaits nothing.
    inner
        .attrs
        .push(syn::parse_quote!(#[allow(clippy::unused_async)]));
    inner.vis = syn::Visibility::Inherited;
    inner.sig.ident = inner_name.clone();

    quote! {
        #(#cfg_attrs)*
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #policy_type;

        #(#cfg_attrs)*
        impl ::secure_api::__private::RoutePolicy for #policy_type {
            const POLICY: ::secure_api::__private::Policy = #policy;
        }

        #(#outer_attrs)*
        #vis async fn #name #generics(
            _: ::secure_api::__private::Guard<#policy_type>,
            #(#outer_args),*
        ) -> ::secure_api::__private::Secured<#output, #policy_type> #where_clause {
            #inner
            ::secure_api::__private::Secured::__new(#inner_name #turbofish(#(#call_args),*) #await_inner)
        }
    }
}

/// Documentation and `cfg` stay on the routed function; every other attribute (lint levels,
/// `tracing::instrument`, ...) goes with the body onto the inner one.
fn split_attributes(attrs: &[Attribute]) -> (Vec<&Attribute>, Vec<&Attribute>) {
    attrs
        .iter()
        .partition(|a| a.path().is_ident("doc") || a.path().is_ident("cfg"))
}

/// `::<T, N>` for the type and const parameters, so the inner call names the outer's generics.
fn turbofish(generics: &syn::Generics) -> TokenStream {
    let params: Vec<TokenStream> = generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(param) => Some(param.ident.to_token_stream()),
            GenericParam::Const(param) => Some(param.ident.to_token_stream()),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    if params.is_empty() {
        TokenStream::new()
    } else {
        quote!(::<#(#params),*>)
    }
}
