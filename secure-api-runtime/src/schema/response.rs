//! What a handler's success response looks like, from its return type: [`ResponseSchema`] for
//! the types a `#[secure]` handler may return.

use axum::Json;
use axum::response::Redirect;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::probe::SchemaProbe;
use super::{Components, Schema};
use crate::error::ApiError;

/// The body of a success response.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseBody {
    /// Its media type (`application/json`).
    pub media_type: &'static str,
    /// Its schema.
    pub schema: Value,
}

/// A response type whose success body can be described. Errors are described by the document
/// itself, so a `Result` is described by its `Ok` type.
pub trait ResponseSchema {
    /// The success body, or `None` when there is none (a bare `StatusCode`).
    fn body(components: &mut Components) -> Option<ResponseBody>;
}

impl<T: Schema> ResponseSchema for Json<T> {
    fn body(components: &mut Components) -> Option<ResponseBody> {
        Some(ResponseBody {
            media_type: "application/json",
            schema: T::schema(components),
        })
    }
}

fn text() -> ResponseBody {
    ResponseBody {
        media_type: "text/plain",
        schema: json!({ "type": "string" }),
    }
}

impl ResponseSchema for &'static str {
    fn body(_: &mut Components) -> Option<ResponseBody> {
        Some(text())
    }
}

impl ResponseSchema for String {
    fn body(_: &mut Components) -> Option<ResponseBody> {
        Some(text())
    }
}

macro_rules! no_body {
    ($($ty:ty),+) => {
        $(impl ResponseSchema for $ty {
            fn body(_: &mut Components) -> Option<ResponseBody> {
                None
            }
        })+
    };
}

no_body!(StatusCode, (), Redirect, ApiError);

impl<R: ResponseSchema, E> ResponseSchema for Result<R, E> {
    fn body(components: &mut Components) -> Option<ResponseBody> {
        R::body(components)
    }
}

/// A status or headers with a body: the body's description.
macro_rules! body_of_last {
    ($(impl<$($param:ident),*> for $ty:ty;)+) => {
        $(impl<R: ResponseSchema $(, $param)*> ResponseSchema for $ty {
            fn body(components: &mut Components) -> Option<ResponseBody> {
                R::body(components)
            }
        })+
    };
}

body_of_last! {
    impl<> for (StatusCode, R);
    impl<> for (HeaderMap, R);
    impl<> for (StatusCode, HeaderMap, R);
}

impl<R: ResponseSchema, K, V, const N: usize> ResponseSchema for ([(K, V); N], R) {
    fn body(components: &mut Components) -> Option<ResponseBody> {
        R::body(components)
    }
}

impl<R: ResponseSchema, K, V, const N: usize> ResponseSchema for (StatusCode, [(K, V); N], R) {
    fn body(components: &mut Components) -> Option<ResponseBody> {
        R::body(components)
    }
}

/// The probe's answer when the response type can be described.
#[doc(hidden)]
pub trait KnownResponse {
    /// The success body.
    fn response_body(&self, components: &mut Components) -> Option<ResponseBody>;
}

impl<T: ResponseSchema> KnownResponse for &SchemaProbe<T> {
    fn response_body(&self, components: &mut Components) -> Option<ResponseBody> {
        T::body(components)
    }
}

/// The probe's answer for any other response type (a raw `Response`): nothing is said of it.
#[doc(hidden)]
pub trait UnknownResponse {
    /// No description.
    fn response_body(&self, components: &mut Components) -> Option<ResponseBody>;
}

impl<T> UnknownResponse for SchemaProbe<T> {
    fn response_body(&self, _: &mut Components) -> Option<ResponseBody> {
        None
    }
}
