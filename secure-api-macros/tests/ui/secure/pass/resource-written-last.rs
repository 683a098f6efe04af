// The body is the last argument the handler reads; the resource may be written anywhere, since
// the macro loads and checks it first, before any other argument is read.

use secure_api::authz::Resource;
use secure_api::prelude::*;
use secure_api::routing::put;
use serde::Deserialize;
use validator::Validate;

#[derive(Clone, Sanitized)]
struct Post {
    author_id: String,
    title: String,
}

impl Resource<()> for Post {
    type Id = u64;

    async fn load(_id: u64, _state: &()) -> Result<Option<Self>, ApiError> {
        Ok(None)
    }
}

#[derive(Deserialize, Validate, Input)]
struct Edit {
    #[validate(length(min = 1, max = 200))]
    title: String,
}

#[secure(auth, owner = "author_id")]
async fn edit(user: AuthUser, Json(edit): Json<Edit>, post: Owned<Post>) -> Json<Post> {
    let mut post = post.into_inner();
    post.title = format!("{} by {}", edit.title, user.id());
    Json(post)
}

fn main() {
    let _app: secure_api::Router = secure_api::Router::new().route("/posts/{id}", put(edit));
}
