//! The serde attribute model, read as serde reads the same attributes.

use syn::parse_quote;

use super::{Container, FieldAttrs, Names, VariantAttrs};

fn names(serialize: &str, deserialize: &str) -> Names {
    Names {
        serialize: Some(serialize.into()),
        deserialize: Some(deserialize.into()),
    }
}

fn written(options: &super::Options) -> Vec<&str> {
    options.written.iter().map(|w| w.name.as_str()).collect()
}

#[test]
fn a_rename_names_both_directions_or_each_on_its_own() {
    let both = FieldAttrs::read(&parse_quote!(#[serde(rename = "n")] name: String));
    assert_eq!(both.rename, names("n", "n"));
    let split = FieldAttrs::read(
        &parse_quote!(#[serde(rename(serialize = "out", deserialize = "in"))] name: String),
    );
    assert_eq!(split.rename, names("out", "in"));
    let one = FieldAttrs::read(&parse_quote!(#[serde(rename(deserialize = "in"))] name: String));
    assert_eq!(one.rename.serialize, None);
    assert_eq!(one.rename.deserialize.as_deref(), Some("in"));
    let variant = VariantAttrs::read(&parse_quote!(
        #[serde(rename = "on")]
        Enabled
    ));
    assert_eq!(variant.rename, names("on", "on"));
}

#[test]
fn a_containers_rule_names_fields_and_variants_each_way() {
    let container = Container::read(&[parse_quote!(#[serde(rename_all = "camelCase")])]);
    assert_eq!(container.serialized_field("per_page"), "perPage");
    assert_eq!(container.deserialized_field("per_page"), "perPage");
    assert_eq!(container.serialized_variant("ReadOnly"), "readOnly");
    let split = Container::read(&[parse_quote!(
        #[serde(rename_all(serialize = "SCREAMING-KEBAB-CASE", deserialize = "snake_case"))]
    )]);
    assert_eq!(split.serialized_field("per_page"), "PER-PAGE");
    assert_eq!(split.deserialized_field("per_page"), "per_page");
    assert_eq!(split.serialized_variant("ReadOnly"), "READ-ONLY");
    let none = Container::read(&[]);
    assert_eq!(none.serialized_field("per_page"), "per_page");
    assert_eq!(none.serialized_variant("ReadOnly"), "ReadOnly");
}

#[test]
fn a_fields_presence_options_are_read_across_attributes() {
    let field = FieldAttrs::read(&parse_quote!(
        #[serde(default = "fallback", alias = "nick")]
        #[serde(alias = "handle", skip_serializing_if = "Option::is_none")]
        #[serde(deserialize_with = "trimmed")]
        name: Option<String>
    ));
    assert!(field.default);
    assert_eq!(field.aliases, ["nick", "handle"]);
    assert!(field.deserialize_with);
    let skip_if = field.skip_serializing_if.expect("skip_serializing_if");
    assert_eq!(quote::quote!(#skip_if).to_string(), "Option :: is_none");
    assert!(!field.flatten && !field.skip_deserializing);
    assert!(field.options.errors.is_empty());

    for attr in [
        quote::quote!(#[serde(skip)]),
        quote::quote!(#[serde(skip_deserializing)]),
    ] {
        let field: syn::Field = parse_quote!(#attr secret: String);
        assert!(FieldAttrs::read(&field).skip_deserializing, "{attr}");
    }
    let skip_out = FieldAttrs::read(&parse_quote!(#[serde(skip_serializing)] cache: String));
    assert!(!skip_out.skip_deserializing);
    assert!(FieldAttrs::read(&parse_quote!(#[serde(flatten)] extra: Extra)).flatten);
    assert!(FieldAttrs::read(&parse_quote!(#[serde(with = "iso")] at: Time)).deserialize_with);
}

#[test]
fn every_option_is_recorded_as_written_and_unknown_ones_do_not_stop_the_reading() {
    let container = Container::read(&[
        parse_quote!(#[serde(tag = "type", content = "data")]),
        parse_quote!(#[serde(bound(serialize = "T: Clone"), rename_all = "kebab-case")]),
        parse_quote!(#[doc = "not serde's"]),
    ]);
    assert_eq!(
        written(&container.options),
        ["tag", "content", "bound", "rename_all"]
    );
    assert_eq!(container.serialized_field("a_b"), "a-b");
    let unsupported: Vec<&str> = container
        .options
        .unsupported(&["rename", "rename_all"])
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(unsupported, ["tag", "content", "bound"]);
    assert!(container.options.errors.is_empty());
}

#[test]
fn a_value_that_does_not_parse_is_an_error_on_its_own_span() {
    let rule = Container::read(&[parse_quote!(#[serde(rename_all = "Title Case")])]);
    assert_eq!(rule.options.errors.len(), 1);
    assert!(
        rule.options.errors[0]
            .to_string()
            .starts_with("unknown `rename_all` rule; expected one of lowercase, UPPERCASE"),
        "{}",
        rule.options.errors[0]
    );
    let number = FieldAttrs::read(&parse_quote!(#[serde(rename = 5)] name: String));
    assert_eq!(number.options.errors.len(), 1);
    assert_eq!(number.rename, Names::default());
    let direction = FieldAttrs::read(&parse_quote!(#[serde(rename(sideways = "x"))] name: String));
    assert_eq!(
        direction.options.errors[0].to_string(),
        "expected `serialize` or `deserialize`"
    );
    // One attribute's error leaves the next attribute read.
    let next = FieldAttrs::read(&parse_quote!(
        #[serde(rename = 5)]
        #[serde(alias = "n")]
        name: String
    ));
    assert_eq!(next.aliases, ["n"]);
}
