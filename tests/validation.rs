//! Validated input: the article's `createPostSchema` as a `validator` type, with the exact
//! `details` each invalid body gets; wire names, unknown fields, queries and forms.

mod common;

use axum::body::Body;
use common::*;
use secure_api::prelude::*;
use secure_api::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

/// The article's `createPostSchema`: title 3..200, content up to 50000, up to 10 tags.
#[derive(Deserialize, Validate, Input)]
#[serde(rename_all = "camelCase")]
struct CreatePost {
    #[validate(length(min = 3, max = 200))]
    title: String,
    #[validate(length(max = 50000))]
    content: String,
    #[validate(length(max = 10))]
    #[input(each(length(min = 1, max = 50)))]
    tags: Option<Vec<String>>,
    #[validate(nested, length(max = 5))]
    co_authors: Option<Vec<CoAuthor>>,
}

// `Serialize` because validator's `length` on a list of them asks for it.
#[derive(Deserialize, serde::Serialize, Validate, Input)]
#[serde(rename_all = "camelCase")]
struct CoAuthor {
    #[validate(email, length(max = 254))]
    email_address: String,
}

#[derive(Sanitized)]
struct Created {
    title: String,
    tags: Vec<String>,
}

#[secure(public)]
async fn create(Json(post): Json<CreatePost>) -> (StatusCode, Json<Created>) {
    (
        StatusCode::CREATED,
        Json(Created {
            title: post.title,
            tags: post.tags.unwrap_or_default(),
        }),
    )
}

#[derive(Deserialize, Validate, Input)]
struct ListPosts {
    #[validate(range(min = 1))]
    page: Option<u32>,
    #[serde(rename = "perPage")]
    #[validate(range(min = 1, max = 100))]
    per_page: Option<u32>,
}

#[secure(public)]
async fn list(Query(query): Query<ListPosts>) -> String {
    format!("{:?}/{:?}", query.page, query.per_page)
}

#[derive(Deserialize, Validate, Input)]
#[input(allow_unknown_fields)]
struct Tolerant {
    #[validate(length(min = 1, max = 100))]
    name: String,
}

#[secure(public)]
async fn tolerant(Json(body): Json<Tolerant>) -> String {
    body.name
}

#[derive(Deserialize, Validate, Input)]
struct Subscribe {
    #[validate(email, length(max = 254))]
    email: String,
}

#[secure(public)]
async fn subscribe(Form(form): Form<Subscribe>) -> String {
    form.email
}

fn app() -> secure_api::Router {
    let config = secure_api::SecurityConfig::builder()
        .auth(hs256_config().auth().clone())
        .body_limit(64 * 1024)
        .build()
        .unwrap();
    secure_api::Router::new()
        .route("/posts", post(create).get(list))
        .route("/tolerant", post(tolerant))
        .route("/subscribe", post(subscribe))
        .with_config(config)
}

async fn create_with(body: &Value) -> Reply {
    send(app(), post_json("/posts", &body.to_string())).await
}

fn invalid(details: &Value) -> Value {
    json!({ "error": "Invalid input", "details": details })
}

#[tokio::test]
async fn the_articles_schema_accepts_valid_posts() {
    for body in [
        json!({ "title": "abc", "content": "" }),
        json!({ "title": "x".repeat(200), "content": "y".repeat(50_000), "tags": vec!["t"; 10] }),
        json!({ "title": "abc", "content": "", "tags": ["é".repeat(50)] }),
        json!({ "title": "hello", "content": "world", "tags": null, "coAuthors": [{ "emailAddress": "a@b.example" }] }),
    ] {
        let reply = create_with(&body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{body}: {reply:?}");
    }
}

/// serde's derive reads a struct from a sequence by position; a body must be an object, as
/// the OpenAPI document says, at every depth.
#[tokio::test]
async fn a_struct_sent_as_an_array_is_refused_at_its_path() {
    let cases = [
        (json!(["abc", "content", ["t"], null]), ""),
        (
            json!({ "title": "abc", "content": "", "coAuthors": [["a@b.example"]] }),
            "coAuthors[0]",
        ),
    ];
    for (body, field) in cases {
        let reply = create_with(&body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {reply:?}");
        assert_eq!(
            reply.body_without_request_id(),
            invalid(&json!([{ "field": field, "message": "must be an object" }])),
            "{body}"
        );
    }
    // Lists that are lists are still lists.
    let reply = create_with(&json!({ "title": "abc", "content": "", "tags": ["a", "b"] })).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
}

#[tokio::test]
async fn each_invalid_body_gets_its_exact_details() {
    let cases = [
        (
            json!({ "title": "ab", "content": "" }),
            json!([{ "field": "title", "message": "must have 3 to 200 characters" }]),
        ),
        (
            json!({ "title": "x".repeat(201), "content": "y".repeat(50_001) }),
            json!([
                { "field": "content", "message": "must have at most 50000 characters" },
                { "field": "title", "message": "must have 3 to 200 characters" },
            ]),
        ),
        (
            json!({ "title": "abc", "content": "", "tags": vec!["t"; 11] }),
            json!([{ "field": "tags", "message": "must have at most 10 items" }]),
        ),
        (
            // Each tag has its own bound (`#[input(each(length(...)))]`), with validator's.
            json!({ "title": "ab", "content": "", "tags": ["rust", "x".repeat(51), ""] }),
            json!([
                { "field": "tags[1]", "message": "must have 1 to 50 characters" },
                { "field": "tags[2]", "message": "must have 1 to 50 characters" },
                { "field": "title", "message": "must have 3 to 200 characters" },
            ]),
        ),
        (
            // Renamed fields are named as the client sent them, nested ones and items too.
            json!({ "title": "abc", "content": "", "coAuthors": [{ "emailAddress": "a@b.example" }, { "emailAddress": "nope" }] }),
            json!([{ "field": "coAuthors[1].emailAddress", "message": "must be an email address" }]),
        ),
        (
            json!({ "content": "" }),
            json!([{ "field": "title", "message": "is required" }]),
        ),
        (
            json!({ "title": 42, "content": "" }),
            json!([{ "field": "title", "message": "must be a string" }]),
        ),
        (
            json!({ "title": "abc", "content": "", "tags": "one" }),
            json!([{ "field": "tags", "message": "must be a list" }]),
        ),
    ];
    for (body, details) in cases {
        let reply = create_with(&body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.body_without_request_id(), invalid(&details), "{body}");
    }
}

#[tokio::test]
async fn fields_the_type_does_not_know_are_refused_by_name() {
    let body =
        json!({ "title": "abc", "content": "", "authorId": "someone-else", "isAdmin": true });
    let reply = create_with(&body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body_without_request_id(),
        invalid(&json!([
            { "field": "authorId", "message": "is not an accepted field" },
            { "field": "isAdmin", "message": "is not an accepted field" },
        ]))
    );

    // A type that opts out accepts them.
    let reply = send(app(), post_json("/tolerant", r#"{"name":"ada","extra":1}"#)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "ada");
}

#[tokio::test]
async fn no_error_body_contains_the_submitted_value() {
    let secret = "hunter2-super-secret";
    for body in [
        json!({ "title": secret, "content": 5 }),
        json!({ "title": [secret], "content": "" }),
        json!({ "title": "ab", "content": "", "coAuthors": [{ "emailAddress": secret }] }),
        json!({ "title": "abc", "content": "", secret: secret }),
    ] {
        let reply = create_with(&body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let text = reply.text.replace(&format!("\"field\":\"{secret}\""), "");
        assert!(!text.contains(secret), "{text}");
    }
}

#[derive(Deserialize, Validate, Input)]
struct Counts {
    // Client-chosen keys, on purpose: the test is about how they are sent back.
    #[input(unbounded)]
    counts: std::collections::HashMap<String, u32>,
}

#[secure(public)]
async fn counts(Json(body): Json<Counts>) -> String {
    body.counts.len().to_string()
}

#[derive(Deserialize, Validate, Input)]
#[serde(deny_unknown_fields)]
struct Strict {
    #[validate(length(max = 100))]
    name: String,
}

#[secure(public)]
async fn strict(Json(body): Json<Strict>) -> String {
    body.name
}

#[tokio::test]
async fn client_chosen_keys_are_sent_back_only_when_plain_and_details_are_capped() {
    let app = || {
        secure_api::Router::new()
            .route("/counts", post(counts))
            .route("/strict", post(strict))
            .route("/posts", post(create))
            .with_config(hs256_config())
    };
    let key = "<script>hunter2</script>";
    let body = json!({ "counts": { key: "many" } }).to_string();
    let reply = send(app(), post_json("/counts", &body)).await;
    assert_eq!(
        reply.body_without_request_id(),
        invalid(&json!([{ "field": "counts.[…]", "message": "must be an integer" }]))
    );

    // A type with serde's own deny_unknown_fields names the field, not a type mismatch.
    let reply = send(
        app(),
        post_json("/strict", r#"{"name":"a","isAdmin":true}"#),
    )
    .await;
    assert_eq!(
        reply.body_without_request_id(),
        invalid(&json!([{ "field": "isAdmin", "message": "is not an accepted field" }]))
    );

    // A flood of unknown fields gets a bounded answer.
    let mut flood = serde_json::Map::new();
    flood.insert("title".into(), "abc".into());
    flood.insert("content".into(), "".into());
    for i in 0..500 {
        flood.insert(format!("extra{i}"), i.into());
    }
    let reply = send(
        app(),
        post_json("/posts", &Value::Object(flood).to_string()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["details"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn queries_are_validated_with_wire_names_and_unknown_parameters_ignored() {
    let reply = send(app(), get_request("/posts?page=2&perPage=20&utm_source=x")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "Some(2)/Some(20)");

    let reply = send(app(), get_request("/posts?perPage=500")).await;
    assert_eq!(
        reply.body_without_request_id(),
        invalid(&json!([{ "field": "perPage", "message": "must be between 1 and 100" }]))
    );
    let reply = send(app(), get_request("/posts?page=zero")).await;
    assert_eq!(
        reply.body_without_request_id(),
        invalid(&json!([{ "field": "page", "message": "is invalid" }]))
    );
}

#[tokio::test]
async fn forms_are_validated_too() {
    let form = |body: &str| {
        http::Request::post("/subscribe")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let reply = send(app(), form("email=a%40b.example")).await;
    assert_eq!(reply.text, "a@b.example");
    let reply = send(app(), form("email=nope")).await;
    assert_eq!(
        reply.body_without_request_id(),
        invalid(&json!([{ "field": "email", "message": "must be an email address" }]))
    );
    let reply = send(app(), form("email=a%40b.example&admin=1")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unreadable_bodies_get_generic_answers() {
    let reply = send(app(), post_json("/posts", r#"{"title": "abc", "#)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.body_without_request_id(),
        json!({ "error": "Invalid request" })
    );

    let request = http::Request::post("/posts")
        .header("content-type", "text/plain")
        .body(Body::from(r#"{"title":"abc","content":""}"#))
        .unwrap();
    let reply = send(app(), request).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        reply.body_without_request_id(),
        json!({ "error": "Unsupported media type" })
    );

    let big = json!({ "title": "abc", "content": "y".repeat(70_000) }).to_string();
    let reply = send(app(), post_json("/posts", &big)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.body_without_request_id(),
        json!({ "error": "Payload too large" })
    );
}

/// A webhook's event, read from the raw body after its signature was checked.
#[derive(Deserialize, Validate, Input)]
struct Event {
    #[validate(length(min = 1, max = 64))]
    kind: String,
    #[validate(range(max = 1000))]
    attempt: u32,
}

/// The signature a sender puts over the exact bytes it sends (a stand-in for an HMAC: what
/// matters here is that the check needs the bytes before they are parsed).
fn signature(body: &[u8]) -> String {
    body.iter()
        .fold(0u32, |sum, byte| {
            sum.wrapping_mul(31).wrapping_add(u32::from(*byte))
        })
        .to_string()
}

#[secure(public, raw_body)]
async fn webhook(headers: http::HeaderMap, body: axum::body::Bytes) -> ApiResult<String> {
    let signed = headers
        .get("x-signature")
        .is_some_and(|value| value.as_bytes() == signature(&body).as_bytes());
    if !signed {
        return Err(ApiError::unauthenticated().with_reason("bad webhook signature"));
    }
    let event: Event = secure_api::validate::json(&body)?;
    Ok(format!("{}#{}", event.kind, event.attempt))
}

#[tokio::test]
async fn a_raw_body_is_validated_with_the_helper_after_its_signature() {
    let app = || {
        secure_api::Router::new()
            .route("/hook", post(webhook))
            .with_config(secure_api::SecurityConfig::builder().build().unwrap())
    };
    let signed = |body: &str| {
        let mut request = post_json("/hook", body);
        request
            .headers_mut()
            .insert("x-signature", signature(body.as_bytes()).parse().unwrap());
        request
    };
    let ok = send(app(), signed(r#"{"kind":"push","attempt":2}"#)).await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    assert_eq!(ok.text, "push#2");

    let unsigned = send(app(), post_json("/hook", r#"{"kind":"push","attempt":2}"#)).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);

    for (body, details) in [
        (
            r#"{"kind":"","attempt":2000}"#,
            json!([
                { "field": "attempt", "message": "must be at most 1000" },
                { "field": "kind", "message": "must have 1 to 64 characters" },
            ]),
        ),
        (
            r#"{"kind":"push","attempt":1,"isAdmin":true}"#,
            json!([{ "field": "isAdmin", "message": "is not an accepted field" }]),
        ),
        (
            r#"{"kind":"push"}"#,
            json!([{ "field": "attempt", "message": "is required" }]),
        ),
    ] {
        let reply = send(app(), signed(body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {reply:?}");
        assert_eq!(reply.body_without_request_id(), invalid(&details), "{body}");
    }
    let malformed = send(app(), signed(r#"{"kind":"#)).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.body_without_request_id(),
        json!({ "error": "Invalid request" })
    );
}

// The type decides, not its name: a renamed import and a type alias of the prelude's `Json` and
// `Query` read, check and validate as the plain names do (they did not, when the macro found
// inputs by name).
use secure_api::prelude::Json as Payload;
type Aliased<T> = secure_api::prelude::Json<T>;
type Page<T> = secure_api::prelude::Query<T>;

#[secure(public)]
async fn create_renamed(Payload(post): Payload<CreatePost>) -> String {
    post.title
}

#[secure(public)]
async fn create_aliased(post: Aliased<CreatePost>) -> String {
    post.0.title
}

#[secure(public)]
async fn list_aliased(query: Page<ListPosts>) -> String {
    format!("{:?}", query.per_page)
}

#[tokio::test]
async fn renamed_and_aliased_inputs_are_validated_by_their_type() {
    let app = || {
        secure_api::Router::new()
            .route("/renamed", post(create_renamed))
            .route("/aliased", post(create_aliased))
            .route("/list", secure_api::routing::get(list_aliased))
            .with_config(secure_api::SecurityConfig::builder().build().unwrap())
    };
    for path in ["/renamed", "/aliased"] {
        let ok = send(app(), post_json(path, r#"{"title":"Hello","content":""}"#)).await;
        assert_eq!(ok.status, StatusCode::OK, "{path}: {ok:?}");
        assert_eq!(ok.text, "Hello");
        let short = send(app(), post_json(path, r#"{"title":"Hi","content":""}"#)).await;
        assert_eq!(short.status, StatusCode::BAD_REQUEST, "{path}: {short:?}");
        assert_eq!(
            short.body_without_request_id(),
            invalid(&json!([{ "field": "title", "message": "must have 3 to 200 characters" }])),
            "{path}"
        );
        let forged = send(
            app(),
            post_json(path, r#"{"title":"Hello","content":"","authorId":"ada"}"#),
        )
        .await;
        assert_eq!(
            forged.body_without_request_id(),
            invalid(&json!([{ "field": "authorId", "message": "is not an accepted field" }])),
            "{path}"
        );
        let untyped = send(
            app(),
            http::Request::post(path)
                .body(Body::from(r#"{"title":"Hello","content":""}"#))
                .unwrap(),
        )
        .await;
        assert_eq!(untyped.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path}");
    }
    let page = send(app(), get_request("/list?perPage=500")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{page:?}");
    assert_eq!(
        page.body_without_request_id(),
        invalid(&json!([{ "field": "perPage", "message": "must be between 1 and 100" }]))
    );
}

/// The OpenAPI document and the inventory find inputs by their type too: an aliased body and
/// query are described like the plain names.
#[test]
fn aliased_inputs_are_described_by_their_type() {
    let app: secure_api::Router = secure_api::Router::new()
        .route("/aliased", post(create_aliased))
        .route("/list", secure_api::routing::get(list_aliased));
    let doc = app.openapi("Aliases", "1.0.0").json().clone();
    let body = &doc["paths"]["/aliased"]["post"]["requestBody"]["content"]["application/json"];
    assert_eq!(
        body["schema"],
        json!({"$ref": "#/components/schemas/CreatePost"}),
        "{doc:#}"
    );
    let parameters = doc["paths"]["/list"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = parameters
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["page", "perPage"], "{doc:#}");
}
