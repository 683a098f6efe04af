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

pub(crate) mod bounded;
pub(crate) mod describe;
pub(crate) mod details;
mod extract;
pub(crate) mod names;
mod reader;
mod types;

pub use bounded::Bounded;
pub use describe::{ArgumentInput, InputFn, InputKind};
pub use details::FieldError;
pub use extract::json;
pub(crate) use names::WireNames;
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
