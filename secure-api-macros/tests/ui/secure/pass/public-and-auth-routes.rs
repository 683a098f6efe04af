// Public and authenticated handlers with the common extractors, on every method, nested, with
// state, made into a service with the client's address.

use std::net::SocketAddr;

use secure_api::prelude::*;
use secure_api::routing::{delete, get, patch, post, put};
use serde::Deserialize;

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

#[derive(Sanitized)]
struct Post {
    id: u64,
    title: String,
}

#[derive(Deserialize, validator::Validate, Input)]
struct NewPost {
    #[validate(length(max = 200))]
    title: String,
}

#[derive(Deserialize, validator::Validate, Input)]
struct Page {
    offset: Option<u64>,
}

#[secure(public)]
async fn health() -> &'static str {
    "ok"
}

#[secure(public)]
async fn greet(State(state): State<AppState>, user: Option<AuthUser>) -> String {
    match user {
        Some(user) => format!("{}, {}", state.greeting, user.id()),
        None => state.greeting.to_owned(),
    }
}

#[secure(public)]
async fn list_posts(Query(page): Query<Page>) -> Json<Vec<Post>> {
    let id = page.offset.unwrap_or(0);
    Json(vec![Post {
        id,
        title: String::from("hello"),
    }])
}

#[secure(public)]
async fn get_post(Path(id): Path<u64>) -> ApiResult<Json<Post>> {
    if id == 0 {
        return Err(ApiError::not_found());
    }
    Ok(Json(Post {
        id,
        title: String::from("hello"),
    }))
}

#[secure(auth)]
async fn create_post(
    user: AuthUser,
    Json(new): Json<NewPost>,
) -> ApiResult<(StatusCode, Json<Post>)> {
    let _author = user.id();
    Ok((
        StatusCode::CREATED,
        Json(Post {
            id: 1,
            title: new.title,
        }),
    ))
}

#[secure(auth)]
async fn replace_post(
    State(_state): State<AppState>,
    _user: AuthUser,
    Path(id): Path<u64>,
    Json(new): Json<NewPost>,
) -> ApiResult<Json<Post>> {
    Ok(Json(Post {
        id,
        title: new.title,
    }))
}

#[secure(auth)]
async fn edit_post(Path(id): Path<u64>, Json(new): Json<NewPost>) -> Json<Post> {
    Json(Post {
        id,
        title: new.title,
    })
}

#[secure(auth)]
async fn delete_post(_user: AuthUser, Path(_id): Path<u64>) -> StatusCode {
    StatusCode::NO_CONTENT
}

fn api() -> secure_api::Router<AppState> {
    secure_api::Router::new()
        .route("/posts", get(list_posts).post(create_post))
        .route(
            "/posts/{id}",
            get(get_post)
                .put(replace_post)
                .patch(edit_post)
                .delete(delete_post),
        )
        .route("/greet", get(greet))
}

fn main() {
    let app: secure_api::Router = secure_api::Router::new()
        .route("/health", get(health))
        .route("/echo", post(create_post).put(replace_post))
        .route("/only-patch", patch(edit_post))
        .route("/only-delete", delete(delete_post))
        .route("/only-put", put(replace_post))
        .nest("/api/v1", api())
        .with_state(AppState { greeting: "hello" });
    assert_eq!(app.routes().len(), 13);
    let _service = || app.into_make_service_with_connect_info::<SocketAddr>();
}
