//! `#[derive(Input)]`: what the validating extractors need to know of a body or query type:
//! the wire name of each field (after serde's renames), and whether unknown fields are allowed;
//! a size bound for each field ([`bounds`]); and its schema for the OpenAPI document
//! ([`schema`]). Like `#[secure]`: [`parse`] into the [`model`], [`validate`], [`expand`].
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
mod expand;
mod model;
mod parse;
mod schema;
mod validate;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::errors::Errors;

/// Parse into the model, check it, expand it; on a mistake, the errors with the fallback impls
/// that keep uses of the type from repeating them.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let model = parse::input_type(input, &mut errors);
    validate::check(input, &model, &mut errors);
    if errors.count() > 0 {
        let mut refused = errors.to_compile_errors();
        refused.extend(crate::fallback::input(input));
        return refused;
    }
    expand::input_impl(&model)
}

#[cfg(test)]
mod tests;
