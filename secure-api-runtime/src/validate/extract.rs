//! Reading and checking a JSON body, a query or a form: what the prelude's `Json<T>`, `Query<T>`
//! and `Form<T>` do before their value reaches a handler.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use http::request::Parts;
use http::{HeaderMap, header};
use std::cell::RefCell;

use serde::Deserializer;
use serde::de::DeserializeOwned;

use super::details::{FieldError, from_serde, from_validator};
use super::reader::Findings;
use super::{Input, WireNames};
use crate::error::ApiError;
use crate::extract::generic_rejection;

/// The value, once unknown fields (unless its type allows them) and its type's rules are
/// checked. Generic code is compiled once per input type, so all that does not depend on `T`
/// is in the plain functions around it.
fn checked<T: Input>(value: T, unknown: &[String]) -> Result<T, ApiError> {
    if !T::ALLOW_UNKNOWN_FIELDS && !unknown.is_empty() {
        return Err(unknown_fields(unknown));
    }
    let mut details = match value.validate() {
        Ok(()) => Vec::new(),
        Err(errors) => from_validator(&errors, WireNames::of::<T>()),
    };
    value.check_items(&mut details);
    refused(details)?;
    Ok(value)
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

/// A JSON body's bytes, once its content type says JSON (the prelude's `Json<T>` then reads
/// them with [`json`]). Generic only over the router's state, so one per app, not per input.
pub(super) async fn json_bytes<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<Bytes, ApiError> {
    let needs = "a JSON body needs Content-Type: application/json";
    body_of(request, state, is_json, needs).await
}

/// A query string, read and validated; unknown parameters are ignored: links carry tracking
/// and cache-busting noise (the prelude's `Query<T>`).
pub(super) fn query<T: Input>(parts: &Parts) -> Result<T, ApiError> {
    let query = parts.uri.query().unwrap_or_default();
    let form = form_urlencoded::parse(query.as_bytes());
    let mut unknown = Vec::new();
    let value = read::<T, _>(serde_urlencoded::Deserializer::new(form), &mut unknown)?;
    checked(value, &[])
}

/// A URL-encoded form body's bytes, once its content type says so (the prelude's `Form<T>`
/// then reads them with [`form`]).
pub(super) async fn form_bytes<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<Bytes, ApiError> {
    let needs = "a form body needs Content-Type: application/x-www-form-urlencoded";
    body_of(request, state, is_form, needs).await
}

/// A URL-encoded form body, read and validated.
pub(super) fn form<T: Input>(body: &[u8]) -> Result<T, ApiError> {
    let form = form_urlencoded::parse(body);
    let mut unknown = Vec::new();
    let value = read::<T, _>(serde_urlencoded::Deserializer::new(form), &mut unknown)?;
    checked(value, &unknown)
}

fn is_form(mime: &str) -> bool {
    mime == "application/x-www-form-urlencoded"
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
    let mut json = serde_json::Deserializer::from_slice(body);
    let mut unknown = Vec::new();
    let value = read::<T, _>(&mut json, &mut unknown)?;
    json_ends(&mut json)?;
    checked(value, &unknown)
}

/// Nothing but whitespace after the JSON value.
fn json_ends(
    json: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<(), ApiError> {
    match json.end() {
        Ok(()) => Ok(()),
        Err(_) => {
            Err(ApiError::bad_request().with_reason("trailing characters after the JSON body"))
        }
    }
}

/// Deserializes `T` through [`reader::read`](super::reader::read): a failure names its place
/// in wire names, and `unknown` gets the place of every field `T` does not know.
fn read<'de, T: DeserializeOwned, D>(
    deserializer: D,
    unknown: &mut Vec<String>,
) -> Result<T, ApiError>
where
    D: Deserializer<'de>,
    D::Error: ClassifiedError,
{
    let findings = RefCell::new(Findings::default());
    let result = super::reader::read::<T, D>(deserializer, &findings);
    let findings = findings.into_inner();
    match result {
        Ok(value) => {
            *unknown = findings.unknown;
            Ok(value)
        }
        Err(error) => Err(classify(&error, findings.failed_at)),
    }
}

/// A deserializer's error as the client reads it: malformed input names no field; otherwise
/// the place and what was wrong. Per deserializer, not per input type.
fn classify<E: ClassifiedError>(error: &E, at: Option<String>) -> ApiError {
    if error.is_syntax() {
        return ApiError::bad_request().with_reason("the body is not valid JSON");
    }
    // serde's message may quote the value; `from_serde` keeps only its shape.
    let at = at.unwrap_or_else(|| String::from("."));
    ApiError::invalid_input(vec![from_serde(&at, &error.to_string())])
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
