//! The secured route of secure-api: policy, loader and limits declared, the rest generated.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use secure_api::audit::{JsonLogs, LogGuard};
use secure_api::auth::AuthConfig;
use secure_api::authz::Resource;
use secure_api::prelude::*;
use secure_api::routing::get;

#[derive(Clone, Sanitized)]
struct Post {
    id: u64,
    author_id: String,
    title: String,
    is_published: bool,
}

#[derive(Clone)]
struct Posts(Arc<HashMap<u64, Post>>);

impl Resource<Posts> for Post {
    type Id = u64;

    async fn load(id: u64, posts: &Posts) -> Result<Option<Self>, ApiError> {
        Ok(posts.0.get(&id).cloned())
    }
}

#[secure(auth, owner = "author_id", or = "is_published", rate = "1000000/1s")]
async fn read_post(post: Owned<Post>) -> Json<Post> {
    Json(post.into_inner())
}

/// Installs the audit logs as the process's global subscriber, then serves on a port of its
/// own; the guard keeps the log writer running.
pub(crate) fn start(auth: AuthConfig) -> (SocketAddr, LogGuard) {
    let logs = JsonLogs::to_writer(std::io::sink()).init().unwrap();
    let posts = crate::posts().map(|post| {
        let crate::PostData {
            id,
            author_id,
            title,
            is_published,
        } = post;
        let post = Post {
            id,
            author_id,
            title,
            is_published,
        };
        (id, post)
    });
    let config = secure_api::SecurityConfig::builder()
        .auth(auth)
        .build()
        .unwrap();
    let app = secure_api::Router::new()
        .route("/api/posts/{id}", get(read_post))
        .rate_limit("/api", "1000000/1s")
        .with_state(Posts(Arc::new(posts.collect())))
        .with_config(config);
    let runtime = tokio::runtime::Builder::new_multi_thread();
    // `AXUM_SERVE=1` serves the same app with `axum::serve`, to tell the server loop's cost
    // from the pipeline's.
    let address = if std::env::var_os("AXUM_SERVE").is_some() {
        crate::serve_on_own_runtime("secured", runtime, |listener| {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            std::future::IntoFuture::into_future(axum::serve(listener, app))
        })
    } else {
        crate::serve_on_own_runtime("secured", runtime, |listener| {
            std::future::IntoFuture::into_future(secure_api::serve(listener, app))
        })
    };
    (address, logs)
}
