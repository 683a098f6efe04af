//! The OpenAPI document over a router with every kind of policy: what each operation says,
//! and a real OpenAPI 3.1 validator (`openapi-spec-validator`, from the Python package index) accepting it.
//!
//! The validator runs as `python3 -m openapi_spec_validator`, and schemathesis, which sends
//! requests generated from the document to a live server, as `python3 -m schemathesis.cli`. When either is not installed
//! its test fails if `CI` is set (`.ci/run` installs both), and otherwise says SKIPPED.

mod common;

use secure_api::authz::Resource;
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

#[derive(Clone, Sanitized)]
struct Post {
    author_id: String,
    is_published: bool,
}

impl Resource<()> for Post {
    type Id = u64;

    async fn load(_id: u64, _state: &()) -> Result<Option<Self>, ApiError> {
        Ok(None)
    }
}

#[derive(Deserialize, Validate, Input)]
#[serde(rename_all = "camelCase")]
struct NewPost {
    #[validate(length(min = 3, max = 200))]
    title: String,
    #[validate(length(max = 10))]
    #[input(each(length(min = 1, max = 50)))]
    tags: Option<Vec<String>>,
    #[serde(default)]
    is_draft: bool,
    #[validate(email, length(max = 254))]
    contact_email: Option<String>,
    /// Read under another name, or two.
    #[serde(rename(deserialize = "summary"), alias = "excerpt")]
    #[validate(required, length(max = 500))]
    abstract_text: Option<String>,
    /// Read by a function of its own, not as its type.
    #[serde(default, deserialize_with = "lenient_count")]
    views: u32,
}

/// Any value: a count where there is one, else 0.
fn lenient_count<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(value
        .as_u64()
        .and_then(|count| u32::try_from(count).ok())
        .unwrap_or(0))
}

#[derive(Deserialize, Validate, Input)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[validate(range(min = 1))]
    page: Option<u32>,
    #[validate(range(min = 1, max = 100))]
    per_page: Option<u8>,
}

/// A user as the API shows it: the hash is kept for the model's sake and never sent.
#[derive(Sanitized)]
#[serde(rename_all = "camelCase")]
struct UserView {
    id: uuid::Uuid,
    display_name: String,
    #[sensitive]
    password_hash: String,
    role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    bio: Option<String>,
    /// A foreign type published as it is: described as any value.
    #[trusted]
    settings: serde_json::Value,
}

#[derive(Sanitized)]
#[serde(rename_all = "lowercase")]
#[expect(dead_code, reason = "only described here, never sent")]
enum Role {
    Admin,
    Member,
}

#[derive(Sanitized)]
struct Listing<T> {
    items: Vec<T>,
    total: u64,
}

#[secure(auth)]
async fn users() -> ApiResult<(StatusCode, Json<Listing<UserView>>)> {
    Ok((
        StatusCode::OK,
        Json(Listing {
            items: Vec::new(),
            total: 0,
        }),
    ))
}

#[secure(public)]
async fn health() -> &'static str {
    "ok"
}

#[secure(public)]
async fn list_posts(Query(page): Query<Page>) -> StatusCode {
    let _ = page.page;
    StatusCode::OK
}

#[secure(auth)]
async fn create_post(Json(post): Json<NewPost>) -> StatusCode {
    let _ = (
        post.title,
        post.tags,
        post.is_draft,
        post.contact_email,
        post.abstract_text,
        post.views,
    );
    StatusCode::CREATED
}

#[secure(auth, owner = "author_id", or = "is_published")]
async fn read_post(post: Owned<Post>) -> Json<Post> {
    Json(post.into_inner())
}

#[secure(auth, role = "admin", rate = "10/1m")]
async fn purge() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, raw_response)]
async fn legacy() -> axum::response::Response {
    axum::response::IntoResponse::into_response("legacy")
}

/// A handler named like another in this file, as `users::list` and `posts::list` would be.
mod admin {
    use secure_api::prelude::*;

    #[secure(auth, role = "admin")]
    pub async fn users() -> StatusCode {
        StatusCode::NO_CONTENT
    }
}

fn app() -> secure_api::Router {
    routes().rate_limit("/api", "100/15m")
}

fn routes() -> secure_api::Router {
    secure_api::Router::new()
        .route("/health", get(health))
        .route("/api/v1/posts", get(list_posts).post(create_post))
        .route("/api/v1/posts/{id}", get(read_post))
        .route("/api/v1/admin/purge", post(purge))
        .route("/legacy/{*rest}", get(legacy))
        .route("/api/v1/users", get(users))
        .route("/api/v1/admin/users", get(admin::users))
}

fn statuses(operation: &Value) -> Vec<String> {
    let mut statuses: Vec<String> = operation["responses"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    statuses.sort();
    statuses
}

#[test]
fn each_operation_says_who_may_call_it_and_what_it_can_answer() {
    let doc = app().openapi("Blog", "1.0.0").json().clone();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    );
    let paths = &doc["paths"];

    let health = &paths["/health"]["get"];
    assert_eq!(health["security"], json!([]));
    assert_eq!(statuses(health), ["2XX", "500"]);

    let list = &paths["/api/v1/posts"]["get"];
    assert_eq!(list["security"], json!([]));
    assert_eq!(list["parameters"][0]["in"], "query");
    assert_eq!(statuses(list), ["2XX", "400", "429", "500"]);

    let create = &paths["/api/v1/posts"]["post"];
    assert_eq!(create["security"], json!([{"bearerAuth": []}]));
    assert!(create["requestBody"]["content"]["application/json"].is_object());
    assert_eq!(
        statuses(create),
        ["2XX", "400", "401", "413", "415", "429", "500"]
    );
    assert_eq!(
        create["responses"]["429"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Error"})
    );

    let read = &paths["/api/v1/posts/{id}"]["get"];
    assert_eq!(read["parameters"][0]["name"], "id");
    assert_eq!(read["parameters"][0]["in"], "path");
    assert_eq!(statuses(read), ["2XX", "401", "403", "404", "429", "500"]);
    assert_eq!(read["x-secure-api"]["owner"], "author_id");

    let purge = &paths["/api/v1/admin/purge"]["post"];
    assert_eq!(purge["x-secure-api"]["roles"], json!(["admin"]));
    assert_eq!(
        purge["x-secure-api"]["rate"],
        json!({"quota": "10/1m", "key": "user"})
    );
    assert_eq!(statuses(purge), ["2XX", "401", "403", "429", "500"]);

    let legacy = &paths["/legacy/{rest}"]["get"];
    assert_eq!(legacy["x-secure-api"]["rawResponse"], true);
    assert_eq!(legacy["parameters"][0]["name"], "rest");

    let ids: Vec<&str> = paths
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|operation| operation["operationId"].as_str().unwrap())
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "operation ids are unique: {ids:?}");
    assert_eq!(
        paths["/api/v1/admin/users"]["get"]["operationId"], "admin_users",
        "a name used in two modules is qualified by its module, whatever the order of routes"
    );
    assert_eq!(
        paths["/api/v1/users"]["get"]["operationId"],
        "openapi_users"
    );
    assert_eq!(health["operationId"], "health");
}

#[test]
fn responses_are_described_by_their_sanitized_types_without_secrets() {
    let doc = app().openapi("Blog", "1.0.0").json().clone();
    let schemas = &doc["components"]["schemas"];
    let success = &doc["paths"]["/api/v1/users"]["get"]["responses"]["2XX"];
    assert_eq!(
        success["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Listing_UserView"})
    );
    assert_eq!(
        schemas["Listing_UserView"],
        json!({
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/UserView"}},
                "total": {"type": "integer", "minimum": 0, "maximum": u64::MAX},
            },
            "required": ["items", "total"],
            "additionalProperties": false,
        })
    );
    assert_eq!(
        schemas["UserView"],
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "displayName": {"type": "string"},
                "role": {"$ref": "#/components/schemas/Role"},
                "bio": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "settings": {},
            },
            "required": ["id", "displayName", "role", "settings"],
            "additionalProperties": false,
        }),
        "no password hash, `bio` may be left out"
    );
    assert_eq!(
        schemas["Role"],
        json!({"type": "string", "enum": ["admin", "member"]})
    );
    let text = doc.to_string();
    assert!(!text.contains("password"), "{text}");

    let read = &doc["paths"]["/api/v1/posts/{id}"]["get"]["responses"]["2XX"];
    assert_eq!(
        read["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/Post"})
    );
    let health = &doc["paths"]["/health"]["get"]["responses"]["2XX"];
    assert_eq!(
        health["content"]["text/plain"]["schema"],
        json!({"type": "string"})
    );
    let create = &doc["paths"]["/api/v1/posts"]["post"]["responses"]["2XX"];
    assert!(create.get("content").is_none(), "a bare status has no body");
    let legacy = &doc["paths"]["/legacy/{rest}"]["get"]["responses"]["2XX"];
    assert!(
        legacy.get("content").is_none(),
        "a raw response is not described"
    );
}

#[test]
fn inputs_are_described_with_their_rules() {
    let doc = app().openapi("Blog", "1.0.0").json().clone();
    let create = &doc["paths"]["/api/v1/posts"]["post"];
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/NewPost"})
    );
    assert_eq!(
        doc["components"]["schemas"]["NewPost"],
        json!({
            "type": "object",
            "properties": {
                "title": {"type": "string", "minLength": 3, "maxLength": 200},
                "tags": {"anyOf": [
                    {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 50}, "maxItems": 10},
                    {"type": "null"},
                ]},
                "isDraft": {"type": "boolean"},
                "contactEmail": {"anyOf": [{"type": "string", "format": "email", "maxLength": 254}, {"type": "null"}]},
                "summary": {"type": "string", "maxLength": 500},
                "excerpt": {"type": "string", "maxLength": 500},
                "views": {},
            },
            "required": ["title"],
            "additionalProperties": false,
            "allOf": [{"oneOf": [{"required": ["summary"]}, {"required": ["excerpt"]}]}],
        }),
        "unknown fields are refused, so the document says so"
    );

    let list = &doc["paths"]["/api/v1/posts"]["get"];
    assert_eq!(
        list["parameters"],
        json!([
            {"name": "page", "in": "query", "required": false,
                "schema": {"type": "integer", "minimum": 1, "maximum": u32::MAX}},
            {"name": "perPage", "in": "query", "required": false,
                "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
        ])
    );
}

#[test]
fn the_document_passes_an_openapi_3_1_validator() {
    if !common::python_tool_installed("openapi_spec_validator", "openapi-spec-validator") {
        return;
    }
    let doc = app().openapi("Blog", "1.0.0").json().clone();
    let file =
        std::env::temp_dir().join(format!("secure-api-openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let output = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    common::assert_tool_succeeded(&output);
}

/// schemathesis reads the document, generates valid and invalid requests for every operation,
/// with and without the token, and checks every answer against the document: documented
/// statuses and content types, bodies that match their schemas, no 5xx, invalid input refused
/// and valid input accepted, and operations with `security` refusing a missing token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_every_answer_as_the_document_says() {
    if !common::python_tool_installed("schemathesis.cli", "schemathesis") {
        return;
    }
    // Without the general limit, which schemathesis would spend in a moment: an address limit
    // answers 429 before authentication, which is right, and hides every other answer.
    let app = || routes().with_config(common::hs256_config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(secure_api::serve(listener, app()).into_future());
    let token = common::hs256_token(&common::valid_claims());
    common::assert_schemathesis_passes(
        common::Document::Written(app().openapi("Blog", "1.0.0").json().clone()),
        format!("http://{address}"),
        &token,
        &[],
    )
    .await;
    server.abort();
}
