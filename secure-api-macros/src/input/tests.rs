//! How `#[derive(Input)]` reads a type into its model: the name a client sends for each field,
//! and the container's options.

use syn::parse_quote;

use super::expand::item_type;
use super::parse::input_type;
use crate::errors::Errors;

/// The wire name of `field` in a struct with the container attributes of `container`, and
/// whether it is flattened.
fn wire(container: syn::DeriveInput, field: syn::Field) -> (String, bool) {
    let mut input = container;
    let syn::Data::Struct(data) = &mut input.data else {
        unreachable!()
    };
    data.fields = syn::Fields::Named(syn::FieldsNamed {
        brace_token: syn::token::Brace::default(),
        named: std::iter::once(field).collect(),
    });
    let mut errors = Errors::default();
    let model = input_type(&input, &mut errors);
    assert_eq!(errors.count(), 0);
    (model.fields[0].wire.clone(), model.fields[0].serde.flatten)
}

#[test]
fn a_field_is_read_under_its_rename_its_containers_rule_or_its_own_name() {
    let plain: syn::Field = parse_quote!(per_page: u32);
    let with_rule = |rule: &str| -> syn::DeriveInput {
        parse_quote!(
            #[serde(rename_all = #rule)]
            struct Page;
        )
    };
    assert_eq!(
        wire(
            parse_quote!(
                struct Page;
            ),
            plain.clone()
        ),
        ("per_page".into(), false)
    );
    assert_eq!(
        wire(with_rule("camelCase"), plain.clone()),
        ("perPage".into(), false)
    );
    assert_eq!(
        wire(with_rule("kebab-case"), plain.clone()),
        ("per-page".into(), false)
    );
    assert_eq!(
        wire(with_rule("SCREAMING_SNAKE_CASE"), plain.clone()),
        ("PER_PAGE".into(), false)
    );
    // A raw identifier is read without its prefix, as serde reads it.
    assert_eq!(
        wire(
            parse_quote!(
                struct Page;
            ),
            parse_quote!(r#type: u32)
        ),
        ("type".into(), false)
    );

    // A field's own rename wins over the container's rule; for reading, `deserialize` counts.
    let renamed: syn::Field = parse_quote!(#[serde(rename = "size")] per_page: u32);
    assert_eq!(
        wire(with_rule("camelCase"), renamed),
        ("size".into(), false)
    );
    let split: syn::Field =
        parse_quote!(#[serde(rename(serialize = "out", deserialize = "in"))] per_page: u32);
    assert_eq!(
        wire(
            parse_quote!(
                struct Page;
            ),
            split
        ),
        ("in".into(), false)
    );
    let serialize_only: syn::Field =
        parse_quote!(#[serde(rename(serialize = "out"))] per_page: u32);
    assert_eq!(
        wire(with_rule("camelCase"), serialize_only),
        ("perPage".into(), false)
    );
    let split_rule: syn::DeriveInput = parse_quote!(
        #[serde(rename_all(serialize = "UPPERCASE", deserialize = "kebab-case"))]
        struct Page;
    );
    assert_eq!(wire(split_rule, plain.clone()), ("per-page".into(), false));

    // Other options, with values or lists, are stepped over; `flatten` is reported.
    let busy: syn::Field = parse_quote!(
        #[serde(default, skip_serializing_if = "Option::is_none", alias = "n")]
        #[serde(rename = "name")]
        full_name: Option<String>
    );
    assert_eq!(
        wire(
            parse_quote!(
                struct Page;
            ),
            busy
        ),
        ("name".into(), false)
    );
    let flattened: syn::Field = parse_quote!(#[serde(flatten)] extra: Extra);
    assert_eq!(
        wire(
            parse_quote!(
                struct Page;
            ),
            flattened
        ),
        ("extra".into(), true)
    );
}

#[test]
fn the_container_says_its_default_and_whether_unknown_fields_pass() {
    let read = |input: syn::DeriveInput| {
        let mut errors = Errors::default();
        let model = input_type(&input, &mut errors);
        (model.allow_unknown, model.default_all, errors.count())
    };
    assert_eq!(
        read(parse_quote!(
            struct Page {}
        )),
        (false, false, 0)
    );
    assert_eq!(
        read(parse_quote!(
            #[serde(rename_all = "camelCase", default)]
            #[input(allow_unknown_fields)]
            struct Page {}
        )),
        (true, true, 0)
    );
    // An `input` option it does not know is an error; serde's are serde's to check, even one
    // that does not parse, since serde's derive reports it.
    assert_eq!(
        read(parse_quote!(
            #[input(allow_everything)]
            #[serde(deny_unknown_fields, rename_all = "no such rule")]
            struct Page {}
        )),
        (false, false, 1)
    );
    // A tuple struct has no names to read.
    assert_eq!(
        read(parse_quote!(
            struct Page(u32);
        )),
        (false, false, 1)
    );
}

#[test]
fn the_item_type_is_under_every_option_list_and_box() {
    let cases: [(syn::Type, syn::Type); 4] = [
        (parse_quote!(Author), parse_quote!(Author)),
        (parse_quote!(Option<Vec<Author>>), parse_quote!(Author)),
        (
            parse_quote!(Box<std::collections::VecDeque<Author>>),
            parse_quote!(Author),
        ),
        (
            parse_quote!(std::collections::HashMap<String, Author>),
            parse_quote!(std::collections::HashMap<String, Author>),
        ),
    ];
    for (ty, item) in &cases {
        let found = item_type(ty);
        assert_eq!(
            quote::quote!(#found).to_string(),
            quote::quote!(#item).to_string(),
            "{}",
            quote::quote!(#ty)
        );
    }
}
