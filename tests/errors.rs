//! Errors are safe: clients get generic JSON bodies with a request id, and the details go to the
//! log. Malformed input, wrong types, wrong content types, oversize bodies, bad path parameters,
//! unknown routes and methods, internal errors and panics are all covered.

mod common;

use axum::body::Body;
use common::*;
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(serde::Deserialize, validator::Validate, Input)]
#[allow(dead_code)]
struct NewPost {
    #[validate(length(max = 200))]
    title: String,
    views: u32,
}

#[secure(public)]
async fn create(Json(post): Json<NewPost>) -> String {
    post.title
}

#[secure(public)]
async fn by_id(Path(id): Path<u64>) -> String {
    id.to_string()
}

#[secure(public)]
async fn boom() -> String {
    panic!("secret detail at /srv/app/src/db.rs:42 in PgPool");
}

#[secure(public)]
async fn database_failure() -> ApiResult<String> {
    let error = std::io::Error::other("SELECT * FROM users WHERE password_hash = '...' failed");
    Err(error)?
}

#[secure(public)]
async fn conflict() -> ApiResult<String> {
    Err(ApiError::client(
        StatusCode::CONFLICT,
        "Email already registered",
    ))
}

#[secure(public)]
async fn misused_client_error() -> ApiResult<String> {
    Err(ApiError::client(
        StatusCode::BAD_GATEWAY,
        "upstream db-7 is down",
    ))
}

#[secure(public)]
async fn bare_status() -> StatusCode {
    StatusCode::UNPROCESSABLE_ENTITY
}

/// The common axum idiom that would leak serde's text: taking the rejection and returning it.
/// The compiler refuses it as a response; a `raw_response` route can still return it, and the
/// security layer still sends only the generic body.
#[secure(public, raw_response, raw_body)]
async fn echo_rejection(
    body: axum::body::Bytes,
) -> Result<String, axum::extract::rejection::JsonRejection> {
    axum::Json::<NewPost>::from_bytes(&body).map(|axum::Json(post)| post.title)
}

/// Another: a tuple with the error's own text.
#[secure(public)]
async fn stringly_error() -> Result<String, (StatusCode, String)> {
    Err((
        StatusCode::INTERNAL_SERVER_ERROR,
        "SELECT * FROM users failed at /srv/app/src/db.rs".to_owned(),
    ))
}

/// An error response carrying headers that described its own body.
#[secure(public)]
async fn compressed_error() -> (StatusCode, [(&'static str, &'static str); 3], &'static str) {
    (
        StatusCode::CONFLICT,
        [
            ("content-encoding", "gzip"),
            ("set-cookie", "session=x"),
            ("retry-after", "7"),
        ],
        "\x1f binary",
    )
}

/// An extractor of the application's own whose rejection is a 429 with `Retry-After`.
struct Throttled;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Throttled {
    type Rejection = (StatusCode, [(&'static str, &'static str); 1], &'static str);

    async fn from_request_parts(
        _: &mut http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Err((
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "30")],
            "slow down, user 42",
        ))
    }
}

// It reads only the request's head, so a `#[secure]` handler may take it.
impl secure_api::SecureArgument for Throttled {}

#[secure(public)]
async fn throttled(_throttled: Throttled) -> &'static str {
    "never"
}

fn app() -> secure_api::Router {
    let config = secure_api::SecurityConfig::builder()
        .auth(hs256_config().auth().clone())
        .body_limit(1024)
        .build()
        .unwrap();
    secure_api::Router::new()
        .route("/posts", post(create))
        .route("/posts/{id}", get(by_id))
        .route("/boom", get(boom))
        .route("/db", get(database_failure))
        .route("/conflict", post(conflict))
        .route("/misused", get(misused_client_error))
        .route("/bare", get(bare_status))
        .route("/echo", post(echo_rejection))
        .route("/stringly", get(stringly_error))
        .route("/compressed", get(compressed_error))
        .route("/throttled", get(throttled))
        .with_config(config)
}

/// Text that must never reach a client.
const LEAKS: &[&str] = &[
    "serde",
    "line ",
    "column",
    "invalid type",
    "expected a",
    "expected one",
    "NewPost",
    "u32",
    "String",
    "axum",
    "Json",
    ".rs",
    "/srv",
    "panicked",
    "SELECT",
    "password",
    "db-7",
];

fn assert_generic(reply: &Reply, status: StatusCode, message: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.body_without_request_id(), json!({ "error": message }));
    let request_id = reply.body["requestId"].as_str().expect("a requestId");
    assert_eq!(request_id.len(), 36, "a UUID: {request_id}");
    for leak in LEAKS {
        assert!(
            !reply.text.contains(leak),
            "{leak:?} leaked in {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn malformed_json_is_a_generic_400() {
    let reply = send(app(), post_json("/posts", r#"{"title": "x", "views": "#)).await;
    assert_generic(&reply, StatusCode::BAD_REQUEST, "Invalid request");
}

#[tokio::test]
async fn a_wrong_field_type_or_a_missing_field_names_the_field_not_the_type() {
    let reply = send(
        app(),
        post_json("/posts", r#"{"title": "x", "views": "many"}"#),
    )
    .await;
    assert_invalid_input(
        &reply,
        &json!([{ "field": "views", "message": "must be an integer" }]),
    );
    assert!(
        !reply.text.contains("many"),
        "the submitted value is echoed"
    );
    let reply = send(app(), post_json("/posts", r#"{"title": "x"}"#)).await;
    assert_invalid_input(
        &reply,
        &json!([{ "field": "views", "message": "is required" }]),
    );
}

/// A 400 with field details, and nothing a client should not see.
fn assert_invalid_input(reply: &Reply, details: &Value) {
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_eq!(
        reply.body_without_request_id(),
        json!({ "error": "Invalid input", "details": details })
    );
    for leak in LEAKS {
        assert!(
            !reply.text.contains(leak),
            "{leak:?} leaked in {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn a_wrong_or_missing_content_type_is_415() {
    let request = http::Request::post("/posts")
        .header("content-type", "text/plain")
        .body(Body::from(r#"{"title": "x", "views": 1}"#))
        .unwrap();
    let reply = send(app(), request).await;
    assert_generic(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported media type",
    );

    let request = http::Request::post("/posts")
        .body(Body::from(r#"{"title": "x", "views": 1}"#))
        .unwrap();
    let reply = send(app(), request).await;
    assert_generic(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported media type",
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_declared_or_not() {
    let big = format!(r#"{{"title": "{}", "views": 1}}"#, "x".repeat(2000));
    // Declared: refused before the handler's extractors run.
    let request = http::Request::post("/posts")
        .header("content-type", "application/json")
        .header("content-length", big.len())
        .body(Body::from(big.clone()))
        .unwrap();
    let reply = send(app(), request).await;
    assert_generic(&reply, StatusCode::PAYLOAD_TOO_LARGE, "Payload too large");

    // Streamed without a length: refused while reading.
    let stream = futures_stream(big);
    let request = http::Request::post("/posts")
        .header("content-type", "application/json")
        .body(stream)
        .unwrap();
    let reply = send(app(), request).await;
    assert_generic(&reply, StatusCode::PAYLOAD_TOO_LARGE, "Payload too large");
}

/// A body with no length known in advance.
fn futures_stream(text: String) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = text
        .into_bytes()
        .chunks(100)
        .map(|c| Ok(c.to_vec()))
        .collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn a_bad_path_parameter_answers_like_a_missing_resource() {
    let reply = send(app(), get_request("/posts/not-a-number")).await;
    assert_generic(&reply, StatusCode::NOT_FOUND, "Not found");
    let reply = send(app(), get_request("/posts/7")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "7");
}

#[tokio::test]
async fn unknown_paths_and_methods_get_json_bodies() {
    let reply = send(app(), get_request("/nowhere")).await;
    assert_generic(&reply, StatusCode::NOT_FOUND, "Not found");

    let request = http::Request::delete("/posts/7")
        .body(Body::empty())
        .unwrap();
    let reply = send(app(), request).await;
    assert_generic(&reply, StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
    assert_eq!(reply.header("allow"), Some("GET,HEAD"));
}

#[tokio::test]
async fn a_panic_is_a_generic_500_and_the_server_keeps_serving() {
    let logs = Captured::default();
    let _guard = logs.install();
    let service = app().into_service();

    let response = service.clone().oneshot(get_request("/boom")).await.unwrap();
    let reply = read(response).await;
    assert_generic(
        &reply,
        StatusCode::INTERNAL_SERVER_ERROR,
        "An unexpected error occurred",
    );

    // The panic message is in the log, next to the request id the client was given.
    let errors = logs.events("secure_api::error");
    let logged = errors.last().unwrap();
    assert_eq!(logged.fields["request_id"], reply.body["requestId"]);
    assert!(
        logged.fields["cause"]
            .as_str()
            .unwrap()
            .contains("secret detail")
    );

    let response = service.oneshot(get_request("/posts/1")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_internal_error_is_logged_not_sent() {
    let logs = Captured::default();
    let _guard = logs.install();
    let reply = send(app(), get_request("/db")).await;
    assert_generic(
        &reply,
        StatusCode::INTERNAL_SERVER_ERROR,
        "An unexpected error occurred",
    );
    let errors = logs.events("secure_api::error");
    assert!(
        errors.last().unwrap().fields["cause"]
            .as_str()
            .unwrap()
            .contains("SELECT")
    );
}

#[tokio::test]
async fn a_deliberate_client_message_is_sent() {
    let request = http::Request::post("/conflict")
        .body(Body::empty())
        .unwrap();
    let reply = send(app(), request).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(
        reply.body_without_request_id(),
        json!({ "error": "Email already registered" })
    );
}

#[tokio::test]
async fn a_client_message_with_a_server_status_is_not_sent() {
    let reply = send(app(), get_request("/misused")).await;
    assert_generic(&reply, StatusCode::BAD_REQUEST, "Invalid request");
}

#[tokio::test]
async fn a_bare_error_status_gets_the_json_shape() {
    let reply = send(app(), get_request("/bare")).await;
    assert_generic(&reply, StatusCode::UNPROCESSABLE_ENTITY, "Invalid request");
}

#[tokio::test]
async fn the_request_id_is_always_the_servers() {
    let request = http::Request::get("/nowhere")
        .header("x-request-id", "attacker-chosen")
        .body(Body::empty())
        .unwrap();
    let reply = send(app(), request).await;
    let id = reply.header("x-request-id").unwrap();
    assert_ne!(id, "attacker-chosen");
    assert_eq!(reply.body["requestId"], Value::from(id));

    let second = send(app(), get_request("/nowhere")).await;
    assert_ne!(second.header("x-request-id"), Some(id), "ids are unique");
}

#[tokio::test]
async fn a_rejection_returned_by_the_handler_is_made_generic_too() {
    let reply = send(app(), post_json("/echo", r#"{"title": 5, "views": 1}"#)).await;
    assert_generic(&reply, StatusCode::UNPROCESSABLE_ENTITY, "Invalid request");
}

#[tokio::test]
async fn a_handlers_own_error_text_never_reaches_the_client() {
    let reply = send(app(), get_request("/stringly")).await;
    assert_generic(
        &reply,
        StatusCode::INTERNAL_SERVER_ERROR,
        "An unexpected error occurred",
    );
}

#[tokio::test]
async fn an_error_keeps_only_the_headers_an_error_may_carry() {
    let reply = send(app(), get_request("/compressed")).await;
    assert_generic(&reply, StatusCode::CONFLICT, "Conflict");
    assert_eq!(
        reply.header("content-encoding"),
        None,
        "the gzip body is gone, so is its label"
    );
    assert_eq!(reply.header("set-cookie"), None);
    assert_eq!(reply.header("retry-after"), Some("7"));
}

#[tokio::test]
async fn a_custom_extractors_rejection_keeps_its_status_and_retry_after() {
    let reply = send(app(), get_request("/throttled")).await;
    assert_generic(&reply, StatusCode::TOO_MANY_REQUESTS, "Too many requests");
    assert_eq!(reply.header("retry-after"), Some("30"));
    // (The body minus its random request id, which may contain "42" by chance.)
    assert!(!reply.body_without_request_id().to_string().contains("42"));
}
