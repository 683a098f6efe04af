//! Every field an input reads has a size bound, checked by type at compile time.
//!
//! ```text
//! // Input:
//! #[derive(Deserialize, Validate, Input)]
//! struct NewPost {
//!     #[validate(length(max = 200))] title: String,
//!     #[validate(length(max = 10))] #[input(each(length(min = 1, max = 50)))] tags: Vec<String>,
//!     draft: bool,
//!     #[input(unbounded)] notes: String,
//! }
//!
//! // Output (paths through ::secure_api::__private), each check spanned at its field's type:
//! const _: () = {
//!     assert_bounded_items::<String>();     // a length rule: the items, if any, must be bounded
//!     assert_each_text::<Vec<String>>();    // each item has a rule of its own
//!     assert_bounded::<bool>();             // no rule: the type itself must be bounded
//! };
//! impl Bounded for NewPost {}               // a bounded input, nested in another, is bounded
//! // and, in `impl Input`:
//! const UNBOUNDED: &[&str] = &["notes"];
//! fn check_items(&self, details: &mut Vec<FieldError>) {
//!     check_each(&self.tags, "tags", Some(1), Some(50), details);
//! }
//! ```
//!
//! A rule counts as a bound when it limits the size: `length` with `max` or `equal`. A custom
//! validator function does not, since the macro cannot see inside it.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Field, LitInt};

use crate::errors::Errors;
use crate::serde_attrs::skip_value;

/// A field's own `#[input(...)]` options.
#[derive(Default)]
pub(super) struct FieldOptions {
    /// `unbounded`: no size bound, on the record.
    unbounded: bool,
    /// `each(length(min = .., max = ..))`: a length rule for each string of a list.
    pub(super) each: Option<(Option<u64>, u64)>,
}

impl FieldOptions {
    pub(super) fn read(field: &Field, errors: &mut Errors) -> Self {
        let mut options = Self::default();
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("input")) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("unbounded") {
                    options.unbounded = true;
                    Ok(())
                } else if meta.path.is_ident("each") {
                    meta.parse_nested_meta(|rule| {
                        if !rule.path.is_ident("length") {
                            return Err(rule.error(
                                "`each` takes one rule: `each(length(min = 1, max = 50))`",
                            ));
                        }
                        let (mut min, mut max) = (None, None);
                        rule.parse_nested_meta(|limit| {
                            let value = || -> syn::Result<u64> {
                                limit.value()?.parse::<LitInt>()?.base10_parse()
                            };
                            if limit.path.is_ident("min") {
                                min = Some(value()?);
                            } else if limit.path.is_ident("max") {
                                max = Some(value()?);
                            } else {
                                return Err(limit.error(
                                    "`each(length(...))` takes `min` and `max`, whole numbers",
                                ));
                            }
                            Ok(())
                        })?;
                        let Some(max) = max else {
                            return Err(rule.error(
                                "`each(length(...))` needs a `max`: without one, an item may \
                                 be of any size",
                            ));
                        };
                        options.each = Some((min, max));
                        Ok(())
                    })
                } else {
                    Err(meta.error(
                        "unknown `input` option for a field; expected `each(length(max = N))` \
                         or `unbounded`",
                    ))
                }
            });
            if let Err(error) = parsed {
                errors.push(error);
            }
        }
        if options.unbounded && options.each.is_some() {
            errors.at(
                field,
                "a field is either `unbounded` or bounded with `each(...)`, not both",
            );
        }
        options
    }
}

/// What the fields add to the derive's output: the compile-time checks, and for `impl Input`
/// the unbounded fields' wire names and the `each` checks.
pub(super) struct Bounds {
    pub(super) checks: Vec<TokenStream>,
    pub(super) unbounded: Vec<String>,
    pub(super) each: Vec<TokenStream>,
}

impl Bounds {
    /// The compile-time checks, and `Bounded` for the type: a bounded input nested in another
    /// is bounded.
    pub(super) fn checks(&self, ident: &syn::Ident) -> TokenStream {
        let checks = &self.checks;
        quote! {
            // Every field has a size bound: a rule, or a type that cannot grow.
            const _: () = {
                #(#checks)*
            };

            impl ::secure_api::validate::Bounded for #ident {}
        }
    }

    /// `Input::UNBOUNDED` and, with `each` rules, `Input::check_items`.
    pub(super) fn input_items(&self) -> TokenStream {
        let unbounded = &self.unbounded;
        let each = &self.each;
        let check_items = (!each.is_empty()).then(|| {
            quote! {
                fn check_items(
                    &self,
                    details: &mut ::std::vec::Vec<::secure_api::__private::FieldError>,
                ) {
                    #(#each)*
                }
            }
        });
        quote! {
            const UNBOUNDED: &'static [&'static str] = &[#(#unbounded),*];
            #check_items
        }
    }
}

/// The checks for one field read from the client as `wire_name`.
pub(super) fn field(bounds: &mut Bounds, field: &Field, wire_name: &str, options: &FieldOptions) {
    let ty = &field.ty;
    let private = quote_spanned!(ty.span()=> ::secure_api::__private);
    if options.unbounded {
        bounds.unbounded.push(wire_name.to_owned());
        return;
    }
    let length = has_length_bound(field);
    if let Some((min, max)) = options.each {
        bounds
            .checks
            .push(quote_spanned!(ty.span()=> #private::assert_each_text::<#ty>();));
        if !length {
            bounds
                .checks
                .push(quote_spanned!(ty.span()=> #private::assert_bounded::<#ty>();));
        }
        let Some(ident) = &field.ident else { return };
        let min = min.map_or_else(
            || quote!(::core::option::Option::None),
            |min| quote!(::core::option::Option::Some(#min)),
        );
        bounds.each.push(quote! {
            ::secure_api::__private::check_each(
                &self.#ident, #wire_name, #min, ::core::option::Option::Some(#max), details,
            );
        });
    } else if length {
        bounds
            .checks
            .push(quote_spanned!(ty.span()=> #private::assert_bounded_items::<#ty>();));
    } else {
        bounds
            .checks
            .push(quote_spanned!(ty.span()=> #private::assert_bounded::<#ty>();));
    }
}

/// Whether a `#[validate(length(...))]` rule of the field limits its size (`max` or `equal`).
fn has_length_bound(field: &Field) -> bool {
    let mut bounded = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("validate")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("length") && meta.input.peek(syn::token::Paren) {
                meta.parse_nested_meta(|limit| {
                    if limit.path.is_ident("max") || limit.path.is_ident("equal") {
                        bounded = true;
                    }
                    skip_value(&limit)
                })
            } else {
                skip_value(&meta)
            }
        });
    }
    bounded
}
