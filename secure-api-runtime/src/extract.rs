//! [`generic_rejection`]: what a `#[secure]` route makes of any extractor's rejection, so that
//! no extractor's own text (serde's messages, type names, positions) reaches a client.

use std::any::{Any, type_name};

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::response::IntoResponse;
use http::StatusCode;

use crate::error::{ApiError, is_error_header};

/// Maps any rejection to the generic [`ApiError`] of its class, keeping the headers an error may
/// carry (a `Retry-After`, say) and nothing of its text: `400` for unreadable input, `413`,
/// `415`, a bad path parameter as `404` (as if the resource did not exist), and `500` for an
/// extractor that failed on the server side. The rejection's own text is logged, never sent.
/// Rejections that already are [`ApiError`]s pass unchanged. `SecureRoute` calls it for every
/// argument of a `#[secure]` handler.
pub(crate) fn generic_rejection<R: IntoResponse + 'static>(rejection: R) -> ApiError {
    let mut slot = Some(rejection);
    if let Some(error) = (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<ApiError>>()
        .and_then(Option::take)
    {
        return error;
    }
    let Some(rejection) = slot else {
        return ApiError::bad_request();
    };
    let reason = format!(
        "{} rejected the request: {}",
        type_name::<R>(),
        detail(&rejection)
    );
    // A path parameter that does not parse names no resource: answer as for a missing one, so
    // ids cannot be probed by their format. (A route whose path lacks the parameters is a
    // server bug, and stays a 500.)
    if let Some(PathRejection::FailedToDeserializePathParams(_)) =
        (&rejection as &dyn Any).downcast_ref::<PathRejection>()
    {
        return ApiError::not_found().with_reason(reason);
    }
    let response = rejection.into_response();
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return ApiError::internal(format!("{reason} with non-error status {status}"));
    }
    // 422 is axum's answer for JSON of the wrong shape; clients get 400 for every unreadable input.
    let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    let mut error = ApiError::status(status).with_reason(reason);
    for (name, value) in response.headers() {
        if is_error_header(name) {
            error = error.with_header(name.clone(), value.clone());
        }
    }
    error
}

/// What went wrong, for the log. Never the rejection's own text: serde's messages quote the
/// submitted value ("invalid type: string \"hunter2\""), which may be a password.
fn detail(rejection: &dyn Any) -> &'static str {
    if let Some(r) = rejection.downcast_ref::<JsonRejection>() {
        match r {
            JsonRejection::JsonDataError(_) => "JSON body does not fit the expected type",
            JsonRejection::JsonSyntaxError(_) => "JSON body is not valid JSON",
            JsonRejection::MissingJsonContentType(_) => "Content-Type is not application/json",
            JsonRejection::BytesRejection(_) => "body could not be read",
            _ => "JSON body rejected",
        }
    } else if rejection.is::<QueryRejection>() {
        "query string does not fit the expected type"
    } else if rejection.is::<FormRejection>() {
        "form body rejected"
    } else if rejection.is::<PathRejection>() {
        "path parameter does not fit the expected type"
    } else {
        "extractor rejected the request"
    }
}
