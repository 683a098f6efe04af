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
        errors.push(syn::Error::new_spanned(
            item,
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
