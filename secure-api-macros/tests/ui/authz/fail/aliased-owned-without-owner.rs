// An `Owned<T>` behind an alias, on a route without `owner`: nothing would check ownership.

use secure_api::authz::Resource;
use secure_api::prelude::*;

#[derive(Clone, Sanitized)]
struct Post {
    author_id: String,
}

impl Resource<()> for Post {
    type Id = u64;

    async fn load(_id: u64, _state: &()) -> Result<Option<Self>, ApiError> {
        Ok(None)
    }
}

type MyPost = Owned<Post>;

#[secure(auth)]
async fn read(post: MyPost) -> Json<Post> {
    Json(post.into_inner())
}

fn main() {}
