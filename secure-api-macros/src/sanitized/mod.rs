//! `#[derive(Sanitized)]`: parse and check the type's attributes into a [`model::View`], then
//! expand its `Serialize`, `Debug`, `Sanitized` (and optional `From`) implementations.

mod expand;
mod model;
mod secret_names;
mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;

pub(crate) fn derive(input: &syn::DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let view = validate::view(input, &mut errors);
    match view {
        Some(view) if errors.count() == 0 => expand::view(&view),
        _ => {
            let fallback = crate::fallback::sanitized(input);
            let errors = errors.to_compile_errors();
            quote::quote!(#errors #fallback)
        }
    }
}
