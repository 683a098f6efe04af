//! The rules a model must keep before it is expanded, each mistake on its own span.

use syn::DeriveInput;

use super::model::InputType;
use crate::errors::Errors;

pub(super) fn check(input: &DeriveInput, model: &InputType<'_>, errors: &mut Errors) {
    if !input.generics.params.is_empty() {
        errors.at(
            &input.generics,
            "`Input` types cannot be generic; name a concrete type",
        );
    }
    if !model.allow_unknown && model.fields.iter().any(|field| field.serde.flatten) {
        // serde buffers a flattened type's input, and fields it does not know then go unseen.
        errors.at(
            model.ident,
            "`#[serde(flatten)]` hides unknown fields from the check against mass assignment; \
             list the fields instead, or opt out with `#[input(allow_unknown_fields)]`",
        );
    }
}
