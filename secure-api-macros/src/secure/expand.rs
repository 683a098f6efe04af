//! The checked [`Handler`] -> tokens. Infallible: no error is created here.
//!
//! ```text
//! // Input:
//! #[secure(auth, owner = "author_id")]
//! pub async fn update(user: AuthUser, post: Owned<Post>, Json(input): Json<Edit>) -> R { body }
//!
//! // Output:
//! #[doc(hidden)] #[allow(non_camel_case_types)]
//! pub struct __secure_api_policy_update;
//! impl RoutePolicy for __secure_api_policy_update {
//!     const POLICY: Policy = PolicyBuilder::authenticated("update").in_module(module_path!()).owner("author_id").build();
//! }
//! impl OwnershipRule<Post> for __secure_api_policy_update {
//!     fn grants(resource: &Post, user_id: &str) -> bool {
//!         owner_matches(&resource.author_id, user_id)     // spanned at "author_id"
//!     }
//! }
//! pub fn update(
//!     _: Guard<__secure_api_policy_update>,                  // steps 2-5 of the pipeline
//!     __secure_api_resource: OwnedLoader<Post, __secure_api_policy_update>, // step 6
//!     __secure_api_arg0: AuthUser,                           // as written; the router makes
//!     __secure_api_arg2: Json<Edit>,                         // every rejection generic
//! ) -> SecuredFuture<impl Future<Output = R>, __secure_api_policy_update> {
//!     async fn update(user: AuthUser, post: Owned<Post>, Json(input): Json<Edit>) -> R { body }
//!     SecuredFuture::__new(update(__secure_api_arg0, __secure_api_resource.into_owned(), __secure_api_arg2))
//! }
//! ```
//!
//! The outer function is no `async fn`: it returns the handler's own future, tagged, so a
//! route compiles one state machine fewer (and a request moves one fewer). Only a route with a
//! limit by account, whose check awaits between the extractors and the handler, or with
//! `raw_response`, keeps an `async fn` around the handler, returning `Secured<R, P>`.
//!
//! The original function survives intact as the inner one, so its body, patterns, return
//! type and spans are exactly what the user wrote. The resource loader comes right after the
//! guard whatever its place in the signature, so ownership is decided before any other
//! argument (a body, a query) is read or validated.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, GenericParam, ReturnType};

use super::model::{Access, DenyAs, Handler, Policy, Rate, RateKey, Requirement};

pub(crate) fn handler(handler: &Handler) -> TokenStream {
    let function = &handler.function;
    let signature = &function.sig;
    let vis = &function.vis;
    let name = &signature.ident;
    let policy_type = format_ident!("__secure_api_policy_{}", name);
    // The inner function keeps the handler's name, so tracing spans and backtraces name it; inside
    // the outer body the inner item shadows the outer function.
    let inner_name = name.clone();
    let mut policy = policy_constant(&handler.policy, name);
    policy.extend(schemas(handler));

    let (outer_attrs, inner_attrs) = split_attributes(&function.attrs);
    let cfg_attrs: Vec<&Attribute> = outer_attrs
        .iter()
        .copied()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();

    let ownership_rule = handler.resource.as_ref().map(|resource| {
        let resource_type = &resource.ty;
        let check = ownership_check(&handler.policy);
        quote! {
            #(#cfg_attrs)*
            impl ::secure_api::__private::OwnershipRule<#resource_type> for #policy_type {
                fn grants(resource: &#resource_type, user_id: &str) -> bool {
                    #check
                }
            }
        }
    });

    let (outer_args, call_args) = arguments(handler, &policy_type);

    let (output, output_span) = match &signature.output {
        ReturnType::Default => (quote!(()), name.span()),
        ReturnType::Type(_, ty) => (quote!(#ty), ty.span()),
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

    // The response check is the bound of `Secured::__new`, spanned at the return type so that
    // an unsanitized response is reported there. `raw_response` routes skip it, on the record.
    let call = quote!(#inner_name #turbofish(#(#call_args),*) #await_inner);
    let (output, response) = if handler.policy.raw_response {
        (
            quote!(::secure_api::__private::RawResponse<#output>),
            quote!(::secure_api::__private::RawResponse(#call)),
        )
    } else {
        (output, call)
    };
    let construct = quote_spanned! {output_span=>
        ::secure_api::__private::Secured::__new(__secure_api_response)
    };
    let argument_checks = argument_checks(handler);
    let account_check = account_check(handler);
    // Without an `await` of its own (a limit by account), the outer function needs no state
    // machine: it returns the handler's future, tagged. One coroutine a route fewer to compile.
    let direct = account_check.is_none() && !handler.policy.raw_response && await_inner.is_some();
    let (asyncness, returns, tail) = if direct {
        let call = quote!(#inner_name #turbofish(#(#call_args),*));
        let construct = quote_spanned! {output_span=>
            ::secure_api::__private::SecuredFuture::__new(__secure_api_future)
        };
        let returns = quote! {
            ::secure_api::__private::SecuredFuture<
                impl ::core::future::Future<Output = #output>,
                #policy_type,
            >
        };
        (
            None,
            returns,
            quote!(let __secure_api_future = #call; #construct),
        )
    } else {
        let returns = quote!(::secure_api::__private::Secured<#output, #policy_type>);
        let tail = quote!(#account_check let __secure_api_response = #response; #construct);
        (Some(quote!(async)), returns, tail)
    };

    quote! {
        #(#cfg_attrs)*
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #policy_type;

        #(#cfg_attrs)*
        impl ::secure_api::__private::RoutePolicy for #policy_type {
            const POLICY: ::secure_api::__private::Policy = #policy.build();
        }

        #ownership_rule

        #(#outer_attrs)*
        #vis #asyncness fn #name #generics(
            __secure_api_guard: ::secure_api::__private::Guard<#policy_type>,
            #(#outer_args),*
        ) -> #returns #where_clause {
            #inner
            #(#argument_checks)*
            #tail
        }
    }
}

/// The outer function's arguments after the guard, and the inner call's arguments: the resource
/// loader first (step 6 of the pipeline, before anything else is read), then every other
/// argument as written, in the order written (the route makes each rejection generic). A body
/// comes last because only the last argument may read one (`argument_checks`), as axum requires.
fn arguments(handler: &Handler, policy_type: &syn::Ident) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut outer_args = Vec::new();
    let mut call_args = Vec::new();
    if let Some(resource) = &handler.resource {
        let resource_type = &resource.ty;
        outer_args.push(quote! {
            __secure_api_resource: ::secure_api::__private::OwnedLoader<#resource_type, #policy_type>
        });
    }
    for (index, arg) in handler.function.sig.inputs.iter().enumerate() {
        let FnArg::Typed(arg) = arg else { continue };
        if handler.resource.as_ref().is_some_and(|r| r.index == index) {
            call_args.push(quote!(__secure_api_resource.into_owned()));
            continue;
        }
        let ident = format_ident!("__secure_api_arg{}", index);
        let ty = &arg.ty;
        outer_args.push(quote_spanned! {ty.span()=>
            #ident: #ty
        });
        call_args.push(quote!(#ident));
    }
    (outer_args, call_args)
}

/// Every argument but those written `Owned<T>` is one a `#[secure]` handler takes: checked by its
/// type, on its own span, so a mistake (axum's unvalidated `Json`, an undeclared raw body, an
/// `Option` around an input, a body before the last argument) is one error at the argument.
fn argument_checks(handler: &Handler) -> Vec<TokenStream> {
    let last = if handler.policy.raw_body {
        quote!(assert_raw_body_argument)
    } else {
        quote!(assert_last_argument)
    };
    let types: Vec<_> = handler.argument_types().collect();
    types
        .iter()
        .enumerate()
        .map(|(index, ty)| {
            let check = if index + 1 == types.len() {
                &last
            } else {
                &quote!(assert_argument)
            };
            // The call spans the whole type (its path at the first token, its parentheses at
            // the last), so an error found through a blanket impl underlines all of it.
            let (first, end) = outer_spans(ty);
            let call = quote_spanned!(first=> ::secure_api::__private::#check::<#ty>);
            let parentheses = quote_spanned!(end=> ());
            quote!(#call #parentheses;)
        })
        .collect()
}

/// The spans of a type's first and last tokens (a group's closing delimiter).
fn outer_spans(ty: &syn::Type) -> (Span, Span) {
    let mut tokens = ty.to_token_stream().into_iter();
    let first = tokens
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let end = tokens.last().map_or(first, |token| match token {
        TokenTree::Group(group) => group.span_close(),
        other => other.span(),
    });
    (first, end)
}

/// Step 7's limit by account, once the body is validated: the account's name is the body's
/// `account_key` field, read where the field is named so that a missing field or one that is
/// not a string is reported on the option's string.
fn account_check(handler: &Handler) -> Option<TokenStream> {
    let account = handler.policy.account.as_ref()?;
    let span = account.field.span;
    let field = syn::Ident::new(&account.field.name, span);
    let last = handler
        .function
        .sig
        .inputs
        .iter()
        .enumerate()
        .filter(|(index, arg)| matches!(arg, FnArg::Typed(_)) && !handler.owned.contains(index))
        .map(|(index, _)| index)
        .last();
    let Some(last) = last else {
        return Some(quote_spanned! {span=>
            ::core::compile_error!(
                "`account_key` names a field of the body, but the handler takes no body: take \
                 `Json<T>` (or `Form<T>`) as its last argument"
            );
        });
    };
    let body = format_ident!("__secure_api_arg{}", last, span = span);
    let read = quote_spanned! {span=>
        ::secure_api::__private::AccountName::account_name(
            &::secure_api::__private::AccountBody::fields(&#body).#field
        )
    };
    Some(quote! {
        let __secure_api_account: &str = #read;
        if let ::core::result::Result::Err(__secure_api_refusal) =
            __secure_api_guard.__spend_account(__secure_api_account).await
        {
            return ::secure_api::__private::Secured::__refused(__secure_api_refusal);
        }
    })
}

/// `PolicyBuilder::authenticated("name").roles(...)....build()`, a constant expression.
fn policy_constant(policy: &Policy, ident: &syn::Ident) -> TokenStream {
    let name = ident.unraw().to_string();
    let mut tokens = match policy.access {
        Access::Public => quote!(::secure_api::__private::PolicyBuilder::public(#name)),
        Access::Authenticated => {
            quote!(::secure_api::__private::PolicyBuilder::authenticated(#name))
        }
    };
    // `line!()` spanned at the handler's name gives the handler's own line, which tells apart
    // handlers of one name in one module (local to different functions).
    let line = quote_spanned!(ident.span()=> ::core::line!());
    tokens = quote!(#tokens.in_module(::core::module_path!()).at_line(#line));
    if let Some(bits) = policy.schemes {
        tokens = quote!(#tokens.schemes(#bits));
    }
    if let Some(roles) = &policy.roles {
        let roles = requirement(roles);
        tokens = quote!(#tokens.roles(#roles));
    }
    if let Some(scopes) = &policy.scopes {
        let scopes = requirement(scopes);
        tokens = quote!(#tokens.scopes(#scopes));
    }
    if let Some(owner) = &policy.owner {
        let field = &owner.name;
        tokens = quote!(#tokens.owner(#field));
    }
    if let Some(rule) = &policy.read_rule {
        let field = &rule.name;
        tokens = quote!(#tokens.read_rule(#field));
    }
    if let Some(deny) = policy.deny {
        let deny = match deny {
            DenyAs::NotFound => quote!(NotFound),
            DenyAs::Forbidden => quote!(Forbidden),
        };
        tokens = quote!(#tokens.deny_as(::secure_api::__private::DenyAs::#deny));
    }
    if policy.raw_response {
        tokens = quote!(#tokens.raw_response());
    }
    if policy.raw_body {
        tokens = quote!(#tokens.raw_body());
    }
    if let Some(rate) = &policy.rate {
        let Rate {
            count,
            period_secs,
            key,
            message,
        } = rate;
        let quota = quote!(::secure_api::__private::quota(#count, #period_secs));
        // Unless told otherwise: by verified user where there is one, else by address.
        let key = match key.unwrap_or(match policy.access {
            Access::Public => RateKey::Ip,
            Access::Authenticated => RateKey::User,
        }) {
            RateKey::Ip => quote!(Ip),
            RateKey::User => quote!(User),
            RateKey::ApiKey => quote!(ApiKey),
        };
        let mut rule = quote!(::secure_api::__private::RateRule::new(#quota, ::secure_api::__private::RateKey::#key));
        if let Some(message) = message {
            rule = quote!(#rule.message(#message));
        }
        tokens = quote!(#tokens.rate(#rule));
    }
    if let Some(name) = &policy.rate_name {
        tokens = quote!(#tokens.named_limits(#name));
    }
    if let Some(account) = &policy.account {
        let (count, period_secs) = (account.count, account.period_secs);
        let field = &account.field.name;
        let quota = quote!(::secure_api::__private::quota(#count, #period_secs));
        tokens =
            quote!(#tokens.account_rate(::secure_api::__private::AccountRule::new(#quota, #field)));
    }
    tokens
}

/// `.arguments(...)` and `.response_schema(...)`: for the OpenAPI document and the
/// inventory, closures that find what each argument reads and what the response is through the
/// probes, which answer for any type without requiring anything of it, so they add no error of
/// their own.
///
/// A generic handler's types (lifetimes included) cannot be named in its policy, which is not
/// generic, and neither can an `impl Trait` return type: those go undescribed.
fn schemas(handler: &Handler) -> TokenStream {
    if !handler.function.sig.generics.params.is_empty() {
        return TokenStream::new();
    }
    // What each argument reads, found by its type: a probe per argument, which answers for an
    // input (the prelude's `Json`, `Query`, `Form`) and for any other type alike.
    // One closure for all of them: a closure per argument is a body of its own to compile.
    let types = handler.argument_types();
    let mut tokens = quote! {
        .arguments(|__inputs| {
            #[allow(unused_imports)]
            use ::secure_api::__private::{InputArgument as _, NoInput as _};
            #(__inputs.extend((&&::secure_api::__private::ArgumentProbe::<#types>::new()).input());)*
        })
    };
    let output = match &handler.function.sig.output {
        ReturnType::Default => Some(quote!(())),
        ReturnType::Type(_, ty) => {
            let ty = ty.to_token_stream();
            (!mentions_impl(ty.clone())).then_some(ty)
        }
    };
    if let Some(output) = output {
        let describe = quote! {
            |__components| {
                #[allow(unused_imports)]
                use ::secure_api::__private::{KnownResponse as _, UnknownResponse as _};
                (&&::secure_api::__private::SchemaProbe::<#output>::new()).response_body(__components)
            }
        };
        tokens.extend(quote!(.response_schema(#describe)));
    }
    tokens
}

/// Whether `tokens` contain `impl` (an `impl Trait` type), looking inside groups.
fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => ident == "impl",
        proc_macro2::TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

fn requirement(requirement: &Requirement) -> TokenStream {
    let (kind, names) = match requirement {
        Requirement::Any(names) => (quote!(Any), names),
        Requirement::All(names) => (quote!(All), names),
    };
    quote!(::secure_api::__private::Requirement::#kind(&[#(#names),*]))
}

/// The owner comparison, `||` the read rule. Each field access carries the span of its string
/// in the attribute, so rustc's own errors (no such field, wrong type) point there.
fn ownership_check(policy: &Policy) -> TokenStream {
    let Some(owner) = &policy.owner else {
        return quote!(false);
    };
    let field = syn::Ident::new(&owner.name, owner.span);
    let mut check = quote_spanned! {owner.span=>
        ::secure_api::__private::owner_matches(&resource.#field, user_id)
    };
    if let Some(rule) = &policy.read_rule {
        let field = syn::Ident::new(&rule.name, rule.span);
        let granted = quote_spanned! {rule.span=>
            {
                let granted: bool = resource.#field;
                granted
            }
        };
        check = quote!(#check || #granted);
    }
    check
}

/// Attributes about the routed function itself (docs, `cfg`, lint levels, which nested items
/// inherit, `deprecated`, `must_use`) stay on it; every other attribute (`tracing::instrument`,
/// ...) goes with the body onto the inner function.
fn split_attributes(attrs: &[Attribute]) -> (Vec<&Attribute>, Vec<&Attribute>) {
    const OUTER: [&str; 9] = [
        "doc",
        "cfg",
        "allow",
        "warn",
        "deny",
        "forbid",
        "expect",
        "deprecated",
        "must_use",
    ];
    attrs
        .iter()
        .partition(|a| OUTER.iter().any(|name| a.path().is_ident(name)))
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
