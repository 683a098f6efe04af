//! What every answer must be, whatever was asked: the checks the self-audit applies to each.

use http::StatusCode;
use serde_json::Value;

use crate::policy::Schemes;

use super::exchange::Answer;

/// What no answer may hold: a panic or a backtrace.
const PANICS: [&str; 3] = ["panicked at", "stack backtrace", "RUST_BACKTRACE"];

/// What no error may hold: a source path, SQL, a Rust type path. (An answer's content may
/// speak of SQL or paths; an error is the framework's or the handler's own words.)
const ERROR_LEAKS: [&str; 14] = [
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
    let error = answer.status.is_client_error() || answer.status.is_server_error();
    let leaks = PANICS.iter().chain(ERROR_LEAKS.iter().filter(|_| error));
    for leak in leaks {
        if answer.text.contains(leak) {
            problems.push(format!("the body holds `{leak}`"));
        }
    }
    for secret in secrets {
        // As it is, or as JSON writes it (a quote, a backslash, a newline escaped).
        let escaped = serde_json::to_string(secret).unwrap_or_default();
        let escaped = escaped.trim_matches('"');
        if answer.text.contains(secret.as_str()) || answer.text.contains(escaped) {
            problems.push(format!("the body holds B's value `{}`", clip(secret)));
        }
    }
    let body = answer.json();
    let mut keys = Vec::new();
    if let Some(body) = &body {
        object_keys(body, &mut keys);
    }
    let message = body
        .as_ref()
        .and_then(|body| body.get("error")?.as_str().map(str::to_owned))
        .filter(|_| error)
        .unwrap_or_default();
    for name in sensitive {
        let in_message = name.len() >= 6 && message.contains(name.as_str());
        if keys.contains(&name.as_str()) || in_message {
            problems.push(format!("the body names the sensitive field `{name}`"));
        }
    }
    problems
}

/// The keys of every object in `value`.
fn object_keys<'a>(value: &'a Value, into: &mut Vec<&'a str>) {
    match value {
        Value::Object(fields) => {
            for (key, value) in fields {
                into.push(key);
                object_keys(value, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| object_keys(item, into)),
        _ => {}
    }
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

/// Whether `answer` is exactly the `401` a refused credential gets: a challenge for each
/// scheme the route takes (`accepted`) and for no other, and the generic message of one of
/// the schemes.
pub(super) fn is_refused_credential(answer: &Answer, accepted: Schemes) -> bool {
    let challenges: Vec<&str> = answer
        .headers
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let names = |challenge: &str, scheme: &str| {
        challenge
            .split_whitespace()
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case(scheme))
    };
    let expected = [
        (Schemes::BEARER, "Bearer"),
        (Schemes::API_KEY, "ApiKey"),
        (Schemes::SESSION, "Session"),
    ];
    let matches_schemes = expected.iter().all(|(scheme, name)| {
        challenges.iter().any(|challenge| names(challenge, name)) == accepted.contains(*scheme)
    }) && challenges.len()
        == expected
            .iter()
            .filter(|(scheme, _)| accepted.contains(*scheme))
            .count();
    let generic = answer
        .json()
        .and_then(|body| body.get("error")?.as_str().map(str::to_owned))
        .is_some_and(|error| {
            matches!(
                error.as_str(),
                "Authentication required" | "Invalid token" | "Invalid API key"
            )
        });
    answer.status == StatusCode::UNAUTHORIZED && matches_schemes && generic
}

/// Whether `answer` is the generic `403 {"error":"Access denied"}`.
pub(super) fn is_access_denied(answer: &Answer) -> bool {
    answer.status == StatusCode::FORBIDDEN
        && answer
            .json()
            .is_some_and(|body| body["error"] == "Access denied")
}

/// Whether `answer` is the framework's refusal of an input by its own rules (`400 Invalid
/// input`): what a sample the rules refuse gets, before any handler or limit by account.
pub(super) fn is_invalid_input(answer: &Answer) -> bool {
    answer.status == StatusCode::BAD_REQUEST
        && answer
            .json()
            .is_some_and(|body| body["error"] == "Invalid input")
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
