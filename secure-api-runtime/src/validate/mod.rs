//! Validated input: every `Json<T>`, `Query<T>` and `Form<T>` argument of a `#[secure]` handler
//! is read, checked for unknown fields and validated with `validator` before the handler runs.
//!
//! - A body or query that does not fit the type (a missing field, a wrong type) and a failed
//!   rule both answer `400 {"error":"Invalid input","details":[{"field","message"}]}`, one entry
//!   per problem, fields named as the client sent them (`perPage`, `author.name`, `tags[3]`),
//!   messages for a person, and never the submitted value.
//! - Unknown body fields are refused (mass assignment: a forged `authorId` or `isAdmin`); a type
//!   can allow them with `#[input(allow_unknown_fields)]`. Unknown query parameters are ignored.
//! - Malformed JSON is `400 {"error":"Invalid request"}`, a wrong or missing content type `415`,
//!   a body over the limit `413`.
//!
//! The macro recognises the arguments by their type's name (`Json`, `Query`, `Form`); behind a
//! type alias it cannot see them, and such an argument is only read, not validated.

mod details;
mod extract;

pub use details::FieldError;
pub use extract::{ValidForm, ValidJson, ValidQuery, check_form, check_json, check_query};

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
}

/// The response of a handler with validated inputs: its own, or the refusal of an input that
/// did not pass, decided before the handler ran.
pub enum Checked<R> {
    /// The handler ran.
    Handled(R),
    /// An input was refused; the handler did not run.
    Refused(crate::error::ApiError),
}

impl<R: axum::response::IntoResponse> axum::response::IntoResponse for Checked<R> {
    fn into_response(self) -> axum::response::Response {
        match self {
            Self::Handled(response) => response.into_response(),
            Self::Refused(error) => error.into_response(),
        }
    }
}

impl<R: crate::sanitize::SecureResponse> crate::sanitize::SecureResponse for Checked<R> {}
