//! The prelude's [`Json`], [`Query`] and [`Form`]: extractors that validate by themselves.
//!
//! As arguments they read the input, refuse unknown fields and validate it (`T: Input`) before
//! the handler runs, with the answers [`validate`](super) documents, whatever the import is
//! called or aliased to: the type decides, not its name. `Json<T>` is also the response type
//! (with `T: Sanitized` in a `#[secure]` handler).

use std::ops::{Deref, DerefMut};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use serde::Serialize;

use super::Input;
use super::extract::{form, form_bytes, json_bytes, query};
use crate::error::ApiError;
use crate::sanitize::{Sanitized, SecureResponse};
use crate::schema::{Components, ResponseBody, ResponseSchema, Schema};

/// A JSON body: as an argument, read with `Content-Type: application/json`, checked for unknown
/// fields and validated before the handler runs; as a response, `T` serialized.
///
/// ```
/// use secure_api::prelude::*;
/// use serde::Deserialize;
/// use validator::Validate;
///
/// #[derive(Deserialize, Validate, Input)]
/// struct NewPost {
///     #[validate(length(min = 3, max = 200))]
///     title: String,
/// }
///
/// // Renamed or aliased, it is still the validating extractor.
/// use secure_api::prelude::Json as Body;
/// type Draft<T> = Json<T>;
///
/// #[secure(auth)]
/// async fn create(user: AuthUser, Body(post): Body<NewPost>) -> StatusCode {
///     let _ = (user, post.title);
///     StatusCode::CREATED
/// }
///
/// #[secure(auth)]
/// async fn save(user: AuthUser, draft: Draft<NewPost>) -> StatusCode {
///     let _ = (user, draft.into_inner().title);
///     StatusCode::NO_CONTENT
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

/// A query string, read and validated before the handler runs; unknown parameters are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

/// A URL-encoded form body, read with its content type, checked for unknown fields and
/// validated before the handler runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

macro_rules! wrapper {
    ($($name:ident),*) => {$(
        impl<T> $name<T> {
            /// The value.
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> Deref for $name<T> {
            type Target = T;

            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> DerefMut for $name<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }

        impl<T> From<T> for $name<T> {
            fn from(value: T) -> Self {
                Self(value)
            }
        }
    )*};
}

wrapper!(Json, Query, Form);

impl<S: Send + Sync, T: Input> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = json_bytes(request, state).await?;
        super::json(&body).map(Self)
    }
}

impl<S: Send + Sync, T: Input> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        query(parts).map(Self)
    }
}

impl<S: Send + Sync, T: Input> FromRequest<S> for Form<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = form_bytes(request, state).await?;
        form(&body).map(Self)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl<T: Sanitized> SecureResponse for Json<T> {}

impl<T: Schema> ResponseSchema for Json<T> {
    fn body(components: &mut Components) -> Option<ResponseBody> {
        <axum::Json<T> as ResponseSchema>::body(components)
    }
}
