//! How `#[derive(Input)]` reads serde's attributes: the name a client sends for each field, and
//! the container's options.

use syn::parse_quote;

use super::{container_attrs, item_type, wire_name};
use crate::errors::Errors;
use crate::sanitized::rename::RenameRule;

fn wire(field: &syn::Field, rename_all: Option<&str>) -> (String, bool) {
    let rust = field.ident.as_ref().unwrap().to_string();
    wire_name(field, &rust, rename_all.and_then(RenameRule::from_name))
}

#[test]
fn a_field_is_read_under_its_rename_its_containers_rule_or_its_own_name() {
    let plain: syn::Field = parse_quote!(per_page: u32);
    assert_eq!(wire(&plain, None), ("per_page".into(), false));
    assert_eq!(wire(&plain, Some("camelCase")), ("perPage".into(), false));
    assert_eq!(wire(&plain, Some("kebab-case")), ("per-page".into(), false));
    assert_eq!(
        wire(&plain, Some("SCREAMING_SNAKE_CASE")),
        ("PER_PAGE".into(), false)
    );

    // A field's own rename wins over the container's rule; for reading, `deserialize` counts.
    let renamed: syn::Field = parse_quote!(#[serde(rename = "size")] per_page: u32);
    assert_eq!(wire(&renamed, Some("camelCase")), ("size".into(), false));
    let split: syn::Field =
        parse_quote!(#[serde(rename(serialize = "out", deserialize = "in"))] per_page: u32);
    assert_eq!(wire(&split, None), ("in".into(), false));
    let serialize_only: syn::Field =
        parse_quote!(#[serde(rename(serialize = "out"))] per_page: u32);
    assert_eq!(
        wire(&serialize_only, Some("camelCase")),
        ("perPage".into(), false)
    );

    // Other options, with values or lists, are stepped over; `flatten` is reported.
    let busy: syn::Field = parse_quote!(
        #[serde(default, skip_serializing_if = "Option::is_none", alias = "n")]
        #[serde(rename = "name")]
        full_name: Option<String>
    );
    assert_eq!(wire(&busy, None), ("name".into(), false));
    let flattened: syn::Field = parse_quote!(#[serde(flatten)] extra: Extra);
    assert_eq!(wire(&flattened, None), ("extra".into(), true));
}

#[test]
fn the_container_says_its_rule_its_default_and_whether_unknown_fields_pass() {
    let read = |input: syn::DeriveInput| {
        let mut errors = Errors::default();
        let (rule, allow_unknown, default_all) = container_attrs(&input, &mut errors);
        let rule = rule.map(|rule| rule.apply_to_field("per_page"));
        (rule, allow_unknown, default_all, errors.count())
    };
    assert_eq!(
        read(parse_quote!(
            struct Page;
        )),
        (None, false, false, 0)
    );
    assert_eq!(
        read(parse_quote!(
            #[serde(rename_all = "camelCase", default)]
            #[input(allow_unknown_fields)]
            struct Page;
        )),
        (Some("perPage".into()), true, true, 0)
    );
    assert_eq!(
        read(parse_quote!(
            #[serde(rename_all(serialize = "UPPERCASE", deserialize = "kebab-case"))]
            struct Page;
        )),
        (Some("per-page".into()), false, false, 0)
    );
    // An `input` option it does not know is an error; serde's are serde's to check.
    assert_eq!(
        read(parse_quote!(
            #[input(allow_everything)]
            #[serde(deny_unknown_fields)]
            struct Page;
        )),
        (None, false, false, 1)
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
