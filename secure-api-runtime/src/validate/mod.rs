//! Validated input: every `Json<T>`, `Query<T>` and `Form<T>` argument of a `#[secure]` handler
//! is read, checked for unknown fields and validated with `validator` before the handler runs.
//!
//! - A body or query that does not fit the type (a missing field, a wrong type) and a failed
//!   rule both answer `400 {"error":"Invalid input","details":[{"field","message"}]}`, one entry
//!   per problem, fields named as the client sent them (`perPage`, `author.name`, `tags[3]`;
//!   inside a nested type, wire names when that type derives `Input` too, Rust names otherwise),
//!   messages for a person, and never the submitted value.
//! - Unknown body fields are refused (mass assignment: a forged `authorId` or `isAdmin`); a type
//!   can allow them with `#[input(allow_unknown_fields)]`. Unknown query parameters are ignored.
//! - Malformed JSON is `400 {"error":"Invalid request"}`, a wrong or missing content type `415`,
//!   a body over the limit `413`.
//! - Every string, list and map a type reads has a size bound, or the type does not compile:
//!   `#[validate(length(max = N))]`, `#[input(each(length(max = N)))]` for the strings of a
//!   list, a type that cannot grow ([`Bounded`]), or `#[input(unbounded)]` on purpose.
//!
//! The prelude's [`Json`], [`Query`] and [`Form`] validate by themselves, so a renamed import or
//! a type alias of them is validated too: the type decides, not its name. axum's own types are
//! validated only where the macro sees them by name (`axum::Json<T>` written out); behind an
//! alias they are only read, so take the prelude's.
//!
//! As in `validator`, a nested struct's rules run only when the field says
//! `#[validate(nested)]`; whether unknown fields are allowed is the top-level type's choice, for
//! the whole body. Wire names follow `rename` / `rename_all`, their `deserialize = "..."`
//! forms included.

mod bounded;
mod describe;
mod details;
mod extract;
mod objects;
mod types;

pub use bounded::Bounded;
#[doc(hidden)]
pub use bounded::{BoundedItems, EachText, assert_bounded, assert_bounded_items, assert_each_text};
pub use describe::{ArgumentInput, InputFn, InputKind};
#[doc(hidden)]
pub use describe::{ArgumentProbe, InputArgument, NoInput};
pub use details::FieldError;
#[doc(hidden)]
pub use details::check_each;
pub use extract::json;
pub use types::{Form, Json, Query};

/// A request body or query type a `#[secure]` handler may take: deserialized, validated, with
/// the wire names of its fields known. Derive it with `#[derive(Deserialize, Validate, Input)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a validated input",
    label = "`Json`, `Query` and `Form` arguments of a `#[secure]` handler must be validated",
    note = "derive `serde::Deserialize`, `validator::Validate` and `secure_api::Input` for it: `#[derive(Deserialize, Validate, Input)]`"
)]
pub trait Input: serde::de::DeserializeOwned + validator::Validate + Send + 'static {
    /// Whether fields the type does not know are accepted (`#[input(allow_unknown_fields)]`).
    #[doc(hidden)]
    const ALLOW_UNKNOWN_FIELDS: bool = false;

    /// The name a client uses for the Rust field `field` (after serde's renames).
    #[doc(hidden)]
    fn wire_name(field: &str) -> Option<&'static str>;

    /// The names inside field `field`, when its type (or the item type of its list or option)
    /// is an `Input` too.
    #[doc(hidden)]
    fn nested(field: &str) -> Option<WireNames> {
        let _ = field;
        None
    }

    /// The JSON Schema of what the type accepts, for the OpenAPI document (`#[derive(Input)]`
    /// writes it; by hand, any object).
    #[doc(hidden)]
    fn schema(components: &mut crate::schema::Components) -> serde_json::Value {
        let _ = components;
        serde_json::json!({ "type": "object" })
    }

    /// The wire names of the fields that opted out of a size bound (`#[input(unbounded)]`).
    #[doc(hidden)]
    const UNBOUNDED: &'static [&'static str] = &[];

    /// The rules validator has no words for: `#[input(each(length(...)))]`. Adds a detail for
    /// each problem.
    #[doc(hidden)]
    fn check_items(&self, details: &mut Vec<FieldError>) {
        let _ = details;
    }
}

/// The wire names of one input type, and of the input types inside it, for error details.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct WireNames {
    /// [`Input::wire_name`] of the type.
    pub wire_name: fn(&str) -> Option<&'static str>,
    /// [`Input::nested`] of the type.
    pub nested: fn(&str) -> Option<WireNames>,
}

impl WireNames {
    /// The names of input type `T`.
    pub fn of<T: Input>() -> Self {
        Self {
            wire_name: T::wire_name,
            nested: T::nested,
        }
    }
}

/// Finds the wire names of a field's type if it is an `Input`, and none otherwise, without
/// requiring it to be one: the derive calls `(&&NestedNames::<T>::new()).names()`, and method
/// resolution picks [`NamesOfInput`] when `T: Input` and [`NoNames`] otherwise.
#[doc(hidden)]
pub struct NestedNames<T>(std::marker::PhantomData<fn() -> T>);

impl<T> NestedNames<T> {
    /// A probe for `T`.
    pub const fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T> Default for NestedNames<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The probe's answer when the type is an `Input`.
#[doc(hidden)]
pub trait NamesOfInput {
    /// The type's names.
    fn names(&self) -> Option<WireNames>;
}

impl<T: Input> NamesOfInput for &NestedNames<T> {
    fn names(&self) -> Option<WireNames> {
        Some(WireNames::of::<T>())
    }
}

/// The probe's answer for any other type.
#[doc(hidden)]
pub trait NoNames {
    /// No names: the field's own name is used as written.
    fn names(&self) -> Option<WireNames>;
}

impl<T> NoNames for NestedNames<T> {
    fn names(&self) -> Option<WireNames> {
        None
    }
}
