//! The route inventory over a router with every kind of policy: total, sorted, and the same
//! facts in the table and in the JSON a CI job diffs.

use secure_api::authz::Resource;
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use serde_json::json;

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

#[secure(public)]
async fn health() -> &'static str {
    "ok"
}

#[derive(serde::Deserialize, validator::Validate, Input)]
struct Credentials {
    #[validate(length(min = 3, max = 254))]
    email: String,
}

#[secure(
    public,
    rate = "5/15m",
    account_rate = "10/15m",
    account_key = "email",
    rate_message = "Too many login attempts"
)]
async fn login(Json(credentials): Json<Credentials>) -> StatusCode {
    let _ = credentials.email;
    StatusCode::NO_CONTENT
}

#[secure(auth, owner = "author_id", or = "is_published")]
async fn read_post(post: Owned<Post>) -> Json<Post> {
    Json(post.into_inner())
}

#[secure(auth, scope = "posts:write", owner = "author_id", deny = 403)]
async fn update_post(post: Owned<Post>) -> Json<Post> {
    Json(post.into_inner())
}

#[secure(auth, role = any("admin", "moderator"), owner = "author_id", rate = "30/1m", key = "ip")]
async fn delete_post(post: Owned<Post>) -> StatusCode {
    let _ = post;
    StatusCode::NO_CONTENT
}

#[secure(auth, role = "admin", scope = all("users:read", "users:export"), rate = "10/1h")]
async fn export_users() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[secure(public, raw_response, raw_body)]
async fn legacy(body: axum::body::Bytes) -> axum::response::Response {
    axum::response::IntoResponse::into_response(body)
}

/// A note's text is unbounded on purpose: the body limit alone bounds it.
#[derive(serde::Deserialize, validator::Validate, Input)]
struct Note {
    #[validate(length(max = 200))]
    title: String,
    #[input(unbounded)]
    text: String,
}

#[secure(public)]
async fn create_note(Json(note): Json<Note>) -> StatusCode {
    let _ = (note.title, note.text);
    StatusCode::CREATED
}

fn app() -> secure_api::Router {
    let posts = secure_api::Router::new()
        .route("/", get(health))
        .route("/{id}", get(read_post).put(update_post).delete(delete_post));
    secure_api::Router::new()
        .route("/health", get(health))
        .route("/api/v1/auth/login", post(login))
        .nest("/api/v1/posts", posts)
        .route("/api/v1/admin/export", post(export_users))
        .route("/legacy", get(legacy))
        .route("/notes", post(create_note))
        .rate_limit("/api", "100/15m")
}

#[test]
fn every_route_is_listed_with_its_policy_as_json() {
    let inventory = app().inventory();
    let json = inventory.to_json();
    let summary: Vec<(String, String)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|route| {
            (
                route["method"].as_str().unwrap().to_owned(),
                route["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("POST", "/api/v1/admin/export"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/posts"),
        ("DELETE", "/api/v1/posts/{id}"),
        ("GET", "/api/v1/posts/{id}"),
        ("PUT", "/api/v1/posts/{id}"),
        ("GET", "/health"),
        ("GET", "/legacy"),
        ("POST", "/notes"),
    ];
    assert_eq!(
        summary,
        expected.map(|(m, p)| (m.to_owned(), p.to_owned())).to_vec()
    );
    assert_eq!(
        json[0],
        json!({
            "method": "POST",
            "path": "/api/v1/admin/export",
            "access": "auth",
            // Without a config, every scheme the route accepts.
            "schemes": ["bearer", "api_key", "session"],
            "roles": {"any": ["admin"]},
            "scopes": {"all": ["users:read", "users:export"]},
            "owner": null,
            "readRule": null,
            "deny": null,
            "rate": {"quota": "10/1h", "key": "user"},
            "rateName": null,
            "accountRate": null,
            "generalLimits": ["100/15m by ip"],
            "rawResponse": false,
            "rawBody": false,
            "unboundedInputs": [],
            "handler": "inventory::export_users",
        })
    );
    assert_eq!(json[1]["rate"], json!({"quota": "5/15m", "key": "ip"}));
    assert_eq!(
        json[1]["accountRate"],
        json!({"quota": "10/15m", "key": "email"})
    );
    assert_eq!(json[1]["access"], "public");
    assert_eq!(json[3]["roles"], json!({"any": ["admin", "moderator"]}));
    assert_eq!(json[3]["rate"], json!({"quota": "30/1m", "key": "ip"}));
    assert_eq!(json[4]["owner"], "author_id");
    assert_eq!(json[4]["readRule"], "is_published");
    assert_eq!(json[4]["deny"], 404);
    assert_eq!(json[5]["deny"], 403);
    assert_eq!(json[5]["scopes"], json!({"any": ["posts:write"]}));
    assert_eq!(
        json[6]["generalLimits"],
        json!([]),
        "/health is outside /api"
    );
    assert_eq!(json[7]["rawResponse"], true);
    assert_eq!(json[7]["rawBody"], true);
    assert_eq!(
        json[8]["unboundedInputs"],
        json!(["text"]),
        "a field without a size bound is on the record"
    );
}

#[test]
fn the_deny_column_follows_the_apps_default() {
    let config = secure_api::SecurityConfig::builder()
        .deny_as(secure_api::authz::DenyAs::Forbidden)
        .build()
        .unwrap();
    let json = app().with_config(config).inventory().to_json();
    assert_eq!(json[4]["deny"], 403, "read_post sets no deny of its own");
    assert_eq!(json[5]["deny"], 403);
}

#[test]
fn the_table_has_one_aligned_line_per_route() {
    let table = app().inventory().to_string();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 10, "a header and nine routes:\n{table}");
    assert!(lines[0].starts_with("METHOD  PATH"));
    let columns = |line: &str| line.split("  ").filter(|c| !c.is_empty()).count();
    assert!(lines[1].contains("all(users:read,users:export)"), "{table}");
    assert!(lines[1].contains("10/1h by user"));
    assert!(lines[2].contains("5/15m by ip, 10/15m by email"), "{table}");
    assert!(lines[5].contains("author_id or is_published"), "{table}");
    assert!(
        lines[8].contains("public (raw response) (raw body)"),
        "{table}"
    );
    assert!(lines[9].contains("public (unbounded: text)"), "{table}");
    // Every column starts where the header's does.
    let start_of_handler = lines[0].find("HANDLER").unwrap();
    for line in &lines[1..] {
        assert_eq!(line.find("inventory::"), Some(start_of_handler), "{table}");
        assert!(columns(line) >= 8, "{line}");
    }
}
