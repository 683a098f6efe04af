//! Bare axum: the handler alone, no security.

use std::collections::HashMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

/// A post as plain axum sends it: serialized by serde as it is.
#[derive(Clone, serde::Serialize)]
pub(crate) struct PlainPost {
    pub(crate) id: u64,
    pub(crate) author_id: String,
    pub(crate) title: String,
    pub(crate) is_published: bool,
}

pub(crate) type PlainPosts = Arc<HashMap<u64, PlainPost>>;

pub(crate) fn plain_posts() -> PlainPosts {
    let posts = crate::posts().map(|post| {
        let crate::PostData {
            id,
            author_id,
            title,
            is_published,
        } = post;
        let post = PlainPost {
            id,
            author_id,
            title,
            is_published,
        };
        (id, post)
    });
    Arc::new(posts.collect())
}

async fn read_post(
    State(posts): State<PlainPosts>,
    Path(id): Path<u64>,
) -> Result<Json<PlainPost>, StatusCode> {
    posts
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

pub(crate) fn start() -> SocketAddr {
    let app = axum::Router::new()
        .route("/api/posts/{id}", get(read_post))
        .with_state(plain_posts());
    let runtime = tokio::runtime::Builder::new_multi_thread();
    crate::serve_on_own_runtime("bare", runtime, |listener| {
        axum::serve(listener, app).into_future()
    })
}
