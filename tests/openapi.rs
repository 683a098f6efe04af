//! The OpenAPI document over a router with every kind of policy: what each operation says,
//! and a real OpenAPI 3.1 validator (`openapi-spec-validator`, from the Python package index) accepting it.
//!
//! The validator runs as `python3 -m openapi_spec_validator`. When it is not installed the
//! validation fails if `CI` is set (`.ci/run` installs it), and otherwise says SKIPPED.

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
struct NewPost {
    #[validate(length(min = 1))]
    title: String,
}

#[derive(Deserialize, Validate, Input)]
struct Page {
    page: Option<u32>,
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

#[secure(auth, rate = "10/1m")]
async fn create_post(Json(post): Json<NewPost>) -> StatusCode {
    let _ = post.title;
    StatusCode::CREATED
}

#[secure(auth, owner = "author_id", or = "is_published")]
async fn read_post(post: Owned<Post>) -> Json<Post> {
    Json(post.into_inner())
}

#[secure(auth, role = "admin")]
async fn purge() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, raw_response)]
async fn legacy() -> axum::response::Response {
    axum::response::IntoResponse::into_response("legacy")
}

fn app() -> secure_api::Router {
    secure_api::Router::new()
        .route("/health", get(health))
        .route("/api/v1/posts", get(list_posts).post(create_post))
        .route("/api/v1/posts/{id}", get(read_post))
        .route("/api/v1/admin/purge", post(purge))
        .route("/legacy/{*rest}", get(legacy))
        .rate_limit("/api", "100/15m")
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
    let doc = app().openapi("Blog", "1.0.0");
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
        create["x-secure-api"]["rate"],
        json!({"quota": "10/1m", "key": "user"})
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
}

#[test]
fn the_document_passes_an_openapi_3_1_validator() {
    let doc = app().openapi("Blog", "1.0.0");
    let file =
        std::env::temp_dir().join(format!("secure-api-openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let installed = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "openapi-spec-validator is not installed (pip install openapi-spec-validator)"
        );
        eprintln!("*** SKIPPED: openapi-spec-validator is not installed ***");
        return;
    }
    let output = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
