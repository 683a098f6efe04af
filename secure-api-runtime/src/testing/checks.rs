//! What every answer must be, whatever was asked: the checks the self-audit applies to each.

use http::StatusCode;
use serde_json::Value;

use super::exchange::Answer;

/// What an answer must not hold: a panic, a backtrace, a source path, SQL, a Rust type path.
const LEAKS: [&str; 17] = [
    "panicked at",
    "stack backtrace",
    "RUST_BACKTRACE",
    ".rs:",
    "/home/",
    "/root/",
    "/usr/",
    "SQLITE_",
    "sqlx::",
    "syntax error",
    "SELECT ",
    "INSERT INTO",
    "std::",
    "core::",
    "alloc::",
    "serde_json::",
    "secure_api",
];

/// The problems of `answer` as every answer must be, over HTTPS: the security headers, no
/// `Server` or `X-Powered-By`, a request id, errors as JSON with the generic shape, nothing
/// leaked; no value of `secrets` (B's, where A is the caller), and no name of `sensitive`
/// (the `#[sensitive]` fields of the route's response type: as a JSON key anywhere, and in
/// an error's text when it is 6 characters or more).
pub(super) fn answer_problems(
    answer: &Answer,
    secrets: &[String],
    sensitive: &[String],
) -> Vec<String> {
    let mut problems = Vec::new();
    let headers = &answer.headers;
    let has = |name: &str| headers.contains_key(name);
    if headers
        .get("x-content-type-options")
        .is_none_or(|value| value != "nosniff")
    {
        problems.push("no `X-Content-Type-Options: nosniff`".to_owned());
    }
    for name in [
        "strict-transport-security",
        "content-security-policy",
        "x-request-id",
    ] {
        if !has(name) {
            problems.push(format!("no `{name}` header"));
        }
    }
    for name in ["server", "x-powered-by"] {
        if has(name) {
            problems.push(format!("a `{name}` header"));
        }
    }
    if answer.status.is_client_error() || answer.status.is_server_error() {
        problems.extend(error_shape(answer));
    }
    for leak in LEAKS {
        if answer.text.contains(leak) {
            problems.push(format!("the body holds `{leak}`"));
        }
    }
    for secret in secrets {
        if answer.text.contains(secret.as_str()) {
            problems.push(format!("the body holds B's value `{secret}`"));
        }
    }
    let error = answer.status.is_client_error() || answer.status.is_server_error();
    for name in sensitive {
        let as_key = answer.text.contains(&format!("\"{name}\""));
        if as_key || (error && name.len() >= 6 && answer.text.contains(name.as_str())) {
            problems.push(format!("the body names the sensitive field `{name}`"));
        }
    }
    problems
}

/// An error's body: JSON, an `error` text, a `requestId`, nothing else but `details`.
fn error_shape(answer: &Answer) -> Option<String> {
    let json = answer
        .headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    let body = answer.json();
    let shaped = body
        .as_ref()
        .and_then(Value::as_object)
        .is_some_and(|body| {
            body.get("error").is_some_and(Value::is_string)
                && body.get("requestId").is_some_and(Value::is_string)
                && body
                    .keys()
                    .all(|key| matches!(key.as_str(), "error" | "requestId" | "details"))
        });
    (!(json && shaped)).then(|| {
        format!(
            "an error that is not `{{\"error\":...,\"requestId\":...}}` JSON: {}",
            clip(&answer.text)
        )
    })
}

/// Whether `answer` is exactly the `401` a refused credential gets: a challenge, and the
/// generic message of one of the schemes.
pub(super) fn is_refused_credential(answer: &Answer) -> bool {
    let generic = answer
        .json()
        .and_then(|body| body.get("error")?.as_str().map(str::to_owned))
        .is_some_and(|error| {
            matches!(
                error.as_str(),
                "Authentication required" | "Invalid token" | "Invalid API key"
            )
        });
    answer.status == StatusCode::UNAUTHORIZED
        && answer.headers.contains_key(http::header::WWW_AUTHENTICATE)
        && generic
}

/// Whether `answer` is the generic `403 {"error":"Access denied"}`.
pub(super) fn is_access_denied(answer: &Answer) -> bool {
    answer.status == StatusCode::FORBIDDEN
        && answer
            .json()
            .is_some_and(|body| body["error"] == "Access denied")
}

/// The string values of `record` of 4 characters or more, at any depth: what no answer to
/// another user may hold.
pub(super) fn string_values(record: &Value, into: &mut Vec<String>) {
    match record {
        Value::String(text) if text.chars().count() >= 4 => into.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| string_values(item, into)),
        Value::Object(fields) => fields.values().for_each(|value| string_values(value, into)),
        _ => {}
    }
}

/// At most 120 characters of `text`, for a report.
pub(super) fn clip(text: &str) -> String {
    let clipped: String = text.chars().take(120).collect();
    if clipped.len() < text.len() {
        format!("{clipped}...")
    } else {
        clipped
    }
}
