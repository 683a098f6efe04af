//! The type and its attributes -> the checked [`View`] model, every mistake on its own span.

use syn::{Attribute, Data, DeriveInput, Fields, LitStr, Path};

use super::model::{Field, Publish, Shape, Variant, View};
use crate::errors::Errors;
use crate::serde_attrs::{self, FieldAttrs, Options, VariantAttrs};

const SERDE_HINT: &str = "a `Sanitized` type writes its own serialization, which supports \
                          `#[serde(rename = \"...\")]` and `#[serde(rename_all = \"...\")]` on \
                          the type and `#[serde(rename = \"...\")]` and \
                          `#[serde(skip_serializing_if = \"...\")]` on fields";

pub(crate) fn view<'a>(input: &'a DeriveInput, errors: &mut Errors) -> Option<View<'a>> {
    let container = container_attrs(&input.attrs, &input.ident, errors);
    let shape = match &input.data {
        Data::Struct(data) => {
            let Fields::Named(named) = &data.fields else {
                errors.at(
                    &input.ident,
                    "`Sanitized` needs named fields, each published or `#[sensitive]` by name; \
                     give this struct named fields",
                );
                return None;
            };
            Shape::Struct(
                named
                    .named
                    .iter()
                    .filter_map(|field| checked_field(field, &container.serde, errors))
                    .collect(),
            )
        }
        Data::Enum(data) => Shape::UnitEnum(unit_variants(data, &container.serde, errors)),
        Data::Union(_) => {
            errors.at(&input.ident, "`Sanitized` cannot be derived for a union");
            return None;
        }
    };
    if container.from.is_some() && matches!(shape, Shape::UnitEnum(_)) {
        errors.at(
            &input.ident,
            "`#[sanitized(from = ...)]` builds structs, not enums",
        );
    }
    Some(View {
        ident: &input.ident,
        generics: &input.generics,
        wire_name: container.wire_name,
        shape,
        from: container.from,
    })
}

/// What the type's own attributes say.
struct Container {
    wire_name: String,
    serde: serde_attrs::Container,
    from: Option<Path>,
}

/// serde's options this derive implements, by where they are written.
const CONTAINER_OPTIONS: &[&str] = &["rename", "rename_all"];
const FIELD_OPTIONS: &[&str] = &["rename", "skip_serializing_if"];
const VARIANT_OPTIONS: &[&str] = &["rename"];

/// Reports what the serde attribute model could not read, and each option this derive does not
/// implement: it writes its own serialization, so serde's derive is not there to.
fn report_serde(options: &Options, supported: &[&str], errors: &mut Errors) {
    for error in &options.errors {
        errors.push(error.clone());
    }
    for written in options.unsupported(supported) {
        errors.push(syn::Error::new(
            written.span,
            format!(
                "`#[serde({})]` is not supported here: {SERDE_HINT}",
                written.name
            ),
        ));
    }
}

fn container_attrs(attrs: &[Attribute], ident: &syn::Ident, errors: &mut Errors) -> Container {
    let serde = serde_attrs::Container::read(attrs);
    report_serde(&serde.options, CONTAINER_OPTIONS, errors);
    let mut container = Container {
        wire_name: serde
            .rename
            .serialize
            .clone()
            .unwrap_or_else(|| ident.to_string()),
        serde,
        from: None,
    };
    for attr in attrs {
        let parsed = if attr.path().is_ident("sanitized") {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("from") {
                    container.from = Some(meta.value()?.parse::<LitStr>()?.parse::<Path>()?);
                    Ok(())
                } else {
                    Err(meta.error("unknown `sanitized` option; expected `from = \"Model\"`"))
                }
            })
        } else if is_field_marker(attr) {
            Err(syn::Error::new_spanned(
                attr,
                "`#[sensitive]`, `#[expose]` and `#[trusted]` go on fields",
            ))
        } else {
            Ok(())
        };
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    container
}

fn unit_variants<'a>(
    data: &'a syn::DataEnum,
    container: &serde_attrs::Container,
    errors: &mut Errors,
) -> Vec<Variant<'a>> {
    let mut variants = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            errors.at(
                &variant.ident,
                "a `Sanitized` enum has unit variants only (serialized as their names); \
                 make this variant's data a `Sanitized` struct field instead",
            );
            continue;
        }
        let serde = VariantAttrs::read(variant);
        report_serde(&serde.options, VARIANT_OPTIONS, errors);
        let wire_name = serde
            .rename
            .serialize
            .unwrap_or_else(|| container.serialized_variant(&variant.ident.to_string()));
        variants.push(Variant {
            ident: &variant.ident,
            wire_name,
        });
    }
    variants
}

fn checked_field<'a>(
    field: &'a syn::Field,
    container: &serde_attrs::Container,
    errors: &mut Errors,
) -> Option<Field<'a>> {
    let ident = field.ident.as_ref()?;
    // `r#type` is `type` on the wire, as serde names it.
    let rust_name = syn::ext::IdentExt::unraw(ident).to_string();
    let serde = FieldAttrs::read(field);
    report_serde(&serde.options, FIELD_OPTIONS, errors);
    let wire_name = serde
        .rename
        .serialize
        .unwrap_or_else(|| container.serialized_field(&rust_name));
    let mut sensitive: Option<&Attribute> = None;
    let mut expose: Option<&Attribute> = None;
    let mut trusted: Option<&Attribute> = None;
    for attr in &field.attrs {
        let path = attr.path();
        if path.is_ident("sensitive") {
            sensitive = Some(attr);
        } else if path.is_ident("expose") {
            expose = Some(attr);
        } else if path.is_ident("trusted") {
            trusted = Some(attr);
        }
    }
    for marker in [sensitive, expose, trusted].into_iter().flatten() {
        if !matches!(marker.meta, syn::Meta::Path(_)) {
            errors.at(marker, "this marker takes no arguments");
        }
    }
    if let (Some(_), Some(expose)) = (sensitive, expose) {
        errors.at(
            expose,
            format!("`{rust_name}` is both `#[sensitive]` (never sent) and `#[expose]` (sent on purpose); keep one"),
        );
    }
    if let (Some(_), Some(trusted)) = (sensitive, trusted) {
        errors.at(
            trusted,
            "a `#[sensitive]` field is never sent, so `#[trusted]` has no effect; remove it",
        );
    }
    if sensitive.is_none()
        && expose.is_none()
        && let Some(why) = super::secret_names::secret_looking(&rust_name)
            .or_else(|| super::secret_names::secret_looking(&wire_name))
    {
        errors.at(
            ident,
            format!(
                "`{rust_name}` looks like a secret ({why}); mark it `#[sensitive]` to keep it \
                 out of every response, or `#[expose]` to publish it on purpose"
            ),
        );
    }
    let publish = match (sensitive, trusted) {
        (Some(_), _) => Publish::Never,
        (None, Some(_)) => Publish::Trusted,
        (None, None) => Publish::Checked,
    };
    Some(Field {
        ident,
        ty: &field.ty,
        wire_name,
        publish,
        skip_if: serde.skip_serializing_if,
    })
}

fn is_field_marker(attr: &Attribute) -> bool {
    ["sensitive", "expose", "trusted"]
        .iter()
        .any(|name| attr.path().is_ident(name))
}
