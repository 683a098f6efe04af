//! The one reading layer: structs only from objects, unknown fields and failures by place.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Findings, read};

#[derive(Debug, Deserialize, PartialEq)]
struct Author {
    name: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
enum Kind {
    Note,
    Link { url: String },
    Quote(Author),
}

#[derive(Debug, Deserialize, PartialEq)]
struct Post {
    title: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    authors: Vec<Author>,
    editor: Option<Author>,
    #[serde(default)]
    counts: BTreeMap<String, u32>,
    kind: Option<Kind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Strict {
    name: String,
}

/// The value or the error's text, and the findings.
fn from_json<T: for<'de> Deserialize<'de>>(json: &str) -> (Result<T, String>, Findings) {
    let findings = RefCell::new(Findings::default());
    let mut de = serde_json::Deserializer::from_str(json);
    let value = read::<T, _>(&mut de, &findings).map_err(|e| e.to_string());
    (value, findings.into_inner())
}

#[test]
fn a_well_formed_value_is_read_as_serde_reads_it() {
    let json = r#"{"title":"t","tags":["a"],"authors":[{"name":"Ada"}],"editor":{"name":"Bo"},
        "counts":{"x":1},"kind":{"link":{"url":"u"}}}"#;
    let (value, findings) = from_json::<Post>(json);
    let post = value.unwrap();
    assert_eq!(post.kind, Some(Kind::Link { url: "u".into() }));
    assert_eq!(post.editor, Some(Author { name: "Bo".into() }));
    assert_eq!(post.counts["x"], 1);
    assert!(findings.unknown.is_empty());
    assert!(findings.failed_at.is_none());
    let (note, _) = from_json::<Kind>(r#""note""#);
    assert_eq!(note.unwrap(), Kind::Note);
}

#[test]
fn a_struct_from_a_sequence_is_refused_where_it_is() {
    let (value, findings) = from_json::<Post>(r#"["t", [], [], null, {}, null]"#);
    assert!(value.unwrap_err().contains("expected an object"));
    assert_eq!(findings.failed_at.as_deref(), Some("."));

    let (value, findings) = from_json::<Post>(r#"{"title":"t","authors":[{"name":"A"},["B"]]}"#);
    assert!(value.unwrap_err().contains("expected an object"));
    assert_eq!(findings.failed_at.as_deref(), Some("authors[1]"));

    let (value, findings) = from_json::<Post>(r#"{"title":"t","kind":{"link":["u"]}}"#);
    assert!(value.unwrap_err().contains("expected an object"));
    assert_eq!(findings.failed_at.as_deref(), Some("kind.link"));
}

#[test]
fn unknown_fields_are_noted_by_place_at_every_depth() {
    let json = r#"{"title":"t","isAdmin":true,"authors":[{"name":"A"},{"name":"B","role":"x"}],
        "editor":{"name":"C","<b>":1}}"#;
    let (value, findings) = from_json::<Post>(json);
    assert!(value.is_ok());
    assert_eq!(
        findings.unknown,
        ["isAdmin", "authors[1].role", "editor.[…]"]
    );
}

#[test]
fn a_failure_names_the_deepest_place_and_a_refused_key_itself() {
    let (value, findings) = from_json::<Post>(r#"{"title":"t","tags":["a",7]}"#);
    assert!(value.unwrap_err().starts_with("invalid type: integer `7`"));
    assert_eq!(findings.failed_at.as_deref(), Some("tags[1]"));

    let (_, findings) = from_json::<Post>(r#"{"title":"t","counts":{"x":"many"}}"#);
    assert_eq!(findings.failed_at.as_deref(), Some("counts.x"));

    let (_, findings) = from_json::<Post>(r#"{"title":"t","kind":{"quote":{"name":5}}}"#);
    assert_eq!(findings.failed_at.as_deref(), Some("kind.quote.name"));

    // A missing field is the struct's failure.
    let (value, findings) = from_json::<Post>(r#"{"editor":{}}"#);
    assert!(value.unwrap_err().starts_with("missing field `name`"));
    assert_eq!(findings.failed_at.as_deref(), Some("editor"));

    let (value, findings) = from_json::<Strict>(r#"{"name":"a","isAdmin":true}"#);
    assert!(value.unwrap_err().starts_with("unknown field `isAdmin`"));
    assert_eq!(findings.failed_at.as_deref(), Some("isAdmin"));

    // An unknown variant is the failure of the field that holds it.
    let (value, findings) = from_json::<Post>(r#"{"title":"t","kind":"poem"}"#);
    assert!(value.unwrap_err().starts_with("unknown variant `poem`"));
    assert_eq!(findings.failed_at.as_deref(), Some("kind"));
}

#[test]
fn a_form_is_read_through_the_same_layer() {
    let findings = RefCell::new(Findings::default());
    let form = form_urlencoded::parse(b"name=Ada&extra=1");
    let author: Author = read(serde_urlencoded::Deserializer::new(form), &findings).unwrap();
    assert_eq!(author.name, "Ada");
    assert_eq!(findings.into_inner().unknown, ["extra"]);
}
