//! Authorization through the real router: roles and scopes (function level) and ownership with
//! a read rule (object level), with users A and B and an admin.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use common::*;
use secure_api::auth::TokenRequest;
use secure_api::authz::{DenyAs, Resource};
use secure_api::prelude::*;
use secure_api::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

#[derive(Clone, Sanitized)]
struct Post {
    id: u64,
    author_id: String,
    title: String,
    is_published: bool,
}

#[derive(Clone, Default)]
struct AppState {
    posts: Arc<Mutex<HashMap<u64, Post>>>,
    loads: Arc<AtomicUsize>,
}

impl Resource<AppState> for Post {
    type Id = u64;

    async fn load(id: u64, state: &AppState) -> Result<Option<Self>, ApiError> {
        state.loads.fetch_add(1, Ordering::SeqCst);
        Ok(state.posts.lock().unwrap().get(&id).cloned())
    }
}

/// The article's read rule: the author, or anyone once published.
#[secure(auth, owner = "author_id", or = "is_published")]
async fn read_post(post: Owned<Post>) -> Json<Post> {
    Json(post.into_inner())
}

#[derive(Deserialize, Validate, Input)]
struct EditPost {
    #[validate(length(max = 200))]
    title: String,
}

/// Only the author may update: the body is read after the ownership check.
#[secure(auth, scope = "posts:write", owner = "author_id")]
async fn update_post(
    State(state): State<AppState>,
    Json(edit): Json<EditPost>,
    post: Owned<Post>,
) -> Json<Post> {
    let mut post = post.into_inner();
    post.title = edit.title;
    state.posts.lock().unwrap().insert(post.id, post.clone());
    Json(post)
}

#[secure(auth, owner = "author_id")]
async fn delete_post(State(state): State<AppState>, post: Owned<Post>) -> StatusCode {
    state.posts.lock().unwrap().remove(&post.id);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize, Validate, Input)]
struct NewPost {
    #[validate(length(max = 200))]
    title: String,
}

/// The article's create: the author is the verified user, never a field of the body.
#[secure(auth)]
async fn create_post(
    user: AuthUser,
    State(state): State<AppState>,
    Json(new): Json<NewPost>,
) -> (StatusCode, Json<Post>) {
    let mut posts = state.posts.lock().unwrap();
    let id = posts.keys().max().map_or(1, |max| max + 1);
    let post = Post {
        id,
        author_id: user.id().to_owned(),
        title: new.title,
        is_published: false,
    };
    posts.insert(id, post.clone());
    (StatusCode::CREATED, Json(post))
}

#[secure(auth, role = "admin")]
async fn list_all(State(state): State<AppState>) -> Json<Vec<u64>> {
    let mut ids: Vec<u64> = state.posts.lock().unwrap().keys().copied().collect();
    ids.sort_unstable();
    Json(ids)
}

#[secure(auth, role = "admin")]
async fn purge(State(state): State<AppState>) -> StatusCode {
    state.posts.lock().unwrap().clear();
    StatusCode::NO_CONTENT
}

#[secure(auth, scope = all("reports:read", "reports:export"))]
async fn export() -> &'static str {
    "exported"
}

#[secure(auth, role = any("admin", "moderator"))]
async fn moderate() -> &'static str {
    "moderated"
}

/// A route that admits the resource exists.
#[secure(auth, owner = "author_id", deny = 403)]
async fn post_stats(post: Owned<Post>) -> String {
    post.title.len().to_string()
}

fn seeded() -> AppState {
    let state = AppState::default();
    let mut posts = state.posts.lock().unwrap();
    for (id, author, published) in [(1, "alice", false), (2, "bob", false), (3, "bob", true)] {
        posts.insert(
            id,
            Post {
                id,
                author_id: author.into(),
                title: format!("post {id}"),
                is_published: published,
            },
        );
    }
    drop(posts);
    state
}

fn app(state: &AppState, config: secure_api::SecurityConfig) -> secure_api::Router {
    secure_api::Router::new()
        .route(
            "/posts/{id}",
            get(read_post).put(update_post).delete(delete_post),
        )
        .route("/posts", post(create_post))
        .route("/admin/posts", get(list_all).delete(purge))
        .route("/reports", get(export))
        .route("/moderation", get(moderate))
        .route("/posts/{id}/stats", get(post_stats))
        .with_state(state.clone())
        .with_config(config)
}

fn token(user: &str, roles: &[&str], scopes: &[&str]) -> String {
    let mut request = TokenRequest::new(user).roles(roles.iter().copied());
    for scope in scopes {
        request = request.scope(*scope);
    }
    hs256_config().auth().mint(&request).unwrap().token
}

fn alice() -> String {
    token("alice", &[], &["posts:write"])
}

fn admin() -> String {
    token("root", &["admin"], &[])
}

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Reply {
    let mut request = http::Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(json) => {
            request = request.header("content-type", "application/json");
            Body::from(json.to_owned())
        }
        None => Body::empty(),
    };
    send(app(state, hs256_config()), request.body(body).unwrap()).await
}

/// Status, headers and body of a reply, without what differs per request.
fn observable(reply: &Reply) -> (StatusCode, Vec<(String, String)>, Value) {
    let mut headers: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(name, _)| *name != "x-request-id" && *name != "date")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (reply.status, headers, reply.body_without_request_id())
}

#[tokio::test]
async fn an_owner_reads_updates_and_deletes_their_resource() {
    let state = seeded();
    let reply = call(&state, "GET", "/posts/1", Some(&alice()), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["author_id"], "alice");

    let reply = call(
        &state,
        "PUT",
        "/posts/1",
        Some(&alice()),
        Some(r#"{"title":"new"}"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["title"], "new");

    let reply = call(&state, "DELETE", "/posts/1", Some(&alice()), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(!state.posts.lock().unwrap().contains_key(&1));
}

#[tokio::test]
async fn anothers_unpublished_resource_looks_exactly_like_a_missing_one() {
    let state = seeded();
    for method in ["GET", "PUT", "DELETE"] {
        let body = (method == "PUT").then_some(r#"{"title":"mine now"}"#);
        let theirs = call(&state, method, "/posts/2", Some(&alice()), body).await;
        let missing = call(&state, method, "/posts/999", Some(&alice()), body).await;
        let malformed = call(&state, method, "/posts/abc", Some(&alice()), body).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(observable(&theirs), observable(&missing), "{method}");
        assert_eq!(observable(&theirs), observable(&malformed), "{method}");
    }
    assert_eq!(
        state.posts.lock().unwrap()[&2].title,
        "post 2",
        "nothing changed"
    );
}

#[tokio::test]
async fn anothers_published_resource_can_be_read_but_not_changed() {
    let state = seeded();
    let reply = call(&state, "GET", "/posts/3", Some(&alice()), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["author_id"], "bob");

    let reply = call(
        &state,
        "PUT",
        "/posts/3",
        Some(&alice()),
        Some(r#"{"title":"x"}"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = call(&state, "DELETE", "/posts/3", Some(&alice()), None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(state.posts.lock().unwrap().contains_key(&3));
}

#[tokio::test]
async fn a_stranger_gets_404_before_the_body_is_read_or_validated() {
    let state = seeded();
    // An invalid body (unknown field, wrong type) on someone else's post: the ownership check
    // answers first, so the stranger learns nothing from a validation error.
    for body in [
        r#"{"title": 5}"#,
        r#"{"title":"x","author_id":"alice"}"#,
        "not json",
    ] {
        let reply = call(&state, "PUT", "/posts/2", Some(&alice()), Some(body)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{body}");
    }
    // The owner with the same invalid bodies gets the validation answer.
    let bob = token("bob", &[], &["posts:write"]);
    let reply = call(
        &state,
        "PUT",
        "/posts/2",
        Some(&bob),
        Some(r#"{"title": 5}"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_non_admin_gets_403_on_every_method_of_an_admin_route() {
    let state = seeded();
    for method in ["GET", "DELETE"] {
        let reply = call(&state, method, "/admin/posts", Some(&alice()), None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method}");
        assert_eq!(
            reply.body_without_request_id(),
            json!({ "error": "Access denied" })
        );
    }
    // A method the route does not serve is 405, before any check, as in axum.
    let reply = call(&state, "POST", "/admin/posts", Some(&alice()), None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(state.posts.lock().unwrap().len(), 3, "nothing purged");

    let reply = call(&state, "GET", "/admin/posts", Some(&admin()), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!([1, 2, 3]));
}

#[tokio::test]
async fn switching_the_method_never_bypasses_a_check() {
    let state = seeded();
    // Read is allowed on bob's published post; DELETE on the same path still checks ownership.
    assert_eq!(
        call(&state, "GET", "/posts/3", Some(&alice()), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&state, "DELETE", "/posts/3", Some(&alice()), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // HEAD is GET without a body, under GET's policy.
    assert_eq!(
        call(&state, "HEAD", "/posts/2", Some(&alice()), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&state, "DELETE", "/admin/posts", Some(&alice()), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_author_comes_from_the_token_and_a_forged_owner_field_is_refused() {
    let state = seeded();
    let reply = call(
        &state,
        "POST",
        "/posts",
        Some(&alice()),
        Some(r#"{"title":"hello"}"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["author_id"], "alice");

    let forged = r#"{"title":"hello","author_id":"bob"}"#;
    let reply = call(&state, "POST", "/posts", Some(&alice()), Some(forged)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        state.posts.lock().unwrap().len(),
        4,
        "only the honest post was created"
    );
}

#[tokio::test]
async fn the_loader_runs_once_and_never_for_a_refused_caller() {
    let state = seeded();
    call(&state, "GET", "/posts/1", Some(&alice()), None).await;
    assert_eq!(state.loads.load(Ordering::SeqCst), 1);

    for token in [None, Some("garbage")] {
        let reply = call(&state, "GET", "/posts/1", token, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    // A token without the route's scope is refused before the resource is loaded too.
    let no_scope = token("alice", &[], &[]);
    let reply = call(
        &state,
        "PUT",
        "/posts/1",
        Some(&no_scope),
        Some(r#"{"title":"x"}"#),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(state.loads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn scopes_and_roles_combine_as_declared() {
    let state = seeded();
    let both = token("u", &[], &["reports:read", "reports:export"]);
    let one = token("u", &[], &["reports:read"]);
    assert_eq!(
        call(&state, "GET", "/reports", Some(&both), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&state, "GET", "/reports", Some(&one), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let moderator = token("m", &["moderator"], &[]);
    let nobody = token("n", &["reader"], &[]);
    assert_eq!(
        call(&state, "GET", "/moderation", Some(&moderator), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&state, "GET", "/moderation", Some(&admin()), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&state, "GET", "/moderation", Some(&nobody), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn forbidden_instead_of_not_found_per_route_or_globally() {
    let state = seeded();
    let reply = call(&state, "GET", "/posts/2/stats", Some(&alice()), None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = call(&state, "GET", "/posts/999/stats", Some(&alice()), None).await;
    assert_eq!(
        reply.status,
        StatusCode::NOT_FOUND,
        "a missing resource is still 404"
    );

    let config = secure_api::SecurityConfig::builder()
        .auth(hs256_config().auth().clone())
        .deny_as(DenyAs::Forbidden)
        .build()
        .unwrap();
    let request = http::Request::get("/posts/2")
        .header("authorization", format!("Bearer {}", alice()))
        .body(Body::empty())
        .unwrap();
    let reply = send(app(&state, config), request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_audit_record_names_the_decision_and_user_but_not_the_resource() {
    let logs = Captured::default();
    let _guard = logs.install();
    let state = seeded();
    call(&state, "GET", "/posts/2", Some(&alice()), None).await;
    call(&state, "GET", "/admin/posts", Some(&alice()), None).await;
    call(&state, "GET", "/posts/1", Some(&alice()), None).await;

    let records: Vec<(String, String, String)> = logs
        .events("secure_api::audit")
        .iter()
        .map(|e| {
            (
                e.fields["route"].as_str().unwrap().to_owned(),
                e.fields["decision"].as_str().unwrap().to_owned(),
                e.fields["user_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        records,
        vec![
            // Answered as a missing post, recorded as what it was.
            ("/posts/{id}".into(), "forbidden".into(), "alice".into()),
            ("/admin/posts".into(), "forbidden".into(), "alice".into()),
            ("/posts/{id}".into(), "allowed".into(), "alice".into()),
        ]
    );
    assert!(
        !logs.all_text().contains("post 2"),
        "resource data reached the log"
    );
}

/// Owner ids of other types than strings compare without glue.
mod id_types {
    use super::*;

    struct Invoice {
        owner: u64,
    }

    struct Upload {
        owner: uuid::Uuid,
    }

    impl Resource<()> for Invoice {
        type Id = u64;
        async fn load(_id: u64, _state: &()) -> Result<Option<Self>, ApiError> {
            Ok(Some(Invoice { owner: 42 }))
        }
    }

    impl Resource<()> for Upload {
        type Id = String;
        async fn load(_id: String, _state: &()) -> Result<Option<Self>, ApiError> {
            let id = uuid::Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
            Ok(Some(Upload { owner: id }))
        }
    }

    #[secure(auth, owner = "owner")]
    async fn invoice(_invoice: Owned<Invoice>) -> &'static str {
        "yours"
    }

    #[secure(auth, owner = "owner")]
    async fn upload(_upload: Owned<Upload>) -> &'static str {
        "yours"
    }

    #[tokio::test]
    async fn integer_and_uuid_owners_match_the_token_subject() {
        let app = || {
            secure_api::Router::new()
                .route("/invoices/{id}", get(invoice))
                .route("/uploads/{id}", get(upload))
                .with_config(hs256_config())
        };
        let as_user = |sub: &str| {
            hs256_config()
                .auth()
                .mint(&TokenRequest::new(sub))
                .unwrap()
                .token
        };
        let cases = [
            ("/invoices/1", "42", StatusCode::OK),
            ("/invoices/1", "042", StatusCode::NOT_FOUND),
            ("/invoices/1", "43", StatusCode::NOT_FOUND),
            (
                "/uploads/x",
                "67e55044-10b1-426f-9247-bb680e5fe0c8",
                StatusCode::OK,
            ),
            (
                "/uploads/x",
                "67E55044-10B1-426F-9247-BB680E5FE0C8",
                StatusCode::OK,
            ),
            ("/uploads/x", "42", StatusCode::NOT_FOUND),
        ];
        for (uri, sub, status) in cases {
            let reply = send(app(), get_with_token(uri, &as_user(sub))).await;
            assert_eq!(reply.status, status, "{uri} as {sub}");
        }
    }
}
