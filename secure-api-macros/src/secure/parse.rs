//! Attribute arguments -> raw options, keeping every token for spans. No meaning yet.

use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream, Parser};
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
            let eq = input.parse::<Token![=]>()?;
            if input.is_empty() {
                return Err(syn::Error::new_spanned(
                    eq,
                    format!("`{name} =` needs a value"),
                ));
            }
            Some(input.parse()?)
        } else {
            None
        };
        if !input.is_empty() {
            return Err(input.error("expected `,` between `secure` options"));
        }
        Ok(Self { name, value })
    }
}

/// The options, or `None` when some do not parse. Each comma-separated option is parsed on its
/// own, so every malformed one is reported, not only the first.
pub(crate) fn options(args: TokenStream, errors: &mut Errors) -> Option<Vec<RawOption>> {
    let mut options = Vec::new();
    let mut all_parsed = true;
    for chunk in split_on_commas(args) {
        match RawOption::parse.parse2(chunk) {
            Ok(option) => options.push(option),
            Err(error) => {
                errors.push(error);
                all_parsed = false;
            }
        }
    }
    all_parsed.then_some(options)
}

/// The top-level comma-separated pieces (commas inside `any(...)` are inside a group), without
/// empty ones, so a trailing comma is fine.
fn split_on_commas(args: TokenStream) -> Vec<TokenStream> {
    let mut chunks = vec![TokenStream::new()];
    for token in args {
        match &token {
            TokenTree::Punct(punct) if punct.as_char() == ',' => chunks.push(TokenStream::new()),
            _ => chunks
                .last_mut()
                .into_iter()
                .for_each(|chunk| chunk.extend([token.clone()])),
        }
    }
    chunks.retain(|chunk| !chunk.is_empty());
    chunks
}
