//! `#[secure(...)]`: parse the attribute and the handler, check them into a [`model::Handler`],
//! then expand. Expansion is infallible: every error is found before it.

mod expand;
mod model;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

pub(crate) fn expand(args: TokenStream, item: &TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = parse::options(args, &mut errors);
    let Ok(function) = syn::parse2::<syn::ItemFn>(item.clone()) else {
        // Point at the item's head (`struct Health`), not its whole body.
        let head: TokenStream = item
            .clone()
            .into_iter()
            .take_while(|token| !matches!(token, proc_macro2::TokenTree::Group(_)))
            .collect();
        let span_of = if head.is_empty() { item.clone() } else { head };
        errors.push(syn::Error::new_spanned(
            span_of,
            "`#[secure]` goes on an `async fn` handler",
        ));
        let compile_errors = errors.to_compile_errors();
        return quote!(#item #compile_errors);
    };
    let policy = validate::policy(options.as_deref(), &mut errors);
    let handler = validate::handler(function, policy, &mut errors);
    let compile_errors = errors.to_compile_errors();
    let output = match handler {
        Ok(handler) => expand::handler(&handler),
        // The function itself cannot be rewritten; keep it as written so rustc reports nothing
        // beyond the errors above.
        Err(function) => quote!(#function),
    };
    if std::env::var_os("SECURE_API_DEBUG").is_some() {
        eprintln!("{output}");
    }
    quote!(#output #compile_errors)
}
