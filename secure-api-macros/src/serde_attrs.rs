//! serde's attributes, read once and with one set of rules for every derive here and for the
//! schema writer (`serde_derive`'s `internals/attr.rs` is the model). Nothing else in the crate
//! looks inside `#[serde(...)]`.
//!
//! Reading never stops at an option it does not know: it records every option as written, with
//! its span, so a derive that implements only some of them (`Sanitized` writes its own
//! serialization) can point at each of the others, while a derive that sits beside serde's own
//! (`Input`) can rely on serde to refuse what serde refuses. Malformed values are kept in
//! `errors`, for the derive to report or, beside serde's derive, to leave to it.
//!
//! ```text
//! #[serde(rename_all = "camelCase", default)]            -> Container { rename_all, default, .. }
//! #[serde(rename(serialize = "out", deserialize = "in"))] -> Names { serialize: "out", deserialize: "in" }
//! #[serde(alias = "n", skip_serializing_if = "is_none")]  -> FieldAttrs { aliases: ["n"], skip_serializing_if, .. }
//! ```

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, LitStr, Path};

use rename::RULES;
pub(crate) use rename::RenameRule;

mod rename;

/// A name for each direction: `rename = "x"` sets both, `rename(serialize = "x")` one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Names {
    pub(crate) serialize: Option<String>,
    pub(crate) deserialize: Option<String>,
}

/// A `rename_all` rule for each direction.
#[derive(Clone, Copy, Default)]
pub(crate) struct Rules {
    pub(crate) serialize: Option<RenameRule>,
    pub(crate) deserialize: Option<RenameRule>,
}

/// One option as written (`tag`, `flatten`, ...), with the span of its name.
#[derive(Clone, Debug)]
pub(crate) struct Written {
    pub(crate) name: String,
    pub(crate) span: Span,
}

/// What every `#[serde(...)]` of an item says, and every option it holds.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) written: Vec<Written>,
    pub(crate) errors: Vec<syn::Error>,
}

impl Options {
    /// The options written whose names are not in `supported`.
    pub(crate) fn unsupported<'a>(
        &'a self,
        supported: &'a [&str],
    ) -> impl Iterator<Item = &'a Written> + 'a {
        self.written
            .iter()
            .filter(|written| !supported.contains(&written.name.as_str()))
    }
}

/// The serde attributes of a struct or an enum.
#[derive(Default)]
pub(crate) struct Container {
    pub(crate) rename: Names,
    pub(crate) rename_all: Rules,
    /// `default`: every field may be left out.
    pub(crate) default: bool,
    pub(crate) options: Options,
}

/// The serde attributes of a field.
#[derive(Default)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one flag per serde option, as serde itself reads them"
)]
pub(crate) struct FieldAttrs {
    pub(crate) rename: Names,
    /// `alias = "..."`: other names the field is read by.
    pub(crate) aliases: Vec<String>,
    /// `default` or `default = "..."`: the field may be left out.
    pub(crate) default: bool,
    /// `flatten`: the field's own fields are read as the container's.
    pub(crate) flatten: bool,
    /// `skip` or `skip_deserializing`: the field is never read.
    pub(crate) skip_deserializing: bool,
    /// `skip_serializing_if = "path"`.
    pub(crate) skip_serializing_if: Option<Path>,
    /// `with` or `deserialize_with`: read by a function, not as its type.
    pub(crate) deserialize_with: bool,
    pub(crate) options: Options,
}

/// The serde attributes of an enum's variant.
#[derive(Default)]
pub(crate) struct VariantAttrs {
    pub(crate) rename: Names,
    pub(crate) options: Options,
}

impl Container {
    pub(crate) fn read(attrs: &[Attribute]) -> Self {
        let mut found = Self::default();
        let options = each_option(attrs, |meta, name| {
            match name {
                "rename" => found.rename = names(meta)?,
                "rename_all" => found.rename_all = rules(meta)?,
                "default" => {
                    found.default = true;
                    skip_value(meta)?;
                }
                _ => skip_value(meta)?,
            }
            Ok(())
        });
        found.options = options;
        found
    }

    /// The name a field is serialized under, unless it renames itself.
    pub(crate) fn serialized_field(&self, rust: &str) -> String {
        self.rename_all
            .serialize
            .map_or_else(|| rust.to_owned(), |rule| rule.apply_to_field(rust))
    }

    /// The name a field is read under, unless it renames itself.
    pub(crate) fn deserialized_field(&self, rust: &str) -> String {
        self.rename_all
            .deserialize
            .map_or_else(|| rust.to_owned(), |rule| rule.apply_to_field(rust))
    }

    /// The name a variant is serialized under, unless it renames itself.
    pub(crate) fn serialized_variant(&self, rust: &str) -> String {
        self.rename_all
            .serialize
            .map_or_else(|| rust.to_owned(), |rule| rule.apply_to_variant(rust))
    }
}

impl FieldAttrs {
    pub(crate) fn read(field: &syn::Field) -> Self {
        let mut found = Self::default();
        let options = each_option(&field.attrs, |meta, name| {
            match name {
                "rename" => found.rename = names(meta)?,
                "alias" => found.aliases.push(meta.value()?.parse::<LitStr>()?.value()),
                "default" => {
                    found.default = true;
                    skip_value(meta)?;
                }
                "flatten" => found.flatten = true,
                "skip" | "skip_deserializing" => found.skip_deserializing = true,
                "skip_serializing_if" => {
                    found.skip_serializing_if =
                        Some(meta.value()?.parse::<LitStr>()?.parse::<Path>()?);
                }
                "with" | "deserialize_with" => {
                    found.deserialize_with = true;
                    skip_value(meta)?;
                }
                _ => skip_value(meta)?,
            }
            Ok(())
        });
        found.options = options;
        found
    }
}

impl VariantAttrs {
    pub(crate) fn read(variant: &syn::Variant) -> Self {
        let mut found = Self::default();
        let options = each_option(&variant.attrs, |meta, name| {
            if name == "rename" {
                found.rename = names(meta)?;
            } else {
                skip_value(meta)?;
            }
            Ok(())
        });
        found.options = options;
        found
    }
}

/// Calls `read` with each option of each `#[serde(...)]` in `attrs`, by name. An option that
/// does not parse is an error; the rest of its attribute is then not read, as serde does.
fn each_option(
    attrs: &[Attribute],
    mut read: impl FnMut(&ParseNestedMeta<'_>, &str) -> syn::Result<()>,
) -> Options {
    let mut options = Options::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let name = meta.path.get_ident().map_or_else(
                || quote::ToTokens::to_token_stream(&meta.path).to_string(),
                ToString::to_string,
            );
            options.written.push(Written {
                name: name.clone(),
                span: syn::spanned::Spanned::span(&meta.path),
            });
            read(&meta, &name)
        });
        if let Err(error) = parsed {
            options.errors.push(error);
        }
    }
    options
}

/// `= "x"` (both directions) or `(serialize = "x", deserialize = "y")`.
fn names(meta: &ParseNestedMeta<'_>) -> syn::Result<Names> {
    if meta.input.peek(syn::Token![=]) {
        let name = meta.value()?.parse::<LitStr>()?.value();
        return Ok(Names {
            serialize: Some(name.clone()),
            deserialize: Some(name),
        });
    }
    let mut names = Names::default();
    meta.parse_nested_meta(|inner| {
        let value = inner.value()?.parse::<LitStr>()?.value();
        if inner.path.is_ident("serialize") {
            names.serialize = Some(value);
        } else if inner.path.is_ident("deserialize") {
            names.deserialize = Some(value);
        } else {
            return Err(inner.error("expected `serialize` or `deserialize`"));
        }
        Ok(())
    })?;
    Ok(names)
}

/// `rename_all`'s rules, named as serde names them.
fn rules(meta: &ParseNestedMeta<'_>) -> syn::Result<Rules> {
    let rule = |literal: LitStr| {
        RenameRule::from_name(&literal.value()).ok_or_else(|| {
            let known: Vec<&str> = RULES.iter().map(|(name, _)| *name).collect();
            syn::Error::new(
                literal.span(),
                format!(
                    "unknown `rename_all` rule; expected one of {}",
                    known.join(", ")
                ),
            )
        })
    };
    if meta.input.peek(syn::Token![=]) {
        let rule = rule(meta.value()?.parse::<LitStr>()?)?;
        return Ok(Rules {
            serialize: Some(rule),
            deserialize: Some(rule),
        });
    }
    let mut rules = Rules::default();
    meta.parse_nested_meta(|inner| {
        let value = rule(inner.value()?.parse::<LitStr>()?)?;
        if inner.path.is_ident("serialize") {
            rules.serialize = Some(value);
        } else if inner.path.is_ident("deserialize") {
            rules.deserialize = Some(value);
        } else {
            return Err(inner.error("expected `serialize` or `deserialize`"));
        }
        Ok(())
    })?;
    Ok(rules)
}

/// Consumes `= value` or `(...)` after a meta's path, whatever it holds.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
