//! Attribute arguments -> raw options, keeping every token for spans. No meaning yet.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token};

use crate::errors::Errors;

/// One `name` or `name = value` of `#[secure(...)]`.
pub(crate) struct RawOption {
    pub(crate) name: Ident,
    pub(crate) value: Option<Expr>,
}

impl Parse for RawOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = input.call(syn::ext::IdentExt::parse_any).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a `secure` option such as `public` or `auth`",
            )
        })?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Self { name, value })
    }
}

/// The options, or `None` when the arguments do not parse (the error is recorded).
pub(crate) fn options(args: TokenStream, errors: &mut Errors) -> Option<Vec<RawOption>> {
    match Punctuated::<RawOption, Token![,]>::parse_terminated.parse2(args) {
        Ok(options) => Some(options.into_iter().collect()),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}
