//! JSON Schemas of request and response types, for the OpenAPI document.
//!
//! A schema is written by the same derives that decide what goes over the wire, so the
//! document cannot disagree with the code: `#[derive(Sanitized)]` describes exactly the fields
//! it serializes (a `#[sensitive]` field is absent from the document as it is from every
//! response), and `#[derive(Input)]` describes the fields a body or query accepts, with serde's
//! renames, which fields are required, whether unknown ones are refused, and the bounds of its
//! `#[validate(...)]` rules (`length`, `range`, `email`, `url`).
//!
//! Hand-written implementations are fine: [`Schema`] only describes, it grants nothing. A field
//! whose type has no schema (a `#[trusted]` foreign type, say) is described as `{}`, any value.

mod constraints;
mod impls;
pub(crate) mod probe;
pub(crate) mod response;
pub(crate) mod table;

pub use constraints::{Bound, Constraint, IntoBound, constrain};
pub use response::{ResponseBody, ResponseSchema};

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

/// A type with a JSON Schema (the 2020-12 dialect OpenAPI 3.1 uses) of its wire form: what
/// it serializes to.
pub trait Schema {
    /// The schema. A named type adds its own to `components` with [`Components::named`] and
    /// returns a reference to it; others return it inline.
    fn schema(components: &mut Components) -> Value;
}

/// A function giving a type's schema: [`Schema::schema`], [`InputSchema::input_schema`], or
/// one a probe found.
pub type SchemaFn = fn(&mut Components) -> Value;

/// The JSON Schema of what a request body or query type accepts, written by
/// `#[derive(Input)]`. Apart from [`Schema`], so that one type can be both an input and a
/// response, each described as it is read or written.
pub trait InputSchema {
    /// The schema, added to `components` with [`Components::named_input`].
    fn input_schema(components: &mut Components) -> Value;
}

/// Which side of the wire a component describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Side {
    Output,
    Input,
}

/// The named schemas of a document: `components.schemas`.
#[derive(Debug, Default)]
pub struct Components {
    schemas: BTreeMap<String, Value>,
    /// The component name given to each Rust type, by its full type name and side.
    names: HashMap<(&'static str, Side), String>,
    /// The names of the `#[sensitive]` fields of the types described (Rust and wire names):
    /// never in the document, but what the self-audit checks no answer names.
    sensitive: BTreeSet<String>,
}

impl Components {
    /// Components with `reserved` names already taken by the document itself (`Error`).
    pub(crate) fn with_reserved(reserved: &[(&str, Value)]) -> Self {
        let mut components = Self::default();
        for (name, schema) in reserved {
            components
                .schemas
                .insert((*name).to_owned(), schema.clone());
        }
        components
    }

    /// A reference to the component of type `T`, built by `build` the first time `T` is seen.
    ///
    /// The name is `T`'s own (`PostView`, or `Page_PostView` for `Page<PostView>`), with a
    /// number added when another type of the same name came first. A type that contains itself
    /// is fine: while `build` runs, the reference already resolves.
    pub fn named<T: ?Sized>(&mut self, build: impl FnOnce(&mut Self) -> Value) -> Value {
        self.named_on::<T>(Side::Output, build)
    }

    /// [`named`](Self::named) for what `T` accepts as an input; a type that is also sent in
    /// responses has a second component, with a number added to its name.
    pub fn named_input<T: ?Sized>(&mut self, build: impl FnOnce(&mut Self) -> Value) -> Value {
        self.named_on::<T>(Side::Input, build)
    }

    /// Generic only to name `T`: the work is in [`named_by`](Self::named_by), compiled once,
    /// not once per described type.
    fn named_on<T: ?Sized>(&mut self, side: Side, build: impl FnOnce(&mut Self) -> Value) -> Value {
        let mut build = Some(build);
        self.named_by(std::any::type_name::<T>(), side, &mut |components| {
            build.take().map_or(Value::Null, |build| build(components))
        })
    }

    fn named_by(
        &mut self,
        type_name: &'static str,
        side: Side,
        build: &mut dyn FnMut(&mut Self) -> Value,
    ) -> Value {
        if let Some(name) = self.names.get(&(type_name, side)) {
            return reference(name);
        }
        let base = short_name(type_name);
        let mut name = base.clone();
        let mut suffix = 1;
        while self.schemas.contains_key(&name) {
            suffix += 1;
            name = format!("{base}{suffix}");
        }
        self.names.insert((type_name, side), name.clone());
        self.schemas.insert(name.clone(), Value::Bool(true));
        let schema = build(self);
        self.schemas.insert(name.clone(), schema);
        reference(&name)
    }

    /// Records a `#[sensitive]` field's name (as `#[derive(Sanitized)]` writes it).
    #[doc(hidden)]
    pub fn sensitive(&mut self, name: &str) {
        self.sensitive.insert(name.to_owned());
    }

    /// The `#[sensitive]` field names of the types described so far.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) fn sensitive_names(&self) -> impl Iterator<Item = &str> {
        self.sensitive.iter().map(String::as_str)
    }

    /// The schema `schema` stands for: itself, or the component it references.
    pub(crate) fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|target| target.strip_prefix(REF_PREFIX))
            .and_then(|name| self.schemas.get(name))
            .unwrap_or(schema)
    }

    /// The named schemas, for `components.schemas`.
    pub(crate) fn into_schemas(self) -> BTreeMap<String, Value> {
        self.schemas
    }
}

const REF_PREFIX: &str = "#/components/schemas/";

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("{REF_PREFIX}{name}") })
}

/// A component name from a Rust type name: paths dropped (`blog::PostView` is `PostView`),
/// generic arguments joined with `_`, lifetimes left out, and only the characters OpenAPI
/// allows in the name.
fn short_name(type_name: &str) -> String {
    let mut name = String::new();
    let mut segment = String::new();
    let mut in_lifetime = false;
    for c in type_name.chars().chain(std::iter::once('<')) {
        if c == '\'' {
            in_lifetime = true;
        } else if c.is_alphanumeric() || c == '_' {
            if !in_lifetime {
                segment.push(c);
            }
        } else if c == ':' {
            // A path separator: what came before was a module.
            segment.clear();
        } else {
            // Any other character ends a lifetime or a name.
            in_lifetime = false;
            if !segment.is_empty() {
                if !name.is_empty() {
                    name.push('_');
                }
                name.push_str(&segment);
                segment.clear();
            }
        }
    }
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() {
        "Type".to_owned()
    } else {
        name
    }
}

/// How an object's schema is built, one field at a time (`table`).
#[derive(Debug)]
pub(crate) struct ObjectSchema {
    properties: serde_json::Map<String, Value>,
    required: Vec<String>,
    /// Rules over several fields (one field read under several names).
    all_of: Vec<Value>,
}

impl ObjectSchema {
    /// An object with no fields yet.
    pub(crate) fn new() -> Self {
        Self {
            properties: serde_json::Map::new(),
            required: Vec::new(),
            all_of: Vec::new(),
        }
    }

    /// Adds the field `name` with `schema`; `required` when it is always sent (a response) or
    /// must be sent (an input).
    #[must_use]
    pub(crate) fn field(mut self, name: &str, schema: Value, required: bool) -> Self {
        self.properties.insert(name.to_owned(), schema);
        if required {
            self.required.push(name.to_owned());
        }
        self
    }

    /// One field read under several `names` (serde's `alias`): at most one of them may be sent,
    /// and exactly one when the field is `required`.
    #[must_use]
    pub(crate) fn one_name_of(mut self, names: &[&str], required: bool) -> Self {
        let rule = if required {
            json!({ "oneOf": names.iter().map(|name| json!({ "required": [name] })).collect::<Vec<_>>() })
        } else {
            let pairs: Vec<Value> = names
                .iter()
                .enumerate()
                .flat_map(|(i, a)| {
                    names[i + 1..]
                        .iter()
                        .map(move |b| json!({ "required": [a, b] }))
                })
                .collect();
            json!({ "not": { "anyOf": pairs } })
        };
        self.all_of.push(rule);
        self
    }

    /// The schema; `closed` when no other fields appear (a response) or are accepted (an input
    /// that refuses unknown fields).
    pub(crate) fn build(self, closed: bool) -> Value {
        let mut schema = json!({ "type": "object", "properties": self.properties });
        if !self.required.is_empty() {
            schema["required"] = self.required.into();
        }
        if closed {
            schema["additionalProperties"] = false.into();
        }
        if !self.all_of.is_empty() {
            schema["allOf"] = self.all_of.into();
        }
        schema
    }
}

impl Default for ObjectSchema {
    fn default() -> Self {
        Self::new()
    }
}

/// The schema of an `Option`'s value: `T` of `anyOf: [T, null]`, and any other schema as it is.
pub(crate) fn option_value(schema: &Value) -> &Value {
    match schema
        .get("anyOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([value, null] | [null, value]) if null["type"] == "null" => value,
        _ => schema,
    }
}

/// The schema of a unit enum: one of its variants' wire names.
pub(crate) fn string_enum(variants: &[&str]) -> Value {
    json!({ "type": "string", "enum": variants })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_names_drop_paths_and_join_generic_arguments() {
        assert_eq!(short_name("blog::posts::PostView"), "PostView");
        assert_eq!(
            short_name("blog::Page<blog::posts::PostView>"),
            "Page_PostView"
        );
        assert_eq!(
            short_name("a::Pair<a::B, alloc::vec::Vec<u8>>"),
            "Pair_B_Vec_u8"
        );
        assert_eq!(short_name("&str"), "str");
        assert_eq!(short_name("app::Label<'_>"), "Label");
        assert_eq!(short_name("app::Pair<'a, app::View<'a>>"), "Pair_View");
        assert_eq!(short_name("()"), "Type");
    }

    struct A;
    mod other {
        pub(super) struct A;
    }

    #[test]
    fn types_of_one_name_get_distinct_components_and_keep_them() {
        struct Error;
        let mut components = Components::with_reserved(&[("Error", json!({}))]);
        let first = components.named::<A>(|_| json!({"type": "string"}));
        let second = components.named::<other::A>(|_| json!({"type": "integer"}));
        let again = components.named::<A>(|_| unreachable!("built once"));
        assert_eq!(first, json!({"$ref": "#/components/schemas/A"}));
        assert_eq!(second, json!({"$ref": "#/components/schemas/A2"}));
        assert_eq!(again, first);
        assert_eq!(components.resolve(&second), &json!({"type": "integer"}));

        let error = components.named::<Error>(|_| json!({}));
        assert_eq!(error, json!({"$ref": "#/components/schemas/Error2"}));
    }

    #[test]
    fn a_type_that_contains_itself_refers_to_itself() {
        struct Node;
        let mut components = Components::default();
        let node = components.named::<Node>(|components| {
            let child = components.named::<Node>(|_| unreachable!("already being built"));
            json!({ "type": "object", "properties": { "child": child } })
        });
        assert_eq!(
            components.resolve(&node)["properties"]["child"],
            json!({"$ref": "#/components/schemas/Node"})
        );
    }
}
