//! Reading and checking a JSON body, a query or a form: what the prelude's `Json<T>`, `Query<T>`
//! and `Form<T>` do before their value reaches a handler.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use http::request::Parts;
use http::{HeaderMap, header};
use std::fmt::Write as _;

use serde::Deserializer;
use serde::de::DeserializeOwned;

use super::details::{FieldError, client_key, from_serde, from_validator};
use super::{Input, WireNames};
use crate::error::ApiError;
use crate::extract::generic_rejection;

/// A value as read, with the fields it had that its type does not know.
struct Read<T> {
    value: T,
    unknown: Vec<String>,
}

impl<T: Input> Read<T> {
    /// The value, once unknown fields (unless the type allows them) and `T`'s rules are
    /// checked. Generic code is compiled once per input type, so all that does not depend on
    /// `T` is in the plain functions below.
    fn checked(self) -> Result<T, ApiError> {
        if !T::ALLOW_UNKNOWN_FIELDS && !self.unknown.is_empty() {
            return Err(unknown_fields(&self.unknown));
        }
        let mut details = match self.value.validate() {
            Ok(()) => Vec::new(),
            Err(errors) => from_validator(&errors, WireNames::of::<T>()),
        };
        self.value.check_items(&mut details);
        refused(details)?;
        Ok(self.value)
    }
}

/// `400` naming each field the type does not know.
fn unknown_fields(unknown: &[String]) -> ApiError {
    ApiError::invalid_input(
        unknown
            .iter()
            .map(|field| FieldError {
                field: field.clone(),
                message: String::from("is not an accepted field"),
            })
            .collect::<Vec<_>>(),
    )
}

/// `400` with the details in field order, when there are any.
fn refused(mut details: Vec<FieldError>) -> Result<(), ApiError> {
    if details.is_empty() {
        return Ok(());
    }
    details.sort_by(|a, b| a.field.cmp(&b.field));
    Err(ApiError::invalid_input(details))
}

/// A request's body, when its content type is one `accepts` takes; `needs` says which.
async fn body_of<S: Send + Sync>(
    request: Request,
    state: &S,
    accepts: fn(&str) -> bool,
    needs: &'static str,
) -> Result<Bytes, ApiError> {
    if !has_content_type(request.headers(), accepts) {
        return Err(ApiError::unsupported_media_type().with_reason(needs));
    }
    Bytes::from_request(request, state)
        .await
        .map_err(generic_rejection)
}

/// A JSON body, read with its content type and validated (the prelude's `Json<T>`).
pub(super) async fn json_body<S: Send + Sync, T: Input>(
    request: Request,
    state: &S,
) -> Result<T, ApiError> {
    let needs = "a JSON body needs Content-Type: application/json";
    let body = body_of(request, state, is_json, needs).await?;
    read_json(&body)?.checked()
}

/// A query string, read and validated; unknown parameters are ignored: links carry tracking
/// and cache-busting noise (the prelude's `Query<T>`).
pub(super) fn query<T: Input>(parts: &Parts) -> Result<T, ApiError> {
    let query = parts.uri.query().unwrap_or_default();
    let form = form_urlencoded::parse(query.as_bytes());
    let mut read = read::<T, _>(serde_urlencoded::Deserializer::new(form))
        .map_err(ReadError::into_api_error)?;
    read.unknown.clear();
    read.checked()
}

/// A URL-encoded form body, read with its content type and validated (the prelude's
/// `Form<T>`).
pub(super) async fn form_body<S: Send + Sync, T: Input>(
    request: Request,
    state: &S,
) -> Result<T, ApiError> {
    let needs = "a form body needs Content-Type: application/x-www-form-urlencoded";
    let body = body_of(request, state, is_form, needs).await?;
    let form = form_urlencoded::parse(&body);
    read::<T, _>(serde_urlencoded::Deserializer::new(form))
        .map_err(ReadError::into_api_error)?
        .checked()
}

fn is_form(mime: &str) -> bool {
    mime == "application/x-www-form-urlencoded"
}

/// Reads `body` as one JSON value of type `T`, noting its unknown fields.
fn read_json<T: DeserializeOwned>(body: &[u8]) -> Result<Read<T>, ApiError> {
    let mut json = serde_json::Deserializer::from_slice(body);
    let read = read::<T, _>(&mut json).map_err(ReadError::into_api_error)?;
    json.end().map_err(|_| {
        ApiError::bad_request().with_reason("trailing characters after the JSON body")
    })?;
    Ok(read)
}

/// Reads and validates a JSON body a handler took as raw bytes, exactly as a `Json<T>`
/// argument is read: malformed JSON is `400 {"error":"Invalid request"}`, unknown fields are
/// refused (unless `T` allows them), and `T`'s rules are checked, each problem a detail.
///
/// For a route that needs the bytes themselves first, such as a webhook that checks a
/// signature over them:
///
/// ```
/// use axum::body::Bytes;
/// use secure_api::prelude::*;
/// use serde::Deserialize;
/// use validator::Validate;
///
/// #[derive(Deserialize, Validate, Input)]
/// struct Event {
///     #[validate(length(min = 1, max = 64))]
///     kind: String,
/// }
///
/// #[secure(public, raw_body)]
/// async fn webhook(headers: http::HeaderMap, body: Bytes) -> ApiResult<StatusCode> {
///     // check_signature(&headers, &body)?; over the exact bytes received
///     let _ = headers;
///     let event: Event = secure_api::validate::json(&body)?;
///     let _ = event.kind;
///     Ok(StatusCode::NO_CONTENT)
/// }
/// ```
pub fn json<T: Input>(body: &[u8]) -> Result<T, ApiError> {
    read_json::<T>(body)?.checked()
}

enum ReadError {
    /// Not JSON at all: no field to name.
    Syntax(String),
    /// Read, but not of the expected shape: missing or unknown fields, wrong types.
    Invalid(Vec<FieldError>),
}

impl ReadError {
    fn into_api_error(self) -> ApiError {
        match self {
            Self::Syntax(reason) => ApiError::bad_request().with_reason(reason),
            Self::Invalid(details) => ApiError::invalid_input(details),
        }
    }
}

/// Deserializes `T`, with the path of a failure in wire names, noting every field `T` does not
/// know.
fn read<'de, T: DeserializeOwned, D>(deserializer: D) -> Result<Read<T>, ReadError>
where
    D: Deserializer<'de>,
    D::Error: ClassifiedError,
{
    let mut unknown = Vec::new();
    // A `dyn` callback, not this function's closure: the closure's type differs for every `T`,
    // and it would make every layer of the deserializer above it (and every visitor below,
    // `String`'s and `u32`'s included) a new instantiation per input type. Compile time
    // roughly halves.
    let mut record: &mut dyn FnMut(serde_ignored::Path<'_>) =
        &mut |path| unknown.push(wire_path(&path));
    // A struct read from a sequence is refused innermost, so the paths above it name where.
    let objects = super::objects::ObjectsOnly(deserializer);
    let tracked = serde_ignored::Deserializer::new(objects, &mut record);
    let value: T = serde_path_to_error::deserialize(tracked).map_err(classify)?;
    Ok(Read { value, unknown })
}

/// A deserializer's error as the client reads it; per deserializer, not per input type.
#[allow(clippy::needless_pass_by_value)] // used as `map_err(classify)`
fn classify<E: ClassifiedError>(error: serde_path_to_error::Error<E>) -> ReadError {
    if error.inner().is_syntax() {
        return ReadError::Syntax(String::from("the body is not valid JSON"));
    }
    // serde's message may quote the value; `from_serde` keeps only its shape.
    ReadError::Invalid(vec![from_serde(
        &serde_path(error.path()),
        &error.inner().to_string(),
    )])
}

/// `tags[3]`, `author.name`: a `serde_ignored` path as a client would write it. A client-chosen
/// key is cut short, since it is sent back.
fn wire_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", wire_path(parent)),
        Path::Map { parent, key } => {
            let parent = wire_path(parent);
            let key = client_key(key);
            if parent.is_empty() {
                key
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => wire_path(parent),
    }
}

/// `tags[3]`, `author.name`: a `serde_path_to_error` path, with client-chosen keys made safe.
fn serde_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut text = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(text, "[{index}]");
            }
            Segment::Map { key } => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(&client_key(key));
            }
            Segment::Enum { variant } => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(&client_key(variant));
            }
            Segment::Unknown => text.push_str(".?"),
        }
    }
    if text.is_empty() {
        String::from(".")
    } else {
        text
    }
}

/// Whether a deserializer's error means the input was not even well-formed.
trait ClassifiedError: serde::de::Error {
    fn is_syntax(&self) -> bool;
}

impl ClassifiedError for serde_json::Error {
    fn is_syntax(&self) -> bool {
        matches!(
            self.classify(),
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
        )
    }
}

impl ClassifiedError for serde::de::value::Error {
    fn is_syntax(&self) -> bool {
        false
    }
}

fn has_content_type(headers: &HeaderMap, accept: impl Fn(&str) -> bool) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| accept(&mime.trim().to_ascii_lowercase()))
}

fn is_json(mime: &str) -> bool {
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}
